//! Directory operations on an open volume: making directories, deleting
//! (salvageably, as NetWare did) and purging, renaming and moving,
//! salvaging; and the allocation helpers that purge deleted files, oldest
//! first, when space runs out.

use crate::error::{Error, Result};
use crate::layout::dirent::{ATTR_DIRECTORY, DirEntry, DirectoryEntry, NO_BLOCK, ROOT_ID, Trustee};
use crate::layout::longname::LongNameRecord;
use crate::layout::time::DosTime;

use super::OpenVolume;
use super::commit::NewEntry;
use super::fat::{Fat, FatReader};
use super::file::FileTimes;
use super::index::{Item, Node};
use super::names::{check_name, dos_form, make_alias, needs_long_name};
use super::open::{Target, deleted_time};
use super::path::NwPath;

/// Rights mask a new directory passes down: every right (S M F A E C W R).
const ALL_RIGHTS: u16 = 0x01FB;

/// What a removal or purge did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Removed {
    /// Files marked deleted (salvageable).
    pub deleted: u64,
    /// Files purged (blocks freed).
    pub purged: u64,
    /// Directories removed.
    pub dirs: u64,
    /// Blocks freed.
    pub blocks: u64,
}

/// How many long-name records entry `idx` named `dos` needs for `long`
/// (none without a long name); a long name they cannot hold is a bad
/// `name`.
fn long_records(idx: u32, dos: &str, long: Option<&str>, name: &str) -> Result<usize> {
    let Some(l) = long else {
        return Ok(0);
    };
    let records = LongNameRecord::split(idx, dos, l).map_err(|e| Error::BadName {
        name: crate::volume::names::shown(name).into_owned(),
        reason: e.to_string(),
    })?;
    Ok(records.len())
}

impl OpenVolume {
    /// Takes `n` free blocks near `near`; when too few are free, purges
    /// deleted files oldest first until they are. "no space left on VOL"
    /// when even that is not enough.
    pub(super) fn alloc_blocks(&mut self, n: usize, near: Option<u32>) -> Result<Vec<u32>> {
        loop {
            if let Some(b) = self.fat_mut()?.allocate(n, near) {
                return Ok(b);
            }
            if !self.purge_oldest()? {
                return Err(Error::NoSpace(self.vol.name.clone()));
            }
        }
    }

    /// Fails with "no space left" when `bytes` cannot fit even after every
    /// deleted file is purged: decided before anything is purged, so that
    /// a write that cannot succeed leaves salvageable files salvageable.
    pub(super) fn check_room(&mut self, bytes: u64) -> Result<()> {
        let bs = u64::from(self.vol.block_size);
        let need = bytes.div_ceil(bs);
        let free = self.fat_mut()?.free_blocks();
        if need <= free {
            return Ok(());
        }
        let deleted = self.deleted_blocks();
        if need > free + deleted {
            return Err(Error::NoSpace(self.vol.name.clone()));
        }
        Ok(())
    }

    /// Blocks held by deleted (salvageable) files: space a write can have,
    /// since they are purged, oldest first, when it runs out.
    pub(super) fn deleted_blocks(&self) -> u64 {
        let bs = u64::from(self.vol.block_size);
        self.index
            .nodes()
            .filter(|n| n.is_deleted())
            .map(|n| match &n.item {
                Item::File(f) => u64::from(f.length).div_ceil(bs),
                Item::Dir(_) => 0,
            })
            .sum()
    }

