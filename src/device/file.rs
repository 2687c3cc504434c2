//! Image files and raw block devices.
//!
//! A [`FileDevice`] is opened once and then driven with positioned I/O
//! (pread, pwritev) from any number of threads. Writers hold an exclusive
//! advisory lock (`flock`) for as long as the device is open, and raw block
//! devices are opened `O_EXCL` for writing, so the kernel refuses when the
//! device is mounted or claimed by another exclusive opener. Readers that
//! need a stable volume (file commands, verify) share a lock that keeps
//! writers out; observers (`inspect`, `mirror status`) take none, so they
//! work while a long remirror runs. A busy lock fails at once, or after
//! waiting up to the time given to [`FileDevice::open_waiting`] (`--wait`).

use std::fs::File;
use std::io::{self, IoSlice};
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileExt, FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::lock::Recover;
use crate::units::SECTOR;

use super::aligned::{AlignedBuf, is_aligned_ptr};
use super::{Device, DeviceError, DeviceKind, DeviceResult};

/// How to open a [`FileDevice`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpenOptions {
    /// Open for writing (takes the exclusive lock).
    pub write: bool,
    /// Create a missing image file of this many bytes (sparse); for an
    /// existing image the size must match. Ignored for block devices.
    pub create_size: Option<u64>,
    /// Use O_DIRECT (bypass the page cache).
    pub direct: bool,
    /// For a read-only open: take a shared lock, so that no writer starts
    /// while this reader runs (readers share it). Without it a reader
    /// takes no lock (`inspect` and `mirror status` during a remirror).
    pub read_lock: bool,
}

impl OpenOptions {
    /// Options for a read-only open.
    pub fn read_only() -> OpenOptions {
        OpenOptions::default()
    }

    /// Options for a read-write open of an existing device.
    pub fn read_write() -> OpenOptions {
        OpenOptions {
            write: true,
            ..OpenOptions::default()
        }
    }
}

/// An image file or a raw block device.
#[derive(Debug)]
pub struct FileDevice {
    name: String,
    file: File,
    kind: DeviceKind,
    size: u64,
    /// The size before rounding down to whole sectors.
    bytes: u64,
    align: usize,
    direct: bool,
    writable: bool,
    fresh: bool,
    /// Ranges of large buffered writes whose write-back was started, oldest
    /// first: dropped from the page cache a few writes later (see
    /// [`FileDevice::start_writeback`]).
    behind: std::sync::Mutex<Behind>,
}

/// The large buffered writes being dropped behind (see
/// [`FileDevice::start_writeback`]).
#[derive(Debug, Default)]
struct Behind {
    /// The latest ranges, oldest first: dropped a few writes later.
    recent: std::collections::VecDeque<(u64, u64)>,
    /// Where large writes went since the last sync (start, end): dropped
    /// after it, when every page of them is clean.
    span: Option<(u64, u64)>,
}

/// Drops `[offset, offset + len)` of `fd` from the page cache, reaching
/// back [`DROP_OVERLAP`] before it: the page cache holds large folios,
/// dropped only once wholly inside the range. Dirty pages and pages under
/// write-back stay; nothing waits.
fn drop_pages(fd: std::os::fd::RawFd, offset: u64, len: u64) {
    let from = offset.saturating_sub(DROP_OVERLAP);
    let (Ok(off), Ok(n)) = (
        libc::off64_t::try_from(from),
        libc::off64_t::try_from(offset + len - from),
    ) else {
        return;
    };
    // SAFETY: posix_fadvise on a valid descriptor; no memory passed.
    unsafe {
        libc::posix_fadvise(fd, off, n, libc::POSIX_FADV_DONTNEED);
    }
}

// ioctl numbers libc does not define (see linux/fs.h).
#[cfg(any(
    target_arch = "powerpc",
    target_arch = "powerpc64",
    target_arch = "mips",
    target_arch = "mips64",
    target_arch = "sparc",
    target_arch = "sparc64"
))]
mod ioctls {
    /// _IOR(0x12, 114, size_t)
    pub const BLKGETSIZE64: u64 = (2 << 29) | (8 << 16) | (0x12 << 8) | 114;
    /// _IO(0x12, 127)
    pub const BLKZEROOUT: u64 = (1 << 29) | (0x12 << 8) | 127;
}
#[cfg(not(any(
    target_arch = "powerpc",
    target_arch = "powerpc64",
    target_arch = "mips",
    target_arch = "mips64",
    target_arch = "sparc",
    target_arch = "sparc64"
)))]
mod ioctls {
    /// _IOR(0x12, 114, size_t)
    pub const BLKGETSIZE64: u64 = (2 << 30) | (8 << 16) | (0x12 << 8) | 114;
    /// _IO(0x12, 127)
    pub const BLKZEROOUT: u64 = (0x12 << 8) | 127;
}

/// Alignment used for O_DIRECT on image files when the file system does
/// not say (safe for every file system block size up to 4 KiB).
const IMAGE_DIRECT_ALIGN: usize = 4096;

