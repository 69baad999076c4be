//! The lines a run prints: `RESULT ...` for every workload (with checkpoint fields when the job
//! had checkpointing on, savepoint and restore fields for `restore`, restart and catch-up fields
//! for `recovery`, and per-core throughput, outputs and, with `--rate`, latency for the Nexmark
//! queries), `RSS_SAMPLES ...` for those that sample memory, `SAVEPOINT_PHASES ...` for
//! `restore`, `RECOVERY_PHASES ...` for `recovery`. One line each, `key=value` fields separated
//! by spaces, so that scripts can `grep` and split them; the field names and their order are a
//! stable interface (new fields are added, never renamed).
//!
//! Pure formatting: the caller prints.

use crate::measure::rss_growth_mb;
use crate::nexmark::latency::LatencySummary;
use std::fmt;
use std::time::Duration;
use weir_runtime::CheckpointingMode;

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
    /// Restart and catch-up figures (the `recovery` workload).
    pub recovery: Option<RecoveryFigures>,
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

/// How fast a job killed with SIGKILL got going again from its latest checkpoint in a new
/// process: the `RESULT` line's `restart_to_first_record_ms`, `time_to_caught_up_ms`, `keys`,
/// `state_bytes` and `replayed_records` (definitions in `workloads/recovery.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryFigures {
    /// From the moment the killed process was known dead to the new process's first record
    /// processed.
    pub restart_to_first_record: Duration,
    /// From the same moment to the new process having processed the newest record the killed
    /// one reported.
    pub caught_up: Duration,
    pub keys: u64,
    /// Bytes of state in the checkpoint restored.
    pub state_bytes: u64,
    /// Records processed a second time: from the checkpoint's source position to the newest
    /// record the killed process reported.
    pub replayed_records: u64,
}

/// Where a recovery's time went: the `RECOVERY_PHASES` line of the `recovery` workload. Every
/// time is in milliseconds from the moment the killed process was known dead, unless named
/// otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryPhases {
    pub checkpoint_interval: Duration,
    /// The checkpoint restored.
    pub checkpoint_id: u64,
    /// From the restored checkpoint's completion (as the killed process reported it) to the
    /// kill; `None` if the process had not reported it.
    pub checkpoint_age: Option<Duration>,
    /// From `kill` to the process reaped.
    pub kill_to_dead: Duration,
    /// Finding and verifying the latest checkpoint.
    pub find_checkpoint: Duration,
    /// Up to the new process's job submitted (process start, configuration, job graph).
    pub job_submitted: Duration,
    /// The newest record the killed process reported processed.
    pub killed_at_index: u64,
    /// The new process's first record: the checkpoint's source position.
    pub restored_from_index: u64,
}

impl fmt::Display for RecoveryPhases {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        write!(
            f,
            "RECOVERY_PHASES workload=recovery checkpoint_interval_ms={} checkpoint_id={} checkpoint_age_ms=",
            self.checkpoint_interval.as_millis(),
            self.checkpoint_id
        )?;
        match self.checkpoint_age {
            Some(age) => write!(f, "{:.1}", ms(age))?,
            None => f.write_str("unknown")?,
        }
        write!(
            f,
            " kill_to_dead_ms={:.1} find_checkpoint_ms={:.1} job_submitted_ms={:.1} killed_at_index={} \
             restored_from_index={}",
            ms(self.kill_to_dead),
            ms(self.find_checkpoint),
            ms(self.job_submitted),
            self.killed_at_index,
            self.restored_from_index
        )
    }
}

/// What incremental checkpoints upload: the `RESULT` line's `full_bytes` (the state size of the
/// first checkpoint after the load: every file it references, what a full upload writes),
/// `incremental_bytes` (the median of what each later checkpoint newly uploaded) and
/// `incremental_ms` (their median trigger-to-completion time), then `restore_ms` (a new job
/// restored from the last of them, submission to its first record processed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncrementalFigures {
    pub full_bytes: u64,
    pub incremental_bytes: u64,
    pub incremental_ms: u64,
    /// How many later checkpoints the medians are over.
    pub incremental_checkpoints: usize,
    pub restore_ms: u64,
}

/// What the job's checkpoints cost: the `RESULT` line's checkpoint fields, printed whenever the
/// job had checkpointing on.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckpointFigures {
    /// How the job was configured to checkpoint.
    pub interval: Duration,
    pub mode: CheckpointingMode,
    pub completed: usize,
    /// Checkpoints that were aborted (expired, declined, failed).
    pub failed: usize,
    /// Median trigger-to-completion time of the completed checkpoints.
    pub p50_ms: u64,
    pub max_ms: u64,
    /// The longest synchronous pause of any subtask in any completed checkpoint.
    pub sync_pause_max_ms: f64,
    /// Bytes of state of the last completed checkpoint (for a bounded job: the final one, taken
    /// after the input ended, when windows have fired).
    pub last_size_bytes: u64,
    /// Bytes of state of the largest completed checkpoint.
    pub max_size_bytes: u64,
    /// Per checkpoint, the longest time a subtask waited from the first barrier to the last on
    /// its inputs (zero for subtasks with one input channel); the median over the completed
    /// checkpoints and the largest.
    pub alignment_p50_ms: f64,
    pub alignment_max_ms: f64,
    /// The longest asynchronous part (serializing and writing state) of any subtask.
    pub async_max_ms: f64,
}

