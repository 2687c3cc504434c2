//! The directory table of one volume as the structure check sees it: the
//! table and its copy compared entry by entry (the entry that decodes and
//! agrees with the FAT and the tree wins), then the tree: parents that
//! exist and are directories, no directory cycles or repeated IDs, no two
//! live entries with one name in a directory, long-name records that
//! belong to their entries.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::layout::LayoutError;
use crate::layout::dirent::{DIRENT_BYTES, DirEntry, NO_BLOCK, PARENT_RESERVED_FIRST, ROOT_ID};
use crate::layout::fat::FatEntry;
use crate::layout::longname::{LongNameRecord, PARENT_LONG_NAME};
use crate::volume::names::{key, make_alias};

use super::fat::{Effective, Stop};

/// Raw 128-byte directory entry.
pub(super) type RawEntry = [u8; DIRENT_BYTES];

/// A finding about the table, before it becomes a [`super::Finding`].
#[derive(Debug, Clone)]
pub(super) struct Problem {
    /// Finding code.
    pub code: &'static str,
    /// Structure named.
    pub structure: &'static str,
    /// Entry concerned.
    pub idx: u32,
    /// What is wrong.
    pub problem: String,
    /// Ok(what repair does) or Err(why it cannot).
    pub fix: std::result::Result<String, String>,
}

/// The decided directory table.
#[derive(Debug, Default)]
pub(super) struct Table {
    /// Each entry's bytes as they should be (the winning copy's, then
    /// repaired).
    pub raw: Vec<RawEntry>,
    /// Each entry decoded; None when it does not decode.
    pub dec: Vec<Option<DirEntry>>,
    /// Candidates of undecided entries that lost only for want of a
    /// decision: their chains are kept as if owned.
    pub alt: Vec<(u32, DirEntry)>,
    /// A file or directory entry is damaged or undecided: blocks owned by
    /// no entry may be its, so they are not reclaimed.
    pub cautious: bool,
    /// Long names by entry index.
    pub long: HashMap<u32, String>,
    /// Long-name record slots by entry index.
    pub long_slots: HashMap<u32, Vec<u32>>,
    /// Directory ID to entry index.
    pub dirs: HashMap<u32, u32>,
    /// Entries changed by repair (to be written to both copies).
    pub changed: BTreeSet<u32>,
    /// Problems found.
    pub problems: Vec<Problem>,
    /// Name keys of the root's live entries, once an entry is to be moved
    /// there.
    root_keys: Option<HashSet<String>>,
}

const FREE_RAW: RawEntry = {
    let mut b = [0u8; DIRENT_BYTES];
    b[0] = 0xFF;
    b[1] = 0xFF;
    b[2] = 0xFF;
    b[3] = 0xFF;
    b
};

fn kind(raw: &RawEntry) -> u32 {
    u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]])
}

/// Decodes an entry: Ok(entry) or the reason it does not decode.
pub(super) fn decode(raw: &RawEntry) -> std::result::Result<DirEntry, LayoutError> {
    DirEntry::decode(raw)
}

/// The file or directory entry's DOS name and parent.
fn name_parent(e: &DirEntry) -> Option<(&str, u32)> {
    match e {
        DirEntry::File(f) => Some((&f.name, f.parent)),
        DirEntry::Directory(d) => Some((&d.name, d.parent)),
        _ => None,
    }
}

/// True when a file entry agrees with the FAT: an empty file without a
/// chain, or a chain that starts at sequence 0, ends cleanly, and is as
/// long as the file's size needs.
pub(super) fn chain_agrees(eff: &Effective, first: u32, length: u32, block_size: u32) -> bool {
    let need = u64::from(length).div_ceil(u64::from(block_size));
    if first == NO_BLOCK {
        return length == 0;
    }
    if first >= eff.total {
        return false;
    }
    let w = eff.walk(first);
    w.stop == Stop::End && w.bad_seq.is_none() && w.blocks.len() as u64 == need
}

