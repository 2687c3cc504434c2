//! The in-memory index of a volume's directory table, built once when the
//! volume opens: every file and directory entry by its index, names (the
//! DOS alias and the long name both) by parent directory, and children per
//! directory. Path lookups and listings use it and never rescan the table.

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};

use crate::layout::LayoutError;
use crate::layout::dirent::{DirEntry, DirectoryEntry, FileEntry, ROOT_ID, VolumeInfo};
use crate::layout::longname::LongNameRecord;
use crate::layout::time::DosTime;

use super::names::key;

/// A file or directory entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A file (possibly deleted).
    File(FileEntry),
    /// A directory.
    Dir(DirectoryEntry),
}

/// One file or directory of the volume.
#[derive(Debug, Clone)]
pub struct Node {
    /// Its index in the directory table.
    pub index: u32,
    /// The entry.
    pub item: Item,
    /// The long name, when it has one.
    pub long_name: Option<String>,
    /// Indexes of its long-name records.
    pub long_slots: Vec<u32>,
}

impl Node {
    /// The DOS 8.3 name.
    pub fn dos_name(&self) -> &str {
        match &self.item {
            Item::File(f) => &f.name,
            Item::Dir(d) => &d.name,
        }
    }

    /// The name users see: the long name, else the DOS name.
    pub fn name(&self) -> &str {
        self.long_name.as_deref().unwrap_or(self.dos_name())
    }

    /// The parent directory's ID.
    pub fn parent(&self) -> u32 {
        match &self.item {
            Item::File(f) => f.parent,
            Item::Dir(d) => d.parent,
        }
    }

    /// True for a directory.
    pub fn is_dir(&self) -> bool {
        matches!(self.item, Item::Dir(_))
    }

    /// The directory's ID (what its children carry); None for a file.
    pub fn dir_id(&self) -> Option<u32> {
        match &self.item {
            Item::Dir(d) => Some(d.id),
            Item::File(_) => None,
        }
    }

    /// True for a deleted (salvageable) file.
    pub fn is_deleted(&self) -> bool {
        matches!(&self.item, Item::File(f) if f.deleted.0 != 0)
    }

    /// Attributes.
    pub fn attributes(&self) -> u32 {
        match &self.item {
            Item::File(f) => f.attributes,
            Item::Dir(d) => d.attributes,
        }
    }

    /// Last modification time.
    pub fn modified(&self) -> DosTime {
        match &self.item {
            Item::File(f) => f.modified,
            Item::Dir(d) => d.modified,
        }
    }

    /// Creation time.
    pub fn created(&self) -> DosTime {
        match &self.item {
            Item::File(f) => f.created,
            Item::Dir(d) => d.created,
        }
    }

    /// Length in bytes (0 for a directory).
    pub fn length(&self) -> u32 {
        match &self.item {
            Item::File(f) => f.length,
            Item::Dir(_) => 0,
        }
    }

    /// The entry as it is written to the table.
    pub fn dir_entry(&self) -> DirEntry {
        match &self.item {
            Item::File(f) => DirEntry::File(f.clone()),
            Item::Dir(d) => DirEntry::Directory(d.clone()),
        }
    }
}

/// What the index knows of one directory's contents.
#[derive(Debug, Default)]
struct Contents {
    /// Live entries by name key; both the DOS name and the long name are
    /// keys.
    names: HashMap<String, u32>,
    /// Deleted files by name key.
    deleted: HashMap<String, BTreeSet<u32>>,
    /// Entry indexes of the children (live and deleted).
    children: BTreeSet<u32>,
}

/// The index.
#[derive(Debug, Default)]
pub struct Index {
    /// Nodes by entry index: the table is an array, and most of its slots
    /// hold an entry.
    nodes: Vec<Option<Node>>,
    /// Each directory's contents, by directory ID.
    contents: HashMap<u32, Contents>,
    /// Directory ID to entry index.
    dirs: HashMap<u32, u32>,
    /// Long-name records whose entry is gone or has another DOS name: by
    /// the entry index they name.
    orphans: HashMap<u32, Vec<u32>>,
    /// The volume information entry.
    pub info: VolumeInfo,
    /// Problems found while building (damaged entries, duplicate names).
    pub warnings: Vec<String>,
}

/// Collects the entries of the table while it is read.
#[derive(Debug, Default)]
pub struct IndexBuilder {
    /// File and directory entries by index, built where they stay (a
    /// table of many thousand entries is not copied again).
    nodes: Vec<Option<Node>>,
    long: HashMap<u32, Vec<(u32, LongNameRecord)>>,
    info: VolumeInfo,
    damaged: Vec<(u32, LayoutError)>,
}

