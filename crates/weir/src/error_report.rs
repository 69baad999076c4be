//! How `weir` reports failure: `error: ...` with every cause that adds something, and the exit
//! status. Usage errors (bad flags, unknown jobs) are clap's, except that an unknown job name
//! also lists the built-in jobs.

use crate::jobs;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use std::process::ExitCode;

/// `error: <message>` followed by one `caused by:` line per cause in the chain. A cause whose
/// text its parent already contains is skipped (many errors embed their source in their message,
/// e.g. `cannot read 'x': No such file or directory`), so nothing is printed twice.
pub fn format_error(error: &anyhow::Error) -> String {
    let mut chain = error.chain().map(ToString::to_string);
    let first = chain.next().unwrap_or_default();
    let mut text = format!("error: {first}");
    let mut previous = first;
    for cause in chain {
        if !previous.contains(&cause) {
            text.push_str(&format!("\n  caused by: {cause}"));
        }
        previous = cause;
    }
    text
}

/// Prints a command-line parsing error (or the help or version that clap reports as one) and
/// returns the exit status: 0 for help and version, 2 for usage errors.
pub fn report_usage_error(error: clap::Error) -> ExitCode {
    if let Some(job) = unknown_job(&error) {
        eprintln!("error: unknown job '{job}'\n\n{}\nSee `weir jobs` and `weir run --help`.", jobs::listing());
        return ExitCode::from(2);
    }
    // Printing the help can only fail on a closed stream, where there is no one left to tell.
    let _ = error.print();
    ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2))
}

/// The name given to `weir run` when it is not a built-in job.
fn unknown_job(error: &clap::Error) -> Option<String> {
    if error.kind() != ErrorKind::InvalidSubcommand {
        return None;
    }
    let usage = match error.get(ContextKind::Usage) {
        Some(ContextValue::StyledStr(usage)) => usage.to_string(),
        _ => return None,
    };
    if !usage.contains("weir run") {
        return None;
    }
    match error.get(ContextKind::InvalidSubcommand) {
        Some(ContextValue::String(name)) => Some(name.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Cli;
    use anyhow::Context;
    use clap::Parser;

    #[test]
    fn causes_already_in_the_message_are_not_repeated() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let error = anyhow::Error::new(io).context("cannot read 'x': no such file").context("reading the input");
        assert_eq!(format_error(&error), "error: reading the input\n  caused by: cannot read 'x': no such file");
    }

    #[test]
    fn an_unknown_job_is_recognised() {
        let error = Cli::try_parse_from(["weir", "run", "nosuchjob"]).expect_err("unknown job");
        assert_eq!(unknown_job(&error).as_deref(), Some("nosuchjob"));
        let error = Cli::try_parse_from(["weir", "nosuchverb"]).expect_err("unknown verb");
        assert_eq!(unknown_job(&error), None);
    }

    #[test]
    fn context_is_kept() {
        let error = Err::<(), _>(anyhow::anyhow!("inner")).context("outer").expect_err("error");
        assert_eq!(format_error(&error), "error: outer\n  caused by: inner");
    }
}
