//! Layer 1: block devices and image files.
//!
//! A [`Device`] is a byte-addressed store with positioned reads, vectored
//! positioned writes and a durability barrier. All methods take `&self` so
//! that one device can be driven from several threads at once (pread/pwritev
//! need no shared file position).
//!
//! - [`file`]: image files and raw block devices ([`FileDevice`]).
//! - [`mounted()`]: whether a block device is in use (what it holds is
//!   probed above the layout layer, in `partition::probe`).
//! - `testing`: devices for tests and fault campaigns (unit tests and the
//!   `testing` feature only: not in a release build).
//! - [`aligned`]: aligned heap buffers for O_DIRECT.
//! - [`pool`]: many such buffers of one size from shared mappings (the
//!   cache's blocks).
//! - [`nbd`]: NBD exports (remote members) as devices.

pub mod aligned;
pub mod file;
pub mod mounted;
pub mod nbd;
pub mod pool;
#[cfg(any(test, feature = "testing"))]
pub mod testing;

use std::io::IoSlice;

use crate::units::SECTOR;

pub use aligned::AlignedBuf;
pub use file::{FileDevice, OpenOptions, is_block_device};
pub use mounted::mounted;
pub use pool::BufPool;

/// Errors of the device layer. Every variant names the device.
#[derive(Debug, thiserror::Error)]
pub enum DeviceError {
    /// An I/O call failed.
    #[error("{device}: {op} at byte {offset}: {source}")]
    Io {
        /// The device name.
        device: String,
        /// The operation ("read", "write", "sync", "zero").
        op: &'static str,
        /// Byte offset of the operation.
        offset: u64,
        /// The operating system error.
        #[source]
        source: std::io::Error,
    },
    /// A read or write went past the end of the device.
    #[error(
        "{device}: {op} of {len} bytes at byte {offset} runs past the end of the device ({size} bytes)"
    )]
    OutOfRange {
        /// The device name.
        device: String,
        /// The operation ("read", "write", "sync", "zero").
        op: &'static str,
        /// Byte offset of the operation.
        offset: u64,
        /// Bytes asked for.
        len: u64,
        /// Size of the device in bytes.
        size: u64,
    },
    /// An image file shrank below its size at open while in use (another
    /// program truncated it): what was written past its new end is gone.
    #[error(
        "{device}: the image file shrank from {was} to {now} bytes while in use (truncated by another program?)"
    )]
    Shrank {
        /// The device name.
        device: String,
        /// Bytes at open.
        was: u64,
        /// Bytes now.
        now: u64,
    },
    /// An image file's path names another file (or none) while in use:
    /// another program renamed a file over it or removed it, and what is
    /// written goes to a file nobody can open again.
    #[error(
        "{device}: the image file was replaced or removed while in use (by another program?); its writes from then are lost"
    )]
    Replaced {
        /// The device name.
        device: String,
    },
    /// A read returned fewer bytes than asked (truncated image).
    #[error("{device}: short read at byte {offset}: got {got} of {want} bytes (truncated image?)")]
    ShortRead {
        /// The device name.
        device: String,
        /// Byte offset of the operation.
        offset: u64,
        /// Bytes read.
        got: usize,
        /// Bytes asked for.
        want: usize,
    },
    /// Another process holds the device's lock, or the kernel refused an
    /// exclusive open (mounted or in use); `reason` says which.
    #[error("{device}: device busy: {reason}")]
    Busy {
        /// The device name.
        device: String,
        /// Why it is busy.
        reason: String,
    },
    /// Another process holds the device's advisory lock; `waited` is how
    /// long opening waited for it (zero: not at all).
    #[error(
        "{device}: device busy: another nwvol (or another program) holds it open for {}{}",
        if *.exclusive { "writing or reading" } else { "writing" },
        waited_note(*.waited)
    )]
    Locked {
        /// The device name.
        device: String,
        /// True when an exclusive lock (for writing) was asked for.
        exclusive: bool,
        /// How long opening waited for the lock.
        waited: std::time::Duration,
    },
    /// An image file that does not exist, opened for writing without a
    /// size to create it with.
    #[error("{device}: cannot open: no such file")]
    NoSuchImage {
        /// The device name.
        device: String,
    },
    /// An image file to be created that exists with another size.
    #[error("{device}: exists with {found} bytes, not the {wanted} asked for")]
    SizeMismatch {
        /// The device name.
        device: String,
        /// Its size in bytes.
        found: u64,
        /// The size asked for.
        wanted: u64,
    },
    /// The device could not be opened.
    #[error("{device}: cannot open: {source}")]
    Open {
        /// The device name.
        device: String,
        /// The operating system error.
        #[source]
        source: std::io::Error,
    },
    /// The device is not usable for the reason given.
    #[error("{device}: {reason}")]
    Unusable {
        /// The device name.
        device: String,
        /// Why it cannot be used.
        reason: String,
    },
}

