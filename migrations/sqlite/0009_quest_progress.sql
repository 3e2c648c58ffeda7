-- Per-quest progress for the projector (docs/screens.md): the latest
-- status of each quest, per team (or per player in a game without teams;
-- `scope` says which, '' with an empty subject for an update that names
-- neither). Written with the batch's outcomes; an update from an earlier
-- stream offset never overwrites a later one (a redelivered batch).
CREATE TABLE quest_progress (
    tenant_id     TEXT NOT NULL,
    game_id       TEXT NOT NULL,
    quest_id      TEXT NOT NULL,
    scope         TEXT NOT NULL CHECK (scope IN ('team', 'player', '')),
    subject       TEXT NOT NULL,
    status        TEXT NOT NULL,
    stream_offset BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, game_id, quest_id, scope, subject)
);