impl Table {
    /// Decides the table from its two copies. `eff` is the decided FAT.
    /// `interrupted[i]` says a write-intent bit covers entry `i` (in the
    /// table or its copy): a write was cut short there, so two copies that
    /// are equally consistent are both states the volume was in, and the
    /// table's is taken.
    pub fn decide(
        table: &[RawEntry],
        copy: &[RawEntry],
        eff: &Effective,
        block_size: u32,
        interrupted: &[bool],
    ) -> Table {
        let mut t = Table::default();
        let n = table.len().max(copy.len());
        // Directory IDs any candidate holds: a parent is plausible when one
        // of them is it.
        let mut ids: HashSet<u32> = HashSet::from([ROOT_ID]);
        for r in table.iter().chain(copy) {
            if let Ok(DirEntry::Directory(d)) = decode(r) {
                ids.insert(d.id);
            }
        }
        let consistent = |e: &DirEntry, other: Option<&DirEntry>| -> bool {
            match e {
                DirEntry::File(f) => {
                    ids.contains(&f.parent)
                        && chain_agrees(eff, f.first_block, f.length, block_size)
                }
                DirEntry::Directory(d) => ids.contains(&d.parent) && d.id != ROOT_ID,
                DirEntry::LongName(r) => {
                    let named = |raw: Option<&RawEntry>| {
                        raw.and_then(|x| decode(x).ok())
                            .is_some_and(|x| name_parent(&x).is_some_and(|(n, _)| n == r.alias))
                    };
                    named(table.get(r.entry as usize)) || named(copy.get(r.entry as usize))
                }
                // Free is right only when what the other copy holds is not
                // a consistent entry (else it would be lost).
                DirEntry::Free => other.is_none(),
                _ => true,
            }
        };
        for i in 0..n {
            let idx = i as u32;
            let (a, b) = (table.get(i), copy.get(i));
            let (raw, dec) = match (a, b) {
                (Some(a), Some(b)) if a == b => (*a, decode(a)),
                (Some(x), None) | (None, Some(x)) => (*x, decode(x)),
                (Some(a), Some(b)) => {
                    let (da, db) = (decode(a), decode(b));
                    let score =
                        |d: &std::result::Result<DirEntry, LayoutError>,
                         o: &std::result::Result<DirEntry, LayoutError>| {
                            match d {
                                Err(_) => 0,
                                // Free against an entry that does not
                                // decode: the free one, since the copies are
                                // written together and a torn write cannot
                                // cut an entry; unless a write was cut short
                                // there (then the one was never written).
                                Ok(DirEntry::Free) if o.is_err() => {
                                    u8::from(!interrupted.get(i).copied().unwrap_or(false))
                                }
                                Ok(e) => {
                                    let other = o.as_ref().ok().filter(|x| consistent(x, None));
                                    1 + u8::from(consistent(e, other))
                                }
                            }
                        };
                    let (sa, sb) = (score(&da, &db), score(&db, &da));
                    let what = |d: &std::result::Result<DirEntry, LayoutError>| match d {
                        Err(e) => format!("does not decode ({e})"),
                        Ok(DirEntry::Free) => "is free".to_string(),
                        Ok(e) if consistent(e, None) => {
                            "agrees with the FAT and the tree".to_string()
                        }
                        Ok(_) => "does not agree with the FAT or the tree".to_string(),
                    };
                    let problem = format!(
                        "entry {idx} differs: in the table it {}, in the copy it {}",
                        what(&da),
                        what(&db)
                    );
                    // Which side wins: the more consistent one; when they
                    // are even and a write was cut short there, the table.
                    let (keep_table, problem) = if sa != sb {
                        (Some(sa > sb), problem)
                    } else if interrupted.get(i).copied().unwrap_or(false) {
                        let cut = "a write was cut short there (write-intent bit set)";
                        (Some(true), format!("{problem}; {cut}"))
                    } else {
                        (None, problem)
                    };
                    if let Some(keep_table) = keep_table {
                        let (structure, from, to) = if keep_table {
                            ("directory table copy", "table", "copy")
                        } else {
                            ("directory table", "copy", "table")
                        };
                        t.changed.insert(idx);
                        t.problems.push(Problem {
                            code: "dir-copy-differs",
                            structure,
                            idx,
                            problem,
                            fix: Ok(format!("rewrote entry {idx} of the {to} from the {from}")),
                        });
                        if keep_table { (*a, da) } else { (*b, db) }
                    } else {
                        t.problems.push(Problem {
                            code: "dir-copy-differs",
                            structure: "directory table",
                            idx,
                            problem,
                            fix: Err(
                                "neither copy of the entry is more consistent than the other; which is right cannot be told"
                                    .into(),
                            ),
                        });
                        for d in [&da, &db] {
                            if let Ok(e) = d
                                && name_parent(e).is_some()
                            {
                                t.alt.push((idx, e.clone()));
                                t.cautious = true;
                            }
                        }
                        (*a, da)
                    }
                }
                (None, None) => (FREE_RAW, Ok(DirEntry::Free)),
            };
            let dec = match dec {
                Ok(e) => Some(e),
                Err(e) => {
                    if kind(&raw) == PARENT_LONG_NAME {
                        t.changed.insert(idx);
                        t.problems.push(Problem {
                            code: "dir-entry-damaged",
                            structure: "directory table",
                            idx,
                            problem: format!("long-name record {idx} does not decode: {e}"),
                            fix: Ok("freed the record; its entry keeps its DOS name".into()),
                        });
                        t.raw.push(FREE_RAW);
                        t.dec.push(Some(DirEntry::Free));
                        continue;
                    }
                    if !t.problems.iter().any(|p| p.idx == idx) {
                        t.problems.push(Problem {
                            code: "dir-entry-damaged",
                            structure: "directory table",
                            idx,
                            problem: format!("entry {idx} does not decode in either copy: {e}"),
                            fix: Err("no copy of the entry is readable".into()),
                        });
                    }
                    t.cautious = true;
                    None
                }
            };
            t.raw.push(raw);
            t.dec.push(dec);
        }
        if let Some(Some(e)) = t.dec.first()
            && !matches!(e, DirEntry::VolumeInfo(_))
        {
            t.problems.push(Problem {
                code: "dir-entry-damaged",
                structure: "directory table",
                idx: 0,
                problem: "entry 0 is not the volume information entry".into(),
                fix: Err("the root directory's entry is missing; nwvol does not rebuild it".into()),
            });
        }
        t
    }

