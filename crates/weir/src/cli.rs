//! The command-line grammar of `weir` (clap derive): the verbs, the options every `weir run`
//! accepts, and the built-in jobs as subcommands of `run`, each with its own arguments.
//!
//! It is **not** where anything runs: [`crate::commands`] executes what is parsed here.

use crate::jobs::Job;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// weir: a stateful stream processor. Runs jobs on the embedded mini-cluster.
#[derive(Debug, Parser)]
#[command(name = "weir", version, propagate_version = true, arg_required_else_help = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The verbs.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a built-in job on the embedded mini-cluster, with live progress on stderr.
    Run(RunArgs),
    /// List the built-in jobs.
    Jobs,
    /// List the configuration keys, their defaults and what they do.
    Config,
}

/// `weir run [OPTIONS] <JOB> [JOB ARGS]`.
#[derive(Debug, Args)]
#[command(
    arg_required_else_help = true,
    disable_help_subcommand = true,
    subcommand_value_name = "JOB",
    subcommand_help_heading = "Jobs",
    after_help = "Options may come before or after the job name; `weir run <JOB> --help` shows the job's own arguments."
)]
pub struct RunArgs {
    #[command(flatten)]
    pub options: RunOptions,
    #[command(subcommand)]
    pub job: Job,
}

/// What every `weir run` accepts, whatever the job (Flink's `flink run` options).
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Run options")]
pub struct RunOptions {
    /// Default parallelism of the job's operators (overrides `parallelism.default`).
    #[arg(short = 'p', long = "parallelism", value_name = "N", global = true, value_parser = clap::value_parser!(u32).range(1..))]
    pub parallelism: Option<u32>,

    /// Set a configuration key, e.g. `-D weir.progress=false` (repeatable; see `weir config`).
    #[arg(short = 'D', value_name = "KEY=VALUE", global = true, value_parser = parse_key_value)]
    pub defines: Vec<(String, String)>,

    /// A YAML configuration file (Flink's `config.yaml` layout; nested or dotted keys).
    #[arg(short = 'c', long = "config", value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,

    /// Start from this savepoint or retained checkpoint: its directory or its `_metadata` (sets
    /// `execution.savepoint.path`).
    #[arg(short = 's', long = "from-savepoint", alias = "fromSavepoint", value_name = "PATH", global = true)]
    pub from_savepoint: Option<PathBuf>,

    /// Allow the snapshot to hold state of operators (uids) the job does not have; that state is
    /// dropped (sets `execution.savepoint.ignore-unclaimed-state`).
    #[arg(short = 'n', long = "allow-non-restored-state", alias = "allowNonRestoredState", global = true)]
    pub allow_non_restored_state: bool,
}

/// Parses one `-D key=value`.
pub fn parse_key_value(text: &str) -> Result<(String, String), String> {
    let (key, value) =
        text.split_once('=').ok_or_else(|| format!("expected KEY=VALUE (e.g. parallelism.default=4), got '{text}'"))?;
    let key = key.trim();
    if key.is_empty() {
        return Err(format!("the key is empty in '{text}'"));
    }
    Ok((key.to_string(), value.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_grammar_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn options_go_before_or_after_the_job() -> Result<(), clap::Error> {
        let before = Cli::try_parse_from(["weir", "run", "-p", "2", "-D", "a=1", "wordcount", "--words", "10"])?;
        let after = Cli::try_parse_from(["weir", "run", "wordcount", "--words", "10", "-p", "2", "-Da=1"])?;
        for cli in [before, after] {
            let Command::Run(run) = cli.command else { panic!("expected run") };
            assert_eq!(run.options.parallelism, Some(2));
            assert_eq!(run.options.defines, vec![("a".to_string(), "1".to_string())]);
        }
        Ok(())
    }

    #[test]
    fn restore_flags_as_in_flink() -> Result<(), clap::Error> {
        for args in [
            ["weir", "run", "-s", "/sp/savepoint-1", "-n", "wordcount"],
            ["weir", "run", "wordcount", "--fromSavepoint", "/sp/savepoint-1", "--allowNonRestoredState"],
        ] {
            let Command::Run(run) = Cli::try_parse_from(args)?.command else { panic!("expected run") };
            assert_eq!(run.options.from_savepoint, Some(PathBuf::from("/sp/savepoint-1")));
            assert!(run.options.allow_non_restored_state);
        }
        Ok(())
    }

    #[test]
    fn key_values_need_a_key_and_an_equals_sign() {
        assert_eq!(parse_key_value(" a.b = c "), Ok(("a.b".into(), "c".into())));
        assert_eq!(parse_key_value("a=b=c"), Ok(("a".into(), "b=c".into())));
        assert!(parse_key_value("a").is_err());
        assert!(parse_key_value("=c").is_err());
    }
}