/// The alignment O_DIRECT needs on image file `file`: what the file system
/// reports through statx (STATX_DIOALIGN: ext4 and XFS on a 512-byte
/// sector disk take 512), else [`IMAGE_DIRECT_ALIGN`].
fn image_direct_align(file: &File) -> usize {
    // SAFETY: statx of the open descriptor (empty path, AT_EMPTY_PATH)
    // into a zeroed struct statx owned here.
    let mut stx: libc::statx = unsafe { std::mem::zeroed() };
    let r = unsafe {
        libc::statx(
            file.as_raw_fd(),
            c"".as_ptr(),
            libc::AT_EMPTY_PATH,
            libc::STATX_DIOALIGN,
            &mut stx,
        )
    };
    if r != 0 || stx.stx_mask & libc::STATX_DIOALIGN == 0 {
        return IMAGE_DIRECT_ALIGN;
    }
    let align = (stx.stx_dio_offset_align as usize).max(stx.stx_dio_mem_align as usize);
    if stx.stx_dio_offset_align == 0 || !align.is_power_of_two() || align > IMAGE_DIRECT_ALIGN {
        // 0: no direct I/O on this file; larger: not worth the bounces.
        return IMAGE_DIRECT_ALIGN;
    }
    align.max(SECTOR)
}
/// Largest bounce buffer used for unaligned O_DIRECT I/O.
const BOUNCE_MAX: usize = 1 << 20;
/// Buffered writes at least this long start their write-back at once
/// (see [`FileDevice::start_writeback`]).
const WRITEBACK_START: u64 = 1 << 20;
/// Large buffered writes whose pages stay in the page cache before they
/// are dropped (see [`FileDevice::start_writeback`]).
const BEHIND: usize = 2;
/// How far a drop behind a stream reaches back before its range: at least
/// the largest page-cache folio.
const DROP_OVERLAP: u64 = 8 << 20;

/// True when `path` names a block device (following symlinks).
pub fn is_block_device(path: &Path) -> bool {
    std::fs::metadata(path)
        .map(|m| m.file_type().is_block_device())
        .unwrap_or(false)
}

/// The most iovecs one pwritev call accepts.
fn iov_max() -> usize {
    static MAX: OnceLock<usize> = OnceLock::new();
    *MAX.get_or_init(|| {
        // SAFETY: sysconf has no preconditions.
        let v = unsafe { libc::sysconf(libc::_SC_IOV_MAX) };
        if v > 0 { v as usize } else { 1024 }
    })
}

fn errno_is(e: &io::Error, codes: &[i32]) -> bool {
    e.raw_os_error().is_some_and(|c| codes.contains(&c))
}

impl FileDevice {
    /// Opens (or with `create_size`, creates) an image file or block device;
    /// a lock another process holds fails at once.
    pub fn open(path: &Path, opts: &OpenOptions) -> DeviceResult<FileDevice> {
        FileDevice::open_waiting(path, opts, Duration::ZERO)
    }

    /// Like [`FileDevice::open`], waiting up to `lock_wait` for a lock
    /// another process holds before failing with "device busy".
    pub fn open_waiting(
        path: &Path,
        opts: &OpenOptions,
        lock_wait: Duration,
    ) -> DeviceResult<FileDevice> {
        let name = path.display().to_string();
        let open_err = |source: io::Error| DeviceError::Open {
            device: name.clone(),
            source,
        };
        let unusable = |reason: String| DeviceError::Unusable {
            device: name.clone(),
            reason,
        };

        let meta = match std::fs::metadata(path) {
            Ok(m) => Some(m),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(open_err(e)),
        };

        let Some(meta) = meta else {
            return match opts.create_size {
                Some(size) if opts.write => Self::create(path, name.clone(), size, opts, lock_wait),
                Some(_) => Err(open_err(io::Error::new(
                    io::ErrorKind::NotFound,
                    "no such file (it can only be created when opened for writing)",
                ))),
                // Only a command that writes can create an image.
                None if opts.write => Err(open_err(io::Error::new(
                    io::ErrorKind::NotFound,
                    "no such file; give --size to create it",
                ))),
                None => Err(open_err(io::Error::new(
                    io::ErrorKind::NotFound,
                    "no such file or device",
                ))),
            };
        };

        let ft = meta.file_type();
        let kind = if ft.is_block_device() {
            DeviceKind::Block
        } else if ft.is_file() {
            DeviceKind::Image
        } else if ft.is_dir() {
            return Err(unusable(
                "is a directory, not an image file or block device".into(),
            ));
        } else {
            return Err(unusable(
                "is neither an image file nor a block device".into(),
            ));
        };

        if kind == DeviceKind::Image
            && let Some(want) = opts.create_size
            && want != meta.len()
        {
            let (has, asked) = crate::units::format_size_pair(meta.len(), want);
            return Err(unusable(format!(
                "exists with {has}, not the {asked} that --size asks; remove it or drop --size"
            )));
        }

        let mut flags = 0;
        if opts.direct {
            flags |= libc::O_DIRECT;
        }
        if kind == DeviceKind::Block && opts.write {
            flags |= libc::O_EXCL;
        }
        let file = with_busy_grace(
            || {
                std::fs::OpenOptions::new()
                    .read(true)
                    .write(opts.write)
                    .custom_flags(flags)
                    .open(path)
            },
            |e| kind == DeviceKind::Block && errno_is(e, &[libc::EBUSY]),
        )
        .map_err(|e| {
            if kind == DeviceKind::Block && errno_is(&e, &[libc::EBUSY]) {
                DeviceError::Busy {
                    device: name.clone(),
                    reason: "it is mounted, or in use by another program (the kernel \
                                 refused an exclusive open)"
                        .into(),
                }
            } else if opts.direct && errno_is(&e, &[libc::EINVAL]) {
                unusable("its file system does not support direct I/O (O_DIRECT)".into())
            } else {
                open_err(e)
            }
        })?;
        if opts.write {
            lock(&file, &name, true, lock_wait)?;
        } else if opts.read_lock {
            lock(&file, &name, false, lock_wait)?;
        }

        let (size, align) = match kind {
            DeviceKind::Block => {
                let mut size: u64 = 0;
                // SAFETY: BLKGETSIZE64 writes one u64 through the pointer.
                let r = unsafe {
                    libc::ioctl(
                        file.as_raw_fd(),
                        ioctls::BLKGETSIZE64 as _,
                        &mut size as *mut u64,
                    )
                };
                if r < 0 {
                    return Err(open_err(io::Error::last_os_error()));
                }
                let mut ssz: libc::c_int = 0;
                // SAFETY: BLKSSZGET writes one int through the pointer.
                let r = unsafe {
                    libc::ioctl(
                        file.as_raw_fd(),
                        libc::BLKSSZGET as _,
                        &mut ssz as *mut libc::c_int,
                    )
                };
                let ssz = if r < 0 { SECTOR } else { ssz as usize };
                let align = if ssz >= SECTOR && ssz.is_power_of_two() {
                    ssz
                } else {
                    SECTOR
                };
                (size, align)
            }
            _ => {
                let align = if opts.direct {
                    image_direct_align(&file)
                } else {
                    SECTOR
                };
                (meta.len(), align)
            }
        };
        // Whole sectors only; a trailing partial sector is ignored.
        let bytes = size;
        let size = size - size % SECTOR as u64;

        Ok(FileDevice {
            name,
            file,
            kind,
            size,
            bytes,
            align,
            direct: opts.direct,
            writable: opts.write,
            fresh: false,
            behind: Default::default(),
        })
    }

