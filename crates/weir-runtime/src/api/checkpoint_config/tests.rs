use super::*;
use std::collections::BTreeSet;

/// The checkpoint keys an environment's configuration holds.
fn checkpoint_keys(env: &StreamExecutionEnvironment) -> BTreeSet<String> {
    let known: BTreeSet<&str> = keys::option_descriptions().into_iter().map(|(key, _)| key).collect();
    env.config().iter().map(|(key, _)| key).filter(|key| known.contains(key)).map(str::to_string).collect()
}

#[test]
fn the_builder_and_the_keys_agree() {
    let built = StreamExecutionEnvironment::new();
    built
        .checkpoint_config()
        .set_checkpoint_interval(Duration::from_secs(10))
        .expect("interval")
        .set_checkpointing_mode(CheckpointingMode::AtLeastOnce)
        .set_checkpoint_timeout(Duration::from_secs(120))
        .expect("timeout")
        .set_min_pause_between_checkpoints(Duration::from_millis(500))
        .expect("min pause")
        .set_max_concurrent_checkpoints(3)
        .expect("max concurrent")
        .set_tolerable_checkpoint_failure_number(2)
        .set_externalized_checkpoint_retention(RetentionPolicy::RetainOnCancellation)
        .set_checkpoint_storage("/data/checkpoints")
        .expect("dir")
        .set_num_retained_checkpoints(5)
        .expect("retained");

    // The same settings as `-D` would give them.
    let mut flags = Configuration::new();
    for flag in [
        "execution.checkpointing.interval=10 s",
        "execution.checkpointing.mode=AT_LEAST_ONCE",
        "execution.checkpointing.timeout=2 min",
        "execution.checkpointing.min-pause=500",
        "execution.checkpointing.max-concurrent-checkpoints=3",
        "execution.checkpointing.tolerable-failed-checkpoints=2",
        "execution.checkpointing.externalized-checkpoint-retention=RETAIN_ON_CANCELLATION",
        "state.checkpoints.dir=/data/checkpoints",
        "state.checkpoints.num-retained=5",
    ] {
        flags.set_override(flag).expect("well-formed flag");
    }
    let from_flags = CheckpointConfig::from_configuration(&flags).expect("valid flags");
    assert_eq!(built.checkpoint_config().get().expect("valid builder"), from_flags);

    // Every key the builder wrote is one of weir-checkpoint's, and it has a setter for each of
    // them but the savepoint directory (a savepoint's business).
    let expected: BTreeSet<String> = keys::option_descriptions()
        .into_iter()
        .map(|(key, _)| key.to_string())
        .filter(|key| key != keys::SAVEPOINTS_DIR.key)
        .collect();
    assert_eq!(checkpoint_keys(&built), expected);
    let all_written: BTreeSet<String> = built.config().iter().map(|(key, _)| key.to_string()).collect();
    assert_eq!(all_written, expected, "the builder writes checkpoint keys only");
}

#[test]
fn every_mode_and_retention_reads_back_as_written() {
    let env = StreamExecutionEnvironment::new();
    let builder = env.checkpoint_config();
    for mode in [CheckpointingMode::ExactlyOnce, CheckpointingMode::AtLeastOnce] {
        assert_eq!(builder.set_checkpointing_mode(mode).get().expect("valid").mode, mode);
    }
    for retention in [
        RetentionPolicy::RetainOnCancellation,
        RetentionPolicy::DeleteOnCancellation,
        RetentionPolicy::NoExternalizedCheckpoints,
    ] {
        let read = builder.set_externalized_checkpoint_retention(retention).get().expect("valid");
        assert_eq!(read.retention, retention);
    }
}

#[test]
fn a_refused_value_names_its_key_and_changes_nothing() {
    let env = StreamExecutionEnvironment::new();
    let builder = env.checkpoint_config();
    builder.set_checkpoint_interval(Duration::from_secs(1)).expect("valid interval");
    let before = env.config();
    let refusals: Vec<(&str, Result<&CheckpointConfigBuilder, JobError>)> = vec![
        ("execution.checkpointing.interval", builder.set_checkpoint_interval(Duration::from_millis(5))),
        ("execution.checkpointing.timeout", builder.set_checkpoint_timeout(Duration::from_micros(300))),
        ("execution.checkpointing.min-pause", builder.set_min_pause_between_checkpoints(Duration::MAX)),
        ("execution.checkpointing.max-concurrent-checkpoints", builder.set_max_concurrent_checkpoints(0)),
        ("state.checkpoints.num-retained", builder.set_num_retained_checkpoints(0)),
        ("state.checkpoints.dir", builder.set_checkpoint_storage("")),
    ];
    for (key, refused) in refusals {
        let Err(error) = refused else { panic!("{key}: the value was accepted") };
        let text = error.to_string();
        assert!(text.contains(&format!("'{key}'")), "{key}: {text}");
        assert!(matches!(error, JobError::Checkpoint(CheckpointError::InvalidConfig { .. })), "{key}: {error:?}");
    }
    assert_eq!(env.config(), before, "refused values are not written");
    assert_eq!(
        builder.set_checkpoint_interval(Duration::from_millis(5)).err().map(|e| e.to_string()).as_deref(),
        Some(
            "invalid checkpoint configuration: 'execution.checkpointing.interval': the value '5 ms' is not valid: \
             expected an interval of at least 10 ms"
        )
    );
}

#[test]
fn set_config_and_the_builder_write_the_same_keys_and_the_later_wins() {
    let env = StreamExecutionEnvironment::new();
    env.set_config("execution.checkpointing.timeout", "30 s");
    assert_eq!(env.checkpoint_config().get().expect("valid").timeout, Duration::from_secs(30));
    env.checkpoint_config().set_checkpoint_timeout(Duration::from_secs(45)).expect("valid");
    assert_eq!(env.config().get_raw("execution.checkpointing.timeout"), Some("45000 ms"));
    env.set_config("execution.checkpointing.timeout", "1 min");
    assert_eq!(env.checkpoint_config().get().expect("valid").timeout, Duration::from_secs(60));
}

#[test]
fn enable_checkpointing_is_the_builder_s_interval_and_mode() {
    let enabled = StreamExecutionEnvironment::new();
    enabled.enable_checkpointing(Duration::from_millis(250), CheckpointingMode::AtLeastOnce);
    let built = StreamExecutionEnvironment::new();
    built
        .checkpoint_config()
        .set_checkpoint_interval(Duration::from_millis(250))
        .expect("valid")
        .set_checkpointing_mode(CheckpointingMode::AtLeastOnce);
    assert_eq!(enabled.config(), built.config());
}

#[test]
fn a_bad_value_set_as_a_key_is_reported_by_get() {
    let env = StreamExecutionEnvironment::new();
    env.set_config("execution.checkpointing.max-concurrent-checkpoints", "none");
    let error = env.checkpoint_config().get().expect_err("malformed").to_string();
    assert!(
        error.contains("'execution.checkpointing.max-concurrent-checkpoints'") && error.contains("'none'"),
        "{error}"
    );
}

#[test]
fn a_bad_interval_from_enable_checkpointing_is_refused_at_submission() {
    let env = StreamExecutionEnvironment::new();
    env.enable_checkpointing(Duration::from_millis(5), CheckpointingMode::ExactlyOnce);
    let error = env.execute_async("too often").expect_err("refused").to_string();
    assert!(error.contains("'execution.checkpointing.interval'") && error.contains("'5 ms'"), "{error}");
}
