-- Partner game types: uploaded components, stored content-addressed, and
-- the numbered versions of each game type. Identical on Postgres and
-- SQLite but for the bytes column type.

-- One row per distinct component: the key is the hex SHA-256 of the bytes,
-- so the same bytes are stored once, however often they are uploaded.
CREATE TABLE plugin_blobs (
    hash          TEXT PRIMARY KEY,
    bytes         BYTEA NOT NULL,
    size          BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

-- Versions 1..n per game type, in upload order. A game type belongs to the
-- partner that uploaded its version 1 (every later row names the same
-- partner; the API enforces it). The name is the component's describe()
-- name; the built-in names are reserved by the API. UNIQUE (game_type,
-- hash): re-uploading the same bytes answers the existing version.
CREATE TABLE plugin_versions (
    game_type      TEXT NOT NULL,
    version        BIGINT NOT NULL,
    partner_id     TEXT NOT NULL REFERENCES partners (partner_id),
    hash           TEXT NOT NULL REFERENCES plugin_blobs (hash),
    plugin_version TEXT NOT NULL,
    created_at_ms  BIGINT NOT NULL,
    PRIMARY KEY (game_type, version),
    UNIQUE (game_type, hash)
);

CREATE INDEX plugin_versions_by_partner ON plugin_versions (partner_id, game_type);
