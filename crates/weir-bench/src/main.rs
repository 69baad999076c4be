//! # weir-bench: weir's benchmark driver
//!
//! `weir-bench list` shows the workloads; `weir-bench run <workload> [--parallelism P]
//! [--events N] [--keys K] [--slide MS] [--rate R] [-D key=value]...` builds one workload's job, runs it once on the
//! embedded mini-cluster and prints one `RESULT` line (see [`report`]): the wall time of
//! `env.execute`, the throughput, the process's CPU time during the run and its peak RSS. A
//! scenario workload (`restore`) runs its own jobs and adds its own figures to the line; the
//! Nexmark queries ([`nexmark`], `nexmark-q0` …) add throughput per core and, at a fixed
//! `--rate`, end-to-end latency.
//! Repeat runs from the shell and take the median (`BENCHMARKS.md` shows how); `weir-bench
//! summarize` does that for a checkpoint-cost series ([`summary`], `scripts/checkpoint-cost.sh`).
//! The `recovery` workload runs its job in child processes of this same executable (the hidden
//! `recovery-job` subcommand), so that it can kill them.
//!
//! It is **not** a test suite (workloads check only that the source emitted every event), not a
//! micro-benchmark harness (no warm-up or statistics; criterion benches belong in `benches/`),
//! and not a profiler. Its I/O: stdout for the report lines, stderr for warnings, `getrusage` and
//! `/proc/self/status` for measurements ([`measure`]).

mod measure;
mod nexmark;
mod report;
mod summary;
mod workloads;

use anyhow::{Context, bail, ensure};
use clap::{Parser, Subcommand};
use measure::{ResourceUsage, RssSampler};
use report::{CheckpointFigures, QueryFigures, RssReport, RunReport};
use std::io::Read;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use weir_core::config::Configuration;
use weir_runtime::StreamExecutionEnvironment;
use weir_runtime::config::{PARALLELISM, PROGRESS, describe_options};
use workloads::{Probe, Run, ScenarioFigures, Workload, WorkloadParams};

/// How often `slow-sink` samples the RSS.
const RSS_SAMPLE_INTERVAL: Duration = Duration::from_millis(100);

#[derive(Debug, Parser)]
#[command(name = "weir-bench", about = "weir's benchmark driver: named workloads, one RESULT line per run")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Lists the workloads with one-line descriptions.
    List,
    /// Runs one workload once and prints its RESULT line.
    Run(RunArgs),
    /// Summarizes RESULT lines (files, or stdin) per workload and checkpoint configuration: a
    /// table and one CELL line per cell, with the cost of checkpointing against off.
    Summarize(SummarizeArgs),
    /// The job process of the `recovery` workload, which starts and kills it (not for use by
    /// hand).
    #[command(hide = true)]
    RecoveryJob(RecoveryJobArgs),
}

#[derive(Debug, clap::Args)]
struct SummarizeArgs {
    /// Files with RESULT lines (other lines are skipped) [default: stdin].
    files: Vec<std::path::PathBuf>,
}

#[derive(Debug, clap::Args)]
struct RecoveryJobArgs {
    #[arg(long, value_parser = parse_keys)]
    keys: u64,
    /// Report when the record with this index (or a later one) has been processed.
    #[arg(long, value_name = "INDEX")]
    caught_up_at: Option<u64>,
    /// The job's configuration, every key (repeatable).
    #[arg(short = 'D', value_name = "KEY=VALUE")]
    define: Vec<String>,
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// The workload (see `list`).
    #[arg(value_parser = workloads::find)]
    workload: &'static Workload,
    /// Parallelism of every operator (at least 1; at most the slots, by default the cores).
    #[arg(short = 'p', long, default_value_t = 1, value_parser = parse_parallelism)]
    parallelism: usize,
    /// Records the source emits [default: per workload, see `list`].
    #[arg(long, value_parser = parse_events)]
    events: Option<u64>,
    /// Distinct keys (keyed-count, tumbling, sliding, session, restore) [default: per workload,
    /// 10000; restore: 2000000].
    #[arg(long, value_parser = parse_keys)]
    keys: Option<u64>,
    /// The slide of the sliding workload's 10 s windows in milliseconds (ignored by the others).
    #[arg(long, value_name = "MS", default_value_t = 1_000, value_parser = parse_slide)]
    slide: u64,
    /// Events per second the source emits in total, for the Nexmark workloads, which then
    /// measure end-to-end latency (others refuse it) [default: as fast as the job goes].
    #[arg(long, value_name = "EVENTS_PER_S", value_parser = parse_rate)]
    rate: Option<u64>,
    /// A runtime configuration override, e.g. `-D execution.batch-size=4096` (repeatable).
    #[arg(short = 'D', value_name = "KEY=VALUE")]
    define: Vec<String>,
}