impl IndexBuilder {
    /// Takes one entry of the table.
    pub fn add(&mut self, idx: u32, e: std::result::Result<DirEntry, LayoutError>) {
        let item = match e {
            Ok(DirEntry::File(f)) => Item::File(f),
            Ok(DirEntry::Directory(d)) => Item::Dir(d),
            Ok(DirEntry::LongName(r)) => {
                self.long.entry(r.entry).or_default().push((idx, r));
                return;
            }
            Ok(DirEntry::VolumeInfo(v)) if idx == 0 => {
                self.info = v;
                return;
            }
            Ok(_) => return,
            Err(e) => {
                self.damaged.push((idx, e));
                return;
            }
        };
        let i = idx as usize;
        if self.nodes.len() <= i {
            if self.nodes.capacity() == 0 {
                // Most of a table's entries are files: one allocation, not
                // a dozen growing copies of a large list.
                self.nodes.reserve(i + 4096);
            }
            self.nodes.resize_with(i + 1, || None);
        }
        self.nodes[i] = Some(Node {
            index: idx,
            item,
            long_name: None,
            long_slots: Vec::new(),
        });
    }

    /// Builds the index. Returns it and the indexes of stale long-name
    /// records (free for reuse).
    pub fn build(self) -> (Index, Vec<u32>) {
        let mut ix = Index {
            info: self.info,
            nodes: self.nodes,
            ..Index::default()
        };
        // Each directory's names sized once for its entries, not grown
        // (and rehashed) a dozen times on the way.
        let mut sizes: HashMap<u32, usize> = HashMap::new();
        for node in ix.nodes.iter().flatten() {
            *sizes.entry(node.parent()).or_default() += 1;
        }
        ix.contents.reserve(sizes.len());
        for (parent, n) in sizes {
            ix.contents.insert(
                parent,
                Contents {
                    names: HashMap::with_capacity(n),
                    ..Contents::default()
                },
            );
        }
        for (idx, e) in self.damaged {
            ix.warnings
                .push(format!("directory entry {idx} is damaged and skipped: {e}"));
        }
        let mut long = self.long;
        let mut stale = Vec::new();
        for i in 0..ix.nodes.len() {
            let Some(node) = ix.nodes[i].as_mut() else {
                continue;
            };
            let idx = node.index;
            if let Some(recs) = (!long.is_empty()).then(|| long.remove(&idx)).flatten() {
                // Records carrying another DOS name are stale on their own
                // (left by a crash during a rename); the rest make the name.
                let (mine, other): (Vec<_>, Vec<_>) = recs
                    .into_iter()
                    .partition(|(_, r)| r.alias == node.dos_name());
                let mut gone: Vec<u32> = other.into_iter().map(|(s, _)| s).collect();
                if !mine.is_empty() {
                    let (slots, recs): (Vec<u32>, Vec<LongNameRecord>) = mine.into_iter().unzip();
                    match LongNameRecord::join(&recs) {
                        Ok(n) => {
                            node.long_name = Some(n);
                            node.long_slots = slots;
                        }
                        Err(_) => gone.extend(slots),
                    }
                }
                if !gone.is_empty() {
                    ix.orphans.entry(idx).or_default().extend(&gone);
                    stale.extend(gone);
                }
            }
            if let Some(id) = node.dir_id()
                && (id == ROOT_ID || ix.dirs.insert(id, idx).is_some())
            {
                ix.warnings.push(format!(
                    "directory entry {idx} ({}) repeats directory ID {id}; its contents are hidden",
                    node.name()
                ));
                ix.dirs.retain(|_, v| *v != idx);
            }
            let node = ix.nodes[i].as_ref().expect("present above");
            if let Err(other) = Index::register(&mut ix.contents, node) {
                ix.warnings.push(format!(
                    "directory entry {idx}: its name is already used by entry {other}; hidden"
                ));
                ix.nodes[i] = None;
            }
        }
        for (target, recs) in long {
            let slots: Vec<u32> = recs.into_iter().map(|(s, _)| s).collect();
            ix.orphans.entry(target).or_default().extend(&slots);
            stale.extend(slots);
        }
        (ix, stale)
    }
}

impl Index {
    /// Adds a node; refuses (returning the entry that holds it) a live
    /// name already in use in its directory. The node is still stored (so
    /// that it can be listed by index) only when added.
    pub fn insert(&mut self, node: Node) -> std::result::Result<(), u32> {
        Self::register(&mut self.contents, &node)?;
        let i = node.index as usize;
        if self.nodes.len() <= i {
            self.nodes.resize_with(i + 1, || None);
        }
        self.nodes[i] = Some(node);
        Ok(())
    }

