//! One volume's check: the FAT against its copy, the directory table
//! against its copy, every chain (the volume's own structures, each file,
//! each deleted file) walked and claimed, cross-links, chain lengths
//! against file sizes, lost chains. Repairs are planned as FAT entries and
//! directory entries to write, and written together at the end.

use std::collections::{BTreeMap, HashMap};

use crate::assembly::Assembly;
use crate::cache::BlockIo;
use crate::error::Result;
use crate::layout::dirent::{DIRENT_BYTES, DirEntry, NO_BLOCK};
use crate::layout::fat::{FatEntry, fat_blocks};
use crate::volume::Volume;
use crate::volume::fat::Fat;

use super::fat::{Effective, FatImage, Pick, Resolver, Stop, Walk, ranges};
use super::report::{Fix, Pending, Report};
use super::tree::{RawEntry, Table, decode, file_chain, is_used};
use super::{BlockRange, Finding};

/// A chain that belongs to the volume's own structures.
#[derive(Debug, Clone)]
pub(super) struct Owned {
    /// What it is, e.g. `FAT of segment 0`.
    pub name: String,
    /// Its first block.
    pub start: u32,
    /// Its exact length when the layout fixes it (FAT and checksum
    /// fragments).
    pub blocks: Option<u32>,
    /// False when its blocks are known but not that they form a chain
    /// (a plain NetWare FAT): they are claimed, not walked.
    pub chained: bool,
}

/// Every chain the volume's own structures own, in one place: each
/// segment's FAT fragment, its copy and its checksum fragment (when the
/// volume keeps block checksums), the directory table and its copy. `nwvol`:
/// the volume is nwvol's, whose FAT copies and fragment chains are known;
/// on a plain NetWare volume only the FAT fragments' places are.
pub(super) fn owned_chains(vol: &Volume, nwvol: bool) -> Vec<Owned> {
    let mut out = Vec::new();
    for s in &vol.segments {
        let f = fat_blocks(s.blocks(), vol.block_size);
        let n = s.entry.segment;
        out.push(Owned {
            name: format!("FAT of segment {n}"),
            start: s.entry.first_block,
            blocks: Some(f),
            chained: nwvol,
        });
        if nwvol {
            out.push(Owned {
                name: format!("FAT copy of segment {n}"),
                start: s.entry.first_block + f,
                blocks: Some(f),
                chained: true,
            });
        }
        let (c0, c1) = vol.checksum_fragment(s);
        if c1 > c0 {
            out.push(Owned {
                name: format!("checksums of segment {n}"),
                start: s.entry.first_block + c0,
                blocks: Some(c1 - c0),
                chained: true,
            });
        }
    }
    out.push(Owned {
        name: "directory table".into(),
        start: vol.dir_block,
        blocks: None,
        chained: true,
    });
    out.push(Owned {
        name: "directory table copy".into(),
        start: vol.dir_copy_block,
        blocks: None,
        chained: true,
    });
    out
}

/// No chain owns the block.
const NOBODY: u32 = u32::MAX;

/// Who owns a chain.
#[derive(Debug, Clone)]
enum Kind {
    /// A structure of the volume.
    Owned(Option<u32>),
    /// A file entry (live or deleted).
    File(u32),
    /// A candidate of an undecided entry: claimed, never repaired.
    Alt,
}

#[derive(Debug, Clone)]
struct Owner {
    /// How findings name it.
    label: String,
    /// The file's path, for a file.
    path: Option<String>,
    kind: Kind,
    walk: Walk,
    /// Blocks kept after repair.
    kept: Vec<u32>,
    frozen: bool,
    dropped: bool,
}

/// The check of one volume, its findings and planned writes.
struct VolCheck<'a> {
    vol: &'a Volume,
    io: &'a dyn BlockIo,
    group: Option<String>,
    pending: Vec<Pending>,
    fat_writes: BTreeMap<u32, FatEntry>,
}

