//! `weir checkpoints list|inspect|verify|check-restore` on checkpoints a built-in job really
//! wrote: the job runs with checkpoints every 10 ms and fails for good just before a checkpoint's
//! `_metadata` is written (a fault injector, no restarts), so that with `RETAIN_ON_CANCELLATION`
//! its completed checkpoints stay on disk, as after a crash. The commands are called as library
//! functions; a few runs of the binary check the exit statuses.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use weir::cli::{CheckRestoreArgs, RunOptions};
use weir::commands::checkpoints::{check_restore, inspect, list, verify};
use weir::commands::run::configuration;
use weir::jobs::Job;
use weir::jobs::clicks::ClicksArgs;
use weir::jobs::wordcount::WordcountArgs;
use weir_runtime::{FaultInjector, FaultPoint, RestoreTarget, StreamExecutionEnvironment};
use weir_state::storage::open_snapshot;

/// Fails the job manager instead of writing the `_metadata` of the checkpoint after `completed`.
struct FailAfterCheckpoints {
    completed: u64,
    seen: AtomicU64,
}

impl FaultInjector for FailAfterCheckpoints {
    fn should_fail(&self, point: FaultPoint, _task: &str, _subtask: usize) -> bool {
        point == FaultPoint::BeforeMetadata && self.seen.fetch_add(1, Ordering::SeqCst) == self.completed
    }
}

fn define(key: &str, value: impl ToString) -> (String, String) {
    (key.to_string(), value.to_string())
}

/// The options of `weir run` every job here gets: enough slots, no progress output.
fn options(parallelism: u32, defines: Vec<(String, String)>) -> RunOptions {
    let mut all = vec![define("taskmanager.numberOfTaskSlots", 4), define("weir.progress", false)];
    all.extend(defines);
    RunOptions { parallelism: Some(parallelism), defines: all, config: None }
}

/// A wordcount big enough to outlive three checkpoints by far.
fn wordcount() -> Job {
    Job::Wordcount(WordcountArgs { words: 20_000_000, input: None, top: 10 })
}

fn clicks() -> Job {
    Job::Clicks(ClicksArgs { events: 20_000_000, pages: 50, users: 1_000, top: 10 })
}

/// Runs `job` at `parallelism` as `weir run` would, checkpointing into `dir`, until it fails
/// after three completed checkpoints; returns the job's checkpoint directory.
fn retained_checkpoints(dir: &Path, job: &Job, parallelism: u32) -> anyhow::Result<PathBuf> {
    let options = options(
        parallelism,
        vec![
            define("execution.checkpointing.interval", "10 ms"),
            define("state.checkpoints.dir", dir.display()),
            define("state.checkpoints.num-retained", 3),
            define("execution.checkpointing.externalized-checkpoint-retention", "RETAIN_ON_CANCELLATION"),
            define("restart-strategy.type", "none"),
        ],
    );
    let env = StreamExecutionEnvironment::with_config(configuration(&options)?);
    env.set_fault_injector(Arc::new(FailAfterCheckpoints { completed: 3, seen: AtomicU64::new(0) }));
    let error = job.run(&env).expect_err("the injected failure ends the job");
    assert!(format!("{error:#}").contains("injected failure before writing checkpoint"), "{error:#}");
    let mut jobs = std::fs::read_dir(dir)?.map(|e| e.map(|e| e.path())).collect::<Result<Vec<_>, _>>()?;
    assert_eq!(jobs.len(), 1, "one job directory: {jobs:?}");
    Ok(jobs.remove(0))
}

/// The newest `chk-<n>` of a job directory.
fn newest_checkpoint(job_dir: &Path) -> anyhow::Result<PathBuf> {
    let listed = list::find(job_dir)?;
    let newest = listed.iter().filter_map(|s| s.id).max().ok_or_else(|| anyhow::anyhow!("no checkpoint"))?;
    Ok(job_dir.join(format!("chk-{newest}")))
}

/// Copies the files of a snapshot directory (its subdirectories too) to `to`.
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// The path of the first (largest) state file `_metadata` names, relative to the snapshot.
fn largest_state_file(snapshot: &Path) -> anyhow::Result<String> {
    let opened = open_snapshot(snapshot)?;
    let (_, _, file) = opened
        .metadata
        .files()
        .max_by_key(|(_, _, f)| f.size)
        .ok_or_else(|| anyhow::anyhow!("the checkpoint has no state file"))?;
    Ok(file.path.to_string())
}

