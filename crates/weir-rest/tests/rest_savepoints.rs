//! Savepoints through the REST API on a real job: trigger → poll → COMPLETED with a `_metadata`
//! at the location, stop with a savepoint (the job ends FINISHED), cancel with one, and the
//! answers a client comes back for after the job ended.

mod common;

use common::{DEADLINE, Setup, eventually, serve_job};
use std::path::Path;
use std::time::Duration;
use weir_rest::json::SavepointOutcome;
use weir_runtime::JobStatus;

/// Polls the request until it ended; the location of a completed savepoint.
fn completed_location(served: &common::Served, request_id: &str) -> anyhow::Result<String> {
    let outcome = eventually("the savepoint to end", || {
        let info = served.rest.savepoint_status(&served.job_id(), request_id)?;
        match info.outcome() {
            Some(SavepointOutcome::InProgress) => Ok(None),
            Some(outcome) => Ok(Some(outcome)),
            None => anyhow::bail!("an answer with neither status nor outcome: {info:?}"),
        }
    })?;
    match outcome {
        SavepointOutcome::Completed { location } => Ok(location),
        other => anyhow::bail!("the savepoint did not complete: {other:?}"),
    }
}

#[test]
fn a_triggered_savepoint_completes_with_its_metadata_and_the_job_goes_on() -> anyhow::Result<()> {
    let served = serve_job(Setup::default())?;
    let id = served.job_id();
    let request_id = served.rest.trigger_savepoint(&id, None, false)?;
    assert_eq!(request_id.len(), 32, "{request_id}");
    let location = completed_location(&served, &request_id)?;
    assert!(location.starts_with(&served.savepoints_dir().display().to_string()), "{location}");
    assert!(Path::new(&location).join("_metadata").is_file(), "{location}");
    assert_eq!(served.rest.job(&id)?.state, "RUNNING");

    let statistics = served.rest.checkpoints(&id)?;
    let savepoint = statistics.latest.savepoint.expect("the savepoint is the latest");
    assert_eq!(savepoint.is_savepoint, Some(true));
    assert_eq!(savepoint.checkpoint_type.as_deref(), Some("SAVEPOINT"));
    assert_eq!(savepoint.external_path.as_deref(), Some(location.as_str()));

    // Into another directory than state.savepoints.dir.
    let elsewhere = served.dir.path().join("elsewhere");
    let request_id = served.rest.trigger_savepoint(&id, Some(&elsewhere.display().to_string()), false)?;
    let location = completed_location(&served, &request_id)?;
    assert!(location.starts_with(&elsewhere.display().to_string()), "{location}");
    assert!(Path::new(&location).join("_metadata").is_file(), "{location}");
    Ok(())
}

#[test]
fn stop_with_a_savepoint_finishes_the_job() -> anyhow::Result<()> {
    let served = serve_job(Setup::default())?;
    let id = served.job_id();
    let target = served.dir.path().join("stopped");
    let request_id = served.rest.stop_with_savepoint(&id, Some(&target.display().to_string()), false)?;
    assert!(!served.registry.wait_until_answered(Duration::ZERO), "a stop's outcome is awaited");
    let location = completed_location(&served, &request_id)?;
    assert!(Path::new(&location).join("_metadata").is_file(), "{location}");
    assert_eq!(served.job.wait_for_status(JobStatus::Finished, DEADLINE), JobStatus::Finished);
    assert_eq!(served.rest.job(&id)?.state, "FINISHED");
    assert!(served.registry.wait_until_answered(Duration::ZERO), "the outcome was read");

    let error = served.rest.trigger_savepoint(&id, None, false).expect_err("the job ended");
    assert_eq!(error.status(), Some(409));
    assert!(error.to_string().contains("is FINISHED: a savepoint needs a running job"), "{error}");
    Ok(())
}

#[test]
fn stop_with_drain_finishes_the_job_too() -> anyhow::Result<()> {
    let served = serve_job(Setup::default())?;
    let request_id = served.rest.stop_with_savepoint(&served.job_id(), None, true)?;
    let location = completed_location(&served, &request_id)?;
    assert!(Path::new(&location).join("_metadata").is_file(), "{location}");
    assert_eq!(served.job.wait_for_status(JobStatus::Finished, DEADLINE), JobStatus::Finished);
    Ok(())
}

#[test]
fn a_savepoint_with_cancel_job_cancels_after_it_completed() -> anyhow::Result<()> {
    let served = serve_job(Setup::default())?;
    let request_id = served.rest.trigger_savepoint(&served.job_id(), None, true)?;
    let location = completed_location(&served, &request_id)?;
    assert!(Path::new(&location).join("_metadata").is_file(), "{location}");
    assert_eq!(served.job.wait_for_status(JobStatus::Cancelled, DEADLINE), JobStatus::Cancelled);
    assert_eq!(served.rest.job(&served.job_id())?.state, "CANCELED");
    Ok(())
}
