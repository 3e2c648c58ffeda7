-- Games and their state snapshots, for the processor (host/src/processor).
-- Timestamps are BIGINT milliseconds since the Unix epoch, as in 0001.

-- One row per game. plugin_hash pins the component (content hash) the game
-- started with: later uploads of the same game type never change a running
-- game's rules. seed is the plugin's only entropy; it is stored as a signed
-- BIGINT (the u64 bit pattern) because neither backend has an unsigned type.
CREATE TABLE games (
    tenant_id     TEXT NOT NULL,
    game_id       TEXT NOT NULL,
    game_type     TEXT NOT NULL,
    plugin_hash   TEXT NOT NULL,
    config        TEXT NOT NULL,
    seed          BIGINT NOT NULL,
    status        TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, game_id)
);

-- The latest state snapshot per game. next_offset is the position in the
-- game stream (topic, partition) that the state covers: every record below
-- it is applied, so a restart replays from next_offset.
CREATE TABLE game_snapshots (
    tenant_id       TEXT NOT NULL,
    game_id         TEXT NOT NULL,
    state           BLOB NOT NULL,
    topic           TEXT NOT NULL,
    partition_no    BIGINT NOT NULL,
    next_offset     BIGINT NOT NULL,
    actions_applied BIGINT NOT NULL,
    updated_at_ms   BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, game_id)
);
