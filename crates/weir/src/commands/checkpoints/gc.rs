//! `weir checkpoints gc <JOB_DIR> [--dry-run] [--grace <DURATION>]`: the orphan sweep of one
//! job directory — files no retained checkpoint references and at least the grace period old
//! (unreferenced shared files, checkpoint directories without `_metadata`, files a `_metadata`
//! does not name) are listed with their size, age and why, and deleted unless `--dry-run`.
//!
//! Every decision is weir-state's ([`sweep_orphans`]: scan, pure plan, delete), including the
//! refusals: a path that is not a job directory, and a job directory with a `_metadata` that
//! cannot be read (its references are unknown, so nothing is deleted). This module parses the
//! grace period, calls it and prints ([`render`] is pure). Unlike the other `checkpoints` verbs it
//! changes the disk, which is why it deletes nothing without being asked and has a dry run.

use super::format::{Align, human_bytes, human_duration, plural, table};
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;
use weir_checkpoint::CheckpointConfig;
use weir_state::storage::gc::{NotDeleted, Orphan};
use weir_state::storage::{SweepOptions, SweepReport, sweep_orphans};

/// The default of `--grace`, as the command line shows it.
pub const DEFAULT_GRACE: &str = "1h";

/// Parses `--grace`: a duration with a unit (`30s`, `10 min`, `1h`, `2 d`). Unlike a
/// configuration value a bare number is refused: `--grace 3600` meaning milliseconds would
/// delete what a running job is writing.
pub fn parse_grace(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{text}' has no unit; give one, e.g. '{text}s', '{text}min' or '{text}h'"));
    }
    weir_core::config::parse_duration(text)
}

