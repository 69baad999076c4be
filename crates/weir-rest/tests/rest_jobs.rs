//! The REST API over a real server on a free port and a real running job: the jobs' routes,
//! checkpoint statistics and configuration, cancelling, and every error answer.

mod common;

use common::{DEADLINE, Setup, eventually, raw, serve_job};
use std::net::SocketAddr;
use weir_rest::{JobRegistry, RestClient, RestError, RestServer};
use weir_runtime::JobStatus;

#[test]
fn a_running_job_is_listed_with_flink_s_fields() -> anyhow::Result<()> {
    let served = serve_job(Setup::default())?;
    let address = served.server.local_addr();
    let id = served.job_id();

    let (status, jobs) = raw(address, "GET", "/jobs", "")?;
    assert_eq!(status, 200);
    assert_eq!(jobs, serde_json::json!({"jobs": [{"id": id, "status": "RUNNING"}]}));

    let (status, job) = raw(address, "GET", &format!("/jobs/{id}"), "")?;
    assert_eq!(status, 200, "{job}");
    assert_eq!(job["jid"], id.as_str());
    assert_eq!(job["name"], "numbers");
    assert_eq!(job["state"], "RUNNING");
    assert_eq!(job["end-time"], -1);
    assert_eq!(job["start-time"], served.job.start_time());
    assert!(job["duration"].as_i64().is_some_and(|d| d >= 0), "{job}");

    let overview = served.rest.jobs()?;
    assert_eq!(overview.jobs.len(), 1);
    assert_eq!((overview.jobs[0].jid.as_str(), overview.jobs[0].name.as_str()), (id.as_str(), "numbers"));
    Ok(())
}

#[test]
fn checkpoint_statistics_and_configuration_as_flink_shows_them() -> anyhow::Result<()> {
    let served = serve_job(Setup::default())?;
    let id = served.job_id();
    let statistics = eventually("two completed checkpoints", || {
        let statistics = served.rest.checkpoints(&id)?;
        Ok((statistics.counts.completed >= 2).then_some(statistics))
    })?;
    let latest = statistics.latest.completed.as_ref().expect("a latest completed checkpoint");
    assert_eq!(latest.status, "COMPLETED");
    assert_eq!(latest.is_savepoint, Some(false));
    let path = latest.external_path.as_deref().expect("its path");
    assert!(path.contains(&id) && path.contains("chk-"), "{path}");
    assert!(statistics.latest.savepoint.is_none() && statistics.latest.restored.is_none());
    let ids: Vec<u64> = statistics.history.iter().map(|c| c.id).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    assert!(statistics.counts.total >= statistics.counts.completed);

    let (status, config) = raw(served.server.local_addr(), "GET", &format!("/jobs/{id}/checkpoints/config"), "")?;
    assert_eq!(status, 200, "{config}");
    assert_eq!(config["mode"], "exactly_once");
    assert_eq!(config["interval"], 50);
    assert_eq!(config["timeout"], 600_000);
    assert_eq!(config["max_concurrent"], 1);
    assert_eq!(config["externalization"], serde_json::json!({"enabled": false, "delete_on_cancellation": true}));
    assert_eq!(config["tolerable_failed_checkpoints"], 0);
    assert_eq!(config["savepoints_dir"], served.savepoints_dir().display().to_string());
    Ok(())
}

#[test]
fn patch_cancels_the_job_once() -> anyhow::Result<()> {
    let served = serve_job(Setup::default())?;
    let (address, id) = (served.server.local_addr(), served.job_id());

    let (status, answer) = raw(address, "PATCH", &format!("/jobs/{id}?mode=stop"), "")?;
    assert_eq!(status, 400, "{answer}");
    assert!(answer["errors"][0].as_str().is_some_and(|e| e.contains("unsupported mode 'stop'")), "{answer}");

    let (status, answer) = raw(address, "PATCH", &format!("/jobs/{id}?mode=cancel"), "")?;
    assert_eq!((status, answer), (202, serde_json::json!({})));
    assert_eq!(served.job.wait_for_status(JobStatus::Cancelled, DEADLINE), JobStatus::Cancelled);
    let job = served.rest.job(&id)?;
    assert_eq!(job.state, "CANCELED");
    assert!(job.end_time >= job.start_time, "{job:?}");
    assert!(served.registry.wait_until_answered(std::time::Duration::ZERO), "the final status was read");

    let error = served.rest.cancel(&id).expect_err("already ended");
    assert_eq!(error.status(), Some(409));
    assert!(error.to_string().contains("has already ended (CANCELED)"), "{error}");
    Ok(())
}

