//! Block checksums (FORMAT.md "Block checksums"): the I/O path that keeps
//! them up to date on every write, and reading and writing single entries
//! for `verify`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, RwLock};

use crate::cache::{BlockCheck, BlockIo};
use crate::error::{Error, Result};
use crate::layout::voltab::CHECKSUM_ENTRY_BYTES;
use crate::lock::Recover;
use crate::mirror::MirrorGroup;

use super::Volume;

pub use crate::layout::checksum::block_crc;

const ENTRY: u64 = CHECKSUM_ENTRY_BYTES as u64;

/// Entries held back before they are written into the cache anyway (1 MiB
/// of entries: 1 GiB of 4 KiB blocks).
const MAX_PENDING: usize = 256 * 1024;

/// Bytes of whole blocks in one read or write from which their CRCs are
/// computed in parallel: CRC32 runs at gigabytes a second, so below a MiB
/// handing the work to other threads (waking them, their spinning on two
/// cores) costs more than it saves.
const PARALLEL_BYTES: usize = 1 << 20;

/// One segment of a volume with checksums, as logical bytes of its group.
#[derive(Debug, Clone)]
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
    /// The volume's name and the segment's first volume block, for
    /// messages.
    volume: Arc<str>,
    first_block: u32,
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
            volume: Arc::from(vol.name.as_str()),
            first_block: s.entry.first_block,
        }
    }
}

/// A [`BlockIo`] over another (the cache) that keeps the checksum entries
/// of the volumes with checksums: after each write, the CRC32 of every
/// whole block the write touched becomes the block's entry. Entries are
/// held back and written through the same inner I/O at the next barrier
/// or sync (or read of a checksum fragment, or when many are pending), so
/// they reach the disk in the same flush as their data, and a writer does
/// not wait for the write-back of the checksum block it keeps changing.
/// Writes to a checksum fragment, to the volume tables or outside every
/// volume with checksums pass through unchanged.
#[derive(Debug)]
pub struct ChecksumIo {
    inner: Arc<dyn BlockIo>,
    /// Per group, the spans of the segments with checksums, by start.
    spans: RwLock<Vec<Vec<Span>>>,
    /// Entries not yet written: (group, logical byte of the entry) ->
    /// (value, block size of its volume).
    pending: Mutex<BTreeMap<(usize, u64), (u32, u32)>>,
    /// Held while pending entries are written, so that two threads
    /// flushing never write an entry's older value after its newer one.
    flushing: Mutex<()>,
}