impl VolCheck<'_> {
    fn finding(
        &self,
        code: &'static str,
        structure: impl Into<String>,
        problem: impl Into<String>,
    ) -> Finding {
        let mut f = Finding::new(code, structure, problem);
        f.volume = Some(self.vol.name.clone());
        f.group = self.group.clone();
        f
    }

    /// A finding about the FAT entries of `blocks`; it names their first
    /// range.
    fn fat_finding(
        &self,
        code: &'static str,
        blocks: &[u32],
        problem: impl Into<String>,
    ) -> Finding {
        let mut f = self.finding(code, "FAT", problem);
        let r = ranges(blocks);
        f.blocks = range(r[0].0, r[0].1);
        f
    }

    fn push(&mut self, f: Finding, fix: Fix) {
        self.pending.push(Pending::new(f, fix));
    }

    fn read_entries(&self, blocks: &[u32]) -> Result<Vec<RawEntry>> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; self.vol.block_size as usize];
        for &b in blocks {
            self.vol.read_block(self.io, b, &mut buf)?;
            for c in buf.chunks_exact(DIRENT_BYTES) {
                out.push(c.try_into().expect("128 bytes"));
            }
        }
        Ok(out)
    }
}

/// For each directory entry, whether a write-intent bit covers it in the
/// table or its copy (a write there was cut short).
fn interrupted_entries(
    sys: &Assembly,
    vol: &Volume,
    table: &[u32],
    copy: &[u32],
    n: usize,
) -> Vec<bool> {
    let per = (vol.block_size as usize / DIRENT_BYTES).max(1);
    let wibs: Vec<_> = sys.groups.iter().map(|g| g.write_intent()).collect();
    let covered = |chain: &[u32], i: usize| -> bool {
        let Some(&b) = chain.get(i / per) else {
            return false;
        };
        let Ok((g, off)) = vol.block_location(b) else {
            return false;
        };
        let at = off + ((i % per) * DIRENT_BYTES) as u64;
        let w = &wibs[g];
        w.header
            .bits_for_range(at, DIRENT_BYTES as u64)
            .any(|bit| w.get(bit))
    };
    (0..n)
        .map(|i| covered(table, i) || covered(copy, i))
        .collect()
}

fn range(first: u32, count: u32) -> Option<BlockRange> {
    Some(BlockRange { first, count })
}

/// The directory table and its copy as first read: their chains and their
/// raw entries.
struct DirCopies {
    table: Walk,
    copy: Walk,
    table_raw: Vec<RawEntry>,
    copy_raw: Vec<RawEntry>,
}

impl DirCopies {
    /// Entries in the longer of the two.
    fn len(&self) -> usize {
        self.table_raw.len().max(self.copy_raw.len())
    }
}