#[test]
fn errors_are_json_with_the_status_and_name_what_is_wrong() -> anyhow::Result<()> {
    let served = serve_job(Setup { checkpointing: true, savepoints_dir: false })?;
    let (address, id) = (served.server.local_addr(), served.job_id());
    let unknown = "0123456789abcdef0123456789abcdef";
    let cases = [
        ("GET", format!("/jobs/{unknown}"), "", 404, format!("job {unknown} not found")),
        ("GET", format!("/jobs/{unknown}/checkpoints"), "", 404, format!("job {unknown} not found")),
        ("PATCH", format!("/jobs/{unknown}"), "", 404, format!("job {unknown} not found")),
        ("GET", "/jobs/not-a-job".to_string(), "", 400, "'not-a-job' is not a job id".to_string()),
        ("POST", "/jobs/xyz/stop".to_string(), "", 400, "'xyz' is not a job id".to_string()),
        ("GET", "/nowhere".to_string(), "", 404, "no such resource: /nowhere".to_string()),
        ("DELETE", "/jobs".to_string(), "", 405, "method not allowed on /jobs".to_string()),
        (
            "POST",
            format!("/jobs/{id}/savepoints"),
            "{\"target-directory\": ",
            400,
            "malformed request body".to_string(),
        ),
        ("POST", format!("/jobs/{id}/stop"), "{\"target-directory\": \"/x\"}", 400, "unknown field".to_string()),
        (
            "GET",
            format!("/jobs/{id}/savepoints/feedbeef"),
            "",
            404,
            format!("savepoint request feedbeef of job {id} not found"),
        ),
        (
            "POST",
            format!("/jobs/{id}/savepoints"),
            "",
            400,
            "give a target directory or set state.savepoints.dir".to_string(),
        ),
    ];
    for (method, path, body, status, message) in cases {
        let (got, answer) = raw(address, method, &path, body)?;
        assert_eq!(got, status, "{method} {path}: {answer}");
        let errors = answer["errors"].as_array().expect("an errors list");
        assert!(
            errors.len() == 1 && errors[0].as_str().is_some_and(|e| e.contains(&message)),
            "{method} {path}: {answer}, expected {message:?}"
        );
    }
    Ok(())
}

#[test]
fn without_checkpointing_there_is_no_config_and_no_savepoint() -> anyhow::Result<()> {
    let served = serve_job(Setup { checkpointing: false, savepoints_dir: true })?;
    let id = served.job_id();
    let error = served.rest.checkpoint_config(&id).expect_err("no checkpointing");
    assert!(error.is_not_found() && error.to_string().contains("checkpointing is not enabled"), "{error}");
    let error = served.rest.trigger_savepoint(&id, None, false).expect_err("no checkpointing");
    assert_eq!(error.status(), Some(409));
    assert!(error.to_string().contains("checkpointing is off (set execution.checkpointing.interval)"), "{error}");
    let statistics = served.rest.checkpoints(&id)?;
    assert_eq!(statistics.counts.total, 0);
    Ok(())
}

#[test]
fn a_taken_port_is_refused_naming_the_address_and_the_way_out() -> anyhow::Result<()> {
    let first = RestServer::start(SocketAddr::from(([127, 0, 0, 1], 0)), JobRegistry::new())?;
    let taken = first.local_addr();
    let error = RestServer::start(taken, JobRegistry::new()).expect_err("the port is taken");
    assert!(matches!(error, RestError::AddressInUse { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains(&taken.to_string()) && message.contains("-D rest.port=0"), "{message}");
    Ok(())
}

#[test]
fn after_shutdown_nothing_answers() -> anyhow::Result<()> {
    let server = RestServer::start(SocketAddr::from(([127, 0, 0, 1], 0)), JobRegistry::new())?;
    let client = RestClient::new(server.local_addr().to_string())?;
    assert!(client.job_ids()?.jobs.is_empty());
    server.shutdown();
    let error = client.job_ids().expect_err("the server is gone");
    assert!(error.is_unreachable(), "{error:?}");
    assert!(error.to_string().contains("no job manager reachable at 127.0.0.1:"), "{error}");
    Ok(())
}
