//! The command-line grammar of `weir` (clap derive): the verbs, the options every `weir run`
//! accepts, the built-in jobs as subcommands of `run` (and of `checkpoints check-restore`, which
//! builds them the same way), each with its own arguments, the `checkpoints` tools, and the
//! verbs that control a running job through its REST API (`list`, `cancel`, `stop`,
//! `savepoint`, with Flink's names and `-m/--jobmanager`).
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
    /// Run a built-in job on the embedded mini-cluster, with live progress on stderr, serving
    /// the REST API while it runs.
    Run(RunArgs),
    /// List the jobs of a running `weir run` (id, name, status).
    List(ListArgs),
    /// Cancel a running job, optionally with a savepoint first.
    Cancel(CancelArgs),
    /// Stop a running job with a savepoint (its sources stop; the savepoint is its last snapshot).
    Stop(StopArgs),
    /// Take a savepoint of a running job; the job goes on.
    Savepoint(SavepointArgs),
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
    /// Run the job in the background: print its id and REST address once it runs, and exit
    /// (its output goes to a log file, named then).
    #[arg(short = 'd', long = "detached", global = true, help_heading = "Run options")]
    pub detached: bool,
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
                  `list` also takes a job directory or the whole state.checkpoints.dir / state.savepoints.dir; \
                  `gc` takes a job directory, <state.checkpoints.dir>/<job-id>."
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
    /// Delete the orphans of a job directory: files no retained checkpoint references, older than
    /// the grace period (unreferenced shared files, chk-<n> without _metadata, files _metadata
    /// does not name). Lists each with its size, age and why.
    #[command(
        arg_required_else_help = true,
        after_help = "Never touches taskowned/, savepoints or anything outside the job directory; refuses to \
                      delete anything when a _metadata cannot be read. The grace period protects what a running \
                      job is writing: keep it longer than execution.checkpointing.timeout."
    )]
    Gc {
        /// The job directory: <state.checkpoints.dir>/<job-id>, holding chk-<n>/ and shared/.
        #[arg(value_name = "JOB_DIR")]
        path: PathBuf,
        /// List what would be deleted; delete nothing.
        #[arg(long)]
        dry_run: bool,
        /// Keep orphans younger than this, e.g. 30s, 10min, 1h, 2d.
        #[arg(long, value_name = "DURATION", default_value = crate::commands::checkpoints::gc::DEFAULT_GRACE, value_parser = crate::commands::checkpoints::gc::parse_grace)]
        grace: std::time::Duration,
    },
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

/// Where the REST API of the job is (Flink's `-m/--jobmanager`).
#[derive(Debug, Clone, Args)]
pub struct JobManagerOption {
    /// The REST address of the `weir run` serving the job (its rest.bind-address:rest.port).
    #[arg(short = 'm', long = "jobmanager", value_name = "HOST:PORT", default_value_t = default_jobmanager(), value_parser = parse_jobmanager)]
    pub jobmanager: String,
}

/// `127.0.0.1:8081`: the defaults of `rest.bind-address` and `rest.port`.
pub fn default_jobmanager() -> String {
    use weir_runtime::config::{REST_BIND_ADDRESS, REST_PORT};
    format!("{}:{}", REST_BIND_ADDRESS.default, REST_PORT.default)
}

/// Parses `-m`: `HOST:PORT`, `[IPv6]:PORT`, optionally after `http://`.
pub fn parse_jobmanager(text: &str) -> Result<String, String> {
    let bad = || format!("expected HOST:PORT, e.g. 127.0.0.1:8081, got '{text}'");
    let address = text.trim().strip_prefix("http://").unwrap_or(text.trim()).trim_end_matches('/');
    let (host, port) = address.rsplit_once(':').ok_or_else(bad)?;
    let host_ok = match host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        Some(ipv6) => ipv6.parse::<std::net::Ipv6Addr>().is_ok(),
        None => !host.is_empty() && host.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'),
    };
    if !host_ok || port.parse::<u16>().map_or(true, |p| p == 0) {
        return Err(bad());
    }
    Ok(address.to_string())
}

/// `weir list [-m HOST:PORT]`.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub jobmanager: JobManagerOption,
}

/// `weir cancel <JOB_ID> [-s [DIR]] [-m HOST:PORT]`.
#[derive(Debug, Args)]
#[command(
    arg_required_else_help = true,
    after_help = "Without -s the job is cancelled at once. With -s a savepoint is taken first (into DIR, or \
                  state.savepoints.dir of the job), its path printed, and then the job is cancelled."
)]
pub struct CancelArgs {
    /// The job's id (`weir list` shows it).
    #[arg(value_name = "JOB_ID")]
    pub job_id: Option<String>,
    /// Take a savepoint first, into DIR (default: the job's state.savepoints.dir).
    #[arg(short = 's', long = "with-savepoint", alias = "withSavepoint", value_name = "DIR", num_args = 0..=1)]
    pub with_savepoint: Option<Option<String>>,
    #[command(flatten)]
    pub jobmanager: JobManagerOption,
}