/// Checks one volume and repairs it as the options say.
pub(super) fn check_volume(sys: &Assembly, vol: &Volume, rep: &mut Report<'_, '_>) -> Result<()> {
    let io = sys.io.as_ref();
    let mut ck = VolCheck {
        vol,
        io,
        group: vol.segments.first().map(|s| sys.groups[s.group].name()),
        pending: Vec::new(),
        fat_writes: BTreeMap::new(),
    };
    if !vol.complete() {
        let f = ck.finding(
            "volume-incomplete",
            "volume table",
            format!(
                "segment(s) {:?} of the volume are on devices not given; the volume is not checked",
                vol.missing_segments
            ),
        );
        ck.push(f, Fix::Cannot("give every device of the volume".into()));
        rep.emit(ck.pending, None, None);
        return Ok(());
    }
    let blocked = vol.writable(io).err().map(|e| e.to_string());
    let nwvol = vol.segments.iter().all(|s| sys.groups[s.group].writable());
    let fat = FatImage::load(vol, io, nwvol)?;
    let owned = owned_chains(vol, nwvol);

    let (res, dir) = resolve_fat(&ck, &fat, &owned)?;
    let eff = Effective::new(&fat, &res.picks);

    // The directory table and the tree.
    dir_copy_length_finding(&mut ck, &dir);
    let interrupted = interrupted_entries(sys, vol, &dir.table.blocks, &dir.copy.blocks, dir.len());
    let mut table = Table::decide(
        &dir.table_raw,
        &dir.copy_raw,
        &eff,
        vol.block_size,
        &interrupted,
    );
    table.check_tree();

    // Every chain, walked and claimed.
    let mut owners = chain_owners(vol, &owned, &table, &eff);
    let (owner_of, shared) = claim_blocks(vol, &owners);

    // The entries the copies disagreed on, now that their owners are known.
    fat_copy_findings(&mut ck, &fat, &res.picks, &owner_of, &owners);

    let unresolved = cross_link_findings(&mut ck, &mut table, &mut owners, &shared);

    // Each chain on its own: its end, its sequence numbers, its length.
    for o in owners.iter_mut().filter(|o| !o.frozen && !o.dropped) {
        chain_findings(&mut ck, &mut table, &eff, o);
    }

    // Lost blocks: in use, owned by no chain.
    let claimed = claimed_blocks(&mut ck, &owners);
    lost_findings(&mut ck, &eff, &claimed, table.cautious || unresolved);

    directory_findings(&mut ck, &mut table);

    let repairs = ck.pending.iter().any(|p| matches!(p.fix, Fix::Repair(_)));
    let applied = if rep.opts.writes() && blocked.is_none() && repairs {
        rep.wrote = true;
        Some(apply(&ck, &table, &dir.table.blocks, &dir.copy.blocks).map_err(|e| e.to_string()))
    } else {
        None
    };
    rep.emit(ck.pending, blocked.as_deref(), applied.as_ref());
    Ok(())
}

/// Decides the FAT entries the copies disagree on, chain by chain: the
/// structures' chains first, then every file either copy of the directory
/// table names. Returns the decisions and the directory copies as read.
fn resolve_fat<'f>(
    ck: &VolCheck<'_>,
    fat: &'f FatImage,
    owned: &[Owned],
) -> Result<(Resolver<'f>, DirCopies)> {
    let vol = ck.vol;
    let mut res = Resolver::new(fat);
    for o in owned.iter().filter(|o| o.chained) {
        res.walk(o.start, o.blocks.map(u64::from));
    }
    let first = Effective::new(fat, &res.picks);
    let table = first.walk(vol.dir_block);
    let copy = first.walk(vol.dir_copy_block);
    let table_raw = ck.read_entries(&table.blocks)?;
    let copy_raw = ck.read_entries(&copy.blocks)?;
    let dir = DirCopies {
        table,
        copy,
        table_raw,
        copy_raw,
    };
    let bs = u64::from(vol.block_size);
    let mut cautious = false;
    for i in 0..dir.len() {
        let cands = [dir.table_raw.get(i), dir.copy_raw.get(i)];
        let mut readable = false;
        for r in cands.into_iter().flatten() {
            match decode(r) {
                Ok(e) => {
                    readable = true;
                    if let Some((start, len)) = file_chain(&e) {
                        let need = u64::from(len).div_ceil(bs);
                        res.walk(start, (need > 0).then_some(need));
                    }
                }
                Err(_) if r[0..4] == [0xFC, 0xFF, 0xFF, 0xFF] => readable = true,
                Err(_) => {}
            }
        }
        cautious |= !readable;
    }
    res.finish(cautious);
    Ok((res, dir))
}

/// A finding when the directory table and its copy have different lengths.
fn dir_copy_length_finding(ck: &mut VolCheck<'_>, dir: &DirCopies) {
    if dir.table.blocks.len() == dir.copy.blocks.len() {
        return;
    }
    let f = ck.finding(
        "dir-copy-length",
        "directory table copy",
        format!(
            "the directory table has {} blocks, its copy {}",
            dir.table.blocks.len(),
            dir.copy.blocks.len()
        ),
    );
    ck.push(
        f,
        Fix::Cannot("the entries only one copy holds have no second copy to compare".into()),
    );
}

