//! What a volume block belongs to, for naming it in findings: a file's
//! path, or a structure (FAT, directory table, checksums). Built only when
//! a finding needs it, from the directory tree read through the cache.

use std::collections::HashMap;
use std::sync::Arc;

use crate::cache::BlockIo;
use crate::layout::dirent::ROOT_ID;
use crate::layout::fat::fat_blocks;
use crate::volume::Volume;
use crate::volume::open::{OpenMode, OpenVolume};

/// The owner of each used block of one volume.
#[derive(Debug, Default)]
pub struct Owners {
    by_block: HashMap<u32, String>,
    /// Set when the directory tree could not be read: files are not named.
    pub unreadable: Option<String>,
}

/// What owns a block: a structure, or a file by path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Owner {
    /// A structure of the volume (FAT, FAT copy, directory table...).
    Structure(String),
    /// A file (or deleted file) by path.
    File(String),
    /// No file and no structure: free space.
    Free,
}

impl Owners {
    /// Reads the volume's structures and directory tree.
    pub fn build(vol: &Volume, io: &Arc<dyn BlockIo>) -> Owners {
        let mut o = Owners::default();
        for s in &vol.segments {
            let f = fat_blocks(s.blocks(), vol.block_size);
            let first = s.entry.first_block;
            for i in 0..f {
                o.by_block.insert(first + i, "FAT".into());
                o.by_block.insert(first + f + i, "FAT copy".into());
            }
        }
        for b in checksum_blocks(vol) {
            o.by_block.insert(b, "checksums".into());
        }
        let ov = match OpenVolume::open(vol.clone(), io.clone(), OpenMode::ReadOnly) {
            Ok(v) => v,
            Err(e) => {
                o.unreadable = Some(e.to_string());
                return o;
            }
        };
        if let Ok(blocks) = crate::volume::fat::Fat::chain(vol, io.as_ref(), vol.dir_block, None) {
            for b in blocks {
                o.by_block.insert(b, "directory table".into());
            }
        }
        if let Ok(blocks) =
            crate::volume::fat::Fat::chain(vol, io.as_ref(), vol.dir_copy_block, None)
        {
            for b in blocks {
                o.by_block.insert(b, "directory table copy".into());
            }
        }
        // Walk the tree from the root; a loop in the parents cannot trap
        // the walk since each directory is visited once.
        let mut seen = std::collections::HashSet::new();
        let mut stack = vec![ROOT_ID];
        while let Some(dir) = stack.pop() {
            if !seen.insert(dir) {
                continue;
            }
            for n in ov.index().children(dir) {
                if let Some(id) = n.dir_id() {
                    stack.push(id);
                    continue;
                }
                let path = ov.path_of(n.index).to_string();
                let label = if n.is_deleted() {
                    format!("{path} (deleted)")
                } else {
                    path
                };
                if let Ok(blocks) = ov.file_blocks(n) {
                    for b in blocks {
                        o.by_block.entry(b).or_insert_with(|| label.clone());
                    }
                }
            }
        }
        o
    }

    /// The owner of block `b`.
    pub fn owner(&self, b: u32) -> Owner {
        match self.by_block.get(&b) {
            Some(s) if is_structure(s) => Owner::Structure(s.clone()),
            Some(s) => Owner::File(s.clone()),
            None => Owner::Free,
        }
    }
}

/// The tables the structure repair can rewrite from their second copy.
pub(crate) const TABLES: [&str; 4] = ["FAT", "FAT copy", "directory table", "directory table copy"];

fn is_structure(s: &str) -> bool {
    s == "checksums" || TABLES.contains(&s)
}

/// The blocks of the volume's checksum fragments.
fn checksum_blocks(vol: &Volume) -> Vec<u32> {
    let mut v = Vec::new();
    for s in &vol.segments {
        let first = s.entry.first_block;
        for b in first..first + s.blocks() {
            if vol.is_checksum_block(b) {
                v.push(b);
            }
        }
    }
    v
}
