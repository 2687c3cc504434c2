//! nwvol's extension header in partition sector 1 (FORMAT.md "nwvol
//! extension header"). Its presence marks a partition nwvol may write.

use super::LayoutError;
use super::SECTOR;
use super::bytes::{
    check_crc, check_fixed, check_version, corrupt, le16, le32, need, put16, put32, seal,
    unsupported,
};
use super::time::DosTime;
use super::wib::{WIB_FIRST_SECTOR, WIB_SECTORS};

/// Header magic.
pub const EXT_MAGIC: &[u8; 8] = b"NWVOLEXT";
/// Format version this nwvol writes and reads.
pub const FORMAT_VERSION: u16 = 1;
/// Partition sector of the header.
pub const EXT_SECTOR: u32 = 1;
/// Header size recorded at offset 10.
pub const EXT_HEADER_BYTES: u16 = 512;
/// Compatible feature bits this nwvol knows (none in version 1).
pub const COMPAT_KNOWN: u32 = 0;
/// Read-only-compatible feature bits this nwvol knows (none in version 1).
pub const RO_COMPAT_KNOWN: u32 = 0;
/// Incompatible feature bits this nwvol knows (none in version 1).
pub const INCOMPAT_KNOWN: u32 = 0;

const O_MAGIC: usize = 0;
const O_VERSION: usize = 8;
const O_SIZE: usize = 10;
const O_COMPAT: usize = 12;
const O_RO_COMPAT: usize = 16;
const O_INCOMPAT: usize = 20;
const O_PARTITION_ID: usize = 24;
const O_WIB_FIRST: usize = 28;
const O_WIB_SECTORS: usize = 32;
const O_CREATED: usize = 36;
const O_CRC: usize = 508;

const NAME: &str = "nwvol extension header";

/// The nwvol extension header.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ExtHeader {
    /// Format version (1).
    pub version: u16,
    /// Compatible feature flags (unknown bits ignored).
    pub compat: u32,
    /// Read-only-compatible feature flags (unknown bits: open read-only).
    pub ro_compat: u32,
    /// Incompatible feature flags (unknown bits: refuse to open).
    pub incompat: u32,
    /// The partition ID, as in the hot-fix header.
    pub partition_id: u32,
    /// First partition sector of the write-intent record (2).
    pub wib_first_sector: u32,
    /// Sectors of the write-intent record (30).
    pub wib_sectors: u32,
    /// When the partition was created.
    pub created: DosTime,
}

impl ExtHeader {
    /// The header `format` writes: version 1, no feature bits, the
    /// write-intent record at sectors 2-31.
    pub fn new(partition_id: u32, created: DosTime) -> ExtHeader {
        ExtHeader {
            version: FORMAT_VERSION,
            compat: 0,
            ro_compat: 0,
            incompat: 0,
            partition_id,
            wib_first_sector: WIB_FIRST_SECTOR,
            wib_sectors: WIB_SECTORS,
            created,
        }
    }

    /// True when read-only-compatible features this nwvol does not know are
    /// in use: the partition may be read but not written.
    pub fn read_only(&self) -> bool {
        self.ro_compat & !RO_COMPAT_KNOWN != 0
    }

    /// The sector's bytes, with its CRC.
    pub fn encode(&self) -> [u8; SECTOR] {
        let mut b = [0u8; SECTOR];
        b[O_MAGIC..O_MAGIC + 8].copy_from_slice(EXT_MAGIC);
        put16(&mut b, O_VERSION, self.version);
        put16(&mut b, O_SIZE, EXT_HEADER_BYTES);
        put32(&mut b, O_COMPAT, self.compat);
        put32(&mut b, O_RO_COMPAT, self.ro_compat);
        put32(&mut b, O_INCOMPAT, self.incompat);
        put32(&mut b, O_PARTITION_ID, self.partition_id);
        put32(&mut b, O_WIB_FIRST, self.wib_first_sector);
        put32(&mut b, O_WIB_SECTORS, self.wib_sectors);
        put32(&mut b, O_CREATED, self.created.0);
        seal(&mut b, O_CRC);
        b
    }

    /// Decodes partition sector 1 (the first 512 bytes of `b`); a missing
    /// magic is an error.
    pub fn decode(b: &[u8]) -> Result<ExtHeader, LayoutError> {
        Self::decode_opt(b)?.ok_or_else(|| corrupt(NAME, "magic", "not NWVOLEXT"))
    }

