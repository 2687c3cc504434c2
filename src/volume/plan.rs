//! Where volumes go: a pure function from the logical partitions' sizes and
//! the requested volumes to segments, tested by sweeping sizes.

use crate::error::{Error, Result};
use crate::layout::checksum::checksum_blocks;
use crate::layout::fat::fat_blocks;
use crate::layout::voltab::{
    MAX_SEGMENT_ENTRIES, VOLTAB_SECTORS, block_code_for, validate_volume_name,
};
use crate::units::SECTOR;

/// A volume the user asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeRequest {
    /// Upper-case name.
    pub name: String,
    /// Size in bytes; None takes the rest (only the last volume).
    pub size: Option<u64>,
}

/// One planned segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentPlan {
    /// Index of the logical partition (mirror group) holding it.
    pub group: usize,
    /// Segment number within the volume.
    pub number: u16,
    /// First logical sector.
    pub logical_sector: u32,
    /// Blocks in the segment.
    pub blocks: u32,
    /// First volume block.
    pub first_block: u32,
}

impl SegmentPlan {
    /// Blocks of this segment's FAT fragment (and of its copy).
    pub fn fat_blocks(&self, block_size: u32) -> u32 {
        fat_blocks(self.blocks, block_size)
    }

    /// Blocks of this segment's checksum fragment (0 without checksums).
    pub fn checksum_blocks(&self, block_size: u32, checksums: bool) -> u32 {
        if checksums {
            checksum_blocks(self.blocks, block_size)
        } else {
            0
        }
    }

    /// Blocks at the start of the segment that hold its own structures:
    /// FAT fragment, its copy and (with checksums) the checksum fragment.
    pub fn overhead_blocks(&self, block_size: u32, checksums: bool) -> u32 {
        2 * self.fat_blocks(block_size) + self.checksum_blocks(block_size, checksums)
    }
}

/// One planned volume.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumePlan {
    /// Name.
    pub name: String,
    /// Block size in bytes.
    pub block_size: u32,
    /// Total blocks.
    pub total_blocks: u32,
    /// Segments in order.
    pub segments: Vec<SegmentPlan>,
    /// First block of the directory table.
    pub dir_block: u32,
    /// First block of the directory table's copy.
    pub dir_copy_block: u32,
    /// True when the volume keeps block checksums (a checksum fragment
    /// per segment, after the FAT copy).
    pub checksums: bool,
}

/// Smallest segment worth making, in blocks (smaller leftovers stay unused).
pub const MIN_SEGMENT_BLOCKS: u32 = 16;

/// Most blocks a volume gets from the default block size: a FAT of
/// 16 MiB (8 bytes per block) per copy, while the block size allows.
pub const DEFAULT_MAX_BLOCKS: u64 = 1 << 21;

/// The default block size for a volume of `bytes`: the smallest NetWare
/// block size (4 KiB, NetWare 3's default, first) that keeps the volume
/// at most [`DEFAULT_MAX_BLOCKS`] blocks, and 64 KiB beyond. So 4 KiB up
/// to 8 GiB, 8 KiB to 16 GiB, 16 KiB to 32 GiB, 32 KiB to 64 GiB, 64 KiB
/// above: small files waste little on small volumes, and the FAT (and the
/// memory and time to read it) stays what 64 KiB blocks give on large
/// ones.
pub fn default_block_size(bytes: u64) -> u32 {
    [4096u32, 8192, 16384, 32768]
        .into_iter()
        .find(|&bs| bytes.div_ceil(bs as u64) <= DEFAULT_MAX_BLOCKS)
        .unwrap_or(65536)
}

/// Lays out `volumes` over logical partitions of `data_sectors` each, in
/// order. `block_size`: None picks by each volume's size. `checksums`:
/// every volume keeps block checksums.
pub fn plan_volumes(
    data_sectors: &[u32],
    volumes: &[VolumeRequest],
    block_size: Option<u32>,
    checksums: bool,
) -> Result<Vec<VolumePlan>> {
    let starts = vec![VOLTAB_SECTORS; data_sectors.len()];
    let used = vec![0; data_sectors.len()];
    plan_volumes_after(data_sectors, &starts, &used, volumes, block_size, checksums)
}