/// Every chain with its owner: the volume's structures, each file entry
/// (live or deleted) and each candidate of an undecided entry.
fn chain_owners(vol: &Volume, owned: &[Owned], table: &Table, eff: &Effective) -> Vec<Owner> {
    let mut owners: Vec<Owner> = Vec::new();
    for o in owned {
        let walk = match (o.chained, o.blocks) {
            (false, Some(n)) => Walk {
                blocks: (o.start..o.start.saturating_add(n).min(vol.total_blocks)).collect(),
                stop: Stop::End,
                bad_seq: None,
            },
            _ => eff.walk(o.start),
        };
        owners.push(Owner {
            label: o.name.clone(),
            path: None,
            kind: Kind::Owned(o.blocks),
            kept: walk.blocks.clone(),
            walk,
            frozen: !o.chained,
            dropped: false,
        });
    }
    for (i, e) in table.dec.iter().enumerate() {
        if let Some(e) = e
            && let Some((start, _)) = file_chain(e)
        {
            let walk = eff.walk(start);
            let deleted = if table.deleted(i as u32) {
                " (deleted)"
            } else {
                ""
            };
            owners.push(Owner {
                label: format!("{}{deleted}", table.path(&vol.name, i as u32)),
                path: Some(table.path(&vol.name, i as u32)),
                kind: Kind::File(i as u32),
                kept: walk.blocks.clone(),
                walk,
                frozen: false,
                dropped: false,
            });
        }
    }
    for (i, e) in &table.alt {
        if let Some((start, _)) = file_chain(e) {
            let walk = eff.walk(start);
            owners.push(Owner {
                label: format!("{} (undecided entry {i})", vol.name),
                path: None,
                kind: Kind::Alt,
                kept: walk.blocks.clone(),
                walk,
                frozen: true,
                dropped: false,
            });
        }
    }
    owners
}

/// The first owner of each block (4 bytes a block), and every owner of
/// the few blocks more than one chain claims.
fn claim_blocks(vol: &Volume, owners: &[Owner]) -> (Vec<u32>, BTreeMap<u32, Vec<usize>>) {
    let mut owner_of = vec![NOBODY; vol.total_blocks as usize];
    let mut shared: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (oi, o) in owners.iter().enumerate() {
        for &b in &o.walk.blocks {
            let first = &mut owner_of[b as usize];
            if *first == NOBODY {
                *first = oi as u32;
            } else if *first as usize != oi {
                shared
                    .entry(b)
                    .or_insert_with(|| vec![*first as usize])
                    .push(oi);
            }
        }
    }
    (owner_of, shared)
}

/// Cross-links: two chains through one block. The older deleted file of
/// the two is dropped; when neither is deleted both are left alone.
/// Returns true when a cross-link stays unresolved.
fn cross_link_findings(
    ck: &mut VolCheck<'_>,
    table: &mut Table,
    owners: &mut [Owner],
    shared: &BTreeMap<u32, Vec<usize>>,
) -> bool {
    let mut pairs: BTreeMap<(usize, usize), Vec<u32>> = BTreeMap::new();
    for (&b, os) in shared {
        for x in 0..os.len() {
            for y in x + 1..os.len() {
                pairs.entry((os[x], os[y])).or_default().push(b);
            }
        }
    }
    let deleted_time = |t: &Table, o: &Owner| match o.kind {
        Kind::File(i) => match &t.dec[i as usize] {
            Some(DirEntry::File(f)) if f.deleted.0 != 0 => Some(f.deleted.0),
            _ => None,
        },
        _ => None,
    };
    let mut unresolved = false;
    for ((x, y), shared) in pairs {
        // An undecided entry's candidates only keep their blocks claimed.
        let alt = |o: &Owner| matches!(o.kind, Kind::Alt);
        if owners[x].dropped || owners[y].dropped || alt(&owners[x]) || alt(&owners[y]) {
            continue;
        }
        let mut f = ck.fat_finding(
            "cross-link",
            &shared,
            format!(
                "{} and {} share {} block(s)",
                owners[x].label,
                owners[y].label,
                shared.len()
            ),
        );
        f.path = owners[x].path.clone().or_else(|| owners[y].path.clone());
        let victim = match (
            deleted_time(table, &owners[x]),
            deleted_time(table, &owners[y]),
        ) {
            (Some(a), Some(b)) => Some(if a <= b { x } else { y }),
            (Some(_), None) => Some(x),
            (None, Some(_)) => Some(y),
            (None, None) => None,
        };
        match victim {
            Some(v) => {
                owners[v].dropped = true;
                if let Kind::File(i) = owners[v].kind {
                    table.drop_entry(i);
                }
                let fix = Fix::Repair(format!(
                    "dropped the deleted file {} (it can no longer be salvaged) and freed its blocks no other file uses",
                    owners[v].label
                ));
                ck.push(f, fix);
            }
            None => {
                unresolved = true;
                owners[x].frozen = true;
                owners[y].frozen = true;
                ck.push(
                    f,
                    Fix::Cannot(
                        "which of the two the shared blocks belong to cannot be told".into(),
                    ),
                );
            }
        }
    }
    unresolved
}

