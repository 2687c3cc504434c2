//! The PC master boot record in device sector 0 (FORMAT.md "MBR").

use super::LayoutError;
use super::SECTOR;
use super::bytes::{corrupt, le32, put32};

/// Partition type of a NetWare 386 (3.x and later) partition.
pub const PART_TYPE_NETWARE386: u8 = 0x65;
/// Partition type of a NetWare 286 partition (reported, never read).
pub const PART_TYPE_NETWARE286: u8 = 0x64;
/// Where nwvol starts its partition: 1 MiB into the device.
pub const NETWARE_START_LBA: u32 = 2048;

/// Offset of the disk signature.
pub const DISK_SIGNATURE_OFFSET: usize = 440;
/// Offset of the first of the four partition entries.
pub const ENTRIES_OFFSET: usize = 446;
/// Size of one partition entry.
pub const ENTRY_BYTES: usize = 16;
/// Offset of the `55 AA` boot signature.
pub const BOOT_SIGNATURE_OFFSET: usize = 510;
/// The boot signature.
pub const BOOT_SIGNATURE: [u8; 2] = [0x55, 0xAA];

// Offsets inside an entry.
const E_STATUS: usize = 0;
const E_CHS_START: usize = 1;
const E_KIND: usize = 4;
const E_CHS_END: usize = 5;
const E_START_LBA: usize = 8;
const E_SECTORS: usize = 12;
/// Heads per cylinder of the geometry fdisk and sfdisk assume for the CHS
/// fields (the BIOS "LBA assist" translation).
pub const CHS_HEADS: u32 = 255;
/// Sectors per track of that geometry.
pub const CHS_SECTORS: u32 = 63;
/// Cylinders the CHS fields can address (10 bits).
const CHS_CYLINDERS: u32 = 1024;

/// The CHS address of sector `lba` as fdisk writes it in a partition
/// entry (head, sector with the cylinder's top bits, cylinder's low byte),
/// with 255 heads and 63 sectors per track. Past cylinder 1023 it is
/// cylinder 1023, head 254, sector 63: `FE FF FF`, which tells readers to
/// use the LBA fields.
pub fn chs(lba: u32) -> [u8; 3] {
    let per_cyl = CHS_HEADS * CHS_SECTORS;
    let lba = if lba / per_cyl >= CHS_CYLINDERS {
        CHS_CYLINDERS * per_cyl - 1
    } else {
        lba
    };
    let c = lba / per_cyl;
    let h = (lba % per_cyl) / CHS_SECTORS;
    let s = lba % CHS_SECTORS + 1;
    [h as u8, (s as u8 & 0x3F) | ((c >> 2) as u8 & 0xC0), c as u8]
}

/// One primary partition entry (only the fields nwvol uses: the CHS
/// addresses are derived from the LBA ones when encoding, ignored when
/// decoding).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default, serde::Serialize)]
pub struct MbrEntry {
    /// Boot indicator: 0x00 or 0x80 (active).
    pub status: u8,
    /// Partition type; 0 = unused entry.
    pub kind: u8,
    /// First device sector.
    pub start_lba: u32,
    /// Sectors in the partition.
    pub sectors: u32,
}

impl MbrEntry {
    /// True for an unused (all zero) entry.
    pub fn is_empty(&self) -> bool {
        *self == MbrEntry::default()
    }
}

/// A master boot record: the disk signature and the four primary entries.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Mbr {
    /// Disk signature at byte 440.
    pub disk_signature: u32,
    /// The four primary partition entries.
    pub entries: [MbrEntry; 4],
}

impl Mbr {
    /// An MBR with one NetWare 386 partition in entry 1 and nothing else.
    pub fn new_netware(disk_signature: u32, start_lba: u32, sectors: u32) -> Mbr {
        let mut entries = [MbrEntry::default(); 4];
        entries[0] = MbrEntry {
            status: 0,
            kind: PART_TYPE_NETWARE386,
            start_lba,
            sectors,
        };
        Mbr {
            disk_signature,
            entries,
        }
    }

    /// The sector's bytes; boot code zero, CHS fields as fdisk writes them
    /// ([`chs`]: the first and last sector's addresses, `FE FF FF` past
    /// cylinder 1023).
    pub fn encode(&self) -> [u8; SECTOR] {
        let mut b = [0u8; SECTOR];
        put32(&mut b, DISK_SIGNATURE_OFFSET, self.disk_signature);
        for (i, e) in self.entries.iter().enumerate() {
            if e.is_empty() {
                continue;
            }
            let o = ENTRIES_OFFSET + i * ENTRY_BYTES;
            b[o + E_STATUS] = e.status;
            let last = e.start_lba.saturating_add(e.sectors.saturating_sub(1));
            b[o + E_CHS_START..o + E_CHS_START + 3].copy_from_slice(&chs(e.start_lba));
            b[o + E_KIND] = e.kind;
            b[o + E_CHS_END..o + E_CHS_END + 3].copy_from_slice(&chs(last));
            put32(&mut b, o + E_START_LBA, e.start_lba);
            put32(&mut b, o + E_SECTORS, e.sectors);
        }
        b[BOOT_SIGNATURE_OFFSET..].copy_from_slice(&BOOT_SIGNATURE);
        b
    }

