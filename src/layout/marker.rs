//! The partition marker in partition sector 0 (FORMAT.md "Partition
//! marker"), by which tools such as TestDisk recognise a NetWare partition.

use super::LayoutError;
use super::SECTOR;
use super::bytes::{corrupt, le32, put32};

/// The marker text.
pub const MARKER_MAGIC: &[u8; 12] = b"Nw_PaRtItIoN";
/// Offset of the marker text.
pub const MAGIC_OFFSET: usize = 1;
/// Offset of the partition sector count.
pub const SECTORS_OFFSET: usize = 0x14;

/// Partition sector 0.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PartitionMarker {
    /// Sectors in the partition (the same as the MBR entry's count).
    pub sectors: u32,
}

impl PartitionMarker {
    /// The sector's bytes.
    pub fn encode(&self) -> [u8; SECTOR] {
        let mut b = [0u8; SECTOR];
        b[MAGIC_OFFSET..MAGIC_OFFSET + 12].copy_from_slice(MARKER_MAGIC);
        put32(&mut b, SECTORS_OFFSET, self.sectors);
        b
    }

    /// True when `b` (partition sector 0, or the start of it) holds the
    /// marker text: what marks a NetWare partition even when its count is
    /// damaged (probing looks for this).
    pub fn is_marked(b: &[u8]) -> bool {
        b.get(MAGIC_OFFSET..MAGIC_OFFSET + MARKER_MAGIC.len()) == Some(MARKER_MAGIC)
    }

    /// Decodes partition sector 0: the marker text and a non-zero count.
    pub fn decode(b: &[u8; SECTOR]) -> Result<PartitionMarker, LayoutError> {
        let s = "partition marker";
        if !PartitionMarker::is_marked(b) {
            return Err(corrupt(
                s,
                "signature",
                format!(
                    "{:?}, expected \"Nw_PaRtItIoN\"",
                    String::from_utf8_lossy(&b[MAGIC_OFFSET..MAGIC_OFFSET + 12])
                ),
            ));
        }
        let sectors = le32(b, SECTORS_OFFSET);
        if sectors == 0 {
            return Err(corrupt(s, "sector count", "0"));
        }
        Ok(PartitionMarker { sectors })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trip(sectors in 1u32..) {
            let m = PartitionMarker { sectors };
            prop_assert_eq!(PartitionMarker::decode(&m.encode()).unwrap(), m);
        }

        #[test]
        fn random_bytes_are_rejected(v in proptest::collection::vec(any::<u8>(), 512)) {
            let b: [u8; 512] = v.try_into().unwrap();
            if &b[1..13] != MARKER_MAGIC {
                prop_assert_eq!(PartitionMarker::decode(&b).unwrap_err().field(), "signature");
            }
        }
    }

    #[test]
    fn golden_bytes() {
        let mut b = [0u8; 512];
        b[1..13].copy_from_slice(b"Nw_PaRtItIoN");
        b[0x14..0x18].copy_from_slice(&0x00AB_CDEFu32.to_le_bytes());
        assert_eq!(PartitionMarker::decode(&b).unwrap().sectors, 0x00AB_CDEF);
        assert_eq!(
            PartitionMarker {
                sectors: 0x00AB_CDEF
            }
            .encode(),
            b
        );
    }

    #[test]
    fn field_corruption() {
        let good = PartitionMarker { sectors: 10 }.encode();
        let mut b = good;
        b[5] ^= 0x20;
        assert_eq!(
            PartitionMarker::decode(&b).unwrap_err().field(),
            "signature"
        );
        let mut b = good;
        b[0x14..0x18].fill(0);
        assert_eq!(
            PartitionMarker::decode(&b).unwrap_err().field(),
            "sector count"
        );
    }
}
