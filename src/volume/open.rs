//! An open volume: the directory index, the free bitmap and the I/O path,
//! with path resolution. Reading and writing files is in `file.rs`,
//! directory operations and deletion in `ops.rs`.

use std::sync::Arc;

use crate::cache::BlockIo;
use crate::error::{Error, Result};
use crate::layout::dirent::{DIRENT_BYTES, DirEntry, ROOT_ID};
use crate::layout::time::DosTime;

use super::dirtable::DirTable;
use super::fat::Fat;
use super::index::{Index, IndexBuilder, Node};
use super::path::NwPath;
use super::{Volume, VolumeStats};

/// How a volume is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Only reads: the FAT bitmap is built only when asked for.
    ReadOnly,
    /// Reads and writes: refused for plain NetWare partitions and
    /// incomplete volumes.
    Write,
}

/// What a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The root directory.
    Root,
    /// An entry, by index.
    Entry(u32),
}

/// A volume opened for file access.
#[derive(Debug)]
pub struct OpenVolume {
    /// The volume.
    pub vol: Volume,
    pub(super) io: Arc<dyn BlockIo>,
    pub(super) fat: Option<Fat>,
    pub(super) table: DirTable,
    pub(super) index: Index,
    pub(super) mode: OpenMode,
    /// Files written since the last commit.
    pub(super) pending: super::commit::Pending,
    /// When a commit closes by itself.
    pub(super) limits: super::commit::CommitLimits,
    /// Chains of files read or changed in place, by entry index (`edit.rs`).
    pub(super) chains: std::collections::HashMap<u32, Vec<u32>>,
}

impl OpenVolume {
    /// Opens a volume: reads the directory table once and builds the
    /// index. The free bitmap is built from the FAT when first needed (an
    /// allocation, the free space); in write mode the FAT's reads start at
    /// once, beside the table's.
    pub fn open(vol: Volume, io: Arc<dyn BlockIo>, mode: OpenMode) -> Result<OpenVolume> {
        vol.check_complete()?;
        if mode == OpenMode::Write {
            vol.writable(io.as_ref())?;
            Fat::will_load(&vol, io.as_ref());
        }
        let mut builder = IndexBuilder::default();
        let mut table = DirTable::load(&vol, io.as_ref(), mode == OpenMode::Write, |i, e| {
            builder.add(i, e)
        })?;
        let (index, stale) = builder.build();
        table.give_back(&stale);
        Ok(OpenVolume {
            vol,
            io,
            fat: None,
            table,
            index,
            mode,
            pending: Default::default(),
            limits: Default::default(),
            chains: Default::default(),
        })
    }

    /// The volume's name.
    pub fn name(&self) -> &str {
        &self.vol.name
    }

    /// The I/O path.
    pub fn io(&self) -> &Arc<dyn BlockIo> {
        &self.io
    }

    /// The index.
    pub fn index(&self) -> &Index {
        &self.index
    }

    /// The directory table.
    pub fn table(&self) -> &DirTable {
        &self.table
    }

    /// Problems found while opening.
    pub fn warnings(&self) -> &[String] {
        &self.index.warnings
    }

    pub(super) fn check_writable(&self) -> Result<()> {
        if self.mode != OpenMode::Write {
            return Err(Error::ReadOnly(format!("volume {}", self.vol.name)));
        }
        Ok(())
    }

    /// The FAT bitmap, built on first use.
    pub(super) fn fat_mut(&mut self) -> Result<&mut Fat> {
        if self.fat.is_none() {
            self.fat = Some(Fat::load(&self.vol, self.io.as_ref())?);
        }
        Ok(self.fat.as_mut().expect("loaded above"))
    }

    /// Finds what a path names (the volume part is not checked).
    pub fn resolve(&self, path: &NwPath) -> Result<Target> {
        let mut cur = Target::Root;
        for (i, c) in path.components.iter().enumerate() {
            let dir_id = self.dir_id_of(cur).ok_or_else(|| {
                let p = NwPath {
                    volume: path.volume.clone(),
                    components: path.components[..i].to_vec(),
                };
                Error::NotDirectory(p.shown().to_string())
            })?;
            let idx = self
                .index
                .lookup(dir_id, c)
                .ok_or_else(|| Error::NotFound(path.shown()))?;
            cur = Target::Entry(idx);
        }
        Ok(cur)
    }

