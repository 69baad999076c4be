//! Opening a RocksDB database for keyed state, within a memory bound.
//!
//! One LRU block cache per database, sized from `state.backend.rocksdb.memory.fixed-per-slot`;
//! the write buffers (memtables) are charged to that cache through a write-buffer manager, so
//! RocksDB's memory stays within the cache's size whatever the number of column families
//! (Flink's bounded-memory set-up). Writes skip the write-ahead log: the database is a working
//! copy and checkpoints are what survives a failure.
//!
//! **Index and filter blocks are partitioned** (Flink's
//! `state.backend.rocksdb.memory.partitioned-index-filters`): an SST file's bloom filter is cut
//! into blocks of [`METADATA_BLOCK_SIZE`] under a small top-level index that stays pinned. A
//! whole-file filter grows with the keys of the file (3.9 MB for the 3.1 M keys of one 24 MB
//! file), and a block larger than its cache shard is evicted as soon as it is used: every read
//! then read the whole filter from the file and verified its checksum (a load of 10 M new keys,
//! each a read of an absent key, had reached about 3 M after five minutes). The cache also has
//! fewer, larger shards ([`MIN_CACHE_SHARD_BYTES`]).

use rocksdb::{
    BlockBasedIndexType, BlockBasedOptions, BoundColumnFamily, Cache, ColumnFamilyDescriptor, DB, DBWithThreadMode,
    LruCacheOptions, MultiThreaded, Options, WriteBufferManager, WriteOptions,
};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::keys::META_COLUMN_FAMILY;
use crate::error::{Result, StateError};

/// RocksDB's share of a backend's memory; the rest is weir's cache of the keys in use.
pub(crate) const ROCKSDB_SHARE: f64 = 0.75;

/// The size of a partition of an SST file's index or filter (RocksDB's `metadata_block_size`).
const METADATA_BLOCK_SIZE: usize = 4 << 10;

/// The smallest shard of the block cache. RocksDB's default cuts a cache into up to 64 shards
/// (3 MB each for 192 MB); a shard is a cache of its own, so it must hold the largest blocks in
/// use with room to spare. Two subtask threads per core need no more shards to avoid contention.
const MIN_CACHE_SHARD_BYTES: usize = 16 << 20;

/// The block cache of `capacity` bytes, in shards of at least [`MIN_CACHE_SHARD_BYTES`].
fn block_cache(capacity: usize) -> Cache {
    let shards = (capacity / MIN_CACHE_SHARD_BYTES).max(1);
    // 2^bits ≤ shards, and RocksDB's own ceiling of 64 shards.
    let bits = (usize::BITS - 1 - shards.leading_zeros()).min(6);
    let mut options = LruCacheOptions::default();
    options.set_capacity(capacity);
    options.set_num_shard_bits(bits as i32);
    Cache::new_lru_cache_opts(&options)
}

/// A database with the options every column family of it gets.
///
/// Multi-threaded mode (column families created through `&self`): the backend's store and its
/// timer queues (module `timers`) share one database, each through an `Arc`, on the one thread
/// of the operator instance.
pub(crate) struct StateDb {
    pub(crate) db: DBWithThreadMode<MultiThreaded>,
    pub(crate) path: PathBuf,
    cf_options: Options,
    pub(crate) write_options: WriteOptions,
    /// Every column family's name (RocksDB lists them only for a closed database).
    column_families: Mutex<BTreeSet<String>>,
}

