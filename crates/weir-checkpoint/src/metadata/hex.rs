//! Lower-case hex for bytes inside the JSON body of `_metadata` (job ids, opaque split
//! positions), so the file stays readable with a text viewer and compact enough.

use serde::{Deserialize, Deserializer, Serializer, de::Error as _};
use std::fmt::Write as _;

fn encode(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(text, "{b:02x}");
    }
    text
}

fn decode(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    text.as_bytes().chunks_exact(2).map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?)).collect()
}

/// `Vec<u8>` as a hex string.
pub(super) mod bytes {
    use super::*;

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        decode(&text).ok_or_else(|| D::Error::custom("expected lower-case hex digits"))
    }
}

/// `JobId` as its 32 hex digits.
pub(super) mod job_id {
    use super::*;
    use weir_core::JobId;

    pub fn serialize<S: Serializer>(id: &JobId, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode(&id.0))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<JobId, D::Error> {
        let text = String::deserialize(d)?;
        let bytes = decode(&text).ok_or_else(|| D::Error::custom("a job id must be 32 lower-case hex digits"))?;
        let bytes: [u8; 16] =
            bytes.try_into().map_err(|_| D::Error::custom("a job id must be 32 lower-case hex digits"))?;
        Ok(JobId(bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_non_hex() {
        assert_eq!(encode(&[0, 0xab, 0x10]), "00ab10");
        assert_eq!(decode("00ab10"), Some(vec![0, 0xab, 0x10]));
        assert_eq!(decode(""), Some(vec![]));
        assert_eq!(decode("abc"), None);
        assert_eq!(decode("zz"), None);
        assert_eq!(decode("AB"), None);
    }
}
