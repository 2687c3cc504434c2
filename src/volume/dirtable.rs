//! The directory table of a volume and its copy: two FAT chains of blocks
//! of 128-byte entries, kept equal entry by entry. Keeps the list of free
//! entries and grows both chains by one block when entries run out.

use std::collections::{BTreeMap, BTreeSet};

use crate::cache::BlockIo;
use crate::error::{CorruptKind, Error, Result};
use crate::layout::LayoutError;
use crate::layout::dirent::{DIRENT_BYTES, DirEntry, PARENT_RESERVED_FIRST};
use crate::layout::fat::FatEntry;

use super::Volume;
use super::fat::Fat;

/// Bytes of the table read at once when it is loaded.
const LOAD_RUN_BYTES: usize = 1 << 20;

/// The directory table's chains and free entries.
#[derive(Debug, Clone)]
pub struct DirTable {
    blocks: Vec<u32>,
    copy: Option<Vec<u32>>,
    per_block: u32,
    free: BTreeSet<u32>,
    /// FAT entries linking blocks added by [`DirTable::grow`] to the
    /// chains, not yet written: they go out after the next barrier (the
    /// new blocks' free entries durable first), see [`DirTable::take_links`].
    links: BTreeMap<u32, FatEntry>,
}

impl DirTable {
    /// Reads the table, calling `each` with every entry's index and its
    /// decoded form (or why it does not decode). Free entries are listed
    /// as free. `with_copy`: also follow the copy's chain (needed to write),
    /// which must be as long as the table's.
    pub fn load(
        vol: &Volume,
        io: &dyn BlockIo,
        with_copy: bool,
        mut each: impl FnMut(u32, std::result::Result<DirEntry, LayoutError>),
    ) -> Result<DirTable> {
        let blocks = Fat::chain(vol, io, vol.dir_block, None)?;
        // The copy is needed to write: every entry written is written to
        // the copy too, and a copy block first read by that write would
        // cost a read of its own.
        let copy = if with_copy {
            let c = Fat::chain(vol, io, vol.dir_copy_block, None)?;
            if c.len() != blocks.len() {
                return Err(Error::Damaged(CorruptKind::DirTableCopy {
                    volume: vol.name.clone(),
                    blocks: blocks.len(),
                    copy_blocks: c.len(),
                }));
            }
            Some(c)
        } else {
            None
        };
        // Runs of consecutive blocks in one read each (the table grows by
        // several blocks at a time), all announced first: a cold open
        // waits for the disk about once, not once per run.
        let bs = vol.block_size as usize;
        let most = (LOAD_RUN_BYTES / bs).max(1);
        let runs = |chain: &[u32]| -> Result<Vec<(usize, usize, u64)>> {
            let mut out = Vec::new();
            let mut bi = 0;
            while bi < chain.len() {
                let n = vol.run_len(&chain[bi..chain.len().min(bi + most)]);
                let (g, off) = vol.block_location(chain[bi])?;
                out.push((n, g, off));
                bi += n;
            }
            Ok(out)
        };
        let table_runs = runs(&blocks)?;
        let copy_runs = copy.as_deref().map(runs).transpose()?.unwrap_or_default();
        for &(n, g, off) in table_runs.iter().chain(&copy_runs) {
            io.will_read(g, off, (n * bs) as u64);
        }
        let per_block = vol.block_size / DIRENT_BYTES as u32;
        let mut free = BTreeSet::new();
        let mut buf = Vec::new();
        let mut bi = 0;
        for (n, g, off) in table_runs {
            buf.resize(n * bs, 0);
            io.read(g, vol.block_size, off, &mut buf)?;
            for (k, raw) in buf.chunks_exact(DIRENT_BYTES).enumerate() {
                let idx = bi as u32 * per_block + k as u32;
                let e = DirEntry::decode(raw);
                if matches!(e, Ok(DirEntry::Free)) && idx != 0 {
                    free.insert(idx);
                }
                each(idx, e);
            }
            bi += n;
        }
        // Into the cache now. Best effort: a copy block that does not read
        // fails the write that needs it, as before.
        for (n, g, off) in copy_runs {
            buf.resize(n * bs, 0);
            let _ = io.read(g, vol.block_size, off, &mut buf);
        }
        Ok(DirTable {
            blocks,
            copy,
            per_block,
            free,
            links: BTreeMap::new(),
        })
    }

    /// Entries in the table (used or free).
    pub fn len(&self) -> u32 {
        self.blocks.len() as u32 * self.per_block
    }

