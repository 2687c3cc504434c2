//! The write-intent record header in partition sector 2 (FORMAT.md
//! "Write-intent record"). nwvol's own structure; the bitmap itself (sectors
//! 3-31) is plain bits and needs no decoder.

use std::ops::Range;

use super::LayoutError;
use super::SECTOR;
use super::bytes::{check_crc, check_version, corrupt, le32, le64, need, put32, put64, seal};

/// Header magic.
pub const WIB_MAGIC: &[u8; 8] = b"NWVOLWIB";
/// Format version written.
pub const WIB_VERSION: u32 = 1;
/// Partition sector of the header.
pub const WIB_FIRST_SECTOR: u32 = 2;
/// Sectors of the record: header plus bitmap.
pub const WIB_SECTORS: u32 = 30;
/// Partition sector where the bitmap starts.
pub const WIB_BITMAP_FIRST_SECTOR: u32 = 3;
/// Bytes of the bitmap (sectors 3-31).
pub const WIB_BITMAP_BYTES: usize = 29 * SECTOR;
/// Bits the bitmap holds.
pub const WIB_BITS: u32 = (WIB_BITMAP_BYTES * 8) as u32;
/// Smallest chunk shift (64 KiB chunks).
pub const WIB_MIN_CHUNK_SHIFT: u32 = 16;

const O_MAGIC: usize = 0;
const O_VERSION: usize = 8;
const O_CHUNK_SHIFT: usize = 12;
const O_BITS: usize = 16;
const O_BITS_SET: usize = 20;
const O_EVENTS: usize = 24;
const O_CRC: usize = 508;

const NAME: &str = "write-intent header";

/// The write-intent header.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct WibHeader {
    /// A chunk (what one bit covers) is `1 << chunk_shift` logical bytes.
    pub chunk_shift: u32,
    /// Bits in use: ceil(logical bytes / chunk).
    pub bits: u32,
    /// Bits set (a hint; the bitmap is authoritative).
    pub bits_set: u32,
    /// The mirror table's event counter when this record was last written.
    pub events: u64,
}

impl WibHeader {
    /// The header `format` writes for a logical partition of `bytes`: the
    /// smallest chunk (at least 64 KiB) for which the bitmap covers it.
    pub fn for_logical_bytes(bytes: u64) -> WibHeader {
        let mut shift = WIB_MIN_CHUNK_SHIFT;
        while bytes.div_ceil(1u64 << shift) > u64::from(WIB_BITS) {
            shift += 1;
        }
        WibHeader {
            chunk_shift: shift,
            bits: bytes.div_ceil(1u64 << shift) as u32,
            bits_set: 0,
            events: 0,
        }
    }

    /// Bytes one bit covers.
    pub fn chunk_bytes(&self) -> u64 {
        1u64 << self.chunk_shift.min(63)
    }

    /// The bits covering logical bytes `[start, start + len)`, clamped to
    /// the bits in use; empty for `len == 0`.
    pub fn bits_for_range(&self, start: u64, len: u64) -> Range<u32> {
        if len == 0 {
            return 0..0;
        }
        let c = self.chunk_bytes();
        let first = (start / c).min(u64::from(self.bits)) as u32;
        let end = start
            .saturating_add(len)
            .div_ceil(c)
            .min(u64::from(self.bits)) as u32;
        first..end
    }

    /// Checks that the header's geometry is the one for a logical partition
    /// of `logical_bytes` (a header from another group or size is stale).
    pub fn validate(&self, logical_bytes: u64) -> Result<(), LayoutError> {
        let want = WibHeader::for_logical_bytes(logical_bytes);
        if self.chunk_shift != want.chunk_shift {
            return Err(corrupt(
                NAME,
                "chunk shift",
                format!(
                    "{}, expected {} for {logical_bytes} logical bytes",
                    self.chunk_shift, want.chunk_shift
                ),
            ));
        }
        if self.bits != want.bits {
            return Err(corrupt(
                NAME,
                "bits in use",
                format!(
                    "{}, expected {} for {logical_bytes} logical bytes",
                    self.bits, want.bits
                ),
            ));
        }
        Ok(())
    }

