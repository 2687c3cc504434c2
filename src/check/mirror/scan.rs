//! The pass over a group: its logical partition cut into regions (volume
//! segments and the rest) and pieces, each piece read from every in-sync
//! member at once by one reader thread per member, reading ahead.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use crate::assembly::Assembly;
use crate::device::aligned::AlignedBuf;
use crate::error::Result;
use crate::layout::voltab::{VOLTAB_COPIES, VOLTAB_COPY_BYTES};
use crate::partition::Partition;

use super::GroupCheck;
use super::allocated::allocated_runs;

/// Bytes read from each member at a time: small enough that a chunk is
/// still in the CPU cache when it is compared (8 MiB chunks measured 2x
/// slower from the page cache), large enough for few system calls.
const CHUNK: u64 = 1 << 20;
/// Pieces a reader keeps in the page cache behind the one it reads.
const BEHIND: usize = 4;

/// A stretch of a group's logical partition.
#[derive(Debug, Clone, Copy)]
pub(super) struct Region {
    /// Logical byte where it starts.
    pub(super) start: u64,
    /// Length in bytes.
    pub(super) len: u64,
    /// What it holds.
    pub(super) kind: RegionKind,
}

#[derive(Debug, Clone, Copy)]
/// What a region holds.
pub(super) enum RegionKind {
    /// Blocks of a volume segment.
    Volume { vol: usize, seg: usize },
    /// Not in any volume.
    Other(&'static str),
}

/// The group's logical partition cut into volume segments and the rest.
pub(super) fn regions(sys: &Assembly, g: usize) -> Vec<Region> {
    let lb = sys.groups[g].logical_bytes;
    let mut segs: Vec<Region> = Vec::new();
    for (vi, vol) in sys.volumes.iter().enumerate() {
        for (si, s) in vol.segments.iter().enumerate() {
            if s.group == g {
                let len = s.blocks() as u64 * vol.block_size as u64;
                segs.push(Region {
                    start: s.logical_start(),
                    len,
                    kind: RegionKind::Volume { vol: vi, seg: si },
                });
            }
        }
    }
    segs.sort_by_key(|r| r.start);
    let tables = ((VOLTAB_COPIES * VOLTAB_COPY_BYTES) as u64).min(lb);
    let mut out = vec![Region {
        start: 0,
        len: tables,
        kind: RegionKind::Other("volume tables"),
    }];
    let mut pos = tables;
    for r in segs {
        if r.start < pos || r.start + r.len > lb {
            continue; // overlapping or out of range: the structure check says so
        }
        if r.start > pos {
            out.push(Region {
                start: pos,
                len: r.start - pos,
                kind: RegionKind::Other("unused space"),
            });
        }
        out.push(r);
        pos = r.start + r.len;
    }
    if pos < lb {
        out.push(Region {
            start: pos,
            len: lb - pos,
            kind: RegionKind::Other("unused space"),
        });
    }
    out
}

/// One read of the pass: a piece of a region.
#[derive(Debug, Clone, Copy)]
pub(super) struct Piece {
    /// Index of its region.
    pub(super) region: usize,
    /// Logical byte where it starts.
    pub(super) start: u64,
    /// Length in bytes.
    pub(super) len: u64,
}

impl GroupCheck<'_, '_> {
    /// The pass over the whole logical partition.
    pub(super) fn run(&mut self, progress: &(dyn Fn(u64) + Sync)) -> Result<()> {
        if self.members.is_empty() {
            return Ok(());
        }
        let mut ranges = Vec::with_capacity(self.regions.len());
        for r in &self.regions {
            ranges.push(self.to_read(r)?);
        }
        self.split_at_lost(&mut ranges);
        let pieces = pieces(&self.regions, &ranges);
        let read: u64 = pieces.iter().map(|p| p.len).sum();
        self.stats.bytes_not_read += self.group.logical_bytes.saturating_sub(read);
        let group = self.group;
        let members = self.members.clone();
        std::thread::scope(|s| -> Result<()> {
            // One reader per member, two chunks ahead; buffers come back
            // through `ret` so memory stays at a few chunks per member.
            let mut rx: Vec<Receiver<(AlignedBuf, Result<()>)>> = Vec::new();
            let mut ret: Vec<SyncSender<AlignedBuf>> = Vec::new();
            for &mi in &members {
                let (tx, r) = sync_channel::<(AlignedBuf, Result<()>)>(2);
                let (btx, brx) = sync_channel::<AlignedBuf>(4);
                // Page-aligned buffers, so O_DIRECT reads need no bounce.
                for _ in 0..3 {
                    let b = AlignedBuf::new(CHUNK as usize, 4096).map_err(|e| {
                        crate::error::Error::Internal(format!("cannot allocate read buffers: {e}"))
                    })?;
                    let _ = btx.send(b);
                }
                rx.push(r);
                ret.push(btx);
                let pieces = &pieces;
                let part = &group.members[mi].partition;
                let lost_from = self
                    .lost
                    .iter()
                    .find(|(n, _)| n == part.name())
                    .map(|(_, at)| at.saturating_sub(part.logical_start_byte()));
                s.spawn(move || read_pieces(part, pieces, lost_from, brx, tx));
            }
            for p in &pieces {
                let mut bufs = Vec::with_capacity(members.len());
                for r in &rx {
                    let got = r.recv().expect("reader thread alive");
                    bufs.push(got);
                }
                let n = p.len as usize;
                let copies: Vec<Option<&[u8]>> = bufs
                    .iter()
                    .map(|(b, r)| r.is_ok().then_some(&b[..n]))
                    .collect();
                let errors: Vec<Option<String>> = bufs
                    .iter()
                    .map(|(_, r)| r.as_ref().err().map(|e| e.to_string()))
                    .collect();
                self.check_piece(p, &copies, &errors)?;
                self.stats.bytes_compared += p.len;
                // Where the pass is: what it skipped counts as done.
                progress(p.start + p.len);
                for ((b, _), t) in bufs.into_iter().zip(&ret) {
                    let _ = t.send(b);
                }
            }
            drop(ret);
            Ok(())
        })?;
        progress(self.group.logical_bytes);
        self.fix_checksum_blocks()?;
        Ok(())
    }