    /// Decodes sector 0. Rejects a missing `55 AA` and a status byte other
    /// than 0x00/0x80 (as Linux does, so a boot sector of a file system is
    /// not taken for a partition table). Bounds are checked by
    /// [`validate_entry`], which needs the device size.
    pub fn decode(b: &[u8; SECTOR]) -> Result<Mbr, LayoutError> {
        let sig = [b[BOOT_SIGNATURE_OFFSET], b[BOOT_SIGNATURE_OFFSET + 1]];
        if sig != BOOT_SIGNATURE {
            return Err(corrupt(
                "MBR",
                "boot signature",
                format!("{:02x} {:02x}, expected 55 aa", sig[0], sig[1]),
            ));
        }
        let mut entries = [MbrEntry::default(); 4];
        for (i, e) in entries.iter_mut().enumerate() {
            let o = ENTRIES_OFFSET + i * ENTRY_BYTES;
            let status = b[o + E_STATUS];
            if status != 0 && status != 0x80 {
                return Err(corrupt(
                    format!("MBR partition entry {}", i + 1),
                    "status",
                    format!("{status:#04x}, expected 0x00 or 0x80"),
                ));
            }
            *e = MbrEntry {
                status,
                kind: b[o + E_KIND],
                start_lba: le32(b, o + E_START_LBA),
                sectors: le32(b, o + E_SECTORS),
            };
        }
        Ok(Mbr {
            disk_signature: le32(b, DISK_SIGNATURE_OFFSET),
            entries,
        })
    }

    /// The first entry of type 0x64 or 0x65, with its index (0-3).
    pub fn netware(&self) -> Option<(usize, &MbrEntry)> {
        self.entries
            .iter()
            .enumerate()
            .find(|(_, e)| e.kind == PART_TYPE_NETWARE386 || e.kind == PART_TYPE_NETWARE286)
    }
}

