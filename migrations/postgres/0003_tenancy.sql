-- Tenancy: tenants, partners, hashed API keys, and which game types each
-- tenant has enabled. Identical on Postgres and SQLite (BIGINT ms
-- timestamps, TEXT ids of [A-Za-z0-9_.-], 1-64 chars, checked by the API).

CREATE TABLE tenants (
    tenant_id     TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE partners (
    partner_id    TEXT PRIMARY KEY,
    name          TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

-- Only the hex SHA-256 of a key's secret is stored: a leaked table cannot
-- be replayed as credentials. A tenant key names its tenant and a partner
-- key its partner; operator keys name neither (the CHECKs hold that).
CREATE TABLE api_keys (
    key_hash      TEXT PRIMARY KEY,
    role          TEXT NOT NULL CHECK (role IN ('operator', 'partner', 'tenant')),
    tenant_id     TEXT NULL REFERENCES tenants (tenant_id),
    partner_id    TEXT NULL REFERENCES partners (partner_id),
    created_at_ms BIGINT NOT NULL,
    revoked_at_ms BIGINT NULL,
    CHECK ((role = 'tenant') = (tenant_id IS NOT NULL)),
    CHECK ((role = 'partner') = (partner_id IS NOT NULL))
);

-- A game type a tenant may start games of; no row means not enabled.
CREATE TABLE tenant_game_types (
    tenant_id     TEXT NOT NULL REFERENCES tenants (tenant_id),
    game_type     TEXT NOT NULL,
    enabled       BOOLEAN NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, game_type)
);
