//! Files changed in place, as a mounted file system changes them: reads
//! and writes at an offset, truncation and extension, times and the
//! read-only attribute.
//!
//! Blocks are copied on write. A block the last commit's chain holds is
//! never written again: a write to it goes to a new block that takes its
//! place in the file's chain, and the old one is freed once the commit
//! that replaced it is durable. So the edits of a commit reach the disk as
//! the commit says (data, barrier, FAT, barrier, entries), and a crash
//! leaves each file as one of its committed versions, every block of it
//! matching its checksum. Blocks new in the open commit are written in
//! place as often as needed: nothing durable points at them.

use crate::error::{Error, Result};
use crate::layout::dirent::{ATTR_ARCHIVE, ATTR_READ_ONLY, NO_BLOCK};
use crate::layout::time::DosTime;

use super::OpenVolume;
use super::commit::PendingFile;
use super::file::{FileTimes, MAX_FILE_BYTES, too_big};
use super::index::{Item, Node};

impl OpenVolume {
    /// Makes an empty file `name` in the directory with ID `dir_id`;
    /// returns its entry index. It joins the open commit.
    pub fn create_file(&mut self, dir_id: u32, name: &str, times: FileTimes) -> Result<u32> {
        if let Some(i) = self.index.lookup(dir_id, name) {
            return Err(Error::AlreadyExists(self.path_of(i).to_string()));
        }
        let w = self.write_file(dir_id, name, &mut std::io::empty(), Some(0), times)?;
        Ok(w.index)
    }

    /// Reads the file of entry `idx` from byte `offset` into `buf`;
    /// returns the bytes read (fewer at the end of the file). A block
    /// whose copies all fail their checksums fails the read.
    pub fn read_at(&mut self, idx: u32, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let length = self.file_node(idx)?.1;
        if offset >= length || buf.is_empty() {
            return Ok(0);
        }
        let n = (length - offset).min(buf.len() as u64) as usize;
        let bs = u64::from(self.vol.block_size);
        let first = (offset / bs) as usize;
        let last = ((offset + n as u64 - 1) / bs) as usize;
        let chain = self.chain_for(idx)?;
        let have = chain.len();
        let blocks = chain.get(first..=last).map(<[u32]>::to_vec);
        let Some(blocks) = blocks else {
            return Err(Error::Damaged(crate::error::CorruptKind::FileLength {
                path: self.path_of(idx).to_string(),
                length: length as u32,
                need: (last + 1) as u64,
                have,
            }));
        };
        let mut data = vec![0u8; blocks.len() * bs as usize];
        self.read_blocks(&blocks, &mut data)?;
        let skip = (offset - first as u64 * bs) as usize;
        buf[..n].copy_from_slice(&data[skip..skip + n]);
        Ok(n)
    }

    /// Writes `data` into the file of entry `idx` at byte `offset`,
    /// extending it (with zeros up to `offset`) when it is shorter.
    pub fn write_at(&mut self, idx: u32, offset: u64, data: &[u8]) -> Result<()> {
        let end = offset + data.len() as u64;
        let length = self.may_reach(idx, end)?;
        if data.is_empty() {
            return Ok(());
        }
        let p = self.edit(idx)?;
        if offset > length {
            self.grow(p, length, offset)?;
        } else if end > length {
            self.zero_tail(p, length)?;
        }
        let bs = u64::from(self.vol.block_size);
        let first = (offset / bs) as usize;
        let last = ((end - 1) / bs) as usize;
        let blocks = self.writable_blocks(p, first, last, Some((offset, end)), length)?;
        // The edges keep what the file holds around the write.
        let mut buf = vec![0u8; blocks.len() * bs as usize];
        let skip = (offset - first as u64 * bs) as usize;
        let held = length.max(offset);
        let mut edges = vec![first];
        if last != first {
            edges.push(last);
        }
        for pos in edges {
            let partial = (pos == first && skip != 0) || (pos == last && !end.is_multiple_of(bs));
            if partial && (pos as u64 * bs) < held {
                let at = (pos - first) * bs as usize;
                self.read_old(p, pos, &mut buf[at..at + bs as usize])?;
            }
        }
        buf[skip..skip + data.len()].copy_from_slice(data);
        self.write_blocks(&blocks, &buf)?;
        self.set_length(p, end.max(length), data.len() as u64);
        self.commit_if_full()
    }

    /// Sets the length of the file of entry `idx`: cut blocks are freed
    /// (once the commit is durable when the last commit held them), and
    /// a longer file reads zeros past its old end.
    pub fn set_len(&mut self, idx: u32, len: u64) -> Result<()> {
        let length = self.may_reach(idx, len)?;
        if len == length {
            return Ok(());
        }
        let p = self.edit(idx)?;
        if len > length {
            self.grow(p, length, len)?;
        } else {
            self.cut(p, len)?;
        }
        self.set_length(p, len, 0);
        self.commit_if_full()
    }

