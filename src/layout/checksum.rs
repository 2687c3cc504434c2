//! Block checksums (FORMAT.md "Block checksums"): the size of a segment's
//! checksum fragment and the checksum of a block's bytes.

use super::voltab::CHECKSUM_ENTRY_BYTES;

/// Blocks of a segment's checksum fragment: one 4-byte entry per block of
/// the segment, `ceil(blocks * 4 / block size)`; 0 for a zero block size.
pub fn checksum_blocks(blocks: u32, block_size: u32) -> u32 {
    if block_size == 0 {
        return 0;
    }
    (u64::from(blocks) * u64::from(CHECKSUM_ENTRY_BYTES)).div_ceil(u64::from(block_size)) as u32
}

/// The checksum stored for a block's bytes: CRC32 (IEEE) of the whole
/// block. An entry of 0 means "none recorded", so a block whose CRC is 0
/// is not checked.
pub fn block_crc(data: &[u8]) -> u32 {
    crc32fast::hash(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragment_sizes() {
        assert_eq!(checksum_blocks(0, 4096), 0);
        assert_eq!(checksum_blocks(1, 4096), 1);
        assert_eq!(checksum_blocks(1024, 4096), 1);
        assert_eq!(checksum_blocks(1025, 4096), 2);
        assert_eq!(checksum_blocks(u32::MAX, 4096), 4_194_304);
        assert_eq!(checksum_blocks(16384, 65536), 1);
        assert_eq!(checksum_blocks(10, 0), 0);
    }

    #[test]
    fn crc_is_zlib_crc32() {
        assert_eq!(block_crc(b"123456789"), 0xCBF4_3926);
        assert_eq!(block_crc(&[0u8; 4096]), crc32fast::hash(&[0u8; 4096]));
    }
}