    /// Enters a node's names and its place among its directory's children
    /// into `contents`; refuses a live name already in use there.
    fn register(
        contents: &mut HashMap<u32, Contents>,
        node: &Node,
    ) -> std::result::Result<(), u32> {
        let mut keys = Self::keys(node);
        let c = contents.entry(node.parent()).or_default();
        if node.is_deleted() {
            for k in keys {
                c.deleted.entry(k).or_default().insert(node.index);
            }
        } else if keys.len() == 1 {
            // Most names: one key, hashed once.
            let k = keys.pop().expect("one key");
            match c.names.entry(k) {
                Entry::Occupied(o) if *o.get() != node.index => return Err(*o.get()),
                Entry::Occupied(_) => {}
                Entry::Vacant(v) => {
                    v.insert(node.index);
                }
            }
        } else {
            if let Some(&other) = keys
                .iter()
                .filter_map(|k| c.names.get(k))
                .find(|&&o| o != node.index)
            {
                return Err(other);
            }
            for k in keys {
                c.names.insert(k, node.index);
            }
        }
        c.children.insert(node.index);
        Ok(())
    }

    fn keys(node: &Node) -> Vec<String> {
        let mut k = vec![key(node.dos_name())];
        if let Some(l) = &node.long_name {
            let lk = key(l);
            if lk != k[0] {
                k.push(lk);
            }
        }
        k
    }

    /// Removes a node and its names; returns it.
    pub fn remove(&mut self, idx: u32) -> Option<Node> {
        let node = self.nodes.get_mut(idx as usize)?.take()?;
        if let Some(c) = self.contents.get_mut(&node.parent()) {
            for k in Self::keys(&node) {
                if node.is_deleted() {
                    if let Some(s) = c.deleted.get_mut(&k) {
                        s.remove(&idx);
                        if s.is_empty() {
                            c.deleted.remove(&k);
                        }
                    }
                } else if c.names.get(&k) == Some(&idx) {
                    c.names.remove(&k);
                }
            }
            c.children.remove(&idx);
        }
        Some(node)
    }

    /// Takes a node out of the node list only, leaving its directory's
    /// names and children as they are: for an entry whose directory is
    /// about to be forgotten whole ([`Index::forget_dir`]).
    pub fn take_node(&mut self, idx: u32) -> Option<Node> {
        self.nodes.get_mut(idx as usize)?.take()
    }

    /// A node by entry index.
    pub fn get(&self, idx: u32) -> Option<&Node> {
        self.nodes.get(idx as usize)?.as_ref()
    }

    /// The live entry named `name` (DOS or long name, any case) in the
    /// directory with ID `parent`.
    pub fn lookup(&self, parent: u32, name: &str) -> Option<u32> {
        self.contents.get(&parent)?.names.get(&key(name)).copied()
    }

    /// Deleted files named `name` in the directory with ID `parent`.
    pub fn deleted_named(&self, parent: u32, name: &str) -> Vec<u32> {
        self.contents
            .get(&parent)
            .and_then(|c| c.deleted.get(&key(name)))
            .map(|s| s.iter().copied().collect())
            .unwrap_or_default()
    }

    /// True when `dos` may not be used as a new DOS name in directory
    /// `parent`: a live name, or a deleted file's name, already is it.
    pub fn name_taken(&self, parent: u32, dos: &str) -> bool {
        let k = key(dos);
        self.contents
            .get(&parent)
            .is_some_and(|c| c.names.contains_key(&k) || c.deleted.contains_key(&k))
    }

    /// The children (live and deleted) of the directory with ID `dir`, by
    /// entry index.
    pub fn children(&self, dir: u32) -> impl Iterator<Item = &Node> {
        self.contents
            .get(&dir)
            .into_iter()
            .flat_map(|c| &c.children)
            .filter_map(|&i| self.get(i))
    }

    /// Number of children (live and deleted) of a directory.
    pub fn child_count(&self, dir: u32) -> usize {
        self.contents.get(&dir).map_or(0, |c| c.children.len())
    }

    /// The entry index of the directory with ID `id`; None for the root
    /// (which has no entry of its own) or an unknown ID.
    pub fn dir_index(&self, id: u32) -> Option<u32> {
        self.dirs.get(&id).copied()
    }

    /// Records the directory with ID `id` at entry index `idx`.
    pub fn set_dir_index(&mut self, id: u32, idx: u32) {
        self.dirs.insert(id, idx);
    }

    /// Forgets a directory ID (and what is left of its contents).
    pub fn forget_dir(&mut self, id: u32) {
        self.dirs.remove(&id);
        self.contents.remove(&id);
    }

