//! The volume definition table (FORMAT.md "Volume definition table"): one
//! 16 KiB copy, its 60-byte segment entries and nwvol's `NWVOLVTX`
//! extension with its volume extension records, plus the rules that tie the
//! segments of one volume together.

use super::LayoutError;
use super::SECTOR;
use super::bytes::{
    check_crc, check_version, corrupt, crc32, le16, le32, need, put16, put32, unsupported,
};

/// Bytes of one copy of the table.
pub const VOLTAB_COPY_BYTES: usize = 16384;
/// Copies of the table.
pub const VOLTAB_COPIES: usize = 4;
/// Logical sectors of all copies together (64 KiB).
pub const VOLTAB_SECTORS: u32 = 128;
/// Logical sectors of one copy.
pub const VOLTAB_COPY_SECTORS: u32 = 32;
/// Most segment entries nwvol writes or reads in one table.
pub const MAX_SEGMENT_ENTRIES: usize = 64;
/// Bytes of a segment entry.
pub const SEGMENT_ENTRY_BYTES: usize = 60;
/// The table's signature.
pub const VOLTAB_MAGIC: &[u8; 16] = b"NetWare Volumes\0";
/// nwvol's extension magic.
pub const VTX_MAGIC: &[u8; 8] = b"NWVOLVTX";
/// nwvol's extension version: 2 adds volume extension records. A table
/// without records is written as version 1, so that version-1 readers
/// still open it.
pub const VTX_VERSION: u32 = 2;
/// The extension version of a table without volume extension records.
pub const VTX_VERSION_NO_RECORDS: u32 = 1;
/// Bytes of one volume extension record.
pub const VOLUME_RECORD_BYTES: usize = 64;
/// Most volume extension records in one table (one per volume kind; a
/// table names at most 64 volumes).
pub const MAX_VOLUME_RECORDS: usize = 64;
/// Record kind: the volume keeps block checksums (FORMAT.md "Block
/// checksums").
pub const RECORD_KIND_CHECKSUMS: u16 = 1;
/// Record version nwvol writes and reads.
pub const RECORD_VERSION: u16 = 1;
/// Checksum algorithm 1: CRC32 (IEEE) of the whole block.
pub const CHECKSUM_ALGO_CRC32: u32 = 1;
/// Bytes of one block's checksum entry.
pub const CHECKSUM_ENTRY_BYTES: u32 = 4;
/// Offset of nwvol's extension in a copy.
pub const VTX_OFFSET: usize = 8192;
/// Shortest volume name.
pub const MIN_VOLUME_NAME: usize = 2;
/// Longest volume name.
pub const MAX_VOLUME_NAME: usize = 15;
/// What a segment's first sector counts on top of its logical sector: the
/// hot-fix area start, as NetWare counts "as if the pool were absent".
pub const SEGMENT_SECTOR_BIAS: u32 = 32;

const O_COUNT: usize = 16;
const O_ENTRIES: usize = 32;
const O_VTX_VERSION: usize = VTX_OFFSET + 8;
const O_VTX_CRC1: usize = VTX_OFFSET + 12;
const O_VTX_RECORDS: usize = VTX_OFFSET + 16;
const O_VTX_RECORD0: usize = VTX_OFFSET + 32;
const O_VTX_CRC2: usize = VOLTAB_COPY_BYTES - 4;

// Volume extension record offsets.
const R_NAME_LEN: usize = 0;
const R_NAME: usize = 1;
const R_KIND: usize = 20;
const R_VERSION: usize = 22;
const R_FLAGS: usize = 24;
const R_ALGO: usize = 28;
const R_ENTRY_BYTES: usize = 32;

// Segment entry offsets.
const S_NAME_LEN: usize = 0;
const S_NAME: usize = 1;
const S_NAME_FIELD: usize = 19;
const S_SEGMENT: usize = 22;
const S_FIRST_SECTOR: usize = 24;
const S_SECTORS: usize = 28;
const S_TOTAL_BLOCKS: usize = 32;
const S_FIRST_BLOCK: usize = 36;
const S_BLOCK_CODE: usize = 44;
const S_DIR_BLOCK: usize = 48;
const S_DIR_COPY_BLOCK: usize = 52;

/// Block size in bytes for a block-size code; None for an unknown code.
/// Codes 256 (1 KiB) and 128 (2 KiB) are known but read-only.
pub fn block_size_for_code(code: u32) -> Option<u32> {
    match code {
        256 | 128 | 64 | 32 | 16 | 8 | 4 => Some(256 * 1024 / code),
        _ => None,
    }
}

/// The code for a block size nwvol writes (4-64 KiB); None otherwise.
pub fn block_code_for(block_size: u32) -> Option<u32> {
    match block_size {
        4096 | 8192 | 16384 | 32768 | 65536 => Some(256 * 1024 / block_size),
        _ => None,
    }
}

/// True for a block-size code nwvol writes (not the read-only 1/2 KiB).
pub fn block_code_writable(code: u32) -> bool {
    matches!(code, 64 | 32 | 16 | 8 | 4)
}

fn volume_name_char(c: u8) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || b"_-$#@!%&()".contains(&c)
}

