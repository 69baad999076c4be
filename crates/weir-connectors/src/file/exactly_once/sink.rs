//! [`ExactlyOnceFileSink`]: the description a job holds; recovers the directory and creates one
//! [`ExactlyOnceFileWriter`] per subtask.

use super::recovery::{self, Restore};
use super::writer::ExactlyOnceFileWriter;
use crate::file::sink::Encoder;
use std::fmt::{self, Display};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use weir_core::operator::OperatorContext;
use weir_core::sink::{Sink, SinkWriter};
use weir_core::{Error, Result};

/// A two-phase-commit sink writing `<dir>/part-<subtask>-<seq>` files that become visible when
/// the checkpoint covering their records completes (see the [module docs](super)).
///
/// Also built from a [`crate::file::FileSink`] with [`crate::file::FileSink::exactly_once`].
pub struct ExactlyOnceFileSink<T> {
    dir: PathBuf,
    encoder: Encoder<T>,
}

impl<T: Display> ExactlyOnceFileSink<T> {
    /// Writes every record as one line: its `Display` form followed by `\n`.
    pub fn lines(dir: impl Into<PathBuf>) -> Self {
        ExactlyOnceFileSink::new(dir, |value: &T, buf: &mut Vec<u8>| {
            // As FileSink::lines: writing into a Vec cannot fail; only a broken Display impl could.
            let _ = writeln!(buf, "{value}");
        })
    }
}

impl<T> ExactlyOnceFileSink<T> {
    /// Writes every record as `encoder` encodes it (the encoder appends bytes to the buffer it is
    /// given, including any separator).
    pub fn new(dir: impl Into<PathBuf>, encoder: impl Fn(&T, &mut Vec<u8>) + Send + Sync + 'static) -> Self {
        ExactlyOnceFileSink { dir: dir.into(), encoder: Arc::new(encoder) }
    }

    /// The sink of [`crate::file::FileSink::exactly_once`].
    pub(in crate::file) fn with_encoder(dir: PathBuf, encoder: Encoder<T>) -> Self {
        ExactlyOnceFileSink { dir, encoder }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl<T> fmt::Debug for ExactlyOnceFileSink<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExactlyOnceFileSink").field("dir", &self.dir).finish_non_exhaustive()
    }
}

impl<T: 'static> Sink<T> for ExactlyOnceFileSink<T> {
    fn name(&self) -> &str {
        "ExactlyOnceFileSink"
    }

    /// Creates the directory, then recovers the subtask's files: commits what the restored
    /// checkpoint staged, deletes what was written after it.
    fn create_writer(&self, ctx: &OperatorContext) -> Result<Box<dyn SinkWriter<T>>> {
        fs::create_dir_all(&self.dir)
            .map_err(|e| Error::io(format!("file: cannot create directory '{}'", self.dir.display()), e))?;
        let subtask = subtask_number(ctx.subtask.0)?;
        let parallelism = subtask_number(ctx.parallelism)?;
        let restore = Restore::from_context(ctx)?;
        let plan = recovery::execute(&self.dir, subtask, parallelism, &restore)?;
        Ok(Box::new(ExactlyOnceFileWriter::new(
            self.dir.clone(),
            subtask,
            ctx.checkpointing,
            Arc::clone(&self.encoder),
            plan.next_seq,
        )))
    }
}

fn subtask_number(n: usize) -> Result<u32> {
    u32::try_from(n).map_err(|_| Error::Internal(format!("file: subtask number {n} does not fit in 32 bits")))
}