/// Which blocks a kept chain claims; the blocks of dropped chains that no
/// kept chain claims are planned free.
fn claimed_blocks(ck: &mut VolCheck<'_>, owners: &[Owner]) -> Vec<bool> {
    let mut claimed = vec![false; ck.vol.total_blocks as usize];
    for o in owners.iter().filter(|o| !o.dropped) {
        let blocks = if o.frozen { &o.walk.blocks } else { &o.kept };
        for &b in blocks {
            claimed[b as usize] = true;
        }
    }
    let dropped_blocks: Vec<u32> = owners
        .iter()
        .filter(|o| o.dropped)
        .flat_map(|o| o.walk.blocks.iter().copied())
        .filter(|&b| !claimed[b as usize])
        .collect();
    for b in dropped_blocks {
        ck.fat_writes.insert(b, FatEntry::Free);
    }
    claimed
}

/// The directory problems, with the paths as they are now.
fn directory_findings(ck: &mut VolCheck<'_>, table: &mut Table) {
    for p in std::mem::take(&mut table.problems) {
        let mut f = ck.finding(p.code, p.structure, p.problem);
        if table.item(p.idx).is_some() {
            f.path = Some(table.path(&ck.vol.name, p.idx));
        }
        let fix = match p.fix {
            Ok(s) => Fix::Repair(s),
            Err(s) => Fix::Cannot(s),
        };
        ck.push(f, fix);
    }
}

/// Writes the planned FAT entries (both copies) and directory entries
/// (table and copy).
fn apply(ck: &VolCheck<'_>, table: &Table, t_blocks: &[u32], c_blocks: &[u32]) -> Result<()> {
    let entries: Vec<(u32, FatEntry)> = ck.fat_writes.iter().map(|(&b, &e)| (b, e)).collect();
    Fat::write_entries(ck.vol, ck.io, &entries)?;
    let per = (ck.vol.block_size as usize / DIRENT_BYTES) as u32;
    for &idx in &table.changed {
        for chain in [t_blocks, c_blocks] {
            let Some(&b) = chain.get((idx / per) as usize) else {
                continue;
            };
            let (g, off) = ck.vol.block_location(b)?;
            let off = off + u64::from(idx % per) * DIRENT_BYTES as u64;
            ck.io
                .write(g, ck.vol.block_size, off, &table.raw[idx as usize])?;
        }
    }
    Ok(())
}

