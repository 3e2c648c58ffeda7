//! Round announcements and closing: the round ranking, placement bonuses and
//! the `closed` quest update that puts the finished round on the
//! leaderboard at once.

use serde::Serialize;
use veltrix_sdk::{Effects, QuestUpdate};

use crate::round::Round;
use crate::state::State;

/// Most ranking rows a `closed` update lists (the rest are counted).
pub const MAX_RANKING_ROWS: usize = 50;

/// A quest update about a whole round (no team, no player).
fn round_update(quest_id: String, status: &str, detail: String) -> QuestUpdate {
    QuestUpdate {
        quest_id,
        status: status.into(),
        team: None,
        player: None,
        detail,
    }
}

/// Quest id of round `n`.
pub fn round_quest(n: u32) -> String {
    format!("round-{n}")
}

/// Quest id of task `task` of round `n`.
pub fn task_quest(n: u32, task: &str) -> String {
    format!("round-{n}/{task}")
}

#[derive(Serialize)]
struct TaskInfo<'a> {
    id: &'a str,
    points: i64,
    needs_answer: bool,
}

#[derive(Serialize)]
struct Announce<'a> {
    round: u32,
    start_ms: i64,
    end_ms: i64,
    floor_percent: u8,
    tasks: Vec<TaskInfo<'a>>,
}

/// The update announcing round `r` with `status` (`scheduled` or `open`):
/// its window and tasks, never the answers.
pub fn announce(r: &Round, status: &str) -> QuestUpdate {
    let tasks = r
        .tasks
        .iter()
        .enumerate()
        .map(|(k, t)| TaskInfo {
            id: r.task_id(k),
            points: t.points,
            needs_answer: r.needs_answer(&t),
        })
        .collect();
    let detail = Announce {
        round: r.number,
        start_ms: r.start_ms,
        end_ms: r.end_ms,
        floor_percent: r.floor_percent,
        tasks,
    };
    round_update(
        round_quest(r.number),
        status,
        serde_json::to_string(&detail).unwrap_or_else(|_| "{}".into()),
    )
}

/// The update of a scheduled round going live.
pub fn opened(r: &Round) -> QuestUpdate {
    announce(r, "open")
}

#[derive(Serialize)]
struct Place<'a> {
    place: usize,
    team: &'a str,
    score: i64,
    bonus: i64,
}

#[derive(Serialize)]
struct Closed<'a> {
    round: u32,
    closed_at_ms: i64,
    teams: usize,
    ranking: Vec<Place<'a>>,
}

/// Moves rounds along the clock to `now`: a scheduled round whose start
/// has come goes live (`open` update); a round whose window has passed
/// closes at its end, ranked and paid at once; when the game is over
/// every round closes at the game's end. Runs on every accepted action,
/// so a `tick` from the host closes rounds even when nobody plays.
pub fn settle(s: &mut State, now: i64, fx: &mut Effects) {
    let game_end = s.game_end(now);
    let mut i = 0;
    while i < s.rounds.len() {
        let r = &mut s.rounds[i];
        let stop = State::stop(r, game_end);
        if !r.live && now >= r.start_ms && r.start_ms < stop {
            r.live = true;
            fx.quest_update(opened(r));
        }
        if now >= r.end_ms || game_end.is_some() {
            let round = s.rounds.remove(i);
            close(s, round, stop.min(now), fx);
        } else {
            i += 1;
        }
    }
}

/// Closes round `r` at game time `at_ms`: ranks its teams (score, then who
/// reached it first), pays the placement bonuses (reward
/// `place:<round>:<team>`, credited to the team's last scorer in the round,
/// at the close time) and publishes the final ranking as `closed`.
pub fn close(s: &mut State, r: Round, at_ms: i64, fx: &mut Effects) {
    let ranking = r.ranking();
    let mut bonuses = Vec::with_capacity(ranking.len());
    for (i, e) in ranking.iter().enumerate() {
        let bonus = s.settings.placement_bonus.get(i).copied().unwrap_or(0);
        bonuses.push(bonus);
        if bonus == 0 {
            continue;
        }
        let t = e.team as usize;
        let team = s.teams.name(t);
        fx.award_to(
            format!("place:{}:{team}", r.number),
            "bonus",
            s.teams.player_name(e.player),
            (!s.teams.is_solo(t)).then_some(team),
            bonus,
            format!("place {} in round {}", i + 1, r.number),
            at_ms,
        );
        s.teams
            .update(t, |score| score.0 = score.0.saturating_add(bonus));
    }
    let detail = Closed {
        round: r.number,
        closed_at_ms: at_ms,
        teams: ranking.len(),
        ranking: ranking
            .iter()
            .zip(bonuses)
            .take(MAX_RANKING_ROWS)
            .enumerate()
            .map(|(i, (e, bonus))| Place {
                place: i + 1,
                team: s.teams.name(e.team as usize),
                score: e.score,
                bonus,
            })
            .collect(),
    };
    fx.quest_update(round_update(
        round_quest(r.number),
        "closed",
        serde_json::to_string(&detail).unwrap_or_else(|_| "{}".into()),
    ));
}
