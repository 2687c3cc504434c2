//! FAT entries (FORMAT.md "Data area and the FAT"): 8 bytes per volume
//! block, the block's sequence number in its chain and the next block.

use super::LayoutError;
use super::bytes::{corrupt, le32, need, put32};

/// Bytes of one FAT entry.
pub const FAT_ENTRY_BYTES: usize = 8;
/// `next` value that ends a chain.
pub const END_OF_CHAIN: u32 = 0xFFFF_FFFF;

/// The state of one volume block.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FatEntry {
    /// Not in use (all zero on disk).
    Free,
    /// In use as block `seq` of its chain, followed by `next` (None: last).
    Used {
        /// Sequence number of the block within its chain (0, 1, 2, ...).
        seq: u32,
        /// The next block of the chain; None at the end.
        next: Option<u32>,
    },
}

impl FatEntry {
    /// Decodes an entry of a volume of `total_blocks` blocks. Corrupt: a
    /// `next` of 0 with a non-zero sequence (block 0 is always the FAT's own
    /// first block, never a successor), or a `next` past the volume.
    pub fn decode(b: &[u8], total_blocks: u32) -> Result<FatEntry, LayoutError> {
        let s = "FAT entry";
        let b = need(b, FAT_ENTRY_BYTES, s)?;
        let seq = le32(b, 0);
        let next = le32(b, 4);
        match next {
            0 if seq == 0 => Ok(FatEntry::Free),
            0 => Err(corrupt(
                s,
                "next block",
                format!("0 with sequence number {seq} (block 0 is never a successor)"),
            )),
            END_OF_CHAIN => Ok(FatEntry::Used { seq, next: None }),
            n if n >= total_blocks => Err(corrupt(
                s,
                "next block",
                format!("{n}, past the volume's {total_blocks} blocks"),
            )),
            n => Ok(FatEntry::Used { seq, next: Some(n) }),
        }
    }

    /// The entry's 8 bytes.
    pub fn encode(&self) -> [u8; FAT_ENTRY_BYTES] {
        let mut b = [0u8; FAT_ENTRY_BYTES];
        if let FatEntry::Used { seq, next } = *self {
            debug_assert!(
                next != Some(0) && next != Some(END_OF_CHAIN),
                "invalid successor"
            );
            put32(&mut b, 0, seq);
            put32(&mut b, 4, next.unwrap_or(END_OF_CHAIN));
        }
        b
    }

    /// True for a free block.
    pub fn is_free(&self) -> bool {
        *self == FatEntry::Free
    }
}

/// Blocks the FAT fragment of a segment of `blocks` blocks takes:
/// `ceil(blocks * 8 / block_size)`; 0 for a zero block size.
pub fn fat_blocks(blocks: u32, block_size: u32) -> u32 {
    if block_size == 0 {
        return 0;
    }
    (u64::from(blocks) * FAT_ENTRY_BYTES as u64).div_ceil(u64::from(block_size)) as u32
}

/// FAT entries in one block.
pub fn entries_per_block(block_size: u32) -> u32 {
    block_size / FAT_ENTRY_BYTES as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trip(seq in any::<u32>(), next in 1u32..u32::MAX, end in any::<bool>()) {
            let total = next.saturating_add(1);
            let e = FatEntry::Used { seq, next: if end { None } else { Some(next) } };
            prop_assert_eq!(FatEntry::decode(&e.encode(), total).unwrap(), e);
        }

        #[test]
        fn random_bytes_never_panic(v in proptest::collection::vec(any::<u8>(), 0..12), total in any::<u32>()) {
            match FatEntry::decode(&v, total) {
                Ok(FatEntry::Free) => prop_assert!(v[..8].iter().all(|&b| b == 0)),
                Ok(FatEntry::Used { next: Some(n), .. }) => prop_assert!(n > 0 && n < total),
                Ok(_) => {}
                Err(e) => prop_assert!(v.len() < 8 || e.field() == "next block"),
            }
        }
    }

    #[test]
    fn golden_states() {
        let raw = |seq: u32, next: u32| {
            let mut b = [0u8; 8];
            b[0..4].copy_from_slice(&seq.to_le_bytes());
            b[4..8].copy_from_slice(&next.to_le_bytes());
            b
        };
        assert_eq!(FatEntry::decode(&raw(0, 0), 10).unwrap(), FatEntry::Free);
        assert_eq!(
            FatEntry::decode(&raw(3, 0xFFFF_FFFF), 10).unwrap(),
            FatEntry::Used { seq: 3, next: None }
        );
        assert_eq!(
            FatEntry::decode(&raw(0, 9), 10).unwrap(),
            FatEntry::Used {
                seq: 0,
                next: Some(9)
            }
        );
        assert_eq!(
            FatEntry::decode(&raw(0, 1), 10).unwrap(),
            FatEntry::Used {
                seq: 0,
                next: Some(1)
            }
        );
        assert_eq!(
            FatEntry::decode(&raw(1, 0), 10).unwrap_err().field(),
            "next block"
        );
        assert_eq!(
            FatEntry::decode(&raw(1, 10), 10).unwrap_err().field(),
            "next block"
        );
        assert_eq!(
            FatEntry::decode(&raw(1, 0xFFFF_FFFE), 10)
                .unwrap_err()
                .field(),
            "next block"
        );
        assert_eq!(
            FatEntry::decode(&raw(0, 0)[..7], 10).unwrap_err().field(),
            "length"
        );
        assert_eq!(FatEntry::Free.encode(), raw(0, 0));
        assert_eq!(
            FatEntry::Used { seq: 3, next: None }.encode(),
            raw(3, 0xFFFF_FFFF)
        );
        assert_eq!(
            FatEntry::Used {
                seq: 7,
                next: Some(5)
            }
            .encode(),
            raw(7, 5)
        );
        let e = FatEntry::decode(&raw(1, 10), 10)
            .unwrap_err()
            .in_structure("FAT entry of block 4");
        assert_eq!(e.structure(), "FAT entry of block 4");
    }

    #[test]
    fn fat_sizes() {
        assert_eq!(fat_blocks(0, 4096), 0);
        assert_eq!(fat_blocks(1, 4096), 1);
        assert_eq!(fat_blocks(512, 4096), 1);
        assert_eq!(fat_blocks(513, 4096), 2);
        assert_eq!(fat_blocks(u32::MAX, 4096), 8_388_608);
        assert_eq!(fat_blocks(10, 0), 0);
        assert_eq!(entries_per_block(65536), 8192);
    }
}