/// Sweeps `job_dir`, prints what went (or would go), and returns the exit status: 0, or 1 when
/// an orphan could not be deleted (each named in a warning).
pub fn execute(job_dir: &Path, dry_run: bool, grace: Duration) -> anyhow::Result<ExitCode> {
    let timeout = CheckpointConfig::default().timeout;
    if !dry_run && grace < timeout {
        eprintln!(
            "warning: the grace period {} is shorter than the default checkpoint timeout ({}): if the job is \
             running, files of a checkpoint in progress may be deleted",
            human_duration(grace),
            human_duration(timeout)
        );
    }
    let report = sweep_orphans(job_dir, SweepOptions { grace, dry_run })?;
    super::super::print_stdout(&render(&report))?;
    for (orphan, why) in &report.not_deleted {
        match why {
            NotDeleted::CompletedMeanwhile => {
                eprintln!("note: {} was kept: its checkpoint completed during the sweep", orphan.path);
            }
            NotDeleted::Failed(error) => eprintln!("warning: could not delete {}: {error}", orphan.path),
        }
    }
    if !report.is_complete() {
        let failed = report.not_deleted.iter().filter(|(_, why)| matches!(why, NotDeleted::Failed(_))).count();
        anyhow::bail!("{} of '{}' could not be deleted", plural(failed, "orphan", "orphans"), job_dir.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// What was retained, the orphans (deleted, or to delete in a dry run) as a table, what is kept
/// for now and left alone, and the totals.
pub fn render(report: &SweepReport) -> String {
    let plan = &report.plan;
    let grace = human_duration(report.options.grace);
    let mut text = format!("Job directory {}\n", report.job_dir.display());
    text.push_str(&match plan.retained.as_slice() {
        [] => "No retained checkpoint (no chk-<n> with _metadata): no shared file is referenced.\n".to_string(),
        retained => format!(
            "Retained: {} {}, referencing {}.\n",
            if retained.len() == 1 { "checkpoint" } else { "checkpoints" },
            retained.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
            plural(plan.referenced_shared, "shared file", "shared files"),
        ),
    });
    let listed: &[Orphan] = if report.options.dry_run { &plan.orphans } else { &report.deleted };
    if plan.orphans.is_empty() {
        text.push_str(&format!("No orphans at least {grace} old.\n"));
    } else {
        let heading = if report.options.dry_run { "Would delete" } else { "Deleted" };
        text.push_str(&format!("{heading} (orphans at least {grace} old):\n"));
        text.push_str(&orphan_table(listed));
    }
    if !plan.too_young.is_empty() {
        let bytes: u64 = plan.too_young.iter().map(|o| o.size).sum();
        text.push_str(&format!(
            "Kept for now, younger than {grace}: {} ({}).\n",
            plural(plan.too_young.len(), "orphan", "orphans"),
            human_bytes(bytes)
        ));
    }
    for left in &plan.left_alone {
        text.push_str(&format!("Left alone: {} ({}).\n", left.path, left.why));
    }
    text.push_str(&summary(report, listed));
    text
}

fn orphan_table(orphans: &[Orphan]) -> String {
    let columns = [("PATH", Align::Left), ("SIZE", Align::Right), ("AGE", Align::Right), ("WHY", Align::Left)];
    let rows: Vec<Vec<String>> = orphans
        .iter()
        .map(|o| {
            let path = if o.is_dir { format!("{}/", o.path) } else { o.path.clone() };
            vec![path, human_bytes(o.size), human_duration(o.age), o.reason.to_string()]
        })
        .collect();
    table("  ", &columns, &rows)
}

fn summary(report: &SweepReport, listed: &[Orphan]) -> String {
    let bytes: u64 = listed.iter().map(|o| o.size).sum();
    let orphans = format!("{} ({})", plural(listed.len(), "orphan", "orphans"), human_bytes(bytes));
    if report.options.dry_run {
        let dirs = match report.plan.empty_dirs.len() {
            0 => String::new(),
            n => format!(" and {} under shared/", plural(n, "empty directory", "empty directories")),
        };
        return format!("Dry run: {orphans}{dirs} would be deleted; nothing was deleted.\n");
    }
    let dirs = match report.removed_dirs {
        0 => String::new(),
        n => format!(", and {} under shared/", plural(n, "empty directory", "empty directories")),
    };
    let missed = match report.not_deleted.len() {
        0 => String::new(),
        n => format!("; {} not", plural(n, "orphan", "orphans")),
    };
    format!("Deleted {orphans}{dirs}{missed}.\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use weir_checkpoint::CheckpointId;
    use weir_state::storage::gc::{LeftAlone, OrphanReason, SweepPlan};

    fn orphan(path: &str, is_dir: bool, size: u64, reason: OrphanReason) -> Orphan {
        Orphan { path: path.into(), is_dir, size, age: Duration::from_secs(2 * 3600 + 300), reason }
    }

    fn report(dry_run: bool) -> SweepReport {
        let orphans = vec![
            orphan("chk-3", true, 2048, OrphanReason::IncompleteCheckpoint),
            orphan("shared/op/7.sst", false, 100, OrphanReason::UnreferencedShared),
        ];
        SweepReport {
            job_dir: PathBuf::from("/ck/job"),
            options: SweepOptions { grace: Duration::from_secs(3600), dry_run },
            plan: SweepPlan {
                retained: vec![CheckpointId(4), CheckpointId(5)],
                referenced_shared: 12,
                orphans: orphans.clone(),
                too_young: vec![orphan("chk-6", true, 10, OrphanReason::IncompleteCheckpoint)],
                empty_dirs: vec!["shared/op".into()],
                left_alone: vec![LeftAlone { path: "shared/link".into(), why: "symbolic link" }],
            },
            deleted: if dry_run { vec![] } else { orphans },
            not_deleted: vec![],
            removed_dirs: usize::from(!dry_run),
        }
    }

    #[test]
    fn a_dry_run_lists_path_size_age_and_why() {
        let text = render(&report(true));
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "Job directory /ck/job",
                "Retained: checkpoints 4, 5, referencing 12 shared files.",
                "Would delete (orphans at least 1h old):",
                "  PATH                SIZE    AGE  WHY",
                "  chk-3/           2.0 KiB  2h 5m  checkpoint directory without _metadata (aborted or never completed)",
                "  shared/op/7.sst    100 B  2h 5m  shared file no retained checkpoint references",
                "Kept for now, younger than 1h: 1 orphan (10 B).",
                "Left alone: shared/link (symbolic link).",
                "Dry run: 2 orphans (2.1 KiB) and 1 empty directory under shared/ would be deleted; nothing was deleted.",
            ],
            "{text}"
        );
    }

    #[test]
    fn a_sweep_lists_what_it_deleted_and_the_totals() {
        let text = render(&report(false));
        assert!(text.contains("Deleted (orphans at least 1h old):\n  PATH "), "{text}");
        assert!(text.ends_with("Deleted 2 orphans (2.1 KiB), and 1 empty directory under shared/.\n"), "{text}");
        let mut nothing = report(false);
        nothing.plan = SweepPlan::default();
        nothing.deleted.clear();
        nothing.removed_dirs = 0;
        let text = render(&nothing);
        assert!(text.contains("No retained checkpoint") && text.contains("No orphans at least 1h old."), "{text}");
        assert!(text.ends_with("Deleted 0 orphans (0 B).\n"), "{text}");
    }

    #[test]
    fn the_grace_period_needs_a_unit() {
        assert_eq!(parse_grace("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_grace("10 min"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_grace(DEFAULT_GRACE), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_grace("0s"), Ok(Duration::ZERO));
        let bare = parse_grace("3600").expect_err("no unit");
        assert!(bare.contains("no unit") && bare.contains("3600s"), "{bare}");
        assert!(parse_grace("soon").is_err());
    }
}