    /// Entry `idx` as a file or directory: (DOS name, parent).
    pub fn item(&self, idx: u32) -> Option<(&str, u32)> {
        self.dec.get(idx as usize)?.as_ref().and_then(name_parent)
    }

    /// True for a deleted (salvageable) file.
    pub fn deleted(&self, idx: u32) -> bool {
        matches!(self.dec.get(idx as usize), Some(Some(DirEntry::File(f))) if f.deleted.0 != 0)
    }

    /// The name users see.
    pub fn name(&self, idx: u32) -> String {
        self.long
            .get(&idx)
            .cloned()
            .or_else(|| self.item(idx).map(|(n, _)| n.to_string()))
            .unwrap_or_else(|| format!("entry {idx}"))
    }

    /// The path of an entry, `VOL:/A/B`; `?` stands for a missing parent.
    pub fn path(&self, vol: &str, idx: u32) -> String {
        let mut parts = vec![self.name(idx)];
        let mut cur = idx;
        for _ in 0..64 {
            let Some((_, parent)) = self.item(cur) else {
                break;
            };
            if parent == ROOT_ID {
                parts.reverse();
                return format!("{vol}:/{}", parts.join("/"));
            }
            match self.dirs.get(&parent) {
                Some(&p) => {
                    parts.push(self.name(p));
                    cur = p;
                }
                None => break,
            }
        }
        parts.push("?".into());
        parts.reverse();
        format!("{vol}:/{}", parts.join("/"))
    }

    fn set_free(&mut self, idx: u32) {
        self.raw[idx as usize] = FREE_RAW;
        self.dec[idx as usize] = Some(DirEntry::Free);
        self.changed.insert(idx);
    }

    /// Frees an entry and its long-name records (dropping a deleted file).
    pub fn drop_entry(&mut self, idx: u32) {
        for s in self.long_slots.remove(&idx).unwrap_or_default() {
            self.set_free(s);
        }
        self.long.remove(&idx);
        self.set_free(idx);
    }

    /// Sets a file entry's length and first block.
    pub fn set_file_chain(&mut self, idx: u32, length: u32, first: u32) {
        let r = &mut self.raw[idx as usize];
        r[48..52].copy_from_slice(&length.to_le_bytes());
        r[52..56].copy_from_slice(&first.to_le_bytes());
        if let Some(Some(DirEntry::File(f))) = self.dec.get_mut(idx as usize) {
            f.length = length;
            f.first_block = first;
        }
        self.changed.insert(idx);
    }

    fn set_parent(&mut self, idx: u32, parent: u32) {
        self.raw[idx as usize][0..4].copy_from_slice(&parent.to_le_bytes());
        match self.dec.get_mut(idx as usize) {
            Some(Some(DirEntry::File(f))) => f.parent = parent,
            Some(Some(DirEntry::Directory(d))) => d.parent = parent,
            _ => {}
        }
        self.changed.insert(idx);
    }

