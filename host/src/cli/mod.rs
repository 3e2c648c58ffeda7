//! The `veltrix` command line.

mod demo;
mod leaderboard;
mod new;
mod outbox;
mod serve;
mod topics;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use veltrix_artifacts::BUILTINS;
use veltrix_devtools::bench;
use veltrix_runtime::PluginHost;
use veltrix_runtime::check;
use veltrix_server::config::HostConfig;
use veltrix_streams::BackendKind;

/// Veltrix: a host for WebAssembly game types.
#[derive(Debug, Parser)]
#[command(name = "veltrix", version, about)]
pub struct Cli {
    /// Config file (TOML); every field also reads `VELTRIX_<SECTION>__<FIELD>`.
    #[arg(long, global = true, env = "VELTRIX_CONFIG")]
    pub config: Option<PathBuf>,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Top-level commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Game-type components: check, export.
    #[command(subcommand)]
    Plugin(PluginCmd),
    /// Benchmarks.
    #[command(subcommand)]
    Bench(BenchCmd),
    /// Stream topics.
    #[command(subcommand)]
    Topics(TopicsCmd),
    /// The transactional outbox: backlog, relay.
    #[command(subcommand)]
    Outbox(OutboxCmd),
    /// Leaderboards: rebuild from the ledger.
    #[command(subcommand)]
    Leaderboard(LeaderboardCmd),
    /// A simulated live event through the whole pipeline, in-process:
    /// six games, players in teams, client retries; checks the invariants.
    Demo(demo::DemoArgs),
    /// Start something new: `veltrix new game-type NAME` writes a game-type
    /// crate that builds, passes `plugin check` and plays as it is.
    #[command(subcommand)]
    New(NewCmd),
    /// Serve the HTTP API (`[api]`) until Ctrl-C.
    Serve {
        /// Listen address (default `api.listen`, 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<String>,
    },
}

/// `veltrix new ...`
#[derive(Debug, Subcommand)]
pub enum NewCmd {
    /// A game-type crate (rules, contract, schema, example config, tests,
    /// a scenario) in a directory of its own.
    GameType(new::NewGameTypeArgs),
}

/// `veltrix outbox ...`
#[derive(Debug, Subcommand)]
pub enum OutboxCmd {
    /// Backlog size and oldest pending row's age (exit 0).
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run a relay until Ctrl-C: publish outbox rows to the configured
    /// stream backend. Any number may run; one holds the lease at a time.
    Relay {
        /// Holder id in the lease row (default: host name + pid).
        #[arg(long)]
        id: Option<String>,
    },
}