    /// Sets the modification time of entry `idx`, and for a file or
    /// directory its read-only attribute when `read_only` is given.
    pub fn set_info(
        &mut self,
        idx: u32,
        modified: Option<DosTime>,
        read_only: Option<bool>,
    ) -> Result<()> {
        self.check_writable()?;
        let node = self
            .index
            .get(idx)
            .ok_or_else(|| Error::NotFound(format!("entry {idx}")))?;
        let is_dir = node.is_dir();
        let change = |item: &mut Item| {
            let (attrs, time) = match item {
                Item::File(f) => (&mut f.attributes, &mut f.modified),
                Item::Dir(d) => (&mut d.attributes, &mut d.modified),
            };
            if let Some(m) = modified {
                *time = m;
            }
            match read_only {
                Some(true) => *attrs |= ATTR_READ_ONLY,
                Some(false) => *attrs &= !ATTR_READ_ONLY,
                None => {}
            }
        };
        if is_dir {
            // A directory's entry has no commit to join: it is written now.
            let mut node = node.clone();
            change(&mut node.item);
            self.write_entry(idx, &node.dir_entry())?;
            self.replace_node(node);
            return Ok(());
        }
        let p = self.edit(idx)?;
        let i = self.pending.files[p].index;
        let mut node = self.index.get(i).cloned().expect("edited entry is indexed");
        change(&mut node.item);
        self.replace_node(node);
        self.commit_if_full()
    }

    /// Checks that the file of entry `idx` may be written up to `end`
    /// bytes (4 GiB - 1 at most, room on the volume for what it grows
    /// by); returns its length.
    fn may_reach(&mut self, idx: u32, end: u64) -> Result<u64> {
        self.check_writable()?;
        let (_, length) = self.file_node(idx)?;
        if end > MAX_FILE_BYTES {
            return Err(too_big(&self.path_of(idx).to_string(), Some(end)));
        }
        if end > length {
            self.check_room(end - length)?;
        }
        Ok(length)
    }

    /// The node and length of the file of entry `idx`.
    fn file_node(&self, idx: u32) -> Result<(&Node, u64)> {
        let node = self
            .index
            .get(idx)
            .ok_or_else(|| Error::NotFound(format!("entry {idx}")))?;
        match &node.item {
            Item::File(f) => Ok((node, u64::from(f.length))),
            Item::Dir(_) => Err(Error::IsDirectory(self.path_of(idx).to_string())),
        }
    }

    /// The chain of a file, from the open commit or (kept for the next
    /// read) from the FAT.
    fn chain_for(&mut self, idx: u32) -> Result<&[u32]> {
        if let Some(p) = self.pending.files.iter().position(|f| f.index == idx) {
            return Ok(&self.pending.files[p].blocks);
        }
        if !self.chains.contains_key(&idx) {
            let node = self.index.get(idx).expect("checked by the caller").clone();
            let blocks = self.file_blocks(&node)?;
            if self.chains.len() >= super::commit::CHAINS_KEPT {
                self.chains.clear();
            }
            self.chains.insert(idx, blocks);
        }
        Ok(&self.chains[&idx])
    }

    /// The open commit's record of file `idx`, made when the file joins
    /// it: its chain as the last commit left it is what stays untouched.
    fn edit(&mut self, idx: u32) -> Result<usize> {
        if let Some(p) = self.pending.files.iter().position(|f| f.index == idx) {
            return Ok(p);
        }
        let node = self.index.get(idx).cloned().expect("checked by the caller");
        let Item::File(f) = &node.item else {
            return Err(Error::IsDirectory(self.path_of(idx).to_string()));
        };
        let blocks = match self.chains.remove(&idx) {
            Some(b) => b,
            None => self.file_blocks(&node)?,
        };
        let durable_len = f.length;
        self.pending.add(
            PendingFile {
                index: idx,
                durable: blocks.clone(),
                durable_len,
                from: blocks.len(),
                blocks,
                old: Some(node),
                old_blocks: Vec::new(),
                new: None,
            },
            0,
        );
        Ok(self.pending.files.len() - 1)
    }

    /// Blocks for chain positions `first..=last` of pending file `p` that
    /// may be written: new blocks of the open commit as they are, blocks
    /// the last commit holds replaced by new ones (their contents copied
    /// where `write` does not cover them), positions past the end added.
    fn writable_blocks(
        &mut self,
        p: usize,
        first: usize,
        last: usize,
        write: Option<(u64, u64)>,
        length: u64,
    ) -> Result<Vec<u32>> {
        let bs = u64::from(self.vol.block_size);
        let have = self.pending.files[p].blocks.len();
        let replace: Vec<usize> = (first..=last.min(have.saturating_sub(1)))
            .filter(|&i| i < have && self.pending.files[p].shared(i))
            .collect();
        let add = (last + 1).saturating_sub(have);
        let near = self.pending.files[p].blocks.get(first.max(1) - 1).copied();
        let mut fresh = self.alloc_blocks(replace.len() + add, near)?;
        // Replaced blocks keep the bytes the write does not cover.
        let mut copied = Vec::new();
        for &i in &replace {
            let start = i as u64 * bs;
            let covered = write.is_some_and(|(a, z)| a <= start && z >= start + bs);
            if !covered && start < length {
                let mut b = vec![0u8; bs as usize];
                let old = self.pending.files[p].blocks[i];
                if let Err(e) = self.read_blocks(&[old], &mut b) {
                    self.fat_mut()?.release(&fresh);
                    return Err(e);
                }
                copied.push((i, b));
            }
        }
        let f = &mut self.pending.files[p];
        for &i in &replace {
            let nb = fresh.remove(0);
            f.old_blocks.push(f.blocks[i]);
            f.blocks[i] = nb;
            f.from = f.from.min(i.saturating_sub(1));
        }
        if add > 0 {
            f.from = f.from.min(have.saturating_sub(1));
            f.blocks.extend(fresh);
        }
        let blocks = f.blocks[first..=last].to_vec();
        for (i, b) in copied {
            self.write_blocks(&[blocks[i - first]], &b)?;
        }
        Ok(blocks)
    }

