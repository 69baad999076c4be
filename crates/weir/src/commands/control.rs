//! What the verbs that control a running job share: connecting to the REST API given by
//! `-m/--jobmanager`, and waiting for an asynchronous request (a savepoint, a job's end) by
//! polling it, as Flink's CLI does.
//!
//! Its I/O: HTTP requests to the one address given.

use std::time::{Duration, Instant};
use weir_rest::json::SavepointOutcome;
use weir_rest::{RestClient, RestError};

/// How often a request in progress is polled.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// How long a savepoint (and a job's end after it) is waited for.
pub const SAVEPOINT_TIMEOUT: Duration = Duration::from_secs(600);

/// An error of the API as the user is told it: an unknown job (or request) with where it was
/// looked for, a refusal (400, 409) as `refused` with the server's reason, anything else as is.
pub fn explain(error: RestError, address: &str, refused: impl FnOnce() -> String) -> anyhow::Error {
    match error.status() {
        Some(404) => anyhow::anyhow!("{error} at {address} (`weir list -m {address}` shows the jobs there)"),
        Some(400 | 409) => anyhow::Error::new(error).context(refused()),
        _ => error.into(),
    }
}

/// A savepoint directory given on the command line, made absolute here: the job manager
/// resolves a relative path against its own working directory, not the user's.
pub fn target_directory(dir: Option<&str>) -> anyhow::Result<Option<String>> {
    dir.map(|dir| {
        std::path::absolute(dir)
            .map(|path| path.display().to_string())
            .map_err(|e| anyhow::anyhow!("cannot make the savepoint directory '{dir}' absolute: {e}"))
    })
    .transpose()
}

/// A client of the REST API at `address`.
pub fn connect(address: &str) -> anyhow::Result<RestClient> {
    Ok(RestClient::new(address)?)
}

/// Polls the savepoint request `request_id` of `job_id` until it ended: its location, or the
/// failure's message as an error.
pub fn wait_for_savepoint(rest: &RestClient, job_id: &str, request_id: &str) -> anyhow::Result<String> {
    let deadline = Instant::now() + SAVEPOINT_TIMEOUT;
    loop {
        let info = rest.savepoint_status(job_id, request_id).map_err(|error| {
            let gone = error.is_unreachable();
            let error = anyhow::Error::new(error);
            if gone {
                error.context(format!("the job manager went away before the savepoint of job {job_id} completed"))
            } else {
                error.context(format!(
                    "cannot learn what became of the savepoint of job {job_id} (request {request_id})"
                ))
            }
        })?;
        match info.outcome() {
            Some(SavepointOutcome::Completed { location }) => return Ok(location),
            Some(SavepointOutcome::Failed { message }) => {
                anyhow::bail!("the savepoint of job {job_id} failed: {message}")
            }
            Some(SavepointOutcome::InProgress) => {}
            None => {
                anyhow::bail!("the job manager at {} gave an unreadable savepoint status: {info:?}", rest.address())
            }
        }
        if Instant::now() >= deadline {
            anyhow::bail!(
                "the savepoint of job {job_id} did not complete within {} s (request {request_id}; it may still \
                 complete: GET /jobs/{job_id}/savepoints/{request_id})",
                SAVEPOINT_TIMEOUT.as_secs()
            );
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

/// How a job's end was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobEnd {
    /// The API reported this terminal status (`FINISHED`, `CANCELED`, `FAILED`).
    Status(String),
    /// The API went away: `weir run` exits once its job ended.
    ServerGone,
}

/// Polls `job_id` until it ended (or the `weir run` serving it exited).
pub fn wait_for_end(rest: &RestClient, job_id: &str) -> anyhow::Result<JobEnd> {
    let deadline = Instant::now() + SAVEPOINT_TIMEOUT;
    loop {
        match rest.job(job_id) {
            Ok(job) if matches!(job.state.as_str(), "FINISHED" | "CANCELED" | "FAILED") => {
                return Ok(JobEnd::Status(job.state));
            }
            Ok(_) => {}
            Err(error) if error.is_unreachable() => return Ok(JobEnd::ServerGone),
            Err(error) => {
                return Err(anyhow::Error::new(error).context(format!("cannot learn whether job {job_id} ended")));
            }
        }
        if Instant::now() >= deadline {
            anyhow::bail!("job {job_id} did not end within {} s", SAVEPOINT_TIMEOUT.as_secs());
        }
        std::thread::sleep(POLL_INTERVAL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relative_savepoint_directory_is_made_absolute_here() -> anyhow::Result<()> {
        let here = std::env::current_dir()?;
        assert_eq!(target_directory(Some("sp"))?, Some(here.join("sp").display().to_string()));
        assert_eq!(target_directory(Some("/sp"))?, Some("/sp".to_string()));
        assert_eq!(target_directory(None)?, None);
        Ok(())
    }
}
