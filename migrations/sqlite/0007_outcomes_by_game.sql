-- A game's latest outcome (`GET /v1/tenants/{t}/games/{g}` shows the last
-- applied action): an index walk, not a scan of every tenant's outcomes.
CREATE INDEX action_outcomes_by_game ON action_outcomes (tenant_id, game_id, stream_offset);
