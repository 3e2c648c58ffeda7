-- Reward ledger, idempotency keys and the transactional outbox.
-- Timestamps are BIGINT milliseconds since the Unix epoch on both backends,
-- so one set of queries serves Postgres and SQLite.

-- The ledger. reward_id is derived from (tenant, game, player, reward_key):
-- a replayed mint hits the primary key and changes nothing.
CREATE TABLE rewards (
    reward_id     TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL,
    game_id       TEXT NOT NULL,
    player_id     TEXT NOT NULL,
    team_id       TEXT NULL,
    reward_type   TEXT NOT NULL,
    reward_key    TEXT NOT NULL,
    amount        BIGINT NOT NULL,
    payload       TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX rewards_by_game ON rewards (tenant_id, game_id);

-- One row per client idempotency key; response is NULL while in progress.
CREATE TABLE idempotency_keys (
    tenant_id       TEXT NOT NULL,
    key             TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    response        BYTEA NULL,
    created_at_ms   BIGINT NOT NULL,
    completed_at_ms BIGINT NULL,
    PRIMARY KEY (tenant_id, key)
);

-- Events waiting for (or done with) publication. event_id is unique so a
-- retried write whose COMMIT outcome was unknown cannot enqueue twice.
CREATE TABLE outbox (
    id              BIGSERIAL PRIMARY KEY,
    tenant_id       TEXT NOT NULL,
    topic           TEXT NOT NULL,
    msg_key         TEXT NOT NULL,
    event_id        TEXT NOT NULL UNIQUE,
    envelope        BYTEA NOT NULL,
    created_at_ms   BIGINT NOT NULL,
    published_at_ms BIGINT NULL
);
CREATE INDEX outbox_pending ON outbox (id) WHERE published_at_ms IS NULL;

-- The relay lease: one row per relay name; epoch fences stale holders.
CREATE TABLE outbox_lease (
    name          TEXT PRIMARY KEY,
    holder        TEXT NOT NULL,
    epoch         BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL
);

-- Per (topic, partition): the stream offset below which every record is
-- known to the relay (published and marked, or already there).
CREATE TABLE outbox_watermarks (
    topic        TEXT NOT NULL,
    partition_no BIGINT NOT NULL,
    next_offset  BIGINT NOT NULL,
    PRIMARY KEY (topic, partition_no)
);
