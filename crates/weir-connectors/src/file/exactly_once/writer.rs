//! [`ExactlyOnceFileWriter`]: one subtask's writer, which appends to a hidden in-progress part
//! file, stages it on every checkpoint barrier and commits the staged files when the checkpoint
//! completes.
//!
//! A part file is opened lazily, at the first bytes after a barrier (or at the start), so a
//! checkpoint with nothing written stages nothing. All its I/O happens inside the
//! [`SinkWriter`] calls, on the subtask's thread; after a failed write, fsync or rename the
//! writer refuses any further call, since what is on disk is no longer known (the job restarts
//! and recovery sorts the files out).

use super::commit::{self, exists};
use super::naming::{PartFile, Stage};
use super::state::{PendingCheckpoint, WriterState};
use crate::file::sink::Encoder;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use weir_core::record::Batch;
use weir_core::sink::SinkWriter;
use weir_core::snapshot::CheckpointInfo;
use weir_core::{Error, Result};

/// Encoded bytes are written to the in-progress file once this many have been buffered.
const WRITE_BUFFER_BYTES: usize = 64 * 1024;

/// The writer of one subtask.
pub struct ExactlyOnceFileWriter<T> {
    dir: PathBuf,
    subtask: u32,
    /// Whether the job takes checkpoints: if not, [`SinkWriter::finish`] commits.
    checkpointing: bool,
    encoder: Encoder<T>,
    /// Encoded bytes not yet written to the in-progress file.
    buffer: Vec<u8>,
    /// The open in-progress part file, if any bytes went out since the last barrier.
    in_progress: Option<InProgressPart>,
    /// The sequence number of the next part file.
    next_seq: u64,
    /// Staged parts not yet committed, oldest checkpoint first.
    pending: Vec<PendingCheckpoint>,
    /// Set when an I/O step failed: the files' state is unknown, so nothing more is done.
    failure: Option<String>,
}

struct InProgressPart {
    part: PartFile,
    file: File,
}

impl<T> ExactlyOnceFileWriter<T> {
    /// A writer for `subtask` whose first part file takes `next_seq` (recovery has run).
    pub(super) fn new(dir: PathBuf, subtask: u32, checkpointing: bool, encoder: Encoder<T>, next_seq: u64) -> Self {
        ExactlyOnceFileWriter {
            dir,
            subtask,
            checkpointing,
            encoder,
            buffer: Vec::with_capacity(WRITE_BUFFER_BYTES),
            in_progress: None,
            next_seq,
            pending: Vec::new(),
            failure: None,
        }
    }

    /// The state [`SinkWriter::snapshot_state`] returns.
    fn state(&self) -> WriterState {
        WriterState { subtask: self.subtask, next_seq: self.next_seq, pending: self.pending.clone() }
    }

    fn check_usable(&self) -> Result<()> {
        match &self.failure {
            None => Ok(()),
            Some(failure) => Err(Error::Connector {
                connector: "file",
                message: format!(
                    "exactly-once sink on '{}' (subtask {}) failed earlier ({failure}); refusing further calls",
                    self.dir.display(),
                    self.subtask
                ),
            }),
        }
    }

    /// Runs a step that touches the files; a failure poisons the writer.
    fn io_step<R>(&mut self, step: impl FnOnce(&mut Self) -> Result<R>) -> Result<R> {
        self.check_usable()?;
        step(self).inspect_err(|e| self.failure = Some(e.to_string()))
    }

    /// Opens the next in-progress part file, refusing to reuse the name of a committed one.
    fn open_part(&mut self) -> Result<()> {
        if self.in_progress.is_none() {
            let part = PartFile::new(self.subtask, self.next_seq);
            let committed = part.path(&self.dir, Stage::Committed);
            if exists(&committed)? {
                return Err(Error::Connector {
                    connector: "file",
                    message: format!(
                        "'{}' exists already; is another job writing to '{}'? Not overwriting it",
                        committed.display(),
                        self.dir.display()
                    ),
                });
            }
            let path = part.path(&self.dir, Stage::InProgress);
            let file = OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .map_err(|e| Error::io(format!("file: cannot create '{}'", path.display()), e))?;
            self.next_seq += 1;
            tracing::trace!(path = %path.display(), "exactly-once file sink opened a part file");
            self.in_progress = Some(InProgressPart { part, file });
        }
        Ok(())
    }

