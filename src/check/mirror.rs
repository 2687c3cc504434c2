//! The mirror check: every logical byte of every group, read from all
//! in-sync members at once (one reader thread per member, reading ahead)
//! and compared in large buffers; where volume blocks keep checksums, each
//! copy is also checked against them. Diverging or damaged blocks are
//! judged (`judge.rs`), named (`owners.rs`) and, with `--repair`, rewritten
//! on the bad members from the good copy, straight to the members'
//! partitions (following their hot-fix tables).

use std::collections::HashMap;
use std::io::IoSlice;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use crate::assembly::Assembly;
use crate::device::aligned::AlignedBuf;
use crate::error::Result;
use crate::layout::checksum::block_crc;
use crate::layout::fat::{FAT_ENTRY_BYTES, fat_blocks};
use crate::layout::voltab::{VOLTAB_COPIES, VOLTAB_COPY_BYTES, VolumeTable};
use crate::mirror::MirrorGroup;
use crate::partition::wib::WibRecord;
use crate::volume::Volume;

use super::allocated::allocated_runs;
use super::judge::{Verdict, Why, judge, judge_by_validity};
use super::owners::{Owner, Owners};
use super::{Action, BlockRange, ByteRange, CheckOptions, Finding, Sink};

/// Bytes read from each member at a time: small enough that a chunk is
/// still in the CPU cache when it is compared (8 MiB chunks measured 2x
/// slower from the page cache), large enough for few system calls.
const CHUNK: u64 = 1 << 20;
/// Pieces a reader keeps in the page cache behind the one it reads.
const BEHIND: usize = 4;
/// Unit compared outside volumes (volume tables, unused space).
const OTHER_UNIT: u64 = 4096;

/// Totals of the mirror check.
#[derive(Debug, Clone, Default)]
pub struct MirrorStats {
    /// Logical bytes read and compared (per group, not per member).
    pub bytes_compared: u64,
    /// Logical bytes not read: free blocks (where the members' FAT says
    /// so) and space outside volumes, unless everything was asked for.
    pub bytes_not_read: u64,
    /// Block copies checked against their checksum.
    pub blocks_checksummed: u64,
    /// Damaged metadata blocks (FAT, directory table) no member holds a
    /// good copy of, when repairing: the structure repair may rewrite them
    /// from the tables' second copies; [`recheck`] then says whether it
    /// did. Not yet given to the sink.
    pub deferred: Vec<Finding>,
}

/// Logical bytes the mirror check reads (for a progress bar).
pub fn total_bytes(sys: &Assembly) -> u64 {
    sys.groups.iter().map(|g| g.logical_bytes).sum()
}

/// Checks every group: members against each other and blocks against
/// their checksums. `progress` is called with the bytes done so far
/// (skipped bytes count as done). Free blocks are not read (see
/// [`check_mirrors_without`]).
///
/// `lost` names members whose bytes from a device offset on are known to
/// be gone (a truncated image given its length back): they count as
/// unreadable there, so a good member's copy is written over them.
pub fn check_mirrors(
    sys: &Assembly,
    opts: &CheckOptions,
    lost: &[(String, u64)],
    progress: &(dyn Fn(u64) + Sync),
    sink: Sink<'_>,
) -> Result<MirrorStats> {
    check_mirrors_without(sys, opts, lost, &[], false, progress, sink)
}

/// [`check_mirrors`], where the members with partition IDs `left_out` were
/// given but not assembled (truncated images, already reported as
/// `member-truncated`): they are not reported missing. Without `all`,
/// only what is allocated is read: the volume tables, and of each volume
/// segment the blocks its FAT says are in use, when the members' FAT
/// fragments and their copies agree (otherwise the whole segment); space
/// outside volumes is not read.
#[allow(clippy::too_many_arguments)]
pub fn check_mirrors_without(
    sys: &Assembly,
    opts: &CheckOptions,
    lost: &[(String, u64)],
    left_out: &[u32],
    all: bool,
    progress: &(dyn Fn(u64) + Sync),
    sink: Sink<'_>,
) -> Result<MirrorStats> {
    let mut stats = MirrorStats::default();
    let mut done_before = 0u64;
    for g in 0..sys.groups.len() {
        let mut gc = GroupCheck::new(sys, g, *opts, sink);
        gc.lost = lost.to_vec();
        gc.left_out = left_out.to_vec();
        gc.all = all;
        gc.members_state();
        gc.run(&|d| progress(done_before + d))?;
        gc.finish();
        stats.bytes_compared += gc.stats.bytes_compared;
        stats.blocks_checksummed += gc.stats.blocks_checksummed;
        stats.bytes_not_read += gc.stats.bytes_not_read;
        stats.deferred.append(&mut gc.stats.deferred);
        done_before += sys.groups[g].logical_bytes;
    }
    Ok(stats)
}