    fn set_name(&mut self, idx: u32, name: &str) {
        let r = &mut self.raw[idx as usize];
        r[11] = name.len() as u8;
        r[12..24].fill(0);
        r[12..12 + name.len()].copy_from_slice(name.as_bytes());
        match self.dec.get_mut(idx as usize) {
            Some(Some(DirEntry::File(f))) => f.name = name.to_string(),
            Some(Some(DirEntry::Directory(d))) => d.name = name.to_string(),
            _ => {}
        }
        self.changed.insert(idx);
    }

    /// Checks the tree: long-name records, directory IDs, parents,
    /// cycles, duplicate names. Repairs are planned into the table.
    pub fn check_tree(&mut self) {
        self.check_long_names();
        self.check_dir_ids();
        self.check_parents();
        self.check_names();
    }

    fn check_long_names(&mut self) {
        let mut by_target: BTreeMap<u32, Vec<(u32, LongNameRecord)>> = BTreeMap::new();
        for (i, d) in self.dec.iter().enumerate() {
            if let Some(DirEntry::LongName(r)) = d {
                by_target
                    .entry(r.entry)
                    .or_default()
                    .push((i as u32, r.clone()));
            }
        }
        for (target, recs) in by_target {
            let alias = self.item(target).map(|(n, _)| n.to_string());
            // Records carrying another DOS name than their entry's are
            // stale on their own (a crash between the steps of a rename
            // leaves the old name's or the new name's); the others make
            // the entry's name.
            let (mine, other): (Vec<_>, Vec<_>) = recs
                .into_iter()
                .partition(|(_, r)| alias.as_deref() == Some(r.alias.as_str()));
            if !other.is_empty() {
                let slots: Vec<u32> = other.iter().map(|(s, _)| *s).collect();
                let problem = match &alias {
                    None => format!(
                        "long-name records {slots:?} name entry {target}, which is not a file or directory"
                    ),
                    Some(a) => format!(
                        "long-name records {slots:?} carry another DOS name than entry {target} ({a})"
                    ),
                };
                self.free_records("long-name-stale", &slots, problem);
            }
            if mine.is_empty() {
                continue;
            }
            let (slots, recs): (Vec<u32>, Vec<LongNameRecord>) = mine.into_iter().unzip();
            match LongNameRecord::join(&recs) {
                Ok(n) => {
                    self.long.insert(target, n);
                    self.long_slots.insert(target, slots);
                }
                Err(e) => self.free_records(
                    "long-name-bad",
                    &slots,
                    format!(
                        "long-name records {slots:?} of entry {target} do not make a name: {e}"
                    ),
                ),
            }
        }
    }

    /// Frees long-name records that make no name (`problem` says why).
    fn free_records(&mut self, code: &'static str, slots: &[u32], problem: String) {
        for &s in slots {
            self.set_free(s);
        }
        self.problems.push(Problem {
            code,
            structure: "directory table",
            idx: slots[0],
            problem,
            fix: Ok("freed the records; the entry keeps its DOS name".into()),
        });
    }

    fn check_dir_ids(&mut self) {
        let mut dirs: HashMap<u32, u32> = HashMap::new();
        for (i, d) in self.dec.iter().enumerate() {
            if let Some(DirEntry::Directory(d)) = d {
                let idx = i as u32;
                if d.id == ROOT_ID || d.id >= PARENT_RESERVED_FIRST {
                    self.problems.push(Problem {
                        code: "dir-id-bad",
                        structure: "directory table",
                        idx,
                        problem: format!("directory entry {idx} has the reserved ID {:#x}", d.id),
                        fix: Err("its children cannot be told from the root's".into()),
                    });
                } else if let Some(&other) = dirs.get(&d.id) {
                    self.problems.push(Problem {
                        code: "dir-id-bad",
                        structure: "directory table",
                        idx,
                        problem: format!(
                            "directory entries {other} and {idx} have the same ID {}",
                            d.id
                        ),
                        fix: Err("which directory the children belong to cannot be told".into()),
                    });
                } else {
                    dirs.insert(d.id, idx);
                }
            }
        }
        self.dirs = dirs;
    }

