//! Group commit: the files written by one command share commits. A file's
//! data goes to the cache when it is written; the commit then makes the
//! data of all its files durable (one barrier), writes their FAT chains
//! and long-name records (one barrier), then their directory entries, and
//! last frees the blocks of the files they replaced (after one more
//! barrier). A crash leaves every file of a commit either absent (its
//! entry, or its new entry, never reached a disk) or whole (its entry is
//! durable, so its FAT and data were before it).
//!
//! A commit closes after [`CommitLimits`] files, bytes or time, at
//! [`OpenVolume::commit`] and [`OpenVolume::sync`], before any operation
//! that needs the files' chains on disk (deleting, renaming, purging,
//! salvaging), and when the volume is dropped.

use std::time::{Duration, Instant};

use crate::error::Result;
use crate::layout::dirent::DirEntry;
use crate::layout::fat::FatEntry;

use super::OpenVolume;
use super::fat::Fat;
use super::index::Node;

/// Chains of files kept for reading (`OpenVolume::chains`, filled with the
/// chains a commit wrote) before the cache of them is emptied.
pub(super) const CHAINS_KEPT: usize = 4096;

/// When a commit closes by itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitLimits {
    /// Files in one commit.
    pub files: usize,
    /// Bytes of file data in one commit.
    pub bytes: u64,
    /// Time since the commit's first file.
    pub age: Duration,
}

impl Default for CommitLimits {
    /// 1,000 files, 64 MiB or 1 s, whichever comes first: a few barriers
    /// per thousand small files, and at most a second of work lost to a
    /// crash. 64 MiB is half the default cache, so a commit's data is not
    /// written back twice.
    fn default() -> CommitLimits {
        CommitLimits {
            files: 1000,
            bytes: 64 << 20,
            age: Duration::from_secs(1),
        }
    }
}

/// A file written but not yet committed.
#[derive(Debug)]
pub(super) struct PendingFile {
    /// Its entry's index (in the index already, with its new chain).
    pub index: u32,
    /// Its new chain.
    pub blocks: Vec<u32>,
    /// The entry as it was before (a replaced file), to restore when the
    /// commit fails.
    pub old: Option<Node>,
    /// The replaced file's chain, freed once the new entry is durable.
    pub old_blocks: Vec<u32>,
    /// Entries reserved for a new file.
    pub new: Option<NewEntry>,
    /// A file changed in place (`edit.rs`): its chain as the last commit
    /// left it, whose blocks are never written again (empty for a file
    /// written whole).
    pub durable: Vec<u32>,
    /// Its length as the last commit left it.
    pub durable_len: u32,
    /// The first position of `blocks` whose FAT entry changed.
    pub from: usize,
}

impl PendingFile {
    /// True when position `i` of the chain still holds the block the last
    /// commit put there (a changed block moves to a new one, so a durable
    /// block only ever sits at its own position).
    pub fn shared(&self, i: usize) -> bool {
        self.durable
            .get(i)
            .is_some_and(|&b| self.blocks.get(i) == Some(&b))
    }
}

/// The open commit.
#[derive(Debug, Default)]
pub(super) struct Pending {
    pub files: Vec<PendingFile>,
    pub bytes: u64,
    pub since: Option<Instant>,
}

impl Pending {
    /// The pending file of entry `idx`.
    pub fn get(&self, idx: u32) -> Option<&PendingFile> {
        self.files.iter().find(|f| f.index == idx)
    }

    /// Adds a file of `bytes` bytes.
    pub fn add(&mut self, f: PendingFile, bytes: u64) {
        self.since.get_or_insert_with(Instant::now);
        self.bytes += bytes;
        self.files.push(f);
    }

    /// True when the commit should close.
    pub fn full(&self, l: &CommitLimits) -> bool {
        self.files.len() >= l.files
            || self.bytes >= l.bytes
            || self.since.is_some_and(|t| t.elapsed() >= l.age)
    }
}

impl OpenVolume {
    /// How commits close by themselves (see [`CommitLimits`]).
    pub fn set_commit_limits(&mut self, limits: CommitLimits) {
        self.limits = limits;
    }

    /// Files written and not yet committed.
    pub fn uncommitted(&self) -> usize {
        self.pending.files.len()
    }

    /// Closes the open commit: the files written since the last one become
    /// visible on disk in the order data, FAT, directory entries (a barrier
    /// between each), then the chains they replaced are freed. The commit
    /// is durable at the next barrier (the next commit's first, or
    /// [`OpenVolume::sync`]). On error before any directory entry was
    /// written, the commit's files are taken back out of the index and
    /// their space given back.
    pub fn commit(&mut self) -> Result<()> {
        let p = std::mem::take(&mut self.pending);
        if p.files.is_empty() {
            return self.settle_links();
        }
        let mut entries_started = false;
        let r = self.commit_files(&p.files, &mut entries_started);
        if r.is_err() && !entries_started {
            self.undo(p.files);
        } else if r.is_ok() {
            // Their chains are the FAT's now: kept for the next read.
            for f in p.files {
                if self.chains.len() < CHAINS_KEPT {
                    self.chains.insert(f.index, f.blocks);
                }
            }
        }
        r
    }

