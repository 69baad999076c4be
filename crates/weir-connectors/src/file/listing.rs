//! Which files a [`FileSource`](super::FileSource) reads: the path itself, or every regular file
//! under it.

use std::fs;
use std::path::{Path, PathBuf};
use weir_core::{Error, Result};

/// The files to read for `root`: `[root]` for a file; for a directory, every regular file below it
/// (recursively, sorted by path), skipping entries whose name starts with `.`.
///
/// Symbolic links to files are read; symbolic links to directories are not followed (no cycles).
pub(crate) fn list_files(root: &Path) -> Result<Vec<PathBuf>> {
    let metadata = fs::metadata(root).map_err(|e| Error::io(format!("file: cannot read '{}'", root.display()), e))?;
    if metadata.is_file() {
        return Ok(vec![root.to_path_buf()]);
    }
    if !metadata.is_dir() {
        return Err(Error::Connector {
            connector: "file",
            message: format!("'{}' is neither a regular file nor a directory", root.display()),
        });
    }
    let mut files = Vec::new();
    walk(root, &mut files)?;
    files.sort();
    Ok(files)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    let cannot_list = |e| Error::io(format!("file: cannot list directory '{}'", dir.display()), e);
    for entry in fs::read_dir(dir).map_err(cannot_list)? {
        let entry = entry.map_err(cannot_list)?;
        if entry.file_name().as_encoded_bytes().starts_with(b".") {
            continue;
        }
        let path = entry.path();
        let file_type =
            entry.file_type().map_err(|e| Error::io(format!("file: cannot read '{}'", path.display()), e))?;
        if file_type.is_dir() {
            walk(&path, files)?;
        } else if file_type.is_file() || (file_type.is_symlink() && fs::metadata(&path).is_ok_and(|m| m.is_file())) {
            files.push(path);
        }
    }
    Ok(())
}