    /// Every node, in entry order.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().flatten()
    }

    /// Stale long-name records that name entry `idx` (to be cleared before
    /// the entry is used again).
    pub fn take_orphans(&mut self, idx: u32) -> Vec<u32> {
        self.orphans.remove(&idx).unwrap_or_default()
    }

    /// Counts: (live files, directories, deleted files).
    pub fn counts(&self) -> (u64, u64, u64) {
        let mut c = (0, 0, 0);
        for n in self.nodes() {
            match &n.item {
                Item::Dir(_) => c.1 += 1,
                Item::File(f) if f.deleted.0 != 0 => c.2 += 1,
                Item::File(_) => c.0 += 1,
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(parent: u32, name: &str, deleted: u32) -> Item {
        Item::File(FileEntry {
            deleted: DosTime(deleted),
            ..FileEntry::blank(parent, name)
        })
    }

    fn dir(parent: u32, name: &str, id: u32) -> Item {
        Item::Dir(DirectoryEntry::blank(parent, name, id))
    }

    fn entry(i: &Item) -> DirEntry {
        match i {
            Item::File(f) => DirEntry::File(f.clone()),
            Item::Dir(d) => DirEntry::Directory(d.clone()),
        }
    }

    #[test]
    fn names_long_names_and_stale_records() {
        let mut b = IndexBuilder::default();
        b.add(1, Ok(entry(&dir(0, "PUBLIC", 1))));
        b.add(2, Ok(entry(&file(1, "MYREPO~1.PDF", 0))));
        for (i, r) in LongNameRecord::split(2, "MYREPO~1.PDF", "My Report 2024.pdf")
            .unwrap()
            .into_iter()
            .enumerate()
        {
            b.add(3 + i as u32, Ok(DirEntry::LongName(r)));
        }
        // A record for entry 5, which holds another name: stale.
        b.add(5, Ok(entry(&file(1, "OTHER.TXT", 0))));
        let r = LongNameRecord::split(5, "OLD~1", "old name").unwrap();
        b.add(6, Ok(DirEntry::LongName(r[0].clone())));
        // A record for an entry that is not there: stale.
        let r = LongNameRecord::split(9, "GONE~1", "gone").unwrap();
        b.add(7, Ok(DirEntry::LongName(r[0].clone())));
        b.add(8, Ok(entry(&file(1, "OTHER.TXT", 0x5000_0000))));
        b.add(
            10,
            Err(crate::layout::LayoutError::Corrupt {
                structure: "x".into(),
                field: "name",
                reason: "bad".into(),
            }),
        );
        let (ix, mut stale) = b.build();
        stale.sort();
        assert_eq!(stale, vec![6, 7]);
        assert_eq!(ix.warnings.len(), 1);
        assert_eq!(ix.lookup(0, "public"), Some(1));
        assert_eq!(ix.lookup(1, "my report 2024.PDF"), Some(2));
        assert_eq!(ix.lookup(1, "MYREPO~1.PDF"), Some(2));
        assert_eq!(ix.get(2).unwrap().name(), "My Report 2024.pdf");
        assert_eq!(ix.lookup(1, "other.txt"), Some(5));
        assert_eq!(ix.deleted_named(1, "OTHER.TXT"), vec![8]);
        assert!(ix.name_taken(1, "OTHER.TXT"));
        assert_eq!(ix.dir_index(1), Some(1));
        assert_eq!(ix.child_count(1), 3);
        assert_eq!(ix.counts(), (2, 1, 1));
        let mut ix = ix;
        ix.remove(2).unwrap();
        assert_eq!(ix.lookup(1, "My Report 2024.pdf"), None);
        assert!(!ix.name_taken(1, "MYREPO~1.PDF"));
    }

    #[test]
    fn a_renames_old_records_do_not_hide_the_new_name() {
        // A crash during a rename: the entry already carries the new alias,
        // the old name's records are not yet freed.
        let mut b = IndexBuilder::default();
        b.add(2, Ok(entry(&file(0, "MOVEDU~1.TXT", 0))));
        let old = LongNameRecord::split(2, "AFILEW~1.TXT", "A file with a long name.txt").unwrap();
        let new = LongNameRecord::split(2, "MOVEDU~1.TXT", "Moved under another name.txt").unwrap();
        b.add(3, Ok(DirEntry::LongName(old[0].clone())));
        b.add(4, Ok(DirEntry::LongName(new[0].clone())));
        let (ix, stale) = b.build();
        assert_eq!(ix.get(2).unwrap().name(), "Moved under another name.txt");
        assert_eq!(ix.get(2).unwrap().long_slots, vec![4]);
        assert_eq!(stale, vec![3]);
    }

    #[test]
    fn duplicate_names_are_refused() {
        let mut ix = Index::default();
        let n = |i, item| Node {
            index: i,
            item,
            long_name: None,
            long_slots: vec![],
        };
        ix.insert(n(1, file(0, "A.TXT", 0))).unwrap();
        assert_eq!(ix.insert(n(2, file(0, "A.TXT", 0))), Err(1));
        ix.insert(n(3, file(0, "A.TXT", 7))).unwrap();
        ix.insert(n(4, file(0, "A.TXT", 9))).unwrap();
        assert_eq!(ix.deleted_named(0, "a.txt"), vec![3, 4]);
    }
}