    fn create(
        path: &Path,
        name: String,
        size: u64,
        opts: &OpenOptions,
        lock_wait: Duration,
    ) -> DeviceResult<FileDevice> {
        if size == 0 || !size.is_multiple_of(SECTOR as u64) {
            return Err(DeviceError::Unusable {
                device: name,
                reason: format!(
                    "cannot create an image of {size} bytes: the size must be a non-zero multiple of 512"
                ),
            });
        }
        let open_err = |source: io::Error| DeviceError::Open {
            device: name.clone(),
            source,
        };
        let mut flags = 0;
        if opts.direct {
            flags |= libc::O_DIRECT;
        }
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .mode(0o644)
            .custom_flags(flags)
            .open(path)
            .map_err(|e| {
                if opts.direct && errno_is(&e, &[libc::EINVAL]) {
                    let _ = std::fs::remove_file(path);
                    DeviceError::Unusable {
                        device: name.clone(),
                        reason: "its file system does not support direct I/O (O_DIRECT)".into(),
                    }
                } else {
                    open_err(e)
                }
            })?;
        lock(&file, &name, true, lock_wait)?;
        if let Err(e) = file.set_len(size) {
            let _ = std::fs::remove_file(path);
            if errno_is(&e, &[libc::EFBIG]) {
                return Err(DeviceError::Unusable {
                    device: name,
                    reason: format!(
                        "cannot create an image of {}: larger than its file system allows a file to be",
                        crate::units::format_size(size)
                    ),
                });
            }
            return Err(open_err(e));
        }
        let align = if opts.direct {
            image_direct_align(&file)
        } else {
            SECTOR
        };
        Ok(FileDevice {
            name: name.clone(),
            file,
            kind: DeviceKind::Image,
            size,
            bytes: size,
            align,
            direct: opts.direct,
            writable: true,
            fresh: true,
            behind: Default::default(),
        })
    }

    /// True when the device was opened with O_DIRECT.
    pub fn is_direct(&self) -> bool {
        self.direct
    }

    /// True when the device was opened for writing.
    pub fn is_writable(&self) -> bool {
        self.writable
    }

    fn io_err(&self, op: &'static str, offset: u64, source: io::Error) -> DeviceError {
        DeviceError::Io {
            device: self.name.clone(),
            op,
            offset,
            source,
        }
    }

    fn check_range(&self, op: &'static str, offset: u64, len: u64) -> DeviceResult<()> {
        match offset.checked_add(len) {
            Some(end) if end <= self.size => Ok(()),
            _ => Err(DeviceError::OutOfRange {
                device: self.name.clone(),
                op,
                offset,
                len,
                size: self.size,
            }),
        }
    }

    fn check_writable(&self, op: &'static str, offset: u64) -> DeviceResult<()> {
        if self.writable {
            Ok(())
        } else {
            Err(self.io_err(
                op,
                offset,
                io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    "device was opened read-only",
                ),
            ))
        }
    }

    fn aligned(&self, v: u64) -> bool {
        v.is_multiple_of(self.align as u64)
    }

    /// pread loop into `buf` at `offset` (no range or alignment handling).
    fn pread_exact(&self, buf: &mut [u8], offset: u64) -> DeviceResult<()> {
        let want = buf.len();
        self.pread_at_least(buf, offset, want)
    }

    /// pread loop into `buf` at `offset` until at least `want` bytes came.
    fn pread_at_least(&self, buf: &mut [u8], offset: u64, want: usize) -> DeviceResult<()> {
        let mut got = 0usize;
        while got < want {
            match self.file.read_at(&mut buf[got..], offset + got as u64) {
                Ok(0) => {
                    return Err(DeviceError::ShortRead {
                        device: self.name.clone(),
                        offset,
                        got,
                        want,
                    });
                }
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_err("read", offset + got as u64, e)),
            }
        }
        Ok(())
    }

    /// pwritev loop over `iovs` at `offset`, at most IOV_MAX per call.
    fn pwritev_all(&self, iovs: &mut [libc::iovec], offset: u64) -> DeviceResult<()> {
        let max = iov_max();
        let mut idx = 0usize;
        let mut off = offset;
        while idx < iovs.len() {
            if iovs[idx].iov_len == 0 {
                idx += 1;
                continue;
            }
            let cnt = (iovs.len() - idx).min(max);
            let Ok(loff) = libc::off_t::try_from(off) else {
                return Err(self.io_err(
                    "write",
                    off,
                    io::Error::new(io::ErrorKind::InvalidInput, "offset too large"),
                ));
            };
            // SAFETY: iovs[idx..idx+cnt] are valid iovecs over live buffers
            // borrowed for the duration of this call.
            let r = unsafe {
                libc::pwritev(
                    self.file.as_raw_fd(),
                    iovs[idx..].as_ptr(),
                    cnt as libc::c_int,
                    loff,
                )
            };
            if r < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(self.io_err("write", off, e));
            }
            if r == 0 {
                return Err(self.io_err(
                    "write",
                    off,
                    io::Error::new(io::ErrorKind::WriteZero, "the device accepted no bytes"),
                ));
            }
            let mut n = r as usize;
            off += n as u64;
            while n > 0 && idx < iovs.len() {
                let l = iovs[idx].iov_len;
                if n >= l {
                    n -= l;
                    idx += 1;
                } else {
                    // SAFETY: advancing within the same buffer (n < len).
                    iovs[idx].iov_base = unsafe { (iovs[idx].iov_base as *mut u8).add(n) }.cast();
                    iovs[idx].iov_len = l - n;
                    n = 0;
                }
            }
        }
        Ok(())
    }

    /// Writes `len` zero bytes at `offset` with ordinary writes.
    fn write_zeros(&self, offset: u64, len: u64) -> DeviceResult<()> {
        let chunk = BOUNCE_MAX.min(len as usize).max(1);
        let zeros =
            AlignedBuf::new(chunk, self.align).map_err(|e| self.io_err("zero", offset, e))?;
        let mut done = 0u64;
        while done < len {
            let n = (len - done).min(chunk as u64) as usize;
            self.write_vectored_at(&[IoSlice::new(&zeros[..n])], offset + done)?;
            done += n as u64;
        }
        Ok(())
    }
}