impl CheckpointFigures {
    /// The figures of `history`'s checkpoints, for a job configured with `interval` and `mode`;
    /// with no completed checkpoint, the counts and the configuration only (zeros elsewhere).
    pub fn from_history(
        interval: Duration,
        mode: CheckpointingMode,
        history: &[weir_runtime::CheckpointSummary],
    ) -> Self {
        let checkpoints: Vec<_> = history.iter().filter(|c| !c.is_savepoint).collect();
        let completed: Vec<_> = checkpoints.iter().filter(|c| c.completed).collect();
        let failed = checkpoints.iter().filter(|c| !c.completed && c.failure.is_some()).count();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let durations: Vec<u64> = completed.iter().map(|c| c.duration.map_or(0, |d| d.as_millis() as u64)).collect();
        let alignments: Vec<f64> = completed.iter().map(|c| ms(c.max_alignment)).collect();
        let max_f64 = |values: &mut dyn Iterator<Item = f64>| values.fold(0.0, f64::max);
        CheckpointFigures {
            interval,
            mode,
            completed: completed.len(),
            failed,
            p50_ms: median_u64(&durations).unwrap_or(0),
            max_ms: durations.iter().copied().max().unwrap_or(0),
            sync_pause_max_ms: max_f64(&mut completed.iter().map(|c| ms(c.max_sync))),
            last_size_bytes: completed.last().map_or(0, |c| c.state_size),
            max_size_bytes: completed.iter().map(|c| c.state_size).max().unwrap_or(0),
            alignment_p50_ms: median_f64(&alignments).unwrap_or(0.0),
            alignment_max_ms: max_f64(&mut alignments.iter().copied()),
            async_max_ms: max_f64(&mut completed.iter().map(|c| ms(c.max_async))),
        }
    }
}

/// The median of `values` (the upper one of an even count, as the `RESULT` line always had it).
fn median_u64(values: &[u64]) -> Option<u64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted.get(sorted.len() / 2).copied()
}

