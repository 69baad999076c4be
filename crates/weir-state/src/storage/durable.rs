//! The filesystem operations checkpoint storage is built from, each durable or idempotent as a
//! checkpoint needs: files written once and fsynced, directories created with their entries
//! fsynced, deletes that accept what is already gone, and files checksummed while streamed.
//!
//! Every error names the path and the action. Nothing here retries: a failed write or fsync fails
//! the checkpoint it belongs to, and since every snapshot file is new (written once, never
//! rewritten), no later write depends on pages a failed fsync may have dropped.

use super::error::StorageError;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to a new file at `path` and fsyncs it. With `overwrite == false` an existing
/// file is an error ([`StorageError::AlreadyExists`]); the parent directory must exist.
pub(crate) fn write_synced(path: &Path, bytes: &[u8], overwrite: bool) -> Result<(), StorageError> {
    let mut options = OpenOptions::new();
    options.write(true);
    if overwrite {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut file = options.open(path).map_err(|source| match source.kind() {
        io::ErrorKind::AlreadyExists => StorageError::AlreadyExists { path: path.to_path_buf() },
        _ => StorageError::Io { action: "create", path: path.to_path_buf(), source },
    })?;
    file.write_all(bytes).map_err(StorageError::io("write", path))?;
    file.sync_all().map_err(StorageError::io("fsync", path))
}

/// Copies `from` to a new file at `to` (an existing one is [`StorageError::AlreadyExists`]) and
/// fsyncs it; returns its size and CRC32C, computed while copying. The parent must exist.
pub(crate) fn copy_synced(from: &Path, to: &Path) -> Result<(u64, u32), StorageError> {
    let mut source = File::open(from).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => StorageError::StateFileMissing { path: from.to_path_buf() },
        _ => StorageError::Io { action: "open", path: from.to_path_buf(), source },
    })?;
    let mut target =
        OpenOptions::new().write(true).create_new(true).open(to).map_err(|source| match source.kind() {
            io::ErrorKind::AlreadyExists => StorageError::AlreadyExists { path: to.to_path_buf() },
            _ => StorageError::Io { action: "create", path: to.to_path_buf(), source },
        })?;
    let mut buffer = vec![0u8; 1 << 20];
    let (mut size, mut crc) = (0u64, 0u32);
    loop {
        let n = source.read(&mut buffer).map_err(StorageError::io("read", from))?;
        if n == 0 {
            break;
        }
        crc = crc32c::crc32c_append(crc, &buffer[..n]);
        size += n as u64;
        target.write_all(&buffer[..n]).map_err(StorageError::io("write", to))?;
    }
    target.sync_all().map_err(StorageError::io("fsync", to))?;
    Ok((size, crc))
}

/// Fsyncs a directory, making the entries created, renamed or deleted in it durable. A no-op
/// where directories cannot be opened as files (Windows).
pub(crate) fn sync_dir(dir: &Path) -> Result<(), StorageError> {
    if cfg!(unix) {
        let handle = File::open(dir).map_err(StorageError::io("open directory", dir))?;
        handle.sync_all().map_err(StorageError::io("fsync directory", dir))?;
    }
    Ok(())
}

/// Creates `dir` and its missing ancestors, fsyncing the parent of each directory created so the
/// new entries survive a crash. Directories created concurrently by another writer are fine.
pub(crate) fn create_dirs_synced(dir: &Path) -> Result<(), StorageError> {
    let mut missing = Vec::new();
    let mut current = Some(dir);
    while let Some(path) = current {
        if path.as_os_str().is_empty() || path.is_dir() {
            break;
        }
        missing.push(path);
        current = path.parent();
    }
    for path in missing.into_iter().rev() {
        match fs::create_dir(path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && path.is_dir() => {}
            Err(source) => {
                return Err(StorageError::Io { action: "create directory", path: path.to_path_buf(), source });
            }
        }
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            sync_dir(parent)?;
        }
    }
    Ok(())
}

