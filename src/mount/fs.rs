//! The FUSE operations on an open volume: one volume, one cache, every
//! call served under one lock. Writes join the open commit; a commit
//! closes by its limits, every few seconds (the mount's ticker) and at
//! fsync, which returns once the file is durable on every in-sync member.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use fuser::{
    Errno, FileHandle, FileType, Filesystem, FopenFlags, Generation, INodeNo, KernelConfig,
    LockOwner, OpenFlags, RenameFlags, ReplyAttr, ReplyCreate, ReplyData, ReplyDirectory,
    ReplyEmpty, ReplyEntry, ReplyOpen, ReplyStatfs, ReplyWrite, Request, TimeOrNow, WriteFlags,
};

use crate::error::{Error, Result};
use crate::layout::dirent::ROOT_ID;
use crate::layout::time::DosTime;
use crate::lock::Recover;
use crate::volume::OpenVolume;
use crate::volume::file::FileTimes;
use crate::volume::open::Target;

use super::attr::{Extra, Owner, dos_time, idx_of, ino_of, node_attr, root_attr, with_extra};
use super::errno::errno;

/// How long the kernel may keep attributes and names: every change goes
/// through this process, so a second is safe.
const TTL: Duration = Duration::from_secs(1);

/// Where the server reports what its caller should hear of (a member
/// given up, a commit that failed).
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

/// The volume being served and what goes with it.
pub struct Served {
    /// The open volume.
    pub v: OpenVolume,
    /// Messages already logged, not to repeat them.
    pub said: Vec<String>,
    /// Times NetWare does not keep, by entry index (the root: `ROOT_KEY`).
    pub extra: HashMap<u32, Extra>,
    /// Generations of entry indexes used again while mounted.
    pub gens: HashMap<u32, u32>,
}

/// What a stale inode (an index used again since) resolves to: no entry.
const STALE: u32 = u32::MAX - 1;

/// The key of the root directory in [`Served::extra`].
const ROOT_KEY: u32 = u32::MAX;

impl Served {
    /// The inode of entry `idx`.
    fn ino(&self, idx: u32) -> INodeNo {
        ino_of(idx, self.gens.get(&idx).copied().unwrap_or(0))
    }

    /// The entry of inode `ino`: None for the root, `STALE` for an inode
    /// whose index a newer entry holds.
    fn idx(&self, ino: INodeNo) -> Option<u32> {
        idx_of(ino).map(|(i, g)| {
            if self.gens.get(&i).copied().unwrap_or(0) == g {
                i
            } else {
                STALE
            }
        })
    }

    /// A new entry took index `idx`: it gets a generation of its own.
    fn born(&mut self, idx: u32) {
        *self.gens.entry(idx).or_default() += 1;
        self.extra.remove(&idx);
    }

    /// Records a status change of inode `ino` (and, for a directory whose
    /// entries changed, a modification).
    fn changed(&mut self, ino: INodeNo, modified: bool) {
        let now = SystemTime::now();
        let key = self.idx(ino).unwrap_or(ROOT_KEY);
        let x = self.extra.entry(key).or_default();
        x.ctime = Some(now);
        if modified {
            x.mtime = Some(now);
            if let Some(i) = self.idx(ino) {
                let _ = self.v.set_info(i, Some(DosTime::now()), None);
            }
        }
    }

    /// The attributes of inode `ino`, with what is kept in memory.
    fn attr(&self, ino: INodeNo, owner: Owner) -> std::result::Result<fuser::FileAttr, Errno> {
        let a = attr_of(self, ino, owner)?;
        Ok(with_extra(
            a,
            self.extra.get(&self.idx(ino).unwrap_or(ROOT_KEY)),
        ))
    }
}

/// A volume served through FUSE.
pub struct NwFs {
    state: Arc<Mutex<Served>>,
    owner: Owner,
    read_only: bool,
    log: Log,
    /// Reports what the member groups have given up since the last call.
    watch: Arc<dyn Fn() -> Vec<String> + Send + Sync>,
}

