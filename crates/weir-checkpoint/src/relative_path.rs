//! [`RelativePath`]: a path that stays inside the directory it is relative to.
//!
//! Every path written into `_metadata` is one of these, so a checkpoint or savepoint directory can
//! be copied to another disk, bucket or data centre and restored from there (DESIGN §7). The rules
//! are checked when a value is made *and* when one is decoded, so a hand-edited or corrupt
//! `_metadata` can never point a restore outside its directory.
//!
//! The form is `/`-separated components on every platform (the same on a local disk and in an
//! object store). It is **not** a filesystem path: joining it to a base directory is the caller's
//! business ([`RelativePath::to_path_under`] does it purely, without touching the disk).

use crate::error::{CheckpointError, Result};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};

/// A non-empty, `/`-separated relative path without `.`, `..`, empty components, backslashes or
/// drive prefixes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RelativePath(String);

impl RelativePath {
    /// Checks `path` and wraps it; the error says what is wrong.
    pub fn new(path: impl Into<String>) -> Result<Self> {
        let path = path.into();
        match problem_with(&path) {
            Some(problem) => Err(CheckpointError::InvalidPath { path, problem }),
            None => Ok(RelativePath(path)),
        }
    }

    /// Wraps a path this crate built from parts valid by construction (hex ids, fixed names).
    pub(crate) fn trusted(path: String) -> Self {
        debug_assert_eq!(problem_with(&path), None, "{path}");
        RelativePath(path)
    }

    /// The path as text, components separated by `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `self/child`; `child` must itself be a valid relative path.
    pub fn join(&self, child: &str) -> Result<Self> {
        RelativePath::new(format!("{}/{child}", self.0))
    }

    /// `self/child` for a child that is already checked.
    pub fn join_path(&self, child: &RelativePath) -> Self {
        RelativePath(format!("{}/{}", self.0, child.0))
    }

    /// The components, outermost first.
    pub fn components(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }

    /// The last component (the file or directory name).
    pub fn file_name(&self) -> &str {
        self.0.rsplit('/').next().unwrap_or(&self.0)
    }

    /// The path of this under `base`, built component by component (no filesystem access).
    pub fn to_path_under(&self, base: &Path) -> PathBuf {
        let mut path = base.to_path_buf();
        path.extend(self.components());
        path
    }
}

fn problem_with(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("a relative path must not be empty");
    }
    if path.starts_with('/') {
        return Some("absolute paths are not allowed; paths in a checkpoint are relative to its directory");
    }
    if path.contains('\\') {
        return Some("backslashes are not allowed; components are separated by '/'");
    }
    if path.contains('\0') {
        return Some("NUL characters are not allowed");
    }
    let first = path.split('/').next().unwrap_or(path);
    let bytes = first.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Some("drive prefixes such as 'C:' are not allowed; paths must be relative");
    }
    for component in path.split('/') {
        match component {
            "" => return Some("empty components ('//' or a trailing '/') are not allowed"),
            "." => return Some("'.' components are not allowed"),
            ".." => return Some("'..' components are not allowed; a path must stay inside its directory"),
            _ => {}
        }
    }
    None
}

impl TryFrom<String> for RelativePath {
    type Error = CheckpointError;

    fn try_from(path: String) -> Result<Self> {
        RelativePath::new(path)
    }
}

impl From<RelativePath> for String {
    fn from(path: RelativePath) -> String {
        path.0
    }
}

impl fmt::Display for RelativePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_plain_relative_paths() {
        for ok in ["a", "chk-1/_metadata", "shared/op-1/0001.sst", "..a/b..", "a.b/.c"] {
            assert_eq!(RelativePath::new(ok).expect(ok).as_str(), ok);
        }
    }

    #[test]
    fn refuses_paths_that_leave_their_directory() {
        for (bad, needle) in [
            ("", "empty"),
            ("/etc/passwd", "absolute"),
            ("../x", "'..'"),
            ("a/../../x", "'..'"),
            ("a/..", "'..'"),
            ("./a", "'.'"),
            ("a//b", "empty components"),
            ("a/", "empty components"),
            ("a\\..\\b", "backslashes"),
            ("C:/x", "drive"),
            ("c:x", "drive"),
            ("a\0b", "NUL"),
        ] {
            let err = RelativePath::new(bad).expect_err(bad).to_string();
            assert!(err.contains(needle), "{bad:?}: {err}");
        }
    }

    #[test]
    fn decoding_applies_the_same_rules() {
        let ok: RelativePath = serde_json::from_str("\"chk-3/a\"").expect("valid");
        assert_eq!(ok.file_name(), "a");
        assert!(serde_json::from_str::<RelativePath>("\"/abs\"").is_err());
        assert!(serde_json::from_str::<RelativePath>("\"x/../../y\"").is_err());
    }

    #[test]
    fn joins_and_resolves_under_a_base() {
        let dir = RelativePath::new("job/chk-2").expect("valid");
        let file = dir.join("_metadata").expect("valid");
        assert_eq!(file.as_str(), "job/chk-2/_metadata");
        assert!(dir.join("../chk-1").is_err());
        assert_eq!(file.to_path_under(Path::new("/base")), Path::new("/base/job/chk-2/_metadata"));
    }

    proptest! {
        #[test]
        fn a_valid_path_never_climbs_out(path in "[a-z./]{1,12}") {
            if let Ok(p) = RelativePath::new(path) {
                let resolved = p.to_path_under(Path::new("/base"));
                prop_assert!(resolved.starts_with("/base"));
                prop_assert!(resolved.components().all(|c| !matches!(c, std::path::Component::ParentDir)));
            }
        }
    }
}
