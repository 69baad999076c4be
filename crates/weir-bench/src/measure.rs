//! What a run costs the process: CPU time and peak RSS from `getrusage` (its own, or its ended
//! children's for workloads that run their jobs in child processes), the current RSS sampled
//! from `/proc/self/status` by a background thread, and the machine-wide monotonic clock that
//! lets a parent process compare instants its children took.
//!
//! The I/O here is reading `/proc/self/status` (Linux only; elsewhere no samples are taken) and
//! the `getrusage` and `clock_gettime` system calls. It is **not** a profiler: it measures the
//! whole process, so a run's numbers include the mini-cluster's threads as well as the driver's
//! own (negligible) work.

use anyhow::{Context, bail};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::thread::JoinHandle;
use std::time::Duration;

/// The process's resource usage up to one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResourceUsage {
    /// User plus system CPU time of all threads.
    pub cpu: Duration,
    /// The largest resident set the process ever had, in KiB (Linux reports `ru_maxrss` in KiB).
    pub max_rss_kib: u64,
}

impl ResourceUsage {
    /// The process's usage so far, from `getrusage(RUSAGE_SELF)`.
    pub fn now() -> anyhow::Result<Self> {
        Self::of(libc::RUSAGE_SELF, "RUSAGE_SELF")
    }

    /// The usage of the child processes that ended and were waited for so far
    /// (`getrusage(RUSAGE_CHILDREN)`): CPU time summed, `max_rss_kib` that of the largest child.
    pub fn children() -> anyhow::Result<Self> {
        Self::of(libc::RUSAGE_CHILDREN, "RUSAGE_CHILDREN")
    }

    #[allow(unsafe_code)]
    fn of(who: libc::c_int, name: &str) -> anyhow::Result<Self> {
        let mut usage = std::mem::MaybeUninit::<libc::rusage>::zeroed();
        // SAFETY: `getrusage` writes one `struct rusage` through the pointer and reads nothing
        // from it; `usage` is a live, properly aligned `MaybeUninit<rusage>`, valid for writes of
        // that size for the duration of the call. `who` is `RUSAGE_SELF` or `RUSAGE_CHILDREN`,
        // both valid.
        let rc = unsafe { libc::getrusage(who, usage.as_mut_ptr()) };
        if rc != 0 {
            bail!("getrusage({name}) failed: {}", std::io::Error::last_os_error());
        }
        // SAFETY: the call returned 0, so it filled the whole struct; moreover `rusage` is plain
        // integers, for which the zeroed start is already a valid value.
        let usage = unsafe { usage.assume_init() };
        let time = |t: libc::timeval| Duration::new(t.tv_sec as u64, (t.tv_usec as u32).saturating_mul(1_000));
        Ok(ResourceUsage {
            cpu: time(usage.ru_utime) + time(usage.ru_stime),
            max_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
        })
    }
}

/// Microseconds on the system's monotonic clock (`CLOCK_MONOTONIC`), which every process on the
/// machine shares: an instant one process takes can be compared with another's. (`Instant` reads
/// the same clock on Linux but cannot be passed to another process.)
#[allow(unsafe_code)]
pub fn monotonic_micros() -> u64 {
    let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
    // SAFETY: `clock_gettime` writes one `struct timespec` through the pointer, which points to
    // a live, aligned `timespec`. `CLOCK_MONOTONIC` always exists on Linux, so the call cannot
    // fail there; were it to, `now` would stay zero.
    let _ = unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    (now.tv_sec as u64).saturating_mul(1_000_000) + (now.tv_nsec as u64) / 1_000
}

/// The current resident set size in MiB (`VmRSS` of `/proc/self/status`), if the system has it.
pub fn current_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    parse_vm_rss_kib(&status).map(|kib| kib as f64 / 1024.0)
}

/// The `VmRSS:` value (in kB) of a `/proc/<pid>/status` text.
fn parse_vm_rss_kib(status: &str) -> Option<u64> {
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line["VmRSS:".len()..].trim().trim_end_matches("kB").trim().parse().ok()
}

