-- What the web pages need (docs/screens.md): browser sessions, projector
-- screens, tenant branding and player evidence; and the kind (and, for
-- evidence kinds, the payload) of each stored outcome, for the activity
-- feed's backlog. Identical on Postgres and SQLite but for the bytes type.

-- A browser session: only the hex SHA-256 of the cookie's secret is
-- stored. It names the API key it was opened with; the key's revocation
-- ends it (checked on every request, like keys).
CREATE TABLE sessions (
    session_hash  TEXT PRIMARY KEY,
    key_hash      TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);

CREATE INDEX sessions_by_key ON sessions (key_hash);

-- One projector per game; its token is stored hashed (NULL until one is
-- issued). frozen_board: the standings captured when it froze (JSON).
-- Flags are 0/1 integers: sqlx's Any driver reads them alike on both.
CREATE TABLE projectors (
    tenant_id     TEXT NOT NULL,
    game_id       TEXT NOT NULL,
    token_hash    TEXT NULL UNIQUE,
    frozen        BIGINT NOT NULL CHECK (frozen IN (0, 1)),
    revealed      BIGINT NOT NULL CHECK (revealed IN (0, 1)),
    frozen_board  TEXT NULL,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, game_id),
    FOREIGN KEY (tenant_id, game_id) REFERENCES games (tenant_id, game_id)
);

-- A tenant's look on its screens (colours #rrggbb, checked by the API).
CREATE TABLE branding (
    tenant_id     TEXT PRIMARY KEY REFERENCES tenants (tenant_id),
    name          TEXT NOT NULL,
    logo_url      TEXT NULL,
    primary_color TEXT NULL,
    accent_color  TEXT NULL,
    updated_at_ms BIGINT NOT NULL
);

-- Player evidence (photos, texts), content-addressed per tenant: the id
-- is the hex SHA-256 of the bytes, so the same bytes are stored once.
CREATE TABLE evidence (
    tenant_id     TEXT NOT NULL REFERENCES tenants (tenant_id),
    evidence_id   TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    bytes         BLOB NOT NULL,
    size          BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, evidence_id)
);

-- The action's kind and, for kinds that take evidence, its payload
-- (NULL in outcomes stored before this migration).
ALTER TABLE action_outcomes ADD COLUMN kind TEXT NULL;
ALTER TABLE action_outcomes ADD COLUMN payload TEXT NULL;
