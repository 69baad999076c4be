//! [`PrintSink`] and the pure formatting of what it prints.

use std::fmt::Debug;
use std::io::{self, Write};
use weir_core::operator::OperatorContext;
use weir_core::record::{Batch, Record};
use weir_core::sink::{Sink, SinkWriter};
use weir_core::{Error, Result};

/// Where a [`PrintSink`] writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrintTarget {
    Stdout,
    Stderr,
}

impl PrintTarget {
    fn stream_name(self) -> &'static str {
        match self {
            PrintTarget::Stdout => "stdout",
            PrintTarget::Stderr => "stderr",
        }
    }
}

/// Prints the `Debug` form of every record, one per line.
#[derive(Debug, Clone)]
pub struct PrintSink {
    identifier: Option<String>,
    target: PrintTarget,
}

impl Default for PrintSink {
    fn default() -> Self {
        PrintSink::new()
    }
}

impl PrintSink {
    /// Prints to stdout.
    pub fn new() -> Self {
        PrintSink { identifier: None, target: PrintTarget::Stdout }
    }

    /// Prints to stderr.
    pub fn stderr() -> Self {
        PrintSink { identifier: None, target: PrintTarget::Stderr }
    }

    /// Prefixes every line with `identifier` (see the [module docs](super)).
    pub fn with_identifier(mut self, identifier: impl Into<String>) -> Self {
        self.identifier = Some(identifier.into());
        self
    }

    pub fn target(&self) -> PrintTarget {
        self.target
    }
}

impl<T: Debug + 'static> Sink<T> for PrintSink {
    fn name(&self) -> &str {
        match self.target {
            PrintTarget::Stdout => "Print to Std. Out",
            PrintTarget::Stderr => "Print to Std. Err",
        }
    }

    fn create_writer(&self, ctx: &OperatorContext) -> Result<Box<dyn SinkWriter<T>>> {
        Ok(Box::new(PrintWriter {
            prefix: prefix(self.identifier.as_deref(), ctx.subtask.0, ctx.parallelism),
            target: self.target,
            buffer: Vec::new(),
        }))
    }
}

/// The prefix of every line a subtask prints, as Flink's `PrintSinkOutputWriter` makes it: the
/// identifier (if not empty), then `:` and the 1-based subtask when `parallelism > 1`, then `"> "`
/// if anything came before.
pub fn prefix(identifier: Option<&str>, subtask: usize, parallelism: usize) -> String {
    let identifier = identifier.filter(|id| !id.is_empty());
    match (identifier, parallelism > 1) {
        (Some(id), true) => format!("{id}:{}> ", subtask + 1),
        (Some(id), false) => format!("{id}> "),
        (None, true) => format!("{}> ", subtask + 1),
        (None, false) => String::new(),
    }
}

/// Appends one line per record, `{prefix}{value:?}\n`, to `buffer`.
pub fn format_batch<T: Debug>(prefix: &str, batch: &[Record<T>], buffer: &mut Vec<u8>) {
    for record in batch {
        // Writing into a Vec cannot fail; only a broken Debug impl could, cutting its line short.
        let _ = writeln!(buffer, "{prefix}{:?}", record.value);
    }
}

/// Writes `bytes` to `stream` and flushes it; an error names the stream.
pub(crate) fn write_out(stream: &mut impl Write, bytes: &[u8], stream_name: &str) -> Result<()> {
    stream
        .write_all(bytes)
        .and_then(|()| stream.flush())
        .map_err(|e| Error::io(format!("print: cannot write to {stream_name}"), e))
}

/// Prints one subtask's records.
struct PrintWriter {
    prefix: String,
    target: PrintTarget,
    /// The formatted batch, reused.
    buffer: Vec<u8>,
}

impl<T: Debug> SinkWriter<T> for PrintWriter {
    fn write_batch(&mut self, batch: Batch<T>) -> Result<()> {
        self.buffer.clear();
        format_batch(&self.prefix, &batch, &mut self.buffer);
        let name = self.target.stream_name();
        match self.target {
            PrintTarget::Stdout => write_out(&mut io::stdout().lock(), &self.buffer, name),
            PrintTarget::Stderr => write_out(&mut io::stderr().lock(), &self.buffer, name),
        }
    }
}