    /// Writes the buffered bytes to the in-progress file, opening it if needed.
    fn write_buffer(&mut self) -> Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        self.open_part()?;
        if let Some(in_progress) = &mut self.in_progress {
            in_progress.file.write_all(&self.buffer).map_err(|e| {
                let path = in_progress.part.path(&self.dir, Stage::InProgress);
                Error::io(format!("file: cannot write '{}'", path.display()), e)
            })?;
        }
        self.buffer.clear();
        Ok(())
    }

    /// Writes what is buffered and fsyncs the in-progress file, which stays open and in progress.
    fn flush(&mut self) -> Result<()> {
        self.write_buffer()?;
        if let Some(in_progress) = &self.in_progress {
            in_progress.file.sync_all().map_err(|e| {
                let path = in_progress.part.path(&self.dir, Stage::InProgress);
                Error::io(format!("file: cannot fsync '{}'", path.display()), e)
            })?;
        }
        Ok(())
    }

    /// Flushes and closes the in-progress file and renames it to `stage`; returns its part, or
    /// `None` when nothing was written since the last barrier. Does not fsync the directory.
    fn close_part_as(&mut self, stage: Stage) -> Result<Option<PartFile>> {
        self.flush()?;
        let Some(InProgressPart { part, file }) = self.in_progress.take() else {
            return Ok(None);
        };
        drop(file);
        let from = part.path(&self.dir, Stage::InProgress);
        let to = part.path(&self.dir, stage);
        if stage == Stage::Committed && exists(&to)? {
            return Err(Error::Connector {
                connector: "file",
                message: format!(
                    "cannot commit '{}': '{}' exists already and is not overwritten",
                    from.display(),
                    to.display()
                ),
            });
        }
        fs::rename(&from, &to)
            .map_err(|e| Error::io(format!("file: cannot rename '{}' to '{}'", from.display(), to.display()), e))?;
        Ok(Some(part))
    }

    /// Commits the staged parts of every checkpoint up to `id` and fsyncs the directory.
    fn commit_up_to(&mut self, id: u64) -> Result<()> {
        let due = self.pending.iter().take_while(|p| p.checkpoint_id <= id).count();
        if due == 0 {
            return Ok(());
        }
        for part in self.pending[..due].iter().flat_map(|p| &p.parts) {
            commit::commit_part(&self.dir, *part)?;
        }
        commit::sync_dir(&self.dir)?;
        let committed: Vec<_> = self.pending.drain(..due).collect();
        tracing::debug!(
            dir = %self.dir.display(),
            subtask = self.subtask,
            checkpoint = id,
            parts = committed.iter().map(|p| p.parts.len()).sum::<usize>(),
            "exactly-once file sink committed"
        );
        Ok(())
    }
}

impl<T: 'static> SinkWriter<T> for ExactlyOnceFileWriter<T> {
    fn write_batch(&mut self, batch: Batch<T>) -> Result<()> {
        self.check_usable()?;
        for record in &batch {
            (self.encoder)(&record.value, &mut self.buffer);
            if self.buffer.len() >= WRITE_BUFFER_BYTES {
                self.io_step(Self::write_buffer)?;
            }
        }
        Ok(())
    }

    /// Without checkpoints, commits everything now: the in-progress file becomes visible. With
    /// them, only flushes: the job's final checkpoint stages and commits it.
    fn finish(&mut self) -> Result<()> {
        if self.checkpointing {
            return self.io_step(Self::flush);
        }
        self.io_step(|w| {
            w.commit_up_to(u64::MAX)?;
            if let Some(part) = w.close_part_as(Stage::Committed)? {
                commit::sync_dir(&w.dir)?;
                tracing::debug!(
                    part = part.file_name(Stage::Committed),
                    "exactly-once file sink committed at end of input"
                );
            }
            Ok(())
        })
    }

    /// Stages the in-progress file as pending for `checkpoint` and returns the writer state.
    fn snapshot_state(&mut self, checkpoint: &CheckpointInfo) -> Result<Option<Vec<u8>>> {
        self.io_step(|w| {
            if let Some(part) = w.close_part_as(Stage::Pending)? {
                commit::sync_dir(&w.dir)?;
                match w.pending.last_mut() {
                    Some(last) if last.checkpoint_id == checkpoint.id => last.parts.push(part),
                    _ => w.pending.push(PendingCheckpoint { checkpoint_id: checkpoint.id, parts: vec![part] }),
                }
            }
            Ok(Some(w.state().encode()?))
        })
    }

    fn notify_checkpoint_complete(&mut self, id: u64) -> Result<()> {
        self.io_step(|w| w.commit_up_to(id))
    }
}