fn parse_parallelism(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err("the parallelism must be at least 1".into()),
        Ok(p) => Ok(p),
        Err(_) => Err("expected a whole number of subtasks, at least 1".into()),
    }
}

fn parse_events(text: &str) -> Result<u64, String> {
    match text.replace('_', "").parse::<u64>() {
        Ok(0) => Err("a run needs at least 1 event".into()),
        Ok(n) => Ok(n),
        Err(_) => Err("expected a whole number of events, e.g. 50000000 or 50_000_000".into()),
    }
}

fn parse_keys(text: &str) -> Result<u64, String> {
    match text.replace('_', "").parse::<u64>() {
        Ok(0) => Err("there must be at least 1 key".into()),
        Ok(n) => Ok(n),
        Err(_) => Err("expected a whole number of keys".into()),
    }
}

fn parse_slide(text: &str) -> Result<u64, String> {
    match text.replace('_', "").parse::<u64>() {
        Ok(0) => Err("the slide must be at least 1 ms".into()),
        Ok(n) => Ok(n),
        Err(_) => Err("expected a whole number of milliseconds, e.g. 1000".into()),
    }
}

fn parse_rate(text: &str) -> Result<u64, String> {
    match text.replace('_', "").parse::<u64>() {
        Ok(0) => Err("the rate must be at least 1 event per second".into()),
        Ok(n) => Ok(n),
        Err(_) => Err("expected a whole number of events per second, e.g. 1000000 or 1_000_000".into()),
    }
}

