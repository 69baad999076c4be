//! The command-line grammar of `weir` (clap derive): the verbs, the options every `weir run`
//! accepts, the built-in jobs as subcommands of `run` (and of `checkpoints check-restore`, which
//! builds them the same way), each with its own arguments, and the `checkpoints` tools.
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
    /// List, inspect and verify checkpoints and savepoints on disk; dry-run a restore.
    Checkpoints(CheckpointsArgs),
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
    #[command(flatten)]
    pub restore: RestoreOptions,
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
}

/// Where `weir run` starts the job from (Flink's `flink run -s` / `-n`).
#[derive(Debug, Clone, Default, Args)]
#[command(next_help_heading = "Restore options")]
pub struct RestoreOptions {
    /// Start from this savepoint or retained checkpoint: its directory or its `_metadata` (sets
    /// `execution.savepoint.path`).
    #[arg(short = 's', long = "from-savepoint", alias = "fromSavepoint", value_name = "PATH", global = true)]
    pub from_savepoint: Option<PathBuf>,

    /// Allow the snapshot to hold state of operators (uids) the job does not have; that state is
    /// dropped (sets `execution.savepoint.ignore-unclaimed-state`).
    #[arg(short = 'n', long = "allow-non-restored-state", alias = "allowNonRestoredState", global = true)]
    pub allow_non_restored_state: bool,
}

/// `weir checkpoints <VERB> <PATH>`.
#[derive(Debug, Args)]
#[command(
    arg_required_else_help = true,
    disable_help_subcommand = true,
    after_help = "PATH is a checkpoint or savepoint directory (chk-<n>, savepoint-...) or its _metadata file; \
                  `list` also takes a job directory or the whole state.checkpoints.dir / state.savepoints.dir."
)]
pub struct CheckpointsArgs {
    #[command(subcommand)]
    pub command: CheckpointsCommand,
}

/// What `weir checkpoints` does.
#[derive(Debug, Subcommand)]
pub enum CheckpointsCommand {
    /// List every checkpoint and savepoint under a directory, newest first per job, and whether
    /// each can be restored.
    #[command(arg_required_else_help = true)]
    List {
        /// state.checkpoints.dir, one job's directory under it, or state.savepoints.dir.
        #[arg(value_name = "DIR")]
        path: PathBuf,
    },
    /// Print a snapshot's _metadata readably: job, time, operators, subtasks and their files.
    #[command(arg_required_else_help = true)]
    Inspect {
        /// The checkpoint or savepoint directory, or its _metadata file.
        #[arg(value_name = "PATH")]
        path: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Check that every file a snapshot references exists with the recorded size and CRC32C.
    #[command(
        arg_required_else_help = true,
        after_help = "Exit status: 0 when every file is intact (unreferenced files are only warned about), \
                      1 when a file is missing or damaged, 3 when _metadata itself is missing or unreadable."
    )]
    Verify {
        /// The checkpoint or savepoint directory, or its _metadata file.
        #[arg(value_name = "PATH")]
        path: PathBuf,
    },
    /// Dry-run restoring a built-in job from a snapshot: which state goes to which operator,
    /// what would be dropped, what starts empty, and how state is redistributed. Runs nothing.
    CheckRestore(CheckRestoreArgs),
}

/// `weir checkpoints check-restore <PATH> [-n] [RUN OPTIONS] <JOB> [JOB ARGS]`.
#[derive(Debug, Args)]
#[command(
    arg_required_else_help = true,
    disable_help_subcommand = true,
    subcommand_value_name = "JOB",
    subcommand_help_heading = "Jobs",
    after_help = "The job is built exactly as `weir run` with the same options and job arguments would build it. \
                  Exit status: 0 when the restore would succeed, 1 (with the restore's own error) when it would fail."
)]
pub struct CheckRestoreArgs {
    /// The checkpoint or savepoint directory, or its _metadata file.
    #[arg(value_name = "PATH")]
    pub path: PathBuf,

    /// Allow state that matches no operator of the job to be dropped (Flink's --allowNonRestoredState).
    #[arg(short = 'n', long = "allow-non-restored-state", global = true)]
    pub allow_non_restored: bool,

    #[command(flatten)]
    pub options: RunOptions,

    #[command(subcommand)]
    pub job: Job,
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
            assert_eq!(run.restore.from_savepoint, Some(PathBuf::from("/sp/savepoint-1")));
            assert!(run.restore.allow_non_restored_state);
        }
        Ok(())
    }

    #[test]
    fn check_restore_takes_a_path_the_run_options_and_a_job() -> Result<(), clap::Error> {
        let cli = Cli::try_parse_from([
            "weir",
            "checkpoints",
            "check-restore",
            "/ck/job/chk-3",
            "-p",
            "3",
            "wordcount",
            "--words",
            "10",
            "-n",
            "-Da=1",
        ])?;
        let Command::Checkpoints(CheckpointsArgs { command: CheckpointsCommand::CheckRestore(args) }) = cli.command
        else {
            panic!("expected checkpoints check-restore")
        };
        assert_eq!(args.path, PathBuf::from("/ck/job/chk-3"));
        assert!(args.allow_non_restored);
        assert_eq!(args.options.parallelism, Some(3));
        assert_eq!(args.options.defines, vec![("a".to_string(), "1".to_string())]);
        assert_eq!(args.job.name(), "wordcount");
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
