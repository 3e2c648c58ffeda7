//! What the relay published during a run, read back from the reward topics
//! between the end offsets recorded before the run and those after it (no
//! consumer group: independent of where a group would start, so it works
//! on a shared broker whose topics hold other runs' events).

use std::collections::HashSet;
use std::sync::Arc;

use anyhow::Context;

use veltrix_streams::{Family, Streams, StreamsConfig};

/// Records read per `Streams::read` call.
const READ_CHUNK: usize = 10_000;

/// End offset of every reward-topic partition at one moment.
#[derive(Debug, Clone)]
pub struct Marks(Vec<(String, u32, i64)>);

/// The current end offsets of the reward topics.
pub async fn marks(streams: &Arc<dyn Streams>, cfg: &StreamsConfig) -> anyhow::Result<Marks> {
    let mut out = Vec::new();
    for ty in &cfg.reward_types {
        let topic = cfg.topic(Family::Reward, ty);
        let n = streams
            .partitions(&topic)
            .await
            .with_context(|| format!("partitions of {topic}"))?;
        for p in 0..n {
            out.push((topic.clone(), p, streams.end_offset(&topic, p).await?));
        }
    }
    Ok(Marks(out))
}

/// Reward events published since `since` for `tenant`'s `games`:
/// (events, distinct reward ids).
pub async fn rewards_since(
    streams: &Arc<dyn Streams>,
    since: &Marks,
    tenant: &str,
    games: &HashSet<String>,
) -> anyhow::Result<(u64, HashSet<String>)> {
    let mut events = 0;
    let mut ids = HashSet::new();
    for (topic, p, from) in &since.0 {
        let end = streams.end_offset(topic, *p).await?;
        let mut at = *from;
        while at < end {
            let recs = streams
                .read(topic, *p, at, READ_CHUNK.min((end - at) as usize))
                .await
                .with_context(|| format!("reading {topic}/{p} at {at}"))?;
            let Some(last) = recs.last() else { break };
            at = last.offset + 1;
            for r in recs {
                if r.envelope.tenant != tenant {
                    continue;
                }
                let game = serde_json::from_slice::<serde_json::Value>(&r.envelope.payload)
                    .ok()
                    .and_then(|v| v.get("game_id").and_then(|g| g.as_str()).map(String::from));
                if game.is_some_and(|g| games.contains(&g)) {
                    events += 1;
                    ids.insert(r.envelope.event_id);
                }
            }
        }
    }
    Ok((events, ids))
}
