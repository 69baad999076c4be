//! The frame around every snapshot's bytes: magic, format version and a checksum of the body.
//!
//! ```text
//! magic (8 bytes) | version (u16 LE) | crc32c of body (u32 LE) | body (postcard)
//! ```
//!
//! The magic tells a keyed snapshot from an operator one (or from anything else), the version
//! lets a later build refuse — or migrate — bytes of a format it does not know, and the
//! checksum turns a truncated or damaged file into an error at the door instead of garbage state.
//! Pure functions over byte slices: the I/O is the checkpoint storage's.

use crate::error::{Result, StateError};

const HEADER: usize = 8 + 2 + 4;

/// Frames `body`.
pub(crate) fn seal(magic: &[u8; 8], version: u16, body: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(HEADER + body.len());
    bytes.extend_from_slice(magic);
    bytes.extend_from_slice(&version.to_le_bytes());
    bytes.extend_from_slice(&crc32c::crc32c(body).to_le_bytes());
    bytes.extend_from_slice(body);
    bytes
}

/// Checks the frame and returns the body; `what` names the snapshot kind in errors.
pub(crate) fn open<'a>(bytes: &'a [u8], magic: &[u8; 8], version: u16, what: &'static str) -> Result<&'a [u8]> {
    let corrupt = |problem: String| StateError::CorruptSnapshot { what, problem };
    if bytes.len() < HEADER {
        return Err(corrupt(format!("{} bytes is shorter than the {HEADER}-byte header", bytes.len())));
    }
    let (found_magic, rest) = bytes.split_at(8);
    if found_magic != magic {
        return Err(corrupt(format!("the bytes do not start with the magic {:?}", String::from_utf8_lossy(magic))));
    }
    let (found_version, rest) = rest.split_at(2);
    let found_version = u16::from_le_bytes([found_version[0], found_version[1]]);
    if found_version != version {
        return Err(StateError::UnsupportedVersion { what, found: found_version, supported: version });
    }
    let (crc, body) = rest.split_at(4);
    let crc = u32::from_le_bytes([crc[0], crc[1], crc[2], crc[3]]);
    let actual = crc32c::crc32c(body);
    if crc != actual {
        return Err(corrupt(format!(
            "checksum mismatch (header {crc:#010x}, body {actual:#010x}): the bytes are truncated or damaged"
        )));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAGIC: &[u8; 8] = b"TESTSNAP";

    #[test]
    fn a_sealed_body_opens() {
        let bytes = seal(MAGIC, 3, b"body");
        assert_eq!(open(&bytes, MAGIC, 3, "test").expect("open"), b"body");
    }

    #[test]
    fn every_damage_is_an_error() {
        let bytes = seal(MAGIC, 3, b"body");
        assert!(matches!(open(&bytes, MAGIC, 4, "test"), Err(StateError::UnsupportedVersion { found: 3, .. })));
        assert!(open(&bytes, b"OTHERSNP", 3, "test").is_err());
        for len in 0..bytes.len() {
            assert!(open(&bytes[..len], MAGIC, 3, "test").is_err(), "truncated to {len}");
        }
        let mut flipped = bytes.clone();
        flipped[HEADER] ^= 1;
        let err = open(&flipped, MAGIC, 3, "test").expect_err("flipped");
        assert!(err.to_string().contains("checksum"), "{err}");
    }
}