fn weir(args: &[&str]) -> std::io::Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_weir")).args(args).output()
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn list_inspect_and_verify_retained_checkpoints() -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    let job_dir = retained_checkpoints(root.path(), &wordcount(), 2)?;
    let job_id = job_dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();

    // list: from the checkpoints root and from the job directory, newest first.
    for listed_from in [root.path(), job_dir.as_path()] {
        let listed = list::find(listed_from)?;
        assert_eq!(listed.len(), 3, "{listed:?}");
        assert!(listed.iter().all(|s| s.status == list::Status::Restorable && s.job.as_deref() == Some(&job_id)));
        let rendered = list::render(listed_from, &listed);
        assert!(rendered.starts_with(&format!("Job {job_id}: 3 of 3 restorable\n")), "{rendered}");
        let ids: Vec<u64> =
            rendered.lines().skip(2).filter_map(|l| l.split_whitespace().nth(1)?.parse().ok()).collect();
        assert_eq!(ids.len(), 3, "{rendered}");
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}\n{rendered}");
    }

    // inspect: the uids the job set, and its source's generated one with positions.
    let newest = newest_checkpoint(&job_dir)?;
    let view = inspect::View::of(&open_snapshot(&newest.join("_metadata"))?);
    let uids: Vec<&str> = view.operators.iter().map(|op| op.uid.as_str()).collect();
    for uid in ["word-counts", "top-words", "auto-0"] {
        assert!(uids.contains(&uid), "{uid} in {uids:?}");
    }
    assert_eq!((view.job_id.as_str(), view.format_version, view.max_parallelism), (job_id.as_str(), 1, 128));
    let text = inspect::render(&view);
    assert!(text.contains("Operator 'word-counts'  parallelism 2, ") && text.contains("exclusive"), "{text}");
    assert!(text.contains("source positions: subtask 0: "), "{text}");
    let json = serde_json::to_value(&view)?;
    assert_eq!(json["operators"].as_array().map(Vec::len), Some(view.operators.len()));

    // verify: intact.
    let verify::Outcome::Checked(report) = verify::run(&newest) else { panic!("_metadata is readable") };
    assert!(report.is_intact() && report.unreferenced.is_empty(), "{report:?}");
    assert!(report.files > 0);
    assert_eq!(report.exit_code(), ExitCode::SUCCESS);
    assert!(verify::render(&report).lines().last().unwrap_or("").starts_with("OK: "));
    Ok(())
}

#[test]
fn verify_names_every_damaged_file() -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    let job_dir = retained_checkpoints(root.path(), &wordcount(), 2)?;
    let newest = newest_checkpoint(&job_dir)?;
    let state_file = largest_state_file(&newest)?;
    let copies = tempfile::tempdir()?;
    let damage: [(&str, &dyn Fn(&Path) -> std::io::Result<()>, &str); 4] = [
        ("truncated", &|p| std::fs::write(p, &std::fs::read(p)?[1..]), "WRONG SIZE"),
        (
            "flipped",
            &|p| {
                let mut bytes = std::fs::read(p)?;
                bytes[0] ^= 0x01;
                std::fs::write(p, bytes)
            },
            "BAD CHECKSUM",
        ),
        ("missing", &|p| std::fs::remove_file(p), "MISSING"),
        ("stray", &|p| std::fs::write(p.with_file_name("stray.bin"), b"?"), ""),
    ];
    for (name, damage, tag) in damage {
        let snapshot = copies.path().join(name).join("chk-1");
        copy_dir(&newest, &snapshot)?;
        let damaged_path = snapshot.join(&state_file);
        damage(&damaged_path)?;
        let verify::Outcome::Checked(report) = verify::run(&snapshot) else { panic!("{name}: _metadata is readable") };
        let text = verify::render(&report);
        if tag.is_empty() {
            assert!(report.is_intact(), "{name}: an unreferenced file is only a warning:\n{text}");
            let stray = damaged_path.with_file_name("stray.bin");
            let warning = format!("warning: {}: in the snapshot's directory but not referenced", stray.display());
            assert!(text.contains(&warning), "{name}:\n{text}");
            continue;
        }
        assert_eq!(report.damaged.len(), 1, "{name}:\n{text}");
        assert_eq!(report.exit_code(), ExitCode::from(verify::EXIT_DAMAGED));
        let line = format!("{tag}: {} (operator '", damaged_path.display());
        assert!(text.lines().any(|l| l.starts_with(&line)), "{name}: expected a line starting {line:?}:\n{text}");
        assert!(text.contains("DAMAGED: 1 of "), "{name}:\n{text}");
    }

    // The binary's exit statuses: 1 for a damaged file, 3 for a truncated _metadata, 0 when intact.
    let damaged = copies.path().join("flipped").join("chk-1");
    let output = weir(&["checkpoints", "verify", &damaged.display().to_string()])?;
    assert_eq!(output.status.code(), Some(1), "{}", lossy(&output.stdout));
    assert!(lossy(&output.stdout).contains("BAD CHECKSUM"), "{}", lossy(&output.stdout));

    let metadata = copies.path().join("stray").join("chk-1").join("_metadata");
    let bytes = std::fs::read(&metadata)?;
    std::fs::write(&metadata, &bytes[..bytes.len() - 10])?;
    let verify::Outcome::UnreadableMetadata(error) = verify::run(&metadata) else { panic!("truncated _metadata") };
    assert!(error.to_string().contains(&metadata.display().to_string()), "{error}");
    let output = weir(&["checkpoints", "verify", &metadata.display().to_string()])?;
    let stderr = lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(i32::from(verify::EXIT_UNREADABLE_METADATA)), "{stderr}");
    assert!(stderr.starts_with("error: cannot verify") && stderr.contains("truncated"), "{stderr}");

    let output = weir(&["checkpoints", "verify", &newest.display().to_string()])?;
    assert_eq!(output.status.code(), Some(0), "{}", lossy(&output.stdout));
    Ok(())
}