    /// Finds a path's parent directory (its ID) and the last name; refuses
    /// the root.
    pub fn resolve_parent<'p>(&self, path: &'p NwPath) -> Result<(u32, &'p str)> {
        let name = path
            .name()
            .ok_or_else(|| Error::Invalid(format!("{path}: the root directory")))?;
        let parent = self.resolve(&path.parent())?;
        let id = self
            .dir_id_of(parent)
            .ok_or_else(|| Error::NotDirectory(path.parent().to_string()))?;
        Ok((id, name))
    }

    /// The directory ID of a target; None when it is a file.
    pub fn dir_id_of(&self, t: Target) -> Option<u32> {
        match t {
            Target::Root => Some(ROOT_ID),
            Target::Entry(i) => self.index.get(i).and_then(|n| n.dir_id()),
        }
    }

    /// The node of a target; None for the root.
    pub fn node(&self, t: Target) -> Option<&Node> {
        match t {
            Target::Root => None,
            Target::Entry(i) => self.index.get(i),
        }
    }

    /// The path of an entry, built from its parents.
    pub fn path_of(&self, idx: u32) -> NwPath {
        let mut names = Vec::new();
        let mut cur = self.index.get(idx);
        let mut guard = 0;
        while let Some(n) = cur {
            names.push(n.name().to_string());
            guard += 1;
            if n.parent() == ROOT_ID || guard > 10_000 {
                break;
            }
            cur = self
                .index
                .dir_index(n.parent())
                .and_then(|i| self.index.get(i));
        }
        names.reverse();
        NwPath {
            volume: self.vol.name.clone(),
            components: names,
        }
    }

    /// Live children of a directory, sorted by name (case-insensitive).
    pub fn list(&self, dir_id: u32) -> Vec<&Node> {
        let mut v: Vec<&Node> = self
            .index
            .children(dir_id)
            .filter(|n| !n.is_deleted())
            .collect();
        v.sort_by_cached_key(|n| (n.name().to_uppercase(), n.index));
        v
    }

    /// Deleted (salvageable) files in a directory, oldest deletion first.
    pub fn list_deleted(&self, dir_id: u32) -> Vec<&Node> {
        let mut v: Vec<&Node> = self
            .index
            .children(dir_id)
            .filter(|n| n.is_deleted())
            .collect();
        v.sort_by_key(|n| (deleted_time(n), n.index));
        v
    }

    /// The volume information entry's times (the root's).
    pub fn root_times(&self) -> (DosTime, DosTime) {
        (self.index.info.created, self.index.info.modified)
    }

    /// The raw 128 bytes of an entry as stored in the table and in its
    /// copy (the copy only when open for writing).
    pub fn raw_entry(&self, idx: u32) -> Result<([u8; DIRENT_BYTES], Option<[u8; DIRENT_BYTES]>)> {
        let a = self.table.read_raw(&self.vol, self.io.as_ref(), idx)?;
        let b = match self.table.copy_blocks() {
            Some(_) => Some(self.table.read_copy_raw(&self.vol, self.io.as_ref(), idx)?),
            None => None,
        };
        Ok((a, b))
    }

    /// The blocks of a file's chain (as many as its length needs).
    pub fn file_blocks(&self, node: &Node) -> Result<Vec<u32>> {
        match &node.item {
            super::index::Item::File(f) => {
                if f.first_block == crate::layout::dirent::NO_BLOCK {
                    return Ok(Vec::new());
                }
                let need = u64::from(f.length).div_ceil(u64::from(self.vol.block_size));
                if let Some(p) = self.pending.get(node.index) {
                    // Not committed yet: its chain is not in the FAT.
                    return Ok(p
                        .blocks
                        .iter()
                        .copied()
                        .take(need.max(1) as usize)
                        .collect());
                }
                Fat::chain(
                    &self.vol,
                    self.io.as_ref(),
                    f.first_block,
                    Some(need.max(1)),
                )
            }
            super::index::Item::Dir(_) => Ok(Vec::new()),
        }
    }

    /// Blocks, files, directories and entries, from the bitmap and index
    /// (no table scan).
    pub fn stats(&mut self) -> Result<VolumeStats> {
        let (files, directories, deleted_files) = self.index.counts();
        let dir_entries = u64::from(self.table.len());
        let fat = self.fat_mut()?;
        Ok(VolumeStats {
            used_blocks: fat.used_blocks(),
            free_blocks: fat.free_blocks(),
            files,
            directories,
            deleted_files,
            dir_entries,
        })
    }

    /// Closes the open commit, writes out everything dirty and makes it
    /// durable: the end of a command.
    pub fn sync(&mut self) -> Result<()> {
        self.commit()?;
        self.io.sync()
    }

    /// Writes many table entries (both copies), a write per block.
    pub(super) fn write_entries(&self, entries: &[(u32, DirEntry)]) -> Result<()> {
        self.table.write_many(&self.vol, self.io.as_ref(), entries)
    }

    /// Writes table entries free (both copies), a write per block.
    pub(super) fn free_entries(&self, idxs: &[u32]) -> Result<()> {
        self.table.free_many(&self.vol, self.io.as_ref(), idxs)
    }

    /// Reads whole blocks (in runs of contiguous ones) into `out`.
    pub(super) fn read_blocks(&self, blocks: &[u32], out: &mut [u8]) -> Result<()> {
        let bs = self.vol.block_size as usize;
        let mut i = 0;
        while i < blocks.len() {
            let run = self.vol.run_len(&blocks[i..]);
            let (g, off) = self.vol.block_location(blocks[i])?;
            self.io.read(
                g,
                self.vol.block_size,
                off,
                &mut out[i * bs..(i + run) * bs],
            )?;
            i += run;
        }
        Ok(())
    }

    /// Writes whole blocks (in runs of contiguous ones) from `data`.
    pub(super) fn write_blocks(&self, blocks: &[u32], data: &[u8]) -> Result<()> {
        let bs = self.vol.block_size as usize;
        let mut i = 0;
        while i < blocks.len() {
            let run = self.vol.run_len(&blocks[i..]);
            let (g, off) = self.vol.block_location(blocks[i])?;
            self.io
                .write(g, self.vol.block_size, off, &data[i * bs..(i + run) * bs])?;
            i += run;
        }
        Ok(())
    }

    /// Writes one table entry (both copies).
    pub(super) fn write_entry(&self, idx: u32, e: &DirEntry) -> Result<()> {
        self.table.write(&self.vol, self.io.as_ref(), idx, e)
    }
}

/// A deleted file's deletion time (0 otherwise).
pub(super) fn deleted_time(n: &Node) -> u32 {
    match &n.item {
        super::index::Item::File(f) => f.deleted.0,
        super::index::Item::Dir(_) => 0,
    }
}
