//! Process-wide memory settings for a process that runs jobs: called once by a binary (`weir`,
//! `weir-bench`) at the start of `main`, never by the library on its own.
//!
//! glibc gives threads up to 8 malloc arenas per core and keeps what each arena freed. A job
//! process has many threads (subtasks, snapshot threads, RocksDB's background threads, a
//! restored attempt's new ones), so memory one thread freed stays in its arena while the next
//! takes a new one: a 10 M-key RocksDB run with a 32 MB state bound peaked at 114.5 MB RSS with
//! the default and at 87.9 MB with the arenas capped at the core count (BENCHMARKS.md, "RocksDB at
//! 10 M keys"). Flink's images set `MALLOC_ARENA_MAX` for the same reason.

/// Caps glibc's malloc arenas at the number of cores (at least 2) unless `MALLOC_ARENA_MAX` is
/// set; does nothing elsewhere than Linux with glibc. Call it before spawning threads.
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get()).max(2);
        let cores = libc::c_int::try_from(cores).unwrap_or(libc::c_int::MAX);
        // SAFETY: `mallopt` only sets a tunable of the allocator, with a valid parameter and
        // value; it has no memory-safety preconditions.
        #[allow(unsafe_code)]
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, cores);
        }
    }
}