    /// True when the table has no block (never for a valid volume).
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }

    /// True when entry `idx` is on the free list.
    pub fn is_free(&self, idx: u32) -> bool {
        self.free.contains(&idx)
    }

    /// Free entries.
    pub fn free_entries(&self) -> usize {
        self.free.len()
    }

    /// Blocks of the table (the copy has as many).
    pub fn blocks(&self) -> &[u32] {
        &self.blocks
    }

    /// Blocks of the copy, when loaded.
    pub fn copy_blocks(&self) -> Option<&[u32]> {
        self.copy.as_deref()
    }

    fn location(&self, vol: &Volume, chain: &[u32], idx: u32) -> Result<(usize, u64)> {
        let b = *chain.get((idx / self.per_block) as usize).ok_or_else(|| {
            Error::Damaged(CorruptKind::DirEntryPastTable {
                volume: vol.name.clone(),
                entry: idx,
            })
        })?;
        let (g, off) = vol.block_location(b)?;
        Ok((
            g,
            off + u64::from(idx % self.per_block) * DIRENT_BYTES as u64,
        ))
    }

    /// Reads one entry's raw bytes from the table.
    pub fn read_raw(&self, vol: &Volume, io: &dyn BlockIo, idx: u32) -> Result<[u8; DIRENT_BYTES]> {
        let (g, off) = self.location(vol, &self.blocks, idx)?;
        let mut b = [0u8; DIRENT_BYTES];
        io.read(g, vol.block_size, off, &mut b)?;
        Ok(b)
    }

    /// Reads one entry's raw bytes from the copy.
    pub fn read_copy_raw(
        &self,
        vol: &Volume,
        io: &dyn BlockIo,
        idx: u32,
    ) -> Result<[u8; DIRENT_BYTES]> {
        let copy = self.copy.as_deref().unwrap_or(&[]);
        let (g, off) = self.location(vol, copy, idx)?;
        let mut b = [0u8; DIRENT_BYTES];
        io.read(g, vol.block_size, off, &mut b)?;
        Ok(b)
    }

    /// Writes one entry to the table and its copy.
    pub fn write(&self, vol: &Volume, io: &dyn BlockIo, idx: u32, e: &DirEntry) -> Result<()> {
        let copy = self
            .copy
            .as_deref()
            .ok_or_else(|| Error::ReadOnly(format!("volume {}: the directory table", vol.name)))?;
        let raw = e.encode();
        for chain in [&self.blocks[..], copy] {
            let (g, off) = self.location(vol, chain, idx)?;
            io.write(g, vol.block_size, off, &raw)?;
        }
        Ok(())
    }

    /// Writes many entries to the table and its copy: each block touched
    /// is read once, patched and written whole (once per copy), not once
    /// per entry: a tree's entries cost a write per block of entries, and
    /// a block's checksum is computed once.
    pub fn write_many(
        &self,
        vol: &Volume,
        io: &dyn BlockIo,
        entries: &[(u32, DirEntry)],
    ) -> Result<()> {
        self.write_raw_many(vol, io, entries.iter().map(|(i, e)| (*i, e.encode())))
    }

    /// Writes entries free, as [`DirTable::write_many`].
    pub fn free_many(&self, vol: &Volume, io: &dyn BlockIo, idxs: &[u32]) -> Result<()> {
        let free = DirEntry::Free.encode();
        self.write_raw_many(vol, io, idxs.iter().map(|&i| (i, free)))
    }

    /// [`DirTable::write_many`] of encoded entries.
    fn write_raw_many(
        &self,
        vol: &Volume,
        io: &dyn BlockIo,
        entries: impl Iterator<Item = (u32, [u8; DIRENT_BYTES])>,
    ) -> Result<()> {
        let mut entries = entries.peekable();
        if entries.peek().is_none() {
            return Ok(());
        }
        let copy = self
            .copy
            .as_deref()
            .ok_or_else(|| Error::ReadOnly(format!("volume {}: the directory table", vol.name)))?;
        // Sorted by entry, so that each block's entries lie together: one
        // read and one write per block.
        let mut sorted: Vec<(u32, [u8; DIRENT_BYTES])> = entries.collect();
        sorted.sort_by_key(|&(idx, _)| idx);
        let per_block = self.per_block;
        let mut buf = vec![0u8; vol.block_size as usize];
        for chain in [&self.blocks[..], copy] {
            for list in sorted.chunk_by(|a, b| a.0 / per_block == b.0 / per_block) {
                if let [(idx, raw)] = list[..] {
                    let (g, off) = self.location(vol, chain, idx)?;
                    io.write(g, vol.block_size, off, &raw)?;
                    continue;
                }
                let (g, first) = self.location(vol, chain, list[0].0)?;
                let start = first - u64::from(list[0].0 % self.per_block) * DIRENT_BYTES as u64;
                io.read(g, vol.block_size, start, &mut buf)?;
                for (idx, raw) in list {
                    let at = (idx % self.per_block) as usize * DIRENT_BYTES;
                    buf[at..at + DIRENT_BYTES].copy_from_slice(raw);
                }
                io.write(g, vol.block_size, start, &buf)?;
            }
        }
        Ok(())
    }

    /// Takes `n` free entries (lowest first) out of the free list; None
    /// when fewer are free (grow first).
    pub fn take(&mut self, n: usize) -> Option<Vec<u32>> {
        if self.free.len() < n {
            return None;
        }
        Some((0..n).filter_map(|_| self.free.pop_first()).collect())
    }

    /// Puts entries back on the free list (they are free on disk, or were
    /// never written after [`DirTable::take`]).
    pub fn give_back(&mut self, idx: &[u32]) {
        let len = self.len();
        let ok = |i: u32| i != 0 && i < len;
        if idx.len() < 64 {
            self.free.extend(idx.iter().copied().filter(|&i| ok(i)));
            return;
        }
        // A tree's worth at once: built in one go from sorted entries and
        // merged, not inserted one by one.
        let mut more: BTreeSet<u32> = idx.iter().copied().filter(|&i| ok(i)).collect();
        self.free.append(&mut more);
    }

    /// True when grown blocks wait for their FAT links.
    pub fn links_pending(&self) -> bool {
        !self.links.is_empty()
    }

    /// The FAT links of the blocks grown since the last call, to write
    /// after a barrier (the blocks' contents durable first).
    pub fn take_links(&mut self) -> Vec<(u32, FatEntry)> {
        std::mem::take(&mut self.links).into_iter().collect()
    }

    /// Puts links back that could not be written.
    pub fn restore_links(&mut self, links: Vec<(u32, FatEntry)>) {
        for (b, e) in links {
            self.links.entry(b).or_insert(e);
        }
    }

    /// The last block of the table and of its copy (where growth continues).
    pub fn tails(&self) -> (u32, u32) {
        let t = self.blocks.last().copied().unwrap_or(0);
        let c = self
            .copy
            .as_ref()
            .and_then(|c| c.last().copied())
            .unwrap_or(t);
        (t, c)
    }

    /// Grows the table and its copy by as many blocks as given:
    /// `new_blocks` and `new_copies` (allocated by the caller, as many of
    /// each) are filled with free entries and join the chains in memory.
    /// Their FAT links wait in [`DirTable::take_links`] for the caller's
    /// next barrier, so that a crash never leaves a chain ending in an
    /// unwritten block, and a tree of many files pays no barrier of its
    /// own per growth: a commit writes them after its first barrier, so
    /// they are durable before its entries; an entry without data written
    /// into a new block before that is lost with the link by a crash, and
    /// owns no blocks. An entry that must not be lost so (a name's records
    /// before its entry) settles the links first.
    pub fn grow(
        &mut self,
        vol: &Volume,
        io: &dyn BlockIo,
        new_blocks: &[u32],
        new_copies: &[u32],
    ) -> Result<()> {
        let first_new = self.len();
        let n = new_blocks.len().min(new_copies.len()) as u32;
        if n == 0 {
            return Ok(());
        }
        if u64::from(first_new) + u64::from(self.per_block) * u64::from(n)
            >= u64::from(PARENT_RESERVED_FIRST)
        {
            return Err(Error::Invalid(format!(
                "volume {}: the directory table is full ({first_new} entries)",
                vol.name
            )));
        }
        let copy = self
            .copy
            .as_mut()
            .ok_or_else(|| Error::ReadOnly(format!("volume {}: the directory table", vol.name)))?;
        let mut buf = vec![0u8; vol.block_size as usize];
        let free = DirEntry::Free.encode();
        for e in buf.chunks_exact_mut(DIRENT_BYTES) {
            e.copy_from_slice(&free);
        }
        for &b in new_blocks.iter().chain(new_copies) {
            let (g, off) = vol.block_location(b)?;
            io.write(g, vol.block_size, off, &buf)?;
        }
        let mut entries = Vec::new();
        for (chain, added, start) in [
            (&self.blocks, new_blocks, vol.dir_block),
            (&*copy, new_copies, vol.dir_copy_block),
        ] {
            let mut seq = chain.len() as u32 - 1;
            let mut prev = *chain.last().unwrap_or(&start);
            for &b in &added[..n as usize] {
                entries.push((prev, FatEntry::Used { seq, next: Some(b) }));
                seq += 1;
                prev = b;
            }
            entries.push((prev, FatEntry::Used { seq, next: None }));
        }
        // A later growth relinks the tail an earlier one left: the last
        // value of a block wins.
        self.links.extend(entries);
        self.blocks.extend_from_slice(&new_blocks[..n as usize]);
        copy.extend_from_slice(&new_copies[..n as usize]);
        self.free.extend(first_new..first_new + self.per_block * n);
        Ok(())
    }
}
