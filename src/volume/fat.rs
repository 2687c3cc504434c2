//! The FAT of a volume through [`BlockIo`]: reading entries and chains,
//! writing entries to both copies, and block allocation from an in-memory
//! free bitmap (1 bit per block) built when the volume opens.

use crate::cache::BlockIo;
use crate::error::{ChainProblem, CorruptKind, Error, Result};
use crate::layout::fat::{FAT_ENTRY_BYTES, FatEntry};

use super::Volume;

/// The largest FAT whose reads [`Fat::will_load`] starts (that of 4 GiB
/// in 4 KiB blocks).
pub const WILL_LOAD_MAX: u64 = 8 << 20;

/// The free bitmap and allocation state of one volume.
#[derive(Debug, Clone)]
pub struct Fat {
    /// Bit `b` set = block `b` in use (or reserved by an allocation not yet
    /// written). Bits past the volume's end are set.
    used: Vec<u64>,
    total: u32,
    free: u64,
    cursor: u32,
}

impl Fat {
    /// An empty bitmap of `total` blocks, all free.
    pub fn new(total: u32) -> Fat {
        let words = (total as usize).div_ceil(64);
        let mut used = vec![0u64; words];
        let tail = total as usize % 64;
        if tail != 0 {
            used[words - 1] = !0u64 << tail;
        }
        Fat {
            used,
            total,
            free: u64::from(total),
            cursor: 0,
        }
    }

    /// Builds the bitmap by scanning every segment's FAT fragment: an entry
    /// that is not all zero marks its block used.
    pub fn load(vol: &Volume, io: &dyn BlockIo) -> Result<Fat> {
        let mut fat = Fat::new(vol.total_blocks);
        const CHUNK: usize = 1 << 20;
        let mut buf = vec![0u8; CHUNK];
        for s in &vol.segments {
            let mut left = s.blocks() as u64 * FAT_ENTRY_BYTES as u64;
            let mut off = s.logical_start();
            let mut block = s.entry.first_block;
            while left > 0 {
                let n = left.min(CHUNK as u64) as usize;
                let copy = off
                    + u64::from(crate::layout::fat::fat_blocks(s.blocks(), vol.block_size))
                        * u64::from(vol.block_size);
                read_either(vol, io, s.group, off, copy, &mut buf[..n])?;
                for e in buf[..n].chunks_exact(FAT_ENTRY_BYTES) {
                    if e.iter().any(|&b| b != 0) {
                        fat.mark(block);
                    }
                    block += 1;
                }
                off += n as u64;
                left -= n as u64;
            }
        }
        Ok(fat)
    }

    /// Announces that every segment's FAT (the primary copy) is about to
    /// be read, so that its reads and the directory table's go to the
    /// disk together. Not for a FAT over [`WILL_LOAD_MAX`]: a large volume
    /// would read more than its use needs.
    pub fn will_load(vol: &Volume, io: &dyn BlockIo) {
        let bytes: u64 =
            vol.segments.iter().map(|s| s.blocks() as u64).sum::<u64>() * FAT_ENTRY_BYTES as u64;
        if bytes > WILL_LOAD_MAX {
            return;
        }
        for s in &vol.segments {
            io.will_read(
                s.group,
                s.logical_start(),
                s.blocks() as u64 * FAT_ENTRY_BYTES as u64,
            );
        }
    }

    /// Blocks of the volume.
    pub fn total(&self) -> u32 {
        self.total
    }

    /// Free blocks.
    pub fn free_blocks(&self) -> u64 {
        self.free
    }

    /// Blocks in use.
    pub fn used_blocks(&self) -> u64 {
        u64::from(self.total) - self.free
    }

    /// True when block `b` is in use (or past the end).
    pub fn is_used(&self, b: u32) -> bool {
        b >= self.total || self.used[(b / 64) as usize] & (1 << (b % 64)) != 0
    }

    fn mark(&mut self, b: u32) {
        if !self.is_used(b) {
            self.used[(b / 64) as usize] |= 1 << (b % 64);
            self.free -= 1;
        }
    }

    fn unmark(&mut self, b: u32) {
        if b < self.total && self.is_used(b) {
            self.used[(b / 64) as usize] &= !(1 << (b % 64));
            self.free += 1;
        }
    }

