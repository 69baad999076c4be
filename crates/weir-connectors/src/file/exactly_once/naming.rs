//! Part file names: one [`PartFile`] (subtask, sequence number) goes through three names, one per
//! [`Stage`], and a directory listing is parsed back into them.
//!
//! The hidden stages start with `.`, which [`crate::file::FileSource`] and most tools skip, so a
//! reader of the directory sees committed files only. Pure: no I/O here.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One part file of one subtask: `seq` counts the part files of `subtask`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PartFile {
    pub subtask: u32,
    pub seq: u64,
}

/// Where a part file is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// Being written: `.part-<subtask>-<seq>.inprogress`, hidden.
    InProgress,
    /// Flushed, fsynced and staged by a checkpoint barrier, waiting for the checkpoint to
    /// complete: `.part-<subtask>-<seq>.pending`, hidden.
    Pending,
    /// Committed and visible: `part-<subtask>-<seq>`.
    Committed,
}

const IN_PROGRESS_SUFFIX: &str = ".inprogress";
const PENDING_SUFFIX: &str = ".pending";

impl PartFile {
    pub fn new(subtask: u32, seq: u64) -> Self {
        PartFile { subtask, seq }
    }

    /// The file name of this part at `stage`.
    pub fn file_name(&self, stage: Stage) -> String {
        let PartFile { subtask, seq } = self;
        match stage {
            Stage::InProgress => format!(".part-{subtask}-{seq}{IN_PROGRESS_SUFFIX}"),
            Stage::Pending => format!(".part-{subtask}-{seq}{PENDING_SUFFIX}"),
            Stage::Committed => format!("part-{subtask}-{seq}"),
        }
    }

    /// The path of this part at `stage` under `dir`.
    pub fn path(&self, dir: &Path, stage: Stage) -> PathBuf {
        dir.join(self.file_name(stage))
    }

    /// The part and stage a file name stands for; `None` for any other file (which the sink
    /// leaves alone).
    pub fn parse(name: &str) -> Option<(PartFile, Stage)> {
        let (rest, stage) = if let Some(hidden) = name.strip_prefix('.') {
            if let Some(rest) = hidden.strip_suffix(IN_PROGRESS_SUFFIX) {
                (rest, Stage::InProgress)
            } else if let Some(rest) = hidden.strip_suffix(PENDING_SUFFIX) {
                (rest, Stage::Pending)
            } else {
                return None;
            }
        } else {
            (name, Stage::Committed)
        };
        let (subtask, seq) = rest.strip_prefix("part-")?.split_once('-')?;
        Some((PartFile { subtask: parse_number(subtask)?, seq: parse_number(seq)? }, stage))
    }
}

/// A decimal number written as [`PartFile::file_name`] writes it (no sign, no leading zeros), so
/// that a name parses back only if it is the name of what it parses to.
fn parse_number<N: std::str::FromStr + ToString>(text: &str) -> Option<N> {
    let n: N = text.parse().ok()?;
    (n.to_string() == text).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_stage_parses_back_to_its_part() {
        let part = PartFile::new(3, 17);
        for stage in [Stage::InProgress, Stage::Pending, Stage::Committed] {
            assert_eq!(PartFile::parse(&part.file_name(stage)), Some((part, stage)));
        }
        assert_eq!(part.file_name(Stage::InProgress), ".part-3-17.inprogress");
        assert_eq!(part.file_name(Stage::Pending), ".part-3-17.pending");
        assert_eq!(part.file_name(Stage::Committed), "part-3-17");
    }

    #[test]
    fn other_names_are_not_parts() {
        for name in [
            "part-0",
            "part-0-",
            "part-a-1",
            "part-0-01",
            "part-+1-2",
            ".part-0-1",
            ".part-0-1.tmp",
            "part-0-1.pending",
            "xpart-0-1",
            ".hidden",
            "part-0-1-2",
        ] {
            assert_eq!(PartFile::parse(name), None, "{name}");
        }
    }
}