    /// Reads position `pos` of pending file `p` into `out` (one block).
    fn read_old(&mut self, p: usize, pos: usize, out: &mut [u8]) -> Result<()> {
        let b = self.pending.files[p].blocks[pos];
        self.read_blocks(&[b], out)
    }

    /// Zeroes the bytes of the last block past `length`, so that a longer
    /// file reads zeros there.
    fn zero_tail(&mut self, p: usize, length: u64) -> Result<()> {
        let bs = u64::from(self.vol.block_size);
        let within = (length % bs) as usize;
        if within == 0 {
            return Ok(());
        }
        let pos = (length / bs) as usize;
        let mut b = vec![0u8; bs as usize];
        self.read_old(p, pos, &mut b)?;
        if b[within..].iter().all(|&x| x == 0) {
            return Ok(());
        }
        b[within..].fill(0);
        let blk = self.writable_blocks(
            p,
            pos,
            pos,
            Some((pos as u64 * bs, (pos as u64 + 1) * bs)),
            0,
        )?;
        self.write_blocks(&blk, &b)
    }

    /// Extends pending file `p` from `length` to `to` bytes of zeros.
    fn grow(&mut self, p: usize, length: u64, to: u64) -> Result<()> {
        self.zero_tail(p, length)?;
        let bs = u64::from(self.vol.block_size);
        let have = self.pending.files[p].blocks.len();
        let need = to.div_ceil(bs) as usize;
        if need <= have {
            return Ok(());
        }
        // Whole zero blocks, a run at a time.
        let step = ((1 << 20) / bs as usize).max(1);
        let mut at = have;
        while at < need {
            let upto = (at + step).min(need) - 1;
            let blocks = self.writable_blocks(p, at, upto, None, 0)?;
            self.write_blocks(&blocks, &vec![0u8; blocks.len() * bs as usize])?;
            at = upto + 1;
        }
        Ok(())
    }

    /// Cuts pending file `p` to `len` bytes.
    fn cut(&mut self, p: usize, len: u64) -> Result<()> {
        let bs = u64::from(self.vol.block_size);
        let keep = len.div_ceil(bs) as usize;
        let f = &mut self.pending.files[p];
        if keep >= f.blocks.len() {
            return Ok(());
        }
        let mut free_now = Vec::new();
        for i in keep..f.blocks.len() {
            if f.shared(i) {
                f.old_blocks.push(f.blocks[i]);
            } else {
                free_now.push(f.blocks[i]);
            }
        }
        f.blocks.truncate(keep);
        f.from = f.from.min(keep.saturating_sub(1));
        // Blocks of the open commit: nothing on disk points at them.
        self.fat_mut()?.release(&free_now);
        Ok(())
    }

    /// Gives pending file `p` its new length (and chain start, time and
    /// archive bit) in the index; `bytes` written count towards the
    /// commit's limits.
    fn set_length(&mut self, p: usize, len: u64, bytes: u64) {
        let f = &self.pending.files[p];
        let first = f.blocks.first().copied().unwrap_or(NO_BLOCK);
        let idx = f.index;
        let mut node = self
            .index
            .get(idx)
            .cloned()
            .expect("edited entry is indexed");
        if let Item::File(e) = &mut node.item {
            e.length = len as u32;
            e.first_block = first;
            e.modified = DosTime::now();
            e.attributes |= ATTR_ARCHIVE;
        }
        self.replace_node(node);
        self.pending.bytes += bytes;
    }

    /// Puts a changed node in the index in place of the one it changes.
    fn replace_node(&mut self, node: Node) {
        self.index.remove(node.index);
        let _ = self.index.insert(node);
    }
}

impl OpenVolume {
    /// Blocks in the volume and blocks a write can have: the free ones and
    /// those of deleted files, which are purged (oldest first) when space
    /// runs out.
    pub fn space(&mut self) -> Result<(u64, u64)> {
        let deleted = self.deleted_blocks();
        let free = self.fat_mut()?.free_blocks();
        Ok((u64::from(self.vol.total_blocks), free + deleted))
    }
}