/// Test hook: with `NWVOL_TEST_KILL_AFTER_WRITES=N` in the environment the
/// process SIGKILLs itself right after its Nth device write (counted over
/// every [`FileDevice`], member and thread), so the fault campaign
/// (tests/faults/campaign.rs) can cut a command short at an exact write.
/// Unset, it costs one load per write. Only with the `testing` feature (the
/// build `cargo test` makes): a release binary has no such switch.
#[cfg(feature = "testing")]
mod kill_switch {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};

    static LIMIT: OnceLock<u64> = OnceLock::new();
    static WRITES: AtomicU64 = AtomicU64::new(0);

    /// Counts one write; kills the process at the chosen one.
    pub(super) fn after_write() {
        let limit = *LIMIT.get_or_init(|| {
            std::env::var("NWVOL_TEST_KILL_AFTER_WRITES")
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0)
        });
        if limit != 0 && WRITES.fetch_add(1, Ordering::Relaxed) + 1 == limit {
            // SAFETY: kill(2) on our own pid; nothing is borrowed.
            unsafe {
                libc::kill(libc::getpid(), libc::SIGKILL);
            }
        }
    }
}

/// How long a lock or exclusive open that looks held is retried.
///
/// When another thread of this process spawns a child, the child holds
/// copies of our descriptors between fork and exec (O_CLOEXEC closes them
/// only at exec). A device closed and reopened in that window still looks
/// locked by the child's copy. This short grace covers that window; it is
/// far too short to wait for a real holder, which gets `Busy` promptly.
const BUSY_GRACE: Duration = Duration::from_millis(150);

/// Runs `attempt` until it succeeds, fails with an error `busy` does not
/// accept, or [`BUSY_GRACE`] has passed.
fn with_busy_grace<T>(
    mut attempt: impl FnMut() -> io::Result<T>,
    busy: impl Fn(&io::Error) -> bool,
) -> io::Result<T> {
    let deadline = Instant::now() + BUSY_GRACE;
    loop {
        match attempt() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if busy(&e) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(3));
            }
            r => return r,
        }
    }
}

/// Takes the advisory lock: exclusive for a writer, shared for a reader.
/// When another holder has it, retries for `lock_wait` (`--wait`; at
/// least a short grace, see [`BUSY_GRACE`]), then fails with `Busy`.
fn lock(file: &File, name: &str, exclusive: bool, lock_wait: Duration) -> DeviceResult<()> {
    let op = if exclusive {
        libc::LOCK_EX
    } else {
        libc::LOCK_SH
    };
    let wait = lock_wait.max(BUSY_GRACE);
    let deadline = Instant::now() + wait;
    let r = loop {
        // SAFETY: flock on a valid descriptor.
        let r = unsafe { libc::flock(file.as_raw_fd(), op | libc::LOCK_NB) };
        if r == 0 {
            break Ok(());
        }
        let e = io::Error::last_os_error();
        match e.kind() {
            io::ErrorKind::Interrupted => {}
            _ if errno_is(&e, &[libc::EWOULDBLOCK, libc::EAGAIN]) && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(if wait > BUSY_GRACE {
                    50
                } else {
                    3
                }));
            }
            _ => break Err(e),
        }
    };
    let waited = lock_wait.as_millis() as u64;
    let hint = if waited > 0 {
        format!(" (waited {:.1} s)", waited as f64 / 1000.0)
    } else {
        "; wait for it to finish, or give --wait SECONDS".to_string()
    };
    match r {
        Ok(()) => Ok(()),
        Err(e) if errno_is(&e, &[libc::EWOULDBLOCK, libc::EAGAIN]) => Err(DeviceError::Busy {
            device: name.to_string(),
            reason: if exclusive {
                format!(
                    "another nwvol (or another program) holds it open for writing or reading{hint}"
                )
            } else {
                format!("another nwvol (or another program) holds it open for writing{hint}")
            },
        }),
        Err(e) => Err(DeviceError::Open {
            device: name.to_string(),
            source: e,
        }),
    }
}

impl Device for FileDevice {
    fn name(&self) -> &str {
        &self.name
    }

    fn kind(&self) -> DeviceKind {
        self.kind
    }

    fn size(&self) -> u64 {
        self.size
    }
    fn bytes(&self) -> u64 {
        self.bytes
    }

