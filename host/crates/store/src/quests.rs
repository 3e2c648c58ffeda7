//! Per-quest progress: the latest status of each quest per team (or per
//! player, in a game without teams), from the quest updates the game type
//! emits. Written with the batch's outcomes (after its effects committed);
//! read by the projector's per-quest progress.
//!
//! An update from an earlier stream offset never overwrites a later one,
//! so a redelivered batch cannot take a quest back.

use std::collections::HashMap;

use sqlx::{Any, Row, Transaction};

use super::{ROWS_PER_STATEMENT, Store, StoreError, begin, commit, rows_placeholders};

/// Whom a quest's status concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QuestScope {
    /// A team (the update named one).
    Team,
    /// A player (the update named a player but no team).
    Player,
    /// The quest itself (the update named neither: a round opened, a
    /// challenge released).
    Quest,
}

impl QuestScope {
    /// The word stored in `quest_progress.scope`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Team => "team",
            Self::Player => "player",
            Self::Quest => "",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "team" => Self::Team,
            "player" => Self::Player,
            _ => Self::Quest,
        }
    }
}

/// One quest's latest status for one subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestProgress {
    /// Tenant.
    pub tenant: String,
    /// Game.
    pub game_id: String,
    /// Quest id (the game type's).
    pub quest_id: String,
    /// Whom it concerns.
    pub scope: QuestScope,
    /// The team or player id (empty for [`QuestScope::Quest`]).
    pub subject: String,
    /// The game type's status word (`solved`, `captured`, `submitted`...).
    pub status: String,
    /// Game-stream offset of the action that set it.
    pub offset: i64,
    /// The action's timestamp (the game's time), ms since the epoch.
    pub updated_at_ms: i64,
}

impl QuestProgress {
    /// The subject of an update naming `team` and `player` (the team wins).
    pub fn subject(team: Option<&str>, player: Option<&str>) -> (QuestScope, String) {
        match (team, player) {
            (Some(t), _) => (QuestScope::Team, t.to_string()),
            (None, Some(p)) => (QuestScope::Player, p.to_string()),
            (None, None) => (QuestScope::Quest, String::new()),
        }
    }
}

const WIDTH: usize = 8;

/// Of several updates of one key, the last (Postgres refuses an upsert
/// that touches a row twice in one statement). Updates the database
/// would refuse (a NUL character, which Postgres text cannot hold) are
/// logged and left out: progress is a view for the projector, and one bad
/// quest id must not fail the batch it is written with.
pub(crate) fn latest<'a>(
    updates: impl IntoIterator<Item = &'a QuestProgress>,
) -> Vec<&'a QuestProgress> {
    let mut last: HashMap<(&str, &str, &str, QuestScope, &str), &QuestProgress> = HashMap::new();
    let mut order = Vec::new();
    for u in updates {
        let texts = [&u.tenant, &u.game_id, &u.quest_id, &u.subject, &u.status];
        if texts.iter().any(|t| t.contains('\0')) {
            tracing::warn!(tenant = %u.tenant.escape_debug(), game = %u.game_id.escape_debug(), "quest progress with a NUL character not stored");
            continue;
        }
        let k = (
            u.tenant.as_str(),
            u.game_id.as_str(),
            u.quest_id.as_str(),
            u.scope,
            u.subject.as_str(),
        );
        if last.insert(k, u).is_none() {
            order.push(k);
        }
    }
    order.iter().map(|k| last[k]).collect()
}

/// Upserts `rows` progress rows, keeping a stored later offset. sqlx's
/// path and SQLite's batch writer (one row) share it.
pub(crate) fn upsert_sql(rows: usize) -> String {
    format!(
        "INSERT INTO quest_progress (tenant_id, game_id, quest_id, scope, subject, \
         status, stream_offset, updated_at_ms) VALUES {} \
         ON CONFLICT (tenant_id, game_id, quest_id, scope, subject) DO UPDATE SET \
         status = excluded.status, stream_offset = excluded.stream_offset, \
         updated_at_ms = excluded.updated_at_ms \
         WHERE quest_progress.stream_offset <= excluded.stream_offset",
        rows_placeholders(rows, WIDTH)
    )
}

/// Upserts `rows` (one per key, see [`latest`]) in `tx`; a stored later
/// offset is kept.
pub(crate) async fn upsert_progress(
    tx: &mut Transaction<'static, Any>,
    rows: &[&QuestProgress],
) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let sql = upsert_sql(chunk.len());
        let mut q = sqlx::query(&sql);
        for u in chunk {
            q = q
                .bind(&u.tenant)
                .bind(&u.game_id)
                .bind(&u.quest_id)
                .bind(u.scope.as_str())
                .bind(&u.subject)
                .bind(&u.status)
                .bind(u.offset)
                .bind(u.updated_at_ms);
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}

impl Store {
    /// Records the latest status per (quest, subject); of several updates
    /// of one key, the last wins, and a stored later offset is kept.
    #[tracing::instrument(skip_all)]
    pub async fn save_quest_progress<'a>(
        &self,
        updates: impl IntoIterator<Item = &'a QuestProgress>,
    ) -> Result<(), StoreError> {
        let rows = latest(updates);
        if rows.is_empty() {
            return Ok(());
        }
        self.retry
            .run("save_quest_progress", || async {
                let mut tx = begin(&self.pool).await?;
                upsert_progress(&mut tx, &rows).await?;
                commit(tx).await?;
                Ok(())
            })
            .await
    }

    /// A game's quest progress, by quest id then subject.
    #[tracing::instrument(skip(self))]
    pub async fn quest_progress(
        &self,
        tenant: &str,
        game_id: &str,
    ) -> Result<Vec<QuestProgress>, StoreError> {
        self.retry
            .run("quest_progress", || async {
                let rows = sqlx::query(
                    "SELECT quest_id, scope, subject, status, stream_offset, updated_at_ms \
                     FROM quest_progress WHERE tenant_id = $1 AND game_id = $2 \
                     ORDER BY quest_id, scope, subject",
                )
                .bind(tenant)
                .bind(game_id)
                .fetch_all(&self.pool)
                .await?;
                let out = rows
                    .iter()
                    .map(|r| {
                        Ok(QuestProgress {
                            tenant: tenant.to_string(),
                            game_id: game_id.to_string(),
                            quest_id: r.try_get("quest_id")?,
                            scope: QuestScope::parse(&r.try_get::<String, _>("scope")?),
                            subject: r.try_get("subject")?,
                            status: r.try_get("status")?,
                            offset: r.try_get("stream_offset")?,
                            updated_at_ms: r.try_get("updated_at_ms")?,
                        })
                    })
                    .collect::<Result<Vec<_>, sqlx::Error>>()?;
                Ok(out)
            })
            .await
    }
}