/// Like [`plan_volumes`], in the free space of partitions that already
/// hold volumes: partition `g`'s free space starts at logical sector
/// `starts[g]`, and its volume table already has `used_entries[g]` entries.
pub fn plan_volumes_after(
    data_sectors: &[u32],
    starts: &[u32],
    used_entries: &[usize],
    volumes: &[VolumeRequest],
    block_size: Option<u32>,
    checksums: bool,
) -> Result<Vec<VolumePlan>> {
    if volumes.is_empty() {
        return Err(Error::Invalid("no volume to create".into()));
    }
    if let Some(bs) = block_size
        && block_code_for(bs).is_none()
    {
        return Err(Error::Invalid(format!(
            "block size {bs} is not one of 4K, 8K, 16K, 32K, 64K"
        )));
    }
    for (i, v) in volumes.iter().enumerate() {
        validate_volume_name(&v.name)
            .map_err(|e| Error::Invalid(format!("volume name {:?}: {e}", v.name)))?;
        if volumes[..i].iter().any(|o| o.name == v.name) {
            return Err(Error::Invalid(format!("volume {} is given twice", v.name)));
        }
        if v.size.is_none() && i + 1 != volumes.len() {
            return Err(Error::VolumeWithoutSize(v.name.clone()));
        }
    }
    // Free space cursor: (group, next free logical sector).
    if starts.len() != data_sectors.len() || used_entries.len() != data_sectors.len() {
        return Err(Error::Internal(
            "one start and entry count per partition".into(),
        ));
    }
    let mut cursor: Vec<u32> = starts.iter().map(|&s| s.max(VOLTAB_SECTORS)).collect();
    let mut entries_per_group: Vec<usize> = used_entries.to_vec();
    let mut plans = Vec::new();
    for v in volumes {
        let left: u64 = data_sectors
            .iter()
            .zip(&cursor)
            .map(|(&d, &c)| (d.saturating_sub(c)) as u64 * SECTOR as u64)
            .sum();
        let want = v.size.unwrap_or(left);
        let bs = block_size.unwrap_or_else(|| default_block_size(want));
        let spb = bs / SECTOR as u32;
        let mut need_blocks: u64 = match v.size {
            Some(s) => s.div_ceil(bs as u64),
            None => u64::MAX,
        };
        let mut segments: Vec<SegmentPlan> = Vec::new();
        let mut first_block: u64 = 0;
        for g in 0..data_sectors.len() {
            if need_blocks == 0 {
                break;
            }
            let avail = (data_sectors[g].saturating_sub(cursor[g]) / spb) as u64;
            let take = avail.min(need_blocks);
            if take < MIN_SEGMENT_BLOCKS as u64 {
                continue;
            }
            if entries_per_group[g] >= MAX_SEGMENT_ENTRIES {
                continue;
            }
            let number = u16::try_from(segments.len())
                .map_err(|_| Error::Invalid("too many segments".into()))?;
            // 0xFFFFFFFF ends a chain, so block numbers stay below it.
            if first_block + take >= u32::MAX as u64 {
                return Err(Error::TooManyBlocks {
                    volume: v.name.clone(),
                    block_size_chosen: true,
                });
            }
            segments.push(SegmentPlan {
                group: g,
                number,
                logical_sector: cursor[g],
                blocks: take as u32,
                first_block: first_block as u32,
            });
            cursor[g] += take as u32 * spb;
            entries_per_group[g] += 1;
            first_block += take;
            if v.size.is_some() {
                need_blocks -= take;
            }
        }
        if segments.is_empty() {
            return Err(Error::Invalid(format!(
                "no space left for volume {}",
                v.name
            )));
        }
        if v.size.is_some() && need_blocks > 0 {
            let (asked, left) =
                crate::units::format_size_pair(v.size.unwrap_or(0), first_block * bs as u64);
            return Err(Error::Invalid(format!(
                "volume {} asks for {asked} but only {left} are left",
                v.name
            )));
        }
        let seg0 = segments[0];
        let dir = seg0.overhead_blocks(bs, checksums);
        // Every segment must hold its FAT fragment and copy (and checksum
        // fragment); segment 0 also the directory table and its copy.
        for s in &segments {
            let overhead = s.overhead_blocks(bs, checksums) + if s.number == 0 { 2 } else { 0 };
            if overhead + 1 > s.blocks {
                return Err(Error::Invalid(format!(
                    "volume {} is too small for its own FAT",
                    v.name
                )));
            }
        }
        plans.push(VolumePlan {
            name: v.name.clone(),
            block_size: bs,
            total_blocks: first_block as u32,
            segments,
            dir_block: dir,
            dir_copy_block: dir + 1,
            checksums,
        });
    }
    Ok(plans)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_block_size_grows_only_past_two_mebiblocks() {
        const GIB: u64 = 1 << 30;
        assert_eq!(default_block_size(20 << 20), 4096);
        assert_eq!(default_block_size(GIB), 4096);
        assert_eq!(default_block_size(8 * GIB), 4096);
        assert_eq!(default_block_size(8 * GIB + 1), 8192);
        assert_eq!(default_block_size(16 * GIB), 8192);
        assert_eq!(default_block_size(32 * GIB), 16384);
        assert_eq!(default_block_size(64 * GIB), 32768);
        assert_eq!(default_block_size(64 * GIB + 1), 65536);
        assert_eq!(default_block_size(2 << 40), 65536);
    }

    fn req(name: &str, size: Option<u64>) -> VolumeRequest {
        VolumeRequest {
            name: name.into(),
            size,
        }
    }

    #[test]
    fn sweep_single_volume() {
        let mut d: u64 = 4096;
        while d < u32::MAX as u64 {
            let plans = plan_volumes(&[d as u32], &[req("SYS", None)], None, true).unwrap();
            let p = &plans[0];
            let s = p.segments[0];
            let f = s.fat_blocks(p.block_size);
            let c = checksum_blocks(s.blocks, p.block_size);
            assert!(c * p.block_size >= s.blocks * 4 && (c - 1) * p.block_size < s.blocks * 4);
            assert_eq!(p.dir_block, 2 * f + c);
            let plain = &plan_volumes(&[d as u32], &[req("SYS", None)], None, false).unwrap()[0];
            assert_eq!(plain.dir_block, 2 * f);
            assert_eq!(plain.segments, p.segments);
            assert_eq!(p.segments.len(), 1);
            let s = p.segments[0];
            assert_eq!(s.logical_sector, 128);
            let spb = p.block_size / 512;
            assert!(s.logical_sector as u64 + s.blocks as u64 * spb as u64 <= d);
            // Nothing larger than a block is left unused.
            assert!(d - (s.logical_sector as u64 + s.blocks as u64 * spb as u64) < spb as u64);
            assert!(p.dir_copy_block < p.total_blocks);
            d = d * 5 / 3 + 8;
        }
    }

    #[test]
    fn sized_volumes_and_spanning() {
        let d = [(64u32 << 20) / 512, (32u32 << 20) / 512];
        let plans = plan_volumes(
            &d,
            &[req("SYS", Some(16 << 20)), req("DATA", None)],
            Some(4096),
            true,
        )
        .unwrap();
        assert_eq!(plans[0].total_blocks, 4096);
        assert_eq!(plans[0].segments.len(), 1);
        let data = &plans[1];
        assert_eq!(data.segments.len(), 2);
        assert_eq!(data.segments[0].group, 0);
        assert_eq!(data.segments[1].group, 1);
        assert_eq!(data.segments[1].first_block, data.segments[0].blocks);
        assert_eq!(data.segments[0].logical_sector, 128 + 4096 * 8);
    }

    #[test]
    fn bad_requests_are_refused() {
        let d = [(64u32 << 20) / 512];
        assert!(
            plan_volumes(&d, &[req("SYS", Some(1 << 30))], None, true)
                .unwrap_err()
                .to_string()
                .contains("asks for")
        );
        assert!(plan_volumes(&d, &[req("S", None)], None, true).is_err());
        assert!(plan_volumes(&d, &[req("SYS", None), req("VOL1", None)], None, true).is_err());
        assert!(plan_volumes(&d, &[req("SYS", None)], Some(1000), true).is_err());
        assert!(
            plan_volumes(
                &d,
                &[req("SYS", Some(1 << 20)), req("SYS", None)],
                None,
                true
            )
            .is_err()
        );
    }
}
