//! The check in a child process, bounded in time and memory.
//!
//! Compiling a component cannot be interrupted inside wasmtime, and its
//! memory is the host's own: a hostile component that passes the static
//! limits could still take minutes and gigabytes. So the check runs in
//! `veltrix plugin check-worker` (this same binary, re-executed), which
//! first caps its own data segment (`RLIMIT_DATA`, see [`limit_self`]) and
//! then checks the component named on its command line, printing the
//! [`CheckReport`] as JSON. The parent ([`run_in_child`]) waits at most the
//! time budget, then kills it (SIGKILL) and reaps it: when it returns, the
//! child is gone, whatever the verdict.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use thiserror::Error;
use tokio::io::AsyncReadExt;

use super::{CheckOptions, CheckReport};
use crate::{PluginHost, PluginLimits};

/// The hidden subcommand the parent runs (`veltrix plugin check-worker`).
pub const WORKER_ARGS: [&str; 2] = ["plugin", "check-worker"];

/// Most bytes of the worker's report read back; a report is a few KiB.
const MAX_REPORT_BYTES: u64 = 1 << 20;
/// Most bytes of the worker's stderr kept for the log.
const MAX_STDERR_BYTES: u64 = 16 << 10;
/// Warm instances one check uses at most (warm, fresh, batched and the
/// robustness worker): the worker's pool needs no more.
const WORKER_POOL_INSTANCES: u32 = 8;

/// The budget of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget {
    /// Wall-clock time, compile included.
    pub time: Duration,
    /// Bytes of data (heap, and linear memory made accessible).
    pub memory_bytes: u64,
}

/// What the worker is asked to do: the parent's plugin limits and check
/// options, so the child checks exactly as the parent would.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WorkerRequest {
    /// Plugin limits, `[plugins.component]` included.
    pub limits: PluginLimits,
    /// Conformance counts and seed.
    pub opts: CheckOptions,
    /// `RLIMIT_DATA` the worker sets on itself.
    pub memory_bytes: u64,
}

/// Why a check ended without a report. The messages are safe to show a
/// client: they name the budget and its config field, nothing internal.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum IsolateError {
    /// Still running at the end of its time budget: killed.
    #[error("the check exceeded its time budget of {ms} ms (`api.upload_check_timeout_ms`)")]
    Time {
        /// The budget.
        ms: u64,
    },
    /// Ran out of its memory budget (an allocation failed, and the worker
    /// aborted, or it was killed for memory).
    #[error(
        "the check exceeded its memory budget of {bytes} bytes (`api.upload_check_memory_bytes`)"
    )]
    Memory {
        /// The budget.
        bytes: u64,
    },
    /// The worker could not be started or answered nonsense (details are
    /// logged, not returned).
    #[error("the check worker failed")]
    Worker,
}

/// The worker's exit code when its memory cap, not the component's
/// validity, failed the load (wasmtime's own mappings answer ENOMEM rather
/// than aborting).
pub const OUT_OF_MEMORY_EXIT: i32 = 3;

/// `veltrix plugin check-worker --request <json> <component>`: runs in the
/// child. Caps its own memory first, then checks and prints the report;
/// returns the exit code.
pub fn worker_main(request: &Path, component: &Path) -> anyhow::Result<i32> {
    use anyhow::Context;
    let text = std::fs::read(request).with_context(|| format!("reading {}", request.display()))?;
    let req: WorkerRequest = serde_json::from_slice(&text).context("parsing the check request")?;
    limit_self(req.memory_bytes)?;
    let bytes =
        std::fs::read(component).with_context(|| format!("reading {}", component.display()))?;
    let mut limits = req.limits;
    limits.pool_instances = limits.pool_instances.min(WORKER_POOL_INSTANCES);
    let host = PluginHost::new(limits)?;
    let report = super::check(&host, &bytes, &req.opts);
    // Only the load step: a guest's own out-of-memory is a trap, reported
    // as such by the later steps.
    let load_oom = report
        .steps
        .iter()
        .any(|s| s.name == "load" && !s.passed && s.detail.contains("Cannot allocate memory"));
    if load_oom {
        eprintln!("out of memory while loading the component");
        return Ok(OUT_OF_MEMORY_EXIT);
    }
    serde_json::to_writer(std::io::stdout().lock(), &report).context("writing the report")?;
    Ok(0)
}

/// Caps this process's data segment and makes it die with its parent.
///
/// `RLIMIT_DATA`, not `RLIMIT_AS`: wasmtime reserves gigabytes of address
/// space per linear memory (inaccessible guard regions) that cost nothing,
/// so an address-space cap would either refuse every instance or have to
/// be set far above any real budget. Since Linux 4.7 `RLIMIT_DATA` counts
/// private writable mappings: the heap (cranelift's compile memory) and the
/// linear memory actually made accessible. Both calls are rustix's safe
/// wrappers, made by the worker on itself, so no `unsafe` `pre_exec` hook.
#[cfg(target_os = "linux")]
fn limit_self(memory_bytes: u64) -> anyhow::Result<()> {
    use rustix::process::{Resource, Rlimit, Signal, set_parent_process_death_signal, setrlimit};
    let cap = Rlimit {
        current: Some(memory_bytes),
        maximum: Some(memory_bytes),
    };
    setrlimit(Resource::Data, cap).map_err(|e| anyhow::anyhow!("setrlimit(RLIMIT_DATA): {e}"))?;
    // A parent that dies without killing us (SIGKILL, a crash) must not
    // leave a compile running.
    set_parent_process_death_signal(Some(Signal::KILL))
        .map_err(|e| anyhow::anyhow!("prctl(PR_SET_PDEATHSIG): {e}"))?;
    Ok(())
}

