//! End-to-end tests of the verbs that control a running job through its REST API, with the real
//! `weir` binary: `weir run` (in the foreground and `--detached`) serving the API on a free port,
//! `list`, `savepoint`, `stop` (with and without `--drain`), `cancel` (with and without `-s`),
//! restoring with `run -s` from the savepoint a stop left, and every documented error.
//!
//! Nothing here sleeps to wait for something it can observe: it polls the API, the child's
//! output or its log, each with a deadline.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use weir_rest::RestClient;

const DEADLINE: Duration = Duration::from_secs(120);
/// Words enough for the job to outlive every test by far; the tests stop or cancel it.
const ENDLESS: &str = "1000000000000";

fn weir(args: &[&str]) -> std::io::Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_weir")).args(args).output()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs a control verb and expects success; its stdout.
fn succeed(args: &[&str]) -> anyhow::Result<String> {
    let output = weir(args)?;
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    anyhow::ensure!(output.status.success(), "weir {args:?} failed:\nstdout:\n{stdout}\nstderr:\n{stderr}");
    Ok(stdout)
}

/// Runs a verb that must fail with `code`; its stderr.
fn fail(args: &[&str], code: i32) -> anyhow::Result<String> {
    let output = weir(args)?;
    let stderr = text(&output.stderr);
    anyhow::ensure!(
        output.status.code() == Some(code),
        "weir {args:?}: expected exit {code}, got {}:\n{stderr}",
        output.status
    );
    Ok(stderr)
}

/// Polls `probe` until it gives a value, failing after [`DEADLINE`].
fn eventually<T>(what: &str, mut probe: impl FnMut() -> anyhow::Result<Option<T>>) -> anyhow::Result<T> {
    let start = Instant::now();
    loop {
        if let Some(value) = probe()? {
            return Ok(value);
        }
        anyhow::ensure!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The value after `prefix` on the line that starts with it.
fn field(stdout: &str, prefix: &str) -> anyhow::Result<String> {
    stdout
        .lines()
        .find_map(|line| line.strip_prefix(prefix))
        .map(|value| value.trim().to_string())
        .ok_or_else(|| anyhow::anyhow!("no line starting with {prefix:?} in:\n{stdout}"))
}

/// The `-D` options of a checkpointing job with `rest.port=0`.
fn defines(checkpointing: bool, savepoints_dir: Option<&Path>) -> Vec<String> {
    let mut defines = vec!["-Drest.port=0".to_string(), "-Dtaskmanager.numberOfTaskSlots=2".to_string()];
    if checkpointing {
        defines.push("-Dexecution.checkpointing.interval=100ms".to_string());
    }
    if let Some(dir) = savepoints_dir {
        defines.push(format!("-Dstate.savepoints.dir={}", dir.display()));
    }
    defines
}

/// A `weir run` in the foreground, a child of the test: its REST address read from stderr.
struct ForegroundRun {
    child: Child,
    address: String,
    stdout: Option<JoinHandle<String>>,
    stderr: Receiver<String>,
}

impl ForegroundRun {
    fn start(args: &[String]) -> anyhow::Result<Self> {
        let mut child = Command::new(env!("CARGO_BIN_EXE_weir"))
            .arg("run")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let mut out = child.stdout.take().ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let stdout = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = out.read_to_string(&mut text);
            text
        });
        let err = child.stderr.take().ok_or_else(|| anyhow::anyhow!("no stderr"))?;
        let (lines, stderr) = channel();
        // Drained to the end, so that progress lines never fill the pipe.
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        let mut run = ForegroundRun { child, address: String::new(), stdout: Some(stdout), stderr };
        let deadline = Instant::now() + DEADLINE;
        let mut seen = Vec::new();
        while run.address.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = run.stderr.recv_timeout(left).map_err(|_| {
                anyhow::anyhow!("weir run printed no REST address; stderr so far:\n{}", seen.join("\n"))
            })?;
            if let Some(address) = line.strip_prefix("REST API at http://") {
                run.address = address.trim().to_string();
            }
            seen.push(line);
        }
        Ok(run)
    }

    /// The job's id, once the API lists it as running.
    fn running_job(&self) -> anyhow::Result<String> {
        let rest = RestClient::new(self.address.clone())?;
        eventually("the job to run", || {
            let jobs = rest.jobs()?.jobs;
            Ok(jobs.iter().find(|job| job.state == "RUNNING").map(|job| job.jid.clone()))
        })
    }

    /// Waits for the process to exit: its status and stdout.
    fn finish(mut self) -> anyhow::Result<(ExitStatus, String)> {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait()? {
                break status;
            }
            anyhow::ensure!(start.elapsed() < DEADLINE, "weir run did not exit");
            std::thread::sleep(Duration::from_millis(50));
        };
        let stdout = self.stdout.take().map(|t| t.join().unwrap_or_default()).unwrap_or_default();
        Ok((status, stdout))
    }
}