    /// The first free block at or after `from`, without wrapping.
    fn next_free(&self, from: u32) -> Option<u32> {
        let mut w = (from / 64) as usize;
        if w >= self.used.len() {
            return None;
        }
        let mut bits = !self.used[w] & (!0u64 << (from % 64));
        loop {
            if bits != 0 {
                let b = w as u32 * 64 + bits.trailing_zeros();
                return (b < self.total).then_some(b);
            }
            w += 1;
            if w >= self.used.len() {
                return None;
            }
            bits = !self.used[w];
        }
    }

    /// Reserves `n` free blocks in memory, preferring the blocks right
    /// after `near` (a file's previous block) so that files stay
    /// contiguous, else continuing where the last allocation ended. None
    /// when fewer than `n` blocks are free. Nothing is written: the caller
    /// writes the FAT entries, or gives the blocks back with
    /// [`Fat::release`].
    pub fn allocate(&mut self, n: usize, near: Option<u32>) -> Option<Vec<u32>> {
        if (n as u64) > self.free {
            return None;
        }
        let start = near
            .map(|b| b.saturating_add(1))
            .filter(|&b| b < self.total)
            .unwrap_or(self.cursor);
        let mut out = Vec::with_capacity(n);
        let mut at = start;
        let mut wrapped = false;
        while out.len() < n {
            match self.next_free(at) {
                Some(b) if !(wrapped && b >= start) => {
                    self.mark(b);
                    out.push(b);
                    at = b + 1;
                }
                _ if !wrapped => {
                    wrapped = true;
                    at = 0;
                }
                _ => break,
            }
        }
        if out.len() < n {
            self.release(&out);
            return None;
        }
        self.cursor = out.last().map(|&b| b + 1).unwrap_or(0) % self.total.max(1);
        Some(out)
    }

    /// Marks blocks free in memory (after their FAT entries are zeroed, or
    /// when an allocation is abandoned before any FAT entry was written).
    pub fn release(&mut self, blocks: &[u32]) {
        for &b in blocks {
            self.unmark(b);
        }
    }

    /// Reads the FAT entry of a block (primary copy).
    pub fn entry(vol: &Volume, io: &dyn BlockIo, block: u32) -> Result<FatEntry> {
        FatReader::new(vol, io).entry(block)
    }

    /// Follows the chain from `first` and returns its blocks: the one chain
    /// walker of the volume layer. Checks that sequence numbers count 0, 1,
    /// 2, ..., that the chain does not loop (found at the first repeated
    /// block) and that it does not run into a free block. `limit`: stop
    /// after this many blocks (the blocks a file's length needs) even when
    /// the chain goes on.
    pub fn chain(
        vol: &Volume,
        io: &dyn BlockIo,
        first: u32,
        limit: Option<u64>,
    ) -> Result<Vec<u32>> {
        FatReader::new(vol, io).chain(first, limit)
    }

    /// Writes FAT entries, given sorted or not, to the primary FAT and its
    /// copy: consecutive blocks of one segment go out as one write per copy.
    pub fn write_entries(
        vol: &Volume,
        io: &dyn BlockIo,
        entries: &[(u32, FatEntry)],
    ) -> Result<()> {
        let mut sorted: Vec<(u32, FatEntry)> = entries.to_vec();
        sorted.sort_by_key(|&(b, _)| b);
        let blocks: Vec<u32> = sorted.iter().map(|&(b, _)| b).collect();
        let mut i = 0;
        let mut buf: Vec<u8> = Vec::new();
        while i < sorted.len() {
            let n = vol.run_len(&blocks[i..]);
            buf.clear();
            for (_, e) in &sorted[i..i + n] {
                buf.extend_from_slice(&e.encode());
            }
            let (g, primary, copy) = vol.fat_location(blocks[i])?;
            io.write(g, vol.block_size, primary, &buf)?;
            io.write(g, vol.block_size, copy, &buf)?;
            i += n;
        }
        Ok(())
    }