    fn alignment(&self) -> usize {
        self.align
    }

    fn read_at(&self, buf: &mut [u8], offset: u64) -> DeviceResult<()> {
        let len = buf.len() as u64;
        self.check_range("read", offset, len)?;
        if len == 0 {
            return Ok(());
        }
        if !self.direct
            || (is_aligned_ptr(buf.as_ptr(), self.align)
                && self.aligned(offset)
                && self.aligned(len))
        {
            return self.pread_exact(buf, offset);
        }
        // O_DIRECT with unaligned memory, offset or length: read the covering
        // aligned range through a bounce buffer, a chunk at a time.
        let a = self.align as u64;
        let mut done = 0u64;
        while done < len {
            let pos = offset + done;
            let start = pos - pos % a;
            let skip = (pos - start) as usize;
            let want = ((len - done) as usize).min(BOUNCE_MAX - skip);
            let span = (skip + want).div_ceil(self.align) * self.align;
            let mut bounce =
                AlignedBuf::new(span, self.align).map_err(|e| self.io_err("read", pos, e))?;
            // The aligned span may run past the end of an image file whose
            // length is not a multiple of the alignment: a short read there
            // is fine as long as the bytes asked for arrived.
            self.pread_at_least(&mut bounce, start, skip + want)?;
            buf[done as usize..done as usize + want].copy_from_slice(&bounce[skip..skip + want]);
            done += want as u64;
        }
        Ok(())
    }

    fn write_vectored_at(&self, bufs: &[IoSlice<'_>], offset: u64) -> DeviceResult<()> {
        let r = self.write_vectored_inner(bufs, offset);
        #[cfg(feature = "testing")]
        kill_switch::after_write();
        r
    }

    fn write_durable_at(&self, buf: &[u8], offset: u64) -> DeviceResult<()> {
        self.check_range("write", offset, buf.len() as u64)?;
        self.check_writable("write", offset)?;
        let direct_ok = !self.direct
            || (is_aligned_ptr(buf.as_ptr(), self.align)
                && self.aligned(offset)
                && self.aligned(buf.len() as u64));
        if !direct_ok {
            self.write_at(buf, offset)?;
            return self.sync();
        }
        // pwritev2(RWF_DSYNC): this write is durable when it returns, and
        // the file system writes back only its range (then flushes the
        // disk cache), where fdatasync would first write back every dirty
        // page of the file: on an image file in the middle of a stream,
        // the whole stream so far.
        let mut done = 0usize;
        while done < buf.len() {
            let iov = libc::iovec {
                iov_base: buf[done..].as_ptr() as *mut libc::c_void,
                iov_len: buf.len() - done,
            };
            let off = offset + done as u64;
            let Ok(loff) = libc::off_t::try_from(off) else {
                return Err(self.io_err(
                    "write",
                    off,
                    io::Error::new(io::ErrorKind::InvalidInput, "offset too large"),
                ));
            };
            // SAFETY: one valid iovec over `buf`, borrowed for the call.
            let r =
                unsafe { libc::pwritev2(self.file.as_raw_fd(), &iov, 1, loff, libc::RWF_DSYNC) };
            if r < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                if done == 0 && errno_is(&e, &[libc::ENOSYS, libc::EOPNOTSUPP, libc::EINVAL]) {
                    // An old kernel: the ordinary way.
                    self.write_at(buf, offset)?;
                    return self.sync();
                }
                return Err(self.io_err("write", off, e));
            }
            if r == 0 {
                return Err(self.io_err(
                    "write",
                    off,
                    io::Error::new(io::ErrorKind::WriteZero, "the device accepted no bytes"),
                ));
            }
            done += r as usize;
        }
        Ok(())
    }

    fn done_reading(&self, offset: u64, len: u64) {
        // Dropped behind a scan: the page cache keeps no copy nobody will
        // read, and its pages are reused warm by the read-ahead.
        if !self.direct {
            drop_pages(self.file.as_raw_fd(), offset, len);
        }
    }