/// Checks a volume name given by a user: returns it upper-cased, 2-15
/// characters of `A-Z 0-9 _ - $ # @ ! % & ( )`.
pub fn validate_volume_name(name: &str) -> Result<String, LayoutError> {
    let up = name.to_ascii_uppercase();
    let s = format!("volume name {name:?}");
    if !(MIN_VOLUME_NAME..=MAX_VOLUME_NAME).contains(&up.len()) {
        return Err(corrupt(
            s,
            "length",
            format!(
                "{} characters, expected {MIN_VOLUME_NAME}-{MAX_VOLUME_NAME}",
                up.chars().count()
            ),
        ));
    }
    if let Some(c) = up
        .chars()
        .find(|&c| !c.is_ascii() || !volume_name_char(c as u8))
    {
        return Err(corrupt(
            s,
            "name",
            format!("{c:?} is not allowed (A-Z 0-9 _ - $ # @ ! % & ( ))"),
        ));
    }
    Ok(up)
}

/// One segment entry: a piece of a volume held by this logical partition.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SegmentEntry {
    /// Volume name, upper case.
    pub name: String,
    /// Segment number within the volume (0 first).
    pub segment: u16,
    /// First sector as NetWare counts it: logical sector + 32.
    pub first_sector: u32,
    /// Sectors of the segment.
    pub sectors: u32,
    /// Blocks of the whole volume.
    pub total_blocks: u32,
    /// First volume block held by this segment.
    pub first_block: u32,
    /// Block-size code: block size = 256 KiB / code.
    pub block_code: u32,
    /// First block of the directory table.
    pub dir_block: u32,
    /// First block of the directory table's copy.
    pub dir_copy_block: u32,
}

impl SegmentEntry {
    /// Block size in bytes; 0 for an unknown code.
    pub fn block_size(&self) -> u32 {
        block_size_for_code(self.block_code).unwrap_or(0)
    }

    /// Sectors per block; 0 for an unknown code.
    pub fn sectors_per_block(&self) -> u32 {
        self.block_size() / SECTOR as u32
    }

    /// Blocks of this segment: sectors / sectors per block.
    pub fn blocks(&self) -> u32 {
        self.sectors
            .checked_div(self.sectors_per_block())
            .unwrap_or(0)
    }

    /// Logical sector where the segment starts (`first_sector - 32`).
    pub fn logical_first_sector(&self) -> u32 {
        self.first_sector.saturating_sub(SEGMENT_SECTOR_BIAS)
    }

    /// True when volume block `block` lies in this segment.
    pub fn holds_block(&self, block: u32) -> bool {
        block >= self.first_block && block - self.first_block < self.blocks()
    }

    /// The entry's 60 bytes.
    pub fn encode(&self) -> [u8; SEGMENT_ENTRY_BYTES] {
        let mut b = [0u8; SEGMENT_ENTRY_BYTES];
        let name = self.name.as_bytes();
        let n = name.len().min(S_NAME_FIELD);
        b[S_NAME_LEN] = n as u8;
        b[S_NAME..S_NAME + n].copy_from_slice(&name[..n]);
        put16(&mut b, S_SEGMENT, self.segment);
        put32(&mut b, S_FIRST_SECTOR, self.first_sector);
        put32(&mut b, S_SECTORS, self.sectors);
        put32(&mut b, S_TOTAL_BLOCKS, self.total_blocks);
        put32(&mut b, S_FIRST_BLOCK, self.first_block);
        put32(&mut b, S_BLOCK_CODE, self.block_code);
        put32(&mut b, S_DIR_BLOCK, self.dir_block);
        put32(&mut b, S_DIR_COPY_BLOCK, self.dir_copy_block);
        b
    }

    /// Decodes an entry: name length 2-15, valid name characters, a known
    /// block-size code. Sizes are checked by [`VolumeTable::validate`].
    pub fn decode(b: &[u8]) -> Result<SegmentEntry, LayoutError> {
        let s = "volume table entry";
        let b = need(b, SEGMENT_ENTRY_BYTES, s)?;
        let len = usize::from(b[S_NAME_LEN]);
        if !(MIN_VOLUME_NAME..=MAX_VOLUME_NAME).contains(&len) {
            return Err(corrupt(
                s,
                "name length",
                format!("{len}, expected {MIN_VOLUME_NAME}-{MAX_VOLUME_NAME}"),
            ));
        }
        let raw = &b[S_NAME..S_NAME + len];
        if let Some(&c) = raw.iter().find(|&&c| !volume_name_char(c)) {
            return Err(corrupt(
                s,
                "name",
                format!(
                    "byte {c:#04x} in {:?} is not allowed",
                    String::from_utf8_lossy(raw)
                ),
            ));
        }
        let block_code = le32(b, S_BLOCK_CODE);
        if block_size_for_code(block_code).is_none() {
            return Err(corrupt(
                s,
                "block-size code",
                format!("{block_code}, expected 256, 128, 64, 32, 16, 8 or 4"),
            ));
        }
        Ok(SegmentEntry {
            // Checked above: ASCII only.
            name: raw.iter().map(|&c| char::from(c)).collect(),
            segment: le16(b, S_SEGMENT),
            first_sector: le32(b, S_FIRST_SECTOR),
            sectors: le32(b, S_SECTORS),
            total_blocks: le32(b, S_TOTAL_BLOCKS),
            first_block: le32(b, S_FIRST_BLOCK),
            block_code,
            dir_block: le32(b, S_DIR_BLOCK),
            dir_copy_block: le32(b, S_DIR_COPY_BLOCK),
        })
    }