impl ChecksumIo {
    /// Wraps `inner`, keeping the checksums of `volumes` (those that have
    /// them).
    pub fn new(inner: Arc<dyn BlockIo>, volumes: &[Volume]) -> ChecksumIo {
        let io = ChecksumIo {
            inner,
            spans: RwLock::new(Vec::new()),
            pending: Mutex::new(BTreeMap::new()),
            flushing: Mutex::new(()),
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
        *self.spans.write().recover() = spans;
    }

    /// Computes the checksums of the blocks of `span` that `[off, off +
    /// data.len())` wrote (the part of it inside the span) and adds their
    /// entries to `out` as (logical byte of the entry, value, block size).
    fn update(
        &self,
        group: usize,
        span: &Span,
        off: u64,
        data: &[u8],
        out: &mut Vec<(u64, u32, u32)>,
    ) -> Result<()> {
        let bs = u64::from(span.block_size);
        let lo = off.max(span.start);
        let hi = (off + data.len() as u64).min(span.end);
        let first = (lo - span.start) / bs;
        let last = (hi - 1 - span.start) / bs;
        let mut whole: Vec<u8> = Vec::new();
        // Whole blocks of the write: their CRCs are computed from `data`,
        // in parallel for a long write (the writer's own time).
        let mut full: Vec<(u64, &[u8])> = Vec::new();
        for i in first..=last {
            let b0 = span.start + i * bs;
            if (span.csum_start..span.csum_end).contains(&b0) {
                // Not checksummed: the fragment would describe itself.
                continue;
            }
            if b0 >= off && b0 + bs <= off + data.len() as u64 {
                let at = (b0 - off) as usize;
                full.push((i, &data[at..at + bs as usize]));
            } else {
                // A partial write: the whole block from the cache.
                whole.resize(bs as usize, 0);
                self.inner.read(group, span.block_size, b0, &mut whole)?;
                out.push((
                    span.csum_start + i * ENTRY,
                    block_crc(&whole),
                    span.block_size,
                ));
            }
        }
        let crcs: Vec<u32> = if full.len() * bs as usize >= PARALLEL_BYTES {
            use rayon::prelude::*;
            full.par_iter().map(|(_, b)| block_crc(b)).collect()
        } else {
            full.iter().map(|(_, b)| block_crc(b)).collect()
        };
        for ((i, _), crc) in full.iter().zip(crcs) {
            out.push((span.csum_start + i * ENTRY, crc, span.block_size));
        }
        Ok(())
    }

    /// Writes every pending entry through the inner I/O, one write per run
    /// of adjacent entries.
    pub fn flush_entries(&self) -> Result<()> {
        let _one = self.flushing.lock().recover();
        let pending = std::mem::take(&mut *self.pending.lock().recover());
        let mut run: Vec<u8> = Vec::new();
        let mut run_at: Option<(usize, u64, u32)> = None;
        for ((g, at), (crc, bs)) in pending {
            if let Some((rg, ra, rbs)) = run_at
                && (rg != g || rbs != bs || ra + run.len() as u64 != at)
            {
                self.inner.write(rg, rbs, ra, &run)?;
                run.clear();
                run_at = None;
            }
            if run_at.is_none() {
                run_at = Some((g, at, bs));
            }
            run.extend_from_slice(&crc.to_le_bytes());
        }
        if let Some((g, at, bs)) = run_at {
            self.inner.write(g, bs, at, &run)?;
        }
        Ok(())
    }

    /// The volume and its blocks (first, last) that logical bytes
    /// `[logical, logical + len)` of `group` hold, when a volume with
    /// checksums holds them.
    pub fn locate(&self, group: usize, logical: u64, len: u64) -> Option<(String, u64, u64)> {
        let spans = self.spans.read().recover();
        let s = spans
            .get(group)?
            .iter()
            .find(|s| s.start <= logical && logical < s.end)?;
        let bs = u64::from(s.block_size);
        let last = (logical + len.max(1) - 1).min(s.end - 1);
        Some((
            s.volume.to_string(),
            u64::from(s.first_block) + (logical - s.start) / bs,
            u64::from(s.first_block) + (last - s.start) / bs,
        ))
    }

    /// The entries of blocks `i0..i1` of `span` (0: none recorded),
    /// pending ones over those in the fragment.
    fn expected(&self, group: usize, span: &Span, i0: u64, i1: u64) -> Result<Vec<u32>> {
        let mut raw = vec![0u8; ((i1 - i0) * ENTRY) as usize];
        self.inner.read(
            group,
            span.block_size,
            span.csum_start + i0 * ENTRY,
            &mut raw,
        )?;
        let mut out: Vec<u32> = raw
            .chunks_exact(ENTRY as usize)
            .map(|e| u32::from_le_bytes([e[0], e[1], e[2], e[3]]))
            .collect();
        let p = self.pending.lock().recover();
        if !p.is_empty() {
            let lo = (group, span.csum_start + i0 * ENTRY);
            let hi = (group, span.csum_start + i1 * ENTRY);
            for (&(_, at), &(crc, _)) in p.range(lo..hi) {
                out[((at - lo.1) / ENTRY) as usize] = crc;
            }
        }
        Ok(out)
    }

    /// True when `[offset, offset + len)` of `group` overlaps a checksum
    /// fragment.
    fn touches_fragment(&self, group: usize, offset: u64, len: u64) -> bool {
        let spans = self.spans.read().recover();
        spans.get(group).is_some_and(|v| {
            v.iter()
                .any(|s| s.csum_start < offset + len && offset < s.csum_end)
        })
    }
}

impl Drop for ChecksumIo {
    fn drop(&mut self) {
        // Best effort, like the cache's own write-back at drop: the
        // entries go into the cache before it is dropped.
        let _ = self.flush_entries();
    }
}

impl ChecksumIo {
    /// Reads through the inner I/O (`keep`: an ordinary read, else a
    /// stream read), naming the volume of blocks found bad.
    fn read_with(
        &self,
        group: usize,
        block_size: u32,
        offset: u64,
        buf: &mut [u8],
        keep: bool,
    ) -> Result<()> {
        if self.touches_fragment(group, offset, buf.len() as u64) {
            self.flush_entries()?;
        }
        let r = if keep {
            self.inner.read(group, block_size, offset, buf)
        } else {
            self.inner.read_stream(group, block_size, offset, buf)
        };
        r.map_err(|e| match e {
            Error::BadBlocks {
                device,
                logical,
                len,
                volume: None,
                file,
            } => Error::BadBlocks {
                volume: self.locate(group, logical, len),
                device,
                logical,
                len,
                file,
            },
            e => e,
        })
    }

