//! `apply-batch` in the processor: a game's queued actions in one plugin
//! call answer, mint, end and leave the state exactly as one `apply` per
//! action does, for every built-in.

use super::*;

/// What one run of a game left: the answers, the ledger, the stored
/// status and state, and how many actions went through `apply-batch`.
#[derive(Debug, PartialEq)]
struct Run {
    answers: Vec<ActionResult>,
    ledger: Vec<(String, String, i64)>,
    status: String,
    state: Vec<u8>,
}

async fn run(rig: &mut Rig, ty: &str, game: &str, min: usize) -> Result<(Run, u64)> {
    let (config, actions) = sample(ty, 150);
    rig.cfg.processor.apply_batch_min = min;
    // Queued before the loop starts: its polls hold several of them.
    let p = rig.unstarted(rig.board.clone())?;
    p.create_game(TENANT, game, ty, &config, 9).await?;
    let submitted = submit_all(&p, game, actions).await?;
    p.start().await?;
    let answers = outcomes(submitted)
        .await?
        .into_iter()
        .map(|o| o.result)
        .collect();
    let batched = p.stats().batched;
    // Shutdown snapshots the game: its state as the run left it.
    p.shutdown().await;
    let status = rig
        .store
        .game(TENANT, game)
        .await?
        .context("game row")?
        .status;
    let state = rig
        .store
        .snapshot(TENANT, game)
        .await?
        .context("snapshot")?
        .state;
    let ledger = ledger_facts(&rig.store, game).await?;
    Ok((
        Run {
            answers,
            ledger,
            status,
            state,
        },
        batched,
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_batch_answers_as_apply_one_by_one() -> Result<()> {
    let mut rig = Rig::new(1_000_000).await?;
    for b in &veltrix_artifacts::BUILTINS {
        let ty = b.name;
        let (each, none) = run(&mut rig, ty, &format!("{ty}-each"), 0).await?;
        let (batch, used) = run(&mut rig, ty, &format!("{ty}-batch"), 2).await?;
        ensure!(none == 0, "{ty}: apply_batch_min = 0 still batched {none}");
        ensure!(used > 0, "{ty}: no action went through apply-batch");
        ensure!(!each.ledger.is_empty(), "{ty}: the sample minted nothing");
        for (i, (a, b)) in each.answers.iter().zip(&batch.answers).enumerate() {
            ensure!(
                a == b,
                "{ty}: action {i} answered {a:?} one by one, {b:?} batched"
            );
        }
        ensure!(each == batch, "{ty}: one by one and batched runs differ");
    }
    Ok(())
}