    fn sync(&self) -> DeviceResult<()> {
        loop {
            match self.file.sync_data() {
                Ok(()) => {
                    // Every page of the large writes is clean now: none
                    // stays behind (see `start_writeback`).
                    let span = self.behind.lock().recover().span.take();
                    if let Some((start, end)) = span {
                        drop_pages(self.file.as_raw_fd(), start, end - start);
                    }
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(self.io_err("sync", 0, e)),
            }
        }
    }

    fn zero_range(&self, offset: u64, len: u64) -> DeviceResult<()> {
        self.check_range("zero", offset, len)?;
        self.check_writable("zero", offset)?;
        if len == 0 {
            return Ok(());
        }
        let fallback = [
            libc::EOPNOTSUPP,
            libc::ENOSYS,
            libc::EINVAL,
            libc::ENOTTY,
            libc::EPERM,
        ];
        match self.kind {
            DeviceKind::Block => {
                let range: [u64; 2] = [offset, len];
                // SAFETY: BLKZEROOUT reads two u64 through the pointer.
                let r = unsafe {
                    libc::ioctl(
                        self.file.as_raw_fd(),
                        ioctls::BLKZEROOUT as _,
                        range.as_ptr(),
                    )
                };
                if r == 0 {
                    return Ok(());
                }
                let e = io::Error::last_os_error();
                if !errno_is(&e, &fallback) {
                    return Err(self.io_err("zero", offset, e));
                }
            }
            _ => {
                if let (Ok(o), Ok(l)) = (libc::off_t::try_from(offset), libc::off_t::try_from(len))
                {
                    loop {
                        // SAFETY: fallocate on a valid descriptor.
                        let r = unsafe {
                            libc::fallocate(
                                self.file.as_raw_fd(),
                                libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
                                o,
                                l,
                            )
                        };
                        if r == 0 {
                            return Ok(());
                        }
                        let e = io::Error::last_os_error();
                        if e.kind() == io::ErrorKind::Interrupted {
                            continue;
                        }
                        if !errno_is(&e, &fallback) {
                            return Err(self.io_err("zero", offset, e));
                        }
                        break;
                    }
                }
            }
        }
        self.write_zeros(offset, len)
    }

    fn reads_zeros(&self) -> bool {
        self.fresh
    }
}

impl FileDevice {
    /// The write itself, without the test hook.
    fn write_vectored_inner(&self, bufs: &[IoSlice<'_>], offset: u64) -> DeviceResult<()> {
        let mut total = 0u64;
        for b in bufs {
            total = total.saturating_add(b.len() as u64);
        }
        self.check_range("write", offset, total)?;
        self.check_writable("write", offset)?;
        if total == 0 {
            return Ok(());
        }
        if self.direct {
            if !self.aligned(offset) || !self.aligned(total) {
                return Err(self.io_err(
                    "write",
                    offset,
                    io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!(
                            "direct I/O needs offsets and lengths that are multiples of {} bytes \
                             ({total} bytes asked)",
                            self.align
                        ),
                    ),
                ));
            }
            let all_aligned = bufs
                .iter()
                .all(|b| is_aligned_ptr(b.as_ptr(), self.align) && self.aligned(b.len() as u64));
            if !all_aligned {
                return self.write_bounced(bufs, offset, total);
            }
        }
        let mut iovs: Vec<libc::iovec> = bufs
            .iter()
            .filter(|b| !b.is_empty())
            .map(|b| libc::iovec {
                iov_base: b.as_ptr() as *mut libc::c_void,
                iov_len: b.len(),
            })
            .collect();
        self.pwritev_all(&mut iovs, offset)?;
        if !self.direct && total >= WRITEBACK_START {
            self.start_writeback(offset, total);
        }
        Ok(())
    }

    /// Asks the kernel to start writing `[offset, offset + len)` back now,
    /// without waiting, and drops the ranges written a few large writes
    /// ago from the page cache. nwvol has its own cache and writes back
    /// only what it wants on disk: left to itself the kernel would hold
    /// these pages dirty until the next fdatasync (on a large machine its
    /// thresholds are gigabytes), which then writes the whole stream while
    /// nwvol waits, and would keep a second copy of every block. Started
    /// early, the disk works while nwvol fills its cache; dropped behind,
    /// the page cache stays a few writes large and its pages are reused
    /// warm. Only hints: durability still comes from [`Device::sync`], and
    /// an error here shows there too.
    fn start_writeback(&self, offset: u64, len: u64) {
        let fd = self.file.as_raw_fd();
        if let (Ok(off), Ok(n)) = (
            libc::off64_t::try_from(offset),
            libc::off64_t::try_from(len),
        ) {
            // SAFETY: sync_file_range on a valid descriptor; no memory passed.
            unsafe {
                libc::sync_file_range(fd, off, n, libc::SYNC_FILE_RANGE_WRITE);
            }
        }
        let old = {
            let mut b = self.behind.lock().recover();
            let end = offset + len;
            b.span = Some(
                b.span
                    .map_or((offset, end), |(s, e)| (s.min(offset), e.max(end))),
            );
            b.recent.push_back((offset, len));
            if b.recent.len() > BEHIND {
                b.recent.pop_front()
            } else {
                None
            }
        };
        // Written back by now, most likely; what is not yet goes after
        // the next sync.
        if let Some((o, n)) = old {
            drop_pages(fd, o, n);
        }
    }

    /// O_DIRECT write of unaligned memory: gather into aligned chunks.
    fn write_bounced(&self, bufs: &[IoSlice<'_>], offset: u64, total: u64) -> DeviceResult<()> {
        let chunk = (total as usize).min(BOUNCE_MAX);
        let mut bounce =
            AlignedBuf::new(chunk, self.align).map_err(|e| self.io_err("write", offset, e))?;
        let mut fill = 0usize;
        let mut off = offset;
        for b in bufs {
            let mut src: &[u8] = b;
            while !src.is_empty() {
                let n = src.len().min(chunk - fill);
                bounce[fill..fill + n].copy_from_slice(&src[..n]);
                fill += n;
                src = &src[n..];
                if fill == chunk {
                    self.write_aligned_chunk(&bounce[..fill], off)?;
                    off += fill as u64;
                    fill = 0;
                }
            }
        }
        if fill > 0 {
            self.write_aligned_chunk(&bounce[..fill], off)?;
        }
        Ok(())
    }

    fn write_aligned_chunk(&self, buf: &[u8], offset: u64) -> DeviceResult<()> {
        let mut iov = [libc::iovec {
            iov_base: buf.as_ptr() as *mut libc::c_void,
            iov_len: buf.len(),
        }];
        self.pwritev_all(&mut iov, offset)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rw_create(size: u64) -> OpenOptions {
        OpenOptions {
            write: true,
            create_size: Some(size),
            direct: false,
            read_lock: false,
        }
    }

    #[test]
    fn create_sparse_image_reads_zeros() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.img");
        let d = FileDevice::open(&p, &rw_create(1 << 20)).expect("create");
        assert_eq!(d.size(), 1 << 20);
        assert_eq!(d.kind(), DeviceKind::Image);
        assert!(d.reads_zeros());
        assert_eq!(d.alignment(), 512);
        let mut buf = vec![1u8; 4096];
        d.read_at(&mut buf, 4096).expect("read");
        assert!(buf.iter().all(|&b| b == 0));
        d.write_at(b"hello", 1000).expect("write");
        assert!(d.reads_zeros());
        let mut buf = [0u8; 5];
        d.read_at(&mut buf, 1000).expect("read");
        assert_eq!(&buf, b"hello");
        d.sync().expect("sync");
        drop(d);
        // Reopening an existing image: not fresh; same size is fine.
        let d = FileDevice::open(&p, &rw_create(1 << 20)).expect("reopen");
        assert!(!d.reads_zeros());
        let mut buf = [0u8; 5];
        d.read_at(&mut buf, 1000).expect("read");
        assert_eq!(&buf, b"hello");
    }

    #[test]
    fn missing_without_size_says_give_size() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("none.img");
        let e = FileDevice::open(&p, &OpenOptions::read_write()).unwrap_err();
        assert!(matches!(e, DeviceError::Open { .. }));
        let msg = e.to_string();
        assert!(
            msg.contains("no such file; give --size to create it"),
            "{msg}"
        );
        assert!(msg.contains("none.img"), "{msg}");
    }

