//! The mirror header (copy sector +1 of the hot-fix area, FORMAT.md "Mirror
//! header"): NetWare's member list plus nwvol's mirror extension with the
//! group ID, event counter and one state record per member.

use std::fmt;

use super::LayoutError;
use super::SECTOR;
use super::bytes::{check_crc, check_version, corrupt, le32, le64, put32, put64, seal};
use super::time::DosTime;

/// Most members a mirror group has.
pub const MAX_MEMBERS: usize = 8;
/// Mirror header signature.
pub const MIRROR_MAGIC: &[u8; 8] = b"MIRROR00";
/// nwvol mirror extension magic.
pub const MIRROR_EXT_MAGIC: &[u8; 8] = b"NWVOLMIR";
/// nwvol mirror extension version.
pub const MIRROR_EXT_VERSION: u32 = 1;
/// Flags NetWare shows for a group of one member.
pub const FLAGS_SINGLE: u32 = 0x0009_0000;
/// Flags NetWare shows for a group of two or more members.
pub const FLAGS_MIRRORED: u32 = 0x000B_0000;
/// Member flag: the member's write-intent bits are meaningful for a resync.
pub const MEMBER_FLAG_WIB: u8 = 0x01;
/// Bytes of one member record.
pub const MEMBER_RECORD_BYTES: usize = 32;

const O_MAGIC: usize = 0;
const O_CREATED: usize = 8;
const O_FLAGS: usize = 12;
const O_MEMBER_IDS: usize = 32;
const O_EXT_MAGIC: usize = 64;
const O_EXT_VERSION: usize = 72;
const O_GROUP_ID: usize = 76;
const O_EVENTS: usize = 80;
const O_COUNT: usize = 88;
const O_RECORDS: usize = 96;
const O_CHECKPOINT_TIME: usize = 352;
const O_RATE: usize = 356;
const O_CRC: usize = 508;

// Member record offsets.
const R_ID: usize = 0;
const R_STATE: usize = 4;
const R_FLAGS: usize = 5;
const R_CHECKPOINT: usize = 8;
const R_PROGRESS: usize = 16;
const R_TOTAL: usize = 24;

const NAME: &str = "mirror header";

/// A member's state in its group.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberState {
    /// Holds the same logical partition as the group.
    InSync,
    /// Missed writes; needs a resync.
    OutOfSync,
    /// Being copied to (the checkpoint says how far).
    Remirroring,
    /// No longer a member.
    Removed,
}

impl MemberState {
    /// The state byte on disk.
    pub fn to_u8(self) -> u8 {
        match self {
            MemberState::InSync => 0,
            MemberState::OutOfSync => 1,
            MemberState::Remirroring => 2,
            MemberState::Removed => 3,
        }
    }

    /// The state of a byte on disk; None for values above 3.
    pub fn from_u8(v: u8) -> Option<MemberState> {
        Some(match v {
            0 => MemberState::InSync,
            1 => MemberState::OutOfSync,
            2 => MemberState::Remirroring,
            3 => MemberState::Removed,
            _ => return None,
        })
    }
}

impl fmt::Display for MemberState {
    /// "in sync", "out of sync", "remirroring", "removed".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            MemberState::InSync => "in sync",
            MemberState::OutOfSync => "out of sync",
            MemberState::Remirroring => "remirroring",
            MemberState::Removed => "removed",
        })
    }
}

/// One member's record in nwvol's mirror extension.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MemberRecord {
    /// The member's partition ID.
    pub id: u32,
    /// Its state.
    pub state: MemberState,
    /// Flags (`MEMBER_FLAG_WIB`).
    pub flags: u8,
    /// Logical bytes below which the member holds good data.
    pub checkpoint: u64,
    /// Bytes the whole remirror job has copied.
    pub progress: u64,
    /// Bytes the whole remirror job copies.
    pub total: u64,
}

impl MemberRecord {
    /// An in-sync member with no remirror in progress.
    pub fn in_sync(id: u32) -> MemberRecord {
        MemberRecord {
            id,
            state: MemberState::InSync,
            flags: 0,
            checkpoint: 0,
            progress: 0,
            total: 0,
        }
    }
}

/// nwvol's mirror extension: the group and its members' states.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MirrorExt {
    /// The group ID, the same on every member (non-zero).
    pub group_id: u32,
    /// Incremented each time the mirror table is rewritten.
    pub events: u64,
    /// When a remirror last saved its checkpoint (Unix seconds, low 32
    /// bits); 0 when none has.
    pub checkpoint_time: u32,
    /// The remirror's copy rate at that checkpoint, KiB/s.
    pub rate_kib: u32,
    /// The members, slot order (1..=8; slots 0..n-1 are the used ones).
    pub members: Vec<MemberRecord>,
}

