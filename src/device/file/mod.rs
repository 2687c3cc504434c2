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
//!
//! The jobs are in files of their own: opening and creating (`open.rs`),
//! the advisory lock (`lock.rs`), positioned reads and vectored writes
//! (`vectored.rs`), O_DIRECT bounce buffers (`direct.rs`), page cache
//! hints: dropping streamed pages, reading ahead (`page_cache.rs`), zeroing
//! ranges (`zero.rs`) and the block-device ioctls (`ioctls.rs`).

mod direct;
mod ioctls;
mod lock;
mod open;
mod page_cache;
mod vectored;
mod zero;

use std::fs::File;
use std::io::{self, IoSlice};
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileTypeExt;
use std::path::Path;

use super::aligned::is_aligned_ptr;
use super::{Device, DeviceError, DeviceKind, DeviceResult};
use page_cache::{WritebackRanges, drop_pages, read_ahead_pages};

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
    /// The image file's path, absolute: a sync checks it still names the
    /// file open (see [`FileDevice::check_not_shrunk`]).
    path: Option<std::path::PathBuf>,
    /// Ranges of large buffered writes whose write-back was started, oldest
    /// first: dropped from the page cache a few writes later (see
    /// [`FileDevice::start_writeback`]).
    behind: std::sync::Mutex<WritebackRanges>,
}

/// True when `path` names a block device (following symlinks).
pub fn is_block_device(path: &Path) -> bool {
    std::fs::metadata(path)
        .map(|m| m.file_type().is_block_device())
        .unwrap_or(false)
}

/// True when `e` is one of the OS error `codes`.
fn errno_is(e: &io::Error, codes: &[i32]) -> bool {
    e.raw_os_error().is_some_and(|c| codes.contains(&c))
}

impl FileDevice {
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

    /// An image file truncated by another program while this one wrote
    /// it takes the writes past its new end as growth again, with no error
    /// (and reads zeros in the gap): a sync that finds the file shorter
    /// than at open fails, so the mirror gives the member up and says so.
    /// So does one whose path names another file now (renamed over, or
    /// removed): the writes go to a file no later command opens.
    fn check_not_shrunk(&self) -> DeviceResult<()> {
        use std::os::unix::fs::MetadataExt;
        if self.kind != DeviceKind::Image {
            return Ok(());
        }
        let Ok(open) = self.file.metadata() else {
            return Ok(());
        };
        if open.len() < self.bytes {
            return Err(DeviceError::Shrank {
                device: self.name.clone(),
                was: self.bytes,
                now: open.len(),
            });
        }
        let replaced = match self.path.as_deref().map(std::fs::metadata) {
            Some(Ok(now)) => (now.dev(), now.ino()) != (open.dev(), open.ino()),
            Some(Err(e)) => e.kind() == io::ErrorKind::NotFound,
            None => false,
        };
        if replaced {
            return Err(DeviceError::Replaced {
                device: self.name.clone(),
            });
        }
        Ok(())
    }

    fn aligned(&self, v: u64) -> bool {
        v.is_multiple_of(self.align as u64)
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
        // O_DIRECT with unaligned memory, offset or length.
        self.read_bounced(buf, offset)
    }

    fn write_vectored_at(&self, bufs: &[IoSlice<'_>], offset: u64) -> DeviceResult<()> {
        let r = self.write_vectored_inner(bufs, offset);
        #[cfg(feature = "testing")]
        kill_switch::after_write();
        r
    }

    fn write_durable_at(&self, buf: &[u8], offset: u64) -> DeviceResult<()> {
        self.write_durable(buf, offset)
    }

    fn done_reading(&self, offset: u64, len: u64) {
        // Dropped behind a scan: the page cache keeps no copy nobody will
        // read, and its pages are reused warm by the read-ahead.
        if !self.direct {
            drop_pages(self.file.as_raw_fd(), offset, len);
        }
    }

    fn will_read(&self, offset: u64, len: u64) {
        // Direct I/O bypasses the page cache the hint would fill.
        if !self.direct {
            read_ahead_pages(self.file.as_raw_fd(), offset, len);
        }
    }

    fn sync(&self) -> DeviceResult<()> {
        loop {
            match self.file.sync_data() {
                Ok(()) => {
                    // Every page of the large writes is clean now: none
                    // stays behind (see `start_writeback`).
                    self.drop_synced_span();
                    return self.check_not_shrunk();
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
        self.zero_checked(offset, len)
    }

    fn reads_zeros(&self) -> bool {
        self.fresh
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    /// Options that create an image of `size` bytes for writing.
    pub(super) fn rw_create(size: u64) -> OpenOptions {
        OpenOptions {
            write: true,
            create_size: Some(size),
            direct: false,
            read_lock: false,
        }
    }

    /// The path `name` in a fresh temporary folder; the folder goes when
    /// the returned guard drops.
    pub(super) fn scratch(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join(name);
        (dir, p)
    }

    /// A new image of `size` bytes in a fresh temporary folder, open for
    /// writing.
    pub(super) fn new_image(size: u64) -> (tempfile::TempDir, std::path::PathBuf, FileDevice) {
        let (dir, p) = scratch("a.img");
        let d = FileDevice::open(&p, &rw_create(size)).expect("create");
        (dir, p, d)
    }

    #[test]
    fn out_of_range_and_read_only() {
        let (_dir, p, d) = new_image(8192);
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
}
