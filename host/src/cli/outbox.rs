//! `veltrix outbox status` (backlog and oldest pending row, for operators
//! and scripts) and `veltrix outbox relay` (a relay process; any number may
//! run, the lease lets one publish at a time).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::sync::watch;

use super::runtime;
use veltrix_pipeline::outbox::Relay;
use veltrix_server::config::HostConfig;

/// Prints the outbox backlog.
pub(crate) fn status(config: &HostConfig, json: bool) -> anyhow::Result<i32> {
    let stats = runtime()?.block_on(async {
        let store = veltrix_server::open_store(config)
            .await
            .context("opening the store")?;
        let stats = store.outbox_stats().await.context("reading the outbox")?;
        store.close().await;
        anyhow::Ok(stats)
    })?;
    if json {
        println!(
            "{}",
            serde_json::json!({ "pending": stats.pending, "oldest_age_ms": stats.oldest_age_ms })
        );
    } else {
        println!(
            "outbox: {} pending, oldest {:.1} s",
            stats.pending,
            stats.oldest_age_ms as f64 / 1000.0
        );
    }
    Ok(0)
}

/// Runs a relay until Ctrl-C, logging its counters every few seconds.
pub(crate) fn relay(config: &HostConfig, id: Option<String>) -> anyhow::Result<i32> {
    let id = id.unwrap_or_else(|| {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
        format!("{}-{}", host.trim(), std::process::id())
    });
    runtime()?.block_on(async {
        let store = veltrix_server::open_store(config).await.context("opening the store")?;
        let s = veltrix_server::open_streams(&config.streams, &config.kafka, &config.database.url)
            .await
            .context("opening the stream backend")?;
        s.ensure(&config.streams.topics()).await.context("ensuring topics")?;
        let relay = Arc::new(Relay::new(store.clone(), s, config.outbox.clone(), id.clone()));
        let (stop, rx) = watch::channel(false);
        let r = relay.clone();
        let task = tokio::spawn(async move { r.run(rx).await });
        eprintln!("relay {id} running; Ctrl-C stops it");
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
                _ = tick.tick() => {
                    if let Ok(st) = relay.stats().await {
                        eprintln!(
                            "relay {id}: epoch {:?}, published {}, recovered {}, errors {}, backlog {} (oldest {} ms)",
                            st.epoch, st.published, st.recovered, st.errors,
                            st.backlog.pending, st.backlog.oldest_age_ms
                        );
                    }
                }
            }
        }
        stop.send(true).ok();
        task.await.context("relay task")?;
        store.close().await;
        anyhow::Ok(())
    })?;
    Ok(0)
}
