//! The lines a run prints: `RESULT ...` for every workload (with checkpoint fields when the job
//! took checkpoints, savepoint and restore fields for `restore`, and per-core throughput,
//! outputs and, with `--rate`, latency for the Nexmark queries), `RSS_SAMPLES ...` for those
//! that sample memory, `SAVEPOINT_PHASES ...` for `restore`. One line each, `key=value` fields separated by spaces, so that scripts can
//! `grep` and split them; the field names and their order are a stable interface.
//!
//! Pure formatting: the caller prints.

use crate::measure::rss_growth_mb;
use crate::nexmark::latency::LatencySummary;
use std::fmt;
use std::time::Duration;

/// The outcome of one run of one workload.
#[derive(Debug, Clone, PartialEq)]
pub struct RunReport {
    pub workload: &'static str,
    pub parallelism: usize,
    pub events: u64,
    /// Wall time of `env.execute`.
    pub seconds: f64,
    /// User + system CPU time of the process during `env.execute`.
    pub cpu_seconds: f64,
    /// The process's peak RSS (`ru_maxrss`) in MiB.
    pub peak_rss_mb: f64,
    /// Checkpoint figures, when the job took checkpoints.
    pub checkpoints: Option<CheckpointFigures>,
    /// Savepoint and restore figures (the `restore` workload).
    pub restore: Option<RestoreFigures>,
    /// Upload sizes of incremental checkpoints (the `incremental` workload).
    pub incremental: Option<IncrementalFigures>,
    /// Per-core throughput, outputs and latency (the Nexmark queries).
    pub query: Option<QueryFigures>,
}

/// What a Nexmark run adds to its `RESULT` line: `events_per_cpu_s` (computed from the line's
/// `events` and `cpu_s`), `outputs`, and with a rate limit `rate` and the latency fields.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueryFigures {
    /// Records the job's sink received.
    pub outputs: u64,
    /// The source's rate limit, events per second in total, if it had one.
    pub rate: Option<u64>,
    /// End-to-end latency, measured when the run had a rate limit.
    pub latency: Option<LatencySummary>,
}

/// What taking a savepoint and restoring from it cost: the `RESULT` line's `savepoint_ms`,
/// `restore_ms` and `state_bytes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestoreFigures {
    /// From the savepoint's trigger to its completion.
    pub savepoint: Duration,
    /// From submitting the restored job to its first record processed.
    pub restore: Duration,
    /// The total size of the savepoint's files.
    pub state_bytes: u64,
}

/// What incremental checkpoints upload: the `RESULT` line's `full_bytes` (the state size of the
/// first checkpoint after the load: every file it references, what a full upload writes),
/// `incremental_bytes` (the median of what each later checkpoint newly uploaded) and
/// `incremental_ms` (their median trigger-to-completion time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncrementalFigures {
    pub full_bytes: u64,
    pub incremental_bytes: u64,
    pub incremental_ms: u64,
    /// How many later checkpoints the medians are over.
    pub incremental_checkpoints: usize,
}

/// What the job's checkpoints cost: the `RESULT` line's checkpoint fields.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointFigures {
    pub completed: usize,
    /// Median trigger-to-completion time of the completed checkpoints.
    pub p50_ms: u64,
    pub max_ms: u64,
    /// The longest synchronous pause of any subtask in any completed checkpoint.
    pub sync_pause_max_ms: f64,
    /// Bytes of state of the last completed checkpoint.
    pub last_size_bytes: u64,
}

impl CheckpointFigures {
    /// The figures of `history`'s completed checkpoints; `None` when there are none.
    pub fn from_history(history: &[weir_runtime::CheckpointSummary]) -> Option<Self> {
        let completed: Vec<_> = history.iter().filter(|c| c.completed).collect();
        let last = completed.last()?;
        let mut durations: Vec<u64> =
            completed.iter().map(|c| c.duration.map_or(0, |d| d.as_millis() as u64)).collect();
        durations.sort_unstable();
        Some(CheckpointFigures {
            completed: completed.len(),
            p50_ms: durations[durations.len() / 2],
            max_ms: durations.last().copied().unwrap_or(0),
            sync_pause_max_ms: completed.iter().map(|c| c.max_sync.as_secs_f64() * 1000.0).fold(0.0, f64::max),
            last_size_bytes: last.state_size,
        })
    }
}