    /// Moves an entry into the root when no live entry there has its
    /// names; Err(why) otherwise.
    fn move_to_root(&mut self, idx: u32) -> std::result::Result<String, String> {
        let mine = self.keys(idx);
        if self.root_keys.is_none() {
            let keys = (1..self.dec.len() as u32)
                .filter(|&i| self.item(i).is_some_and(|(_, p)| p == ROOT_ID) && !self.deleted(i))
                .flat_map(|i| self.keys(i))
                .collect();
            self.root_keys = Some(keys);
        }
        // A deleted file needs no free name (salvage picks one).
        if !self.deleted(idx) {
            let name = self.name(idx);
            let root = self.root_keys.get_or_insert_with(HashSet::new);
            if mine.iter().any(|k| root.contains(k)) {
                return Err(format!(
                    "the root directory already has an entry named {name}"
                ));
            }
            root.extend(mine);
        }
        self.set_parent(idx, ROOT_ID);
        Ok(format!("moved {} into the root directory", self.name(idx)))
    }

    fn keys(&self, idx: u32) -> Vec<String> {
        let mut k = Vec::new();
        if let Some((n, _)) = self.item(idx) {
            k.push(key(n));
        }
        if let Some(l) = self.long.get(&idx) {
            k.push(key(l));
        }
        k
    }

    fn check_parents(&mut self) {
        let n = self.dec.len() as u32;
        for idx in 1..n {
            let Some((_, parent)) = self.item(idx) else {
                continue;
            };
            if parent == ROOT_ID || self.dirs.contains_key(&parent) {
                continue;
            }
            let what = match self.item(parent) {
                Some(_) if !matches!(self.dec[parent as usize], Some(DirEntry::Directory(_))) => {
                    format!("its parent {parent} is a file")
                }
                _ => format!("its parent directory {parent} does not exist"),
            };
            let fix = self.move_to_root(idx);
            self.problems.push(Problem {
                code: "orphan-entry",
                structure: "directory table",
                idx,
                problem: format!("entry {idx} ({}): {what}", self.name(idx)),
                fix,
            });
        }
        // Directories whose parents lead back to themselves never reach
        // the root.
        let dir_entries: Vec<u32> = self.dirs.values().copied().collect();
        let mut reaches: HashSet<u32> = HashSet::new();
        for start in dir_entries {
            let mut path = Vec::new();
            let mut cur = start;
            let cycle = loop {
                if reaches.contains(&cur) {
                    break false;
                }
                if path.contains(&cur) {
                    break true;
                }
                path.push(cur);
                match self.item(cur) {
                    Some((_, ROOT_ID)) | None => break false,
                    Some((_, p)) => match self.dirs.get(&p) {
                        Some(&pi) => cur = pi,
                        None => break false,
                    },
                }
            };
            if cycle {
                let first = *path.iter().min().unwrap_or(&start);
                let fix = self.move_to_root(first);
                self.problems.push(Problem {
                    code: "dir-cycle",
                    structure: "directory table",
                    idx: first,
                    problem: format!(
                        "directories {path:?} are each other's parents and not reachable from the root"
                    ),
                    fix,
                });
            }
            reaches.extend(path);
        }
    }

    fn check_names(&mut self) {
        // Every name key in use per directory (live and deleted, as alias
        // allocation counts them), and the first live holder of each.
        let n = self.dec.len() as u32;
        let mut taken: HashMap<u32, HashSet<String>> = HashMap::new();
        for idx in 1..n {
            if let Some((_, p)) = self.item(idx) {
                taken.entry(p).or_default().extend(self.keys(idx));
            }
        }
        let mut holder: HashMap<(u32, String), u32> = HashMap::new();
        for idx in 1..n {
            let Some((_, parent)) = self.item(idx) else {
                continue;
            };
            if self.deleted(idx) {
                continue;
            }
            let clash = self
                .keys(idx)
                .into_iter()
                .find_map(|k| holder.get(&(parent, k)).copied());
            let Some(other) = clash else {
                for k in self.keys(idx) {
                    holder.insert((parent, k), idx);
                }
                continue;
            };
            let old = self.name(idx);
            let dir = taken.entry(parent).or_default();
            let fix = match make_alias(&old, |a| dir.contains(&key(a))) {
                Some(alias) => {
                    dir.insert(key(&alias));
                    for s in self.long_slots.remove(&idx).unwrap_or_default() {
                        self.set_free(s);
                    }
                    self.long.remove(&idx);
                    self.set_name(idx, &alias);
                    for k in self.keys(idx) {
                        holder.insert((parent, k), idx);
                    }
                    Ok(format!("renamed entry {idx} to {alias}"))
                }
                None => Err("no free name is left in the directory".into()),
            };
            self.problems.push(Problem {
                code: "duplicate-name",
                structure: "directory table",
                idx,
                problem: format!("entries {other} and {idx} are both named {old} in one directory"),
                fix,
            });
        }
    }
}