/// Checks an entry against the device size: a non-zero count, not starting
/// on the MBR itself, not running past the end.
pub fn validate_entry(e: &MbrEntry, device_sectors: u64) -> Result<(), LayoutError> {
    let s = "MBR partition entry";
    if e.sectors == 0 {
        return Err(corrupt(s, "sector count", "0"));
    }
    if e.start_lba == 0 {
        return Err(corrupt(
            s,
            "start LBA",
            "0: the partition would overlap the MBR",
        ));
    }
    let end = u64::from(e.start_lba) + u64::from(e.sectors);
    if end > device_sectors {
        return Err(corrupt(
            s,
            "sector count",
            format!(
                "sectors {}..{end} run past the end of the device ({device_sectors} sectors): a truncated image, or a copy of a larger disk",
                e.start_lba
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn entry() -> impl Strategy<Value = MbrEntry> {
        (
            prop_oneof![Just(0u8), Just(0x80u8)],
            any::<u8>(),
            any::<u32>(),
            any::<u32>(),
        )
            .prop_map(|(status, kind, start_lba, sectors)| MbrEntry {
                status,
                kind,
                start_lba,
                sectors,
            })
    }

    proptest! {
        #[test]
        fn round_trip(sig in any::<u32>(), e in proptest::array::uniform4(entry())) {
            let m = Mbr { disk_signature: sig, entries: e };
            prop_assert_eq!(Mbr::decode(&m.encode()).unwrap(), m);
        }

        #[test]
        fn random_bytes_never_panic(v in proptest::collection::vec(any::<u8>(), 512)) {
            let b: [u8; 512] = v.try_into().unwrap();
            let r = Mbr::decode(&b);
            if b[510..] != [0x55, 0xAA] {
                prop_assert_eq!(r.unwrap_err().field(), "boot signature");
            } else if let Ok(m) = r {
                let _ = m.netware();
                for e in &m.entries {
                    let _ = validate_entry(e, u64::MAX);
                    let _ = validate_entry(e, 0);
                }
            }
        }
    }

    #[test]
    fn golden_bytes_decode() {
        // Built from the FORMAT.md table, not by the encoder.
        let mut b = [0u8; 512];
        b[440..444].copy_from_slice(&0x1234_5678u32.to_le_bytes());
        b[446] = 0x00;
        // CHS of sector 2048 with 255 heads, 63 sectors: cylinder 0, head
        // 32, sector 33; of the last sector 1_002_047: cylinder 62, head
        // 95, sector 33.
        b[447..450].copy_from_slice(&[0x20, 0x21, 0x00]);
        b[450] = 0x65;
        b[451..454].copy_from_slice(&[0x5F, 0x21, 0x3E]);
        b[454..458].copy_from_slice(&2048u32.to_le_bytes());
        b[458..462].copy_from_slice(&1_000_000u32.to_le_bytes());
        b[510] = 0x55;
        b[511] = 0xAA;
        let m = Mbr::decode(&b).unwrap();
        assert_eq!(m, Mbr::new_netware(0x1234_5678, 2048, 1_000_000));
        assert_eq!(m.netware().unwrap().0, 0);
        assert_eq!(m.encode(), b, "encoder writes the same bytes");
    }

    #[test]
    fn chs_as_fdisk_writes_it() {
        assert_eq!(chs(0), [0, 1, 0]);
        assert_eq!(chs(62), [0, 63, 0]);
        assert_eq!(chs(63), [1, 1, 0]);
        assert_eq!(chs(16_064), [254, 63, 0]);
        assert_eq!(chs(16_065), [0, 1, 1]);
        // Cylinder 256: its bit 8 goes to bit 6 of the sector byte.
        assert_eq!(chs(256 * 16_065), [0, 0x41, 0]);
        // The last sector CHS addresses: cylinder 1023, head 254, sector 63.
        assert_eq!(chs(1024 * 16_065 - 1), [0xFE, 0xFF, 0xFF]);
        assert_eq!(chs(1023 * 16_065), [0, 0xC1, 0xFF]);
        // Beyond it, FE FF FF: the LBA fields count.
        assert_eq!(chs(1024 * 16_065), [0xFE, 0xFF, 0xFF]);
        assert_eq!(chs(u32::MAX), [0xFE, 0xFF, 0xFF]);
    }

    #[test]
    fn entry_chs_fields_address_first_and_last_sector() {
        let b = Mbr::new_netware(1, 2048, 64 * 2048 - 2048).encode();
        // A 64 MiB disk: the last sector is 131071 = C 8, H 40, S 32.
        assert_eq!(b[447..450], [0x20, 0x21, 0x00]);
        assert_eq!(b[451..454], [40, 32, 8]);
        let big = Mbr::new_netware(1, 2048, u32::MAX - 2048).encode();
        assert_eq!(big[447..450], [0x20, 0x21, 0x00]);
        assert_eq!(big[451..454], [0xFE, 0xFF, 0xFF]);
    }

    #[test]
    fn netware_is_first_of_type_64_or_65() {
        let mut m = Mbr::new_netware(1, 2048, 100);
        m.entries[0].kind = 0x83;
        assert!(m.netware().is_none());
        m.entries[2] = MbrEntry {
            status: 0,
            kind: PART_TYPE_NETWARE286,
            start_lba: 5,
            sectors: 6,
        };
        m.entries[3] = MbrEntry {
            status: 0,
            kind: PART_TYPE_NETWARE386,
            start_lba: 7,
            sectors: 8,
        };
        let (i, e) = m.netware().unwrap();
        assert_eq!((i, e.kind), (2, PART_TYPE_NETWARE286));
    }

    #[test]
    fn rejects_missing_signature_and_bad_status() {
        let mut b = Mbr::new_netware(1, 2048, 100).encode();
        b[511] = 0;
        assert_eq!(Mbr::decode(&b).unwrap_err().field(), "boot signature");
        let mut b = Mbr::new_netware(1, 2048, 100).encode();
        b[446 + 16] = 0x12;
        let e = Mbr::decode(&b).unwrap_err();
        assert_eq!(e.field(), "status");
        assert_eq!(e.structure(), "MBR partition entry 2");
    }

    #[test]
    fn validate_entry_bounds() {
        let e = |start_lba, sectors| MbrEntry {
            status: 0,
            kind: 0x65,
            start_lba,
            sectors,
        };
        assert!(validate_entry(&e(2048, 1000), 3048).is_ok());
        assert_eq!(
            validate_entry(&e(2048, 1001), 3048).unwrap_err().field(),
            "sector count"
        );
        assert_eq!(
            validate_entry(&e(2048, 0), 3048).unwrap_err().field(),
            "sector count"
        );
        assert_eq!(
            validate_entry(&e(0, 10), 3048).unwrap_err().field(),
            "start LBA"
        );
        // No overflow at the top of the u32 range.
        assert!(validate_entry(&e(u32::MAX, u32::MAX), 1 << 33).is_ok());
        assert!(validate_entry(&e(u32::MAX, u32::MAX), (1 << 33) - 3).is_err());
    }
}
