//! Per-quest progress for the projector: each quest's latest status per
//! team (and per player, in games without teams), from the store's
//! `quest_progress` rows, which the processor writes with each batch's
//! outcomes. The status words are the game type's own (`solved`,
//! `captured`, `submitted`...); the page decides which read as done.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiError, AppState};
use veltrix_store::QuestScope;

/// One quest on the projector.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct QuestRow {
    /// The quest id (the game type's).
    pub quest_id: String,
    /// The quest's own latest status (an update naming no team or
    /// player: a round opened, a challenge released), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Latest status per team id.
    #[serde(default)]
    pub teams: BTreeMap<String, String>,
    /// Latest status per player id (updates naming a player, no team).
    #[serde(default)]
    pub players: BTreeMap<String, String>,
}

/// A game's quests, by quest id.
pub async fn of_game(
    state: &AppState,
    tenant: &str,
    game: &str,
) -> Result<Vec<QuestRow>, ApiError> {
    let rows = state.store.quest_progress(tenant, game).await?;
    Ok(group(
        rows.into_iter()
            .map(|r| (r.quest_id, r.scope, r.subject, r.status)),
    ))
}

/// Rows (quest, scope, subject, status), sorted by quest, as one entry per
/// quest.
fn group(rows: impl Iterator<Item = (String, QuestScope, String, String)>) -> Vec<QuestRow> {
    let mut out: Vec<QuestRow> = Vec::new();
    for (quest, scope, subject, status) in rows {
        if out.last().is_none_or(|q| q.quest_id != quest) {
            out.push(QuestRow {
                quest_id: quest,
                ..QuestRow::default()
            });
        }
        let q = out.last_mut().expect("pushed above");
        match scope {
            QuestScope::Team => {
                q.teams.insert(subject, status);
            }
            QuestScope::Player => {
                q.players.insert(subject, status);
            }
            QuestScope::Quest => q.status = Some(status),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_group_by_quest() {
        let r = |q: &str, s: QuestScope, who: &str, st: &str| {
            (q.to_string(), s, who.to_string(), st.to_string())
        };
        let got = group(
            [
                r("a", QuestScope::Quest, "", "open"),
                r("a", QuestScope::Team, "blue", "solved"),
                r("a", QuestScope::Team, "red", "incorrect"),
                r("b", QuestScope::Player, "ann", "submitted"),
            ]
            .into_iter(),
        );
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].status.as_deref(), Some("open"));
        assert_eq!(got[0].teams["blue"], "solved");
        assert_eq!(got[0].teams["red"], "incorrect");
        assert!(got[0].players.is_empty());
        assert_eq!(got[1].quest_id, "b");
        assert_eq!(got[1].players["ann"], "submitted");
        assert_eq!(got[1].status, None);
    }
}
