//! `weir run <JOB>`: assembles the configuration, runs a built-in job on the embedded
//! mini-cluster with live progress on stderr, serves the REST API (`weir-rest`) while the job
//! runs, and prints the job's result and answer. With `--detached` it starts itself in the
//! background instead (see [`super::detached`]).
//!
//! The API's port is bound before the job is submitted, so a taken port fails the run before
//! anything ran. Once the job ended the API stays up until every client that stopped or
//! cancelled the job has read the outcome it asked for (at most [`LINGER`]), then goes away with
//! the process.
//!
//! Configuration, in increasing priority: the runtime's defaults; `weir.progress = true` (the
//! command line wants progress even when stderr is not a terminal); the `--config` file; `-D`
//! overrides in the order given; `-p`; then `-s` and `-n` for `weir run`.

use super::{detached, print_stdout};
use crate::cli::{RestoreOptions, RunArgs, RunOptions};
use std::collections::BTreeSet;
use std::time::Duration;
use weir_core::config::Configuration;
use weir_rest::{JobRegistry, RestServer};
use weir_runtime::StreamExecutionEnvironment;
use weir_runtime::config::{
    PARALLELISM, PROGRESS, SAVEPOINT_IGNORE_UNCLAIMED_STATE, SAVEPOINT_PATH, describe_options, load_config_file,
};

/// How long the REST API outlives the job for clients coming back for an outcome they asked for.
pub const LINGER: Duration = Duration::from_secs(5);

/// Runs the job, serving the REST API meanwhile, and prints its result, then its answer.
pub fn execute(args: RunArgs) -> anyhow::Result<()> {
    if args.detached && !detached::is_background_run() {
        return detached::launch(&args);
    }
    let mut config = configuration(&args.options)?;
    apply_restore(&mut config, &args.restore);
    warn_unknown_keys(&config);
    let registry = JobRegistry::new();
    let server = RestServer::start(weir_rest::bind_address(&config)?, registry.clone())?;
    let env = StreamExecutionEnvironment::with_config(config);
    let submitted = args.job.submit(&env)?;
    let client = submitted.client.clone();
    registry.register(client.clone());
    eprintln!("REST API at http://{}", server.local_addr());
    if let Err(error) = detached::report_started(client.job_id(), server.local_addr()) {
        client.cancel();
        let _ = client.wait();
        return Err(error);
    }
    let outcome = submitted.wait();
    registry.wait_until_answered(LINGER);
    server.shutdown();
    let outcome = outcome?;
    print_stdout(&format!("{}\n{}", outcome.result, outcome.summary))
}

/// `-s` and `-n`: the snapshot to start from.
fn apply_restore(config: &mut Configuration, restore: &RestoreOptions) {
    if let Some(path) = &restore.from_savepoint {
        config.set(SAVEPOINT_PATH.key, path.display().to_string());
    }
    if restore.allow_non_restored_state {
        config.set(SAVEPOINT_IGNORE_UNCLAIMED_STATE.key, "true");
    }
}

/// The job's configuration from the command line (see the module docs for the priorities).
pub fn configuration(options: &RunOptions) -> anyhow::Result<Configuration> {
    let mut config = Configuration::new();
    config.set(PROGRESS.key, "true");
    if let Some(path) = &options.config {
        config.merge(&load_config_file(path)?);
    }
    for (key, value) in &options.defines {
        config.set(key.as_str(), value.as_str());
    }
    if let Some(parallelism) = options.parallelism {
        config.set(PARALLELISM.key, parallelism.to_string());
    }
    Ok(config)
}

/// Warns on stderr about every key no option of the runtime reads.
pub fn warn_unknown_keys(config: &Configuration) {
    for key in unknown_keys(config) {
        eprintln!("warning: unknown configuration key '{key}' is ignored (`weir config` lists the known keys)");
    }
}

/// The keys set in `config` that no option of the runtime reads (probably typos).
pub fn unknown_keys(config: &Configuration) -> Vec<String> {
    let known: BTreeSet<&str> = describe_options().into_iter().map(|(key, _, _)| key).collect();
    config.iter().map(|(key, _)| key).filter(|key| !known.contains(key)).map(str::to_string).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn later_sources_override_earlier_ones() -> anyhow::Result<()> {
        let mut file = tempfile::NamedTempFile::new()?;
        writeln!(file, "parallelism:\n  default: 3\nweir.progress: false\nexecution.batch-size: 64")?;
        let options = RunOptions {
            parallelism: Some(2),
            defines: vec![("execution.batch-size".into(), "128".into())],
            config: Some(file.path().to_path_buf()),
        };
        let config = configuration(&options)?;
        assert_eq!(config.get_raw(PARALLELISM.key), Some("2"));
        assert_eq!(config.get_raw(PROGRESS.key), Some("false"));
        assert_eq!(config.get_raw("execution.batch-size"), Some("128"));
        Ok(())
    }

    #[test]
    fn progress_is_on_by_default_and_typos_are_found() -> anyhow::Result<()> {
        let options = RunOptions { defines: vec![("paralelism.default".into(), "4".into())], ..RunOptions::default() };
        let config = configuration(&options)?;
        assert_eq!(config.get_raw(PROGRESS.key), Some("true"));
        assert_eq!(unknown_keys(&config), ["paralelism.default"]);
        Ok(())
    }

    #[test]
    fn a_missing_config_file_is_named() {
        let options = RunOptions { config: Some("/nonexistent/weir.yaml".into()), ..RunOptions::default() };
        let error = configuration(&options).expect_err("missing file");
        assert!(format!("{error:#}").contains("/nonexistent/weir.yaml"), "{error:#}");
    }
}
