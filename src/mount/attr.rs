//! What `stat` shows of a NetWare entry: inode numbers, modes from the
//! read-only attribute, times at NetWare's 2-second resolution.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fuser::{FileAttr, FileType, INodeNo};

use crate::layout::dirent::{ATTR_READ_ONLY, ROOT_ID};
use crate::layout::time::DosTime;
use crate::volume::OpenVolume;
use crate::volume::index::{Item, Node};

/// The inode number of the root directory (FUSE's own).
pub const ROOT_INO: u64 = 1;

/// The inode of directory entry `idx`: entries keep their index for life
/// (a rename keeps it), so inode numbers are stable while mounted.
pub fn ino_of(idx: u32) -> INodeNo {
    INodeNo(u64::from(idx) + 2)
}

/// The entry index of inode `ino`; None for the root.
pub fn idx_of(ino: INodeNo) -> Option<u32> {
    match ino.0 {
        ROOT_INO => None,
        n => u32::try_from(n - 2).ok(),
    }
}

/// A DOS time as a system time (the epoch when unset).
pub fn system_time(t: DosTime) -> SystemTime {
    match t.to_unix() {
        Some(s) if s >= 0 => UNIX_EPOCH + Duration::from_secs(s as u64),
        _ => UNIX_EPOCH,
    }
}

/// A system time as a DOS time; None outside what one holds
/// (1980-01-01 to 2107-12-31).
pub fn dos_time(t: SystemTime) -> Option<DosTime> {
    let secs = match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(_) => return None,
    };
    let d = DosTime::from_unix(secs);
    // from_unix clamps: a time it changed by more than rounding is out of
    // range.
    match d.to_unix() {
        Some(back) if (secs - back).abs() <= 1 => Some(d),
        _ => None,
    }
}

/// Who owns every entry, and the modes shown.
#[derive(Debug, Clone, Copy)]
pub struct Owner {
    /// User ID shown.
    pub uid: u32,
    /// Group ID shown.
    pub gid: u32,
}

/// The attributes of the root directory.
pub fn root_attr(v: &OpenVolume, owner: Owner) -> FileAttr {
    let (created, modified) = v.root_times();
    dir_attr(
        v,
        INodeNo(ROOT_INO),
        ROOT_ID,
        created,
        modified,
        false,
        owner,
    )
}

/// The attributes of entry `node`.
pub fn node_attr(v: &OpenVolume, node: &Node, owner: Owner) -> FileAttr {
    let ro = node.attributes() & ATTR_READ_ONLY != 0;
    match &node.item {
        Item::Dir(d) => dir_attr(
            v,
            ino_of(node.index),
            d.id,
            node.created(),
            node.modified(),
            ro,
            owner,
        ),
        Item::File(f) => {
            let bs = u64::from(v.vol.block_size);
            let len = u64::from(f.length);
            FileAttr {
                ino: ino_of(node.index),
                size: len,
                blocks: len.div_ceil(bs) * bs / 512,
                atime: system_time(node.modified()),
                mtime: system_time(node.modified()),
                ctime: system_time(node.modified()),
                crtime: system_time(node.created()),
                kind: FileType::RegularFile,
                perm: if ro { 0o444 } else { 0o644 },
                nlink: 1,
                uid: owner.uid,
                gid: owner.gid,
                rdev: 0,
                blksize: v.vol.block_size,
                flags: 0,
            }
        }
    }
}

fn dir_attr(
    v: &OpenVolume,
    ino: INodeNo,
    dir_id: u32,
    created: DosTime,
    modified: DosTime,
    ro: bool,
    owner: Owner,
) -> FileAttr {
    let subdirs = v.list(dir_id).iter().filter(|n| n.is_dir()).count() as u32;
    FileAttr {
        ino,
        size: u64::from(v.vol.block_size),
        blocks: u64::from(v.vol.block_size) / 512,
        atime: system_time(modified),
        mtime: system_time(modified),
        ctime: system_time(modified),
        crtime: system_time(created),
        kind: FileType::Directory,
        perm: if ro { 0o555 } else { 0o755 },
        nlink: 2 + subdirs,
        uid: owner.uid,
        gid: owner.gid,
        rdev: 0,
        blksize: v.vol.block_size,
        flags: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inode_numbers_round_trip_and_the_root_is_its_own() {
        assert_eq!(idx_of(INodeNo(ROOT_INO)), None);
        for idx in [1, 2, 77, 1 << 20] {
            assert_eq!(idx_of(ino_of(idx)), Some(idx));
        }
    }

    #[test]
    fn times_keep_two_second_resolution_and_refuse_what_dos_cannot_hold() {
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_001);
        let d = dos_time(t).expect("in range");
        assert_eq!(
            system_time(d),
            UNIX_EPOCH + Duration::from_secs(1_700_000_000)
        );
        assert!(dos_time(UNIX_EPOCH).is_none(), "1970 is before DOS time");
        assert!(dos_time(UNIX_EPOCH + Duration::from_secs(5_000_000_000)).is_none());
    }
}
