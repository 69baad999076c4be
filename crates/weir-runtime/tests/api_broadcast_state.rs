//! The broadcast state pattern in running jobs, without failures: a broadcast stream reaches
//! every subtask of the operator it is connected to while the other input is split among them,
//! and a function that reads a broadcast state its stream did not declare fails the job, naming
//! the state. (Restores are in `checkpoint_broadcast_state.rs` and the restore path's unit
//! tests.)

mod common;

use weir_runtime::prelude::*;
use weir_testkit::CollectSink;

/// Echoes events as `e<value>`; stores every rule and reports `s<subtask> has <rule>`.
#[derive(Clone)]
struct Echo {
    rules: MapStateDescriptor<String, u64>,
    subtask: usize,
}

impl BroadcastProcessFunction<u64, String, String> for Echo {
    fn open(&mut self, ctx: &OperatorContext) -> Result<()> {
        self.subtask = ctx.subtask.0;
        Ok(())
    }

    fn process_element(&mut self, value: u64, ctx: &mut ReadOnlyContext<'_, String>) -> Result<()> {
        // Reading is allowed (and how many rules arrived so far depends on timing).
        let _ = ctx.broadcast_state(&self.rules)?.len();
        ctx.collect(format!("e{value}"));
        Ok(())
    }

    fn process_broadcast_element(&mut self, rule: String, ctx: &mut BroadcastContext<'_, String>) -> Result<()> {
        ctx.broadcast_state(&self.rules)?.put(rule.clone(), 1);
        let stored = ctx.broadcast_state(&self.rules)?.contains(&rule);
        ctx.collect(format!("s{} has {rule}: {stored}", self.subtask));
        Ok(())
    }
}

#[test]
fn every_subtask_gets_every_broadcast_record_and_events_are_split() {
    let env = common::env(3);
    let rules = MapStateDescriptor::<String, u64>::new("rules");
    let broadcast =
        env.from_collection(vec!["a".to_string(), "b".to_string()]).set_parallelism(1).broadcast_state(&rules);
    let sink = CollectSink::new();
    env.from_collection((0u64..30).collect())
        .connect(&broadcast)
        .process(Echo { rules, subtask: 0 })
        .set_parallelism(3)
        .sink_to(sink.clone());
    env.execute("broadcast").expect("job");
    let mut got = sink.values();
    got.sort();
    let mut expected: Vec<String> = (0..30).map(|v| format!("e{v}")).collect();
    for subtask in 0..3 {
        expected.extend(["a", "b"].map(|rule| format!("s{subtask} has {rule}: true")));
    }
    expected.sort();
    assert_eq!(got, expected);
}

/// Reads a broadcast state under a name the broadcast stream did not declare.
#[derive(Clone)]
struct ReadsUndeclared {
    other: MapStateDescriptor<String, u64>,
}

impl KeyedBroadcastProcessFunction<u64, u64, String, u64> for ReadsUndeclared {
    fn process_element(&mut self, value: u64, ctx: &mut KeyedReadOnlyContext<'_, u64, u64>) -> Result<()> {
        let _ = ctx.broadcast_state(&self.other)?.len();
        ctx.collect(value);
        Ok(())
    }

    fn process_broadcast_element(&mut self, _rule: String, _ctx: &mut BroadcastContext<'_, u64>) -> Result<()> {
        Ok(())
    }
}

#[test]
fn an_undeclared_broadcast_state_fails_the_job_naming_it() {
    let env = common::env(1);
    let declared = MapStateDescriptor::<String, u64>::new("rules");
    let broadcast = env.from_collection(vec!["a".to_string()]).broadcast_state(&declared);
    env.from_collection(vec![1u64, 2])
        .key_by(|v: &u64| *v)
        .connect(&broadcast)
        .process(ReadsUndeclared { other: MapStateDescriptor::new("limits") })
        .sink_to(CollectSink::new());
    let err = env.execute("undeclared").expect_err("the job fails").to_string();
    assert!(err.contains("'limits'") && err.contains("declared: rules"), "{err}");
}
