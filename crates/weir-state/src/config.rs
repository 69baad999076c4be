//! Which state backend a job's keyed operators use, and the RocksDB backend's settings (Flink's
//! key names where Flink has the setting).
//!
//! Read by every keyed operator instance when it starts ([`StateBackendConfig::from_config`]),
//! so a malformed value fails the job at its start with the key named.

use std::path::PathBuf;
use weir_core::config::{ConfigOption, Configuration, parse_bool, parse_memory_size};

use crate::error::{Result, StateError};

/// The two backends (DESIGN §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateBackendType {
    /// Typed values in memory (Flink's `hashmap`; `filesystem` and `jobmanager` are old names).
    HashMap,
    /// An embedded RocksDB per keyed operator instance: state larger than memory, incremental
    /// checkpoints.
    RocksDb,
}

fn parse_backend_type(text: &str) -> Result<StateBackendType, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "hashmap" | "filesystem" | "jobmanager" | "heap" => Ok(StateBackendType::HashMap),
        "rocksdb" => Ok(StateBackendType::RocksDb),
        _ => Err("expected 'hashmap' or 'rocksdb'".into()),
    }
}

fn parse_path(text: &str) -> Result<Option<PathBuf>, String> {
    match text.trim() {
        "" => Err("expected a directory path".into()),
        path => Ok(Some(PathBuf::from(path))),
    }
}

fn parse_timer_store(text: &str) -> Result<TimerStore, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "rocksdb" => Ok(TimerStore::RocksDb),
        "heap" | "hashmap" => Ok(TimerStore::Heap),
        _ => Err("expected 'rocksdb' or 'heap'".into()),
    }
}

fn parse_ratio(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if x > 0.0 && x < 1.0 => Ok(x),
        _ => Err("expected a number between 0 and 1, such as 0.5".into()),
    }
}

pub const BACKEND_TYPE: ConfigOption<StateBackendType> = ConfigOption {
    key: "state.backend.type",
    default: StateBackendType::HashMap,
    description: "Where keyed state lives: 'hashmap' (in memory) or 'rocksdb' (embedded RocksDB per keyed operator instance).",
    parse: parse_backend_type,
};

pub const INCREMENTAL: ConfigOption<bool> = ConfigOption {
    key: "execution.checkpointing.incremental",
    default: false,
    description: "rocksdb: checkpoints upload only the RocksDB files not uploaded before and reference the rest (savepoints are always full).",
    parse: parse_bool,
};

pub const ROCKSDB_LOCAL_DIR: ConfigOption<Option<PathBuf>> = ConfigOption {
    key: "state.backend.rocksdb.localdir",
    default: None,
    description: "rocksdb: the local directory of the working databases (one subdirectory per operator instance, removed when it ends); default <temp dir>/weir-rocksdb.",
    parse: parse_path,
};

pub const ROCKSDB_MEMORY: ConfigOption<u64> = ConfigOption {
    key: "state.backend.rocksdb.memory.fixed-per-slot",
    default: 256 << 20,
    description: "rocksdb: the memory of one keyed operator instance's state: RocksDB's block cache and write buffers plus weir's cache of the keys in use.",
    parse: parse_memory_size,
};

pub const ROCKSDB_WRITE_BUFFER_RATIO: ConfigOption<f64> = ConfigOption {
    key: "state.backend.rocksdb.memory.write-buffer-ratio",
    default: 0.5,
    description: "rocksdb: the share of RocksDB's memory its write buffers (memtables) may take.",
    parse: parse_ratio,
};

pub const ROCKSDB_TIMER_STORE: ConfigOption<TimerStore> = ConfigOption {
    key: "state.backend.rocksdb.timer-service.factory",
    default: TimerStore::RocksDb,
    description: "rocksdb: where keyed operators keep their timers: 'rocksdb' (in the database, with the state: bounded memory, incremental checkpoints) or 'heap' (in memory, copied into every checkpoint; faster with few timers).",
    parse: parse_timer_store,
};

/// Every option here, for configuration validation and listings: key, default, description.
pub fn option_descriptions() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        (BACKEND_TYPE.key, "hashmap", BACKEND_TYPE.description),
        (INCREMENTAL.key, "false", INCREMENTAL.description),
        (ROCKSDB_LOCAL_DIR.key, "<temp dir>/weir-rocksdb", ROCKSDB_LOCAL_DIR.description),
        (ROCKSDB_MEMORY.key, "256 mb", ROCKSDB_MEMORY.description),
        (ROCKSDB_WRITE_BUFFER_RATIO.key, "0.5", ROCKSDB_WRITE_BUFFER_RATIO.description),
        (ROCKSDB_TIMER_STORE.key, "rocksdb", ROCKSDB_TIMER_STORE.description),
    ]
}

/// The state backend of a job's keyed operators.
#[derive(Debug, Clone, PartialEq)]
pub struct StateBackendConfig {
    /// `None`: the `hashmap` backend.
    pub rocksdb: Option<RocksDbOptions>,
}

