//! [`CheckpointError`]: everything this crate can refuse, each variant carrying what a reader needs
//! to act on it — the key, the path, the checkpoint id, and what exactly is wrong.
//!
//! It is **not** an I/O error type: this crate does no I/O. Storage code (weir-state) wraps these
//! errors together with its own file errors.

use crate::id::CheckpointId;
use weir_core::ErrorKind;

/// An error raised by the checkpoint protocol, the `_metadata` format or path building.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// A configuration value is malformed or out of range.
    #[error("invalid checkpoint configuration: '{key}': {message}")]
    InvalidConfig { key: &'static str, message: String },

    /// A path that must be relative and stay inside its directory is not.
    #[error("invalid path '{path}': {problem}")]
    InvalidPath { path: String, problem: &'static str },

    /// The job description handed to the coordinator is inconsistent.
    #[error("invalid checkpoint plan: {problem}")]
    InvalidPlan { problem: String },

    /// The bytes are shorter than the smallest possible `_metadata` file.
    #[error("{origin}: too short to be a checkpoint _metadata file ({len} bytes, at least {min} needed)")]
    MetadataTooShort { origin: String, len: usize, min: usize },

    /// The file does not start with weir's magic bytes: it is not a `_metadata` file at all.
    #[error("{origin}: not a weir _metadata file (magic bytes {found:02x?}, expected {expected:02x?})")]
    MetadataBadMagic { origin: String, found: Vec<u8>, expected: &'static [u8] },

    /// The file is shorter than its header says: it was cut off (an incomplete write or copy).
    #[error("{origin}: truncated: the header announces {expected} bytes, but there are {actual}")]
    MetadataTruncated { origin: String, expected: u64, actual: u64 },

    /// The file is longer than its header says: something was appended or the length is corrupt.
    #[error("{origin}: {extra} unexpected bytes after the end announced by the header ({expected} bytes)")]
    MetadataTrailingBytes { origin: String, expected: u64, extra: u64 },

    /// The CRC32C stored at the end does not match the content: the file is corrupt.
    #[error("{origin}: checksum mismatch: stored crc32c {stored:08x}, computed {computed:08x}; the file is corrupt")]
    MetadataChecksumMismatch { origin: String, stored: u32, computed: u32 },

    /// A well-formed file of a format version this build cannot read (written by a newer weir).
    #[error(
        "{origin}: _metadata format version {found} is not supported; this build reads versions {oldest}..={newest} (was it written by a newer weir?)"
    )]
    MetadataUnsupportedVersion { origin: String, found: u32, oldest: u32, newest: u32 },

    /// The checksummed body could not be decoded (a bug in the writer, not disk corruption).
    #[error("{origin}: cannot decode the body of format version {version}: {message}")]
    MetadataBody { origin: String, version: u32, message: String },

    /// The body decoded, but describes an impossible checkpoint.
    #[error("{origin}: checkpoint {checkpoint_id}: {problem}")]
    MetadataInvalid { origin: String, checkpoint_id: CheckpointId, problem: String },

    /// The metadata could not be encoded.
    #[error("cannot encode the _metadata of checkpoint {checkpoint_id}: {message}")]
    MetadataEncode { checkpoint_id: CheckpointId, message: String },
}

impl CheckpointError {
    /// How failover should treat this error: configuration and paths are the user's; a corrupt
    /// or unreadable `_metadata` is external (the storage); a bad plan or encoding is weir's bug.
    pub fn kind(&self) -> ErrorKind {
        match self {
            CheckpointError::InvalidConfig { .. } | CheckpointError::InvalidPath { .. } => ErrorKind::User,
            CheckpointError::InvalidPlan { .. } | CheckpointError::MetadataEncode { .. } => ErrorKind::Internal,
            CheckpointError::MetadataTooShort { .. }
            | CheckpointError::MetadataBadMagic { .. }
            | CheckpointError::MetadataTruncated { .. }
            | CheckpointError::MetadataTrailingBytes { .. }
            | CheckpointError::MetadataChecksumMismatch { .. }
            | CheckpointError::MetadataUnsupportedVersion { .. }
            | CheckpointError::MetadataBody { .. }
            | CheckpointError::MetadataInvalid { .. } => ErrorKind::External,
        }
    }
}

/// The result of fallible work in weir-checkpoint.
pub type Result<T, E = CheckpointError> = std::result::Result<T, E>;