impl Drop for ForegroundRun {
    fn drop(&mut self) {
        // A test that failed midway leaves no process behind.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A `weir run --detached`: what the launcher printed.
struct DetachedRun {
    job_id: String,
    address: String,
    log: PathBuf,
    pid: String,
    ended: bool,
}

impl DetachedRun {
    fn start(args: &[String]) -> anyhow::Result<Self> {
        let mut all = vec!["run".to_string(), "--detached".to_string()];
        all.extend(args.iter().cloned());
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        let stdout = succeed(&all)?;
        Ok(DetachedRun {
            job_id: field(&stdout, "Job has been submitted with JobID ")?,
            address: field(&stdout, "REST API at http://")?,
            log: PathBuf::from(field(&stdout, "Log: ")?),
            pid: field(&stdout, "PID: ")?,
            ended: false,
        })
    }

    /// Waits until the background run exited (its API no longer answers); its log.
    /// Waits for the background process itself to be gone (its REST API stops before it writes
    /// the job's result to its log, so an unreachable API is not enough), then reads the log.
    fn wait_for_exit(&mut self) -> anyhow::Result<String> {
        eventually("the background run to exit", || {
            let alive = Command::new("kill").arg("-0").arg(&self.pid).stderr(std::process::Stdio::null()).status()?;
            Ok((!alive.success()).then_some(()))
        })?;
        self.ended = true;
        Ok(std::fs::read_to_string(&self.log)?)
    }
}

impl Drop for DetachedRun {
    fn drop(&mut self) {
        if !self.ended {
            let _ = Command::new("kill").arg("-9").arg(&self.pid).status();
        }
        let _ = std::fs::remove_file(&self.log);
    }
}

/// A port nothing listens on.
fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

#[test]
fn savepoint_stop_and_restore_a_detached_job_through_the_cli() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let savepoints = dir.path().join("savepoints");
    let mut args = vec!["wordcount".to_string(), "--words".to_string(), ENDLESS.to_string()];
    args.extend(defines(true, Some(&savepoints)));
    args.push(format!("-Dstate.checkpoints.dir={}", dir.path().join("checkpoints").display()));
    let mut job = DetachedRun::start(&args)?;
    let (id, m) = (job.job_id.clone(), job.address.clone());
    assert_eq!(id.len(), 32, "{id}");

    // weir list shows it running.
    let listed = eventually("weir list to show the job running", || {
        let stdout = succeed(&["list", "-m", &m])?;
        Ok(stdout
            .lines()
            .any(|line| line.starts_with(&id) && line.contains("wordcount") && line.contains("RUNNING"))
            .then_some(stdout))
    })?;
    assert!(listed.starts_with("JOB ID"), "{listed}");

    // weir savepoint: into state.savepoints.dir; the job goes on.
    let stdout = succeed(&["savepoint", &id, "-m", &m])?;
    let savepoint = PathBuf::from(field(&stdout, "Savepoint completed. Path: ")?);
    assert!(savepoint.starts_with(&savepoints) && savepoint.join("_metadata").is_file(), "{stdout}");
    assert!(succeed(&["list", "-m", &m])?.contains("RUNNING"));

    // weir stop --savepoint-path: the job finishes, the background run exits with its result.
    let stopped_dir = dir.path().join("stopped");
    let stdout = succeed(&["stop", &id, "--savepoint-path", &stopped_dir.display().to_string(), "-m", &m])?;
    let stopped = PathBuf::from(field(&stdout, "Savepoint completed. Path: ")?);
    assert!(stopped.starts_with(&stopped_dir) && stopped.join("_metadata").is_file(), "{stdout}");
    assert!(stdout.contains(&format!("Job {id} is FINISHED.")), "{stdout}");
    let log = job.wait_for_exit()?;
    assert!(log.contains(&format!("Job 'wordcount' ({id}) finished in")), "{log}");

    // weir run -s: the same job restores from the stop's savepoint, in the foreground.
    let mut args = vec!["-s".to_string(), stopped.display().to_string()];
    args.extend(["wordcount".to_string(), "--words".to_string(), ENDLESS.to_string()]);
    args.extend(defines(true, Some(&savepoints)));
    let restored = ForegroundRun::start(&args)?;
    let restored_id = restored.running_job()?;
    assert_ne!(restored_id, id, "a new submission has a new id");
    let rest = RestClient::new(restored.address.clone())?;
    let from = rest.checkpoints(&restored_id)?.latest.restored.ok_or_else(|| anyhow::anyhow!("not restored"))?;
    assert_eq!((from.is_savepoint, PathBuf::from(&from.external_path)), (true, stopped.clone()));

    // weir stop --drain: every operator finishes, so the answer is printed, and weir run exits 0.
    let stdout = succeed(&["stop", &restored_id, "-d", "-m", &restored.address])?;
    assert!(stdout.contains(&format!("Job {restored_id} is FINISHED.")), "{stdout}");
    let (status, stdout) = restored.finish()?;
    assert!(status.success(), "{status}\n{stdout}");
    assert!(stdout.contains(&format!("Job 'wordcount' ({restored_id}) finished in")), "{stdout}");
    let first_row = stdout.lines().skip_while(|l| !l.starts_with("Top 10 of")).nth(1).unwrap_or_default();
    assert!(first_row.split_whitespace().nth(1) == Some("the"), "drained, the top words are shown:\n{stdout}");
    Ok(())
}

#[test]
fn errors_name_what_and_where() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let words = ["wordcount".to_string(), "--words".to_string(), ENDLESS.to_string()];
    let checkpointing = ForegroundRun::start(&[&words[..], &defines(true, None)].concat())?;
    let plain = ForegroundRun::start(&[&words[..], &defines(false, Some(dir.path()))].concat())?;
    let (id, m) = (checkpointing.running_job()?, checkpointing.address.clone());
    let (plain_id, plain_m) = (plain.running_job()?, plain.address.clone());

