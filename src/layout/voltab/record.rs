//! One volume extension record of nwvol's `NWVOLVTX` extension (64 bytes):
//! what the volume keeps besides NetWare's structures (block checksums).

use super::super::LayoutError;
use super::super::bytes::{
    check_fixed, check_version, corrupt, le16, le32, need, put16, put32, unsupported,
};

use super::name::{put_stored_name, stored_name, volume_name_char};
use super::{
    CHECKSUM_ALGO_CRC32, CHECKSUM_ENTRY_BYTES, RECORD_KIND_CHECKSUMS, RECORD_VERSION,
    VOLUME_RECORD_BYTES,
};

// Volume extension record offsets.
const R_NAME_LEN: usize = 0;
const R_NAME: usize = 1;
const R_KIND: usize = 20;
const R_VERSION: usize = 22;
const R_FLAGS: usize = 24;
const R_ALGO: usize = 28;
const R_ENTRY_BYTES: usize = 32;

/// What a volume extension record says about its volume.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum RecordKind {
    /// Kind 1: the volume keeps a CRC32 of every block, in a checksum
    /// fragment per segment.
    BlockChecksums,
}

/// One volume extension record (64 bytes in `NWVOLVTX`, version 2).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VolumeRecord {
    /// Volume name, upper case: a volume with a segment entry in the same
    /// table.
    pub name: String,
    /// What the record says.
    pub kind: RecordKind,
}

impl VolumeRecord {
    /// A "block checksums" record for volume `name`.
    pub fn checksums(name: &str) -> VolumeRecord {
        VolumeRecord {
            name: name.to_string(),
            kind: RecordKind::BlockChecksums,
        }
    }

    /// The record's 64 bytes.
    pub fn encode(&self) -> [u8; VOLUME_RECORD_BYTES] {
        let mut b = [0u8; VOLUME_RECORD_BYTES];
        put_stored_name(&mut b, R_NAME_LEN, R_NAME, &self.name);
        match self.kind {
            RecordKind::BlockChecksums => {
                put16(&mut b, R_KIND, RECORD_KIND_CHECKSUMS);
                put16(&mut b, R_VERSION, RECORD_VERSION);
                put32(&mut b, R_FLAGS, 0);
                put32(&mut b, R_ALGO, CHECKSUM_ALGO_CRC32);
                put32(&mut b, R_ENTRY_BYTES, CHECKSUM_ENTRY_BYTES);
            }
        }
        b
    }

    /// Decodes a record: a valid volume name; kind 1 with version 1, no
    /// flags, CRC32 and 4-byte entries. An unknown kind, a later record
    /// version, a flag or another algorithm is unsupported (a volume whose
    /// upkeep nwvol does not know must not be written).
    pub fn decode(b: &[u8]) -> Result<VolumeRecord, LayoutError> {
        let s = "volume extension record";
        let b = need(b, VOLUME_RECORD_BYTES, s)?;
        let raw = stored_name(b, R_NAME_LEN, R_NAME, s)?;
        if let Some(&c) = raw.iter().find(|&&c| !volume_name_char(c)) {
            return Err(corrupt(s, "name", format!("byte {c:#04x} is not allowed")));
        }
        if b[R_NAME + raw.len()..R_KIND].iter().any(|&c| c != 0) {
            return Err(corrupt(s, "name", "not zero padded"));
        }
        let kind = le16(b, R_KIND);
        if kind != RECORD_KIND_CHECKSUMS {
            if kind == 0 {
                return Err(corrupt(s, "kind", "0"));
            }
            return Err(unsupported(s, "kind", kind.to_string()));
        }
        check_version(le16(b, R_VERSION), RECORD_VERSION, s, "record version")?;
        let flags = le32(b, R_FLAGS);
        if flags != 0 {
            return Err(unsupported(s, "flags", format!("{flags:#x}")));
        }
        let algo = le32(b, R_ALGO);
        if algo != CHECKSUM_ALGO_CRC32 {
            if algo == 0 {
                return Err(corrupt(s, "algorithm", "0"));
            }
            return Err(unsupported(s, "algorithm", algo.to_string()));
        }
        let entry = le32(b, R_ENTRY_BYTES);
        check_fixed(entry, CHECKSUM_ENTRY_BYTES, s, "entry size")?;
        if b[R_ENTRY_BYTES + 4..].iter().any(|&c| c != 0) {
            return Err(corrupt(s, "reserved", "not zero"));
        }
        Ok(VolumeRecord {
            name: raw.iter().map(|&c| char::from(c)).collect(),
            kind: RecordKind::BlockChecksums,
        })
    }
}