    /// Writes the FAT entries of a whole chain (`blocks` in order; the
    /// sequence numbers count from `first_seq`), in both copies.
    pub fn write_chain(
        vol: &Volume,
        io: &dyn BlockIo,
        blocks: &[u32],
        first_seq: u32,
    ) -> Result<()> {
        Fat::write_entries(vol, io, &Fat::chain_entries(blocks, first_seq))
    }

    /// The FAT entries of a chain (`blocks` in order; the sequence numbers
    /// count from `first_seq`).
    pub fn chain_entries(blocks: &[u32], first_seq: u32) -> Vec<(u32, FatEntry)> {
        blocks
            .iter()
            .enumerate()
            .map(|(i, &b)| {
                (
                    b,
                    FatEntry::Used {
                        seq: first_seq + i as u32,
                        next: blocks.get(i + 1).copied(),
                    },
                )
            })
            .collect()
    }

    /// Frees blocks: zeroes their FAT entries in both copies, then marks
    /// them free in `bitmap` when it is built (one built later reads them
    /// free).
    pub fn free_chain(
        bitmap: Option<&mut Fat>,
        vol: &Volume,
        io: &dyn BlockIo,
        blocks: &[u32],
    ) -> Result<()> {
        let entries: Vec<(u32, FatEntry)> = blocks.iter().map(|&b| (b, FatEntry::Free)).collect();
        Fat::write_entries(vol, io, &entries)?;
        if let Some(f) = bitmap {
            f.release(blocks);
        }
        Ok(())
    }
}

/// Reads FAT entries a FAT block at a time, keeping the last block read:
/// walking chains one after another (a tree being removed, a table being
/// opened) costs a read per FAT block, not one per entry.
pub struct FatReader<'a> {
    vol: &'a Volume,
    io: &'a dyn BlockIo,
    /// The FAT block in `buf`: its group and primary offset.
    held: Option<(usize, u64)>,
    buf: Vec<u8>,
}

impl<'a> FatReader<'a> {
    /// A reader of `vol`'s FAT through `io`.
    pub fn new(vol: &'a Volume, io: &'a dyn BlockIo) -> FatReader<'a> {
        FatReader {
            vol,
            io,
            held: None,
            buf: Vec::new(),
        }
    }

    /// The FAT entry of a block (primary copy, or the FAT's copy where no
    /// member holds a good primary).
    pub fn entry(&mut self, block: u32) -> Result<FatEntry> {
        let (g, off, copy) = self.vol.fat_location(block)?;
        let bs = u64::from(self.vol.block_size);
        // The FAT block holding the entry, counted from the segment's FAT
        // start (a segment of an old disk need not start on the grid).
        let fat_start = self.vol.segment_of(block)?.logical_start();
        let start = off - (off - fat_start) % bs;
        if self.held != Some((g, start)) {
            self.held = None;
            self.buf.resize(bs as usize, 0);
            read_either(
                self.vol,
                self.io,
                g,
                start,
                copy - (off - start),
                &mut self.buf,
            )?;
            self.held = Some((g, start));
        }
        let at = (off - start) as usize;
        FatEntry::decode(&self.buf[at..at + FAT_ENTRY_BYTES], self.vol.total_blocks).map_err(|e| {
            Error::Corrupt {
                device: self.io.groups()[g].name(),
                what: format!("volume {} FAT entry of block {block}", self.vol.name),
                source: e,
            }
        })
    }

    /// The blocks of the chain from `first`, as [`Fat::chain`].
    pub fn chain(&mut self, first: u32, limit: Option<u64>) -> Result<Vec<u32>> {
        let mut out = Vec::new();
        self.chain_into(first, limit, &mut out)?;
        Ok(out)
    }

    /// [`FatReader::chain`], appending the chain's blocks to `all` (many
    /// chains in one list); on an error `all` is as it was.
    pub fn chain_into(&mut self, first: u32, limit: Option<u64>, all: &mut Vec<u32>) -> Result<()> {
        let base = all.len();
        let r = self.walk(first, limit, all, base);
        if r.is_err() {
            all.truncate(base);
        }
        r
    }

    /// Walks the chain from `first`, pushing its blocks onto `out` after
    /// `out[..base]`.
    fn walk(
        &mut self,
        first: u32,
        limit: Option<u64>,
        out: &mut Vec<u32>,
        base: usize,
    ) -> Result<()> {
        let vol = self.vol;
        let bad = |problem: ChainProblem| {
            Error::Damaged(CorruptKind::FatChain {
                volume: vol.name.clone(),
                first,
                problem,
            })
        };
        let mut b = first;
        loop {
            let len = out.len() - base;
            // Unreachable while sequence numbers are checked (a repeated
            // block repeats its number), kept as the bound of the walk.
            if len as u64 >= u64::from(vol.total_blocks) {
                return Err(bad(ChainProblem::Loops));
            }
            match self.entry(b)? {
                FatEntry::Free => return Err(bad(ChainProblem::RunsIntoFree(b))),
                FatEntry::Used { seq, next } => {
                    if seq as usize != len {
                        // A block met before carries the number it had
                        // then: the chain loops back to it.
                        if out[base..].get(seq as usize) == Some(&b) {
                            return Err(bad(ChainProblem::LoopsBackTo(b)));
                        }
                        return Err(bad(ChainProblem::Sequence {
                            block: b,
                            seq,
                            expected: len,
                        }));
                    }
                    out.push(b);
                    if limit.is_some_and(|l| len as u64 + 1 >= l) {
                        return Ok(());
                    }
                    match next {
                        None => return Ok(()),
                        Some(n) => b = n,
                    }
                }
            }
        }
    }
}