impl RunReport {
    pub fn events_per_second(&self) -> f64 {
        if self.seconds > 0.0 { self.events as f64 / self.seconds } else { 0.0 }
    }

    /// Events per CPU second: the throughput per core the run kept busy.
    pub fn events_per_cpu_second(&self) -> f64 {
        if self.cpu_seconds > 0.0 { self.events as f64 / self.cpu_seconds } else { 0.0 }
    }
}

impl fmt::Display for RunReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "RESULT workload={} parallelism={} events={} seconds={:.3} events_per_s={:.0} cpu_s={:.3} peak_rss_mb={:.1}",
            self.workload,
            self.parallelism,
            self.events,
            self.seconds,
            self.events_per_second(),
            self.cpu_seconds,
            self.peak_rss_mb
        )?;
        if let Some(c) = &self.checkpoints {
            write!(
                f,
                " checkpoints={} ckpt_p50_ms={} ckpt_max_ms={} sync_pause_max_ms={:.1} ckpt_size_bytes={}",
                c.completed, c.p50_ms, c.max_ms, c.sync_pause_max_ms, c.last_size_bytes
            )?;
        }
        if let Some(q) = &self.query {
            write!(f, " events_per_cpu_s={:.0} outputs={}", self.events_per_cpu_second(), q.outputs)?;
            if let Some(rate) = q.rate {
                write!(f, " rate={rate}")?;
            }
            if let Some(l) = &q.latency {
                write!(
                    f,
                    " latency_samples={} latency_early={} latency_p50_ms={:.1} latency_p99_ms={:.1} latency_max_ms={:.1}",
                    l.samples, l.early, l.p50_ms, l.p99_ms, l.max_ms
                )?;
            }
        }
        if let Some(i) = &self.incremental {
            write!(
                f,
                " full_bytes={} incremental_bytes={} incremental_ms={} incremental_checkpoints={}",
                i.full_bytes, i.incremental_bytes, i.incremental_ms, i.incremental_checkpoints
            )?;
        }
        if let Some(r) = &self.restore {
            write!(
                f,
                " savepoint_ms={} restore_ms={} state_bytes={}",
                r.savepoint.as_millis(),
                r.restore.as_millis(),
                r.state_bytes
            )?;
        }
        Ok(())
    }
}

/// Where a savepoint's time went, as its job's checkpoint statistics tell: the `SAVEPOINT_PHASES`
/// line of the `restore` workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SavepointPhases {
    /// From the coordinator's trigger to its completion (the client's `savepoint_ms` adds the
    /// request's trip to the job manager and the status's way back).
    pub coordinator: Duration,
    /// The longest wait of a subtask for its barriers to align.
    pub alignment: Duration,
    /// The longest synchronous part of a subtask's snapshot (processing paused).
    pub sync: Duration,
    /// The longest asynchronous part: serializing and writing the state files, fsync included.
    pub asynchronous: Duration,
}

impl fmt::Display for SavepointPhases {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        write!(
            f,
            "SAVEPOINT_PHASES workload=restore coordinator_ms={:.1} max_alignment_ms={:.1} max_sync_ms={:.1} max_async_ms={:.1}",
            ms(self.coordinator),
            ms(self.alignment),
            ms(self.sync),
            ms(self.asynchronous)
        )
    }
}

/// The RSS samples of one run, oldest first, in MiB.
#[derive(Debug, Clone, PartialEq)]
pub struct RssReport {
    pub workload: &'static str,
    pub samples_mb: Vec<f64>,
}