/// `veltrix leaderboard ...`
#[derive(Debug, Subcommand)]
pub enum LeaderboardCmd {
    /// Replace the boards of every game with ledger rows (or of one game)
    /// with the fold of its ledger. Exit 0, or 1 when a row was refused.
    Rebuild {
        /// Only this tenant's game (with --game).
        #[arg(long, requires = "game")]
        tenant: Option<String>,
        /// Only this game (with --tenant).
        #[arg(long, requires = "tenant")]
        game: Option<String>,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `veltrix topics ...`
#[derive(Debug, Subcommand)]
pub enum TopicsCmd {
    /// Create every configured topic that is missing; report the others.
    /// Exit 0, or 2 when an existing topic's settings differ.
    Ensure {
        /// Print the reports as JSON.
        #[arg(long)]
        json: bool,
        /// Where: ensuring topics only means something on a broker, so this
        /// defaults to kafka whatever `streams.backend` says.
        #[arg(long, value_enum, default_value_t = BackendArg::Kafka)]
        backend: BackendArg,
    },
}

/// A stream backend on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendArg {
    /// The in-process log.
    Embedded,
    /// The `[kafka]` broker.
    Kafka,
    /// Both (benchmarks only).
    Both,
}

impl BackendArg {
    fn kinds(self) -> Vec<BackendKind> {
        match self {
            Self::Embedded => vec![BackendKind::Embedded],
            Self::Kafka => vec![BackendKind::Kafka],
            Self::Both => vec![BackendKind::Embedded, BackendKind::Kafka],
        }
    }
}

/// `veltrix plugin ...`
#[derive(Debug, Subcommand)]
pub enum PluginCmd {
    /// Validate components and run conformance; exit 0 only if all pass.
    Check(CheckArgs),
    /// Write the built-in game-type components to a directory.
    ExportBuiltins {
        /// Target directory (created if missing).
        dir: PathBuf,
    },
    /// Internal: the child process of a bounded check (see
    /// `check::isolate`). Caps its own memory, checks `component` as
    /// `request` says, prints the report as JSON.
    #[command(hide = true)]
    CheckWorker {
        /// The request (JSON: plugin limits, check options, memory cap).
        #[arg(long)]
        request: PathBuf,
        /// The component file.
        component: PathBuf,
    },
}

/// `veltrix plugin check` arguments.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Component files (`.wasm`).
    #[arg(required_unless_present = "builtins")]
    pub files: Vec<PathBuf>,
    /// Check the six built-in game types.
    #[arg(long)]
    pub builtins: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Generated actions in the robustness run (default: the upload
    /// check's `api.upload_check_actions`, so the CLI gives an upload's
    /// verdict).
    #[arg(long)]
    pub actions: Option<usize>,
    /// Seed of the conformance run (default: the upload check's).
    #[arg(long)]
    pub seed: Option<u64>,
    /// A scenario file (JSON: a config and steps with expected outcomes) to
    /// replay and assert; see docs/partners.md.
    #[arg(long)]
    pub scenario: Option<PathBuf>,
    /// Check in this process, without the time and memory budgets of
    /// `api.upload_check_timeout_ms` / `api.upload_check_memory_bytes`
    /// (by default each component is checked in a child process within
    /// them, like an upload).
    #[arg(long)]
    pub in_process: bool,
}

/// `veltrix bench ...`
#[derive(Debug, Subcommand)]
pub enum BenchCmd {
    /// The whole pipeline in-process under an open-loop load: accepted ->
    /// applied, quest update, reward on the stream, and where the time
    /// goes per stage; on Kafka also raw rdkafka produce -> consume at the
    /// same rate, with the Kafka target check.
    Pipeline(PipelineArgs),
    /// Each game type's apply through wasmtime vs natively.
    Plugins {
        /// Actions per game type.
        #[arg(long, default_value_t = 100_000)]
        actions: usize,
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Actions per call: 1 uses `apply`, more use `apply-batch`.
        #[arg(long, default_value_t = 1)]
        batch: usize,
        /// Also write a latency chart (SVG) to this file.
        #[arg(long)]
        svg: Option<PathBuf>,
    },
    /// Produce -> consume per family through our stream traits, and raw
    /// rdkafka on the same broker.
    Streams {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
        /// Records per family and backend.
        #[arg(long, default_value_t = 20_000)]
        messages: usize,
        /// Offered load in records/s (open loop); 0 sends as fast as
        /// possible (throughput, where latency is mostly queueing).
        #[arg(long, default_value_t = 0)]
        rate: u64,
        /// Which backends.
        #[arg(long, value_enum, default_value_t = BackendArg::Both)]
        backend: BackendArg,
    },
}

/// `veltrix bench pipeline` arguments.
#[derive(Debug, Args)]
pub struct PipelineArgs {
    /// embedded: in-process log, SQLite in a temp dir, embedded board;
    /// kafka: the configured Kafka, database and Redis (plus a raw
    /// rdkafka run at the same rate first).
    #[arg(long, value_enum, default_value_t = veltrix_devtools::demo::DemoBackend::Embedded)]
    pub backend: veltrix_devtools::demo::DemoBackend,
    /// Offered load, actions/s (open loop). The default suits a debug
    /// build on a small machine; the target is 100,000.
    #[arg(long, default_value_t = 1_000)]
    pub rate: u64,
    /// Seconds of offered load (the run then drains).
    #[arg(long, default_value_t = 20.0)]
    pub duration: f64,
    /// Games per built-in type.
    #[arg(long, default_value_t = bench::pipeline::DEFAULT_GAMES_PER_TYPE)]
    pub games_per_type: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also write the run's latency chart (SVG) to this file.
    #[arg(long)]
    pub svg: Option<PathBuf>,
}

/// Runs a parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    // The worker gets everything from its request: no config to load.
    if let Command::Plugin(PluginCmd::CheckWorker { request, component }) = &cli.command {
        return check::isolate::worker_main(request, component);
    }
    let config = HostConfig::load(cli.config.as_deref())?;
    match cli.command {
        Command::Plugin(PluginCmd::Check(args)) => plugin_check(&config, args),
        Command::Plugin(PluginCmd::CheckWorker { .. }) => unreachable!("handled above"),
        Command::Plugin(PluginCmd::ExportBuiltins { dir }) => {
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            for b in &BUILTINS {
                let path = dir.join(format!("{}.wasm", b.name));
                std::fs::write(&path, b.wasm)
                    .with_context(|| format!("writing {}", path.display()))?;
                println!("{} ({} bytes)", path.display(), b.wasm.len());
            }
            Ok(0)
        }
        Command::Bench(BenchCmd::Plugins {
            actions,
            json,
            svg,
            batch,
        }) => {
            anyhow::ensure!(batch >= 1, "--batch must be at least 1");
            let host = PluginHost::new(config.plugins)?;
            let baseline_us = bench::plugins::baseline_us(&host, actions)?;
            let rows = bench::plugins::run(&host, actions, batch)?;
            if json {
                let out = serde_json::json!({ "host_call_overhead_p50_us": baseline_us, "game_types": rows });
                println!("{}", serde_json::to_string_pretty(&out)?);
            } else {
                print!("{}", bench::plugins::table(&rows));
                println!("host cost of one call (probe `noop`, p50): {baseline_us:.2} us");
            }
            if let Some(path) = svg {
                std::fs::write(&path, bench::svg::render(&rows, baseline_us))
                    .with_context(|| format!("writing {}", path.display()))?;
                eprintln!("chart written to {}", path.display());
            }
            Ok(0)
        }
        Command::Bench(BenchCmd::Streams {
            json,
            messages,
            rate,
            backend,
        }) => {
            anyhow::ensure!(messages >= 1, "--messages must be at least 1");
            let rows = runtime()?.block_on(bench::streams::run(
                &config,
                &backend.kinds(),
                messages,
                rate,
            ))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                print!("{}", bench::streams::table(&rows));
            }
            Ok(0)
        }
        Command::Bench(BenchCmd::Pipeline(a)) => {
            anyhow::ensure!(a.duration > 0.0, "--duration must be positive");
            let report = runtime()?.block_on(bench::pipeline::run(
                &config,
                a.backend,
                a.rate,
                std::time::Duration::from_secs_f64(a.duration),
                a.games_per_type,
            ))?;
            if a.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", bench::pipeline::table(&report));
            }
            if let Some(path) = &a.svg {
                std::fs::write(path, bench::pipeline::chart::render(&report))
                    .with_context(|| format!("writing {}", path.display()))?;
                eprintln!("chart written to {}", path.display());
            }
            Ok(0)
        }
        Command::Topics(TopicsCmd::Ensure { json, backend }) => {
            topics::ensure(&config, json, backend)
        }
        Command::Outbox(OutboxCmd::Status { json }) => outbox::status(&config, json),
        Command::Outbox(OutboxCmd::Relay { id }) => outbox::relay(&config, id),
        Command::Serve { listen } => serve::serve(&config, listen),
        Command::Leaderboard(LeaderboardCmd::Rebuild { tenant, game, json }) => {
            leaderboard::rebuild(&config, tenant.zip(game), json)
        }
        Command::Demo(args) => demo::demo(&config, args),
        Command::New(NewCmd::GameType(args)) => new::run(&args),
    }
}

