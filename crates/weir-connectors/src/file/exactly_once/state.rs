//! [`WriterState`]: what one subtask of the exactly-once file sink puts in a checkpoint, and its
//! byte format.
//!
//! The state is what a restored writer needs to finish the two-phase commit the failed one
//! started: the part files staged (pending) by checkpoints whose completion the writer had not
//! yet been told of, and the next sequence number, so no part name is reused.
//!
//! Format: the magic `WEFS` (weir exactly-once file sink), one version byte, then the
//! [postcard](https://docs.rs/postcard) encoding of that version's struct. Versions only grow;
//! decoding keeps reading every version ever written. Pure: no I/O here.

use super::naming::PartFile;
use serde::{Deserialize, Serialize};
use weir_core::{Error, Result};

const MAGIC: &[u8; 4] = b"WEFS";
/// The version [`WriterState::encode`] writes.
const CURRENT_VERSION: u8 = 1;

/// One subtask's writer state at a checkpoint barrier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriterState {
    /// The subtask that wrote the state.
    pub subtask: u32,
    /// The sequence number the next part file of `subtask` takes.
    pub next_seq: u64,
    /// The part files staged and not yet committed, by checkpoint, oldest checkpoint first.
    pub pending: Vec<PendingCheckpoint>,
}

/// The part files one checkpoint staged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCheckpoint {
    pub checkpoint_id: u64,
    /// Recorded by subtask and sequence number rather than by path: the names follow from them
    /// (see [`PartFile::file_name`]), and the directory is the sink's, wherever it is now.
    pub parts: Vec<PartFile>,
}

impl WriterState {
    /// Every staged part file, of every checkpoint.
    pub fn pending_parts(&self) -> impl Iterator<Item = PartFile> + '_ {
        self.pending.iter().flat_map(|checkpoint| checkpoint.parts.iter().copied())
    }

    /// The versioned bytes of this state.
    pub fn encode(&self) -> Result<Vec<u8>> {
        let mut bytes = Vec::with_capacity(MAGIC.len() + 1 + 16 + 12 * self.pending.len());
        bytes.extend_from_slice(MAGIC);
        bytes.push(CURRENT_VERSION);
        postcard::to_io(self, &mut bytes)
            .map_err(|e| Error::Internal(format!("file: cannot encode sink state: {e}")))?;
        Ok(bytes)
    }

    /// Reads bytes written by [`Self::encode`] of this or an older version; `what` names where
    /// they come from (checkpoint and snapshot) for the error.
    pub fn decode(bytes: &[u8], what: &str) -> Result<Self> {
        let corrupt = |message: String| Error::Connector {
            connector: "file",
            message: format!("cannot restore the exactly-once sink from {what}: {message}"),
        };
        let body = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or_else(|| corrupt("not an exactly-once file sink state (bad magic)".into()))?;
        let (&version, body) = body.split_first().ok_or_else(|| corrupt("no format version".into()))?;
        match version {
            1 => postcard::from_bytes(body).map_err(|e| corrupt(format!("malformed version 1 state: {e}"))),
            other => {
                Err(corrupt(format!("format version {other} is newer than this build reads (up to {CURRENT_VERSION})")))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> WriterState {
        WriterState {
            subtask: 2,
            next_seq: 7,
            pending: vec![
                PendingCheckpoint { checkpoint_id: 4, parts: vec![PartFile::new(2, 5)] },
                PendingCheckpoint { checkpoint_id: 5, parts: vec![PartFile::new(2, 6)] },
            ],
        }
    }

    #[test]
    fn a_state_round_trips() {
        let state = state();
        let bytes = state.encode().expect("encode");
        assert_eq!(&bytes[..5], b"WEFS\x01");
        assert_eq!(WriterState::decode(&bytes, "test").expect("decode"), state);
        assert_eq!(state.pending_parts().collect::<Vec<_>>(), [PartFile::new(2, 5), PartFile::new(2, 6)]);
    }

    /// The version 1 bytes, spelled out: a format change that cannot read them breaks restores.
    #[test]
    fn version_1_bytes_stay_readable() {
        let bytes = [b'W', b'E', b'F', b'S', 1, 2, 7, 2, 4, 1, 2, 5, 5, 1, 2, 6];
        assert_eq!(WriterState::decode(&bytes, "test").expect("decode"), state());
    }

    #[test]
    fn foreign_truncated_and_future_bytes_are_errors_naming_the_source() {
        let good = state().encode().expect("encode");
        let future = [&good[..4], &[9], &good[5..]].concat();
        for (bytes, expected) in [
            (&b"{\"json\":1}"[..], "bad magic"),
            (&good[..4], "no format version"),
            (&good[..good.len() - 1], "malformed version 1"),
            (&future[..], "version 9 is newer"),
        ] {
            let err = WriterState::decode(bytes, "checkpoint 3").expect_err("corrupt").to_string();
            assert!(err.contains(expected) && err.contains("checkpoint 3"), "{err}");
        }
    }
}
