//! The volume definition table (FORMAT.md "Volume definition table"): one
//! 16 KiB copy, its 60-byte segment entries and nwvol's `NWVOLVTX`
//! extension with its volume extension records, plus the rules that tie the
//! segments of one volume together.
//!
//! The records are in files of their own: the segment entry
//! (`segment.rs`), the volume extension record (`record.rs`), checking a
//! volume name given by a user (`name.rs`), and the rule across logical
//! partitions that ties one volume's segments together
//! (`volume_segments.rs`); the table itself is here.

mod name;
mod record;
mod segment;
mod volume_segments;

pub use name::validate_volume_name;
pub use record::{RecordKind, VolumeRecord};
pub use segment::{SegmentEntry, block_code_for, block_code_writable, block_size_for_code};
pub use volume_segments::check_volume_segments;

use super::LayoutError;
use super::bytes::{check_crc, check_version, corrupt, crc32, le32, need, put32};

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
            check_version(le32(b, O_VTX_VERSION), VTX_VERSION, s, "extension version")?;
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

    /// A segment entry of volume SYS.
    pub(super) fn sys(
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