    /// Decodes partition sector 1: None when the magic is absent (a plain
    /// NetWare partition), an error when it is there but the header is bad
    /// or needs features this nwvol does not have.
    pub fn decode_opt(b: &[u8]) -> Result<Option<ExtHeader>, LayoutError> {
        let b = need(b, SECTOR, NAME)?;
        if &b[O_MAGIC..O_MAGIC + 8] != EXT_MAGIC {
            return Ok(None);
        }
        check_crc(b, 0, O_CRC, NAME, "CRC")?;
        let version = le16(b, O_VERSION);
        check_version(version, FORMAT_VERSION, NAME, "format version")?;
        let size = le16(b, O_SIZE);
        check_fixed(size, EXT_HEADER_BYTES, NAME, "header size")?;
        let incompat = le32(b, O_INCOMPAT);
        if incompat & !INCOMPAT_KNOWN != 0 {
            return Err(unsupported(
                NAME,
                "incompatible feature flags",
                format!("{:#010x}", incompat & !INCOMPAT_KNOWN),
            ));
        }
        let partition_id = le32(b, O_PARTITION_ID);
        if partition_id == 0 {
            return Err(corrupt(NAME, "partition ID", "0"));
        }
        let wib_first_sector = le32(b, O_WIB_FIRST);
        check_fixed(
            wib_first_sector,
            WIB_FIRST_SECTOR,
            NAME,
            "write-intent first sector",
        )?;
        let wib_sectors = le32(b, O_WIB_SECTORS);
        check_fixed(wib_sectors, WIB_SECTORS, NAME, "write-intent sectors")?;
        Ok(Some(ExtHeader {
            version,
            compat: le32(b, O_COMPAT),
            ro_compat: le32(b, O_RO_COMPAT),
            incompat,
            partition_id,
            wib_first_sector,
            wib_sectors,
            created: DosTime(le32(b, O_CREATED)),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn header() -> impl Strategy<Value = ExtHeader> {
        (any::<u32>(), any::<u32>(), 1u32.., any::<u32>()).prop_map(|(c, r, id, t)| ExtHeader {
            compat: c,
            ro_compat: r,
            ..ExtHeader::new(id, DosTime(t))
        })
    }

    proptest! {
        #[test]
        fn round_trip(h in header()) {
            prop_assert_eq!(ExtHeader::decode(&h.encode()).unwrap(), h);
            prop_assert_eq!(ExtHeader::decode_opt(&h.encode()).unwrap(), Some(h));
        }

        #[test]
        fn random_bytes_never_panic(v in proptest::collection::vec(any::<u8>(), 0..600)) {
            let r = ExtHeader::decode_opt(&v);
            if v.len() < 512 {
                prop_assert_eq!(r.unwrap_err().field(), "length");
            } else if &v[..8] != EXT_MAGIC {
                prop_assert_eq!(r.unwrap(), None);
                prop_assert_eq!(ExtHeader::decode(&v).unwrap_err().field(), "magic");
            }
        }
    }

    #[test]
    fn golden_offsets() {
        let mut b = [0u8; 512];
        b[0..8].copy_from_slice(b"NWVOLEXT");
        b[8..10].copy_from_slice(&1u16.to_le_bytes());
        b[10..12].copy_from_slice(&512u16.to_le_bytes());
        b[12..16].copy_from_slice(&0x11u32.to_le_bytes());
        b[16..20].copy_from_slice(&0x22u32.to_le_bytes());
        b[24..28].copy_from_slice(&0xCAFE_F00Du32.to_le_bytes());
        b[28..32].copy_from_slice(&2u32.to_le_bytes());
        b[32..36].copy_from_slice(&30u32.to_le_bytes());
        b[36..40].copy_from_slice(&0x5A21_0000u32.to_le_bytes());
        let crc = crc32fast::hash(&b[..508]);
        b[508..].copy_from_slice(&crc.to_le_bytes());
        let h = ExtHeader {
            compat: 0x11,
            ro_compat: 0x22,
            ..ExtHeader::new(0xCAFE_F00D, DosTime(0x5A21_0000))
        };
        assert_eq!(ExtHeader::decode(&b).unwrap(), h);
        assert_eq!(h.encode(), b);
        assert!(h.read_only(), "unknown ro-compat bit 0x22");
        assert!(!ExtHeader::new(1, DosTime(0)).read_only());
    }

    fn with(off: usize, bytes: &[u8]) -> LayoutError {
        let mut b = ExtHeader::new(7, DosTime(0)).encode();
        b[off..off + bytes.len()].copy_from_slice(bytes);
        let crc = crc32fast::hash(&b[..508]);
        b[508..].copy_from_slice(&crc.to_le_bytes());
        ExtHeader::decode_opt(&b).unwrap_err()
    }

    #[test]
    fn field_corruption() {
        assert_eq!(with(8, &0u16.to_le_bytes()).field(), "format version");
        let e = with(8, &2u16.to_le_bytes());
        assert!(matches!(e, LayoutError::Unsupported { .. }), "{e}");
        assert_eq!(with(10, &256u16.to_le_bytes()).field(), "header size");
        let e = with(20, &4u32.to_le_bytes());
        assert!(matches!(e, LayoutError::Unsupported { .. }), "{e}");
        assert_eq!(e.field(), "incompatible feature flags");
        assert_eq!(with(24, &0u32.to_le_bytes()).field(), "partition ID");
        assert_eq!(
            with(28, &3u32.to_le_bytes()).field(),
            "write-intent first sector"
        );
        assert_eq!(
            with(32, &29u32.to_le_bytes()).field(),
            "write-intent sectors"
        );
        let mut b = ExtHeader::new(7, DosTime(0)).encode();
        b[300] = 1;
        assert_eq!(ExtHeader::decode_opt(&b).unwrap_err().field(), "CRC");
        b[0] = 0;
        assert_eq!(ExtHeader::decode_opt(&b).unwrap(), None);
    }

    #[test]
    fn unknown_compat_bits_are_accepted() {
        let h = ExtHeader {
            compat: 0xFFFF_FFFF,
            ..ExtHeader::new(9, DosTime(0))
        };
        assert_eq!(ExtHeader::decode(&h.encode()).unwrap(), h);
        assert!(!h.read_only());
    }
}