/// True when an entry is a FAT chain owner: a file with a first block.
pub(super) fn file_chain(e: &DirEntry) -> Option<(u32, u32)> {
    match e {
        DirEntry::File(f) if f.first_block != NO_BLOCK => Some((f.first_block, f.length)),
        _ => None,
    }
}

/// True when `e` is used in a chain (not free).
pub(super) fn is_used(e: &std::result::Result<FatEntry, String>) -> bool {
    !matches!(e, Ok(FatEntry::Free))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::fat::FatImage;
    use crate::layout::dirent::{DirectoryEntry, FileEntry, VolumeInfo};
    use crate::layout::time::DosTime;

    fn dir(parent: u32, name: &str, id: u32) -> RawEntry {
        DirEntry::Directory(DirectoryEntry::blank(parent, name, id)).encode()
    }

    fn file(parent: u32, name: &str, modified: u32) -> RawEntry {
        DirEntry::File(FileEntry {
            modified: DosTime(modified),
            ..FileEntry::blank(parent, name)
        })
        .encode()
    }

    fn decided(t: &[RawEntry], c: &[RawEntry]) -> Table {
        let fat = FatImage {
            total: 64,
            prim: vec![[0; 8]; 64],
            copy: vec![[0; 8]; 64],
        };
        let eff = Effective::new(&fat, &Default::default());
        let mut table = Table::decide(t, c, &eff, 4096, &[]);
        table.check_tree();
        table
    }

    fn codes(t: &Table) -> Vec<&'static str> {
        t.problems.iter().map(|p| p.code).collect()
    }

    #[test]
    fn a_cycle_is_broken_at_its_lowest_entry() {
        let info = DirEntry::VolumeInfo(VolumeInfo::default()).encode();
        let e = vec![info, dir(2, "A", 1), dir(1, "B", 2), file(2, "F.TXT", 0)];
        let mut t = decided(&e, &e);
        assert_eq!(codes(&t), vec!["dir-cycle"]);
        assert_eq!(t.item(1), Some(("A", ROOT_ID)));
        assert_eq!(t.path("SYS", 3), "SYS:/A/B/F.TXT");
        assert_eq!(t.changed.iter().copied().collect::<Vec<_>>(), vec![1]);
        t.problems.clear();
        t.check_tree();
        assert!(t.problems.is_empty());
    }

    #[test]
    fn stale_long_names_are_freed_and_two_good_copies_are_undecided() {
        let info = DirEntry::VolumeInfo(VolumeInfo::default()).encode();
        let rec = LongNameRecord::split(1, "OLD~1.TXT", "old name.txt").unwrap()[0].encode();
        let t = vec![info, file(0, "NEW.TXT", 1), rec];
        let mut c = t.clone();
        c[1] = file(0, "NEW.TXT", 2);
        let table = decided(&t, &c);
        assert_eq!(codes(&table), vec!["dir-copy-differs", "long-name-stale"]);
        assert!(table.problems[0].fix.is_err(), "both copies are consistent");
        assert!(table.cautious);
        assert!(table.changed.contains(&2), "the stale record is freed");
        assert!(!table.changed.contains(&1));
    }

    #[test]
    fn a_renames_old_records_are_freed_and_the_new_name_kept() {
        // A crash during a rename: the entry has the new alias, the old
        // name's records are not yet freed.
        let info = DirEntry::VolumeInfo(VolumeInfo::default()).encode();
        let old = LongNameRecord::split(1, "OLD~1.TXT", "old name.txt").unwrap()[0].encode();
        let new = LongNameRecord::split(1, "NEW~1.TXT", "new name.txt").unwrap()[0].encode();
        let t = vec![info, file(0, "NEW~1.TXT", 1), old, new];
        let table = decided(&t, &t);
        assert_eq!(codes(&table), vec!["long-name-stale"]);
        assert!(table.changed.contains(&2), "the old record is freed");
        assert!(!table.changed.contains(&3), "the new record is kept");
        assert_eq!(table.long.get(&1).map(String::as_str), Some("new name.txt"));
    }
}
