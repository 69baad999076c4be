//! [`FileSource`]: the lines of a file or a directory tree, one split per file.

use super::listing::list_files;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use weir_core::operator::OperatorContext;
use weir_core::source::{Boundedness, ReaderOutput, Source, SourcePoll, SourceReader, SourceSplit, SplitId};
use weir_core::{Error, Result};

/// The read buffer of one open file.
const READ_BUFFER_BYTES: usize = 64 * 1024;

/// A bounded source of the text lines of a file or of every file under a directory.
#[derive(Debug, Clone)]
pub struct FileSource {
    path: PathBuf,
}

impl FileSource {
    /// Lines of `path`: a file, or a directory read recursively (see the [module docs](super)).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileSource { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// One file and the byte offset of its next line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileSplit {
    pub path: PathBuf,
    /// The byte offset of the next line to read: the position.
    pub offset: u64,
}

impl SourceSplit for FileSplit {
    /// The file's path.
    fn split_id(&self) -> SplitId {
        SplitId::new(self.path.to_string_lossy())
    }
}

impl Source<String> for FileSource {
    type Split = FileSplit;

    fn name(&self) -> &str {
        "FileSource"
    }

    fn boundedness(&self) -> Boundedness {
        Boundedness::Bounded
    }

    /// One split per file; the parallelism is ignored.
    fn create_splits(&self, _parallelism: usize) -> Result<Vec<FileSplit>> {
        let files = list_files(&self.path)?;
        tracing::debug!(path = %self.path.display(), files = files.len(), "file source enumerated its splits");
        Ok(files.into_iter().map(|path| FileSplit { path, offset: 0 }).collect())
    }

    fn create_reader(&self, _ctx: &OperatorContext) -> Result<Box<dyn SourceReader<String, FileSplit>>> {
        Ok(Box::new(FileReader { pending: VecDeque::new(), current: None, line: Vec::new() }))
    }
}

/// Reads its files one after the other.
struct FileReader {
    /// Splits not opened yet.
    pending: VecDeque<FileSplit>,
    /// The file being read.
    current: Option<OpenFile>,
    /// The bytes of the line being read, reused.
    line: Vec<u8>,
}

struct OpenFile {
    id: SplitId,
    path: PathBuf,
    reader: BufReader<File>,
    /// The byte offset of the next line.
    offset: u64,
}

impl OpenFile {
    /// Opens `split.path` and seeks to `split.offset`, which must lie within the file.
    fn open(split: FileSplit) -> Result<OpenFile> {
        let id = split.split_id();
        let FileSplit { path, offset } = split;
        let mut file =
            File::open(&path).map_err(|e| Error::io(format!("file: cannot open '{}'", path.display()), e))?;
        let len = file.metadata().map_err(|e| Error::io(format!("file: cannot read '{}'", path.display()), e))?.len();
        if offset > len {
            return Err(Error::Connector {
                connector: "file",
                message: format!(
                    "'{}' has {len} bytes, fewer than the position {offset} to resume at; was it changed?",
                    path.display()
                ),
            });
        }
        file.seek(SeekFrom::Start(offset))
            .map_err(|e| Error::io(format!("file: cannot seek '{}' to byte offset {offset}", path.display()), e))?;
        Ok(OpenFile { id, path, reader: BufReader::with_capacity(READ_BUFFER_BYTES, file), offset })
    }

    /// Reads the next line into `line` (with its terminator); `None` at the end of the file.
    fn read_line(&mut self, line: &mut Vec<u8>) -> Result<Option<String>> {
        line.clear();
        let read = self.reader.read_until(b'\n', line).map_err(|e| {
            Error::io(format!("file: cannot read '{}' at byte offset {}", self.path.display(), self.offset), e)
        })?;
        if read == 0 {
            return Ok(None);
        }
        let text = std::str::from_utf8(strip_line_end(line)).map_err(|e| Error::InvalidData {
            connector: "file",
            message: format!(
                "'{}': the line at byte offset {} is not valid UTF-8 (at byte {} of the line)",
                self.path.display(),
                self.offset,
                e.valid_up_to()
            ),
        })?;
        let text = text.to_owned();
        self.offset += read as u64;
        Ok(Some(text))
    }
}

/// The line without its `\n` or `\r\n` (a `\r` not followed by `\n` stays).
fn strip_line_end(line: &[u8]) -> &[u8] {
    match line {
        [rest @ .., b'\r', b'\n'] | [rest @ .., b'\n'] => rest,
        _ => line,
    }
}

impl SourceReader<String, FileSplit> for FileReader {
    fn add_splits(&mut self, splits: Vec<FileSplit>) -> Result<()> {
        self.pending.extend(splits);
        Ok(())
    }

    fn poll_next(&mut self, out: &mut ReaderOutput<String>, max_records: usize) -> Result<SourcePoll> {
        let mut emitted = 0;
        while emitted < max_records {
            let file = match &mut self.current {
                Some(file) => file,
                None => match self.pending.front() {
                    // Popped only once open, so a file that fails to open stays in the snapshot.
                    Some(split) => {
                        let file = OpenFile::open(split.clone())?;
                        self.pending.pop_front();
                        self.current.insert(file)
                    }
                    None => break,
                },
            };
            match file.read_line(&mut self.line)? {
                Some(text) => {
                    out.split(&file.id).collect(text);
                    emitted += 1;
                }
                None => {
                    tracing::debug!(path = %file.path.display(), bytes = file.offset, "file source finished a file");
                    out.finish_split(&file.id);
                    self.current = None;
                }
            }
        }
        // `Finished` only ever follows a poll that emitted nothing, so no record rides on it.
        let done = emitted == 0 && self.current.is_none() && self.pending.is_empty();
        Ok(if done { SourcePoll::Finished } else { SourcePoll::MoreAvailable })
    }

    fn snapshot_splits(&self) -> Vec<FileSplit> {
        let current = self.current.iter().map(|f| FileSplit { path: f.path.clone(), offset: f.offset });
        current.chain(self.pending.iter().cloned()).collect()
    }
}