    /// Checks the entry on its own against the logical partition size.
    fn validate(&self, data_sectors: u32, s: &str) -> Result<(), LayoutError> {
        let up = validate_volume_name(&self.name).map_err(|e| e.in_structure(s))?;
        if up != self.name {
            return Err(corrupt(s, "name", "not upper case"));
        }
        if block_size_for_code(self.block_code).is_none() {
            return Err(corrupt(s, "block-size code", self.block_code.to_string()));
        }
        let min_first = SEGMENT_SECTOR_BIAS + VOLTAB_SECTORS;
        if self.first_sector < min_first {
            return Err(corrupt(
                s,
                "first sector",
                format!(
                    "{}, inside the volume table (data starts at {min_first})",
                    self.first_sector
                ),
            ));
        }
        let end = u64::from(self.logical_first_sector()) + u64::from(self.sectors);
        if end > u64::from(data_sectors) {
            return Err(corrupt(
                s,
                "size",
                format!(
                    "{} sectors from logical sector {} end at {end}, past the {data_sectors} data sectors",
                    self.sectors,
                    self.logical_first_sector()
                ),
            ));
        }
        let blocks = self.blocks();
        if blocks == 0 {
            return Err(corrupt(
                s,
                "size",
                format!(
                    "{} sectors, less than one {}-byte block",
                    self.sectors,
                    self.block_size()
                ),
            ));
        }
        if self.first_block >= self.total_blocks {
            return Err(corrupt(
                s,
                "first block",
                format!(
                    "{}, not below the volume's {} blocks",
                    self.first_block, self.total_blocks
                ),
            ));
        }
        if blocks > self.total_blocks - self.first_block {
            return Err(corrupt(
                s,
                "size",
                format!(
                    "{blocks} blocks from block {} run past the volume's {} blocks",
                    self.first_block, self.total_blocks
                ),
            ));
        }
        if self.dir_block >= self.total_blocks {
            return Err(corrupt(
                s,
                "directory block",
                format!(
                    "{}, not below the volume's {} blocks",
                    self.dir_block, self.total_blocks
                ),
            ));
        }
        if self.dir_copy_block >= self.total_blocks {
            return Err(corrupt(
                s,
                "directory copy block",
                format!(
                    "{}, not below the volume's {} blocks",
                    self.dir_copy_block, self.total_blocks
                ),
            ));
        }
        Ok(())
    }
}

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
        let name = self.name.as_bytes();
        let n = name.len().min(S_NAME_FIELD);
        b[R_NAME_LEN] = n as u8;
        b[R_NAME..R_NAME + n].copy_from_slice(&name[..n]);
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
        let len = usize::from(b[R_NAME_LEN]);
        if !(MIN_VOLUME_NAME..=MAX_VOLUME_NAME).contains(&len) {
            return Err(corrupt(
                s,
                "name length",
                format!("{len}, expected {MIN_VOLUME_NAME}-{MAX_VOLUME_NAME}"),
            ));
        }
        let raw = &b[R_NAME..R_NAME + len];
        if let Some(&c) = raw.iter().find(|&&c| !volume_name_char(c)) {
            return Err(corrupt(s, "name", format!("byte {c:#04x} is not allowed")));
        }
        if b[R_NAME + len..R_KIND].iter().any(|&c| c != 0) {
            return Err(corrupt(s, "name", "not zero padded"));
        }
        let kind = le16(b, R_KIND);
        if kind != RECORD_KIND_CHECKSUMS {
            if kind == 0 {
                return Err(corrupt(s, "kind", "0"));
            }
            return Err(unsupported(s, "kind", kind.to_string()));
        }
        check_version(
            u64::from(le16(b, R_VERSION)),
            u64::from(RECORD_VERSION),
            s,
            "record version",
        )?;
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
        if entry != CHECKSUM_ENTRY_BYTES {
            return Err(corrupt(
                s,
                "entry size",
                format!("{entry}, expected {CHECKSUM_ENTRY_BYTES}"),
            ));
        }
        if b[R_ENTRY_BYTES + 4..].iter().any(|&c| c != 0) {
            return Err(corrupt(s, "reserved", "not zero"));
        }
        Ok(VolumeRecord {
            name: raw.iter().map(|&c| char::from(c)).collect(),
            kind: RecordKind::BlockChecksums,
        })
    }
}

/// One copy of the volume definition table.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct VolumeTable {
    /// The segment entries held by this logical partition.
    pub entries: Vec<SegmentEntry>,
    /// True when nwvol's `NWVOLVTX` extension is present (and valid).
    pub nwvol: bool,
    /// The extension's volume extension records (none without it).
    pub records: Vec<VolumeRecord>,
}

impl VolumeTable {
    /// The copy's 16384 bytes, always with nwvol's extension and its CRCs.
    ///
    /// # Panics
    /// With more than [`MAX_SEGMENT_ENTRIES`] entries or
    /// [`MAX_VOLUME_RECORDS`] records.
    pub fn encode(&self) -> Vec<u8> {
        assert!(
            self.entries.len() <= MAX_SEGMENT_ENTRIES,
            "more than {MAX_SEGMENT_ENTRIES} volume segment entries"
        );
        assert!(
            self.records.len() <= MAX_VOLUME_RECORDS,
            "more than {MAX_VOLUME_RECORDS} volume extension records"
        );
        let mut b = vec![0u8; VOLTAB_COPY_BYTES];
        b[..16].copy_from_slice(VOLTAB_MAGIC);
        put32(&mut b, O_COUNT, self.entries.len() as u32);
        for (i, e) in self.entries.iter().enumerate() {
            let o = O_ENTRIES + i * SEGMENT_ENTRY_BYTES;
            b[o..o + SEGMENT_ENTRY_BYTES].copy_from_slice(&e.encode());
        }
        b[VTX_OFFSET..VTX_OFFSET + 8].copy_from_slice(VTX_MAGIC);
        let version = if self.records.is_empty() {
            VTX_VERSION_NO_RECORDS
        } else {
            VTX_VERSION
        };
        put32(&mut b, O_VTX_VERSION, version);
        let crc1 = crc32(&b[..VTX_OFFSET]);
        put32(&mut b, O_VTX_CRC1, crc1);
        put32(&mut b, O_VTX_RECORDS, self.records.len() as u32);
        for (i, r) in self.records.iter().enumerate() {
            let o = O_VTX_RECORD0 + i * VOLUME_RECORD_BYTES;
            b[o..o + VOLUME_RECORD_BYTES].copy_from_slice(&r.encode());
        }
        // The second CRC covers the extension from its magic on.
        let crc2 = crc32(&b[VTX_OFFSET..O_VTX_CRC2]);
        put32(&mut b, O_VTX_CRC2, crc2);
        b
    }

