//! Block checksums (FORMAT.md "Block checksums"): the I/O path that keeps
//! them up to date on every write, and reading and writing single entries
//! for `verify`.

use std::sync::{Arc, RwLock};

use crate::cache::BlockIo;
use crate::error::{Error, Result};
use crate::layout::voltab::CHECKSUM_ENTRY_BYTES;
use crate::mirror::MirrorGroup;

use super::Volume;

pub use crate::layout::checksum::block_crc;

const ENTRY: u64 = CHECKSUM_ENTRY_BYTES as u64;

/// One segment of a volume with checksums, as logical bytes of its group.
#[derive(Debug, Clone, Copy)]
struct Span {
    /// Logical byte of the segment's first block.
    start: u64,
    /// Logical byte after its last block.
    end: u64,
    /// The volume's block size.
    block_size: u32,
    /// Logical bytes `[csum_start, csum_end)`: the checksum fragment; its
    /// first byte is the entry of the segment's first block.
    csum_start: u64,
    csum_end: u64,
}

impl Span {
    fn of(vol: &Volume, s: &super::Segment) -> Span {
        let bs = u64::from(vol.block_size);
        let (c0, c1) = vol.checksum_fragment(s);
        Span {
            start: s.logical_start(),
            end: s.logical_start() + u64::from(s.blocks()) * bs,
            block_size: vol.block_size,
            csum_start: s.logical_start() + u64::from(c0) * bs,
            csum_end: s.logical_start() + u64::from(c1) * bs,
        }
    }
}

/// A [`BlockIo`] over another (the cache) that keeps the checksum entries
/// of the volumes with checksums: after each write, the CRC32 of every
/// whole block the write touched goes into the block's entry, through the
/// same inner I/O, so data and entries are flushed together. Writes to a
/// checksum fragment, to the volume tables or outside every volume with
/// checksums pass through unchanged.
#[derive(Debug)]
pub struct ChecksumIo {
    inner: Arc<dyn BlockIo>,
    /// Per group, the spans of the segments with checksums, by start.
    spans: RwLock<Vec<Vec<Span>>>,
}

impl ChecksumIo {
    /// Wraps `inner`, keeping the checksums of `volumes` (those that have
    /// them).
    pub fn new(inner: Arc<dyn BlockIo>, volumes: &[Volume]) -> ChecksumIo {
        let io = ChecksumIo {
            inner,
            spans: RwLock::new(Vec::new()),
        };
        io.set_volumes(volumes);
        io
    }

    /// The I/O below.
    pub fn inner(&self) -> &Arc<dyn BlockIo> {
        &self.inner
    }

    /// Replaces the volumes whose checksums are kept (after a volume was
    /// created or extended while open).
    pub fn set_volumes(&self, volumes: &[Volume]) {
        let mut spans: Vec<Vec<Span>> = vec![Vec::new(); self.inner.groups().len()];
        for v in volumes.iter().filter(|v| v.checksums) {
            for s in &v.segments {
                if let Some(g) = spans.get_mut(s.group) {
                    g.push(Span::of(v, s));
                }
            }
        }
        for g in &mut spans {
            g.sort_by_key(|s| s.start);
        }
        *self.spans.write().unwrap_or_else(|e| e.into_inner()) = spans;
    }

    /// Records the checksums of the blocks of `span` that `[off, off +
    /// data.len())` wrote (the part of it inside the span).
    fn update(&self, group: usize, span: &Span, off: u64, data: &[u8]) -> Result<()> {
        let bs = u64::from(span.block_size);
        let lo = off.max(span.start);
        let hi = (off + data.len() as u64).min(span.end);
        let first = (lo - span.start) / bs;
        let last = (hi - 1 - span.start) / bs;
        let mut run: Vec<u8> = Vec::new();
        let mut run_first = first;
        let mut whole: Vec<u8> = Vec::new();
        for i in first..=last {
            let b0 = span.start + i * bs;
            if (span.csum_start..span.csum_end).contains(&b0) {
                // Not checksummed: the fragment would describe itself.
                self.flush_run(group, span, run_first, &mut run)?;
                run_first = i + 1;
                continue;
            }
            let crc = if b0 >= off && b0 + bs <= off + data.len() as u64 {
                let at = (b0 - off) as usize;
                block_crc(&data[at..at + bs as usize])
            } else {
                // A partial write: the whole block from the cache.
                whole.resize(bs as usize, 0);
                self.inner.read(group, span.block_size, b0, &mut whole)?;
                block_crc(&whole)
            };
            run.extend_from_slice(&crc.to_le_bytes());
        }
        self.flush_run(group, span, run_first, &mut run)
    }