/// The options of a database within `memory` bytes (RocksDB's share of it).
pub(crate) fn options(memory: u64, write_buffer_ratio: f64) -> Options {
    let rocksdb_memory = ((memory as f64 * ROCKSDB_SHARE) as usize).max(8 << 20);
    let cache = block_cache(rocksdb_memory);
    let write_buffers = (rocksdb_memory as f64 * write_buffer_ratio) as usize;
    let manager = WriteBufferManager::new_write_buffer_manager_with_cache(write_buffers, false, cache.clone());
    let mut table = BlockBasedOptions::default();
    table.set_block_cache(&cache);
    table.set_bloom_filter(10.0, false);
    table.set_cache_index_and_filter_blocks(true);
    table.set_cache_index_and_filter_blocks_with_high_priority(true);
    table.set_pin_l0_filter_and_index_blocks_in_cache(true);
    table.set_index_type(BlockBasedIndexType::TwoLevelIndexSearch);
    table.set_partition_filters(true);
    table.set_metadata_block_size(METADATA_BLOCK_SIZE);
    table.set_pin_top_level_index_and_filter(true);
    let mut options = Options::default();
    options.create_if_missing(true);
    options.create_missing_column_families(true);
    options.set_block_based_table_factory(&table);
    options.set_write_buffer_manager(&manager);
    options.set_write_buffer_size((write_buffers / 4).clamp(1 << 20, 64 << 20));
    options.set_compression_type(rocksdb::DBCompressionType::Lz4);
    options.set_max_background_jobs(2);
    options.set_max_open_files(-1);
    options
}

impl StateDb {
    /// Opens (or creates) the database at `path` with every column family it has.
    pub(crate) fn open(path: &Path, options: Options) -> Result<Self> {
        let err = |action: &str| {
            let path = path.to_path_buf();
            let action = action.to_string();
            move |source| StateError::RocksDb { action, path, source }
        };
        let mut names = if path.join("CURRENT").exists() {
            DB::list_cf(&options, path).map_err(err("list the column families"))?
        } else {
            Vec::new()
        };
        for required in ["default", META_COLUMN_FAMILY] {
            if !names.iter().any(|n| n == required) {
                names.push(required.to_string());
            }
        }
        let descriptors = names.iter().map(|n| ColumnFamilyDescriptor::new(n, options.clone()));
        let db =
            DBWithThreadMode::<MultiThreaded>::open_cf_descriptors(&options, path, descriptors).map_err(err("open"))?;
        let mut write_options = WriteOptions::default();
        write_options.disable_wal(true);
        let column_families = Mutex::new(names.into_iter().collect());
        Ok(StateDb { db, path: path.to_path_buf(), cf_options: options, write_options, column_families })
    }

    /// The column family `name`, created if missing.
    pub(crate) fn ensure_column_family(&self, name: &str) -> Result<()> {
        if self.db.cf_handle(name).is_none() {
            self.db.create_cf(name, &self.cf_options).map_err(|source| self.error("create a column family", source))?;
            self.column_families.lock().unwrap_or_else(|e| e.into_inner()).insert(name.to_string());
        }
        Ok(())
    }

    /// The names of every column family.
    pub(crate) fn column_family_names(&self) -> Vec<String> {
        self.column_families.lock().unwrap_or_else(|e| e.into_inner()).iter().cloned().collect()
    }

    pub(crate) fn cf(&self, name: &str) -> Result<Arc<BoundColumnFamily<'_>>> {
        self.db.cf_handle(name).ok_or_else(|| {
            StateError::Store(format!("the database '{}' has no column family '{name}'", self.path.display()))
        })
    }

    pub(crate) fn error(&self, action: &str, source: rocksdb::Error) -> StateError {
        StateError::RocksDb { action: action.to_string(), path: self.path.clone(), source }
    }

    pub(crate) fn write(&self, batch: rocksdb::WriteBatch) -> Result<()> {
        self.db.write_opt(batch, &self.write_options).map_err(|source| self.error("write", source))
    }
}

/// Opens the database at `path` read-only with all its column families (a checkpoint taken for
/// a snapshot, or a restored one to copy key groups from).
pub(crate) fn open_read_only(path: &Path) -> Result<(DB, Vec<String>)> {
    let err = |action: &'static str| {
        let path = path.to_path_buf();
        move |source| StateError::RocksDb { action: action.to_string(), path, source }
    };
    let options = Options::default();
    let names = DB::list_cf(&options, path).map_err(err("list the column families"))?;
    let db = DB::open_cf_for_read_only(&options, path, &names, false).map_err(err("open read-only"))?;
    Ok((db, names))
}
