//! The bytes of a `_metadata` file: [`encode`] and [`decode`].
//!
//! ```text
//! offset  size  field
//! 0       8     magic            b"WEIRCKPT"
//! 8       4     format version   u32, little-endian (1 today)
//! 12      8     body length      u64, little-endian
//! 20      n     body             (format version 1: UTF-8 JSON of `Metadata`)
//! 20+n    4     checksum         CRC32C of bytes 0..20+n, u32, little-endian
//! ```
//!
//! **This framing is frozen for every version**: only the body changes from one format version to
//! the next. So any build can tell a truncated file, a corrupt one (checksum) and one from a newer
//! weir (a valid checksum around a version it does not know) apart, and says which.
//!
//! **The body is JSON** (`serde_json`) rather than postcard: the file is small and read once per
//! restore, so compactness buys nothing, while a self-describing body can be inspected with any
//! text tool (`weir checkpoints` will print it) and survives fields being added with defaults.
//! Format versions only grow, and every version ever written stays readable: when the body
//! changes, bump [`CURRENT_VERSION`], freeze the old body's types beside this file, convert them
//! in [`decode`], and check in a fixture under `testdata/checkpoint-format/v<N>/` (the v1 fixture's
//! test lives in `tests/metadata_format.rs`).
//!
//! This module is **not** where the file is written: storage writes these bytes to
//! `_metadata.inprogress`, syncs it and renames it to `_metadata` (see [`crate::paths`]).

use super::Metadata;
use crate::error::{CheckpointError, Result};

/// The first eight bytes of every `_metadata` file.
pub const MAGIC: &[u8; 8] = b"WEIRCKPT";
/// The format version [`encode`] writes.
pub const CURRENT_VERSION: u32 = 1;
/// The oldest format version [`decode`] reads (every version since is read too).
pub const OLDEST_READABLE_VERSION: u32 = 1;

const HEADER_LEN: usize = 8 + 4 + 8;
const CHECKSUM_LEN: usize = 4;
/// The size of a file with an empty body.
pub const MIN_LEN: usize = HEADER_LEN + CHECKSUM_LEN;

/// Encodes metadata in the current format version. Fails only if the metadata is invalid
/// (see [`Metadata::validate`]): weir never writes a `_metadata` it would refuse to read.
pub fn encode(metadata: &Metadata) -> Result<Vec<u8>> {
    if let Some(problem) = metadata.problem() {
        return Err(CheckpointError::MetadataEncode { checkpoint_id: metadata.checkpoint_id, message: problem });
    }
    let body = serde_json::to_vec(metadata).map_err(|e| CheckpointError::MetadataEncode {
        checkpoint_id: metadata.checkpoint_id,
        message: e.to_string(),
    })?;
    let mut bytes = Vec::with_capacity(MIN_LEN + body.len());
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&CURRENT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&body);
    let checksum = crc32c::crc32c(&bytes);
    bytes.extend_from_slice(&checksum.to_le_bytes());
    Ok(bytes)
}

/// Decodes a `_metadata` file; errors name it as `_metadata`. Use [`decode_from`] to name the
/// real path.
pub fn decode(bytes: &[u8]) -> Result<Metadata> {
    decode_from(bytes, "_metadata")
}

/// Decodes a `_metadata` file read from `origin` (a path, for error messages). Checks, in
/// order: length, magic, announced length, checksum, format version, body, validity — each
/// failure is its own [`CheckpointError`] variant.
pub fn decode_from(bytes: &[u8], origin: &str) -> Result<Metadata> {
    decode_versioned(bytes, origin).map(|(metadata, _)| metadata)
}

/// [`decode_from`], also returning the format version the file was written in (for tools that
/// show it, such as `weir checkpoints inspect`).
pub fn decode_versioned(bytes: &[u8], origin: &str) -> Result<(Metadata, u32)> {
    let origin = || origin.to_string();
    if bytes.len() < MIN_LEN {
        return Err(CheckpointError::MetadataTooShort { origin: origin(), len: bytes.len(), min: MIN_LEN });
    }
    let (header, rest) = bytes.split_at(HEADER_LEN);
    let (magic, header) = header.split_at(MAGIC.len());
    if magic != MAGIC {
        return Err(CheckpointError::MetadataBadMagic { origin: origin(), found: magic.to_vec(), expected: MAGIC });
    }
    let (version, body_len) = header.split_at(4);
    let version = u32::from_le_bytes(version.try_into().unwrap_or_default());
    let body_len = u64::from_le_bytes(body_len.try_into().unwrap_or_default());

    let expected = body_len.saturating_add(MIN_LEN as u64);
    let actual = bytes.len() as u64;
    if actual < expected {
        return Err(CheckpointError::MetadataTruncated { origin: origin(), expected, actual });
    }
    if actual > expected {
        return Err(CheckpointError::MetadataTrailingBytes { origin: origin(), expected, extra: actual - expected });
    }
    let (body, stored) = rest.split_at(rest.len() - CHECKSUM_LEN);
    let stored = u32::from_le_bytes(stored.try_into().unwrap_or_default());
    let computed = crc32c::crc32c(&bytes[..bytes.len() - CHECKSUM_LEN]);
    if stored != computed {
        return Err(CheckpointError::MetadataChecksumMismatch { origin: origin(), stored, computed });
    }

    let metadata = match version {
        1 => serde_json::from_slice::<Metadata>(body).map_err(|e| CheckpointError::MetadataBody {
            origin: origin(),
            version,
            message: e.to_string(),
        })?,
        _ => {
            return Err(CheckpointError::MetadataUnsupportedVersion {
                origin: origin(),
                found: version,
                oldest: OLDEST_READABLE_VERSION,
                newest: CURRENT_VERSION,
            });
        }
    };
    if let Some(problem) = metadata.problem() {
        return Err(CheckpointError::MetadataInvalid {
            origin: origin(),
            checkpoint_id: metadata.checkpoint_id,
            problem,
        });
    }
    Ok((metadata, version))
}

/// Frames `body` as a file of format `version` with a correct checksum (for tests of versions
/// and bodies this build would not write).
#[cfg(test)]
pub(crate) fn frame(version: u32, body: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::new();
    bytes.extend_from_slice(MAGIC);
    bytes.extend_from_slice(&version.to_le_bytes());
    bytes.extend_from_slice(&(body.len() as u64).to_le_bytes());
    bytes.extend_from_slice(body);
    let checksum = crc32c::crc32c(&bytes);
    bytes.extend_from_slice(&checksum.to_le_bytes());
    bytes
}
