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

/// The inode of directory entry `idx` in its generation `gen`: an entry
/// keeps its index for life (a rename keeps it), and an index used again
/// by a new entry gets a new generation, so that the kernel never takes
/// the new entry for an inode it still holds (a removed directory, say).
pub fn ino_of(idx: u32, generation: u32) -> INodeNo {
    INodeNo((u64::from(generation) << 32) | (u64::from(idx) + 2))
}

/// The entry index and generation of inode `ino`; None for the root.
pub fn idx_of(ino: INodeNo) -> Option<(u32, u32)> {
    match ino.0 {
        ROOT_INO => None,
        n => Some((((n & 0xFFFF_FFFF) - 2) as u32, (n >> 32) as u32)),
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
    /// Permission bits taken away from 0777 (as vfat's umask=): NetWare
    /// keeps no Unix modes, only the read-only attribute, which takes
    /// the write bits away too.
    pub umask: u16,
}

impl Owner {
    fn perm(&self, read_only: bool) -> u16 {
        let p = 0o777 & !self.umask;
        if read_only { p & !0o222 } else { p }
    }
}

/// Times NetWare does not keep (last access, last status change), kept
/// while mounted.
#[derive(Debug, Clone, Copy, Default)]
pub struct Extra {
    /// Last access set by utimensat.
    pub atime: Option<SystemTime>,
    /// Last status change.
    pub ctime: Option<SystemTime>,
    /// Last change of a directory's entries, finer than the entry's
    /// 2-second time (and for the root, whose entry keeps none).
    pub mtime: Option<SystemTime>,
    /// Created without write bits: read-only once closed (the creating
    /// descriptor may still write, as POSIX says).
    pub read_only_at_close: bool,
}

/// Applies what is kept in memory to attributes built from the entry.
pub fn with_extra(mut a: FileAttr, x: Option<&Extra>) -> FileAttr {
    if let Some(x) = x {
        if x.read_only_at_close {
            a.perm &= !0o222;
        }
        if let Some(t) = x.atime {
            a.atime = t;
        }
        if let Some(t) = x.mtime
            && t > a.mtime
        {
            a.mtime = t;
        }
        if let Some(t) = x.ctime
            && t > a.ctime
        {
            a.ctime = t;
        }
    }
    a
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
pub fn node_attr(v: &OpenVolume, node: &Node, ino: INodeNo, owner: Owner) -> FileAttr {
    let ro = node.attributes() & ATTR_READ_ONLY != 0;
    match &node.item {
        Item::Dir(d) => dir_attr(v, ino, d.id, node.created(), node.modified(), ro, owner),
        Item::File(f) => {
            let bs = u64::from(v.vol.block_size);
            let len = u64::from(f.length);
            FileAttr {
                ino,
                size: len,
                blocks: len.div_ceil(bs) * bs / 512,
                atime: system_time(node.modified()),
                mtime: system_time(node.modified()),
                ctime: system_time(node.modified()),
                crtime: system_time(node.created()),
                kind: FileType::RegularFile,
                perm: owner.perm(ro),
                // Deleted (salvageable), still open: no name links to it.
                nlink: u32::from(!node.is_deleted()),
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
        perm: owner.perm(ro),
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
            for g in [0, 1, 9] {
                assert_eq!(idx_of(ino_of(idx, g)), Some((idx, g)));
            }
        }
        assert_ne!(ino_of(5, 0), ino_of(5, 1));
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
