//! [`FileSink`]: one part file per subtask in a directory, written through an encoder.

use super::exactly_once::ExactlyOnceFileSink;
use std::fmt::{self, Display};
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use weir_core::operator::OperatorContext;
use weir_core::record::Batch;
use weir_core::sink::{Sink, SinkWriter};
use weir_core::{Error, Result};

/// Encoded bytes are written to the file once this many have been buffered.
const WRITE_BUFFER_BYTES: usize = 64 * 1024;

/// Appends the encoding of one record to a buffer.
pub(in crate::file) type Encoder<T> = Arc<dyn Fn(&T, &mut Vec<u8>) + Send + Sync>;

/// A plain (non-transactional) sink writing `<dir>/part-<subtask>-0` on every subtask.
pub struct FileSink<T> {
    dir: PathBuf,
    encoder: Encoder<T>,
}

impl<T: Display> FileSink<T> {
    /// Writes every record as one line: its `Display` form followed by `\n`.
    pub fn lines(dir: impl Into<PathBuf>) -> Self {
        FileSink::new(dir, |value: &T, buf: &mut Vec<u8>| {
            // Writing into a Vec cannot fail; only a broken Display impl could, and then the
            // record's text is cut short rather than the job failing.
            let _ = writeln!(buf, "{value}");
        })
    }
}

impl<T> FileSink<T> {
    /// Writes every record as `encoder` encodes it (the encoder appends bytes to the buffer it is
    /// given, including any separator).
    pub fn new(dir: impl Into<PathBuf>, encoder: impl Fn(&T, &mut Vec<u8>) + Send + Sync + 'static) -> Self {
        FileSink { dir: dir.into(), encoder: Arc::new(encoder) }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The exactly-once (two-phase-commit) version of this sink, with the same directory and
    /// encoder: part files become visible when checkpoints complete.
    pub fn exactly_once(self) -> ExactlyOnceFileSink<T> {
        ExactlyOnceFileSink::with_encoder(self.dir, self.encoder)
    }

    /// The name of the part file of `subtask`: `part-<subtask>-0`.
    pub fn part_file_name(subtask: usize) -> String {
        format!("part-{subtask}-0")
    }
}

impl<T> fmt::Debug for FileSink<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileSink").field("dir", &self.dir).finish_non_exhaustive()
    }
}

impl<T: 'static> Sink<T> for FileSink<T> {
    fn name(&self) -> &str {
        "FileSink"
    }

    /// Creates the directory and the subtask's part file (replacing an older one).
    fn create_writer(&self, ctx: &OperatorContext) -> Result<Box<dyn SinkWriter<T>>> {
        fs::create_dir_all(&self.dir)
            .map_err(|e| Error::io(format!("file: cannot create directory '{}'", self.dir.display()), e))?;
        let path = self.dir.join(Self::part_file_name(ctx.subtask.0));
        let file =
            File::create(&path).map_err(|e| Error::io(format!("file: cannot create '{}'", path.display()), e))?;
        Ok(Box::new(FileWriter {
            dir: self.dir.clone(),
            path,
            file,
            encoder: Arc::clone(&self.encoder),
            buffer: Vec::with_capacity(WRITE_BUFFER_BYTES),
            failure: None,
        }))
    }
}

/// Writes one subtask's part file.
struct FileWriter<T> {
    dir: PathBuf,
    path: PathBuf,
    file: File,
    encoder: Encoder<T>,
    /// Encoded bytes not yet written to the file.
    buffer: Vec<u8>,
    /// Set when a write or fsync failed: the file's state is unknown, so nothing more is written.
    failure: Option<String>,
}

impl<T> FileWriter<T> {
    fn check_usable(&self) -> Result<()> {
        match &self.failure {
            None => Ok(()),
            Some(failure) => Err(Error::Connector {
                connector: "file",
                message: format!("'{}' failed earlier ({failure}); refusing further writes", self.path.display()),
            }),
        }
    }

    /// Runs an I/O step; a failure poisons the writer.
    fn io_step(&mut self, what: &str, step: impl FnOnce(&mut Self) -> std::io::Result<()>) -> Result<()> {
        step(self).map_err(|e| {
            self.failure = Some(format!("{what}: {e}"));
            Error::io(format!("file: cannot {what} '{}'", self.path.display()), e)
        })
    }

    fn write_buffer(&mut self) -> Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        self.io_step("write", |w| w.file.write_all(&w.buffer))?;
        self.buffer.clear();
        Ok(())
    }
}

impl<T: 'static> SinkWriter<T> for FileWriter<T> {
    fn write_batch(&mut self, batch: Batch<T>) -> Result<()> {
        self.check_usable()?;
        for record in &batch {
            (self.encoder)(&record.value, &mut self.buffer);
            if self.buffer.len() >= WRITE_BUFFER_BYTES {
                self.write_buffer()?;
            }
        }
        Ok(())
    }

    /// Writes what is buffered, fsyncs the part file and (on Unix) its directory.
    fn finish(&mut self) -> Result<()> {
        self.check_usable()?;
        self.write_buffer()?;
        self.io_step("fsync", |w| w.file.sync_all())?;
        #[cfg(unix)]
        File::open(&self.dir)
            .and_then(|dir| dir.sync_all())
            .map_err(|e| Error::io(format!("file: cannot fsync directory '{}'", self.dir.display()), e))?;
        tracing::debug!(path = %self.path.display(), "file sink finished its part file");
        Ok(())
    }
}