/// " (waited 1.5 s)" after a lock waited for; nothing when not waited.
fn waited_note(waited: std::time::Duration) -> String {
    if waited.is_zero() {
        String::new()
    } else {
        format!(" (waited {:.1} s)", waited.as_millis() as f64 / 1000.0)
    }
}

/// Result alias for the device layer.
pub type DeviceResult<T> = std::result::Result<T, DeviceError>;

/// What kind of thing backs a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// A regular file (disk image).
    Image,
    /// A raw block device (e.g. /dev/sdb, /dev/loop0).
    Block,
    /// An in-memory or test device.
    Memory,
    /// An NBD export on another machine (or another process).
    Nbd,
}

/// A block device or image file.
pub trait Device: Send + Sync + std::fmt::Debug {
    /// The name the user gave (a path), used in every message.
    fn name(&self) -> &str;
    /// What backs the device.
    fn kind(&self) -> DeviceKind;
    /// Size in bytes: whole sectors only.
    fn size(&self) -> u64;
    /// Bytes the device really has, with a trailing partial sector that
    /// [`Device::size`] leaves out: what messages about its size say.
    fn bytes(&self) -> u64 {
        self.size()
    }
    /// Smallest I/O alignment the device needs (512 for most, 4096 with
    /// O_DIRECT on 4Kn disks); offsets and lengths handed to the device by
    /// the layers above are multiples of it.
    fn alignment(&self) -> usize {
        SECTOR
    }
    /// Reads exactly `buf.len()` bytes at `offset`; a short read is an error.
    fn read_at(&self, buf: &mut [u8], offset: u64) -> DeviceResult<()>;
    /// Writes all of `bufs`, in order, as one contiguous run at `offset`
    /// (pwritev, looping over partial writes, in chunks of at most IOV_MAX).
    fn write_vectored_at(&self, bufs: &[IoSlice<'_>], offset: u64) -> DeviceResult<()>;
    /// Writes all of `buf` at `offset`.
    fn write_at(&self, buf: &[u8], offset: u64) -> DeviceResult<()> {
        self.write_vectored_at(&[IoSlice::new(buf)], offset)
    }
    /// Makes everything written so far durable (fdatasync).
    fn sync(&self) -> DeviceResult<()>;
    /// Writes `buf` at `offset` and makes that write durable before it
    /// returns, without waiting for other data written before it (an
    /// O_DSYNC write where the device has one; else a write and a sync).
    /// For small records that must be durable before other writes go out
    /// (the write-intent record), while a stream of data is still being
    /// written back.
    fn write_durable_at(&self, buf: &[u8], offset: u64) -> DeviceResult<()> {
        self.write_at(buf, offset)?;
        self.sync()
    }
    /// Makes `len` bytes at `offset` read back as zeros, as cheaply as the
    /// device allows (hole punching, BLKZEROOUT), else by writing zeros.
    fn zero_range(&self, offset: u64, len: u64) -> DeviceResult<()> {
        zero_by_writing(self, offset, len)
    }
    /// True when every byte not written since the device was opened is
    /// known to read back as zero (a freshly created sparse image).
    fn reads_zeros(&self) -> bool {
        false
    }
    /// A hint that `len` bytes at `offset` were read and will not be read
    /// again soon (a scan): a device that caches them may drop them.
    /// Never an error.
    fn done_reading(&self, _offset: u64, _len: u64) {}
    /// A hint that `len` bytes at `offset` will be read soon: a device
    /// that can may start reading them now, beside other such ranges, so
    /// that many scattered reads wait for the disk once, not each in turn.
    /// Never an error.
    fn will_read(&self, _offset: u64, _len: u64) {}
}

/// Makes `len` bytes at `offset` of `dev` read back as zeros by writing
/// zeros, a MiB a call: [`Device::zero_range`] of a device with nothing
/// cheaper.
pub fn zero_by_writing<D: Device + ?Sized>(dev: &D, offset: u64, len: u64) -> DeviceResult<()> {
    const CHUNK: usize = 1 << 20;
    let zeros = vec![0u8; CHUNK];
    let mut done = 0u64;
    while done < len {
        let n = (len - done).min(CHUNK as u64) as usize;
        dev.write_at(&zeros[..n], offset + done)?;
        done += n as u64;
    }
    Ok(())
}

/// The part `[skip, skip + len)` of a list of slices, as slices (a run
/// split where a device or a hot-fix redirection needs it).
pub fn slice_range<'a>(bufs: &'a [IoSlice<'_>], mut skip: u64, mut len: u64) -> Vec<IoSlice<'a>> {
    let mut out = Vec::new();
    for b in bufs {
        let bl = b.len() as u64;
        if skip >= bl {
            skip -= bl;
            continue;
        }
        let take = (bl - skip).min(len);
        out.push(IoSlice::new(&b[skip as usize..(skip + take) as usize]));
        len -= take;
        skip = 0;
        if len == 0 {
            break;
        }
    }
    out
}

macro_rules! forward_device {
    () => {
        fn name(&self) -> &str {
            (**self).name()
        }
        fn kind(&self) -> DeviceKind {
            (**self).kind()
        }
        fn size(&self) -> u64 {
            (**self).size()
        }
        fn bytes(&self) -> u64 {
            (**self).bytes()
        }
        fn alignment(&self) -> usize {
            (**self).alignment()
        }
        fn read_at(&self, buf: &mut [u8], offset: u64) -> DeviceResult<()> {
            (**self).read_at(buf, offset)
        }
        fn write_vectored_at(&self, bufs: &[IoSlice<'_>], offset: u64) -> DeviceResult<()> {
            (**self).write_vectored_at(bufs, offset)
        }
        fn write_at(&self, buf: &[u8], offset: u64) -> DeviceResult<()> {
            (**self).write_at(buf, offset)
        }
        fn sync(&self) -> DeviceResult<()> {
            (**self).sync()
        }
        fn write_durable_at(&self, buf: &[u8], offset: u64) -> DeviceResult<()> {
            (**self).write_durable_at(buf, offset)
        }
        fn zero_range(&self, offset: u64, len: u64) -> DeviceResult<()> {
            (**self).zero_range(offset, len)
        }
        fn reads_zeros(&self) -> bool {
            (**self).reads_zeros()
        }
        fn done_reading(&self, offset: u64, len: u64) {
            (**self).done_reading(offset, len)
        }
        fn will_read(&self, offset: u64, len: u64) {
            (**self).will_read(offset, len)
        }
    };
}

/// A shared device is a device (so tests can keep a handle on a wrapper).
impl<D: Device + ?Sized> Device for std::sync::Arc<D> {
    forward_device!();
}

/// A boxed device is a device.
impl<D: Device + ?Sized> Device for Box<D> {
    forward_device!();
}