/// The median of `values` (the upper one of an even count).
fn median_f64(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied()
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
                " checkpoints={} ckpt_p50_ms={} ckpt_max_ms={} sync_pause_max_ms={:.1} ckpt_size_bytes={} \
                 ckpt_failed={} ckpt_size_max_bytes={} align_p50_ms={:.1} align_max_ms={:.1} async_max_ms={:.1} \
                 ckpt_interval_ms={} ckpt_mode={}",
                c.completed,
                c.p50_ms,
                c.max_ms,
                c.sync_pause_max_ms,
                c.last_size_bytes,
                c.failed,
                c.max_size_bytes,
                c.alignment_p50_ms,
                c.alignment_max_ms,
                c.async_max_ms,
                c.interval.as_millis(),
                c.mode
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
                " full_bytes={} incremental_bytes={} incremental_ms={} incremental_checkpoints={} restore_ms={}",
                i.full_bytes, i.incremental_bytes, i.incremental_ms, i.incremental_checkpoints, i.restore_ms
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
        if let Some(r) = &self.recovery {
            write!(
                f,
                " restart_to_first_record_ms={} time_to_caught_up_ms={} keys={} state_bytes={} replayed_records={}",
                r.restart_to_first_record.as_millis(),
                r.caught_up.as_millis(),
                r.keys,
                r.state_bytes,
                r.replayed_records
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
    use weir_runtime::CheckpointSummary;

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
            recovery: None,
            incremental: None,
            query: None,
        };
        assert_eq!(
            report.to_string(),
            "RESULT workload=stateless parallelism=2 events=1000000 seconds=0.500 events_per_s=2000000 cpu_s=0.988 peak_rss_mb=12.3"
        );
        let with_checkpoints = RunReport {
            checkpoints: Some(CheckpointFigures {
                interval: Duration::from_secs(1),
                mode: CheckpointingMode::AtLeastOnce,
                completed: 3,
                failed: 1,
                p50_ms: 12,
                max_ms: 40,
                sync_pause_max_ms: 1.25,
                last_size_bytes: 4096,
                max_size_bytes: 8192,
                alignment_p50_ms: 0.5,
                alignment_max_ms: 2.25,
                async_max_ms: 30.0,
            }),
            ..report
        };
        assert!(
            with_checkpoints.to_string().ends_with(
                "peak_rss_mb=12.3 checkpoints=3 ckpt_p50_ms=12 ckpt_max_ms=40 sync_pause_max_ms=1.2 ckpt_size_bytes=4096 \
                 ckpt_failed=1 ckpt_size_max_bytes=8192 align_p50_ms=0.5 align_max_ms=2.2 async_max_ms=30.0 \
                 ckpt_interval_ms=1000 ckpt_mode=AT_LEAST_ONCE"
            ),
            "{with_checkpoints}"
        );
        let with_restore = RunReport {
            workload: "restore",
            incremental: None,
            restore: Some(RestoreFigures {
                savepoint: Duration::from_micros(312_900),
                restore: Duration::from_millis(640),
                state_bytes: 40_123_456,
            }),
            ..report.clone()
        };
        assert!(
            with_restore.to_string().ends_with("peak_rss_mb=12.3 savepoint_ms=312 restore_ms=640 state_bytes=40123456"),
            "{with_restore}"
        );
        let recovery = RunReport {
            workload: "recovery",
            recovery: Some(RecoveryFigures {
                restart_to_first_record: Duration::from_micros(95_900),
                caught_up: Duration::from_millis(1_250),
                keys: 1_000_000,
                state_bytes: 5_900_000,
                replayed_records: 2_000_000,
            }),
            ..report
        };
        assert!(
            recovery.to_string().ends_with(
                "peak_rss_mb=12.3 restart_to_first_record_ms=95 time_to_caught_up_ms=1250 keys=1000000 \
                 state_bytes=5900000 replayed_records=2000000"
            ),
            "{recovery}"
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
            recovery: None,
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

    fn summary(id: u64, completed: bool, duration_ms: u64, size: u64, alignment_ms: u64) -> CheckpointSummary {
        CheckpointSummary {
            id,
            is_savepoint: false,
            completed,
            failure: (!completed).then(|| "expired".to_string()),
            duration: Some(Duration::from_millis(duration_ms)),
            state_size: size,
            max_sync: Duration::from_micros(id * 100),
            max_async: Duration::from_millis(duration_ms / 2),
            max_alignment: Duration::from_millis(alignment_ms),
            trigger_timestamp: 0,
            path: format!("/ckpt/chk-{id}").into(),
        }
    }

    #[test]
    fn checkpoint_figures_summarize_the_completed_checkpoints() {
        let history = [
            summary(1, true, 30, 1_000, 4),
            summary(2, false, 600_000, 0, 0),
            summary(3, true, 10, 5_000, 1),
            summary(4, true, 20, 24, 2),
            CheckpointSummary { is_savepoint: true, ..summary(5, true, 900, 99_999, 90) },
        ];
        let figures =
            CheckpointFigures::from_history(Duration::from_secs(10), CheckpointingMode::ExactlyOnce, &history);
        assert_eq!(
            figures,
            CheckpointFigures {
                interval: Duration::from_secs(10),
                mode: CheckpointingMode::ExactlyOnce,
                completed: 3,
                failed: 1,
                p50_ms: 20,
                max_ms: 30,
                sync_pause_max_ms: 0.4,
                last_size_bytes: 24,
                max_size_bytes: 5_000,
                alignment_p50_ms: 2.0,
                alignment_max_ms: 4.0,
                async_max_ms: 15.0,
            }
        );
        let none = CheckpointFigures::from_history(Duration::from_secs(1), CheckpointingMode::AtLeastOnce, &[]);
        assert_eq!((none.completed, none.failed, none.p50_ms, none.max_size_bytes), (0, 0, 0, 0));
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
    fn recovery_phases_line_has_every_part() {
        let phases = RecoveryPhases {
            checkpoint_interval: Duration::from_secs(1),
            checkpoint_id: 7,
            checkpoint_age: Some(Duration::from_micros(512_340)),
            kill_to_dead: Duration::from_micros(2_500),
            find_checkpoint: Duration::from_micros(12_000),
            job_submitted: Duration::from_micros(40_060),
            killed_at_index: 9_999,
            restored_from_index: 8_000,
        };
        assert_eq!(
            phases.to_string(),
            "RECOVERY_PHASES workload=recovery checkpoint_interval_ms=1000 checkpoint_id=7 checkpoint_age_ms=512.3 \
             kill_to_dead_ms=2.5 find_checkpoint_ms=12.0 job_submitted_ms=40.1 killed_at_index=9999 \
             restored_from_index=8000"
        );
        let unknown = RecoveryPhases { checkpoint_age: None, ..phases };
        assert!(unknown.to_string().contains("checkpoint_age_ms=unknown kill_to_dead_ms=2.5"), "{unknown}");
    }

    #[test]
    fn rss_line_lists_the_samples_and_the_growth() {
        let report = RssReport { workload: "slow-sink", samples_mb: vec![10.0, 10.04, 10.5, 10.25] };
        assert_eq!(report.to_string(), "RSS_SAMPLES workload=slow-sink mb=10.0,10.0,10.5,10.2 rss_growth_mb=0.2");
        let empty = RssReport { workload: "slow-sink", samples_mb: vec![] };
        assert_eq!(empty.to_string(), "RSS_SAMPLES workload=slow-sink mb= rss_growth_mb=unknown");
    }
}