fn main() -> ExitCode {
    weir_runtime::limit_malloc_arenas();
    let outcome = match Cli::parse().command {
        Command::List => {
            list();
            Ok(())
        }
        Command::Run(args) => run(&args),
        Command::Summarize(args) => summarize(&args),
        Command::RecoveryJob(args) => recovery_job(&args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The chain of causes on one line, without anyhow's backtrace (noise for a user error).
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn list() {
    let width = workloads::WORKLOADS.iter().map(|w| w.name.len()).max().unwrap_or(0);
    for w in workloads::WORKLOADS {
        println!("{:<width$}  {}  [default --events {}]", w.name, w.description, w.default_events);
    }
}

fn summarize(args: &SummarizeArgs) -> anyhow::Result<()> {
    let mut text = String::new();
    if args.files.is_empty() {
        std::io::stdin().read_to_string(&mut text).context("reading stdin")?;
    }
    for file in &args.files {
        text += &std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        text.push('\n');
    }
    print!("{}", summary::Summary::from_text(&text)?.render());
    Ok(())
}

fn recovery_job(args: &RecoveryJobArgs) -> anyhow::Result<()> {
    let mut conf = Configuration::new();
    for define in &args.define {
        conf.set_override(define)?;
    }
    workloads::recovery::job::run(conf, args.keys, args.caught_up_at)
}

/// The job's configuration: progress off, then the `-D` overrides, then `--parallelism`.
fn configuration(args: &RunArgs) -> anyhow::Result<Configuration> {
    let mut conf = Configuration::new();
    conf.set(PROGRESS.key, "false");
    let known: Vec<&str> = describe_options().into_iter().map(|(key, _, _)| key).collect();
    for define in &args.define {
        conf.set_override(define)?;
        let key = define.split_once('=').map_or(define.as_str(), |(key, _)| key).trim();
        if key == PARALLELISM.key {
            bail!("-D {define}: set the parallelism with --parallelism, which the RESULT line reports");
        }
        if !known.contains(&key) {
            eprintln!("warning: -D {define}: '{key}' is not a known runtime option and may have no effect");
        }
    }
    conf.set(PARALLELISM.key, args.parallelism.to_string());
    Ok(conf)
}

fn run(args: &RunArgs) -> anyhow::Result<()> {
    let workload = args.workload;
    if args.rate.is_some() && !workload.run.takes_rate() {
        bail!("--rate applies to the Nexmark workloads only, not to {}", workload.name);
    }
    let params = WorkloadParams {
        slide: Duration::from_millis(args.slide),
        rate: args.rate,
        ..WorkloadParams::new(
            args.events.unwrap_or(workload.default_events),
            args.keys.unwrap_or(workload.default_keys),
            args.parallelism,
        )
    };
    let conf = configuration(args)?;
    let sampler = if workload.samples_rss { Some(RssSampler::start(RSS_SAMPLE_INTERVAL)?) } else { None };
    let (report, phases) = match workload.run {
        Run::Job(build) => (run_job(workload, |env, params| build(env, params).map(|()| None), conf, &params)?, None),
        Run::ProbedJob(build) => (run_job(workload, |env, params| build(env, params).map(Some), conf, &params)?, None),
        Run::Scenario(scenario) => run_scenario(workload, scenario, &conf, &params)?,
    };
    let samples = sampler.map(RssSampler::finish);
    println!("{report}");
    if let Some(phases) = phases {
        println!("{phases}");
    }
    if let Some(samples_mb) = samples {
        println!("{}", RssReport { workload: workload.name, samples_mb });
    }
    Ok(())
}

/// Runs the job `build` makes once and measures `env.execute`; with a probe, adds what it
/// measured.
fn run_job(
    workload: &'static Workload,
    build: impl FnOnce(&StreamExecutionEnvironment, &WorkloadParams) -> anyhow::Result<Option<Probe>>,
    conf: Configuration,
    params: &WorkloadParams,
) -> anyhow::Result<RunReport> {
    let env = StreamExecutionEnvironment::with_config(conf);
    let probe = build(&env, params).with_context(|| format!("building the {} workload", workload.name))?;
    let checkpointing = env.checkpoint_config().get().context("reading the checkpoint configuration")?;

    let before = ResourceUsage::now()?;
    let started = Instant::now();
    let executed = env.execute(&format!("weir-bench {}", workload.name));
    let elapsed = started.elapsed();
    let after = ResourceUsage::now()?;
    let result = executed.with_context(|| format!("the {} workload failed", workload.name))?;

    let emitted: u64 = result.operators.iter().filter(|o| o.name.starts_with("Source:")).map(|o| o.records_out).sum();
    ensure!(
        emitted == params.events,
        "the {} workload's source emitted {emitted} records instead of {}",
        workload.name,
        params.events
    );
    let query = match probe {
        Some(probe) => {
            let late: u64 = result.operators.iter().map(|o| o.late_records_dropped).sum();
            ensure!(
                late == 0,
                "the {} workload dropped {late} late records: its results are incomplete",
                workload.name
            );
            let outputs = result.operators.iter().filter(|o| o.name.starts_with("Sink:")).map(|o| o.records_in).sum();
            Some(QueryFigures { outputs, rate: params.rate, latency: probe.latency.map(|l| l.summary()) })
        }
        None => None,
    };
    Ok(RunReport {
        workload: workload.name,
        parallelism: params.parallelism,
        events: params.events,
        seconds: elapsed.as_secs_f64(),
        cpu_seconds: after.cpu.saturating_sub(before.cpu).as_secs_f64(),
        peak_rss_mb: after.max_rss_kib as f64 / 1024.0,
        checkpoints: checkpointing
            .interval
            .map(|interval| CheckpointFigures::from_history(interval, checkpointing.mode, &result.checkpoints)),
        restore: None,
        recovery: None,
        incremental: None,
        query,
    })
}

/// Runs a scenario once; the CPU time is the process's and its ended children's over the whole
/// scenario, the peak RSS the larger of the process's and its largest child's.
fn run_scenario(
    workload: &'static Workload,
    scenario: fn(&Configuration, &WorkloadParams) -> anyhow::Result<workloads::ScenarioOutcome>,
    conf: &Configuration,
    params: &WorkloadParams,
) -> anyhow::Result<(RunReport, Option<String>)> {
    let (before, children_before) = (ResourceUsage::now()?, ResourceUsage::children()?);
    let outcome = scenario(conf, params).with_context(|| format!("the {} workload failed", workload.name))?;
    let (after, children_after) = (ResourceUsage::now()?, ResourceUsage::children()?);
    let cpu = after.cpu.saturating_sub(before.cpu) + children_after.cpu.saturating_sub(children_before.cpu);
    let (mut restore, mut recovery, mut incremental, mut checkpoints, mut phases) = (None, None, None, None, None);
    match outcome.figures {
        ScenarioFigures::Restore { restore: figures, savepoint_phases } => {
            restore = Some(figures);
            phases = savepoint_phases.map(|p| p.to_string());
        }
        ScenarioFigures::Recovery { recovery: figures, phases: recovery_phases } => {
            recovery = Some(figures);
            phases = Some(recovery_phases.to_string());
        }
        ScenarioFigures::Incremental { incremental: figures, checkpoints: measured } => {
            incremental = Some(figures);
            checkpoints = Some(measured);
        }
    }
    let report = RunReport {
        workload: workload.name,
        parallelism: params.parallelism,
        events: outcome.events,
        seconds: outcome.seconds,
        cpu_seconds: cpu.as_secs_f64(),
        peak_rss_mb: after.max_rss_kib.max(children_after.max_rss_kib) as f64 / 1024.0,
        checkpoints,
        restore,
        recovery,
        incremental,
        query: None,
    };
    Ok((report, phases))
}