    /// Adds to `bad` the blocks `i0..i1` of `span` (none in its checksum
    /// fragment) whose bytes in `data` (read at `offset`) do not match
    /// their entries.
    #[allow(clippy::too_many_arguments)]
    fn check_blocks(
        &self,
        group: usize,
        span: &Span,
        offset: u64,
        data: &[u8],
        i0: u64,
        i1: u64,
        bad: &mut Vec<std::ops::Range<u64>>,
    ) {
        let bs = u64::from(span.block_size);
        let Ok(want) = self.expected(group, span, i0, i1) else {
            // The entries cannot be read: nothing is known.
            return;
        };
        let block = |i: u64| {
            let at = (span.start + i * bs - offset) as usize;
            &data[at..at + bs as usize]
        };
        let fails = |k: usize| want[k] != 0 && block_crc(block(i0 + k as u64)) != want[k];
        let failing: Vec<usize> = if want.len() * bs as usize >= PARALLEL_BYTES {
            use rayon::prelude::*;
            (0..want.len())
                .into_par_iter()
                .filter(|&k| fails(k))
                .collect()
        } else {
            (0..want.len()).filter(|&k| fails(k)).collect()
        };
        for k in failing {
            let b0 = span.start + (i0 + k as u64) * bs;
            match bad.last_mut() {
                Some(r) if r.end == b0 => r.end = b0 + bs,
                _ => bad.push(b0..b0 + bs),
            }
        }
    }
}

impl BlockCheck for ChecksumIo {
    fn bad_ranges(
        &self,
        group: usize,
        block_size: u32,
        offset: u64,
        data: &[u8],
    ) -> Vec<std::ops::Range<u64>> {
        let end = offset + data.len() as u64;
        let spans: Vec<Span> = {
            let all = self.spans.read().recover();
            let Some(v) = all.get(group) else {
                return Vec::new();
            };
            v.iter()
                .filter(|s| s.block_size == block_size && s.start < end && offset < s.end)
                .cloned()
                .collect()
        };
        let bs = u64::from(block_size);
        let mut bad = Vec::new();
        for span in spans {
            // Whole blocks of the span inside the data, less the checksum
            // fragment (it describes the others, not itself).
            let a = (offset.max(span.start) - span.start).div_ceil(bs);
            let z = (end.min(span.end) - span.start) / bs;
            let f0 = (span.csum_start - span.start) / bs;
            let f1 = (span.csum_end - span.start) / bs;
            for (i0, i1) in [(a, z.min(f0)), (a.max(f1), z)] {
                if i0 < i1 {
                    self.check_blocks(group, &span, offset, data, i0, i1, &mut bad);
                }
            }
        }
        bad
    }
}

impl BlockIo for ChecksumIo {
    fn groups(&self) -> &[Arc<MirrorGroup>] {
        self.inner.groups()
    }

    fn read(&self, group: usize, block_size: u32, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.read_with(group, block_size, offset, buf, true)
    }

    fn read_stream(
        &self,
        group: usize,
        block_size: u32,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<()> {
        self.read_with(group, block_size, offset, buf, false)
    }

    fn write(&self, group: usize, block_size: u32, offset: u64, data: &[u8]) -> Result<()> {
        self.inner.write(group, block_size, offset, data)?;
        if data.is_empty() {
            return Ok(());
        }
        let end = offset + data.len() as u64;
        let mut entries = Vec::new();
        let into_fragment = {
            let spans = self.spans.read().recover();
            let Some(spans) = spans.get(group) else {
                return Ok(());
            };
            for span in spans.iter().filter(|s| s.start < end && offset < s.end) {
                self.update(group, span, offset, data, &mut entries)?;
            }
            spans
                .iter()
                .any(|s| s.csum_start < end && offset < s.csum_end)
        };
        if entries.is_empty() && !into_fragment {
            return Ok(());
        }
        let full = {
            let mut p = self.pending.lock().recover();
            if into_fragment {
                // A write into a fragment itself (write_checksum) wins
                // over entries still pending there.
                let gone: Vec<(usize, u64)> = p
                    .range((group, offset / ENTRY * ENTRY)..(group, end))
                    .map(|(k, _)| *k)
                    .collect();
                for k in gone {
                    p.remove(&k);
                }
            }
            for (at, crc, bs) in entries {
                p.insert((group, at), (crc, bs));
            }
            p.len() >= MAX_PENDING
        };
        if full {
            self.flush_entries()?;
        }
        Ok(())
    }

    fn barrier(&self) -> Result<()> {
        self.flush_entries()?;
        self.inner.barrier()
    }

    fn sync(&self) -> Result<()> {
        self.flush_entries()?;
        self.inner.sync()
    }
}

fn no_checksums(vol: &Volume) -> Error {
    Error::NoChecksums(vol.name.clone())
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