/// Gives the deferred findings to the sink after the structure repair: a
/// block that now matches its checksum on every in-sync member was
/// rewritten by it and counts as repaired.
pub fn recheck(sys: &Assembly, deferred: Vec<Finding>, sink: Sink<'_>) -> Result<()> {
    for mut f in deferred {
        let vol = f.volume.as_deref().and_then(|v| sys.volume(v));
        if let (Some(vol), Some(r)) = (vol, f.blocks) {
            let mut all_good = true;
            let mut buf = vec![0u8; vol.block_size as usize];
            let mut entry = [0u8; 4];
            for b in r.first..r.first + r.count {
                let (g, off) = vol.block_location(b)?;
                let Some((eg, eoff)) = vol.checksum_entry(b) else {
                    all_good = false;
                    break;
                };
                for i in sys.groups[g].in_sync_members() {
                    let part = &sys.groups[g].members[i].partition;
                    part.read_logical(&mut buf, off)?;
                    sys.groups[eg].members[i]
                        .partition
                        .read_logical(&mut entry, eoff)?;
                    if block_crc(&buf) != u32::from_le_bytes(entry) {
                        all_good = false;
                    }
                }
            }
            if all_good {
                f.action = Action::Repaired("rewritten by the structure repair (see below)".into());
            }
        }
        sink(f);
    }
    Ok(())
}

/// A stretch of a group's logical partition.
#[derive(Debug, Clone, Copy)]
struct Region {
    start: u64,
    len: u64,
    kind: RegionKind,
}