/// Removes a file; a file that is already gone is fine. Returns whether it existed.
pub(crate) fn remove_file_if_exists(path: &Path) -> Result<bool, StorageError> {
    match fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(StorageError::Io { action: "delete", path: path.to_path_buf(), source }),
    }
}

/// Removes a directory and everything in it; a directory that is already gone is fine.
pub(crate) fn remove_dir_all_if_exists(dir: &Path) -> Result<(), StorageError> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(StorageError::Io { action: "delete directory", path: dir.to_path_buf(), source }),
    }
}

/// The size and CRC32C of a file, streamed in blocks so a large state file is never held in
/// memory. A missing file is [`StorageError::StateFileMissing`].
pub(crate) fn size_and_crc32c(path: &Path) -> Result<(u64, u32), StorageError> {
    let mut file = open_state_file(path)?;
    let mut buffer = vec![0u8; 64 * 1024];
    let (mut size, mut crc) = (0u64, 0u32);
    loop {
        let n = match file.read(&mut buffer) {
            Ok(0) => return Ok((size, crc)),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(source) => return Err(StorageError::Io { action: "read", path: path.to_path_buf(), source }),
        };
        crc = crc32c::crc32c_append(crc, &buffer[..n]);
        size += n as u64;
    }
}

/// Reads a whole state file. A missing file is [`StorageError::StateFileMissing`].
pub(crate) fn read_state_file(path: &Path) -> Result<Vec<u8>, StorageError> {
    let mut file = open_state_file(path)?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).map_err(StorageError::io("read", path))?;
    Ok(bytes)
}

fn open_state_file(path: &Path) -> Result<File, StorageError> {
    File::open(path).map_err(|source| match source.kind() {
        io::ErrorKind::NotFound => StorageError::StateFileMissing { path: path.to_path_buf() },
        _ => StorageError::Io { action: "open", path: path.to_path_buf(), source },
    })
}

/// The entries of a directory as `(name, path, is_dir)`, following symlinks for `is_dir`; names
/// that are not UTF-8 are skipped (weir never writes them). `None` if the directory is missing.
pub(crate) fn list_dir(dir: &Path) -> Result<Option<Vec<(String, PathBuf, bool)>>, StorageError> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(StorageError::Io { action: "list directory", path: dir.to_path_buf(), source }),
    };
    let mut listed = Vec::new();
    for entry in entries {
        let entry = entry.map_err(StorageError::io("list directory", dir))?;
        let path = entry.path();
        let Ok(name) = entry.file_name().into_string() else { continue };
        listed.push((name, path.clone(), path.is_dir()));
    }
    Ok(Some(listed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_files_are_never_silently_overwritten() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a");
        write_synced(&path, b"one", false).expect("first write");
        let err = write_synced(&path, b"two", false).expect_err("second write");
        assert!(matches!(err, StorageError::AlreadyExists { .. }), "{err}");
        assert_eq!(fs::read(&path).expect("read"), b"one");
        write_synced(&path, b"three", true).expect("overwrite");
        assert_eq!(fs::read(&path).expect("read"), b"three");
    }

    #[test]
    fn creates_nested_directories_and_tolerates_existing_ones() {
        let dir = tempfile::tempdir().expect("tempdir");
        let nested = dir.path().join("a/b/c");
        create_dirs_synced(&nested).expect("create");
        assert!(nested.is_dir());
        create_dirs_synced(&nested).expect("create again");
    }

    #[test]
    fn streamed_checksum_equals_the_one_of_the_bytes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big");
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        fs::write(&path, &bytes).expect("write");
        assert_eq!(size_and_crc32c(&path).expect("crc"), (bytes.len() as u64, crc32c::crc32c(&bytes)));
        let missing = size_and_crc32c(&dir.path().join("missing")).expect_err("missing");
        assert!(matches!(missing, StorageError::StateFileMissing { .. }), "{missing}");
    }

    #[test]
    fn deleting_what_is_gone_is_fine() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(!remove_file_if_exists(&dir.path().join("x")).expect("file"));
        remove_dir_all_if_exists(&dir.path().join("y")).expect("dir");
        assert_eq!(list_dir(&dir.path().join("z")).expect("list"), None);
    }
}
