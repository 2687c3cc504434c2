//! Hints to the kernel's page cache. Dropping streamed pages: behind a
//! scan's reads, and behind large buffered writes once their write-back
//! started (nwvol keeps its own cache; the page cache need not hold a
//! second copy). Reading ahead: scattered metadata announced before it is
//! read.

use std::os::fd::AsRawFd;

use super::FileDevice;
use crate::lock::Recover;

/// Buffered writes at least this long start their write-back at once
/// (see [`FileDevice::start_writeback`]).
pub(super) const WRITEBACK_START: u64 = 1 << 20;
/// Large buffered writes whose pages stay in the page cache before they
/// are dropped (see [`FileDevice::start_writeback`]).
const BEHIND: usize = 2;
/// How far a drop behind a stream reaches back before its range: at least
/// the largest page-cache folio.
const DROP_OVERLAP: u64 = 8 << 20;

/// The large buffered writes being dropped behind (see
/// [`FileDevice::start_writeback`]).
#[derive(Debug, Default)]
pub(super) struct WritebackRanges {
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
pub(super) fn drop_pages(fd: std::os::fd::RawFd, offset: u64, len: u64) {
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

/// Asks the kernel to read `[offset, offset + len)` of `fd` into the page
/// cache now, in the background (POSIX_FADV_WILLNEED); nothing waits.
pub(super) fn read_ahead_pages(fd: std::os::fd::RawFd, offset: u64, len: u64) {
    let (Ok(off), Ok(n)) = (
        libc::off64_t::try_from(offset),
        libc::off64_t::try_from(len),
    ) else {
        return;
    };
    // SAFETY: posix_fadvise on a valid descriptor; no memory passed.
    unsafe {
        libc::posix_fadvise(fd, off, n, libc::POSIX_FADV_WILLNEED);
    }
}

impl FileDevice {
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
    pub(super) fn start_writeback(&self, offset: u64, len: u64) {
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

    /// After a sync every page of the large writes since the last one is
    /// clean: drops them all.
    pub(super) fn drop_synced_span(&self) {
        let span = self.behind.lock().recover().span.take();
        if let Some((start, end)) = span {
            drop_pages(self.file.as_raw_fd(), start, end - start);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::io;
    use std::path::Path;

    use super::super::{FileDevice, OpenOptions};
    use crate::device::Device;

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
}
