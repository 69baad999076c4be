//! The `recovery` workload end to end, with the real `weir-bench` executable (the workload
//! starts itself as the job process, which a unit test's executable cannot be): a small state,
//! checkpoints every 100 ms, a kill, a restart from the latest checkpoint.

use std::process::Command;

/// The value of `key` in a `key=value ...` line.
fn field<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    line.split_whitespace().find_map(|f| f.strip_prefix(key)?.strip_prefix('='))
}

fn number(line: &str, key: &str) -> u64 {
    field(line, key).and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("no number {key} in: {line}"))
}

#[test]
fn a_killed_job_process_restarts_from_its_latest_checkpoint_and_catches_up() {
    let output = Command::new(env!("CARGO_BIN_EXE_weir-bench"))
        .args(["run", "recovery", "--keys", "10000", "--events", "20000"])
        .args(["-D", "execution.checkpointing.interval=100ms"])
        .output()
        .expect("weir-bench starts");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "stdout:\n{stdout}\nstderr:\n{}", String::from_utf8_lossy(&output.stderr));

    let result = stdout.lines().find(|l| l.starts_with("RESULT ")).expect("a RESULT line");
    assert_eq!(field(result, "workload"), Some("recovery"));
    assert_eq!(number(result, "keys"), 10_000);
    let (first, caught_up) = (number(result, "restart_to_first_record_ms"), number(result, "time_to_caught_up_ms"));
    assert!(first <= caught_up, "{result}");
    // 10,000 keys of (count, sum): a few bytes each.
    assert!(number(result, "state_bytes") > 30_000, "{result}");

    let phases = stdout.lines().find(|l| l.starts_with("RECOVERY_PHASES ")).expect("a RECOVERY_PHASES line");
    assert_eq!(number(phases, "checkpoint_interval_ms"), 100);
    let (killed_at, restored_from) = (number(phases, "killed_at_index"), number(phases, "restored_from_index"));
    // The killed process loaded every key and took three checkpoints after that; the restart
    // begins at the checkpoint's position, after the load and before the kill.
    assert!(restored_from >= 20_000 && restored_from <= killed_at + 1, "{phases}");
    assert_eq!(number(result, "replayed_records"), killed_at + 1 - restored_from, "{result}");
    assert_eq!(number(result, "events"), killed_at + 1, "{result}");
}