/// Elsewhere only the time budget holds (documented).
#[cfg(not(target_os = "linux"))]
fn limit_self(_memory_bytes: u64) -> anyhow::Result<()> {
    Ok(())
}

/// Runs the check of `bytes` in `binary` (`veltrix`), within `budget`.
/// Returns only once the child has exited and been reaped.
pub async fn run_in_child(
    binary: &Path,
    bytes: &[u8],
    limits: &PluginLimits,
    opts: &CheckOptions,
    budget: Budget,
) -> Result<CheckReport, IsolateError> {
    let started = Instant::now();
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "check worker: {what}");
        IsolateError::Worker
    };
    let dir = tempfile::tempdir().map_err(|e| fail("temp dir", &e))?;
    let (component, request) = (
        dir.path().join("component.wasm"),
        dir.path().join("request.json"),
    );
    let req = WorkerRequest {
        limits: limits.clone(),
        opts: opts.clone(),
        memory_bytes: budget.memory_bytes,
    };
    let req = serde_json::to_vec(&req).map_err(|e| fail("request", &e))?;
    tokio::fs::write(&component, bytes)
        .await
        .map_err(|e| fail("writing the component", &e))?;
    tokio::fs::write(&request, req)
        .await
        .map_err(|e| fail("writing the request", &e))?;

    let mut child = tokio::process::Command::new(binary)
        .args(WORKER_ARGS)
        .arg("--request")
        .arg(&request)
        .arg(&component)
        // The `veltrix` binary allocates with mimalloc, which on Linux
        // commits each 1 GiB arena up front when the kernel overcommits.
        // Committed private memory is what `RLIMIT_DATA` counts, so the
        // worker's cap would go to the allocator's reserve and wasmtime
        // could not map its pools: commit on use instead.
        .env("MIMALLOC_ARENA_EAGER_COMMIT", "0")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        // If this task is dropped (runtime shutdown), the child still dies.
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| fail("spawn", &e))?;
    let pid = child.id();
    let stdout = read_capped(child.stdout.take(), MAX_REPORT_BYTES);
    let stderr = read_capped(child.stderr.take(), MAX_STDERR_BYTES);

    let status = match tokio::time::timeout(budget.time, child.wait()).await {
        Ok(s) => s.map_err(|e| fail("wait", &e))?,
        Err(_) => {
            // SIGKILL, then reap: the compile stops now, not when it ends.
            let _ = child.start_kill();
            let _ = child.wait().await;
            tracing::warn!(
                pid,
                elapsed_ms = started.elapsed().as_millis() as u64,
                budget_ms = budget.time.as_millis() as u64,
                "check over its time budget: killed"
            );
            return Err(IsolateError::Time {
                ms: budget.time.as_millis() as u64,
            });
        }
    };
    let (stdout, stderr) = (
        stdout.await.unwrap_or_default(),
        stderr.await.unwrap_or_default(),
    );
    let stderr = String::from_utf8_lossy(&stderr);
    let elapsed_ms = started.elapsed().as_millis() as u64;
    if status.success()
        && let Ok(report) = serde_json::from_slice::<CheckReport>(&stdout)
    {
        tracing::debug!(pid, elapsed_ms, passed = report.passed, "check worker done");
        return Ok(report);
    }
    if out_of_memory(&status, &stderr) {
        tracing::warn!(pid, elapsed_ms, %status, budget_bytes = budget.memory_bytes,
            "check over its memory budget");
        return Err(IsolateError::Memory {
            bytes: budget.memory_bytes,
        });
    }
    tracing::error!(pid, elapsed_ms, %status, stderr = %stderr, "check worker failed");
    Err(IsolateError::Worker)
}

/// Whether the worker died of its memory cap: Rust aborts on a failed
/// allocation (after printing `memory allocation of N bytes failed`), and
/// the kernel's OOM killer sends SIGKILL.
fn out_of_memory(status: &std::process::ExitStatus, stderr: &str) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        const SIGKILL: i32 = 9;
        if status.signal() == Some(SIGKILL) {
            return true;
        }
    }
    if status.code() == Some(OUT_OF_MEMORY_EXIT) {
        return true;
    }
    stderr.contains("memory allocation of")
        || stderr.contains("out of memory")
        || stderr.contains("Cannot allocate memory")
}

/// Reads at most `cap` bytes of a pipe on its own task (a full pipe would
/// otherwise block the child).
fn read_capped<R>(pipe: Option<R>, cap: u64) -> tokio::task::JoinHandle<Vec<u8>>
where
    R: tokio::io::AsyncRead + Unpin + Send + 'static,
{
    tokio::spawn(async move {
        let mut buf = Vec::new();
        if let Some(p) = pipe {
            let _ = p.take(cap).read_to_end(&mut buf).await;
        }
        buf
    })
}

/// Which program runs the check: `configured` when set, else this
/// executable when it is `veltrix`; `None` means in-process (a test
/// harness or another program embedding the host cannot be re-executed as
/// `veltrix`).
pub fn check_binary(configured: &str) -> Option<PathBuf> {
    match configured {
        "in-process" => None,
        "" => std::env::current_exe()
            .ok()
            .filter(|p| p.file_stem().is_some_and(|s| s == "veltrix")),
        path => Some(PathBuf::from(path)),
    }
}