fn check_restore_args(path: &Path, allow_non_restored: bool, parallelism: u32, job: Job) -> CheckRestoreArgs {
    CheckRestoreArgs { path: path.to_path_buf(), allow_non_restored, options: options(parallelism, vec![]), job }
}

#[test]
fn check_restore_maps_uids_and_shows_a_parallelism_change() -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    let job_dir = retained_checkpoints(root.path(), &wordcount(), 2)?;
    let newest = newest_checkpoint(&job_dir)?;

    let check = check_restore::check(&check_restore_args(&newest, false, 3, wordcount()))?;
    assert!(check.failure.is_none(), "{:?}", check.failure);
    let counts = check.operators.iter().find(|op| op.uid == "word-counts").expect("word-counts in the snapshot");
    let RestoreTarget::Operator { operator, subtasks } = &counts.target else { panic!("word-counts is restored") };
    assert_eq!((operator.name.as_str(), counts.parallelism, operator.parallelism), ("Count", 2, 3));
    assert_eq!(subtasks.len(), 3);
    let text = check_restore::render("wordcount", &check);
    assert!(text.contains("word-counts  -> 'Count', parallelism 2 -> 3, "), "{text}");
    assert!(text.contains("subtask 1: key groups [43, 86) from old subtasks 0, 1"), "{text}");
    assert!(text.contains("-> 'Source: Generated text', parallelism 2 -> 3, source positions:"), "{text}");
    assert!(text.contains("Result: the restore would succeed (the parallelism of "), "{text}");

    // At the same parallelism every subtask gets its own state back.
    let check = check_restore::check(&check_restore_args(&newest, false, 2, wordcount()))?;
    let text = check_restore::render("wordcount", &check);
    assert!(
        text.contains("'Count', parallelism 2, ") && text.contains("every subtask restores its own state"),
        "{text}"
    );
    assert!(text.contains("Result: the restore would succeed (no parallelism changes)."), "{text}");

    // Another max parallelism fails as the restore would; the binary exits 1 with that message.
    let path = newest.display().to_string();
    let output = weir(&[
        "checkpoints",
        "check-restore",
        &path,
        "-Dpipeline.max-parallelism=64",
        "-Dtaskmanager.numberOfTaskSlots=4",
        "wordcount",
    ])?;
    let (stdout, stderr) = (lossy(&output.stdout), lossy(&output.stderr));
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("128 key groups in the snapshot, 64 in the job: CHANGED"), "{stdout}");
    assert!(
        stderr.starts_with("error: cannot restore: the snapshot at ") && stderr.contains("max parallelism 128"),
        "{stderr}"
    );
    Ok(())
}

#[test]
fn check_restore_fails_without_n_for_state_the_job_does_not_have() -> anyhow::Result<()> {
    let root = tempfile::tempdir()?;
    let job_dir = retained_checkpoints(root.path(), &clicks(), 2)?;
    let newest = newest_checkpoint(&job_dir)?;

    // wordcount has no operator with clicks' stateful uid `page-statistics`.
    let check = check_restore::check(&check_restore_args(&newest, false, 2, wordcount()))?;
    let failure = check.failure.as_ref().map(ToString::to_string).unwrap_or_default();
    assert!(failure.starts_with("cannot restore: the snapshot at "), "{failure}");
    assert!(failure.contains("page-statistics") && failure.contains("--allow-non-restored-state"), "{failure}");
    let text = check_restore::render("wordcount", &check);
    assert!(text.contains("page-statistics  -> error: unmatched, needs -n"), "{text}");
    assert!(text.contains("'Count' (uid word-counts), parallelism 2"), "wordcount's own state starts empty:\n{text}");

    let check = check_restore::check(&check_restore_args(&newest, true, 2, wordcount()))?;
    assert!(check.failure.is_none(), "{:?}", check.failure);
    assert!(check_restore::render("wordcount", &check).contains("page-statistics  -> no operator: would be dropped"));

    // The binary: exit 1 and the restore's message without -n; 0 with it.
    let path = newest.display().to_string();
    let args = ["checkpoints", "check-restore", &path, "-Dtaskmanager.numberOfTaskSlots=4", "wordcount"];
    let output = weir(&args)?;
    let stderr = lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.starts_with("error: ") && stderr.contains(&failure), "{stderr}");
    let output = weir(&[&args[..], &["-n"]].concat())?;
    assert_eq!(output.status.code(), Some(0), "{}", lossy(&output.stderr));
    Ok(())
}

