//! `#[serde(with = "weir_state::raw_bytes")]`: a `Vec<u8>` field holding bytes encoded already
//! (a key group's entries, a whole keyed snapshot inside an operator's blob), written as one
//! byte string instead of as a sequence of `u8`.
//!
//! serde's own `Vec<u8>` is read through the deserializer one byte at a time (a visitor call
//! and a push per byte). A keyed snapshot's entry blobs, and the whole snapshot once more inside
//! its operator's blob, were read that way: for 2 M keys of `(u64, u64)` (11.7 MB) that was about
//! 30 ms of a restore's ~115 ms of decoding, against about 6 ms now (BENCHMARKS.md, "Savepoint
//! and restore (issue 5)"); writing was about as fast either way. In postcard both are the same
//! bytes on the wire (a varint length, then the bytes), so snapshots written before this module
//! existed read the same, and the bytes written are identical; the tests below hold that. In
//! self-describing formats the reader also accepts a sequence of numbers.
//!
//! It is **not** a general `serde_bytes`: only owned `Vec<u8>` fields. No I/O.

use serde::de::{self, SeqAccess, Visitor};
use serde::{Deserializer, Serializer};
use std::fmt;

/// Writes `bytes` as one byte string.
pub fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_bytes(bytes)
}

/// Reads a byte string (or a sequence of `u8`) into a `Vec<u8>`.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<u8>, D::Error> {
    deserializer.deserialize_byte_buf(ByteBuf)
}

struct ByteBuf;

impl<'de> Visitor<'de> for ByteBuf {
    type Value = Vec<u8>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a byte string")
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
        Ok(bytes.to_vec())
    }

    fn visit_byte_buf<E: de::Error>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(bytes)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<u8>, A::Error> {
        // The hint comes from the input: cap what it may make us reserve up front.
        let mut bytes = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1 << 20));
        while let Some(byte) = seq.next_element()? {
            bytes.push(byte);
        }
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use serde::{Deserialize, Serialize};

    /// The layout every blob had before this module: serde's `Vec<u8>`.
    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct AsSequence {
        version: u16,
        bytes: Vec<u8>,
        more: Vec<u8>,
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct AsByteString {
        version: u16,
        #[serde(with = "super")]
        bytes: Vec<u8>,
        #[serde(with = "super")]
        more: Vec<u8>,
    }

    fn both(len: usize) -> (AsSequence, AsByteString) {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
        let more = vec![0, 255, 128];
        (AsSequence { version: 1, bytes: bytes.clone(), more: more.clone() }, AsByteString { version: 1, bytes, more })
    }

    #[test]
    fn postcard_writes_the_same_bytes_as_a_sequence_of_u8() {
        // Lengths around the varint steps (1 and 2 length bytes) and a large one.
        for len in [0, 1, 127, 128, 16_383, 16_384, 300_000] {
            let (old, new) = both(len);
            let old_bytes = postcard::to_stdvec(&old).expect("serializes");
            assert_eq!(postcard::to_stdvec(&new).expect("serializes"), old_bytes, "len {len}");
            assert_eq!(postcard::from_bytes::<AsByteString>(&old_bytes).expect("old bytes read"), new, "len {len}");
            assert_eq!(postcard::from_bytes::<AsSequence>(&old_bytes).expect("round trip"), old);
        }
    }

    #[test]
    fn truncated_bytes_are_an_error() {
        let (_, new) = both(1_000);
        let bytes = postcard::to_stdvec(&new).expect("serializes");
        for len in [0, 1, 2, 3, 500, bytes.len() - 1] {
            assert!(postcard::from_bytes::<AsByteString>(&bytes[..len]).is_err(), "truncated to {len}");
        }
    }
}