    // An unknown job id, for every verb: named, with where it was looked for.
    let unknown = "0123456789abcdef0123456789abcdef";
    for verb in ["savepoint", "stop", "cancel"] {
        let stderr = fail(&[verb, unknown, "-m", &m], 1)?;
        assert!(stderr.starts_with(&format!("error: job {unknown} not found at {m}")), "{verb}: {stderr}");
    }
    let stderr = fail(&["savepoint", "not-a-job", "-m", &m], 1)?;
    assert!(stderr.contains("'not-a-job' is not a job id"), "{stderr}");

    // No job manager at the address.
    let nowhere = format!("127.0.0.1:{}", free_port()?);
    for args in [vec!["list", "-m", &nowhere], vec!["savepoint", unknown, "-m", &nowhere]] {
        let stderr = fail(&args, 1)?;
        assert!(stderr.contains(&format!("no job manager reachable at {nowhere}")), "{stderr}");
        assert!(stderr.contains("`weir run` serves the REST API only while its job runs"), "{stderr}");
    }

    // A malformed -m, and cancel without a job id, are usage errors.
    let stderr = fail(&["list", "-m", "localhost"], 2)?;
    assert!(stderr.contains("expected HOST:PORT") && stderr.contains("'localhost'"), "{stderr}");
    let stderr = fail(&["cancel", "-m", &m], 2)?;
    assert!(stderr.contains("the job id is missing"), "{stderr}");

    // A savepoint without a directory and without state.savepoints.dir.
    let stderr = fail(&["savepoint", &id, "-m", &m], 1)?;
    assert!(stderr.starts_with(&format!("error: the savepoint of job {id} was refused")), "{stderr}");
    assert!(stderr.contains("give a target directory or set state.savepoints.dir"), "{stderr}");
    let stderr = fail(&["stop", &id, "-m", &m], 1)?;
    assert!(stderr.contains("give a target directory or set state.savepoints.dir"), "{stderr}");

    // A savepoint of a job without checkpointing.
    let stderr = fail(&["savepoint", &plain_id, "-m", &plain_m], 1)?;
    assert!(stderr.contains("checkpointing is off (set execution.checkpointing.interval)"), "{stderr}");
    let stderr = fail(&["cancel", &plain_id, "-s", "-m", &plain_m], 1)?;
    assert!(stderr.contains("checkpointing is off"), "{stderr}");

    // weir run on a port that is taken.
    let port = m.rsplit_once(':').map(|(_, port)| port.to_string()).unwrap_or_default();
    let stderr = fail(&["run", "wordcount", "--words", "10", &format!("-Drest.port={port}")], 1)?;
    assert!(stderr.contains(&format!("cannot listen on {m}")) && stderr.contains("-D rest.port=0"), "{stderr}");

    // Both jobs are still running; cancel them: one with a savepoint into a given directory.
    let stdout = succeed(&["cancel", &id, "-s", &dir.path().join("last").display().to_string(), "-m", &m])?;
    let last = PathBuf::from(field(&stdout, "Savepoint completed. Path: ")?);
    assert!(last.join("_metadata").is_file(), "{stdout}");
    assert!(stdout.contains(&format!("Cancelled job {id}.")), "{stdout}");
    let stdout = succeed(&["cancel", &plain_id, "-m", &plain_m])?;
    assert!(stdout.contains(&format!("Cancelled job {plain_id}.")), "{stdout}");
    for run in [checkpointing, plain] {
        let (status, stdout) = run.finish()?;
        assert!(status.success() && stdout.contains("was cancelled after"), "{status}\n{stdout}");
    }
    Ok(())
}

#[test]
fn every_control_verb_has_help() -> anyhow::Result<()> {
    for verb in ["list", "cancel", "stop", "savepoint"] {
        let stdout = succeed(&[verb, "--help"])?;
        assert!(stdout.contains("--jobmanager <HOST:PORT>"), "{verb}:\n{stdout}");
    }
    assert!(succeed(&["stop", "--help"])?.contains("--savepoint-path <DIR>"));
    assert!(succeed(&["run", "--help"])?.contains("--detached"));
    Ok(())
}