    /// Writes the entries collected in `run` (of the span's blocks from
    /// `first`) and empties it.
    fn flush_run(&self, group: usize, span: &Span, first: u64, run: &mut Vec<u8>) -> Result<()> {
        if run.is_empty() {
            return Ok(());
        }
        self.inner
            .write(group, span.block_size, span.csum_start + first * ENTRY, run)?;
        run.clear();
        Ok(())
    }
}

impl BlockIo for ChecksumIo {
    fn groups(&self) -> &[Arc<MirrorGroup>] {
        self.inner.groups()
    }

    fn read(&self, group: usize, block_size: u32, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.inner.read(group, block_size, offset, buf)
    }

    fn write(&self, group: usize, block_size: u32, offset: u64, data: &[u8]) -> Result<()> {
        self.inner.write(group, block_size, offset, data)?;
        if data.is_empty() {
            return Ok(());
        }
        let spans = self.spans.read().unwrap_or_else(|e| e.into_inner());
        let Some(spans) = spans.get(group) else {
            return Ok(());
        };
        let end = offset + data.len() as u64;
        for span in spans.iter().filter(|s| s.start < end && offset < s.end) {
            self.update(group, span, offset, data)?;
        }
        Ok(())
    }

    fn barrier(&self) -> Result<()> {
        self.inner.barrier()
    }

    fn sync(&self) -> Result<()> {
        self.inner.sync()
    }
}

fn no_checksums(vol: &Volume) -> Error {
    Error::Invalid(format!("volume {} keeps no block checksums", vol.name))
}

/// Reads the entries of blocks `first..first+n` through `io` (0 = none
/// recorded; checksum-fragment blocks read as 0).
pub fn read_checksums(vol: &Volume, io: &dyn BlockIo, first: u32, n: u32) -> Result<Vec<u32>> {
    if !vol.checksums {
        return Err(no_checksums(vol));
    }
    let end = u64::from(first) + u64::from(n);
    if end > u64::from(vol.total_blocks) {
        return Err(Error::Invalid(format!(
            "volume {}: blocks {first}..{end} run past its {} blocks",
            vol.name, vol.total_blocks
        )));
    }
    let mut out = Vec::with_capacity(n as usize);
    let mut b = first;
    let mut raw: Vec<u8> = Vec::new();
    while u64::from(b) < end {
        let s = vol.segment_of(b)?;
        let seg_end = s.entry.first_block + s.blocks();
        let upto = (u64::from(seg_end).min(end)) as u32;
        let (c0, _) = vol.checksum_fragment(s);
        let rel = b - s.entry.first_block;
        raw.resize((upto - b) as usize * ENTRY as usize, 0);
        let at =
            s.logical_start() + u64::from(c0) * u64::from(vol.block_size) + u64::from(rel) * ENTRY;
        io.read(s.group, vol.block_size, at, &mut raw)?;
        for (i, e) in raw.chunks_exact(ENTRY as usize).enumerate() {
            let blk = b + i as u32;
            out.push(if vol.is_checksum_block(blk) {
                0
            } else {
                u32::from_le_bytes([e[0], e[1], e[2], e[3]])
            });
        }
        b = upto;
    }
    Ok(out)
}

/// Writes the entry of block `b` (used by verify --repair to fix a stale
/// entry). Write it through the inner I/O (not a [`ChecksumIo`]) so that
/// the write is not itself checksummed; either works, as entries of the
/// fragment's own blocks are not kept.
pub fn write_checksum(vol: &Volume, io: &dyn BlockIo, b: u32, crc: u32) -> Result<()> {
    let (g, at) = vol.checksum_entry(b).ok_or_else(|| {
        if vol.checksums {
            Error::Invalid(format!(
                "volume {}: block {b} has no checksum entry (a checksum block, or outside the volume)",
                vol.name
            ))
        } else {
            no_checksums(vol)
        }
    })?;
    io.write(g, vol.block_size, at, &crc.to_le_bytes())
}
