-- Action outcomes, stored once the action's effects have committed (before
-- the game stream's offsets move): any host, and the same host after a
-- restart, answers an action by id or by its retried idempotency key.
-- action_id is derived from (tenant, game, player, idempotency key) for
-- player actions, so a retry finds the outcome of the first attempt.
CREATE TABLE action_outcomes (
    tenant_id      TEXT NOT NULL,
    action_id      TEXT NOT NULL,
    game_id        TEXT NOT NULL,
    player_id      TEXT NOT NULL,
    stream_offset  BIGINT NOT NULL,
    result         TEXT NOT NULL,
    received_at_ms BIGINT NOT NULL,
    applied_at_ms  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, action_id)
);