impl MirrorExt {
    /// The record of the member with partition ID `id`.
    pub fn member(&self, id: u32) -> Option<&MemberRecord> {
        self.members.iter().find(|m| m.id == id)
    }
}

/// The mirror header.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct MirrorHeader {
    /// When the group was created.
    pub created: DosTime,
    /// NetWare's flags (`FLAGS_SINGLE` or `FLAGS_MIRRORED`).
    pub flags: u32,
    /// Partition IDs of the members by slot; 0 = empty slot.
    pub member_ids: [u32; MAX_MEMBERS],
    /// nwvol's extension; None on a plain NetWare partition.
    pub ext: Option<MirrorExt>,
}

impl MirrorHeader {
    /// The header for a group: member IDs and NetWare flags follow `ext`.
    ///
    /// # Panics
    /// When `ext` has more than [`MAX_MEMBERS`] members.
    pub fn new(created: DosTime, ext: MirrorExt) -> MirrorHeader {
        assert!(
            ext.members.len() <= MAX_MEMBERS,
            "more than 8 mirror members"
        );
        let mut member_ids = [0u32; MAX_MEMBERS];
        for (slot, m) in member_ids.iter_mut().zip(&ext.members) {
            *slot = m.id;
        }
        MirrorHeader {
            created,
            flags: if ext.members.len() > 1 {
                FLAGS_MIRRORED
            } else {
                FLAGS_SINGLE
            },
            member_ids,
            ext: Some(ext),
        }
    }

    /// The sector's bytes; with the extension, its CRC too.
    ///
    /// # Panics
    /// When the extension has more than [`MAX_MEMBERS`] members.
    pub fn encode(&self) -> [u8; SECTOR] {
        let mut b = [0u8; SECTOR];
        b[O_MAGIC..O_MAGIC + 8].copy_from_slice(MIRROR_MAGIC);
        put32(&mut b, O_CREATED, self.created.0);
        put32(&mut b, O_FLAGS, self.flags);
        for (i, id) in self.member_ids.iter().enumerate() {
            put32(&mut b, O_MEMBER_IDS + 4 * i, *id);
        }
        if let Some(x) = &self.ext {
            assert!(x.members.len() <= MAX_MEMBERS, "more than 8 mirror members");
            b[O_EXT_MAGIC..O_EXT_MAGIC + 8].copy_from_slice(MIRROR_EXT_MAGIC);
            put32(&mut b, O_EXT_VERSION, MIRROR_EXT_VERSION);
            put32(&mut b, O_GROUP_ID, x.group_id);
            put64(&mut b, O_EVENTS, x.events);
            put32(&mut b, O_CHECKPOINT_TIME, x.checkpoint_time);
            put32(&mut b, O_RATE, x.rate_kib);
            put32(&mut b, O_COUNT, x.members.len() as u32);
            for (i, m) in x.members.iter().enumerate() {
                let o = O_RECORDS + i * MEMBER_RECORD_BYTES;
                put32(&mut b, o + R_ID, m.id);
                b[o + R_STATE] = m.state.to_u8();
                b[o + R_FLAGS] = m.flags;
                put64(&mut b, o + R_CHECKPOINT, m.checkpoint);
                put64(&mut b, o + R_PROGRESS, m.progress);
                put64(&mut b, o + R_TOTAL, m.total);
            }
            seal(&mut b, O_CRC);
        }
        b
    }

    /// Decodes copy sector +1. Without the `NWVOLMIR` magic the extension is
    /// None (plain NetWare) and nothing beyond the signature is checked.
    /// With it: CRC, version, non-zero group ID, member count 1-8 with slots
    /// 0..n-1 used and the rest empty, records matching the IDs at 32,
    /// non-zero and unique IDs, states 0-3.
    pub fn decode(b: &[u8; SECTOR]) -> Result<MirrorHeader, LayoutError> {
        if &b[O_MAGIC..O_MAGIC + 8] != MIRROR_MAGIC {
            return Err(corrupt(NAME, "signature", "not MIRROR00"));
        }
        let mut member_ids = [0u32; MAX_MEMBERS];
        for (i, id) in member_ids.iter_mut().enumerate() {
            *id = le32(b, O_MEMBER_IDS + 4 * i);
        }
        let ext = if &b[O_EXT_MAGIC..O_EXT_MAGIC + 8] == MIRROR_EXT_MAGIC {
            Some(decode_ext(b, &member_ids)?)
        } else {
            None
        };
        Ok(MirrorHeader {
            created: DosTime(le32(b, O_CREATED)),
            flags: le32(b, O_FLAGS),
            member_ids,
            ext,
        })
    }

