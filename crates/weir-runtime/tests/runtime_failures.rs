//! A failing user function, source or sink fails the job with the operator, the subtask and the
//! cause — without hanging, also when other subtasks are blocked or unbounded.

use weir_connectors::{DataGenSource, FileSource};
use weir_runtime::prelude::*;
use weir_runtime::{FailureCause, JobError};
use weir_testkit::CollectSink;

fn env(parallelism: usize) -> StreamExecutionEnvironment {
    let env = StreamExecutionEnvironment::new();
    env.set_parallelism(parallelism)
        .set_config("taskmanager.numberOfTaskSlots", "4")
        .set_config("weir.progress", "false");
    env
}

fn failure(err: JobError) -> weir_runtime::TaskFailure {
    match err {
        JobError::Failed { failure, .. } => *failure,
        other => panic!("expected a task failure, got: {other}"),
    }
}

#[test]
fn a_panicking_map_names_the_operator_and_subtask() {
    let env = env(2);
    env.from_collection((0u64..100).collect())
        .filter(|_| true)
        .map(|x: u64| if x == 77 { panic!("cannot handle {x}") } else { x })
        .name("Parse")
        .sink_to(CollectSink::new());
    let err = env.execute("panics").expect_err("job fails");
    let message = err.to_string();
    let f = failure(err);
    assert_eq!(f.operator, "Parse");
    assert_eq!(f.parallelism, 2);
    assert!(matches!(&f.cause, FailureCause::Panic(m) if m == "cannot handle 77"), "{:?}", f.cause);
    assert!(message.contains("job 'panics'") && message.contains("operator 'Parse' (subtask"), "{message}");
    assert!(message.contains("of task 'Source: Collection -> Filter -> Parse -> Sink: CollectSink'"), "{message}");
}

#[test]
fn an_error_from_try_map_fails_the_job_as_a_user_error() {
    let env = env(1);
    env.from_collection(vec!["1".to_string(), "x".to_string()])
        .try_map(|s: String| s.parse::<u64>())
        .sink_to(CollectSink::new());
    let f = failure(env.execute("parse").expect_err("job fails"));
    assert_eq!(f.operator, "Map");
    let text = f.to_string();
    assert!(text.contains("user error") && text.contains("invalid digit"), "{text}");
}

#[test]
fn a_failure_behind_a_network_edge_cancels_an_unbounded_source() {
    // The source never ends; only the failure downstream can stop the job.
    let env = env(2);
    env.from_source(DataGenSource::new(|i| i), "Endless")
        .key_by(|x| *x % 10)
        .process(FailAfter { after: 5_000, seen: 0 })
        .sink_to(CollectSink::new());
    let f = failure(env.execute("endless").expect_err("job fails"));
    assert_eq!(f.operator, "KeyedProcess");
    assert!(f.to_string().contains("enough"), "{f}");
}

#[derive(Clone)]
struct FailAfter {
    after: u64,
    seen: u64,
}

impl KeyedProcessFunction<u64, u64, u64> for FailAfter {
    fn process_element(&mut self, value: u64, ctx: &mut KeyedContext<'_, u64, u64>) -> Result<()> {
        self.seen += 1;
        if self.seen > self.after {
            return Err(Error::user("enough records"));
        }
        ctx.collect(value);
        Ok(())
    }
}

#[test]
fn a_missing_input_fails_at_startup_naming_the_path() {
    let env = env(1);
    env.from_source(FileSource::new("/nonexistent/weir-input"), "Input").sink_to(CollectSink::new());
    let err = env.execute("missing").expect_err("job fails");
    assert!(matches!(err, JobError::Startup { .. }), "{err}");
    assert!(err.to_string().contains("/nonexistent/weir-input"), "{err}");
}

#[test]
fn bad_configuration_is_named() {
    let err =
        StreamExecutionEnvironment::from_args(["-D", "parallelism.default=four"]).err().expect("refused").to_string();
    assert!(err.contains("parallelism.default") && err.contains("four"), "{err}");
    let err = StreamExecutionEnvironment::from_args(["-D", "no-equals-sign"]).err().expect("refused").to_string();
    assert!(err.contains("key=value"), "{err}");
    let err = StreamExecutionEnvironment::from_args(["-p"]).err().expect("refused").to_string();
    assert!(err.contains("-p needs a value"), "{err}");

    let env = env(1);
    env.set_config("execution.buffer-timeout.interval", "soon");
    env.from_collection(vec![1u64]).sink_to(CollectSink::new());
    let err = env.execute("bad").expect_err("refused").to_string();
    assert!(err.contains("execution.buffer-timeout.interval") && err.contains("'soon'"), "{err}");
}

#[test]
fn too_few_slots_and_too_much_parallelism_are_refused() {
    let env = env(3);
    env.set_config("taskmanager.numberOfTaskSlots", "2");
    env.from_collection(vec![1u64]).sink_to(CollectSink::new());
    let err = env.execute("slots").expect_err("refused").to_string();
    assert!(err.contains("needs 3 slots") && err.contains("taskmanager.numberOfTaskSlots"), "{err}");

    let small = self::env(1);
    small.set_max_parallelism(4);
    small.from_collection(vec![1u64]).map(|x| x).set_parallelism(8).sink_to(CollectSink::new());
    let err = small.execute("max").expect_err("refused").to_string();
    assert!(err.contains("operator 'Map'") && err.contains("1..=4"), "{err}");
}

#[test]
fn from_args_reads_overrides_a_file_and_leaves_job_arguments() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("config.yaml");
    std::fs::write(&file, "parallelism:\n  default: 3\npipeline.max-parallelism: 64\n").expect("write");
    let (env, rest) = StreamExecutionEnvironment::from_args([
        "--config",
        file.to_str().expect("utf-8 path"),
        "-Dpipeline.max-parallelism=32",
        "--input",
        "data.txt",
    ])
    .expect("valid");
    assert_eq!(rest, ["--input", "data.txt"]);
    let conf = env.config();
    assert_eq!(conf.get_raw("parallelism.default"), Some("3"));
    assert_eq!(conf.get_raw("pipeline.max-parallelism"), Some("32"), "-D overrides the file");
}