impl fmt::Display for RssReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RSS_SAMPLES workload={} mb=", self.workload)?;
        for (i, sample) in self.samples_mb.iter().enumerate() {
            if i > 0 {
                f.write_str(",")?;
            }
            write!(f, "{sample:.1}")?;
        }
        match rss_growth_mb(&self.samples_mb) {
            Some(growth) => write!(f, " rss_growth_mb={growth:.1}"),
            None => f.write_str(" rss_growth_mb=unknown"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_line_has_the_documented_fields_in_order() {
        let report = RunReport {
            workload: "stateless",
            parallelism: 2,
            events: 1_000_000,
            seconds: 0.5,
            cpu_seconds: 0.98765,
            peak_rss_mb: 12.34,
            checkpoints: None,
            restore: None,
            incremental: None,
            query: None,
        };
        assert_eq!(
            report.to_string(),
            "RESULT workload=stateless parallelism=2 events=1000000 seconds=0.500 events_per_s=2000000 cpu_s=0.988 peak_rss_mb=12.3"
        );
        let with_checkpoints = RunReport {
            checkpoints: Some(CheckpointFigures {
                completed: 3,
                p50_ms: 12,
                max_ms: 40,
                sync_pause_max_ms: 1.25,
                last_size_bytes: 4096,
            }),
            ..report
        };
        assert!(with_checkpoints.to_string().ends_with(
            "peak_rss_mb=12.3 checkpoints=3 ckpt_p50_ms=12 ckpt_max_ms=40 sync_pause_max_ms=1.2 ckpt_size_bytes=4096"
        ));
        let with_restore = RunReport {
            workload: "restore",
            incremental: None,
            restore: Some(RestoreFigures {
                savepoint: Duration::from_micros(312_900),
                restore: Duration::from_millis(640),
                state_bytes: 40_123_456,
            }),
            ..report
        };
        assert!(
            with_restore.to_string().ends_with("peak_rss_mb=12.3 savepoint_ms=312 restore_ms=640 state_bytes=40123456"),
            "{with_restore}"
        );
        let nexmark = RunReport {
            workload: "nexmark-q0",
            parallelism: 2,
            events: 1_000_000,
            seconds: 0.5,
            cpu_seconds: 0.98765,
            peak_rss_mb: 12.34,
            checkpoints: None,
            restore: None,
            incremental: None,
            query: Some(QueryFigures { outputs: 920_000, rate: None, latency: None }),
        };
        assert!(nexmark.to_string().ends_with("peak_rss_mb=12.3 events_per_cpu_s=1012504 outputs=920000"), "{nexmark}");
        let with_latency = RunReport {
            query: Some(QueryFigures {
                outputs: 920_000,
                rate: Some(500_000),
                latency: Some(LatencySummary {
                    samples: 919_000,
                    early: 1_000,
                    p50_ms: 1.25,
                    p99_ms: 4.5,
                    max_ms: 30.0,
                }),
            }),
            ..nexmark
        };
        assert!(
            with_latency.to_string().ends_with(
                "outputs=920000 rate=500000 latency_samples=919000 latency_early=1000 latency_p50_ms=1.2 \
                 latency_p99_ms=4.5 latency_max_ms=30.0"
            ),
            "{with_latency}"
        );
    }

    #[test]
    fn savepoint_phases_line_has_every_phase_in_ms() {
        let phases = SavepointPhases {
            coordinator: Duration::from_micros(180_250),
            alignment: Duration::from_micros(3_040),
            sync: Duration::from_micros(120),
            asynchronous: Duration::from_micros(150_000),
        };
        assert_eq!(
            phases.to_string(),
            "SAVEPOINT_PHASES workload=restore coordinator_ms=180.2 max_alignment_ms=3.0 max_sync_ms=0.1 max_async_ms=150.0"
        );
    }

    #[test]
    fn rss_line_lists_the_samples_and_the_growth() {
        let report = RssReport { workload: "slow-sink", samples_mb: vec![10.0, 10.04, 10.5, 10.25] };
        assert_eq!(report.to_string(), "RSS_SAMPLES workload=slow-sink mb=10.0,10.0,10.5,10.2 rss_growth_mb=0.2");
        let empty = RssReport { workload: "slow-sink", samples_mb: vec![] };
        assert_eq!(empty.to_string(), "RSS_SAMPLES workload=slow-sink mb= rss_growth_mb=unknown");
    }
}
