//! File contents: streaming reads along a FAT chain, and streaming writes
//! of a new chain; the file's FAT and directory entry follow in its
//! commit (`commit.rs`), in that order with barriers between, so that a
//! crash never leaves an entry pointing at unwritten or freed blocks.

use std::io::Read;

use crate::error::{CorruptKind, Error, Result};
use crate::layout::dirent::{ATTR_ARCHIVE, FileEntry, NO_BLOCK, Trustee};
use crate::layout::time::DosTime;

use super::OpenVolume;
use super::commit::{NewEntry, PendingFile};
use super::fat::Fat;
use super::index::{Item, Node};

/// The largest file NetWare can hold: lengths are 32-bit (4 GiB - 1).
pub const MAX_FILE_BYTES: u64 = u32::MAX as u64;

/// Bytes read or written per run of blocks (at least one block).
const RUN_BYTES: usize = 1 << 20;

/// The error for a file over 4 GiB - 1.
pub fn too_big(what: &str, bytes: Option<u64>) -> Error {
    Error::FileTooBig(format!(
        "{what}: {} than NetWare's largest file, 4 GiB - 1 = {MAX_FILE_BYTES} bytes (file lengths are 32-bit)",
        match bytes {
            Some(b) => format!("{b} bytes is more"),
            None => "more data".to_string(),
        }
    ))
}

/// Times of a file being written.
#[derive(Debug, Clone, Copy)]
pub struct FileTimes {
    /// Last modification (kept from the source).
    pub modified: DosTime,
    /// Creation.
    pub created: DosTime,
}

/// What [`OpenVolume::write_file`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// The entry's index.
    pub index: u32,
    /// Bytes written.
    pub bytes: u64,
    /// True when an existing file was replaced.
    pub replaced: bool,
}

/// Reads a file's contents in runs of contiguous blocks.
#[derive(Debug)]
pub struct FileReader<'v> {
    vol: &'v OpenVolume,
    blocks: Vec<u32>,
    next: usize,
    left: u64,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// The file's path, for errors.
    idx: u32,
}

impl Read for FileReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.end {
            if self.left == 0 || self.next >= self.blocks.len() {
                return Ok(0);
            }
            let bs = self.vol.vol.block_size as usize;
            let max_blocks = (RUN_BYTES / bs).max(1);
            let rest = &self.blocks[self.next..];
            let n = self.vol.vol.run_len(&rest[..rest.len().min(max_blocks)]);
            let (g, off) = self
                .vol
                .vol
                .block_location(rest[0])
                .map_err(std::io::Error::other)?;
            let bytes = (n * bs).min(usize::try_from(self.left).unwrap_or(usize::MAX));
            self.buf.resize(n * bs, 0);
            // File data streams past: no copy of it stays in the cache.
            self.vol
                .io
                .read_stream(g, self.vol.vol.block_size, off, &mut self.buf[..n * bs])
                .map_err(|e| match e {
                    // Bad bytes never reach the caller: the whole run fails.
                    Error::BadBlocks {
                        device,
                        logical,
                        len,
                        volume,
                        file: None,
                    } => std::io::Error::other(Error::BadBlocks {
                        device,
                        logical,
                        len,
                        volume,
                        file: Some(self.vol.path_of(self.idx).to_string()),
                    }),
                    e => std::io::Error::other(e),
                })?;
            self.next += n;
            self.left -= bytes as u64;
            self.pos = 0;
            self.end = bytes;
        }
        let k = out.len().min(self.end - self.pos);
        out[..k].copy_from_slice(&self.buf[self.pos..self.pos + k]);
        self.pos += k;
        Ok(k)
    }
}