/// One finding per run of blocks whose FAT entries the copies disagree on,
/// by which copy won.
fn fat_copy_findings(
    ck: &mut VolCheck<'_>,
    fat: &FatImage,
    picks: &HashMap<u32, Pick>,
    owner_of: &[u32],
    owners: &[Owner],
) {
    let mut by: BTreeMap<u8, Vec<u32>> = BTreeMap::new();
    for (&b, &p) in picks {
        if !fat.differs(b) {
            continue;
        }
        let k = match p {
            Pick::Primary => 0,
            Pick::Copy => 1,
            Pick::Free => 2,
            Pick::Undecided => 3,
        };
        by.entry(k).or_default().push(b);
        let chosen = match p {
            Pick::Primary => fat.decode(&fat.prim[b as usize]).ok(),
            Pick::Copy => fat.decode(&fat.copy[b as usize]).ok(),
            Pick::Free => Some(FatEntry::Free),
            Pick::Undecided => None,
        };
        if let Some(e) = chosen {
            ck.fat_writes.insert(b, e);
        }
    }
    for (k, blocks) in by {
        for (first, count) in ranges(&blocks) {
            let (structure, problem, fix) = match k {
                0 => (
                    "FAT copy",
                    "the FAT copy's entries differ from the FAT's, which agree with the chains",
                    Fix::Repair("rewrote the copy's entries from the FAT".into()),
                ),
                1 => (
                    "FAT",
                    "the FAT's entries differ from the copy's, which agree with the chains",
                    Fix::Repair("rewrote the FAT's entries from the copy".into()),
                ),
                2 => (
                    "FAT",
                    "the FAT and its copy hold different used entries that belong to no chain",
                    Fix::Repair("freed the blocks in both copies".into()),
                ),
                _ => (
                    "FAT",
                    "the FAT and its copy differ, and neither entry is the one the chains need",
                    Fix::Cannot(
                        "no chain or file size tells which copy is right, or a damaged directory entry may own the blocks"
                            .into(),
                    ),
                ),
            };
            let mut f = ck.finding(
                "fat-copy-differs",
                structure,
                format!("blocks {first}..{}: {problem}", first + count - 1),
            );
            f.blocks = range(first, count);
            f.path = owners
                .get(owner_of[first as usize] as usize)
                .and_then(|o| o.path.clone());
            ck.push(f, fix);
        }
    }
}