    fn commit_files(&mut self, files: &[PendingFile], entries_started: &mut bool) -> Result<()> {
        let io = self.io.clone();
        let bs = u64::from(self.vol.block_size);
        // FAT entries: of blocks new in this commit (nothing durable
        // points at them), and of blocks a file changed in place keeps
        // whose links change (`edit.rs`).
        let mut fresh: Vec<(u32, FatEntry)> = Vec::new();
        let mut relinked: Vec<(u32, FatEntry)> = Vec::new();
        for f in files {
            let mut relinks = false;
            for i in f.from.min(f.blocks.len())..f.blocks.len() {
                let e = (
                    f.blocks[i],
                    FatEntry::Used {
                        seq: i as u32,
                        next: f.blocks.get(i + 1).copied(),
                    },
                );
                if f.shared(i) {
                    relinks = true;
                    relinked.push(e);
                } else {
                    fresh.push(e);
                }
            }
            // A file whose kept blocks are relinked and that is now
            // shorter than its durable length needs: its entry first
            // takes the new length on the old chain, so that no crash
            // finds a chain too short for the length (however many of
            // the relinks below reached the disk, the chain from the old
            // first block is the old one or the new one).
            let need = u64::from(f.durable_len).div_ceil(bs) as usize;
            if relinks
                && f.blocks.len() < need
                && let Some(node) = self.index.get(f.index)
            {
                let mut e = node.dir_entry();
                if let DirEntry::File(fe) = &mut e {
                    fe.first_block = f.durable[0];
                }
                self.write_entry(f.index, &e)?;
            }
        }
        // Their data, and whatever was written before (directories made
        // for them), durable before anything points at it.
        io.barrier()?;
        // The directory table's growths link their blocks here too: their
        // free entries are durable now, and the links will be before the
        // entries written into them.
        let links = self.table.take_links();
        fresh.extend(links.iter().copied());
        if let Err(e) = Fat::write_entries(&self.vol, io.as_ref(), &fresh) {
            self.table.restore_links(links);
            return Err(e);
        }
        if !relinked.is_empty() {
            // The new blocks' entries are durable before a kept block
            // links to them: a crash leaves every chain whole, each
            // position its old block or its new one.
            io.barrier()?;
            Fat::write_entries(&self.vol, io.as_ref(), &relinked)?;
        }
        for f in files {
            if let Some(p) = &f.new {
                // Long-name records left over from an old entry at this
                // index are freed, the new ones written: all before the
                // entry, so that no crash shows the file under its alias.
                let mine = p.slots();
                for s in self.index.take_orphans(p.index) {
                    if self.table.is_free(s) && !mine.contains(&s) {
                        self.write_entry(s, &DirEntry::Free)?;
                    }
                }
                self.write_long_records(p.index, &p.dos, p.long.as_deref(), &p.long_slots)?;
            }
        }
        io.barrier()?;
        *entries_started = true;
        let entries: Vec<(u32, DirEntry)> = files
            .iter()
            .filter_map(|f| self.index.get(f.index).map(|n| (f.index, n.dir_entry())))
            .collect();
        self.write_entries(&entries)?;
        let old: Vec<u32> = files
            .iter()
            .flat_map(|f| f.old_blocks.iter().copied())
            .collect();
        if !old.is_empty() {
            // The old versions stay until the new entries are durable.
            io.barrier()?;
            let vol = self.vol.clone();
            Fat::free_chain(self.fat.as_mut(), &vol, io.as_ref(), &old)?;
        }
        Ok(())
    }

    /// Writes the FAT links of the directory table's growths, after a
    /// barrier (see [`super::dirtable::DirTable::grow`]): before an entry
    /// that must not be lost with them, and at every commit.
    pub(super) fn settle_links(&mut self) -> Result<()> {
        if !self.table.links_pending() {
            return Ok(());
        }
        let io = self.io.clone();
        io.barrier()?;
        let links = self.table.take_links();
        if let Err(e) = Fat::write_entries(&self.vol, io.as_ref(), &links) {
            self.table.restore_links(links);
            return Err(e);
        }
        Ok(())
    }

    /// Takes a failed commit's files back out: the index as before, their
    /// blocks and entries free again.
    fn undo(&mut self, files: Vec<PendingFile>) {
        for f in files.into_iter().rev() {
            self.index.remove(f.index);
            if let Some(old) = f.old.clone() {
                let _ = self.index.insert(old);
            }
            if let Some(p) = &f.new {
                self.table.give_back(&p.slots());
            }
            // Only the blocks of this commit: a file changed in place
            // keeps the ones its last commit holds.
            let fresh: Vec<u32> = (0..f.blocks.len())
                .filter(|&i| !f.shared(i))
                .map(|i| f.blocks[i])
                .collect();
            self.chains.remove(&f.index);
            if let Ok(fat) = self.fat_mut() {
                fat.release(&fresh);
            }
        }
    }

    /// Closes the commit when it reached its limits.
    pub(super) fn commit_if_full(&mut self) -> Result<()> {
        if self.pending.full(&self.limits) {
            self.commit()?;
        }
        Ok(())
    }
}

impl Drop for OpenVolume {
    fn drop(&mut self) {
        // Best effort: the files written are whole in the cache; a caller
        // that wants to hear about errors commits or syncs first.
        let _ = self.commit();
    }
}

/// Entries reserved for a new file or directory: its DOS name and the
/// long-name records it needs.
#[derive(Debug, Clone)]
pub(super) struct NewEntry {
    /// The entry's index.
    pub index: u32,
    /// Its DOS name (the alias when the name does not fit 8.3).
    pub dos: String,
    /// The long name, when one is kept.
    pub long: Option<String>,
    /// Indexes of the long-name records.
    pub long_slots: Vec<u32>,
}

impl NewEntry {
    /// Every index reserved.
    pub fn slots(&self) -> Vec<u32> {
        let mut v = vec![self.index];
        v.extend(&self.long_slots);
        v
    }
}