    /// The sector's bytes, with its CRC.
    pub fn encode(&self) -> [u8; SECTOR] {
        let mut b = [0u8; SECTOR];
        b[O_MAGIC..O_MAGIC + 8].copy_from_slice(WIB_MAGIC);
        put32(&mut b, O_VERSION, WIB_VERSION);
        put32(&mut b, O_CHUNK_SHIFT, self.chunk_shift);
        put32(&mut b, O_BITS, self.bits);
        put32(&mut b, O_BITS_SET, self.bits_set);
        put64(&mut b, O_EVENTS, self.events);
        seal(&mut b, O_CRC);
        b
    }

    /// Decodes partition sector 2 (the first 512 bytes of `b`).
    pub fn decode(b: &[u8]) -> Result<WibHeader, LayoutError> {
        let b = need(b, SECTOR, NAME)?;
        if &b[O_MAGIC..O_MAGIC + 8] != WIB_MAGIC {
            return Err(corrupt(NAME, "magic", "not NWVOLWIB"));
        }
        check_crc(b, 0, O_CRC, NAME, "CRC")?;
        check_version(le32(b, O_VERSION), WIB_VERSION, NAME, "version")?;
        let chunk_shift = le32(b, O_CHUNK_SHIFT);
        if !(WIB_MIN_CHUNK_SHIFT..64).contains(&chunk_shift) {
            return Err(corrupt(
                NAME,
                "chunk shift",
                format!("{chunk_shift}, expected {WIB_MIN_CHUNK_SHIFT}..=63"),
            ));
        }
        let bits = le32(b, O_BITS);
        if bits > WIB_BITS {
            return Err(corrupt(
                NAME,
                "bits in use",
                format!("{bits}, more than the bitmap's {WIB_BITS}"),
            ));
        }
        let bits_set = le32(b, O_BITS_SET);
        if bits_set > bits {
            return Err(corrupt(
                NAME,
                "bits set",
                format!("{bits_set}, more than the {bits} bits in use"),
            ));
        }
        Ok(WibHeader {
            chunk_shift,
            bits,
            bits_set,
            events: le64(b, O_EVENTS),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn header() -> impl Strategy<Value = WibHeader> {
        (16u32..64, 0..=WIB_BITS, any::<u64>())
            .prop_flat_map(|(s, bits, ev)| (Just(s), Just(bits), 0..=bits, Just(ev)))
            .prop_map(|(chunk_shift, bits, bits_set, events)| WibHeader {
                chunk_shift,
                bits,
                bits_set,
                events,
            })
    }

    proptest! {
        #[test]
        fn round_trip(h in header()) {
            prop_assert_eq!(WibHeader::decode(&h.encode()).unwrap(), h);
        }

        #[test]
        fn random_bytes_are_rejected(v in proptest::collection::vec(any::<u8>(), 0..600)) {
            let r = WibHeader::decode(&v);
            if v.len() < 512 {
                prop_assert_eq!(r.unwrap_err().field(), "length");
            } else if &v[..8] != WIB_MAGIC {
                prop_assert_eq!(r.unwrap_err().field(), "magic");
            }
        }

        #[test]
        fn geometry_covers_any_size(bytes in 0u64..=(u32::MAX as u64 * 512)) {
            let h = WibHeader::for_logical_bytes(bytes);
            prop_assert!(h.bits <= WIB_BITS);
            prop_assert!(u64::from(h.bits) * h.chunk_bytes() >= bytes);
            if h.chunk_shift > WIB_MIN_CHUNK_SHIFT {
                // A smaller chunk would not fit.
                prop_assert!(bytes.div_ceil(h.chunk_bytes() / 2) > u64::from(WIB_BITS));
            }
            prop_assert!(h.validate(bytes).is_ok());
            let r = h.bits_for_range(bytes.saturating_sub(1), 1);
            if bytes > 0 {
                prop_assert_eq!(r.end, h.bits);
            }
        }
    }

    #[test]
    fn golden_offsets() {
        let mut b = [0u8; 512];
        b[0..8].copy_from_slice(b"NWVOLWIB");
        b[8..12].copy_from_slice(&1u32.to_le_bytes());
        b[12..16].copy_from_slice(&17u32.to_le_bytes());
        b[16..20].copy_from_slice(&1000u32.to_le_bytes());
        b[20..24].copy_from_slice(&3u32.to_le_bytes());
        b[24..32].copy_from_slice(&0x0102_0304_0506_0708u64.to_le_bytes());
        let crc = crc32fast::hash(&b[..508]);
        b[508..512].copy_from_slice(&crc.to_le_bytes());
        let h = WibHeader {
            chunk_shift: 17,
            bits: 1000,
            bits_set: 3,
            events: 0x0102_0304_0506_0708,
        };
        assert_eq!(WibHeader::decode(&b).unwrap(), h);
        assert_eq!(h.encode(), b);
    }

    #[test]
    fn geometry_examples() {
        assert_eq!(WibHeader::for_logical_bytes(0).chunk_shift, 16);
        assert_eq!(WibHeader::for_logical_bytes(0).bits, 0);
        let exact = u64::from(WIB_BITS) << 16;
        assert_eq!(WibHeader::for_logical_bytes(exact).chunk_shift, 16);
        assert_eq!(WibHeader::for_logical_bytes(exact).bits, WIB_BITS);
        assert_eq!(WibHeader::for_logical_bytes(exact + 1).chunk_shift, 17);
        // 2 TiB logical partition: 32 MiB chunks.
        let h = WibHeader::for_logical_bytes(u64::from(u32::MAX) * 512);
        assert_eq!(h.chunk_shift, 25);
        assert_eq!(h.bits, 65536);
    }

    #[test]
    fn bits_for_range() {
        let h = WibHeader::for_logical_bytes(10 << 16);
        assert_eq!(h.bits_for_range(0, 0), 0..0);
        assert_eq!(h.bits_for_range(0, 1), 0..1);
        assert_eq!(h.bits_for_range(65535, 2), 0..2);
        assert_eq!(h.bits_for_range(65536, 65536), 1..2);
        assert_eq!(h.bits_for_range(9 << 16, 1 << 30), 9..10);
        assert_eq!(h.bits_for_range(u64::MAX, u64::MAX), 10..10);
    }

    #[test]
    fn field_corruption() {
        let good = WibHeader {
            chunk_shift: 16,
            bits: 10,
            bits_set: 2,
            events: 5,
        }
        .encode();
        let with = |off: usize, v: u32| {
            let mut b = good;
            b[off..off + 4].copy_from_slice(&v.to_le_bytes());
            let crc = crc32fast::hash(&b[..508]);
            b[508..].copy_from_slice(&crc.to_le_bytes());
            WibHeader::decode(&b).unwrap_err()
        };
        assert_eq!(with(8, 0).field(), "version");
        let e = with(8, 2);
        assert!(matches!(e, LayoutError::Unsupported { .. }));
        assert_eq!(e.field(), "version");
        assert_eq!(with(12, 15).field(), "chunk shift");
        assert_eq!(with(12, 64).field(), "chunk shift");
        assert_eq!(with(16, WIB_BITS + 1).field(), "bits in use");
        assert_eq!(with(20, 11).field(), "bits set");
        let mut b = good;
        b[100] = 1;
        assert_eq!(WibHeader::decode(&b).unwrap_err().field(), "CRC");
        let mut b = good;
        b[0] = b'X';
        assert_eq!(WibHeader::decode(&b).unwrap_err().field(), "magic");
        assert_eq!(
            WibHeader::decode(&good[..511]).unwrap_err().field(),
            "length"
        );
    }

    #[test]
    fn validate_against_size() {
        let h = WibHeader::for_logical_bytes(1 << 30);
        assert!(h.validate(1 << 30).is_ok());
        assert_eq!(h.validate(1 << 40).unwrap_err().field(), "chunk shift");
        assert_eq!(h.validate(1 << 29).unwrap_err().field(), "bits in use");
    }
}