/// One problem of a chain: its code, what is wrong, and the block it is at.
type ChainProblem = (&'static str, String, Option<u32>);

/// What one chain's check found and how it repairs the chain.
struct ChainPlan {
    /// The problems, in the order they are reported.
    found: Vec<ChainProblem>,
    /// The fix of each problem, by position.
    fixes: Vec<Fix>,
    /// The blocks the chain keeps, in order.
    kept: Vec<u32>,
    /// Blocks cut from the chain, to free.
    freed: Vec<u32>,
}

/// The findings of one chain that no other chain shares, and the FAT
/// entries and file size that repair it.
fn chain_findings(ck: &mut VolCheck<'_>, table: &mut Table, eff: &Effective, o: &mut Owner) {
    let w = o.walk.clone();
    let path = o.path.clone();
    let structure = match o.kind {
        Kind::File(_) => "FAT chain".to_string(),
        _ => o.label.clone(),
    };
    let Some(found) = walk_problems(&w, eff) else {
        // Reported as fat-copy-differs; nothing more is safe to do.
        o.frozen = true;
        return;
    };
    let kept = w.blocks.clone();
    let fixes = walk_fixes(o, &found, &kept);
    let mut plan = ChainPlan {
        found,
        fixes,
        kept,
        freed: Vec::new(),
    };
    match o.kind {
        Kind::Owned(Some(n)) => fragment_findings(ck, o, n, &structure, &mut plan),
        Kind::File(idx) => {
            let Some(Some(DirEntry::File(fe))) = table.dec.get(idx as usize).cloned() else {
                return;
            };
            length_findings(ck, table, idx, &fe, &mut plan);
        }
        Kind::Owned(None) | Kind::Alt => {}
    }
    let ChainPlan {
        found,
        fixes,
        kept,
        freed,
    } = plan;
    for ((code, problem, at), fix) in found.into_iter().zip(fixes) {
        let mut f = ck.finding(code, structure.clone(), problem);
        f.path = path.clone();
        if let Some(b) = at {
            f.blocks = range(b, 1);
        }
        ck.push(f, fix);
    }
    plan_chain_entries(ck, eff, &kept, freed);
    o.kept = kept;
}

/// The problems a walk stopped at or met on its way: where it ended and a
/// wrong sequence number. None when it stopped at an undecided entry.
fn walk_problems(w: &Walk, eff: &Effective) -> Option<Vec<ChainProblem>> {
    let mut found: Vec<ChainProblem> = Vec::new();
    let last = w.blocks.last().copied();
    match &w.stop {
        Stop::End => {}
        Stop::Undecided(_) => return None,
        Stop::OutOfRange(s) => found.push((
            "chain-out-of-range",
            format!("first block {s} is past the volume's {} blocks", eff.total),
            None,
        )),
        Stop::Loop(b) => found.push((
            "chain-loop",
            format!(
                "block {} points back at block {b} of the same chain",
                last.unwrap_or(*b)
            ),
            last,
        )),
        Stop::Free(b) => found.push((
            "chain-free-block",
            match last {
                Some(l) => format!("block {l} points at free block {b}"),
                None => format!("the first block {b} is free"),
            },
            Some(*b),
        )),
        Stop::Bad(b, why) => found.push((
            "fat-entry-bad",
            format!("the FAT entry of block {b} is corrupt: {why}"),
            Some(*b),
        )),
    }
    if let Some(p) = w.bad_seq {
        let b = w.blocks[p];
        let seq = match &eff.entry(b) {
            Ok(FatEntry::Used { seq, .. }) => *seq,
            _ => 0,
        };
        found.push((
            "chain-sequence",
            format!("block {b} has sequence number {seq}, expected {p}"),
            Some(b),
        ));
    }
    Some(found)
}

/// The fix of each problem of the walk.
fn walk_fixes(o: &Owner, found: &[ChainProblem], kept: &[u32]) -> Vec<Fix> {
    let structure_lost = !matches!(o.kind, Kind::File(_)) && kept.is_empty();
    found
        .iter()
        .map(|(code, _, _)| {
            if structure_lost {
                return Fix::Cannot(format!(
                    "the {}'s first block is lost; nwvol does not rebuild it",
                    o.label
                ));
            }
            Fix::Repair(match *code {
                "chain-out-of-range" => "the file is made empty".into(),
                "chain-sequence" => "renumbered the chain's blocks".into(),
                _ => match kept.last() {
                    Some(l) => format!("ended the chain at block {l}"),
                    None => "the file is made empty".into(),
                },
            })
        })
        .collect()
}

/// A FAT fragment of `n` blocks: its chain is fixed by the layout, so any
/// problem is one finding that rewrites the chain as the layout places it.
fn fragment_findings(
    ck: &mut VolCheck<'_>,
    o: &Owner,
    n: u32,
    structure: &str,
    plan: &mut ChainPlan,
) {
    let ChainPlan {
        found, kept, freed, ..
    } = plan;
    let start = o.walk.blocks.first().copied().unwrap_or(0);
    let expect: Vec<u32> = match o.walk.stop {
        Stop::OutOfRange(_) => Vec::new(),
        _ => (start..start + n).collect(),
    };
    if found.is_empty() && *kept == expect {
        return;
    }
    let mut f = ck.finding(
        "fat-chain-bad",
        structure,
        match found.first() {
            Some((_, p, _)) => p.clone(),
            None => format!("its chain has {} blocks, the layout {n}", kept.len()),
        },
    );
    f.blocks = range(start, n);
    ck.push(
        f,
        Fix::Repair("rewrote the fragment's chain as the layout places it".into()),
    );
    found.clear();
    *freed = kept
        .iter()
        .copied()
        .filter(|b| !expect.contains(b))
        .collect();
    *kept = expect;
}

/// A file's chain against its size: a short chain truncates the file, a
/// long one is cut at the size.
fn length_findings(
    ck: &VolCheck<'_>,
    table: &mut Table,
    idx: u32,
    fe: &crate::layout::dirent::FileEntry,
    plan: &mut ChainPlan,
) {
    let ChainPlan {
        found,
        fixes,
        kept,
        freed,
    } = plan;
    let need = u64::from(fe.length).div_ceil(u64::from(ck.vol.block_size)) as usize;
    if kept.len() < need {
        let new_len = (kept.len() as u64 * u64::from(ck.vol.block_size)) as u32;
        found.push((
            "chain-short",
            format!(
                "the chain has {} block(s), the size ({} bytes) needs {need}",
                kept.len(),
                fe.length
            ),
            kept.first().copied(),
        ));
        fixes.push(Fix::Repair(format!(
            "truncated the file to {new_len} bytes"
        )));
        let first = kept.first().copied().unwrap_or(NO_BLOCK);
        table.set_file_chain(idx, new_len, first);
    } else if kept.len() > need {
        found.push((
            "chain-long",
            format!(
                "the chain has {} block(s), the size ({} bytes) needs {need}",
                kept.len(),
                fe.length
            ),
            kept.get(need).copied(),
        ));
        fixes.push(Fix::Repair(format!(
            "freed the {} block(s) past the file's size",
            kept.len() - need
        )));
        freed.extend(kept.drain(need..));
        if need == 0 {
            table.set_file_chain(idx, fe.length, NO_BLOCK);
        }
    } else if kept.is_empty() && fe.first_block != NO_BLOCK {
        table.set_file_chain(idx, 0, NO_BLOCK);
    }
}

/// Plans the FAT entries the kept chain needs, where they differ from the
/// FAT, and frees the blocks cut from it.
fn plan_chain_entries(ck: &mut VolCheck<'_>, eff: &Effective, kept: &[u32], freed: Vec<u32>) {
    for (i, &b) in kept.iter().enumerate() {
        let want = FatEntry::Used {
            seq: i as u32,
            next: kept.get(i + 1).copied(),
        };
        let have = ck
            .fat_writes
            .get(&b)
            .map(|e| Ok(*e))
            .unwrap_or_else(|| eff.entry(b));
        if have != Ok(want) {
            ck.fat_writes.insert(b, want);
        }
    }
    for b in freed {
        ck.fat_writes.insert(b, FatEntry::Free);
    }
}

/// One finding per lost chain: blocks in use that no chain owns.
fn lost_findings(ck: &mut VolCheck<'_>, eff: &Effective, claimed: &[bool], cautious: bool) {
    let state = |ck: &VolCheck<'_>, b: u32| {
        ck.fat_writes
            .get(&b)
            .map(|e| Ok(*e))
            .unwrap_or_else(|| eff.entry(b))
    };
    let lost: Vec<u32> = (0..eff.total)
        .filter(|&b| !claimed[b as usize] && !eff.undecided.contains(&b) && is_used(&state(ck, b)))
        .collect();
    if lost.is_empty() {
        return;
    }
    let is_lost: std::collections::HashSet<u32> = lost.iter().copied().collect();
    let next = |b: u32| match state(ck, b) {
        Ok(FatEntry::Used { next: Some(n), .. }) if is_lost.contains(&n) => Some(n),
        _ => None,
    };
    let targets: std::collections::HashSet<u32> = lost.iter().filter_map(|&b| next(b)).collect();
    let mut done: std::collections::HashSet<u32> = std::collections::HashSet::new();
    let mut chains: Vec<Vec<u32>> = Vec::new();
    let heads: Vec<u32> = lost
        .iter()
        .copied()
        .filter(|b| !targets.contains(b))
        .chain(lost.iter().copied())
        .collect();
    for h in heads {
        if done.contains(&h) {
            continue;
        }
        let mut c = Vec::new();
        let mut b = Some(h);
        while let Some(x) = b {
            if !done.insert(x) {
                break;
            }
            c.push(x);
            b = next(x);
        }
        chains.push(c);
    }
    for c in chains {
        let f = ck.fat_finding(
            "lost-chain",
            &c,
            format!(
                "{} block(s) from block {} are in use but belong to no file or structure",
                c.len(),
                c[0]
            ),
        );
        let fix = if cautious {
            Fix::Cannot(
                "a damaged or undecided directory entry, or a cross-linked file, may own these blocks"
                    .into(),
            )
        } else {
            for &b in &c {
                ck.fat_writes.insert(b, FatEntry::Free);
            }
            Fix::Repair(format!("freed {} block(s) in both FAT copies", c.len()))
        };
        ck.push(f, fix);
    }
}