    /// Checks the records against the logical partition size: no
    /// checkpoint past `data_sectors * 512`.
    pub fn validate(&self, data_sectors: u32) -> Result<(), LayoutError> {
        let Some(x) = &self.ext else { return Ok(()) };
        let bytes = u64::from(data_sectors) * SECTOR as u64;
        for (i, m) in x.members.iter().enumerate() {
            if m.checkpoint > bytes {
                return Err(corrupt(
                    format!("mirror header member record {i}"),
                    "checkpoint",
                    format!(
                        "{}, past the logical partition's {bytes} bytes",
                        m.checkpoint
                    ),
                ));
            }
        }
        Ok(())
    }
}

fn decode_ext(b: &[u8], member_ids: &[u32; MAX_MEMBERS]) -> Result<MirrorExt, LayoutError> {
    check_crc(b, 0, O_CRC, NAME, "CRC")?;
    check_version(
        le32(b, O_EXT_VERSION),
        MIRROR_EXT_VERSION,
        NAME,
        "extension version",
    )?;
    let group_id = le32(b, O_GROUP_ID);
    if group_id == 0 {
        return Err(corrupt(NAME, "group ID", "0"));
    }
    let count = le32(b, O_COUNT);
    if !(1..=MAX_MEMBERS as u32).contains(&count) {
        return Err(corrupt(
            NAME,
            "member count",
            format!("{count}, expected 1..={MAX_MEMBERS}"),
        ));
    }
    let count = count as usize;
    let mut members = Vec::with_capacity(count);
    for (slot, &slot_id) in member_ids.iter().enumerate() {
        let o = O_RECORDS + slot * MEMBER_RECORD_BYTES;
        let rec = format!("mirror header member record {slot}");
        let id = le32(b, o + R_ID);
        if id != slot_id {
            return Err(corrupt(
                rec,
                "partition ID",
                format!("{id:#010x}, but member slot {slot} holds {slot_id:#010x}"),
            ));
        }
        if slot >= count {
            if id != 0 {
                return Err(corrupt(
                    rec,
                    "partition ID",
                    format!("{id:#010x} in a slot past the member count {count}"),
                ));
            }
            continue;
        }
        if id == 0 {
            return Err(corrupt(
                rec,
                "partition ID",
                format!("0 in a used slot (member count {count})"),
            ));
        }
        if let Some(first) = member_ids[..slot].iter().position(|&x| x == id) {
            return Err(corrupt(
                rec,
                "partition ID",
                format!("{id:#010x} is also member {first}"),
            ));
        }
        let state_byte = b[o + R_STATE];
        let state = MemberState::from_u8(state_byte)
            .ok_or_else(|| corrupt(&*rec, "state", format!("{state_byte}, expected 0-3")))?;
        members.push(MemberRecord {
            id,
            state,
            flags: b[o + R_FLAGS],
            checkpoint: le64(b, o + R_CHECKPOINT),
            progress: le64(b, o + R_PROGRESS),
            total: le64(b, o + R_TOTAL),
        });
    }
    Ok(MirrorExt {
        group_id,
        events: le64(b, O_EVENTS),
        checkpoint_time: le32(b, O_CHECKPOINT_TIME),
        rate_kib: le32(b, O_RATE),
        members,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn state() -> impl Strategy<Value = MemberState> {
        (0u8..4).prop_map(|v| MemberState::from_u8(v).unwrap())
    }

    fn ext() -> impl Strategy<Value = MirrorExt> {
        let rec = (
            state(),
            any::<u8>(),
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
        );
        (
            1u32..,
            any::<u64>(),
            proptest::collection::hash_set(1u32.., 1..=8),
            proptest::collection::vec(rec, 8),
        )
            .prop_map(|(group_id, events, ids, recs)| MirrorExt {
                group_id,
                events,
                checkpoint_time: 0,
                rate_kib: 0,
                members: ids
                    .into_iter()
                    .zip(recs)
                    .map(
                        |(id, (state, flags, checkpoint, progress, total))| MemberRecord {
                            id,
                            state,
                            flags,
                            checkpoint,
                            progress,
                            total,
                        },
                    )
                    .collect(),
            })
    }

    proptest! {
        #[test]
        fn round_trip(t in any::<u32>(), x in ext()) {
            let h = MirrorHeader::new(DosTime(t), x);
            prop_assert_eq!(MirrorHeader::decode(&h.encode()).unwrap(), h);
        }

        #[test]
        fn plain_round_trip(t in any::<u32>(), flags in any::<u32>(), ids in any::<[u32; 8]>()) {
            let h = MirrorHeader { created: DosTime(t), flags, member_ids: ids, ext: None };
            prop_assert_eq!(MirrorHeader::decode(&h.encode()).unwrap(), h);
        }

        #[test]
        fn random_bytes_never_panic(v in proptest::collection::vec(any::<u8>(), 512), ext in any::<bool>()) {
            let mut b: [u8; 512] = v.try_into().unwrap();
            if ext {
                b[..8].copy_from_slice(MIRROR_MAGIC);
                b[64..72].copy_from_slice(MIRROR_EXT_MAGIC);
                let crc = crc32fast::hash(&b[..508]);
                b[508..].copy_from_slice(&crc.to_le_bytes());
            }
            let r = MirrorHeader::decode(&b);
            if &b[..8] != MIRROR_MAGIC {
                prop_assert_eq!(r.unwrap_err().field(), "signature");
            } else if let Ok(h) = r {
                let _ = h.validate(1000);
            }
        }
    }

    #[test]
    fn golden_offsets() {
        let mut b = [0u8; 512];
        b[0..8].copy_from_slice(b"MIRROR00");
        b[8..12].copy_from_slice(&0x5A21_0000u32.to_le_bytes());
        b[12..16].copy_from_slice(&0x000B_0000u32.to_le_bytes());
        b[32..36].copy_from_slice(&0x1111_1111u32.to_le_bytes());
        b[36..40].copy_from_slice(&0x2222_2222u32.to_le_bytes());
        b[64..72].copy_from_slice(b"NWVOLMIR");
        b[72..76].copy_from_slice(&1u32.to_le_bytes());
        b[76..80].copy_from_slice(&0x9999_0001u32.to_le_bytes());
        b[80..88].copy_from_slice(&42u64.to_le_bytes());
        b[88..92].copy_from_slice(&2u32.to_le_bytes());
        // Record 0: in sync, WIB flag.
        b[96..100].copy_from_slice(&0x1111_1111u32.to_le_bytes());
        b[100] = 0;
        b[101] = 1;
        // Record 1: remirroring, halfway.
        b[128..132].copy_from_slice(&0x2222_2222u32.to_le_bytes());
        b[132] = 2;
        b[136..144].copy_from_slice(&4096u64.to_le_bytes());
        b[144..152].copy_from_slice(&8192u64.to_le_bytes());
        b[152..160].copy_from_slice(&16384u64.to_le_bytes());
        let crc = crc32fast::hash(&b[..508]);
        b[508..].copy_from_slice(&crc.to_le_bytes());
        let want = MirrorHeader::new(
            DosTime(0x5A21_0000),
            MirrorExt {
                group_id: 0x9999_0001,
                events: 42,
                checkpoint_time: 0,
                rate_kib: 0,
                members: vec![
                    MemberRecord {
                        flags: MEMBER_FLAG_WIB,
                        ..MemberRecord::in_sync(0x1111_1111)
                    },
                    MemberRecord {
                        id: 0x2222_2222,
                        state: MemberState::Remirroring,
                        flags: 0,
                        checkpoint: 4096,
                        progress: 8192,
                        total: 16384,
                    },
                ],
            },
        );
        assert_eq!(MirrorHeader::decode(&b).unwrap(), want);
        assert_eq!(want.encode(), b);
    }

    #[test]
    fn new_sets_flags_and_ids() {
        let one = MirrorHeader::new(
            DosTime(0),
            MirrorExt {
                group_id: 1,
                events: 0,
                checkpoint_time: 0,
                rate_kib: 0,
                members: vec![MemberRecord::in_sync(7)],
            },
        );
        assert_eq!(one.flags, FLAGS_SINGLE);
        assert_eq!(one.member_ids, [7, 0, 0, 0, 0, 0, 0, 0]);
        let two = MirrorHeader::new(
            DosTime(0),
            MirrorExt {
                group_id: 1,
                events: 0,
                checkpoint_time: 0,
                rate_kib: 0,
                members: vec![MemberRecord::in_sync(7), MemberRecord::in_sync(9)],
            },
        );
        assert_eq!(two.flags, FLAGS_MIRRORED);
        assert_eq!(two.ext.as_ref().unwrap().member(9).unwrap().id, 9);
    }

    #[test]
    fn plain_netware_golden() {
        let mut b = [0u8; 512];
        b[0..8].copy_from_slice(b"MIRROR00");
        b[12..16].copy_from_slice(&0x0009_0000u32.to_le_bytes());
        b[32..36].copy_from_slice(&0xABCDu32.to_le_bytes());
        b[508] = 0x77; // no CRC without the extension
        let h = MirrorHeader::decode(&b).unwrap();
        assert_eq!(h.ext, None);
        assert_eq!(h.flags, FLAGS_SINGLE);
        assert_eq!(h.member_ids[0], 0xABCD);
    }

    fn three() -> [u8; 512] {
        MirrorHeader::new(
            DosTime(0),
            MirrorExt {
                group_id: 5,
                events: 1,
                checkpoint_time: 0,
                rate_kib: 0,
                members: vec![
                    MemberRecord::in_sync(10),
                    MemberRecord::in_sync(20),
                    MemberRecord::in_sync(30),
                ],
            },
        )
        .encode()
    }

    fn with(edit: impl Fn(&mut [u8; 512])) -> LayoutError {
        let mut b = three();
        edit(&mut b);
        let crc = crc32fast::hash(&b[..508]);
        b[508..].copy_from_slice(&crc.to_le_bytes());
        MirrorHeader::decode(&b).unwrap_err()
    }

    #[test]
    fn field_corruption() {
        let put = |b: &mut [u8; 512], off: usize, v: u32| {
            b[off..off + 4].copy_from_slice(&v.to_le_bytes())
        };
        assert_eq!(with(|b| b[0] = 0).field(), "signature");
        assert_eq!(with(|b| put(b, 72, 0)).field(), "extension version");
        assert!(matches!(
            with(|b| put(b, 72, 2)),
            LayoutError::Unsupported { .. }
        ));
        assert_eq!(with(|b| put(b, 76, 0)).field(), "group ID");
        assert_eq!(with(|b| put(b, 88, 0)).field(), "member count");
        assert_eq!(with(|b| put(b, 88, 9)).field(), "member count");
        // Count says 2 but slot 2 is used.
        let e = with(|b| put(b, 88, 2));
        assert_eq!(
            (e.field(), e.structure()),
            ("partition ID", "mirror header member record 2")
        );
        // Count says 4 but slot 3 is empty.
        let e = with(|b| put(b, 88, 4));
        assert_eq!(
            (e.field(), e.structure()),
            ("partition ID", "mirror header member record 3")
        );
        // Record ID differs from the slot's ID at 32.
        let e = with(|b| put(b, 96 + 32, 21));
        assert_eq!(
            (e.field(), e.structure()),
            ("partition ID", "mirror header member record 1")
        );
        // The same ID twice.
        let e = with(|b| {
            put(b, 36, 10);
            put(b, 96 + 32, 10);
        });
        assert_eq!(
            (e.field(), e.structure()),
            ("partition ID", "mirror header member record 1")
        );
        // State out of range.
        let e = with(|b| b[96 + 64 + 4] = 4);
        assert_eq!(
            (e.field(), e.structure()),
            ("state", "mirror header member record 2")
        );
        // CRC.
        let mut b = three();
        b[400] = 1;
        assert_eq!(MirrorHeader::decode(&b).unwrap_err().field(), "CRC");
    }

    #[test]
    fn validate_checkpoint() {
        let h = MirrorHeader::new(
            DosTime(0),
            MirrorExt {
                group_id: 1,
                events: 0,
                checkpoint_time: 0,
                rate_kib: 0,
                members: vec![MemberRecord {
                    checkpoint: 512 * 100,
                    ..MemberRecord::in_sync(3)
                }],
            },
        );
        assert!(h.validate(100).is_ok());
        assert_eq!(h.validate(99).unwrap_err().field(), "checkpoint");
    }

    #[test]
    fn state_display_and_bytes() {
        for v in 0..4u8 {
            assert_eq!(MemberState::from_u8(v).unwrap().to_u8(), v);
        }
        assert_eq!(MemberState::from_u8(4), None);
        assert_eq!(MemberState::InSync.to_string(), "in sync");
        assert_eq!(MemberState::OutOfSync.to_string(), "out of sync");
        assert_eq!(MemberState::Remirroring.to_string(), "remirroring");
        assert_eq!(MemberState::Removed.to_string(), "removed");
    }
}
