use super::*;
use serde_json::json;
use std::path::PathBuf;
use weir_runtime::CheckpointCounts;

fn summary(id: u64, completed: bool, failure: Option<&str>) -> CheckpointSummary {
    CheckpointSummary {
        id,
        is_savepoint: false,
        completed,
        failure: failure.map(str::to_string),
        duration: Some(Duration::from_millis(12)),
        state_size: 4096,
        max_sync: Duration::from_millis(1),
        max_async: Duration::from_millis(5),
        max_alignment: Duration::ZERO,
        trigger_timestamp: 1_700_000_000_000,
        path: PathBuf::from(format!("/ck/job/chk-{id}")),
    }
}

#[test]
fn a_completed_checkpoint_has_flink_s_fields_and_a_path() -> serde_json::Result<()> {
    let value = serde_json::to_value(CheckpointStatistics::of(&summary(3, true, None)))?;
    assert_eq!(
        value,
        json!({
            "id": 3, "status": "COMPLETED", "is_savepoint": false, "checkpoint_type": "CHECKPOINT",
            "trigger_timestamp": 1_700_000_000_000_i64, "state_size": 4096, "end_to_end_duration": 12,
            "max_sync_duration": 1, "max_async_duration": 5, "max_alignment_duration": 0,
            "external_path": "/ck/job/chk-3"
        })
    );
    Ok(())
}

#[test]
fn a_failed_checkpoint_has_its_message_and_no_path() -> serde_json::Result<()> {
    let value = serde_json::to_value(CheckpointStatistics::of(&summary(4, false, Some("expired"))))?;
    assert_eq!(value["status"], "FAILED");
    assert_eq!(value["failure_message"], "expired");
    assert!(value.get("external_path").is_none(), "{value}");
    Ok(())
}

#[test]
fn history_is_newest_first_with_checkpoints_in_flight_on_top() {
    let overview = CheckpointsOverview {
        counts: CheckpointCounts { triggered: 4, in_progress: 1, completed: 2, failed: 1, restored: 0 },
        in_progress: vec![4],
        recent: vec![summary(1, true, None), summary(2, false, Some("declined")), summary(3, true, None)],
        latest_completed: Some(summary(3, true, None)),
        latest_savepoint: None,
        latest_failed: Some(summary(2, false, Some("declined"))),
        latest_restored: None,
    };
    let statistics = CheckpointingStatistics::of(&overview);
    let ids: Vec<(u64, &str)> = statistics.history.iter().map(|c| (c.id, c.status.as_str())).collect();
    assert_eq!(ids, [(4, "IN_PROGRESS"), (3, "COMPLETED"), (2, "FAILED"), (1, "COMPLETED")]);
    assert_eq!(
        statistics.counts,
        CheckpointCountsJson { restored: 0, total: 4, in_progress: 1, completed: 2, failed: 1 }
    );
    assert_eq!(statistics.latest.completed.map(|c| c.id), Some(3));
    assert_eq!(statistics.latest.failed.map(|c| c.id), Some(2));
}

#[test]
fn the_checkpoint_config_uses_flink_s_names_and_milliseconds() -> serde_json::Result<()> {
    let config = CheckpointConfig {
        interval: Some(Duration::from_millis(100)),
        retention: RetentionPolicy::RetainOnCancellation,
        savepoints_dir: Some("/sp".into()),
        ..CheckpointConfig::default()
    };
    let value = serde_json::to_value(CheckpointConfigInfo::of(&config))?;
    assert_eq!(value["mode"], "exactly_once");
    assert_eq!(value["interval"], 100);
    assert_eq!(value["timeout"], 600_000);
    assert_eq!(value["externalization"], json!({"enabled": true, "delete_on_cancellation": false}));
    assert_eq!(value["tolerable_failed_checkpoints"], 0);
    assert_eq!(value["savepoints_dir"], "/sp");
    assert_eq!(value["checkpoints_dir"], serde_json::Value::Null);
    Ok(())
}

#[test]
fn savepoint_answers_as_flink_gives_them() -> serde_json::Result<()> {
    let in_progress = SavepointInfo::of(&SavepointStatus::InProgress);
    assert_eq!(serde_json::to_value(&in_progress)?, json!({"status": {"id": "IN_PROGRESS"}}));
    assert_eq!(in_progress.outcome(), Some(SavepointOutcome::InProgress));

    let completed = SavepointInfo::of(&SavepointStatus::Completed { path: "/sp/savepoint-ab-12".into() });
    assert_eq!(
        serde_json::to_value(&completed)?,
        json!({"status": {"id": "COMPLETED"}, "operation": {"location": "/sp/savepoint-ab-12"}})
    );
    assert_eq!(completed.outcome(), Some(SavepointOutcome::Completed { location: "/sp/savepoint-ab-12".into() }));

    let failed = SavepointInfo::of(&SavepointStatus::Failed { message: "declined by subtask 1".into() });
    let value = serde_json::to_value(&failed)?;
    assert_eq!(value["status"]["id"], "COMPLETED");
    assert_eq!(value["operation"]["failure-cause"]["stack-trace"], "declined by subtask 1");
    assert_eq!(failed.outcome(), Some(SavepointOutcome::Failed { message: "declined by subtask 1".into() }));
    Ok(())
}

#[test]
fn request_bodies_take_flink_s_names_and_refuse_unknown_fields() -> serde_json::Result<()> {
    let savepoint: SavepointTriggerRequest =
        serde_json::from_str(r#"{"target-directory": "/sp", "cancel-job": true, "formatType": "CANONICAL"}"#)?;
    assert_eq!(savepoint.target_directory.as_deref(), Some("/sp"));
    assert!(savepoint.cancel_job);
    let stop: StopWithSavepointRequest = serde_json::from_str(r#"{"targetDirectory": "/sp", "drain": true}"#)?;
    assert_eq!(stop.target_directory.as_deref(), Some("/sp"));
    assert!(stop.drain);
    assert!(serde_json::from_str::<SavepointTriggerRequest>(r#"{"targetDirectory": "/sp"}"#).is_err());
    assert!(serde_json::from_str::<StopWithSavepointRequest>(r#"{"drain": "yes"}"#).is_err());
    Ok(())
}

#[test]
fn a_running_job_has_no_end_time_and_a_growing_duration() -> serde_json::Result<()> {
    let details = JobDetails {
        jid: "ab".into(),
        name: "wordcount".into(),
        state: "RUNNING".into(),
        start_time: 1_000,
        end_time: -1,
        duration: 500,
        now: 1_500,
    };
    let value = serde_json::to_value(&details)?;
    assert_eq!(value["start-time"], 1_000);
    assert_eq!(value["end-time"], -1);
    assert_eq!(serde_json::from_value::<JobDetails>(value)?, details);
    Ok(())
}