pub(crate) fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn plugin_check(config: &HostConfig, args: CheckArgs) -> anyhow::Result<i32> {
    let host = PluginHost::new(config.plugins.clone())?;
    // The upload's options (counts, seed, reward types) unless told
    // otherwise: the same code with the same inputs gives the same verdict.
    let mut opts = config.upload_check_options();
    if let Some(n) = args.actions {
        opts.random_actions = n;
    }
    if let Some(seed) = args.seed {
        opts.seed = seed;
    }
    if let Some(path) = &args.scenario {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        opts.scenario = Some(
            serde_json::from_str(&text)
                .with_context(|| format!("{} is not a scenario", path.display()))?,
        );
    }
    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    for f in &args.files {
        let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
        inputs.push((f.display().to_string(), bytes));
    }
    if args.builtins {
        inputs.extend(
            BUILTINS
                .iter()
                .map(|b| (format!("builtin:{}", b.name), b.wasm.to_vec())),
        );
    }
    // Each component in a child within the upload budgets, unless asked
    // otherwise: the CLI is how partners reproduce an upload's verdict.
    let binary = (!args.in_process)
        .then(|| std::env::current_exe().context("locating this executable"))
        .transpose()?;
    let rt = runtime()?;
    let budget = config.api.upload_check_budget();
    let mut all_passed = true;
    let mut reports = Vec::new();
    for (name, bytes) in inputs {
        let report = match &binary {
            None => check::check(&host, &bytes, &opts),
            Some(bin) => match rt.block_on(check::isolate::run_in_child(
                bin,
                &bytes,
                host.limits(),
                &opts,
                budget,
            )) {
                Ok(r) => r,
                Err(e) => check::CheckReport::refused(&bytes, e.to_string()),
            },
        };
        all_passed &= report.passed;
        if !args.json {
            println!(
                "{name}: {} ({})",
                if report.passed { "PASS" } else { "FAIL" },
                report.game_type.as_deref().unwrap_or("not loaded")
            );
            for s in &report.steps {
                println!(
                    "  [{}] {:<10} {}",
                    if s.passed { "ok" } else { "!!" },
                    s.name,
                    s.detail
                );
            }
            if !report.kinds.is_empty() {
                println!(
                    "  {:<14} {:>8} {:>9} {:>8} {:>8}  top rejections",
                    "kind", "applied", "rejected", "refused", "faulted"
                );
                for k in &report.kinds {
                    let sum = |m: &std::collections::BTreeMap<String, u64>| m.values().sum::<u64>();
                    let mut top: Vec<_> = k.rejected.iter().collect();
                    top.sort_by(|a, b| b.1.cmp(a.1));
                    let top: Vec<String> = top
                        .iter()
                        .take(3)
                        .map(|(c, n)| format!("{c} {n}"))
                        .collect();
                    println!(
                        "  {:<14} {:>8} {:>9} {:>8} {:>8}  {}",
                        k.kind,
                        k.applied,
                        sum(&k.rejected),
                        sum(&k.refused),
                        k.faulted,
                        top.join(", ")
                    );
                }
            }
        }
        reports.push(serde_json::json!({ "file": name, "report": report }));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&reports)?);
    }
    Ok(if all_passed { 0 } else { 1 })
}
