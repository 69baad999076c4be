//! `weir checkpoints inspect <PATH> [--json]`: a snapshot's `_metadata`, readably — job, kind,
//! id, time, format version, max parallelism, and per operator its parallelism and per subtask
//! its files (scope, path, size, CRC32C, key groups) and source positions.
//!
//! Only `_metadata` is read (weir-state's `open_snapshot`), so a snapshot whose state files are
//! damaged can still be inspected; `verify` checks the files. The file paths shown are where the
//! restore would look for them (`shared/` and `taskowned/` files resolve in the job directory).
//!
//! [`View`] is the JSON form (`--json`): a stable shape of its own rather than the on-disk body,
//! so the format of `_metadata` can change without breaking scripts. Rendering is pure.

use super::format::{Align, human_bytes, iso8601_utc, plural, table};
use serde::Serialize;
use std::path::Path;
use weir_checkpoint::{FileScope, SnapshotKind};
use weir_state::storage::{UnverifiedSnapshot, open_snapshot};

/// Prints the snapshot at `path` as text or JSON.
pub fn execute(path: &Path, json: bool) -> anyhow::Result<()> {
    let view = View::of(&open_snapshot(path)?);
    let text = if json { format!("{}\n", serde_json::to_string_pretty(&view)?) } else { render(&view) };
    super::super::print_stdout(&text)
}