/// How much the RSS grew over a run: the last sample minus the median of the first quarter of
/// the samples (at least one), so a start-up spike in the first sample does not count. `None`
/// without samples.
pub fn rss_growth_mb(samples: &[f64]) -> Option<f64> {
    let last = *samples.last()?;
    let mut first_quarter = samples[..samples.len().div_ceil(4)].to_vec();
    first_quarter.sort_by(f64::total_cmp);
    let mid = first_quarter.len() / 2;
    let median = if first_quarter.len().is_multiple_of(2) {
        (first_quarter[mid - 1] + first_quarter[mid]) / 2.0
    } else {
        first_quarter[mid]
    };
    Some(last - median)
}

/// A background thread that records the RSS every `interval` until stopped.
#[derive(Debug)]
pub struct RssSampler {
    stop: Sender<()>,
    thread: JoinHandle<Vec<f64>>,
}

impl RssSampler {
    /// Starts sampling now (the first sample is taken at once).
    pub fn start(interval: Duration) -> anyhow::Result<Self> {
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("rss-sampler".into())
            .spawn(move || {
                let mut samples = Vec::new();
                loop {
                    samples.extend(current_rss_mb());
                    match stopped.recv_timeout(interval) {
                        Err(RecvTimeoutError::Timeout) => continue,
                        Ok(()) | Err(RecvTimeoutError::Disconnected) => return samples,
                    }
                }
            })
            .context("cannot start the RSS sampling thread")?;
        Ok(RssSampler { stop, thread })
    }

    /// Stops sampling and returns the samples in MiB, oldest first.
    pub fn finish(self) -> Vec<f64> {
        // The thread ends on receiving this (or on seeing the sender dropped).
        let _ = self.stop.send(());
        self.thread.join().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_rss_is_read_from_a_status_text() {
        let status = "Name:\tweir-bench\nVmPeak:\t  10000 kB\nVmRSS:\t    5120 kB\nThreads:\t3\n";
        assert_eq!(parse_vm_rss_kib(status), Some(5120));
        assert_eq!(parse_vm_rss_kib("Name:\tx\n"), None);
    }

    #[test]
    fn growth_is_last_minus_the_median_of_the_first_quarter() {
        assert_eq!(rss_growth_mb(&[]), None);
        assert_eq!(rss_growth_mb(&[7.0]), Some(0.0));
        // The first quarter of 8 samples is [10, 50] (a start-up spike): its median is 30.
        assert_eq!(rss_growth_mb(&[10.0, 50.0, 11.0, 11.0, 11.0, 12.0, 12.0, 13.0]), Some(-17.0));
        // 9 samples: the first quarter is the first three, median 11.
        assert_eq!(rss_growth_mb(&[12.0, 10.0, 11.0, 11.0, 11.0, 11.0, 12.0, 12.0, 11.5]), Some(0.5));
        assert_eq!(rss_growth_mb(&[10.0, 10.0, 10.0, 10.0, 11.0, 12.0, 13.0, 14.0]), Some(4.0));
    }

    #[test]
    fn the_monotonic_clock_moves_with_instant() {
        let (a, started) = (monotonic_micros(), std::time::Instant::now());
        std::thread::sleep(Duration::from_millis(20));
        let (b, elapsed) = (monotonic_micros(), started.elapsed());
        assert!(a > 0 && b >= a + 20_000, "{a} {b}");
        assert!((b - a).abs_diff(elapsed.as_micros() as u64) < 5_000, "{a} {b} {elapsed:?}");
    }

    #[test]
    fn usage_grows_with_work() {
        let before = ResourceUsage::now().expect("getrusage");
        let mut x = 0u64;
        for i in 0..20_000_000u64 {
            x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
        }
        let after = ResourceUsage::now().expect("getrusage");
        assert!(after.cpu > before.cpu, "{before:?} {after:?}");
        assert!(after.max_rss_kib > 0);
    }
}
