//! [`run`]: a Rust job binary run the way `weir run` runs a built-in job — the same flags
//! (`-p N`, `-D key=value`, `--config FILE`, `-s PATH`, `-n`, `-d/--detached`), the same REST API
//! while the job runs (`rest.port`, `rest.bind-address`), so `weir list|savepoint|stop|cancel`
//! control it like any other job.
//!
//! ```no_run
//! use weir_connectors::{BlackholeSink, DataGenSource};
//! use weir_runtime::prelude::*;
//!
//! fn main() -> anyhow::Result<()> {
//!     // `my-job -p 2 -D execution.checkpointing.interval=1s -s /savepoints/savepoint-1a2b3c-... -d`
//!     weir::job_binary::run("my job", |env, _own_args| {
//!         env.from_source(DataGenSource::new(|i| i % 100), "numbers")
//!             .uid("numbers")
//!             .key_by(|n: &u64| *n)
//!             .reduce(|a, b| a + b)
//!             .uid("sums")
//!             .sink_to(BlackholeSink::new());
//!         Ok(())
//!     })?;
//!     Ok(())
//! }
//! ```
//!
//! The flags are `StreamExecutionEnvironment::from_args`'s plus `-d/--detached` (taken out of
//! the arguments; a job's own flag cannot be `-d`). Arguments it does not know are the job's
//! own, handed to the builder. Its I/O: the REST API's socket, and for `--detached` a background
//! process and its log file (see [`crate::commands::detached`]).

use crate::commands::detached;
use crate::commands::run::LINGER;
use anyhow::Context;
use weir_rest::{JobRegistry, RestServer};
use weir_runtime::{JobExecutionResult, StreamExecutionEnvironment};

/// Parses this process's arguments, builds the job with `build(env, own_args)`, runs it while
/// serving the REST API, and returns its result. With `-d/--detached` it starts itself in the
/// background instead, prints the job's id and REST address once it runs, and returns `None`.
pub fn run(
    job_name: &str,
    build: impl FnOnce(&StreamExecutionEnvironment, &[String]) -> anyhow::Result<()>,
) -> anyhow::Result<Option<JobExecutionResult>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "-d" || a == "--detached") && !detached::is_background_run() {
        detached::launch_named(job_name)?;
        return Ok(None);
    }
    run_with_args(job_name, args, build).map(Some)
}

/// [`run`] with the arguments given, never detached (`-d/--detached` are ignored).
pub fn run_with_args(
    job_name: &str,
    args: Vec<String>,
    build: impl FnOnce(&StreamExecutionEnvironment, &[String]) -> anyhow::Result<()>,
) -> anyhow::Result<JobExecutionResult> {
    let args = args.into_iter().filter(|a| a != "-d" && a != "--detached");
    let (env, own_args) = StreamExecutionEnvironment::from_args(args)?;
    build(&env, &own_args).with_context(|| format!("cannot build job '{job_name}'"))?;
    let registry = JobRegistry::new();
    let server = RestServer::start(weir_rest::bind_address(&env.config())?, registry.clone())?;
    let client = env.execute_async(job_name)?;
    registry.register(client.clone());
    eprintln!("REST API at http://{}", server.local_addr());
    if let Err(error) = detached::report_started(client.job_id(), server.local_addr()) {
        client.cancel();
        let _ = client.wait();
        return Err(error);
    }
    let result = client.wait();
    registry.wait_until_answered(LINGER);
    server.shutdown();
    Ok(result?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use weir_connectors::{BlackholeSink, DataGenSource};
    use weir_runtime::JobStatus;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn a_job_binary_takes_weir_runs_flags_and_hands_over_its_own() -> anyhow::Result<()> {
        let mut seen = Vec::new();
        let result = run_with_args(
            "binary",
            args(&["-Drest.port=0", "-D", "weir.progress=false", "-p", "2", "--records", "500"]),
            |env, own| {
                seen = own.to_vec();
                let records: u64 = own.get(1).and_then(|n| n.parse().ok()).unwrap_or(0);
                env.from_source(DataGenSource::new(|i| i).with_count(records), "numbers")
                    .uid("numbers")
                    .sink_to(BlackholeSink::new());
                Ok(())
            },
        )?;
        assert_eq!(seen, ["--records", "500"]);
        assert_eq!(result.status, JobStatus::Finished);
        let source = result.operators.iter().find(|o| o.uid == "numbers");
        assert_eq!(source.map(|o| (o.parallelism, o.records_out)), Some((2, 500)));
        Ok(())
    }

    #[test]
    fn a_missing_savepoint_is_refused_naming_it() {
        let dir = tempfile::tempdir().expect("temp dir");
        let missing = dir.path().join("no-savepoint-here");
        let error = run_with_args(
            "binary",
            args(&["-Drest.port=0", "-Dweir.progress=false", "-s", &missing.display().to_string()]),
            |env, _| {
                env.from_source(DataGenSource::new(|i| i).with_count(10), "numbers").sink_to(BlackholeSink::new());
                Ok(())
            },
        )
        .expect_err("refused");
        assert!(format!("{error:#}").contains(&missing.display().to_string()), "{error:#}");
    }
}