/// What `inspect` shows, and its JSON form.
#[derive(Debug, Clone, Serialize)]
pub struct View {
    pub dir: String,
    pub metadata_file: String,
    pub format_version: u32,
    pub kind: SnapshotKind,
    pub job_id: String,
    pub checkpoint_id: u64,
    /// Milliseconds since the epoch.
    pub timestamp: i64,
    /// `timestamp` in ISO 8601, UTC.
    pub time: String,
    pub max_parallelism: u32,
    /// Bytes of state: every file plus every source position.
    pub state_size: u64,
    pub operators: Vec<OperatorView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct OperatorView {
    pub uid: String,
    pub parallelism: u32,
    pub subtasks: Vec<SubtaskView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SubtaskView {
    pub subtask: usize,
    pub files: Vec<FileView>,
    /// Bytes of the source's split positions, if the operator is a source.
    pub source_positions: Option<usize>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FileView {
    pub scope: FileScope,
    /// As `_metadata` records it: relative to the directory of its scope.
    pub path: String,
    /// Where a restore reads it; `None` if the path is not allowed in this snapshot (a shared
    /// file in a savepoint).
    pub resolved: Option<String>,
    pub size: u64,
    /// Eight hex digits.
    pub crc32c: String,
    /// `[start, end)`; `None` for operator state.
    pub key_groups: Option<[u32; 2]>,
}

impl View {
    pub fn of(snapshot: &UnverifiedSnapshot) -> View {
        let metadata = &snapshot.metadata;
        let resolved = |file| snapshot.file_path(file).ok().map(|p: std::path::PathBuf| p.display().to_string());
        View {
            dir: snapshot.dir().display().to_string(),
            metadata_file: snapshot.metadata_path().display().to_string(),
            format_version: snapshot.format_version,
            kind: metadata.kind,
            job_id: metadata.job_id.to_string(),
            checkpoint_id: metadata.checkpoint_id.0,
            timestamp: metadata.timestamp,
            time: iso8601_utc(metadata.timestamp),
            max_parallelism: metadata.max_parallelism,
            state_size: metadata.state_size(),
            operators: metadata
                .operators
                .iter()
                .map(|op| OperatorView {
                    uid: op.uid.0.clone(),
                    parallelism: op.parallelism,
                    subtasks: op
                        .subtasks
                        .iter()
                        .map(|st| SubtaskView {
                            subtask: st.subtask.0,
                            files: st
                                .files
                                .iter()
                                .map(|f| FileView {
                                    scope: f.scope,
                                    path: f.path.to_string(),
                                    resolved: resolved(f),
                                    size: f.size,
                                    crc32c: format!("{:08x}", f.crc32c),
                                    key_groups: f.key_groups.map(|g| [g.start, g.end]),
                                })
                                .collect(),
                            source_positions: st.source_splits.as_ref().map(|p| p.0.len()),
                        })
                        .collect(),
                })
                .collect(),
        }
    }

    fn file_count(&self) -> usize {
        self.operators.iter().flat_map(|op| &op.subtasks).map(|st| st.files.len()).sum()
    }
}

fn scope_name(scope: FileScope) -> &'static str {
    match scope {
        FileScope::Exclusive => "exclusive",
        FileScope::Shared => "shared",
        FileScope::TaskOwned => "taskowned",
    }
}

/// The readable text: a header of aligned fields, then one block per operator with a table of
/// its subtasks' files.
pub fn render(view: &View) -> String {
    let kind = match view.kind {
        SnapshotKind::Checkpoint => "Checkpoint",
        SnapshotKind::Savepoint => "Savepoint",
    };
    let sources = view.operators.iter().filter(|op| op.subtasks.iter().any(|st| st.source_positions.is_some())).count();
    let fields = [
        ("directory", view.dir.clone()),
        ("_metadata", view.metadata_file.clone()),
        ("kind", view.kind.to_string()),
        ("job id", view.job_id.clone()),
        ("checkpoint id", view.checkpoint_id.to_string()),
        ("time", format!("{} ({} ms since the epoch)", view.time, view.timestamp)),
        ("format version", view.format_version.to_string()),
        ("max parallelism", format!("{} key groups", view.max_parallelism)),
        ("operators", view.operators.len().to_string()),
        (
            "state",
            format!(
                "{} in {}, source positions of {}",
                human_bytes(view.state_size),
                plural(view.file_count(), "file", "files"),
                plural(sources, "operator", "operators")
            ),
        ),
    ];
    let width = fields.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    let mut text = format!("{kind} {} of job {}\n", view.checkpoint_id, view.job_id);
    for (name, value) in fields {
        text.push_str(&format!("  {name:<width$}  {value}\n"));
    }
    for op in &view.operators {
        text.push('\n');
        text.push_str(&operator(op));
    }
    text
}

fn operator(op: &OperatorView) -> String {
    let files: Vec<&FileView> = op.subtasks.iter().flat_map(|st| &st.files).collect();
    let positions: Vec<(usize, usize)> =
        op.subtasks.iter().filter_map(|st| st.source_positions.map(|bytes| (st.subtask, bytes))).collect();
    let mut text = format!("Operator '{}'  parallelism {}", op.uid, op.parallelism);
    if files.is_empty() && positions.is_empty() {
        text.push_str(": no state\n");
        return text;
    }
    if files.is_empty() {
        text.push_str(", source positions only\n");
    } else {
        let size: u64 = files.iter().map(|f| f.size).sum();
        text.push_str(&format!(", {} ({})\n", plural(files.len(), "file", "files"), human_bytes(size)));
        let rows: Vec<Vec<String>> = op
            .subtasks
            .iter()
            .flat_map(|st| {
                st.files.iter().map(move |f| {
                    vec![
                        st.subtask.to_string(),
                        scope_name(f.scope).to_string(),
                        f.path.clone(),
                        f.size.to_string(),
                        f.crc32c.clone(),
                        f.key_groups.map_or_else(|| "- (operator state)".to_string(), |[s, e]| format!("[{s}, {e})")),
                    ]
                })
            })
            .collect();
        let columns = [
            ("SUBTASK", Align::Right),
            ("SCOPE", Align::Left),
            ("PATH", Align::Left),
            ("BYTES", Align::Right),
            ("CRC32C", Align::Left),
            ("KEY GROUPS", Align::Left),
        ];
        text.push_str(&table("  ", &columns, &rows));
    }
    if !positions.is_empty() {
        let list: Vec<String> =
            positions.iter().map(|(subtask, bytes)| format!("subtask {subtask}: {bytes} B")).collect();
        text.push_str(&format!("  source positions: {}\n", list.join(", ")));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> View {
        let file = |path: &str, size, key_groups| FileView {
            scope: FileScope::Exclusive,
            path: path.into(),
            resolved: Some(format!("/ck/j/chk-3/{path}")),
            size,
            crc32c: "0000abcd".into(),
            key_groups,
        };
        View {
            dir: "/ck/j/chk-3".into(),
            metadata_file: "/ck/j/chk-3/_metadata".into(),
            format_version: 1,
            kind: SnapshotKind::Checkpoint,
            job_id: "0f1e".into(),
            checkpoint_id: 3,
            timestamp: 1_735_689_600_000,
            time: iso8601_utc(1_735_689_600_000),
            max_parallelism: 128,
            state_size: 1_500 + 12,
            operators: vec![
                OperatorView {
                    uid: "auto-0".into(),
                    parallelism: 2,
                    subtasks: vec![SubtaskView { subtask: 1, files: vec![], source_positions: Some(12) }],
                },
                OperatorView {
                    uid: "counts".into(),
                    parallelism: 2,
                    subtasks: vec![
                        SubtaskView {
                            subtask: 0,
                            files: vec![file("counts/0", 1_000, Some([0, 64]))],
                            source_positions: None,
                        },
                        SubtaskView { subtask: 1, files: vec![file("counts/1", 500, None)], source_positions: None },
                    ],
                },
                OperatorView { uid: "map".into(), parallelism: 2, subtasks: vec![] },
            ],
        }
    }

    #[test]
    fn the_text_names_every_operator_subtask_and_file() {
        let text = render(&view());
        assert!(text.starts_with("Checkpoint 3 of job 0f1e\n"), "{text}");
        assert!(
            text.contains("  time             2025-01-01T00:00:00.000Z (1735689600000 ms since the epoch)\n"),
            "{text}"
        );
        assert!(
            text.contains("  format version   1\n") && text.contains("  max parallelism  128 key groups\n"),
            "{text}"
        );
        assert!(text.contains("state            1.5 KiB in 2 files, source positions of 1 operator"), "{text}");
        assert!(
            text.contains(
                "Operator 'auto-0'  parallelism 2, source positions only\n  source positions: subtask 1: 12 B\n"
            ),
            "{text}"
        );
        assert!(text.contains("Operator 'counts'  parallelism 2, 2 files (1.5 KiB)\n"), "{text}");
        assert!(text.contains("  SUBTASK  SCOPE      PATH      BYTES  CRC32C    KEY GROUPS\n"), "{text}");
        assert!(text.contains("        0  exclusive  counts/0   1000  0000abcd  [0, 64)\n"), "{text}");
        assert!(text.contains("        1  exclusive  counts/1    500  0000abcd  - (operator state)\n"), "{text}");
        assert!(text.contains("Operator 'map'  parallelism 2: no state\n"), "{text}");
    }

    #[test]
    fn the_json_has_a_stable_shape() -> anyhow::Result<()> {
        let json: serde_json::Value = serde_json::to_value(view())?;
        assert_eq!(json["kind"], "checkpoint");
        assert_eq!(json["time"], "2025-01-01T00:00:00.000Z");
        assert_eq!(json["operators"][1]["subtasks"][0]["files"][0]["key_groups"], serde_json::json!([0, 64]));
        assert_eq!(json["operators"][1]["subtasks"][0]["files"][0]["scope"], "exclusive");
        assert_eq!(json["operators"][1]["subtasks"][0]["files"][0]["crc32c"], "0000abcd");
        assert_eq!(json["operators"][0]["subtasks"][0]["source_positions"], 12);
        Ok(())
    }
}
