-- Player tokens: a player's credential for the play routes, scoped to one
-- tenant, game and player. Only the hex SHA-256 of the secret is stored
-- (like api_keys): a leaked table cannot be replayed as credentials.
CREATE TABLE player_tokens (
    token_hash    TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (tenant_id),
    game_id       TEXT NOT NULL,
    player_id     TEXT NOT NULL,
    team_id       TEXT NULL,
    created_at_ms BIGINT NOT NULL,
    FOREIGN KEY (tenant_id, game_id) REFERENCES games (tenant_id, game_id)
);

CREATE INDEX player_tokens_by_player ON player_tokens (tenant_id, game_id, player_id);
