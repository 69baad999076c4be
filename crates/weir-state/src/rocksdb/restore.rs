//! Restoring the `rocksdb` backend from incremental snapshots (the canonical format restores
//! through the typed tables, see [`KeyedStateBackend::restore`](crate::KeyedStateBackend::restore)).
//!
//! Each old instance's files are laid out as its database directory again: SST files as hard
//! links where the checkpoint is on the same file system (RocksDB never changes one), everything
//! else as copies. At unchanged parallelism that database is opened as it is. After
//! a rescale the old database that shares the most key groups with this instance becomes its
//! database and is clipped to this instance's range with two range deletes per state; the key
//! groups of this range that other old instances held are copied in from their databases,
//! opened read-only and read within this range only — never a copy of everything. Timers
//! (stored in the database, module `timers`) are clipped and copied with the states.

use rocksdb::WriteBatch;
use std::path::Path;
use std::sync::Arc;
use weir_core::snapshot::RestoredFile;
use weir_core::{Key, KeyGroupRange};

use super::incremental::IncrementalHandle;
use super::{RocksDbStore, db, keys};
use crate::error::{Result, StateError};
use crate::heap::KeyedStateSnapshot;

/// Rows copied per write batch when key groups move between databases.
const COPY_BATCH_BYTES: usize = 4 << 20;

impl<K: Key> RocksDbStore<K> {
    /// Replaces this (fresh) store's database by the key groups of this range from the
    /// incremental snapshots `handles` (with their files); returns their restored-but-unnamed
    /// states in the canonical format, for the typed tables.
    pub(crate) fn restore_incremental(
        &mut self,
        handles: Vec<(IncrementalHandle, Arc<Vec<RestoredFile>>)>,
    ) -> Result<Vec<KeyedStateSnapshot>> {
        let relevant: Vec<_> = handles.into_iter().filter(|(h, _)| h.range.intersects(&self.range)).collect();
        let Some(base) = (0..relevant.len()).max_by_key(|&i| overlap(relevant[i].0.range, self.range)) else {
            return Ok(Vec::new());
        };
        let mut leftovers = Vec::new();
        for (handle, _) in &relevant {
            for (name, meta) in &handle.states {
                match self.known.get(name) {
                    Some(known) => crate::heap::check_restorable(name, (known.kind, known.ttl), (meta.kind, meta.ttl))?,
                    None => {
                        self.known.insert(name.clone(), *meta);
                    }
                }
            }
            if !handle.leftovers.is_empty() {
                leftovers.push(KeyedStateSnapshot::from_bytes(&handle.leftovers)?);
            }
        }

        // The base database becomes this instance's, clipped to its range.
        let base_dir = self.workdir.path().join("db-restored");
        lay_out(&relevant[base].0, &relevant[base].1, &base_dir)?;
        let options = db::options(self.options.memory, self.options.write_buffer_ratio);
        self.db = Arc::new(db::StateDb::open(&base_dir, options)?);
        let _ = std::fs::remove_dir_all(self.workdir.path().join("db"));
        let (from, to) = keys::bounds(self.range);
        let (lowest, highest) = keys::bounds(KeyGroupRange { start: 0, end: keys::MAX_KEY_GROUPS });
        for name in self.known.keys() {
            self.db.ensure_column_family(&keys::column_family(name))?;
        }
        for name in self.db.column_family_names().into_iter().filter(|n| keys::is_keyed_column_family(n)) {
            let cf = self.db.cf(&name)?;
            for (start, end) in [(&lowest, &from), (&to, &highest)] {
                if start < end {
                    self.db.db.delete_range_cf(&cf, start, end).map_err(|source| self.db.error("clip", source))?;
                }
            }
        }

        // The other old databases give only their key groups of this range.
        for (i, (handle, files)) in relevant.iter().enumerate() {
            if i == base {
                continue;
            }
            let dir = self.workdir.path().join(format!("db-restored-{i}"));
            lay_out(handle, files, &dir)?;
            self.copy_range_from(&dir)?;
            let _ = std::fs::remove_dir_all(&dir);
        }
        Ok(leftovers)
    }

    /// Copies this range's entries of every state from the database at `dir`.
    fn copy_range_from(&mut self, dir: &Path) -> Result<()> {
        let (source, names) = db::open_read_only(dir)?;
        let (from, to) = keys::bounds(self.range);
        for cf_name in names.iter().filter(|n| keys::is_keyed_column_family(n)) {
            self.db.ensure_column_family(cf_name)?;
            let Some(source_cf) = source.cf_handle(cf_name) else { continue };
            let target_cf = self.db.cf(cf_name)?;
            let mut read = rocksdb::ReadOptions::default();
            read.set_iterate_lower_bound(from.clone());
            read.set_iterate_upper_bound(to.clone());
            let mut batch = WriteBatch::default();
            for item in source.iterator_cf_opt(source_cf, read, rocksdb::IteratorMode::Start) {
                let (key, value) = item.map_err(|source| StateError::RocksDb {
                    action: "read a restored database".into(),
                    path: dir.to_path_buf(),
                    source,
                })?;
                batch.put_cf(&target_cf, key, value);
                if batch.size_in_bytes() >= COPY_BATCH_BYTES {
                    self.db.write(std::mem::take(&mut batch))?;
                }
            }
            self.db.write(batch)?;
        }
        Ok(())
    }
}

/// How many key groups two ranges share.
fn overlap(a: KeyGroupRange, b: KeyGroupRange) -> u32 {
    a.end.min(b.end).saturating_sub(a.start.max(b.start))
}

/// Puts every file of `handle` into `dir` under its database name.
fn lay_out(handle: &IncrementalHandle, files: &[RestoredFile], dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|source| StateError::Io {
        action: "create a restore directory",
        path: dir.to_path_buf(),
        source,
    })?;
    for (name, file) in &handle.files {
        let found = files.iter().find(|f| f.path == file.path && f.scope == file.scope).ok_or_else(|| {
            StateError::Unrestorable(format!(
                "the rocksdb snapshot lists file '{}' ({:?}), which the checkpoint's metadata does not name",
                file.path, file.scope
            ))
        })?;
        let target = dir.join(name);
        // SST files are immutable: a link will do. The others (MANIFEST, CURRENT, OPTIONS) are
        // copied, since RocksDB may append to them and the checkpoint's copy must stay intact.
        let linked = name.ends_with(".sst") && std::fs::hard_link(&found.location, &target).is_ok();
        if !linked {
            std::fs::copy(&found.location, &target).map_err(|source| StateError::Io {
                action: "copy a restored file",
                path: found.location.clone(),
                source,
            })?;
        }
    }
    Ok(())
}
