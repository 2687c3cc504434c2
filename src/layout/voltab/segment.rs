//! One segment entry of the volume table (60 bytes): a piece of a volume
//! held by this logical partition, and the block-size codes it stores.

use super::super::LayoutError;
use super::super::SECTOR;
use super::super::bytes::{corrupt, le16, le32, need, put16, put32};

use super::name::{put_stored_name, stored_name, volume_name_char};
use super::{SEGMENT_ENTRY_BYTES, SEGMENT_SECTOR_BIAS, VOLTAB_SECTORS, validate_volume_name};

// Segment entry offsets.
const S_NAME_LEN: usize = 0;
const S_NAME: usize = 1; // 19 bytes: name::NAME_FIELD
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
        put_stored_name(&mut b, S_NAME_LEN, S_NAME, &self.name);
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
        let raw = stored_name(b, S_NAME_LEN, S_NAME, s)?;
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
    pub(super) fn validate(&self, data_sectors: u32, s: &str) -> Result<(), LayoutError> {
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
        // A block number of the segment's volume: below its block count.
        let in_volume = |block: u32, field: &'static str| {
            if block >= self.total_blocks {
                let why = format!(
                    "{block}, not below the volume's {} blocks",
                    self.total_blocks
                );
                return Err(corrupt(s, field, why));
            }
            Ok(())
        };
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
        in_volume(self.first_block, "first block")?;
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
        in_volume(self.dir_block, "directory block")?;
        in_volume(self.dir_copy_block, "directory copy block")?;
        Ok(())
    }
}
