//! The verbs of `weir`, one module each: [`run`], [`jobs`], [`config`] and [`checkpoints`]. Each
//! returns `anyhow::Result` (`checkpoints` with its exit status, see there); `main` turns an error
//! into `error: ...` and a non-zero exit status.

pub mod checkpoints;
pub mod config;
pub mod jobs;
pub mod run;

use std::io::{ErrorKind, Write};

/// Writes `text` to stdout. A closed stdout (`weir jobs | head -1`) is not an error: the reader
/// has what it wanted.
pub(crate) fn print_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != ErrorKind::BrokenPipe => Err(anyhow::Error::new(e).context("cannot write to stdout")),
        _ => Ok(()),
    }
}