    #[test]
    fn wrong_size_is_unusable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.img");
        drop(FileDevice::open(&p, &rw_create(1 << 20)).expect("create"));
        let e = FileDevice::open(&p, &rw_create(2 << 20)).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, DeviceError::Unusable { .. }));
        assert!(
            msg.contains(
                "exists with 1.0 MiB, not the 2.0 MiB that --size asks; remove it or drop --size"
            ),
            "{msg}"
        );
    }

    #[test]
    fn bad_create_size() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.img");
        assert!(matches!(
            FileDevice::open(&p, &rw_create(1000)),
            Err(DeviceError::Unusable { .. })
        ));
        assert!(!p.exists());
        assert!(FileDevice::open(&p, &rw_create(0)).is_err());
    }

    #[test]
    fn odd_size_rounds_down() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("odd.img");
        std::fs::write(&p, vec![0u8; 1500]).expect("write");
        let d = FileDevice::open(&p, &OpenOptions::read_only()).expect("open");
        assert_eq!(d.size(), 1024);
        let mut b = [0u8; 512];
        assert!(matches!(
            d.read_at(&mut b, 1024),
            Err(DeviceError::OutOfRange { .. })
        ));
    }

    #[test]
    fn directory_is_unusable() {
        let dir = tempfile::tempdir().expect("tempdir");
        let e = FileDevice::open(dir.path(), &OpenOptions::read_only()).unwrap_err();
        assert!(matches!(e, DeviceError::Unusable { .. }), "{e}");
        assert!(!is_block_device(dir.path()));
    }

    #[test]
    fn out_of_range_and_read_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.img");
        let d = FileDevice::open(&p, &rw_create(8192)).expect("create");
        let mut b = [0u8; 512];
        assert!(matches!(
            d.read_at(&mut b, 8192 - 511),
            Err(DeviceError::OutOfRange { .. })
        ));
        assert!(matches!(
            d.read_at(&mut b, u64::MAX - 10),
            Err(DeviceError::OutOfRange { .. })
        ));
        assert!(matches!(
            d.write_at(&b, 8000),
            Err(DeviceError::OutOfRange { .. })
        ));
        assert!(matches!(
            d.zero_range(4096, 8192),
            Err(DeviceError::OutOfRange { .. })
        ));
        drop(d);
        let r = FileDevice::open(&p, &OpenOptions::read_only()).expect("ro");
        assert!(!r.is_writable());
        let e = r.write_at(&b, 0).unwrap_err();
        assert!(e.to_string().contains("read-only"), "{e}");
    }

    #[test]
    fn short_read_on_truncated_image() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.img");
        let d = FileDevice::open(&p, &rw_create(8192)).expect("create");
        // Another program truncates the image under us.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&p)
            .expect("open")
            .set_len(4096)
            .expect("truncate");
        let mut b = vec![0u8; 2048];
        let e = d.read_at(&mut b, 3072).unwrap_err();
        assert!(
            matches!(
                e,
                DeviceError::ShortRead {
                    got: 1024,
                    want: 2048,
                    ..
                }
            ),
            "{e}"
        );
    }

    #[test]
    fn vectored_write_many_slices() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.img");
        let d = FileDevice::open(&p, &rw_create(4 << 20)).expect("create");
        // More slices than IOV_MAX, of odd sizes, some empty.
        let n = iov_max() * 2 + 17;
        let data: Vec<Vec<u8>> = (0..n)
            .map(|i| vec![(i % 251) as u8; if i % 7 == 0 { 0 } else { 1 + i % 13 }])
            .collect();
        let slices: Vec<IoSlice<'_>> = data.iter().map(|v| IoSlice::new(v)).collect();
        d.write_vectored_at(&slices, 777).expect("writev");
        let flat: Vec<u8> = data.concat();
        let mut back = vec![0u8; flat.len()];
        d.read_at(&mut back, 777).expect("read");
        assert_eq!(back, flat);
        d.write_vectored_at(&[], 0).expect("empty write");
    }

    #[test]
    fn second_writer_is_busy_reader_is_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.img");
        let d = FileDevice::open(&p, &rw_create(8192)).expect("create");
        let e = FileDevice::open(&p, &OpenOptions::read_write()).unwrap_err();
        assert!(matches!(e, DeviceError::Busy { .. }), "{e}");
        assert!(e.to_string().contains("holds it open for writing"), "{e}");
        let r = FileDevice::open(&p, &OpenOptions::read_only()).expect("reader");
        let mut b = [0u8; 512];
        r.read_at(&mut b, 0).expect("read");
        drop(d);
        FileDevice::open(&p, &OpenOptions::read_write()).expect("lock released");
    }

    #[test]
    fn zero_range_punches_holes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.img");
        let d = FileDevice::open(&p, &rw_create(1 << 20)).expect("create");
        d.write_at(&vec![0xabu8; 1 << 20], 0).expect("fill");
        d.zero_range(4096, 65536).expect("zero");
        d.zero_range(100, 3).expect("zero unaligned");
        let mut b = vec![0u8; 1 << 20];
        d.read_at(&mut b, 0).expect("read");
        for (i, &x) in b.iter().enumerate() {
            let zero = (4096..4096 + 65536).contains(&i) || (100..103).contains(&i);
            assert_eq!(x, if zero { 0 } else { 0xab }, "byte {i}");
        }
        d.zero_range(0, 0).expect("empty");
        // The fallback path writes zeros the ordinary way.
        d.write_zeros(0, 10).expect("write zeros");
        d.read_at(&mut b[..11], 0).expect("read");
        assert_eq!(&b[..11], &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xab]);
    }

    /// Pages of `path` in the page cache (mincore over a mapping).
    fn resident_bytes(path: &Path) -> u64 {
        let f = File::open(path).expect("open");
        // SAFETY: a read-only mapping of a file nothing else changes now.
        let map = unsafe { memmap2::Mmap::map(&f) }.expect("mmap");
        let page = 4096usize;
        let mut vec = vec![0u8; map.len().div_ceil(page)];
        // SAFETY: mincore over the mapping, one byte per page in `vec`.
        let r = unsafe {
            libc::mincore(
                map.as_ptr() as *mut libc::c_void,
                map.len(),
                vec.as_mut_ptr(),
            )
        };
        assert_eq!(r, 0, "mincore: {}", io::Error::last_os_error());
        vec.iter().filter(|&&b| b & 1 != 0).count() as u64 * page as u64
    }

    /// A stream of large buffered writes does not leave a second copy of
    /// itself in the page cache: what is written back is dropped behind.
    #[test]
    fn buffered_stream_is_dropped_behind() {
        let dir = tempfile::Builder::new()
            .prefix("nwvol-behind")
            .tempdir_in("/var/tmp")
            .or_else(|_| tempfile::tempdir())
            .expect("tempdir");
        let p = dir.path().join("s.img");
        let total = 64u64 << 20;
        let opts = OpenOptions {
            write: true,
            create_size: Some(total),
            direct: false,
            read_lock: false,
        };
        let d = FileDevice::open(&p, &opts).expect("create");
        if std::fs::read_to_string("/proc/mounts").is_ok_and(|m| {
            m.lines().any(|l| {
                let f: Vec<&str> = l.split(' ').collect();
                f.len() > 2 && f[2] == "tmpfs" && dir.path().starts_with(f[1]) && f[1] != "/"
            })
        }) {
            println!("skipping: a tmpfs keeps its files in the page cache");
            return;
        }
        let chunk = vec![0x5au8; 2 << 20];
        let mut at = 0;
        while at < total {
            d.write_at(&chunk, at).expect("write");
            at += chunk.len() as u64;
        }
        d.sync().expect("sync");
        let resident = resident_bytes(&p);
        assert!(
            resident <= total / 8,
            "{resident} of {total} bytes written are still in the page cache"
        );
        let mut back = vec![0u8; chunk.len()];
        d.read_at(&mut back, total - chunk.len() as u64)
            .expect("read");
        assert!(back == chunk, "dropped pages read back wrong");
    }

    #[test]
    fn direct_image_with_unaligned_buffers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("d.img");
        let opts = OpenOptions {
            write: true,
            create_size: Some(1 << 20),
            direct: true,
            read_lock: false,
        };
        let d = match FileDevice::open(&p, &opts) {
            Ok(d) => d,
            Err(e) => {
                println!("skipping: O_DIRECT not available here: {e}");
                return;
            }
        };
        assert!(d.is_direct());
        let a = d.alignment();
        // Unaligned memory (offset by one inside a Vec), aligned offset/len.
        let raw: Vec<u8> = (0..2 * a + 1).map(|i| (i % 253) as u8).collect();
        let src = &raw[1..];
        d.write_at(src, a as u64).expect("bounced write");
        // Several slices, one unaligned.
        let s1 = vec![1u8; a];
        let s2 = vec![2u8; a + 3];
        d.write_vectored_at(&[IoSlice::new(&s1), IoSlice::new(&s2[3..])], 8 * a as u64)
            .expect("bounced writev");
        // Aligned memory goes straight through.
        let mut ab = AlignedBuf::new(a, a).expect("alloc");
        ab.fill(9);
        d.write_at(&ab, 16 * a as u64).expect("aligned write");
        // Unaligned offset or length is refused for writes.
        assert!(d.write_at(&ab[..a - 1], 0).is_err());
        assert!(d.write_at(&ab, 1).is_err());
        // Reads may be unaligned in every way.
        let mut back = vec![0u8; 2 * a + 1];
        d.read_at(&mut back[1..], a as u64).expect("read");
        assert_eq!(&back[1..], src);
        let mut one = [0u8; 7];
        d.read_at(&mut one, a as u64 + 5).expect("odd read");
        assert_eq!(&one, &src[5..12]);
        let mut b2 = vec![0u8; 2 * a];
        d.read_at(&mut b2, 8 * a as u64).expect("read");
        assert!(b2[..a].iter().all(|&x| x == 1));
        assert!(b2[a..].iter().all(|&x| x == 2));
        let mut ab2 = AlignedBuf::new(a, a).expect("alloc");
        d.read_at(&mut ab2, 16 * a as u64).expect("aligned read");
        assert!(ab2.iter().all(|&x| x == 9));
        // A large unaligned read spanning several bounce chunks.
        let mut big = vec![0u8; (1 << 20) - 3];
        d.read_at(&mut big, 3).expect("big read");
        assert_eq!(&big[a - 3..a - 3 + src.len()], src);
        d.zero_range(0, 1 << 20).expect("zero");
        d.sync().expect("sync");
    }
}
