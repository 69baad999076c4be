//! The `weir` binary: parses the command line, sets up logging, runs the command, and turns an
//! error into `error: ...` (with its causes) on stderr and a non-zero exit status.

use clap::Parser;
use std::process::ExitCode;
use weir::cli::{Cli, Command};
use weir::{commands, error_report};

fn main() -> ExitCode {
    weir_runtime::limit_malloc_arenas();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return error_report::report_usage_error(error),
    };
    init_logging();
    let outcome = match cli.command {
        Command::Run(run) => commands::run::execute(run).map(|()| ExitCode::SUCCESS),
        Command::Jobs => commands::jobs::execute().map(|()| ExitCode::SUCCESS),
        Command::Config => commands::config::execute().map(|()| ExitCode::SUCCESS),
        Command::Checkpoints(args) => commands::checkpoints::execute(args),
        Command::List(args) => commands::list::execute(args).map(|()| ExitCode::SUCCESS),
        Command::Cancel(args) => match args.job_and_savepoint() {
            Ok((job_id, savepoint)) => {
                commands::cancel::execute(&args.jobmanager.jobmanager, &job_id, savepoint).map(|()| ExitCode::SUCCESS)
            }
            Err(error) => return error_report::report_usage_error(error),
        },
        Command::Stop(args) => commands::stop::execute(args).map(|()| ExitCode::SUCCESS),
        Command::Savepoint(args) => commands::savepoint::execute(args).map(|()| ExitCode::SUCCESS),
    };
    match outcome {
        Ok(code) => code,
        Err(error) => {
            eprintln!("{}", error_report::format_error(&error));
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr, filtered by `RUST_LOG` (default: warnings and errors only).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).init();
}