/// Fills `buf` from `src` as far as it goes; returns the bytes read
/// (fewer than `buf.len()` only at the end of the input).
fn read_full(src: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match src.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

impl OpenVolume {
    /// A reader of a file's contents.
    pub fn open_file(&self, idx: u32) -> Result<FileReader<'_>> {
        let node = self
            .index
            .get(idx)
            .ok_or_else(|| Error::NotFound(format!("entry {idx}")))?;
        let Item::File(f) = &node.item else {
            return Err(Error::IsDirectory(self.path_of(idx).to_string()));
        };
        let blocks = self.file_blocks(node)?;
        let need = u64::from(f.length).div_ceil(u64::from(self.vol.block_size));
        if (blocks.len() as u64) < need {
            return Err(Error::Damaged(CorruptKind::FileLength {
                path: self.path_of(idx).to_string(),
                length: f.length,
                need,
                have: blocks.len(),
            }));
        }
        Ok(FileReader {
            vol: self,
            idx,
            blocks,
            next: 0,
            left: u64::from(f.length),
            buf: Vec::new(),
            pos: 0,
            end: 0,
        })
    }

    /// Streams `src` into newly allocated blocks; returns the blocks and the
    /// length. On any error the blocks are given back (no FAT entry was
    /// written for them yet).
    fn write_data(
        &mut self,
        src: &mut dyn Read,
        size: Option<u64>,
        what: &str,
    ) -> Result<(Vec<u32>, u64)> {
        let mut blocks: Vec<u32> = Vec::new();
        let r = self.write_data_into(src, size, what, &mut blocks);
        if r.is_err() {
            self.fat_mut()?.release(&blocks);
        }
        r.map(|len| (blocks, len))
    }

    fn write_data_into(
        &mut self,
        src: &mut dyn Read,
        size: Option<u64>,
        what: &str,
        blocks: &mut Vec<u32>,
    ) -> Result<u64> {
        let bs = self.vol.block_size as usize;
        // One run of blocks per read; small files (size known) get a small
        // buffer, and a file that turns out longer than said still works.
        let most = (RUN_BYTES / bs).max(1) * bs;
        let chunk = match size {
            Some(s) => (usize::try_from(s).unwrap_or(most).saturating_add(1))
                .div_ceil(bs)
                .saturating_mul(bs)
                .min(most),
            None => most,
        };
        let mut buf = vec![0u8; chunk];
        let mut total: u64 = 0;
        loop {
            let n = read_full(src, &mut buf).map_err(|e| Error::ReadSource {
                what: what.to_string(),
                source: e,
            })?;
            if n == 0 {
                return Ok(total);
            }
            if total + n as u64 > MAX_FILE_BYTES {
                return Err(too_big(what, None));
            }
            let need = n.div_ceil(bs);
            buf[n..need * bs].fill(0);
            let got = self.alloc_blocks(need, blocks.last().copied())?;
            blocks.extend_from_slice(&got);
            self.write_blocks(&got, &buf[..need * bs])?;
            total += n as u64;
            if n < chunk {
                return Ok(total);
            }
        }
    }

    /// Writes a file named `name` in the directory with ID `dir_id` from
    /// `src`, replacing a file of that name. `size`: the source's length
    /// when known, checked against the 4 GiB - 1 limit before anything is
    /// written. The data goes out now; the file joins the open commit
    /// (see [`super::commit`]), which writes the FAT and then the
    /// directory entry, after barriers, when it closes. The file is in the
    /// index (and reads back) at once; on disk it appears whole when its
    /// commit is durable. A replaced file's old blocks are freed only
    /// after the new entry is durable. On error nothing of the new file
    /// stays.
    pub fn write_file(
        &mut self,
        dir_id: u32,
        name: &str,
        src: &mut dyn Read,
        size: Option<u64>,
        times: FileTimes,
    ) -> Result<Written> {
        self.check_writable()?;
        let mut existing = self.index.lookup(dir_id, name);
        // A new name must be one NetWare holds; a file replaced keeps the
        // name it has on disk, whatever an older writer allowed in it.
        if existing.is_none() {
            super::names::check_name(name)?;
        }
        if let Some(s) = size
            && s > MAX_FILE_BYTES
        {
            return Err(too_big(&super::names::shown(name), Some(s)));
        }
        if let Some(s) = size {
            self.check_room(s)?;
        }
        if existing.is_some_and(|i| self.pending.get(i).is_some()) {
            // Written again in the same commit: the first version is
            // committed before the second replaces it.
            self.commit()?;
            existing = self.index.lookup(dir_id, name);
        }
        if let Some(i) = existing
            && self.index.get(i).is_some_and(|n| n.is_dir())
        {
            return Err(Error::IsDirectory(self.path_of(i).to_string()));
        }
        let new = match existing {
            None => Some(self.plan_entry(dir_id, name, None)?),
            Some(_) => None,
        };
        let (blocks, length) = match self.write_data(src, size, name) {
            Ok(r) => r,
            Err(e) => {
                if let Some(p) = &new {
                    self.table.give_back(&p.slots());
                }
                return Err(e);
            }
        };
        let done = self.stage_file(dir_id, existing, new.clone(), &blocks, length, times);
        if done.is_err() {
            // Nothing points at the new blocks: free them.
            let _ = self.fat_mut().map(|f| f.release(&blocks));
            if let Some(p) = &new {
                self.table.give_back(&p.slots());
            }
        }
        let w = done?;
        self.commit_if_full()?;
        Ok(w)
    }

    /// Puts a written file into the index and the open commit.
    fn stage_file(
        &mut self,
        dir_id: u32,
        existing: Option<u32>,
        new: Option<NewEntry>,
        blocks: &[u32],
        length: u64,
        times: FileTimes,
    ) -> Result<Written> {
        let io = self.io.clone();
        self.chains.remove(&existing.unwrap_or(u32::MAX));
        let first_block = blocks.first().copied().unwrap_or(NO_BLOCK);
        let length = length as u32;
        match (existing, new) {
            (Some(idx), _) => {
                let old = self
                    .index
                    .get(idx)
                    .cloned()
                    .ok_or_else(|| Error::NotFound(format!("entry {idx}")))?;
                let Item::File(mut f) = old.item.clone() else {
                    return Err(Error::IsDirectory(self.path_of(idx).to_string()));
                };
                let old_blocks = if f.first_block == NO_BLOCK {
                    Vec::new()
                } else {
                    Fat::chain(&self.vol, io.as_ref(), f.first_block, None)?
                };
                f.first_block = first_block;
                f.length = length;
                f.modified = times.modified;
                f.attributes |= ATTR_ARCHIVE;
                let node = Node {
                    item: Item::File(f),
                    ..old.clone()
                };
                self.index.remove(idx);
                let _ = self.index.insert(node);
                self.pending.add(
                    PendingFile {
                        index: idx,
                        blocks: blocks.to_vec(),
                        old: Some(old),
                        old_blocks,
                        new: None,
                        durable: Vec::new(),
                        durable_len: 0,
                        from: 0,
                    },
                    u64::from(length),
                );
                Ok(Written {
                    index: idx,
                    bytes: u64::from(length),
                    replaced: true,
                })
            }
            (None, Some(p)) => {
                let item = Item::File(FileEntry {
                    parent: dir_id,
                    attributes: ATTR_ARCHIVE,
                    name: p.dos.clone(),
                    created: times.created,
                    owner: 0,
                    modified: times.modified,
                    modifier: 0,
                    length,
                    first_block,
                    trustees: [Trustee::default(); 6],
                    deleted: DosTime(0),
                    deleter: 0,
                });
                let idx = p.index;
                let node = Node {
                    index: idx,
                    item,
                    long_name: p.long.clone(),
                    long_slots: p.long_slots.clone(),
                };
                self.index.insert(node).map_err(|other| {
                    Error::Invalid(format!("name already used by entry {other}"))
                })?;
                self.pending.add(
                    PendingFile {
                        index: idx,
                        blocks: blocks.to_vec(),
                        old: None,
                        old_blocks: Vec::new(),
                        new: Some(p),
                        durable: Vec::new(),
                        durable_len: 0,
                        from: 0,
                    },
                    u64::from(length),
                );
                Ok(Written {
                    index: idx,
                    bytes: u64::from(length),
                    replaced: false,
                })
            }
            (None, None) => Err(Error::Internal("no entry planned".into())),
        }
    }
}
