//! What a remirror of a group must copy when the group holds volumes: the
//! volume tables, each FAT fragment and its copy, and the allocated blocks.
//! It reads the volumes' FATs, so it lives here above the volume layer and
//! hands the mirror layer's engine a plain [`RemirrorPlan`].

use crate::error::Result;
use crate::layout::fat::{FAT_ENTRY_BYTES, fat_blocks};
use crate::layout::voltab::{VOLTAB_COPIES, VOLTAB_COPY_BYTES};
use crate::mirror::remirror::RemirrorPlan;

use super::Assembly;

/// What matters in group `g`'s logical partition: the volume tables, each
/// segment's FAT fragment and its copy, and every block whose FAT entry is
/// not zero (the directory tables, files, deleted files).
pub fn allocated_plan(sys: &Assembly, g: usize) -> Result<RemirrorPlan> {
    let lb = sys.groups[g].logical_bytes;
    let mut v = vec![(0u64, ((VOLTAB_COPIES * VOLTAB_COPY_BYTES) as u64).min(lb))];
    const CHUNK: usize = 4 << 20;
    let mut buf = vec![0u8; CHUNK];
    for vol in &sys.volumes {
        let bs = vol.block_size as u64;
        for s in vol.segments.iter().filter(|s| s.group == g) {
            let start = s.logical_start();
            let f = fat_blocks(s.blocks(), vol.block_size) as u64;
            v.push((start, start + 2 * f * bs));
            let mut left = s.blocks() as u64 * FAT_ENTRY_BYTES as u64;
            let mut off = start;
            let mut block = 0u64;
            while left > 0 {
                let n = left.min(CHUNK as u64) as usize;
                sys.io.read(g, vol.block_size, off, &mut buf[..n])?;
                for e in buf[..n].chunks_exact(FAT_ENTRY_BYTES) {
                    if e.iter().any(|&b| b != 0) {
                        let b0 = start + block * bs;
                        match v.last_mut() {
                            Some(last) if last.1 == b0 => last.1 = b0 + bs,
                            _ => v.push((b0, b0 + bs)),
                        }
                    }
                    block += 1;
                }
                off += n as u64;
                left -= n as u64;
            }
        }
    }
    for r in &mut v {
        r.1 = r.1.min(lb);
    }
    Ok(RemirrorPlan::from_ranges(v))
}