impl CancelArgs {
    /// The job id and the savepoint request. As in Flink, `cancel -s <JOB_ID>` (the id taken as
    /// the optional directory) means a savepoint into the default directory.
    pub fn job_and_savepoint(&self) -> Result<(String, Option<Option<String>>), clap::Error> {
        match (&self.job_id, &self.with_savepoint) {
            (Some(job), savepoint) => Ok((job.clone(), savepoint.clone())),
            (None, Some(Some(job))) => Ok((job.clone(), Some(None))),
            (None, _) => Err(clap::Error::raw(
                clap::error::ErrorKind::MissingRequiredArgument,
                "the job id is missing: weir cancel <JOB_ID> [-s [DIR]]\n",
            )),
        }
    }
}

/// `weir stop <JOB_ID> [-p DIR] [-d] [-m HOST:PORT]`.
#[derive(Debug, Args)]
#[command(
    arg_required_else_help = true,
    after_help = "The sources stop, the savepoint is the job's last snapshot, and the job ends as FINISHED. \
                  Prints the savepoint's path once it is complete and the job ended."
)]
pub struct StopArgs {
    /// The job's id (`weir list` shows it).
    #[arg(value_name = "JOB_ID")]
    pub job_id: String,
    /// Where the savepoint's directory is created (default: the job's state.savepoints.dir).
    #[arg(short = 'p', long = "savepoint-path", alias = "savepointPath", value_name = "DIR")]
    pub savepoint_path: Option<String>,
    /// Emit the final watermark first, so that every event-time window and timer fires (as at the
    /// end of bounded input); for a job that is not to be resumed.
    #[arg(short = 'd', long = "drain")]
    pub drain: bool,
    #[command(flatten)]
    pub jobmanager: JobManagerOption,
}

/// `weir savepoint <JOB_ID> [DIR] [-m HOST:PORT]`.
#[derive(Debug, Args)]
#[command(arg_required_else_help = true, after_help = "Prints the savepoint's path once it is complete.")]
pub struct SavepointArgs {
    /// The job's id (`weir list` shows it).
    #[arg(value_name = "JOB_ID")]
    pub job_id: String,
    /// Where the savepoint's directory is created (default: the job's state.savepoints.dir).
    #[arg(value_name = "DIR")]
    pub target_directory: Option<String>,
    #[command(flatten)]
    pub jobmanager: JobManagerOption,
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
    fn control_verbs_take_flink_s_flags() -> Result<(), clap::Error> {
        let id = "0123456789abcdef0123456789abcdef";
        let Command::Stop(stop) = Cli::try_parse_from(["weir", "stop", id, "-p", "/sp", "-d"])?.command else {
            panic!("expected stop")
        };
        assert_eq!((stop.job_id.as_str(), stop.savepoint_path.as_deref(), stop.drain), (id, Some("/sp"), true));
        assert_eq!(stop.jobmanager.jobmanager, "127.0.0.1:8081");

        let Command::Savepoint(savepoint) =
            Cli::try_parse_from(["weir", "savepoint", id, "/sp", "-m", "host:9"])?.command
        else {
            panic!("expected savepoint")
        };
        assert_eq!(savepoint.target_directory.as_deref(), Some("/sp"));
        assert_eq!(savepoint.jobmanager.jobmanager, "host:9");

        for (args, savepoint) in [
            (vec!["weir", "cancel", id], None),
            (vec!["weir", "cancel", id, "-s"], Some(None)),
            (vec!["weir", "cancel", id, "-s", "/sp"], Some(Some("/sp".to_string()))),
            (vec!["weir", "cancel", "-s", id], Some(None)),
            (vec!["weir", "cancel", "-s", "/sp", id], Some(Some("/sp".to_string()))),
        ] {
            let Command::Cancel(cancel) = Cli::try_parse_from(&args)?.command else { panic!("expected cancel") };
            assert_eq!(cancel.job_and_savepoint()?, (id.to_string(), savepoint), "{args:?}");
        }
        Ok(())
    }

    #[test]
    fn the_jobmanager_address_is_host_and_port() {
        assert_eq!(parse_jobmanager("127.0.0.1:8081"), Ok("127.0.0.1:8081".into()));
        assert_eq!(parse_jobmanager("http://localhost:9000/"), Ok("localhost:9000".into()));
        assert_eq!(parse_jobmanager("[::1]:8081"), Ok("[::1]:8081".into()));
        for bad in ["localhost", "localhost:", ":8081", "host:http", "host:70000", "host:0", "a b:1", "::1:8081"] {
            let error = parse_jobmanager(bad).expect_err(bad);
            assert!(error.contains("expected HOST:PORT") && error.contains(bad), "{error}");
        }
    }

    #[test]
    fn run_detached_is_d_before_or_after_the_job() -> Result<(), clap::Error> {
        for args in [["weir", "run", "-d", "wordcount"], ["weir", "run", "wordcount", "--detached"]] {
            let Command::Run(run) = Cli::try_parse_from(args)?.command else { panic!("expected run") };
            assert!(run.detached);
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