/// Reads FAT bytes at `primary`; when no member holds a good copy of the
/// block there, reads them from the FAT's copy at `copy` instead.
fn read_either(
    vol: &Volume,
    io: &dyn BlockIo,
    g: usize,
    primary: u64,
    copy: u64,
    buf: &mut [u8],
) -> Result<()> {
    match io.read(g, vol.block_size, primary, buf) {
        Err(Error::BadBlocks { .. }) => io.read(g, vol.block_size, copy, buf),
        r => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitmap_counts() {
        let mut f = Fat::new(130);
        assert_eq!(f.free_blocks(), 130);
        assert!(f.is_used(130), "past the end");
        let a = f.allocate(3, None).unwrap();
        assert_eq!(a, vec![0, 1, 2]);
        assert_eq!(f.free_blocks(), 127);
        f.release(&[1]);
        assert_eq!(f.free_blocks(), 128);
        f.release(&[1]);
        assert_eq!(f.free_blocks(), 128, "releasing twice counts once");
    }

    #[test]
    fn allocation_prefers_the_next_block() {
        let mut f = Fat::new(1000);
        let a = f.allocate(10, None).unwrap();
        let b = f.allocate(10, None).unwrap();
        assert_eq!(b[0], 10, "continues after the last allocation");
        // A file whose last block is a[9] grows contiguously once the
        // blocks after it are free again.
        f.release(&b);
        let c = f.allocate(5, Some(a[9])).unwrap();
        assert_eq!(c, (10..15).collect::<Vec<_>>());
    }

    #[test]
    fn allocation_wraps_and_skips_used_blocks() {
        let mut f = Fat::new(200);
        let all = f.allocate(200, None).unwrap();
        assert_eq!(all.len(), 200);
        assert!(f.allocate(1, None).is_none());
        f.release(&[5, 70, 199]);
        let got = f.allocate(3, Some(100)).unwrap();
        assert_eq!(
            got,
            vec![199, 5, 70],
            "from after 100, wrapping to the start"
        );
        assert_eq!(f.free_blocks(), 0);
        assert!(f.allocate(1, Some(3)).is_none());
    }

    #[test]
    fn too_large_a_request_reserves_nothing() {
        let mut f = Fat::new(64);
        f.allocate(60, None).unwrap();
        assert!(f.allocate(5, None).is_none());
        assert_eq!(f.free_blocks(), 4);
        assert_eq!(f.allocate(4, None).unwrap().len(), 4);
    }

    #[test]
    fn word_boundaries() {
        for total in [1u32, 63, 64, 65, 127, 128, 129] {
            let mut f = Fat::new(total);
            let got = f.allocate(total as usize, Some(total / 2)).unwrap();
            let mut sorted = got.clone();
            sorted.sort();
            assert_eq!(sorted, (0..total).collect::<Vec<_>>(), "total {total}");
            assert!(f.allocate(1, None).is_none());
        }
    }
}
