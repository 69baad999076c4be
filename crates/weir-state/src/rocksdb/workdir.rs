//! The working directory of one `rocksdb` backend instance: created under
//! `state.backend.rocksdb.localdir` with a unique name, removed when the backend is dropped
//! (the database is a working copy; what survives a failure is the checkpoints).

use std::path::{Path, PathBuf};

use crate::error::{Result, StateError};

/// A directory removed on drop.
#[derive(Debug)]
pub(crate) struct WorkDir {
    path: PathBuf,
}

impl WorkDir {
    /// Creates `<local_dir>/<name>-<random>`; `name` is made safe for a file name.
    pub(crate) fn create(local_dir: &Path, name: &str) -> Result<Self> {
        let readable: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' })
            .take(64)
            .collect();
        let path = local_dir.join(format!("{readable}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&path).map_err(|source| StateError::Io {
            action: "create the rocksdb working directory",
            path: path.clone(),
            source,
        })?;
        Ok(WorkDir { path })
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_dir_all(&self.path)
            && error.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!("cannot remove the rocksdb working directory {}: {error}", self.path.display());
        }
    }
}