    /// Purges the deleted file deleted longest ago; false when there is
    /// none.
    fn purge_oldest(&mut self) -> Result<bool> {
        let oldest = self
            .index
            .nodes()
            .filter(|n| n.is_deleted())
            .min_by_key(|n| (deleted_time(n), n.index))
            .map(|n| n.index);
        match oldest {
            Some(i) => {
                self.purge_entries(&[i])?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Takes `n` free directory entries, growing the table (and its copy)
    /// as needed: by half its size at a time (1 to 16 blocks), so
    /// that a tree of many files costs a few growths (each a barrier), not
    /// one per block of entries.
    pub(super) fn reserve_entries(&mut self, n: usize) -> Result<Vec<u32>> {
        loop {
            if let Some(v) = self.table.take(n) {
                return Ok(v);
            }
            let k = (self.table.blocks().len() / 2).clamp(1, 16);
            let (t, c) = self.table.tails();
            // Several blocks only from free space; when that is short, one
            // block each (purging deleted files if need be), as before.
            let fat = self.fat_mut()?;
            let many = match (k > 1).then(|| fat.allocate(k, Some(t))).flatten() {
                Some(a) => match fat.allocate(k, Some(c)) {
                    Some(b) => Some((a, b)),
                    None => {
                        fat.release(&a);
                        None
                    }
                },
                None => None,
            };
            let (a, b) = match many {
                Some(ab) => ab,
                None => {
                    let a = self.alloc_blocks(1, Some(t))?;
                    match self.alloc_blocks(1, Some(c)) {
                        Ok(b) => (a, b),
                        Err(e) => {
                            self.fat_mut()?.release(&a);
                            return Err(e);
                        }
                    }
                }
            };
            let io = self.io.clone();
            if let Err(e) = self.table.grow(&self.vol, io.as_ref(), &a, &b) {
                self.fat_mut()?.release(&a);
                self.fat_mut()?.release(&b);
                return Err(e);
            }
        }
    }

    /// The DOS name and long name an entry called `name` gets in directory
    /// `dir_id`; `own`: the entry being renamed, whose names do not count
    /// as taken.
    fn names_for(
        &self,
        dir_id: u32,
        name: &str,
        own: Option<u32>,
    ) -> Result<(String, Option<String>)> {
        if !needs_long_name(name) {
            return Ok((name.to_string(), None));
        }
        if let Some(d) = dos_form(name) {
            return Ok((d, Some(name.to_string())));
        }
        let taken = |a: &str| {
            self.index.lookup(dir_id, a).is_some_and(|i| Some(i) != own)
                || !self.index.deleted_named(dir_id, a).is_empty()
        };
        let alias = make_alias(name, taken).ok_or_else(|| Error::BadName {
            name: crate::volume::names::shown(name).into_owned(),
            reason: "no free DOS alias left in the directory".into(),
        })?;
        Ok((alias, Some(name.to_string())))
    }

    /// Reserves the entries for a new entry called `name` in `dir_id`.
    pub(super) fn plan_entry(
        &mut self,
        dir_id: u32,
        name: &str,
        own: Option<u32>,
    ) -> Result<NewEntry> {
        let (dos, long) = self.names_for(dir_id, name, own)?;
        let records = long_records(0, &dos, long.as_deref(), name)?;
        let slots = self.reserve_entries(1 + records)?;
        Ok(NewEntry {
            index: slots[0],
            dos,
            long,
            long_slots: slots[1..].to_vec(),
        })
    }

    /// Writes a new entry's long-name records, then (after a barrier) the
    /// entry itself, and adds it to the index.
    pub(super) fn commit_entry(&mut self, p: &NewEntry, item: Item) -> Result<()> {
        let mine = p.slots();
        let mut before = false;
        let orphans = self.index.take_orphans(p.index);
        if p.long.is_some() || !orphans.is_empty() {
            // Records written before the entry must not be lost with a
            // growth's link while the entry stays.
            self.settle_links()?;
        }
        for s in orphans {
            if self.table.is_free(s) && !mine.contains(&s) {
                self.write_entry(s, &DirEntry::Free)?;
                before = true;
            }
        }
        self.write_long_records(p.index, &p.dos, p.long.as_deref(), &p.long_slots)?;
        if before || p.long.is_some() {
            // The entry must not reach a disk before its name: a crash
            // would leave the file under its alias (or an old name).
            self.io.barrier()?;
        }
        let node = Node {
            index: p.index,
            item,
            long_name: p.long.clone(),
            long_slots: p.long_slots.clone(),
        };
        self.write_entry(p.index, &node.dir_entry())?;
        if let Some(id) = node.dir_id() {
            self.index.set_dir_index(id, p.index);
        }
        self.index
            .insert(node)
            .map_err(|other| Error::Invalid(format!("name already used by entry {other}")))
    }

    pub(super) fn write_long_records(
        &self,
        idx: u32,
        dos: &str,
        long: Option<&str>,
        slots: &[u32],
    ) -> Result<()> {
        let Some(l) = long else { return Ok(()) };
        let recs = LongNameRecord::split(idx, dos, l).map_err(|e| Error::BadName {
            name: crate::volume::names::shown(l).into_owned(),
            reason: e.to_string(),
        })?;
        for (slot, r) in slots.iter().zip(recs) {
            self.write_entry(*slot, &DirEntry::LongName(r))?;
        }
        Ok(())
    }

    /// Makes a directory `name` in the directory with ID `dir_id`.
    pub fn mkdir(&mut self, dir_id: u32, name: &str, times: FileTimes) -> Result<u32> {
        self.check_writable()?;
        check_name(name)?;
        if let Some(i) = self.index.lookup(dir_id, name) {
            return Err(Error::AlreadyExists(self.path_of(i).to_string()));
        }
        let p = self.plan_entry(dir_id, name, None)?;
        let item = Item::Dir(DirectoryEntry {
            parent: dir_id,
            attributes: ATTR_DIRECTORY,
            name: p.dos.clone(),
            created: times.created,
            owner: 0,
            modified: times.modified,
            trustees: [Trustee::default(); 8],
            inherited_rights: ALL_RIGHTS,
            id: p.index,
        });
        if let Err(e) = self.commit_entry(&p, item) {
            self.table.give_back(&p.slots());
            return Err(e);
        }
        Ok(p.index)
    }

    /// Makes a directory and any missing parents (`mkdir -p`); an existing
    /// directory is fine. Returns its ID.
    pub fn mkdir_p(&mut self, path: &NwPath, times: FileTimes) -> Result<u32> {
        let mut cur = ROOT_ID;
        for (i, c) in path.components.iter().enumerate() {
            let sub = NwPath {
                volume: path.volume.clone(),
                components: path.components[..=i].to_vec(),
            };
            cur = match self.index.lookup(cur, c) {
                Some(idx) => self
                    .index
                    .get(idx)
                    .and_then(|n| n.dir_id())
                    .ok_or_else(|| Error::NotDirectory(sub.to_string()))?,
                None => self.mkdir(cur, c, times)?,
            };
        }
        Ok(cur)
    }

    /// Entries under a directory, children before their parent.
    fn subtree(&self, dir_id: u32, out: &mut Vec<u32>) {
        let kids: Vec<(u32, Option<u32>)> = self
            .index
            .children(dir_id)
            .map(|n| (n.index, n.dir_id()))
            .collect();
        for (idx, sub) in kids {
            if let Some(id) = sub {
                self.subtree(id, out);
            }
            out.push(idx);
        }
    }

    /// Removes what `t` names. A file is marked deleted (salvageable) or,
    /// with `purge`, freed at once. A directory needs `recursive` unless it
    /// holds no live entry; it is removed at once with everything in it
    /// (files in a removed directory are purged: NetWare salvages files,
    /// not directories).
    pub fn remove(&mut self, t: Target, recursive: bool, purge: bool) -> Result<Removed> {
        self.check_writable()?;
        self.commit()?;
        let Target::Entry(idx) = t else {
            return Err(Error::Invalid(format!(
                "{}:/: the root directory cannot be removed",
                self.vol.name
            )));
        };
        let node = self
            .index
            .get(idx)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("entry {idx}")))?;
        match node.dir_id() {
            None if node.is_deleted() && !purge => Err(Error::Invalid(format!(
                "{}: already deleted (purge it with nwvol purge)",
                self.path_of(idx)
            ))),
            None if purge => self.purge_entries(&[idx]),
            None => {
                self.mark_deleted(idx)?;
                Ok(Removed {
                    deleted: 1,
                    ..Removed::default()
                })
            }
            Some(id) => {
                let live = self.index.children(id).any(|n| !n.is_deleted());
                if live && !recursive {
                    return Err(Error::NotEmpty(self.path_of(idx).to_string()));
                }
                // Deepest entries first, a barrier between depths: a crash
                // leaves a tree partly emptied from below, never an entry
                // whose directory is gone.
                let mut levels: Vec<Vec<u32>> = vec![vec![idx]];
                loop {
                    let next: Vec<u32> = levels[levels.len() - 1]
                        .iter()
                        .filter_map(|&i| self.index.get(i).and_then(|n| n.dir_id()))
                        .flat_map(|d| self.index.children(d).map(|n| n.index).collect::<Vec<_>>())
                        .collect();
                    if next.is_empty() {
                        break;
                    }
                    levels.push(next);
                }
                self.purge_levels(&levels)
            }
        }
    }

    fn mark_deleted(&mut self, idx: u32) -> Result<()> {
        let mut node = self
            .index
            .get(idx)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("entry {idx}")))?;
        if let Item::File(f) = &mut node.item {
            f.deleted = DosTime::now();
            f.deleter = 0;
        }
        self.write_entry(idx, &node.dir_entry())?;
        self.index.remove(idx);
        let _ = self.index.insert(node);
        Ok(())
    }

    /// Frees entries at once: first their directory entries are written
    /// free, then after a barrier their long-name records (a crash between
    /// leaves records naming a free entry, which readers ignore, never an
    /// entry without its name) and the FAT entries of their chains.
    pub(super) fn purge_entries(&mut self, idxs: &[u32]) -> Result<Removed> {
        self.purge_levels(&[idxs.to_vec()])
    }

    /// Frees the entries of `levels`, the last level first, one barrier
    /// between levels: a level's entries reach a disk only after those of
    /// the levels after it (a tree's deeper entries) are durable. The
    /// long-name records and chains of a level are freed after the next
    /// barrier, beside the next level's entries, and those of the first
    /// level after one more: a tree of any size costs one barrier per
    /// depth, not two or three.
    fn purge_levels(&mut self, levels: &[Vec<u32>]) -> Result<Removed> {
        for i in levels.iter().flatten() {
            self.chains.remove(i);
        }
        let mut r = Removed::default();
        // Freed after the next barrier.
        let mut slots: Vec<u32> = Vec::new();
        let mut blocks: Vec<u32> = Vec::new();
        let done = self.purge_levels_into(levels, &mut r, &mut slots, &mut blocks);
        if !slots.is_empty() || !blocks.is_empty() {
            // Also when a level failed: what earlier levels freed is not
            // left behind as lost chains.
            let io = self.io.clone();
            let freed = io
                .barrier()
                .and_then(|()| self.free_after_barrier(&mut slots, &mut blocks));
            done?;
            freed?;
            return Ok(r);
        }
        done.map(|()| r)
    }

    fn purge_levels_into(
        &mut self,
        levels: &[Vec<u32>],
        r: &mut Removed,
        slots: &mut Vec<u32>,
        blocks: &mut Vec<u32>,
    ) -> Result<()> {
        let io = self.io.clone();
        for (depth, level) in levels.iter().enumerate().rev() {
            if depth + 1 < levels.len() {
                io.barrier()?;
                self.free_after_barrier(slots, blocks)?;
            }
            let mut entries = Vec::with_capacity(level.len());
            // The level's chains join `blocks` only once all its entries
            // are written free.
            let mut chains = Vec::new();
            let mut fat = FatReader::new(&self.vol, io.as_ref());
            for &idx in level {
                let Some(n) = self.index.get(idx) else {
                    continue;
                };
                match &n.item {
                    Item::File(f) => {
                        if f.first_block != NO_BLOCK {
                            let before = chains.len();
                            fat.chain_into(f.first_block, None, &mut chains)?;
                            r.blocks += (chains.len() - before) as u64;
                        }
                        r.purged += 1;
                    }
                    Item::Dir(_) => r.dirs += 1,
                }
                entries.push(idx);
            }
            self.free_entries(&entries)?;
            blocks.extend(chains);
            for &idx in &entries {
                // Below the first level every entry's directory goes too
                // (its contents are forgotten whole below): the entry
                // leaves only the node list, not its directory's names.
                let taken = if depth == 0 {
                    self.index.remove(idx)
                } else {
                    self.index.take_node(idx)
                };
                if let Some(n) = taken {
                    slots.extend(&n.long_slots);
                    if let Some(id) = n.dir_id() {
                        self.index.forget_dir(id);
                    }
                }
            }
            self.table.give_back(&entries);
        }
        Ok(())
    }

    /// Frees long-name records and chains whose entries are durably free.
    fn free_after_barrier(&mut self, slots: &mut Vec<u32>, blocks: &mut Vec<u32>) -> Result<()> {
        self.free_entries(slots)?;
        self.table.give_back(slots);
        slots.clear();
        if !blocks.is_empty() {
            let io = self.io.clone();
            let vol = self.vol.clone();
            Fat::free_chain(self.fat.as_mut(), &vol, io.as_ref(), blocks)?;
            blocks.clear();
        }
        Ok(())
    }

    /// Purges deleted files: all of the volume (`None`), the deleted files
    /// of a directory and the directories below it, or one deleted file
    /// entry.
    pub fn purge(&mut self, within: Option<Target>) -> Result<Removed> {
        self.check_writable()?;
        self.commit()?;
        let victims: Vec<u32> = match within {
            None => self
                .index
                .nodes()
                .filter(|n| n.is_deleted())
                .map(|n| n.index)
                .collect(),
            Some(t) => match self.dir_id_of(t) {
                Some(id) => {
                    let mut all = Vec::new();
                    self.subtree(id, &mut all);
                    all.into_iter()
                        .filter(|&i| self.index.get(i).is_some_and(|n| n.is_deleted()))
                        .collect()
                }
                None => match t {
                    Target::Entry(i) if self.index.get(i).is_some_and(|n| n.is_deleted()) => {
                        vec![i]
                    }
                    _ => Vec::new(),
                },
            },
        };
        self.purge_entries(&victims)
    }

    /// Purges the given deleted files (entries that are not deleted files
    /// are left alone).
    pub fn purge_deleted(&mut self, idxs: &[u32]) -> Result<Removed> {
        self.check_writable()?;
        self.commit()?;
        let v: Vec<u32> = idxs
            .iter()
            .copied()
            .filter(|&i| self.index.get(i).is_some_and(|n| n.is_deleted()))
            .collect();
        self.purge_entries(&v)
    }

    /// Restores a deleted file under its name. Refused when a live entry of
    /// its directory has that name now.
    pub fn salvage(&mut self, idx: u32) -> Result<()> {
        self.check_writable()?;
        self.commit()?;
        let mut node = self
            .index
            .get(idx)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("entry {idx}")))?;
        if !node.is_deleted() {
            return Err(Error::Invalid(format!(
                "{}: not deleted",
                self.path_of(idx)
            )));
        }
        let parent = node.parent();
        for n in [node.name(), node.dos_name()] {
            if let Some(other) = self.index.lookup(parent, n) {
                return Err(Error::Invalid(format!(
                    "{}: a file of that name exists now; rename or remove it first",
                    self.path_of(other)
                )));
            }
        }
        if let Item::File(f) = &mut node.item {
            f.deleted = DosTime(0);
            f.deleter = 0;
        }
        self.write_entry(idx, &node.dir_entry())?;
        self.index.remove(idx);
        self.index
            .insert(node)
            .map_err(|other| Error::Invalid(format!("name already used by entry {other}")))
    }

    /// Renames and/or moves entry `idx` to `name` in the directory with ID
    /// `dest`. The entry keeps its index (so a directory keeps its ID).
    /// Refused when another live entry there has the name, or when a
    /// directory would move into itself.
    pub fn rename(&mut self, idx: u32, dest: u32, name: &str) -> Result<()> {
        self.check_writable()?;
        self.commit()?;
        let node = self
            .index
            .get(idx)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("entry {idx}")))?;
        // A new name must be one NetWare holds; an entry moved under the
        // name it has keeps it, whatever an older writer allowed in it.
        if node.name() != name {
            check_name(name)?;
        }
        if node.is_deleted() {
            return Err(Error::Invalid(format!(
                "{}: deleted (salvage it first)",
                self.path_of(idx)
            )));
        }
        if let Some(id) = node.dir_id() {
            let mut cur = dest;
            let mut guard = 0u32;
            while cur != ROOT_ID && guard < 100_000 {
                if cur == id {
                    return Err(Error::Invalid(format!(
                        "{}: cannot move a directory into itself",
                        self.path_of(idx)
                    )));
                }
                cur = match self.index.dir_index(cur).and_then(|i| self.index.get(i)) {
                    Some(n) => n.parent(),
                    None => break,
                };
                guard += 1;
            }
        }
        if let Some(other) = self.index.lookup(dest, name)
            && other != idx
        {
            return Err(Error::AlreadyExists(self.path_of(other).to_string()));
        }
        if node.parent() == dest && node.name() == name {
            return Ok(());
        }
        let (dos, long) = self.names_for(dest, name, Some(idx))?;
        let records = long_records(idx, &dos, long.as_deref(), name)?;
        let new_slots = self.reserve_entries(records)?;
        if let Err(e) = self.settle_links() {
            self.table.give_back(&new_slots);
            return Err(e);
        }
        let mut item = node.item.clone();
        match &mut item {
            Item::File(f) => {
                f.parent = dest;
                f.name = dos.clone();
            }
            Item::Dir(d) => {
                d.parent = dest;
                d.name = dos.clone();
            }
        }
        let new = Node {
            index: idx,
            item,
            long_name: long.clone(),
            long_slots: new_slots.clone(),
        };
        // New records, then the entry, then the old records freed, a
        // barrier between each: a crash leaves the old name or the new one.
        let written = self
            .write_long_records(idx, &dos, long.as_deref(), &new_slots)
            .and_then(|()| match long {
                Some(_) => self.io.barrier(),
                None => Ok(()),
            })
            .and_then(|()| self.write_entry(idx, &new.dir_entry()));
        if let Err(e) = written {
            self.table.give_back(&new_slots);
            return Err(e);
        }
        if !node.long_slots.is_empty() {
            self.io.barrier()?;
        }
        for &s in &node.long_slots {
            self.write_entry(s, &DirEntry::Free)?;
        }
        self.table.give_back(&node.long_slots);
        self.index.remove(idx);
        self.index
            .insert(new)
            .map_err(|other| Error::Invalid(format!("name already used by entry {other}")))
    }
}
