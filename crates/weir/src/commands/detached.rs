//! `weir run --detached`: the job runs in a background process of its own, and the command
//! returns once it runs, printing the job's id and REST address (Flink's `flink run -d`).
//!
//! The launching process starts the same `weir` with the same arguments (less `--detached`),
//! stdin closed, stdout and stderr into a log file, in a process group of its own (a Ctrl-C in
//! the terminal does not reach it), and an environment variable naming a report file. The
//! background run binds its REST port as any `weir run` does (`rest.port`, 0 for any free one),
//! submits the job, and writes its job id and actual REST address to that file; the launcher
//! waits for the file, checks that the API lists the job, prints, and exits. If the background
//! run exits first, the launcher fails with the end of its log.
//!
//! Its I/O: the child process, the log file and the report file (under the temporary directory).

use super::print_stdout;
use crate::cli::RunArgs;
use anyhow::Context;
use std::ffi::OsString;
use std::fs::File;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use weir_core::JobId;
use weir_rest::RestClient;

/// Set in the background run's environment: where it reports its job id and REST address.
pub const REPORT_FILE_ENV: &str = "WEIR_DETACHED_REPORT_FILE";

/// How long the launcher waits for the background run to report.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(120);

/// Whether this process is the background run of a `weir run --detached`.
pub fn is_background_run() -> bool {
    std::env::var_os(REPORT_FILE_ENV).is_some()
}

/// What the background run reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartReport {
    pub job_id: String,
    /// Where its REST API answers (a wildcard bind address is reported as loopback).
    pub address: SocketAddr,
}

impl StartReport {
    fn to_text(&self) -> String {
        format!("{}\n{}\n", self.job_id, self.address)
    }

    fn parse(text: &str) -> Option<Self> {
        let mut lines = text.lines();
        let job_id = lines.next()?.trim().to_string();
        let address = lines.next()?.trim().parse().ok()?;
        Some(StartReport { job_id, address })
    }
}

/// In the background run: writes the report, if this is one (atomically, so the launcher never
/// reads half of it).
pub fn report_started(job_id: JobId, address: SocketAddr) -> anyhow::Result<()> {
    let Some(path) = std::env::var_os(REPORT_FILE_ENV).map(PathBuf::from) else { return Ok(()) };
    let address = match address.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::new(Ipv4Addr::LOCALHOST.into(), address.port()),
        IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::new(Ipv6Addr::LOCALHOST.into(), address.port()),
        _ => address,
    };
    let report = StartReport { job_id: job_id.to_string(), address };
    let partial = path.with_extension("partial");
    std::fs::write(&partial, report.to_text())
        .and_then(|()| std::fs::rename(&partial, &path))
        .with_context(|| format!("cannot write the start report {}", path.display()))
}

/// In the launching process of `weir run --detached`: starts the background run and waits until
/// its job runs.
pub fn launch(args: &RunArgs) -> anyhow::Result<()> {
    launch_named(&format!("weir-run-{}", args.job.name()))
}

/// Starts this executable again in the background with this process's arguments less
/// `--detached`, and waits until its job runs. `name` starts the log file's name. A job binary
/// ([`crate::job_binary`]) is launched the same way as `weir run`.
pub fn launch_named(name: &str) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("cannot find the executable to start in the background")?;
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis());
    let name: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    let base = format!("{name}-{}-{stamp}", std::process::id());
    let log_path = std::env::temp_dir().join(format!("{base}.log"));
    let report_path = std::env::temp_dir().join(format!("{base}.started"));
    let log = File::create(&log_path).with_context(|| format!("cannot create the log file {}", log_path.display()))?;
    let log_err = log.try_clone().with_context(|| format!("cannot share the log file {}", log_path.display()))?;

    let mut command = Command::new(&exe);
    command
        .args(arguments_without_detached(std::env::args_os().skip(1)))
        .env(REPORT_FILE_ENV, &report_path)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err);
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().with_context(|| format!("cannot start {} in the background", exe.display()))?;

    let deadline = Instant::now() + STARTUP_TIMEOUT;
    let report = loop {
        if let Some(report) = std::fs::read_to_string(&report_path).ok().as_deref().and_then(StartReport::parse) {
            break report;
        }
        if let Some(status) = child.try_wait().context("cannot watch the background run")? {
            anyhow::bail!(
                "the background run exited ({status}) before its job ran; the end of its log {}:\n{}",
                log_path.display(),
                log_tail(&log_path)
            );
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            anyhow::bail!(
                "the background run did not start its job within {} s and was killed; its log: {}",
                STARTUP_TIMEOUT.as_secs(),
                log_path.display()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let _ = std::fs::remove_file(&report_path);

    let rest = RestClient::new(report.address.to_string())?;
    let job = rest.job(&report.job_id).with_context(|| {
        format!("the background run reported job {}, but its REST API does not list it", report.job_id)
    })?;
    print_stdout(&format!(
        "Job has been submitted with JobID {}\nREST API at http://{}\nStatus: {}\nLog: {}\nPID: {}\n",
        report.job_id,
        report.address,
        job.state,
        log_path.display(),
        child.id()
    ))
}

/// The arguments given, less `--detached` / `-d` (as a whole argument).
pub(crate) fn arguments_without_detached(args: impl Iterator<Item = OsString>) -> Vec<OsString> {
    args.filter(|arg| arg != "--detached" && arg != "-d").collect()
}

/// The last lines of a log, for an error.
fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_report_is_the_job_id_and_the_address() {
        let report = StartReport { job_id: "ab".repeat(16), address: "127.0.0.1:40123".parse().expect("address") };
        assert_eq!(StartReport::parse(&report.to_text()), Some(report));
        assert_eq!(StartReport::parse("abc\n"), None);
        assert_eq!(StartReport::parse("abc\nnot an address\n"), None);
    }

    #[test]
    fn detached_is_taken_out_of_the_arguments() {
        let args = ["run", "-d", "wordcount", "--words", "5", "--detached", "-Drest.port=0"].map(OsString::from);
        let expected = ["run", "wordcount", "--words", "5", "-Drest.port=0"].map(OsString::from);
        assert_eq!(arguments_without_detached(args.into_iter()), expected);
    }
}
