//! Which blocks of a volume segment the mirror check reads: those its FAT
//! fragment says are in use, when every compared member's fragment and its
//! second copy all agree. Read before the segment's data, so free blocks
//! cost no reads; where the copies disagree, the whole segment is read.

use crate::error::Result;
use crate::layout::fat::{FAT_ENTRY_BYTES, fat_blocks};
use crate::mirror::MirrorGroup;
use crate::volume::Volume;

/// FAT bytes compared at a time (per member, per copy).
const FAT_CHUNK: u64 = 1 << 20;

/// Free stretches shorter than this many bytes are read anyway: one read
/// across them costs less than a seek around them.
const GAP_BYTES: u64 = 256 << 10;

/// Segment-relative block ranges `[first, end)` to read of segment `seg`
/// of `vol`, in order; None when the members' FAT fragments (or a
/// fragment and its copy) differ or cannot be read: then every block is.
/// The fragment itself is always in the first range.
pub fn allocated_runs(
    vol: &Volume,
    seg: usize,
    group: &MirrorGroup,
    members: &[usize],
) -> Result<Option<Vec<(u32, u32)>>> {
    let s = &vol.segments[seg];
    let bs = vol.block_size as u64;
    let blocks = s.blocks();
    let fat_len = fat_blocks(blocks, vol.block_size);
    let fat_bytes = blocks as u64 * FAT_ENTRY_BYTES as u64;
    if members.is_empty() || 2 * fat_len as u64 > blocks as u64 {
        return Ok(None);
    }
    let copy_at = fat_len as u64 * bs;
    let gap_blocks = (GAP_BYTES / bs).max(1) as u32;
    let mut runs: Vec<(u32, u32)> = vec![(0, fat_len)];
    let mut bufs: Vec<Vec<u8>> = vec![vec![0u8; FAT_CHUNK as usize]; 2 * members.len()];
    let mut off = 0u64;
    while off < fat_bytes {
        let n = (fat_bytes - off).min(FAT_CHUNK) as usize;
        for (k, &mi) in members.iter().enumerate() {
            let part = &group.members[mi].partition;
            for (c, at) in [(0, 0), (1, copy_at)] {
                if part
                    .read_logical(&mut bufs[2 * k + c][..n], s.logical_start() + at + off)
                    .is_err()
                {
                    return Ok(None);
                }
            }
        }
        let first = &bufs[0][..n];
        if bufs.iter().any(|b| &b[..n] != first) {
            return Ok(None);
        }
        let base = (off / FAT_ENTRY_BYTES as u64) as u32;
        for (i, e) in first.chunks_exact(FAT_ENTRY_BYTES).enumerate() {
            let rel = base + i as u32;
            if rel < fat_len || e.iter().all(|&x| x == 0) {
                continue;
            }
            match runs.last_mut() {
                Some(last) if rel <= last.1 + gap_blocks => last.1 = rel + 1,
                _ => runs.push((rel, rel + 1)),
            }
        }
        off += n as u64;
    }
    Ok(Some(runs))
}