    /// Decodes one copy (the first 16384 bytes of `b`): signature, entry
    /// count (at most 64), each entry, and nwvol's extension when its magic
    /// is there (CRCs, version, records: none in version 1, at most 64 in
    /// version 2). A table without the extension decodes with `nwvol ==
    /// false` and no records.
    pub fn decode(b: &[u8]) -> Result<VolumeTable, LayoutError> {
        let s = "volume table";
        let b = need(b, VOLTAB_COPY_BYTES, s)?;
        if &b[..16] != VOLTAB_MAGIC {
            return Err(corrupt(s, "signature", "not \"NetWare Volumes\""));
        }
        let nwvol = &b[VTX_OFFSET..VTX_OFFSET + 8] == VTX_MAGIC;
        let mut records = Vec::new();
        if nwvol {
            check_crc(b, VTX_OFFSET, O_VTX_CRC2, s, "extension CRC")?;
            check_version(
                u64::from(le32(b, O_VTX_VERSION)),
                u64::from(VTX_VERSION),
                s,
                "extension version",
            )?;
            let want = le32(b, O_VTX_CRC1);
            let got = crc32(&b[..VTX_OFFSET]);
            if want != got {
                return Err(corrupt(
                    s,
                    "table CRC",
                    format!("stored {want:#010x}, computed {got:#010x}"),
                ));
            }
            let version = le32(b, O_VTX_VERSION);
            let count = le32(b, O_VTX_RECORDS);
            if version == VTX_VERSION_NO_RECORDS && count != 0 {
                return Err(corrupt(
                    s,
                    "extension record count",
                    format!("{count}, version 1 has none"),
                ));
            }
            if count as usize > MAX_VOLUME_RECORDS {
                return Err(corrupt(
                    s,
                    "extension record count",
                    format!("{count}, more than {MAX_VOLUME_RECORDS}"),
                ));
            }
            for i in 0..count as usize {
                let o = O_VTX_RECORD0 + i * VOLUME_RECORD_BYTES;
                let r = VolumeRecord::decode(&b[o..o + VOLUME_RECORD_BYTES])
                    .map_err(|e| e.in_structure(format!("volume extension record {i}")))?;
                records.push(r);
            }
        }
        let count = le32(b, O_COUNT);
        if count as usize > MAX_SEGMENT_ENTRIES {
            return Err(corrupt(
                s,
                "entry count",
                format!("{count}, more than {MAX_SEGMENT_ENTRIES}"),
            ));
        }
        let entries = (0..count as usize)
            .map(|i| {
                let o = O_ENTRIES + i * SEGMENT_ENTRY_BYTES;
                SegmentEntry::decode(&b[o..o + SEGMENT_ENTRY_BYTES])
                    .map_err(|e| e.in_structure(format!("volume table entry {i}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(VolumeTable {
            entries,
            nwvol,
            records,
        })
    }

    /// True when this table's records say volume `name` keeps block
    /// checksums.
    pub fn has_checksums(&self, name: &str) -> bool {
        self.records
            .iter()
            .any(|r| r.name == name && r.kind == RecordKind::BlockChecksums)
    }

    /// Checks every entry against the logical partition of `data_sectors`:
    /// valid names and codes, inside the data area, sizes within the
    /// volume's blocks, directory blocks inside the volume; and across the
    /// table: no two entries overlap or name the same volume segment.
    pub fn validate(&self, data_sectors: u32) -> Result<(), LayoutError> {
        let name = |i: usize, e: &SegmentEntry| format!("volume table entry {i} ({})", e.name);
        if self.entries.len() > MAX_SEGMENT_ENTRIES {
            return Err(corrupt(
                "volume table",
                "entry count",
                format!("{}, more than {MAX_SEGMENT_ENTRIES}", self.entries.len()),
            ));
        }
        for (i, e) in self.entries.iter().enumerate() {
            e.validate(data_sectors, &name(i, e))?;
        }
        for (i, r) in self.records.iter().enumerate() {
            let s = format!("volume extension record {i} ({})", r.name);
            if !self.entries.iter().any(|e| e.name == r.name) {
                return Err(corrupt(
                    s,
                    "name",
                    "no segment of this volume is in the table",
                ));
            }
            if let Some(j) = self.records[..i].iter().position(|o| o == r) {
                return Err(corrupt(s, "kind", format!("same as record {j}")));
            }
        }
        for (i, e) in self.entries.iter().enumerate() {
            for (j, o) in self.entries.iter().enumerate().take(i) {
                if e.name == o.name && e.segment == o.segment {
                    return Err(corrupt(
                        name(i, e),
                        "segment number",
                        format!("segment {} of {} is also entry {j}", e.segment, e.name),
                    ));
                }
                let (a0, a1) = (
                    e.first_sector,
                    u64::from(e.first_sector) + u64::from(e.sectors),
                );
                let (b0, b1) = (
                    o.first_sector,
                    u64::from(o.first_sector) + u64::from(o.sectors),
                );
                if u64::from(a0) < b1 && u64::from(b0) < a1 {
                    return Err(corrupt(
                        name(i, e),
                        "first sector",
                        format!(
                            "sectors {a0}..{a1} overlap entry {j} ({}, {b0}..{b1})",
                            o.name
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Checks the segments of one volume, gathered from every logical partition
/// holding one (in any order): one name; the same total blocks, block-size
/// code and directory blocks; segment numbers 0..k-1 without gaps or
/// repeats; first blocks that continue each other without gap or overlap
/// from block 0; and the last segment ending at the volume's total blocks
/// (fewer means a segment is missing).
pub fn check_volume_segments(entries: &[&SegmentEntry]) -> Result<(), LayoutError> {
    let Some(first) = entries.first() else {
        return Err(corrupt("volume", "segments", "none"));
    };
    let s = format!("volume {}", first.name);
    let mut sorted: Vec<&SegmentEntry> = entries.to_vec();
    sorted.sort_by_key(|e| e.segment);
    for e in &sorted {
        let seg = || format!("volume {} segment {}", first.name, e.segment);
        if e.name != first.name {
            return Err(corrupt(
                &*s,
                "name",
                format!("segment {} is of volume {}", e.segment, e.name),
            ));
        }
        let same = [
            ("total blocks", e.total_blocks, first.total_blocks),
            ("block-size code", e.block_code, first.block_code),
            ("directory block", e.dir_block, first.dir_block),
            (
                "directory copy block",
                e.dir_copy_block,
                first.dir_copy_block,
            ),
        ];
        for (field, got, want) in same {
            if got != want {
                return Err(corrupt(
                    seg(),
                    field,
                    format!("{got}, but segment {} has {want}", first.segment),
                ));
            }
        }
    }
    let mut next_block: u64 = 0;
    for (i, e) in sorted.iter().enumerate() {
        let seg = format!("volume {} segment {}", first.name, e.segment);
        if usize::from(e.segment) != i {
            let why = if i > 0 && sorted[i - 1].segment == e.segment {
                format!("segment {} appears twice", e.segment)
            } else {
                format!("segment {i} is missing")
            };
            return Err(corrupt(seg, "segment number", why));
        }
        if u64::from(e.first_block) != next_block {
            return Err(corrupt(
                seg,
                "first block",
                format!(
                    "{}, expected {next_block} (where the previous segment ends)",
                    e.first_block
                ),
            ));
        }
        next_block += u64::from(e.blocks());
    }
    let total = u64::from(first.total_blocks);
    if next_block != total {
        let why = if next_block < total {
            format!("the segments hold blocks 0..{next_block} of {total}: a segment is missing")
        } else {
            format!("the segments hold {next_block} blocks, more than the volume's {total}")
        };
        return Err(corrupt(s, "total blocks", why));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry() -> impl Strategy<Value = SegmentEntry> {
        (
            "[A-Z0-9_$#@!%&()-]{2,15}",
            any::<u16>(),
            (any::<u32>(), any::<u32>(), any::<u32>(), any::<u32>()),
            prop::sample::select(vec![256u32, 128, 64, 32, 16, 8, 4]),
            any::<u32>(),
            any::<u32>(),
        )
            .prop_map(
                |(
                    name,
                    segment,
                    (first_sector, sectors, total_blocks, first_block),
                    block_code,
                    dir_block,
                    dir_copy_block,
                )| {
                    SegmentEntry {
                        name,
                        segment,
                        first_sector,
                        sectors,
                        total_blocks,
                        first_block,
                        block_code,
                        dir_block,
                        dir_copy_block,
                    }
                },
            )
    }

    proptest! {
        #[test]
        fn round_trip(
            entries in proptest::collection::vec(entry(), 0..=64),
            names in proptest::collection::vec("[A-Z0-9_$#@!%&()-]{2,15}", 0..=64),
        ) {
            let records: Vec<VolumeRecord> = names.iter().map(|n| VolumeRecord::checksums(n)).collect();
            let t = VolumeTable { entries, nwvol: true, records };
            let b = t.encode();
            prop_assert_eq!(b.len(), VOLTAB_COPY_BYTES);
            // Version 1 unless there are records, so version-1 readers
            // still open tables without them.
            let want = if t.records.is_empty() { 1u32 } else { 2 };
            prop_assert_eq!(u32::from_le_bytes(b[8200..8204].try_into().unwrap()), want);
            prop_assert_eq!(VolumeTable::decode(&b).unwrap(), t);
        }

        #[test]
        fn record_decode_never_panics(v in proptest::collection::vec(any::<u8>(), 0..70)) {
            let _ = VolumeRecord::decode(&v);
        }

        #[test]
        fn random_bytes_never_panic(v in proptest::collection::vec(any::<u8>(), 16384), n in 0u32..80, vtx in any::<bool>()) {
            let mut b = v;
            let r = VolumeTable::decode(&b);
            if &b[..16] != VOLTAB_MAGIC {
                prop_assert_eq!(r.unwrap_err().field(), "signature");
            }
            // With a signature and a plausible count the entries get decoded.
            b[..16].copy_from_slice(VOLTAB_MAGIC);
            b[16..20].copy_from_slice(&n.to_le_bytes());
            if vtx {
                b[8192..8200].copy_from_slice(VTX_MAGIC);
            }
            if let Ok(t) = VolumeTable::decode(&b) {
                let _ = t.validate(u32::MAX);
                let refs: Vec<&SegmentEntry> = t.entries.iter().collect();
                let _ = check_volume_segments(&refs);
            }
        }

        #[test]
        fn entry_decode_never_panics(v in proptest::collection::vec(any::<u8>(), 0..70)) {
            let _ = SegmentEntry::decode(&v);
        }
    }

    fn sys(
        segment: u16,
        first_sector: u32,
        sectors: u32,
        first_block: u32,
        total: u32,
    ) -> SegmentEntry {
        SegmentEntry {
            name: "SYS".into(),
            segment,
            first_sector,
            sectors,
            total_blocks: total,
            first_block,
            block_code: 64,
            dir_block: 2,
            dir_copy_block: 3,
        }
    }

    #[test]
    fn golden_offsets() {
        let mut b = vec![0u8; 16384];
        b[..16].copy_from_slice(b"NetWare Volumes\0");
        b[16..20].copy_from_slice(&1u32.to_le_bytes());
        let e = &mut b[32..92];
        e[0] = 3;
        e[1..4].copy_from_slice(b"SYS");
        e[22..24].copy_from_slice(&0u16.to_le_bytes());
        e[24..28].copy_from_slice(&160u32.to_le_bytes());
        e[28..32].copy_from_slice(&8000u32.to_le_bytes());
        e[32..36].copy_from_slice(&1000u32.to_le_bytes());
        e[36..40].copy_from_slice(&0u32.to_le_bytes());
        e[44..48].copy_from_slice(&64u32.to_le_bytes());
        e[48..52].copy_from_slice(&2u32.to_le_bytes());
        e[52..56].copy_from_slice(&3u32.to_le_bytes());
        // Plain NetWare: no extension.
        let want = VolumeTable {
            entries: vec![sys(0, 160, 8000, 0, 1000)],
            nwvol: false,
            records: vec![],
        };
        let t = VolumeTable::decode(&b).unwrap();
        assert_eq!(t, want);
        assert!(t.validate(128 + 8000).is_ok());
        // With the extension, as nwvol writes it.
        b[8192..8200].copy_from_slice(b"NWVOLVTX");
        b[8200..8204].copy_from_slice(&1u32.to_le_bytes());
        let crc1 = crc32fast::hash(&b[..8192]);
        b[8204..8208].copy_from_slice(&crc1.to_le_bytes());
        let crc2 = crc32fast::hash(&b[8192..16380]);
        b[16380..].copy_from_slice(&crc2.to_le_bytes());
        let want = VolumeTable {
            nwvol: true,
            records: vec![],
            ..want
        };
        assert_eq!(VolumeTable::decode(&b).unwrap(), want);
        assert_eq!(want.encode(), b);
        // The nwvol flag does not change what is written.
        assert_eq!(
            VolumeTable {
                nwvol: false,
                records: vec![],
                ..want
            }
            .encode(),
            b
        );
    }

    fn table_with(edit: impl Fn(&mut Vec<u8>)) -> LayoutError {
        let mut b = VolumeTable {
            entries: vec![sys(0, 160, 8000, 0, 1000)],
            nwvol: true,
            records: vec![],
        }
        .encode();
        edit(&mut b);
        // Re-seal both CRCs so that the field check is reached.
        let crc1 = crc32fast::hash(&b[..8192]);
        b[8204..8208].copy_from_slice(&crc1.to_le_bytes());
        let crc2 = crc32fast::hash(&b[8192..16380]);
        b[16380..].copy_from_slice(&crc2.to_le_bytes());
        VolumeTable::decode(&b).unwrap_err()
    }

    #[test]
    fn field_corruption() {
        let put = |b: &mut Vec<u8>, o: usize, v: u32| b[o..o + 4].copy_from_slice(&v.to_le_bytes());
        assert_eq!(table_with(|b| b[3] = b'x').field(), "signature");
        assert_eq!(table_with(|b| put(b, 16, 65)).field(), "entry count");
        let e = table_with(|b| put(b, 16, 2));
        assert_eq!(
            (e.field(), e.structure()),
            ("name length", "volume table entry 1")
        );
        let e = table_with(|b| b[32] = 1);
        assert_eq!(
            (e.field(), e.structure()),
            ("name length", "volume table entry 0")
        );
        assert_eq!(table_with(|b| b[32] = 16).field(), "name length");
        assert_eq!(table_with(|b| b[33] = b's').field(), "name");
        assert_eq!(table_with(|b| b[34] = b' ').field(), "name");
        assert_eq!(
            table_with(|b| put(b, 32 + 44, 2)).field(),
            "block-size code"
        );
        assert_eq!(
            table_with(|b| put(b, 32 + 44, 0)).field(),
            "block-size code"
        );
        assert_eq!(table_with(|b| put(b, 8200, 0)).field(), "extension version");
        assert!(matches!(
            table_with(|b| put(b, 8200, 3)),
            LayoutError::Unsupported { .. }
        ));
        assert_eq!(
            table_with(|b| put(b, 8208, 1)).field(),
            "extension record count"
        );
        // CRCs, without re-sealing.
        let good = VolumeTable {
            entries: vec![sys(0, 160, 8000, 0, 1000)],
            nwvol: true,
            records: vec![],
        }
        .encode();
        let mut b = good.clone();
        b[5000] = 1;
        assert_eq!(VolumeTable::decode(&b).unwrap_err().field(), "table CRC");
        let mut b = good.clone();
        b[9000] = 1;
        assert_eq!(
            VolumeTable::decode(&b).unwrap_err().field(),
            "extension CRC"
        );
        assert_eq!(
            VolumeTable::decode(&good[..16383]).unwrap_err().field(),
            "length"
        );
        // Without the magic, damage beyond byte 8192 is ignored.
        let mut b = good;
        b[8192] = 0;
        b[9000] = 1;
        assert!(!VolumeTable::decode(&b).unwrap().nwvol);
    }

    #[test]
    fn volume_records() {
        // Golden bytes of a "block checksums" record.
        let r = VolumeRecord::checksums("SYS").encode();
        let mut want = [0u8; 64];
        want[0] = 3;
        want[1..4].copy_from_slice(b"SYS");
        want[20..22].copy_from_slice(&1u16.to_le_bytes());
        want[22..24].copy_from_slice(&1u16.to_le_bytes());
        want[28..32].copy_from_slice(&1u32.to_le_bytes());
        want[32..36].copy_from_slice(&4u32.to_le_bytes());
        assert_eq!(r, want);
        let t = VolumeTable {
            entries: vec![sys(0, 160, 8000, 0, 1000)],
            nwvol: true,
            records: vec![VolumeRecord::checksums("SYS")],
        };
        let b = t.encode();
        assert_eq!(&b[8200..8204], &2u32.to_le_bytes());
        assert_eq!(&b[8208..8212], &1u32.to_le_bytes());
        assert_eq!(&b[8224..8288], &want);
        let back = VolumeTable::decode(&b).unwrap();
        assert!(back.has_checksums("SYS") && !back.has_checksums("VOL1"));
        assert!(back.validate(9000).is_ok());
        // Field damage inside the record (CRCs re-sealed).
        let put16 =
            |b: &mut Vec<u8>, o: usize, v: u16| b[o..o + 2].copy_from_slice(&v.to_le_bytes());
        let put = |b: &mut Vec<u8>, o: usize, v: u32| b[o..o + 4].copy_from_slice(&v.to_le_bytes());
        let with = |edit: &dyn Fn(&mut Vec<u8>)| {
            let mut b = t.encode();
            edit(&mut b);
            let crc2 = crc32fast::hash(&b[8192..16380]);
            b[16380..].copy_from_slice(&crc2.to_le_bytes());
            VolumeTable::decode(&b)
        };
        let err = |edit: &dyn Fn(&mut Vec<u8>)| with(edit).unwrap_err();
        let e = err(&|b| put16(b, 8224 + 20, 2));
        assert!(matches!(e, LayoutError::Unsupported { .. }), "{e}");
        assert_eq!(
            (e.field(), e.structure()),
            ("kind", "volume extension record 0")
        );
        assert_eq!(err(&|b| put16(b, 8224 + 20, 0)).field(), "kind");
        assert!(matches!(
            err(&|b| put16(b, 8224 + 22, 2)),
            LayoutError::Unsupported { .. }
        ));
        assert_eq!(err(&|b| put16(b, 8224 + 22, 0)).field(), "record version");
        assert!(matches!(
            err(&|b| put(b, 8224 + 24, 1)),
            LayoutError::Unsupported { .. }
        ));
        assert!(matches!(
            err(&|b| put(b, 8224 + 28, 2)),
            LayoutError::Unsupported { .. }
        ));
        assert_eq!(err(&|b| put(b, 8224 + 28, 0)).field(), "algorithm");
        assert_eq!(err(&|b| put(b, 8224 + 32, 8)).field(), "entry size");
        assert_eq!(err(&|b| b[8224 + 40] = 1).field(), "reserved");
        assert_eq!(err(&|b| b[8224] = 1).field(), "name length");
        assert_eq!(err(&|b| b[8224 + 1] = b's').field(), "name");
        assert_eq!(err(&|b| b[8224 + 5] = b'X').field(), "name");
        assert_eq!(err(&|b| put(b, 8208, 65)).field(), "extension record count");
        // A record count of 0 in version 2 is fine; records in version 1 are not.
        assert!(with(&|b| put(b, 8208, 0)).unwrap().records.is_empty());
        assert_eq!(err(&|b| put(b, 8200, 1)).field(), "extension record count");
        // Across the table: the record must name a volume of the table,
        // once.
        let mut other = t.clone();
        other.records[0].name = "VOL1".into();
        assert_eq!(other.validate(9000).unwrap_err().field(), "name");
        let mut twice = t.clone();
        twice.records.push(VolumeRecord::checksums("SYS"));
        assert_eq!(twice.validate(9000).unwrap_err().field(), "kind");
    }

    #[test]
    fn validate_entries() {
        let check = |entries: Vec<SegmentEntry>, d: u32| {
            VolumeTable {
                entries,
                nwvol: true,
                records: vec![],
            }
            .validate(d)
        };
        assert!(check(vec![sys(0, 160, 8000, 0, 1000)], 8128).is_ok());
        let e = check(vec![sys(0, 160, 8000, 0, 1000)], 8127).unwrap_err();
        assert_eq!(
            (e.field(), e.structure()),
            ("size", "volume table entry 0 (SYS)")
        );
        assert_eq!(
            check(vec![sys(0, 159, 8000, 0, 1000)], 9000)
                .unwrap_err()
                .field(),
            "first sector"
        );
        assert_eq!(
            check(vec![sys(0, 160, 7, 0, 1000)], 9000)
                .unwrap_err()
                .field(),
            "size"
        );
        assert_eq!(
            check(vec![sys(0, 160, 8000, 1000, 1000)], 9000)
                .unwrap_err()
                .field(),
            "first block"
        );
        assert_eq!(
            check(vec![sys(0, 160, 8000, 1, 1000)], 9000)
                .unwrap_err()
                .field(),
            "size"
        );
        let mut e = sys(0, 160, 8000, 0, 1000);
        e.dir_block = 1000;
        assert_eq!(
            check(vec![e.clone()], 9000).unwrap_err().field(),
            "directory block"
        );
        e.dir_block = 2;
        e.dir_copy_block = 1000;
        assert_eq!(
            check(vec![e.clone()], 9000).unwrap_err().field(),
            "directory copy block"
        );
        e.dir_copy_block = 3;
        e.name = "sys".into();
        assert_eq!(check(vec![e.clone()], 9000).unwrap_err().field(), "name");
        e.name = "S".into();
        assert_eq!(check(vec![e], 9000).unwrap_err().field(), "length");
        // Two entries overlapping, or the same segment twice.
        let mut vol = sys(0, 8160, 800, 0, 100);
        vol.name = "VOL1".into();
        assert!(check(vec![sys(0, 160, 8000, 0, 1000), vol.clone()], 9000).is_ok());
        vol.first_sector = 8152;
        let e = check(vec![sys(0, 160, 8000, 0, 1000), vol.clone()], 9000).unwrap_err();
        assert_eq!(
            (e.field(), e.structure()),
            ("first sector", "volume table entry 1 (VOL1)")
        );
        let e = check(
            vec![sys(0, 160, 80, 0, 1000), sys(0, 8160, 80, 0, 1000)],
            9000,
        )
        .unwrap_err();
        assert_eq!(e.field(), "segment number");
    }

    #[test]
    fn volume_segments() {
        let a = sys(0, 160, 800, 0, 250);
        let b = sys(1, 160, 1200, 100, 250);
        assert!(check_volume_segments(&[&a, &b]).is_ok());
        assert!(check_volume_segments(&[&b, &a]).is_ok(), "any order");
        assert_eq!(check_volume_segments(&[]).unwrap_err().field(), "segments");
        let e = check_volume_segments(&[&a]).unwrap_err();
        assert_eq!((e.field(), e.structure()), ("total blocks", "volume SYS"));
        assert!(e.to_string().contains("missing"), "{e}");
        let e = check_volume_segments(&[&b]).unwrap_err();
        assert_eq!(e.field(), "segment number");
        assert!(e.to_string().contains("segment 0 is missing"), "{e}");
        let e = check_volume_segments(&[&a, &a]).unwrap_err();
        assert!(e.to_string().contains("twice"), "{e}");
        let gap = SegmentEntry {
            first_block: 101,
            ..b.clone()
        };
        assert_eq!(
            check_volume_segments(&[&a, &gap]).unwrap_err().field(),
            "first block"
        );
        let overlap = SegmentEntry {
            first_block: 99,
            ..b.clone()
        };
        assert_eq!(
            check_volume_segments(&[&a, &overlap]).unwrap_err().field(),
            "first block"
        );
        let too_big = SegmentEntry {
            sectors: 1208,
            ..b.clone()
        };
        assert_eq!(
            check_volume_segments(&[&a, &too_big]).unwrap_err().field(),
            "total blocks"
        );
        for (field, edit) in [
            (
                "total blocks",
                (|e: &mut SegmentEntry| e.total_blocks = 251) as fn(&mut SegmentEntry),
            ),
            ("block-size code", |e| e.block_code = 32),
            ("directory block", |e| e.dir_block = 9),
            ("directory copy block", |e| e.dir_copy_block = 9),
            ("name", |e| e.name = "VOL1".into()),
        ] {
            let mut c = b.clone();
            edit(&mut c);
            assert_eq!(check_volume_segments(&[&a, &c]).unwrap_err().field(), field);
        }
    }

    #[test]
    fn names_and_codes() {
        assert_eq!(validate_volume_name("sys").unwrap(), "SYS");
        assert_eq!(
            validate_volume_name("Vol_1-$#@!%&()").unwrap(),
            "VOL_1-$#@!%&()"
        );
        assert_eq!(validate_volume_name("S").unwrap_err().field(), "length");
        assert_eq!(
            validate_volume_name("ABCDEFGHIJKLMNOP")
                .unwrap_err()
                .field(),
            "length"
        );
        assert_eq!(validate_volume_name("A B").unwrap_err().field(), "name");
        assert_eq!(validate_volume_name("A:B").unwrap_err().field(), "name");
        assert_eq!(validate_volume_name("ÄB").unwrap_err().field(), "name");
        assert_eq!(validate_volume_name("A.B").unwrap_err().field(), "name");
        for (size, code) in [(4096, 64), (8192, 32), (16384, 16), (32768, 8), (65536, 4)] {
            assert_eq!(block_code_for(size), Some(code));
            assert_eq!(block_size_for_code(code), Some(size));
            assert!(block_code_writable(code));
        }
        assert_eq!(block_code_for(1024), None);
        assert_eq!(block_code_for(5000), None);
        assert_eq!(block_size_for_code(256), Some(1024));
        assert_eq!(block_size_for_code(128), Some(2048));
        assert!(!block_code_writable(128));
        assert_eq!(block_size_for_code(3), None);
        let e = sys(1, 1160, 1200, 100, 250);
        assert_eq!(
            (e.block_size(), e.sectors_per_block(), e.blocks()),
            (4096, 8, 150)
        );
        assert_eq!(e.logical_first_sector(), 1128);
        assert!(
            e.holds_block(100) && e.holds_block(249) && !e.holds_block(99) && !e.holds_block(250)
        );
        let bad = SegmentEntry { block_code: 0, ..e };
        assert_eq!((bad.block_size(), bad.blocks()), (0, 0));
    }
}