#[test]
fn every_checkpoints_verb_has_help() -> std::io::Result<()> {
    for verb in ["list", "inspect", "verify", "check-restore", "gc"] {
        let output = weir(&["checkpoints", verb, "--help"])?;
        let stdout = lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(0), "{verb}: {}", lossy(&output.stderr));
        assert!(stdout.contains("Usage: weir checkpoints"), "{verb}:\n{stdout}");
    }
    let output = weir(&["checkpoints", "inspect", "/nonexistent/chk-1"])?;
    let stderr = lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("/nonexistent/chk-1") && stderr.contains("does not exist"), "{stderr}");
    Ok(())
}

/// Writes snapshot `location` of `JOB` with one state file of operator `counts`.
fn write_snapshot(
    storage: &weir_state::storage::FsCheckpointStorage,
    location: &weir_checkpoint::SnapshotLocation,
    id: u64,
    kind: weir_checkpoint::SnapshotKind,
) -> anyhow::Result<PathBuf> {
    use weir_checkpoint::{CheckpointId, Metadata, OperatorState, SubtaskState};
    use weir_core::{OperatorUid, SubtaskIndex};
    let file = storage.write_exclusive_file(location, "counts-0", format!("state of {id}").as_bytes(), None)?;
    let metadata = Metadata {
        job_id: storage.job_id(),
        checkpoint_id: CheckpointId(id),
        timestamp: 1_735_689_600_000 + id as i64,
        kind,
        max_parallelism: 128,
        operators: vec![OperatorState {
            uid: OperatorUid("counts".into()),
            parallelism: 1,
            subtasks: vec![SubtaskState { subtask: SubtaskIndex(0), files: vec![file], source_splits: None }],
        }],
    };
    storage.write_metadata(location, &metadata)?;
    Ok(storage.location_dir(location))
}

#[test]
fn list_tells_savepoints_and_unrestorable_checkpoints_apart() -> anyhow::Result<()> {
    use weir_checkpoint::{CheckpointId, SnapshotKind, SnapshotLocation, paths};
    let root = tempfile::tempdir()?;
    let job = weir_core::JobId([0xab; 16]);
    let storage = weir_state::storage::FsCheckpointStorage::new(root.path(), job);
    let checkpoint = |id| SnapshotLocation::Checkpoint { job_id: job, id: CheckpointId(id) };
    write_snapshot(&storage, &checkpoint(1), 1, SnapshotKind::Checkpoint)?;
    let damaged = write_snapshot(&storage, &checkpoint(2), 2, SnapshotKind::Checkpoint)?.join("counts-0");
    std::fs::write(&damaged, b"state of 9")?;
    std::fs::create_dir_all(storage.location_dir(&checkpoint(3)))?;
    let savepoint = SnapshotLocation::Savepoint { dir: paths::savepoint_dir_name(job, 7) };
    write_snapshot(&storage, &savepoint, 5, SnapshotKind::Savepoint)?;

    let listed = list::find(root.path())?;
    let summary: Vec<(SnapshotKind, Option<u64>, bool)> =
        listed.iter().map(|s| (s.kind, s.id, s.status == list::Status::Restorable)).collect();
    assert_eq!(summary.len(), 4, "{listed:?}");
    for expected in [
        (SnapshotKind::Checkpoint, Some(1), true),
        (SnapshotKind::Checkpoint, Some(2), false),
        (SnapshotKind::Checkpoint, Some(3), false),
        (SnapshotKind::Savepoint, Some(5), true),
    ] {
        assert!(summary.contains(&expected), "{expected:?} in {summary:?}");
    }
    let text = list::render(root.path(), &listed);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], format!("Job {job}: 2 of 4 restorable"), "{text}");
    let kinds_and_ids: Vec<(&str, &str)> = lines[2..6]
        .iter()
        .map(|l| {
            let mut cells = l.split_whitespace();
            (cells.next().unwrap_or(""), cells.next().unwrap_or(""))
        })
        .collect();
    assert_eq!(
        kinds_and_ids,
        [("checkpoint", "3"), ("checkpoint", "2"), ("checkpoint", "1"), ("savepoint", "5")],
        "{text}"
    );
    assert!(lines[2].contains("has no _metadata: the checkpoint is incomplete"), "{text}");
    assert!(lines[3].contains(&format!("{}': checksum mismatch", damaged.display())), "{text}");
    Ok(())
}