/// The settings of the `rocksdb` backend.
#[derive(Debug, Clone, PartialEq)]
pub struct RocksDbOptions {
    /// Where working databases are created.
    pub local_dir: PathBuf,
    /// The memory bound of one backend instance, in bytes.
    pub memory: u64,
    /// The write buffers' share of RocksDB's part of `memory`.
    pub write_buffer_ratio: f64,
    /// Checkpoints upload only new files.
    pub incremental: bool,
    /// Where keyed operators keep their timers.
    pub timers: TimerStore,
}

/// Where the `rocksdb` backend's operators keep their timers (Flink's
/// `state.backend.rocksdb.timer-service.factory`; the `hashmap` backend keeps them in memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerStore {
    /// In the database, one column family per time domain (module `rocksdb::timers`).
    RocksDb,
    /// In memory, beside the operator, and copied into every snapshot.
    Heap,
}

impl RocksDbOptions {
    /// The defaults, with working databases under `local_dir`.
    pub fn new(local_dir: impl Into<PathBuf>) -> Self {
        RocksDbOptions {
            local_dir: local_dir.into(),
            memory: ROCKSDB_MEMORY.default,
            write_buffer_ratio: ROCKSDB_WRITE_BUFFER_RATIO.default,
            incremental: false,
            timers: ROCKSDB_TIMER_STORE.default,
        }
    }

    pub fn with_timers(mut self, timers: TimerStore) -> Self {
        self.timers = timers;
        self
    }

    pub fn with_incremental(mut self, incremental: bool) -> Self {
        self.incremental = incremental;
        self
    }

    pub fn with_memory(mut self, bytes: u64) -> Self {
        self.memory = bytes;
        self
    }
}

impl StateBackendConfig {
    /// The `hashmap` backend.
    pub fn hashmap() -> Self {
        StateBackendConfig { rocksdb: None }
    }

    /// Reads the options above from `config`; errors name the key and the bad value.
    pub fn from_config(config: &Configuration) -> Result<Self> {
        let get_err = |e: weir_core::Error| StateError::Config(e.to_string());
        match config.get(&BACKEND_TYPE).map_err(get_err)? {
            StateBackendType::HashMap => Ok(StateBackendConfig::hashmap()),
            StateBackendType::RocksDb => {
                let local_dir = config
                    .get(&ROCKSDB_LOCAL_DIR)
                    .map_err(get_err)?
                    .unwrap_or_else(|| std::env::temp_dir().join("weir-rocksdb"));
                Ok(StateBackendConfig {
                    rocksdb: Some(RocksDbOptions {
                        local_dir,
                        memory: config.get(&ROCKSDB_MEMORY).map_err(get_err)?,
                        write_buffer_ratio: config.get(&ROCKSDB_WRITE_BUFFER_RATIO).map_err(get_err)?,
                        incremental: config.get(&INCREMENTAL).map_err(get_err)?,
                        timers: config.get(&ROCKSDB_TIMER_STORE).map_err(get_err)?,
                    }),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_the_hashmap_backend() {
        assert_eq!(
            StateBackendConfig::from_config(&Configuration::new()).expect("valid"),
            StateBackendConfig::hashmap()
        );
    }

    #[test]
    fn rocksdb_reads_its_options() {
        let mut config = Configuration::new();
        config
            .set("state.backend.type", "RocksDB")
            .set("execution.checkpointing.incremental", "true")
            .set("state.backend.rocksdb.localdir", "/data/rocks")
            .set("state.backend.rocksdb.memory.fixed-per-slot", "64 mb");
        let options = StateBackendConfig::from_config(&config).expect("valid").rocksdb.expect("rocksdb");
        assert_eq!(options.local_dir, PathBuf::from("/data/rocks"));
        assert_eq!(options.memory, 64 << 20);
        assert!(options.incremental);
        assert_eq!(options.write_buffer_ratio, 0.5);
        assert_eq!(options.timers, TimerStore::RocksDb);
        config.set("state.backend.rocksdb.timer-service.factory", "HEAP");
        let options = StateBackendConfig::from_config(&config).expect("valid").rocksdb.expect("rocksdb");
        assert_eq!(options.timers, TimerStore::Heap);
    }

    #[test]
    fn bad_values_name_the_key() {
        let mut config = Configuration::new();
        config.set("state.backend.type", "leveldb");
        let error = StateBackendConfig::from_config(&config).expect_err("refused").to_string();
        assert!(error.contains("state.backend.type") && error.contains("rocksdb"), "{error}");
        let mut config = Configuration::new();
        config.set("state.backend.type", "rocksdb").set("state.backend.rocksdb.memory.write-buffer-ratio", "2");
        let error = StateBackendConfig::from_config(&config).expect_err("refused").to_string();
        assert!(error.contains("write-buffer-ratio"), "{error}");
    }
}