#[derive(Debug, Clone, Copy)]
enum RegionKind {
    /// Blocks of a volume segment.
    Volume { vol: usize, seg: usize },
    /// Not in any volume.
    Other(&'static str),
}

/// The group's logical partition cut into volume segments and the rest.
fn regions(sys: &Assembly, g: usize) -> Vec<Region> {
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

/// For each volume table copy the piece holds whole (the tables start at
/// logical byte 0): whether each member's copy decodes, CRCs included.
/// A copy the piece cuts is None.
fn voltab_validity(p: &Piece, copies: &[Option<&[u8]>]) -> Vec<Option<Vec<bool>>> {
    let size = VOLTAB_COPY_BYTES as u64;
    (0..VOLTAB_COPIES as u64)
        .map(|k| {
            let start = k * size;
            if start < p.start || start + size > p.start + p.len {
                return None;
            }
            let rel = (start - p.start) as usize;
            Some(
                copies
                    .iter()
                    .map(|c| {
                        c.is_some_and(|c| {
                            VolumeTable::decode(&c[rel..rel + VOLTAB_COPY_BYTES]).is_ok()
                        })
                    })
                    .collect(),
            )
        })
        .collect()
}

/// One read of the pass: a piece of a region.
#[derive(Debug, Clone, Copy)]
struct Piece {
    region: usize,
    start: u64,
    len: u64,
}

/// A finding being built up over consecutive blocks.
struct Pending {
    f: Finding,
    /// Logical end of the range so far, to know what continues it.
    end: u64,
}

struct GroupCheck<'a, 's> {
    sys: &'a Assembly,
    group: &'a MirrorGroup,
    opts: CheckOptions,
    sink: Sink<'s>,
    /// In-sync members compared, by member index.
    members: Vec<usize>,
    wib: WibRecord,
    regions: Vec<Region>,
    owners: HashMap<usize, Owners>,
    pending: Option<Pending>,
    /// Members written by repair (synced at the end).
    written: Vec<bool>,
    /// Checksum blocks that differ between members, fixed at the end:
    /// (volume, block) -> the copies.
    sum_blocks: Vec<(usize, u32, u64)>,
    stats: MirrorStats,
    /// Members' lost tails: (device name, first lost device byte).
    lost: Vec<(String, u64)>,
    /// Partition IDs of given members left out of assembly (truncated).
    left_out: Vec<u32>,
    /// The FAT fragment of the segment being checked, as the members
    /// agree on it.
    fat: Option<FatCopy>,
    /// Read free blocks and space outside volumes too.
    all: bool,
}

/// A segment's FAT fragment read during the pass.
struct FatCopy {
    /// (volume, segment).
    key: (usize, usize),
    bytes: Vec<u8>,
    /// Every block of it was the same on every member and passed its
    /// checksum.
    clean: bool,
}

impl<'a, 's> GroupCheck<'a, 's> {
    fn new(sys: &'a Assembly, g: usize, opts: CheckOptions, sink: Sink<'s>) -> GroupCheck<'a, 's> {
        let group = &sys.groups[g];
        GroupCheck {
            sys,
            group,
            opts,
            sink,
            members: group.in_sync_members(),
            wib: group.write_intent(),
            regions: regions(sys, g),
            owners: HashMap::new(),
            pending: None,
            written: vec![false; group.members.len()],
            sum_blocks: Vec::new(),
            stats: MirrorStats::default(),
            lost: Vec::new(),
            left_out: Vec::new(),
            fat: None,
            all: false,
        }
    }

    fn base(&self, code: &'static str, structure: &str, problem: String) -> Finding {
        let mut f = Finding::new(code, structure, problem);
        f.group = Some(self.group.name());
        f
    }

    fn emit(&mut self, f: Finding) {
        self.flush_pending();
        (self.sink)(f);
    }

    fn flush_pending(&mut self) {
        if let Some(p) = self.pending.take() {
            let metadata = super::owners::TABLES.contains(&p.f.structure.as_str());
            if self.opts.repair && metadata && p.f.code == "checksum-mismatch" {
                self.stats.deferred.push(p.f);
            } else {
                (self.sink)(p.f);
            }
        }
    }

    /// Findings for members that are not compared.
    fn members_state(&mut self) {
        for m in &self.group.members {
            if !m.in_sync() {
                let mut f = self.base(
                    "member-not-in-sync",
                    "mirror table",
                    format!(
                        "member is {} and was not compared",
                        format!("{:?}", m.state()).to_lowercase()
                    ),
                );
                f.member = Some(m.partition.name().to_string());
                f.action = Action::Unrepairable(
                    "verify does not remirror; run nwvol mirror resume".into(),
                );
                self.emit(f);
            }
        }
        for id in self.group.missing.clone() {
            if self.left_out.contains(&id) {
                continue; // given, but truncated: reported as such
            }
            let mut f = self.base(
                "member-missing",
                "mirror table",
                format!(
                    "member with partition ID {id:#010x} is listed but not among the devices given"
                ),
            );
            f.action = Action::Unrepairable(
                "give its device with -d, or take it out with nwvol mirror remove".into(),
            );
            self.emit(f);
        }
        if self.members.is_empty() {
            let mut f = self.base(
                "no-in-sync-member",
                "mirror table",
                "no member of the group is in sync: nothing to compare".into(),
            );
            f.action = Action::Unrepairable("run nwvol mirror resume from a good member".into());
            self.emit(f);
        }
    }

    /// The pass over the whole logical partition.
    fn run(&mut self, progress: &(dyn Fn(u64) + Sync)) -> Result<()> {
        if self.members.is_empty() {
            return Ok(());
        }
        let mut pieces = Vec::new();
        for (i, r) in self.regions.iter().enumerate() {
            for (from, to) in self.to_read(r)? {
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
                        crate::Error::Invalid(format!("cannot allocate read buffers: {e}"))
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
                s.spawn(move || {
                    for (k, p) in pieces.iter().enumerate() {
                        let Ok(mut buf) = brx.recv() else { return };
                        let r = match lost_from {
                            Some(at) if p.start + p.len > at => {
                                Err(crate::Error::Invalid("the image was truncated here".into()))
                            }
                            _ => part.read_logical(&mut buf[..p.len as usize], p.start),
                        };
                        // A scan: what was read a few pieces ago leaves the
                        // page cache (the next pieces' read-ahead reuses
                        // its pages).
                        if let Some(old) = k.checked_sub(BEHIND).map(|j| &pieces[j]) {
                            part.done_reading_logical(old.start, old.len);
                        }
                        if tx.send((buf, r)).is_err() {
                            return;
                        }
                    }
                    for p in &pieces[pieces.len().saturating_sub(BEHIND)..] {
                        part.done_reading_logical(p.start, p.len);
                    }
                });
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

    /// Byte ranges `[from, to)` of region `r` (relative to its start) the
    /// pass reads.
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

    /// Compares one piece; judges every unit that differs or fails its
    /// checksum.
    fn check_piece(
        &mut self,
        p: &Piece,
        copies: &[Option<&[u8]>],
        errors: &[Option<String>],
    ) -> Result<()> {
        let region = self.regions[p.region];
        let readable: Vec<&[u8]> = copies.iter().flatten().copied().collect();
        let all_same =
            errors.iter().all(|e| e.is_none()) && readable.iter().all(|c| *c == readable[0]);
        match region.kind {
            RegionKind::Other(what) => {
                if all_same {
                    return Ok(());
                }
                let tables = if what == "volume tables" {
                    voltab_validity(p, copies)
                } else {
                    Vec::new()
                };
                let mut off = 0u64;
                while off < p.len {
                    let n = OTHER_UNIT.min(p.len - off);
                    let unit: Vec<Option<&[u8]>> = copies
                        .iter()
                        .map(|c| c.map(|c| &c[off as usize..(off + n) as usize]))
                        .collect();
                    if !unit_same(&unit) {
                        let logical = p.start + off;
                        let intent = self.intent(logical, n);
                        let free = what == "unused space";
                        let copy = (logical / VOLTAB_COPY_BYTES as u64) as usize;
                        let v = tables
                            .get(copy)
                            .and_then(|valid| valid.as_deref())
                            .and_then(|valid| judge_by_validity(&unit, valid))
                            .unwrap_or_else(|| judge(&unit, &vec![0; unit.len()], intent, free));
                        self.act(v, &unit, logical, None, what.to_string(), None, 0);
                    }
                    off += n;
                }
                Ok(())
            }
            RegionKind::Volume { vol, seg } => {
                let volume = &self.sys.volumes[vol];
                let bs = volume.block_size as u64;
                let s = &volume.segments[seg];
                let first_block = s.entry.first_block + ((p.start - s.logical_start()) / bs) as u32;
                let nblocks = (p.len / bs) as u32;
                let sums = self.read_checksums(volume, first_block, nblocks)?;
                // The segment's FAT fragment comes first: where every
                // member's copy of it is clean, it tells which blocks are
                // free, and free blocks are not compared (a new member got
                // none of them, and their old bytes matter to no one).
                let rel0 = first_block - s.entry.first_block;
                let fat_len = fat_blocks(s.blocks(), volume.block_size);
                if rel0 == 0 {
                    self.fat = Some(FatCopy {
                        key: (vol, seg),
                        bytes: vec![0u8; (fat_len as u64 * bs) as usize],
                        clean: true,
                    });
                }
                let fat_done = rel0 >= fat_len;
                if all_same && sums.is_none() && !fat_done {
                    self.keep_fat((vol, seg), rel0, fat_len, bs, copies, None);
                    return Ok(());
                }
                if all_same && sums.is_none() {
                    return Ok(());
                }
                // Where the members agree, the blocks' CRCs are computed on
                // both cores at once; only a block whose CRC is not on
                // record goes to the judge.
                let crcs: Option<Vec<u32>> = match (&sums, copies.iter().flatten().next()) {
                    (Some(_), Some(c)) if all_same => {
                        use rayon::prelude::*;
                        Some(
                            c[..(nblocks as u64 * bs) as usize]
                                .par_chunks(bs as usize)
                                .map(block_crc)
                                .collect(),
                        )
                    }
                    _ => None,
                };
                for i in 0..nblocks {
                    let b = first_block + i;
                    let rel = rel0 + i;
                    let off = i as u64 * bs;
                    if rel >= fat_len && self.is_free((vol, seg), rel) {
                        continue;
                    }
                    if rel >= fat_len
                        && let (Some(crcs), Some(per_member)) = (&crcs, &sums)
                    {
                        let crc = crcs[i as usize];
                        let mut any = false;
                        let mut ok = false;
                        for m in per_member {
                            let e = m[i as usize];
                            any |= e != 0;
                            ok |= e != 0 && e == crc;
                        }
                        if any {
                            self.stats.blocks_checksummed += copies.iter().flatten().count() as u64;
                        }
                        if ok || !any {
                            continue;
                        }
                    }
                    let unit: Vec<Option<&[u8]>> = copies
                        .iter()
                        .map(|c| c.map(|c| &c[off as usize..(off + bs) as usize]))
                        .collect();
                    let entries: Vec<u32> = match &sums {
                        Some(per_member) => per_member.iter().map(|m| m[i as usize]).collect(),
                        None => vec![0; unit.len()],
                    };
                    if entries.iter().any(|&e| e != 0) {
                        self.stats.blocks_checksummed += unit.iter().flatten().count() as u64;
                    }
                    let same = all_same || unit_same(&unit);
                    if same && entries.iter().all(|&e| e == 0) {
                        if rel < fat_len {
                            self.keep_fat((vol, seg), rel, fat_len, bs, &unit, Some(true));
                        }
                        continue;
                    }
                    let logical = p.start + off;
                    let entry = volume.checksum_entry(b);
                    if !same && volume.is_checksum_block(b) {
                        self.sum_blocks.push((vol, b, logical));
                        continue;
                    }
                    let mut intent = self.intent(logical, bs);
                    if let Some((_, eoff)) = entry {
                        intent |= self.intent(eoff, 4);
                    }
                    // Free volume blocks are not copied over each other
                    // here: the judge is not told, only the FAT above
                    // (when clean) skips them.
                    let v = judge(&unit, &entries, intent, false);
                    if rel < fat_len {
                        let clean = v == Verdict::Clean;
                        self.keep_fat((vol, seg), rel, fat_len, bs, &unit, Some(clean));
                    }
                    if v == Verdict::Clean {
                        continue;
                    }
                    let owner = self.owner(vol, b);
                    let (structure, path) = match owner {
                        Owner::Structure(s) => (s, None),
                        Owner::File(p) => ("data".to_string(), Some(p)),
                        Owner::Free => ("free space".to_string(), None),
                    };
                    self.act(v, &unit, logical, Some((vol, b)), structure, path, bs);
                }
                Ok(())
            }
        }
    }

    /// Keeps the bytes of FAT blocks `rel..` (segment-relative) of segment
    /// `key` from `copies` (a piece or one block); `clean` says whether the
    /// members agreed and passed their checksums (None: a piece that was
    /// all the same with no checksums, so clean).
    fn keep_fat(
        &mut self,
        key: (usize, usize),
        rel: u32,
        fat_len: u32,
        bs: u64,
        copies: &[Option<&[u8]>],
        clean: Option<bool>,
    ) {
        let Some(f) = self.fat.as_mut().filter(|f| f.key == key) else {
            return;
        };
        if clean == Some(false) {
            f.clean = false;
            return;
        }
        let Some(src) = copies.iter().flatten().next() else {
            f.clean = false;
            return;
        };
        let at = (rel as u64 * bs) as usize;
        let room = ((fat_len - rel.min(fat_len)) as u64 * bs) as usize;
        let n = src.len().min(room);
        f.bytes[at..at + n].copy_from_slice(&src[..n]);
    }

    /// True when the segment's clean FAT says block `rel` is free.
    fn is_free(&self, key: (usize, usize), rel: u32) -> bool {
        let Some(f) = self.fat.as_ref().filter(|f| f.key == key && f.clean) else {
            return false;
        };
        let at = rel as usize * FAT_ENTRY_BYTES;
        f.bytes
            .get(at..at + FAT_ENTRY_BYTES)
            .is_some_and(|e| e.iter().all(|&x| x == 0))
    }

    fn member_name(&self, k: usize) -> String {
        self.group.members[self.members[k]]
            .partition
            .name()
            .to_string()
    }

    /// True when a write-intent bit covers any of the range.
    fn intent(&self, logical: u64, len: u64) -> bool {
        self.wib
            .header
            .bits_for_range(logical, len)
            .any(|b| self.wib.get(b))
    }

    fn owner(&mut self, vol: usize, b: u32) -> Owner {
        let sys = self.sys;
        self.owners
            .entry(vol)
            .or_insert_with(|| Owners::build(&sys.volumes[vol], &sys.io))
            .owner(b)
    }

    /// Each compared member's checksum entries for blocks `first..first+n`
    /// (None when the volume keeps none there).
    fn read_checksums(&self, vol: &Volume, first: u32, n: u32) -> Result<Option<Vec<Vec<u32>>>> {
        let mut any = false;
        let mut per_member = vec![vec![0u32; n as usize]; self.members.len()];
        let mut i = 0u32;
        while i < n {
            let Some((g, off)) = vol.checksum_entry(first + i) else {
                i += 1;
                continue;
            };
            // Entries of consecutive blocks of one segment are consecutive.
            let mut run = 1u32;
            while i + run < n
                && vol.checksum_entry(first + i + run) == Some((g, off + 4 * run as u64))
            {
                run += 1;
            }
            any = true;
            let mut buf = vec![0u8; run as usize * 4];
            for (k, &mi) in self.members.iter().enumerate() {
                let m = &self.sys.groups[g].members[mi];
                // An unreadable entry counts as none: the data is then
                // judged by comparing members.
                if m.partition.read_logical(&mut buf, off).is_ok() {
                    for (j, e) in buf.chunks_exact(4).enumerate() {
                        per_member[k][(i as usize) + j] =
                            u32::from_le_bytes(e.try_into().expect("4 bytes"));
                    }
                }
            }
            i += run;
        }
        Ok(any.then_some(per_member))
    }

    /// Reports a verdict, repairing when asked.
    #[allow(clippy::too_many_arguments)]
    fn act(
        &mut self,
        v: Verdict,
        unit: &[Option<&[u8]>],
        logical: u64,
        block: Option<(usize, u32)>,
        structure: String,
        path: Option<String>,
        _bs: u64,
    ) {
        let len = unit.iter().flatten().next().map_or(0, |c| c.len() as u64);
        let plain = !self.group.writable();
        let group_name = self.group.name();
        let volume_name = block.map(|(vol, _)| self.sys.volumes[vol].name.clone());
        let make = |code: &'static str, member: Option<String>, problem: String, action: Action| {
            let mut f = Finding::new(code, structure.clone(), problem);
            f.group = Some(group_name.clone());
            f.member = member;
            f.path = path.clone();
            f.volume = volume_name.clone();
            if let Some((_, b)) = block {
                f.blocks = Some(BlockRange { first: b, count: 1 });
            }
            f.logical = Some(ByteRange {
                offset: logical,
                len,
            });
            f.action = action;
            f
        };
        let mut out: Vec<Finding> = Vec::new();
        match v {
            Verdict::Clean => {}
            Verdict::Corrupt { crc, expected } => out.push(make(
                "checksum-mismatch",
                None,
                format!(
                    "every member's copy has CRC {crc:#010x}, the checksum on record is {expected:#010x}: the data is damaged"
                ),
                Action::Unrepairable("no member holds a copy that matches its checksum".into()),
            )),
            Verdict::Undecided => out.push(make(
                "mirror-diverges",
                None,
                format!("the {} members hold different data", unit.len()),
                Action::Unrepairable(
                    "no checksum or majority tells which copy is good; the data is left as it is".into(),
                ),
            )),
            Verdict::StaleChecksum { crc } => {
                let action = if plain {
                    Action::Unrepairable("plain NetWare partition: nwvol does not write to it".into())
                } else if self.opts.dry_run {
                    Action::WouldRepair(format!("record checksum {crc:#010x}"))
                } else if self.opts.repair {
                    match self.write_checksum(block, crc) {
                        Ok(()) => Action::Repaired(format!("recorded checksum {crc:#010x}")),
                        Err(e) => Action::RepairFailed(e.to_string()),
                    }
                } else {
                    Action::None
                };
                out.push(make(
                    "checksum-stale",
                    None,
                    "the checksum does not match; a write was cut short there (write-intent bit set), so the data the members agree on is kept".into(),
                    action,
                ))
            }
            Verdict::Repair {
                good,
                bad,
                why,
                new_checksum,
            } => {
                let good_name = self.member_name(good);
                for k in bad {
                    let code = if unit[k].is_none() {
                        "member-read-error"
                    } else if why == Why::Checksum {
                        "checksum-mismatch"
                    } else {
                        "mirror-diverges"
                    };
                    let problem = if unit[k].is_none() {
                        "this member's copy cannot be read".to_string()
                    } else {
                        format!("differs from {good_name}'s copy, which is good: {}", why.describe())
                    };
                    let action = if plain {
                        Action::Unrepairable("plain NetWare partition: nwvol does not write to it".into())
                    } else if self.opts.dry_run {
                        Action::WouldRepair(format!("rewrite from {good_name}"))
                    } else if self.opts.repair {
                        let data = unit[good].expect("good copy readable");
                        match self.write_member(k, data, logical) {
                            Ok(()) => Action::Repaired(format!("rewrote from {good_name}")),
                            Err(e) => Action::RepairFailed(e.to_string()),
                        }
                    } else {
                        Action::None
                    };
                    if !matches!(action, Action::Repaired(_)) {
                        // Left bad: whatever reads these bytes next (the
                        // structure check) reads the good copy.
                        self.group.distrust(self.members[k], logical, len);
                    }
                    let name = self.member_name(k);
                    out.push(make(code, Some(name), problem, action));
                }
                if let Some(crc) = new_checksum
                    && self.opts.writes()
                    && !plain
                {
                    let _ = self.write_checksum(block, crc);
                }
            }
        }
        for f in out {
            self.push_merged(f);
        }
    }

    /// Adds a finding, merging it into the previous one when it continues
    /// it (same code, member, owner and action, next block).
    fn push_merged(&mut self, f: Finding) {
        let end = f.logical.map_or(0, |r| r.offset + r.len);
        if let Some(p) = self.pending.as_mut() {
            let q = &p.f;
            let continues = q.code == f.code
                && q.member == f.member
                && q.volume == f.volume
                && q.path == f.path
                && q.structure == f.structure
                && q.problem == f.problem
                && q.action == f.action
                && f.logical.is_some_and(|r| r.offset == p.end);
            if continues {
                if let (Some(a), Some(b)) = (p.f.blocks.as_mut(), f.blocks) {
                    a.count += b.count;
                }
                if let (Some(a), Some(b)) = (p.f.logical.as_mut(), f.logical) {
                    a.len += b.len;
                }
                p.end = end;
                return;
            }
        }
        self.flush_pending();
        self.pending = Some(Pending { f, end });
    }

    fn write_member(&mut self, k: usize, data: &[u8], logical: u64) -> Result<()> {
        let mi = self.members[k];
        self.group.members[mi].write_run(&[IoSlice::new(data)], logical)?;
        self.written[mi] = true;
        Ok(())
    }

    /// Records `crc` as block's checksum on every compared member.
    fn write_checksum(&mut self, block: Option<(usize, u32)>, crc: u32) -> Result<()> {
        let Some((vol, b)) = block else { return Ok(()) };
        let Some((g, off)) = self.sys.volumes[vol].checksum_entry(b) else {
            return Ok(());
        };
        let bytes = crc.to_le_bytes();
        for k in 0..self.members.len() {
            let mi = self.members[k];
            self.sys.groups[g].members[mi].write_run(&[IoSlice::new(&bytes)], off)?;
            self.written[mi] = true;
        }
        Ok(())
    }

    /// Checksum blocks whose copies differ: after the data pass (the data
    /// now agrees), each is rebuilt from the data blocks it covers.
    fn fix_checksum_blocks(&mut self) -> Result<()> {
        let todo = std::mem::take(&mut self.sum_blocks);
        for (vol, b, logical) in todo {
            let volume = &self.sys.volumes[vol];
            let bs = volume.block_size as usize;
            let mut copies: Vec<Vec<u8>> = Vec::new();
            for &mi in &self.members {
                let mut buf = vec![0u8; bs];
                self.group.members[mi]
                    .partition
                    .read_logical(&mut buf, logical)?;
                copies.push(buf);
            }
            // The data blocks this checksum block covers: those whose entry
            // lies in it.
            let seg = volume
                .segments
                .iter()
                .find(|s| s.holds(b))
                .expect("block in a segment");
            let first = seg.entry.first_block;
            let mut rebuilt = copies[0].clone();
            let mut data = vec![0u8; bs];
            for d in first..first + seg.blocks() {
                let Some((_, eoff)) = volume.checksum_entry(d) else {
                    continue;
                };
                if eoff < logical || eoff >= logical + bs as u64 {
                    continue;
                }
                let at = (eoff - logical) as usize;
                let (_, doff) = volume.block_location(d)?;
                self.group.members[self.members[0]]
                    .partition
                    .read_logical(&mut data, doff)?;
                let crc = block_crc(&data);
                let held: Vec<u32> = copies
                    .iter()
                    .map(|c| u32::from_le_bytes(c[at..at + 4].try_into().expect("4 bytes")))
                    .collect();
                if held.contains(&crc) {
                    rebuilt[at..at + 4].copy_from_slice(&crc.to_le_bytes());
                }
            }
            let unit: Vec<Option<&[u8]>> = copies.iter().map(|c| Some(c.as_slice())).collect();
            let bad: Vec<usize> = (0..copies.len())
                .filter(|&k| copies[k] != rebuilt)
                .collect();
            for k in bad {
                let action = if !self.group.writable() {
                    Action::Unrepairable(
                        "plain NetWare partition: nwvol does not write to it".into(),
                    )
                } else if self.opts.dry_run {
                    Action::WouldRepair("rebuild from the data blocks it covers".into())
                } else if self.opts.repair {
                    match self.write_member(k, &rebuilt, logical) {
                        Ok(()) => Action::Repaired("rebuilt from the data blocks it covers".into()),
                        Err(e) => Action::RepairFailed(e.to_string()),
                    }
                } else {
                    Action::None
                };
                let mut f = self.base(
                    "mirror-diverges",
                    "checksums",
                    "the members' checksum blocks differ".into(),
                );
                f.member = Some(self.member_name(k));
                f.volume = Some(volume.name.clone());
                f.blocks = Some(BlockRange { first: b, count: 1 });
                f.logical = Some(ByteRange {
                    offset: logical,
                    len: bs as u64,
                });
                f.action = action;
                self.push_merged(f);
            }
            let _ = unit;
        }
        Ok(())
    }

    /// Flushes the last finding and makes the repairs durable.
    fn finish(&mut self) {
        self.flush_pending();
        for (mi, w) in self.written.iter().enumerate() {
            if *w && let Err(e) = self.group.members[mi].partition.device.sync() {
                let mut f = self.base(
                    "repair-not-durable",
                    "device",
                    format!("fdatasync after repair failed: {e}"),
                );
                f.member = Some(self.group.members[mi].partition.name().to_string());
                f.action = Action::RepairFailed(e.to_string());
                (self.sink)(f);
            }
        }
    }
}

/// True when every readable copy is the same and none failed.
fn unit_same(unit: &[Option<&[u8]>]) -> bool {
    let mut it = unit.iter();
    let Some(Some(first)) = it.next() else {
        return false;
    };
    it.all(|c| c.is_some_and(|c| c == *first))
}
