//! [`JobCheckpoints`]: the checkpoint machinery of one checkpointed job on the job manager — the
//! coordinator's driver and the snapshot thread — from the job's start to its end, across
//! restarts.
//!
//! At the end of the job it carries out the retention policy for the way the job ended
//! (finished, cancelled, failed): the coordinator aborts what is in flight and names the retained
//! checkpoints to delete, and once the snapshot thread has stopped (nothing can write into the
//! job's directory any more) the `<dir>/<job-id>` directory goes too if nothing is left in it.
//! Savepoints live elsewhere and are never touched.
//!
//! It is **not** the protocol (weir-checkpoint's coordinator decides) nor the storage
//! (weir-state's `FsCheckpointStorage` writes and deletes); its own I/O is the snapshot thread.

use super::job_client::JobControl;
use super::mini_cluster::ClusterSettings;
use crate::checkpointing::job_side::{CheckpointDriver, CheckpointSummary};
use crate::checkpointing::messages::JobMessage;
use crate::checkpointing::restore::RestorePlan;
use crate::checkpointing::snapshot_thread::{self, Locations, SnapshotJob};
use crate::error::JobError;
use crate::graph::job_graph::JobGraph;
use crossbeam_channel::{Sender, unbounded};
use std::sync::Arc;
use weir_checkpoint::{
    CheckpointConfig, CheckpointCoordinator, CheckpointPlan, JobTermination, RetentionPolicy, VertexId, VertexPlan,
};
use weir_core::JobId;
use weir_state::storage::{FsCheckpointStorage, JobDirRemoval, find_latest_restorable};

/// The checkpoint machinery of a checkpointed job: the coordinator's driver and the snapshot
/// thread.
pub(crate) struct JobCheckpoints {
    pub(crate) driver: CheckpointDriver,
    pub(crate) snapshots: Sender<SnapshotJob>,
    thread: std::thread::JoinHandle<()>,
    retention: RetentionPolicy,
}

impl JobCheckpoints {
    pub(crate) fn start(
        job: &JobGraph,
        job_id: JobId,
        job_name: &str,
        config: CheckpointConfig,
        settings: &ClusterSettings,
        reports: Sender<JobMessage>,
        control: &JobControl,
    ) -> Result<Self, JobError> {
        let dir = match &config.checkpoints_dir {
            Some(dir) => std::path::PathBuf::from(dir),
            None => {
                let dir = std::env::temp_dir().join("weir-checkpoints");
                tracing::info!("state.checkpoints.dir is not set: checkpoints of '{job_name}' go to {}", dir.display());
                dir
            }
        };
        let plan = CheckpointPlan {
            job_id,
            max_parallelism: job.max_parallelism as u32,
            vertices: job
                .vertices
                .iter()
                .enumerate()
                .map(|(v, vertex)| VertexPlan {
                    id: VertexId(v as u32),
                    parallelism: vertex.parallelism as u32,
                    operators: vertex.nodes.iter().map(|&n| job.uid_of(n)).collect(),
                })
                .collect(),
        };
        let retention = config.retention;
        let coordinator = CheckpointCoordinator::new(config, plan, Arc::clone(&settings.clock))?;
        let storage = Arc::new(FsCheckpointStorage::new(dir, job_id));
        let locations = Locations::default();
        let (snapshots, jobs) = unbounded::<SnapshotJob>();
        let thread = {
            let (locations, faults) = (locations.clone(), settings.faults.clone());
            std::thread::Builder::new()
                .name("snapshots".into())
                .spawn(move || snapshot_thread::run(jobs, locations, reports, faults))
                .map_err(|e| JobError::Startup {
                    job_name: job_name.into(),
                    operator: "checkpoints".into(),
                    cause: weir_core::Error::io("cannot start the snapshot thread", e),
                })?
        };
        let clients = (control.overview.clone(), Arc::clone(&control.savepoints));
        let driver = CheckpointDriver::new(coordinator, storage, locations, settings.faults.clone(), clients);
        Ok(JobCheckpoints { driver, snapshots, thread, retention })
    }

    /// What to restore after a failure: the newest checkpoint on disk that loads and verifies;
    /// newer damaged ones are skipped with a warning naming them.
    pub(crate) fn latest_restore_plan(&self, job: &JobGraph) -> Result<Option<RestorePlan>, JobError> {
        let job_dir = self.driver.storage().job_dir();
        let (latest, skipped) = find_latest_restorable(&job_dir).map_err(|e| JobError::Restore(e.to_string()))?;
        for skipped in &skipped {
            tracing::warn!("not restoring from {skipped}");
        }
        match latest {
            None => Ok(None),
            Some(snapshot) => RestorePlan::announce_and_build(&snapshot, job, false)
                .map(Some)
                .map_err(|e| JobError::Restore(e.to_string())),
        }
    }

    /// The job ended this way (every subtask has stopped): aborts checkpoints in flight, keeps
    /// or deletes the retained ones as the retention policy says, stops the snapshot thread and,
    /// when the checkpoints were deleted, removes the job's directory. Returns the checkpoint
    /// history.
    pub(crate) fn end(mut self, termination: JobTermination) -> Vec<CheckpointSummary> {
        self.driver.shutdown(termination);
        let history = self.driver.history();
        let storage = Arc::clone(self.driver.storage());
        let discarded = self.retention.discards_on(termination);
        drop(self.snapshots);
        drop(self.driver);
        // The thread ends when its channel closes (the subtasks' senders went with them); a
        // panic in it was already a failed snapshot.
        let _ = self.thread.join();
        if discarded {
            match storage.remove_job_dir_if_empty() {
                Ok(JobDirRemoval::Removed | JobDirRemoval::Missing) => {}
                Ok(JobDirRemoval::Kept { reason }) => {
                    tracing::warn!(
                        "{} is kept after the job ended: it still holds {reason}",
                        storage.job_dir().display()
                    );
                }
                Err(error) => tracing::warn!("cannot delete {}: {error}", storage.job_dir().display()),
            }
        } else {
            tracing::info!(
                "the checkpoints of job {} are kept in {} ({}, the job {})",
                storage.job_id(),
                storage.job_dir().display(),
                self.retention,
                termination_text(termination)
            );
        }
        history
    }
}

fn termination_text(termination: JobTermination) -> &'static str {
    match termination {
        JobTermination::Finished => "finished",
        JobTermination::Cancelled => "was cancelled",
        JobTermination::Failed => "failed",
        JobTermination::Suspended => "was suspended",
    }
}
