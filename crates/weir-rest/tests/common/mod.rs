//! A real job behind a real REST server on a free port, and a raw HTTP helper for requests the
//! typed client cannot make (malformed bodies, unknown paths).

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use weir_connectors::{BlackholeSink, DataGenSource};
use weir_rest::{JobRegistry, RestClient, RestServer};
use weir_runtime::{JobClient, JobStatus, StreamExecutionEnvironment};

/// How long a test waits for something it can observe before it fails.
pub const DEADLINE: Duration = Duration::from_secs(60);

/// A running job served by a REST API.
pub struct Served {
    pub server: RestServer,
    pub registry: JobRegistry,
    pub job: JobClient,
    pub rest: RestClient,
    pub dir: tempfile::TempDir,
}

impl Served {
    pub fn job_id(&self) -> String {
        self.job.job_id().to_string()
    }

    pub fn savepoints_dir(&self) -> PathBuf {
        self.dir.path().join("savepoints")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        // A test that failed midway leaves no job running behind it.
        self.job.cancel();
        let _ = self.job.wait_timeout(DEADLINE);
    }
}

/// How the test job is configured.
#[derive(Clone, Copy)]
pub struct Setup {
    pub checkpointing: bool,
    pub savepoints_dir: bool,
}

impl Default for Setup {
    fn default() -> Self {
        Setup { checkpointing: true, savepoints_dir: true }
    }
}

/// An endless, rate-limited job (numbers → sums per key in keyed state → blackhole), running,
/// served on 127.0.0.1 at a free port.
pub fn serve_job(setup: Setup) -> anyhow::Result<Served> {
    let dir = tempfile::tempdir()?;
    let env = StreamExecutionEnvironment::new();
    env.set_config("weir.progress", "false");
    env.set_config("taskmanager.numberOfTaskSlots", "4");
    if setup.checkpointing {
        env.set_config("execution.checkpointing.interval", "50 ms");
        env.set_config("state.checkpoints.dir", dir.path().join("checkpoints").display().to_string());
    }
    if setup.savepoints_dir {
        env.set_config("state.savepoints.dir", dir.path().join("savepoints").display().to_string());
    }
    env.from_source(DataGenSource::new(|i| i).with_rate_limit(20_000.0), "Numbers")
        .key_by(|n: &u64| n % 10)
        .reduce(|a, b| a + b)
        .uid("sums")
        .sink_to(BlackholeSink::new());
    let job = env.execute_async("numbers")?;
    anyhow::ensure!(job.wait_for_status(JobStatus::Running, DEADLINE) == JobStatus::Running, "the job did not start");
    let registry = JobRegistry::new();
    registry.register(job.clone());
    let server = RestServer::start(SocketAddr::from(([127, 0, 0, 1], 0)), registry.clone())?;
    let rest = RestClient::new(server.local_addr().to_string())?;
    Ok(Served { server, registry, job, rest, dir })
}

/// Polls `probe` until it gives a value, failing after [`DEADLINE`].
pub fn eventually<T>(what: &str, mut probe: impl FnMut() -> anyhow::Result<Option<T>>) -> anyhow::Result<T> {
    let start = Instant::now();
    loop {
        if let Some(value) = probe()? {
            return Ok(value);
        }
        anyhow::ensure!(start.elapsed() < DEADLINE, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One raw HTTP/1.1 exchange: the status and the body parsed as JSON.
pub fn raw(address: SocketAddr, method: &str, path: &str, body: &str) -> anyhow::Result<(u16, serde_json::Value)> {
    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(DEADLINE))?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer)?;
    let (head, body) = answer.split_once("\r\n\r\n").ok_or_else(|| anyhow::anyhow!("no header end in {answer:?}"))?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| anyhow::anyhow!("no status in {head:?}"))?;
    let json = serde_json::from_str(body).map_err(|e| anyhow::anyhow!("{e}: {body:?}"))?;
    Ok((status, json))
}