    /// Cuts the ranges to read where a member's lost tail starts (rounded
    /// down to the region's unit), so no piece holds both bytes the member
    /// still has and bytes it lost: only the lost ones count as unreadable.
    fn split_at_lost(&self, ranges: &mut [Vec<(u64, u64)>]) {
        let cuts: Vec<u64> = self
            .members
            .iter()
            .filter_map(|&mi| {
                let part = &self.group.members[mi].partition;
                self.lost
                    .iter()
                    .find(|(n, _)| n == part.name())
                    .map(|(_, at)| at.saturating_sub(part.logical_start_byte()))
            })
            .collect();
        for (r, within) in self.regions.iter().zip(ranges.iter_mut()) {
            let unit = match r.kind {
                RegionKind::Volume { vol, .. } => self.sys.volumes[vol].block_size as u64,
                RegionKind::Other(_) => 4096,
            };
            for &cut in &cuts {
                let Some(rel) = cut.checked_sub(r.start) else {
                    continue;
                };
                let rel = rel / unit * unit;
                let mut out = Vec::with_capacity(within.len() + 1);
                for &(from, to) in within.iter() {
                    if from < rel && rel < to {
                        out.push((from, rel));
                        out.push((rel, to));
                    } else {
                        out.push((from, to));
                    }
                }
                *within = out;
            }
        }
    }

    /// Byte ranges `[from, to)` of region `r` (relative to its start) the
    /// pass reads: all of it with `all`; otherwise the volume tables,
    /// nothing of the space outside volumes, and of a volume segment what
    /// its FAT says is allocated (all of it when the copies disagree).
    fn to_read(&self, r: &Region) -> Result<Vec<(u64, u64)>> {
        let whole = vec![(0, r.len)];
        if self.all {
            return Ok(whole);
        }
        match r.kind {
            RegionKind::Other("unused space") => Ok(Vec::new()),
            RegionKind::Other(_) => Ok(whole),
            RegionKind::Volume { vol, seg } => {
                let volume = &self.sys.volumes[vol];
                let bs = volume.block_size as u64;
                Ok(
                    match allocated_runs(volume, seg, self.group, &self.members)? {
                        Some(runs) => runs
                            .into_iter()
                            .map(|(a, b)| (a as u64 * bs, (b as u64 * bs).min(r.len)))
                            .collect(),
                        None => whole,
                    },
                )
            }
        }
    }
}

/// The ranges to read of each region (`ranges[i]` of region `i`, relative
/// to its start) cut into pieces of at most [`CHUNK`] bytes, in order.
fn pieces(regions: &[Region], ranges: &[Vec<(u64, u64)>]) -> Vec<Piece> {
    let mut pieces = Vec::new();
    for (i, (r, within)) in regions.iter().zip(ranges).enumerate() {
        for &(from, to) in within {
            let mut off = from;
            while off < to {
                let len = (to - off).min(CHUNK);
                pieces.push(Piece {
                    region: i,
                    start: r.start + off,
                    len,
                });
                off += len;
            }
        }
    }
    pieces
}

/// One member's reader: reads every piece into a buffer from `free` and
/// sends it with the result to `read`; bytes from `lost_from` on (a
/// truncated image) count as unreadable. Stops when the comparing side
/// hangs up.
fn read_pieces(
    part: &Partition,
    pieces: &[Piece],
    lost_from: Option<u64>,
    free: Receiver<AlignedBuf>,
    read: SyncSender<(AlignedBuf, Result<()>)>,
) {
    for (k, p) in pieces.iter().enumerate() {
        let Ok(mut buf) = free.recv() else { return };
        let r = match lost_from {
            Some(at) if p.start + p.len > at => Err(crate::error::Error::Damaged(
                crate::error::CorruptKind::Truncated,
            )),
            _ => part.read_logical(&mut buf[..p.len as usize], p.start),
        };
        // A scan: what was read a few pieces ago leaves the
        // page cache (the next pieces' read-ahead reuses
        // its pages).
        if let Some(old) = k.checked_sub(BEHIND).map(|j| &pieces[j]) {
            part.done_reading_logical(old.start, old.len);
        }
        if read.send((buf, r)).is_err() {
            return;
        }
    }
    for p in &pieces[pieces.len().saturating_sub(BEHIND)..] {
        part.done_reading_logical(p.start, p.len);
    }
}
