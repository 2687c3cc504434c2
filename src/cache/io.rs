//! The interface the volume layer does its I/O through: byte ranges of a
//! mirror group's logical partition, in blocks of the volume's size.

use std::sync::Arc;

use crate::error::Result;
use crate::mirror::MirrorGroup;

/// Reads and writes of logical partitions, by group index.
///
/// `block_size` is the volume's block size: the unit the cache holds and
/// the alignment of `offset` for whole-block access. Ranges need not be
/// whole blocks; a partial write reads the rest of the block first.
pub trait BlockIo: Send + Sync + std::fmt::Debug {
    /// The mirror groups, by index.
    fn groups(&self) -> &[Arc<MirrorGroup>];
    /// Reads `buf.len()` bytes at logical byte `offset` of group `group`.
    fn read(&self, group: usize, block_size: u32, offset: u64, buf: &mut [u8]) -> Result<()>;
    /// Reads like [`BlockIo::read`], keeping no copy of blocks that were
    /// not cached already: file data streaming past, which would push the
    /// metadata out of a cache and cost a buffer per block.
    fn read_stream(
        &self,
        group: usize,
        block_size: u32,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<()> {
        self.read(group, block_size, offset, buf)
    }
    /// A hint that `len` bytes at logical byte `offset` of group `group`
    /// will be read soon (see [`MirrorGroup::will_read`]): many scattered
    /// reads announced first wait for the disk once, not each in turn.
    fn will_read(&self, group: usize, offset: u64, len: u64) {
        if let Some(g) = self.groups().get(group) {
            g.will_read(offset, len);
        }
    }
    /// Writes `data` at logical byte `offset` of group `group`.
    fn write(&self, group: usize, block_size: u32, offset: u64, data: &[u8]) -> Result<()>;
    /// Everything written before the barrier is durable on every in-sync
    /// member before anything written after it reaches a device. The
    /// write-intent bits stay set (the command goes on writing).
    fn barrier(&self) -> Result<()>;
    /// Writes out everything dirty and makes it durable; the end of a
    /// command: write-intent bits may be cleared.
    fn sync(&self) -> Result<()>;
}

/// Checks blocks as they come from a member, before anyone uses them
/// (the volume layer's block checksums, supplied from above).
pub trait BlockCheck: Send + Sync + std::fmt::Debug {
    /// The logical ranges of `data`, read at logical byte `offset` of
    /// group `group` in blocks of `block_size`, whose bytes fail their
    /// check; empty when all is well or nothing is known.
    fn bad_ranges(
        &self,
        group: usize,
        block_size: u32,
        offset: u64,
        data: &[u8],
    ) -> Vec<std::ops::Range<u64>>;
}

/// Direct I/O to the groups, no caching: every write goes out at once.
#[derive(Debug)]
pub struct Uncached {
    groups: Vec<Arc<MirrorGroup>>,
}

impl Uncached {
    /// Wraps the groups.
    pub fn new(groups: Vec<Arc<MirrorGroup>>) -> Uncached {
        Uncached { groups }
    }
}

impl BlockIo for Uncached {
    fn groups(&self) -> &[Arc<MirrorGroup>] {
        &self.groups
    }

    fn read(&self, group: usize, _block_size: u32, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.groups[group].read_logical(buf, offset)
    }

    fn write(&self, group: usize, _block_size: u32, offset: u64, data: &[u8]) -> Result<()> {
        self.groups[group].write_logical(&[std::io::IoSlice::new(data)], offset)
    }

    fn barrier(&self) -> Result<()> {
        for g in &self.groups {
            g.barrier()?;
        }
        Ok(())
    }

    fn sync(&self) -> Result<()> {
        for g in &self.groups {
            g.sync()?;
        }
        Ok(())
    }
}