impl NwFs {
    /// Serves `v`; `watch` lists the members given up so far.
    pub fn new(
        state: Arc<Mutex<Served>>,
        owner: Owner,
        read_only: bool,
        log: Log,
        watch: Arc<dyn Fn() -> Vec<String> + Send + Sync>,
    ) -> NwFs {
        NwFs {
            state,
            owner,
            read_only,
            log,
            watch,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Served> {
        self.state.lock().recover()
    }

    /// Logs what is new among the members given up.
    fn report(&self, s: &mut Served) {
        for m in (self.watch)() {
            if !s.said.contains(&m) {
                (self.log)(&format!("warning: {m}"));
                s.said.push(m);
            }
        }
    }

    /// Replies to a change: after logging what the members did.
    fn answer(&self, s: &mut Served, r: std::result::Result<(), Errno>, reply: ReplyEmpty) {
        self.report(s);
        match r {
            Ok(()) => reply.ok(),
            Err(e) => reply.error(e),
        }
    }

    /// Fails with EROFS on a read-only mount.
    fn writable(&self) -> std::result::Result<(), Errno> {
        if self.read_only {
            Err(Errno::EROFS)
        } else {
            Ok(())
        }
    }

    /// The errno of a failed change, after logging what the members did.
    fn failed(&self, s: &mut Served, e: &Error) -> Errno {
        self.report(s);
        if matches!(errno(e), x if x == Errno::EIO) {
            (self.log)(&format!("error: {e}"));
        }
        errno(e)
    }
}

/// The directory ID inode `ino` names.
fn dir_id(s: &Served, ino: INodeNo) -> std::result::Result<u32, Errno> {
    match s.idx(ino) {
        None => Ok(ROOT_ID),
        Some(i) => match s.v.index().get(i) {
            Some(n) if !n.is_deleted() => n.dir_id().ok_or(Errno::ENOTDIR),
            _ => Err(Errno::ENOENT),
        },
    }
}

/// A name as NetWare text: names that are not UTF-8 cannot be stored,
/// and none is longer than 255 bytes.
fn text(name: &OsStr) -> std::result::Result<&str, Errno> {
    if name.len() > 255 {
        return Err(Errno::ENAMETOOLONG);
    }
    name.to_str().ok_or(Errno::EINVAL)
}

/// The live entry `name` in directory inode `parent`.
fn child(s: &Served, parent: INodeNo, name: &OsStr) -> std::result::Result<u32, Errno> {
    let dir = dir_id(s, parent)?;
    let name = match text(name) {
        Err(e) if e == Errno::ENAMETOOLONG => return Err(e),
        Err(_) => return Err(Errno::ENOENT),
        Ok(n) => n,
    };
    s.v.index().lookup(dir, name).ok_or(Errno::ENOENT)
}

fn now_times() -> FileTimes {
    let t = DosTime::now();
    FileTimes {
        modified: t,
        created: t,
    }
}

fn attr_of(s: &Served, ino: INodeNo, owner: Owner) -> std::result::Result<fuser::FileAttr, Errno> {
    match s.idx(ino) {
        None => Ok(root_attr(&s.v, owner)),
        Some(i) => {
            s.v.index()
                .get(i)
                .map(|n| node_attr(&s.v, n, ino, owner))
                .ok_or(Errno::ENOENT)
        }
    }
}

impl Filesystem for NwFs {
    fn init(&mut self, _req: &Request, config: &mut KernelConfig) -> std::io::Result<()> {
        // Larger writes cost fewer calls; the kernel keeps what it can.
        let _ = config.set_max_write(1 << 20);
        let _ = config.set_max_readahead(1 << 20);
        let _ = config.set_time_granularity(Duration::from_secs(1));
        Ok(())
    }

    fn destroy(&mut self) {
        let mut s = self.lock();
        if let Err(e) = s.v.sync() {
            (self.log)(&format!("error: writing back at unmount: {e}"));
        }
        self.report(&mut s);
    }

    fn lookup(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEntry) {
        let s = self.lock();
        match child(&s, parent, name).and_then(|i| s.attr(s.ino(i), self.owner)) {
            Ok(a) => reply.entry(&TTL, &a, Generation(0)),
            Err(e) => reply.error(e),
        }
    }

    fn getattr(&self, _req: &Request, ino: INodeNo, _fh: Option<FileHandle>, reply: ReplyAttr) {
        let s = self.lock();
        match s.attr(ino, self.owner) {
            Ok(a) => reply.attr(&TTL, &a),
            Err(e) => reply.error(e),
        }
    }

    fn setattr(
        &self,
        _req: &Request,
        ino: INodeNo,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
        size: Option<u64>,
        atime: Option<TimeOrNow>,
        mtime: Option<TimeOrNow>,
        _ctime: Option<SystemTime>,
        _fh: Option<FileHandle>,
        _crtime: Option<SystemTime>,
        _chgtime: Option<SystemTime>,
        _bkuptime: Option<SystemTime>,
        _flags: Option<fuser::BsdFileFlags>,
        reply: ReplyAttr,
    ) {
        if let Err(e) = self.writable() {
            return reply.error(e);
        }
        // Every entry belongs to the mounting user: NetWare's owners are
        // bindery objects, not Unix users.
        if uid.is_some_and(|u| u != self.owner.uid) || gid.is_some_and(|g| g != self.owner.gid) {
            return reply.error(Errno::EPERM);
        }
        let mut s = self.lock();
        let r = (|| -> std::result::Result<(), Errno> {
            if let Some(t) = atime {
                let t = match t {
                    TimeOrNow::Now => SystemTime::now(),
                    TimeOrNow::SpecificTime(t) => t,
                };
                let key = s.idx(ino).unwrap_or(ROOT_KEY);
                s.extra.entry(key).or_default().atime = Some(t);
            }
            let Some(idx) = s.idx(ino) else {
                // The root's entry is the volume's: nothing to set.
                return Ok(());
            };
            let modified = match mtime {
                None => None,
                Some(TimeOrNow::Now) => Some(DosTime::now()),
                Some(TimeOrNow::SpecificTime(t)) => Some(dos_time(t).ok_or(Errno::EINVAL)?),
            };
            if let Some(len) = size {
                s.v.set_len(idx, len).map_err(|e| errno(&e))?;
            }
            let read_only = mode.map(|m| m & 0o222 == 0);
            if mode.is_some()
                && let Some(x) = s.extra.get_mut(&idx)
            {
                x.read_only_at_close = false;
            }
            if modified.is_some() || read_only.is_some() {
                s.v.set_info(idx, modified, read_only)
                    .map_err(|e| errno(&e))?;
            }
            if modified.is_some() {
                // A time given shows as the entry holds it (2-second
                // resolution); "now" as now.
                s.extra.entry(idx).or_default().mtime = match mtime {
                    Some(TimeOrNow::Now) => Some(SystemTime::now()),
                    _ => None,
                };
            }
            Ok(())
        })();
        if r.is_ok() {
            s.changed(ino, false);
        }
        self.report(&mut s);
        match r.and_then(|()| s.attr(ino, self.owner)) {
            Ok(a) => reply.attr(&TTL, &a),
            Err(e) => reply.error(e),
        }
    }

    fn mknod(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        _rdev: u32,
        reply: ReplyEntry,
    ) {
        // NetWare holds files and directories only.
        if mode & libc::S_IFMT != libc::S_IFREG {
            return reply.error(Errno::EPERM);
        }
        match self.make_file(req, parent, name, mode & !umask) {
            Ok(a) => reply.entry(&TTL, &a, Generation(0)),
            Err(e) => reply.error(e),
        }
    }

    fn mkdir(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        _mode: u32,
        _umask: u32,
        reply: ReplyEntry,
    ) {
        if let Err(e) = self.writable() {
            return reply.error(e);
        }
        let mut s = self.lock();
        let r = dir_id(&s, parent).and_then(|dir| {
            let name = text(name)?;
            s.v.mkdir(dir, name, now_times()).map_err(|e| errno(&e))
        });
        if r.is_ok() {
            s.changed(parent, true);
        }
        match r.and_then(|i| {
            s.born(i);
            s.attr(s.ino(i), self.owner)
        }) {
            Ok(a) => reply.entry(&TTL, &a, Generation(0)),
            Err(e) => {
                self.report(&mut s);
                reply.error(e)
            }
        }
    }

    fn unlink(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        if let Err(e) = self.writable() {
            return reply.error(e);
        }
        let mut s = self.lock();
        let r = child(&s, parent, name).and_then(|i| {
            if s.v.index().get(i).is_some_and(|n| n.is_dir()) {
                return Err(Errno::EISDIR);
            }
            // Deleted as NetWare deletes: salvageable until purged.
            s.v.remove(Target::Entry(i), false, false)
                .map(|_| ())
                .map_err(|e| errno(&e))?;
            s.changed(parent, true);
            let ino = s.ino(i);
            s.changed(ino, false);
            Ok(())
        });
        self.answer(&mut s, r, reply);
    }

    fn rmdir(&self, _req: &Request, parent: INodeNo, name: &OsStr, reply: ReplyEmpty) {
        if let Err(e) = self.writable() {
            return reply.error(e);
        }
        let mut s = self.lock();
        let r = child(&s, parent, name).and_then(|i| remove_dir(&mut s.v, i));
        if r.is_ok() {
            s.changed(parent, true);
        }
        self.answer(&mut s, r, reply);
    }

    fn symlink(
        &self,
        _req: &Request,
        _parent: INodeNo,
        _link_name: &OsStr,
        _target: &std::path::Path,
        reply: ReplyEntry,
    ) {
        reply.error(Errno::EPERM);
    }

    fn link(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _newparent: INodeNo,
        _newname: &OsStr,
        reply: ReplyEntry,
    ) {
        reply.error(Errno::EPERM);
    }

    fn rename(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        newparent: INodeNo,
        newname: &OsStr,
        flags: RenameFlags,
        reply: ReplyEmpty,
    ) {
        if let Err(e) = self.writable() {
            return reply.error(e);
        }
        if flags.contains(RenameFlags::RENAME_EXCHANGE) {
            return reply.error(Errno::EINVAL);
        }
        let mut s = self.lock();
        let r = (|| -> std::result::Result<(), Errno> {
            let idx = child(&s, parent, name)?;
            let dest = dir_id(&s, newparent)?;
            let new = text(newname)?;
            let moving_dir = s.v.index().get(idx).is_some_and(|n| n.is_dir());
            if let Some(other) = s.v.index().lookup(dest, new).filter(|&o| o != idx) {
                if flags.contains(RenameFlags::RENAME_NOREPLACE) {
                    return Err(Errno::EEXIST);
                }
                let other_dir = s.v.index().get(other).is_some_and(|n| n.is_dir());
                match (moving_dir, other_dir) {
                    (false, true) => return Err(Errno::EISDIR),
                    (true, false) => return Err(Errno::ENOTDIR),
                    (true, true) => remove_dir(&mut s.v, other)?,
                    // The file replaced stays salvageable, as a file
                    // deleted on NetWare does.
                    (false, false) => {
                        s.v.remove(Target::Entry(other), false, false)
                            .map_err(|e| errno(&e))?;
                    }
                }
            }
            s.v.rename(idx, dest, new).map_err(|e| errno(&e))?;
            s.changed(parent, true);
            s.changed(newparent, true);
            let ino = s.ino(idx);
            s.changed(ino, false);
            Ok(())
        })();
        self.answer(&mut s, r, reply);
    }

    fn open(&self, _req: &Request, ino: INodeNo, flags: OpenFlags, reply: ReplyOpen) {
        let writes = flags.0 & libc::O_ACCMODE != libc::O_RDONLY;
        if writes && let Err(e) = self.writable() {
            return reply.error(e);
        }
        let s = self.lock();
        match s.idx(ino).and_then(|i| s.v.index().get(i)) {
            Some(n) if n.is_dir() => reply.error(Errno::EISDIR),
            Some(_) => reply.opened(FileHandle(0), FopenFlags::empty()),
            None => reply.error(Errno::ENOENT),
        }
    }

    fn read(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        size: u32,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyData,
    ) {
        let mut s = self.lock();
        let Some(idx) = s.idx(ino) else {
            return reply.error(Errno::EISDIR);
        };
        let mut buf = vec![0u8; size as usize];
        match s.v.read_at(idx, offset, &mut buf) {
            Ok(n) => reply.data(&buf[..n]),
            Err(e) => {
                // Bytes a checksum disowns are never returned.
                let no = self.failed(&mut s, &e);
                reply.error(no)
            }
        }
    }

    fn write(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        data: &[u8],
        _write_flags: WriteFlags,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        reply: ReplyWrite,
    ) {
        if let Err(e) = self.writable() {
            return reply.error(e);
        }
        let mut s = self.lock();
        let Some(idx) = s.idx(ino) else {
            return reply.error(Errno::EISDIR);
        };
        match s.v.write_at(idx, offset, data) {
            Ok(()) => {
                s.changed(ino, false);
                reply.written(data.len() as u32)
            }
            Err(e) => {
                let no = self.failed(&mut s, &e);
                reply.error(no)
            }
        }
    }

    fn release(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        _flags: OpenFlags,
        _lock_owner: Option<LockOwner>,
        _flush: bool,
        reply: ReplyEmpty,
    ) {
        let mut s = self.lock();
        if let Some(i) = s.idx(ino)
            && let Some(x) = s.extra.get_mut(&i)
            && x.read_only_at_close
        {
            x.read_only_at_close = false;
            if let Err(e) = s.v.set_info(i, None, Some(true)) {
                let _ = self.failed(&mut s, &e);
            }
        }
        reply.ok();
    }

    fn flush(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _lock_owner: LockOwner,
        reply: ReplyEmpty,
    ) {
        reply.ok();
    }

    fn fsync(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        self.sync(reply);
    }

    fn fsyncdir(
        &self,
        _req: &Request,
        _ino: INodeNo,
        _fh: FileHandle,
        _datasync: bool,
        reply: ReplyEmpty,
    ) {
        self.sync(reply);
    }

    fn opendir(&self, _req: &Request, ino: INodeNo, _flags: OpenFlags, reply: ReplyOpen) {
        let s = self.lock();
        match dir_id(&s, ino) {
            Ok(_) => reply.opened(FileHandle(0), FopenFlags::empty()),
            Err(e) => reply.error(e),
        }
    }

    fn readdir(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        mut reply: ReplyDirectory,
    ) {
        let s = self.lock();
        let dir = match dir_id(&s, ino) {
            Ok(d) => d,
            Err(e) => return reply.error(e),
        };
        let parent = match s.idx(ino).and_then(|i| s.v.index().get(i)) {
            Some(n) => match n.parent() {
                ROOT_ID => INodeNo(super::attr::ROOT_INO),
                p => {
                    s.v.index()
                        .dir_index(p)
                        .map(|i| s.ino(i))
                        .unwrap_or(INodeNo(super::attr::ROOT_INO))
                }
            },
            None => INodeNo(super::attr::ROOT_INO),
        };
        let mut all: Vec<(INodeNo, FileType, String)> = vec![
            (ino, FileType::Directory, ".".into()),
            (parent, FileType::Directory, "..".into()),
        ];
        for n in s.v.list(dir) {
            let kind = if n.is_dir() {
                FileType::Directory
            } else {
                FileType::RegularFile
            };
            all.push((s.ino(n.index), kind, n.name().to_string()));
        }
        for (i, (ino, kind, name)) in all.into_iter().enumerate().skip(offset as usize) {
            if reply.add(ino, (i + 1) as u64, kind, name) {
                break;
            }
        }
        reply.ok();
    }

    fn statfs(&self, _req: &Request, _ino: INodeNo, reply: ReplyStatfs) {
        let mut s = self.lock();
        let bs = s.v.vol.block_size;
        let entries = u64::from(s.v.table().len());
        let free_entries = s.v.table().free_entries() as u64;
        match s.v.space() {
            Ok((total, avail)) => reply.statfs(
                total,
                avail,
                avail,
                entries + avail,
                free_entries + avail,
                bs,
                255,
                bs,
            ),
            Err(e) => reply.error(errno(&e)),
        }
    }

    fn create(
        &self,
        req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
        umask: u32,
        _flags: i32,
        reply: ReplyCreate,
    ) {
        match self.make_file(req, parent, name, mode & !umask) {
            Ok(a) => reply.created(&TTL, &a, Generation(0), FileHandle(0), FopenFlags::empty()),
            Err(e) => reply.error(e),
        }
    }

    fn fallocate(
        &self,
        _req: &Request,
        ino: INodeNo,
        _fh: FileHandle,
        offset: u64,
        length: u64,
        mode: i32,
        reply: ReplyEmpty,
    ) {
        if let Err(e) = self.writable() {
            return reply.error(e);
        }
        // Only plain allocation: NetWare files have no holes to punch.
        if mode != 0 {
            return reply.error(Errno::EOPNOTSUPP);
        }
        let mut s = self.lock();
        let Some(idx) = s.idx(ino) else {
            return reply.error(Errno::EISDIR);
        };
        let r = (|| -> Result<()> {
            let len = match s.v.index().get(idx).map(|n| n.length()) {
                Some(l) => u64::from(l),
                None => return Err(Error::NotFound(format!("entry {idx}"))),
            };
            let end = offset.saturating_add(length);
            if end > len {
                s.v.set_len(idx, end)?;
            }
            Ok(())
        })();
        match r {
            Ok(()) => reply.ok(),
            Err(e) => {
                let no = self.failed(&mut s, &e);
                reply.error(no)
            }
        }
    }
}

impl NwFs {
    /// Makes an empty file; `mode` without write bits makes it read-only.
    fn make_file(
        &self,
        _req: &Request,
        parent: INodeNo,
        name: &OsStr,
        mode: u32,
    ) -> std::result::Result<fuser::FileAttr, Errno> {
        self.writable()?;
        let mut s = self.lock();
        let r = (|| {
            let dir = dir_id(&s, parent)?;
            let name = text(name)?;
            let i =
                s.v.create_file(dir, name, now_times())
                    .map_err(|e| errno(&e))?;
            s.born(i);
            if mode & 0o222 == 0 {
                s.extra.entry(i).or_default().read_only_at_close = true;
            }
            s.changed(parent, true);
            s.attr(s.ino(i), self.owner)
        })();
        if r.is_err() {
            self.report(&mut s);
        }
        r
    }

    /// Commits and waits until every in-sync member holds it.
    fn sync(&self, reply: ReplyEmpty) {
        if self.read_only {
            return reply.ok();
        }
        let mut s = self.lock();
        match durable(&mut s.v) {
            Ok(()) => {
                self.report(&mut s);
                reply.ok()
            }
            Err(e) => {
                let no = self.failed(&mut s, &e);
                reply.error(no)
            }
        }
    }
}

/// Closes the open commit and makes it durable on every in-sync member
/// (fsync, the ticker). Unlike the sync at unmount, it leaves the
/// write-intent bits set: the mount goes on writing, and setting them
/// again at the next write would cost a synchronous write per fsync.
pub fn durable(v: &mut OpenVolume) -> Result<()> {
    v.commit()?;
    v.io().barrier()
}

/// Removes an empty directory (ENOTEMPTY while it holds a live entry).
fn remove_dir(v: &mut OpenVolume, idx: u32) -> std::result::Result<(), Errno> {
    let node = v.index().get(idx).ok_or(Errno::ENOENT)?;
    let Some(id) = node.dir_id() else {
        return Err(Errno::ENOTDIR);
    };
    if !v.list(id).is_empty() {
        return Err(Errno::ENOTEMPTY);
    }
    v.remove(Target::Entry(idx), false, false)
        .map(|_| ())
        .map_err(|e| errno(&e))
}
