//! `weir checkpoints check-restore <PATH> [-n] [RUN OPTIONS] <JOB> [JOB ARGS]`: a dry run of
//! restoring a built-in job from a snapshot. It prints, per operator of the snapshot, the
//! operator of the job its state would go to (or that it would be dropped, or that the restore
//! fails on it without `-n`), the job's operators that would start empty, every parallelism
//! change with how key groups and source positions would be dealt out, and the max-parallelism
//! check; it exits non-zero with the restore's own error when the restore would fail.
//!
//! The job is built exactly as `weir run` builds it (the same configuration from the same
//! options, [`crate::jobs::Job::build`]) and the verdict is the runtime's
//! (`StreamExecutionEnvironment::check_restore`, which uses the restore's own rules): nothing is
//! decided here. [`check`] does the I/O (loading the snapshot); [`render`] is pure.

use super::format::{human_bytes, plural};
use crate::cli::CheckRestoreArgs;
use crate::commands::run;
use std::process::ExitCode;
use weir_runtime::{OperatorRestore, RestoreCheck, RestoreTarget, StreamExecutionEnvironment, SubtaskRestore};

/// Runs the dry run and prints it; the restore's error, if it would fail, is returned as the
/// error (so it is printed as `error: cannot restore: ...` with exit status 1).
pub fn execute(args: CheckRestoreArgs) -> anyhow::Result<ExitCode> {
    let mut check = check(&args)?;
    super::super::print_stdout(&render(args.job.name(), &check))?;
    match check.failure.take() {
        Some(failure) => Err(failure.into()),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// Builds the job as `weir run` would and checks its restore from `args.path`.
pub fn check(args: &CheckRestoreArgs) -> anyhow::Result<RestoreCheck> {
    let config = run::configuration(&args.options)?;
    run::warn_unknown_keys(&config);
    let env = StreamExecutionEnvironment::with_config(config);
    args.job.build(&env);
    Ok(env.check_restore(&args.path, args.allow_non_restored)?)
}

/// The dry run as text: the snapshot, the max-parallelism check, the snapshot's operators and
/// where their state goes, the operators that start empty, and the verdict.
pub fn render(job_name: &str, check: &RestoreCheck) -> String {
    let mut text = format!(
        "Dry run: restoring job '{job_name}' from {} {} at {}\n\n",
        check.kind,
        check.checkpoint_id,
        check.dir.display()
    );
    let same_max = check.snapshot_max_parallelism as usize == check.job_max_parallelism;
    text.push_str(&format!(
        "Max parallelism: {} key groups in the snapshot, {} in the job: {}\n\n",
        check.snapshot_max_parallelism,
        check.job_max_parallelism,
        if same_max { "unchanged, ok" } else { "CHANGED: every key would move to another key group" }
    ));

    text.push_str("State in the snapshot, by operator uid:\n");
    let width = check.operators.iter().map(|op| op.uid.chars().count()).max().unwrap_or(0);
    for op in &check.operators {
        text.push_str(&operator(op, width, same_max));
    }

    text.push_str("\nOperators of the job without state in the snapshot (they start empty):\n");
    if check.fresh.is_empty() {
        text.push_str("  none\n");
    }
    for op in &check.fresh {
        text.push_str(&format!("  '{}' (uid {}), parallelism {}\n", op.name, op.uid, op.parallelism));
    }

    let generated: Vec<&str> = check
        .operators
        .iter()
        .filter(|op| op.holds_state())
        .filter_map(|op| match &op.target {
            RestoreTarget::Operator { operator, .. } if operator.generated_uid => Some(op.uid.as_str()),
            _ => None,
        })
        .collect();
    if !generated.is_empty() {
        text.push_str(&format!(
            "\nNote: state is matched by generated uids ({}), which follow the operator's position in the graph \
             and match the same operator only if the graph is unchanged; give stateful operators a uid(...).\n",
            generated.join(", ")
        ));
    }

    text.push('\n');
    match &check.failure {
        Some(_) => text.push_str("Result: the restore would FAIL (the error follows).\n"),
        None => {
            let rescaled = check
                .operators
                .iter()
                .filter(|op| matches!(&op.target, RestoreTarget::Operator { operator, .. } if operator.parallelism != op.parallelism))
                .count();
            let note = if rescaled == 0 {
                "no parallelism changes".to_string()
            } else {
                format!("the parallelism of {} changes", plural(rescaled, "operator", "operators"))
            };
            text.push_str(&format!("Result: the restore would succeed ({note}).\n"));
        }
    }
    text
}

/// `uid  -> 'Operator', parallelism 2 -> 3, ...` and, when state is redistributed, one line per
/// new subtask.
fn operator(op: &OperatorRestore, width: usize, same_max: bool) -> String {
    let uid = &op.uid;
    let state = if op.files > 0 {
        format!("{} ({})", plural(op.files, "state file", "state files"), human_bytes(op.state_size))
    } else if op.has_positions {
        "source positions".to_string()
    } else {
        "no state".to_string()
    };
    let (operator, subtasks) = match &op.target {
        RestoreTarget::Operator { operator, subtasks } => (operator, subtasks),
        RestoreTarget::Vanished => {
            return format!("  {uid:<width$}  -> no operator: nothing is lost, it kept no state\n");
        }
        RestoreTarget::Dropped => return format!("  {uid:<width$}  -> no operator: would be dropped ({state})\n"),
        RestoreTarget::Unmatched => {
            return format!(
                "  {uid:<width$}  -> error: unmatched, needs -n (--allow-non-restored-state) to drop its {state}\n"
            );
        }
    };
    let (old, new) = (op.parallelism, operator.parallelism);
    let parallelism = if old == new { format!("parallelism {new}") } else { format!("parallelism {old} -> {new}") };
    let mut text = format!("  {uid:<width$}  -> '{}', {parallelism}, {state}", operator.name);
    if !op.holds_state() {
        text.push_str(": nothing to restore\n");
        return text;
    }
    if !same_max {
        text.push_str(": cannot be redistributed under another max parallelism\n");
        return text;
    }
    if old == new {
        let what = if op.files > 0 { "state" } else { "splits" };
        text.push_str(&format!(": every subtask restores its own {what}\n"));
        return text;
    }
    text.push_str(":\n");
    let indent = " ".repeat(width + 6);
    for subtask in subtasks {
        text.push_str(&format!("{indent}{}\n", subtask_line(subtask)));
    }
    text
}

/// `subtask 1: key groups [43, 86) from old subtasks 0, 1; resumes 1 split`.
fn subtask_line(subtask: &SubtaskRestore) -> String {
    let mut parts = Vec::new();
    if subtask.files > 0 || subtask.key_groups.is_some() {
        let from = match subtask.from_subtasks.as_slice() {
            [] => "nothing".to_string(),
            [one] => format!("old subtask {one}"),
            many => format!("old subtasks {}", many.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")),
        };
        parts.push(match subtask.key_groups {
            Some(groups) => format!("key groups {groups} from {from}"),
            None => format!("operator state of {from}"),
        });
    }
    if let Some(splits) = subtask.splits {
        parts.push(format!("resumes {}", plural(splits, "split", "splits")));
    }
    format!("subtask {}: {}", subtask.subtask, parts.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use weir_checkpoint::SnapshotKind;
    use weir_core::KeyGroupRange;
    use weir_runtime::{JobError, JobOperator};

    fn job_operator(name: &str, uid: &str, parallelism: usize) -> JobOperator {
        JobOperator { name: name.into(), uid: uid.into(), generated_uid: uid.starts_with("auto-"), parallelism }
    }

    fn restore(
        uid: &str,
        parallelism: usize,
        files: usize,
        has_positions: bool,
        target: RestoreTarget,
    ) -> OperatorRestore {
        OperatorRestore { uid: uid.into(), parallelism, files, state_size: files as u64 * 1024, has_positions, target }
    }

    fn check(failure: Option<JobError>) -> RestoreCheck {
        let keyed = |subtask, start, end, from: Vec<usize>| SubtaskRestore {
            subtask,
            key_groups: Some(KeyGroupRange { start, end }),
            files: from.len(),
            from_subtasks: from,
            splits: None,
        };
        let source = |subtask, splits| SubtaskRestore {
            subtask,
            key_groups: None,
            from_subtasks: vec![],
            files: 0,
            splits: Some(splits),
        };
        RestoreCheck {
            dir: PathBuf::from("/ck/j/chk-3"),
            kind: SnapshotKind::Checkpoint,
            checkpoint_id: 3,
            snapshot_max_parallelism: 128,
            job_max_parallelism: 128,
            operators: vec![
                restore(
                    "auto-0",
                    2,
                    0,
                    true,
                    RestoreTarget::Operator {
                        operator: job_operator("Source: Generated text", "auto-0", 3),
                        subtasks: vec![source(0, 1), source(1, 1), source(2, 0)],
                    },
                ),
                restore(
                    "word-counts",
                    2,
                    2,
                    false,
                    RestoreTarget::Operator {
                        operator: job_operator("Count", "word-counts", 3),
                        subtasks: vec![
                            keyed(0, 0, 43, vec![0]),
                            keyed(1, 43, 86, vec![0, 1]),
                            keyed(2, 86, 128, vec![1]),
                        ],
                    },
                ),
                restore(
                    "auto-1",
                    2,
                    0,
                    false,
                    RestoreTarget::Operator { operator: job_operator("Tokenize", "auto-1", 3), subtasks: vec![] },
                ),
                restore("stateless", 1, 0, false, RestoreTarget::Vanished),
                restore("old-counts", 1, 1, false, RestoreTarget::Dropped),
                restore("page-stats", 2, 2, false, RestoreTarget::Unmatched),
            ],
            fresh: vec![job_operator("Top words", "top-words", 3)],
            failure,
        }
    }

    #[test]
    fn every_snapshot_operator_is_mapped_and_redistribution_is_shown() {
        let text = render("wordcount", &check(None));
        let expected = [
            "Dry run: restoring job 'wordcount' from checkpoint 3 at /ck/j/chk-3",
            "Max parallelism: 128 key groups in the snapshot, 128 in the job: unchanged, ok",
            "State in the snapshot, by operator uid:",
            "  auto-0       -> 'Source: Generated text', parallelism 2 -> 3, source positions:",
            "                 subtask 0: resumes 1 split",
            "                 subtask 2: resumes 0 splits",
            "  word-counts  -> 'Count', parallelism 2 -> 3, 2 state files (2.0 KiB):",
            "                 subtask 1: key groups [43, 86) from old subtasks 0, 1",
            "                 subtask 2: key groups [86, 128) from old subtask 1",
            "  auto-1       -> 'Tokenize', parallelism 2 -> 3, no state: nothing to restore",
            "  stateless    -> no operator: nothing is lost, it kept no state",
            "  old-counts   -> no operator: would be dropped (1 state file (1.0 KiB))",
            "  page-stats   -> error: unmatched, needs -n (--allow-non-restored-state) to drop its 2 state files (2.0 KiB)",
            "Operators of the job without state in the snapshot (they start empty):",
            "  'Top words' (uid top-words), parallelism 3",
            "Note: state is matched by generated uids (auto-0), which follow the operator's position in the graph and match the same operator only if the graph is unchanged; give stateful operators a uid(...).",
            "Result: the restore would succeed (the parallelism of 3 operators changes).",
        ];
        for line in expected {
            assert!(text.lines().any(|l| l == line), "missing line {line:?} in:\n{text}");
        }
    }

    #[test]
    fn unchanged_parallelism_and_a_failure_are_said_plainly() {
        let mut check = check(Some(JobError::Restore("the snapshot at /ck/j/chk-3 has state ...".into())));
        check.operators.truncate(2);
        for op in &mut check.operators {
            if let RestoreTarget::Operator { operator, .. } = &mut op.target {
                operator.parallelism = 2;
            }
        }
        let text = render("wordcount", &check);
        assert!(text.contains("  auto-0       -> 'Source: Generated text', parallelism 2, source positions: every subtask restores its own splits\n"), "{text}");
        assert!(text.contains("  word-counts  -> 'Count', parallelism 2, 2 state files (2.0 KiB): every subtask restores its own state\n"), "{text}");
        assert!(text.ends_with("Result: the restore would FAIL (the error follows).\n"), "{text}");
    }

    #[test]
    fn a_changed_max_parallelism_is_flagged() {
        let mut check = check(None);
        check.job_max_parallelism = 64;
        let text = render("wordcount", &check);
        assert!(text.contains("128 key groups in the snapshot, 64 in the job: CHANGED"), "{text}");
        assert!(
            text.contains("'Count', parallelism 2 -> 3, 2 state files (2.0 KiB): cannot be redistributed"),
            "{text}"
        );
    }
}
