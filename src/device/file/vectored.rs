//! Positioned reads, vectored writes (pwritev, at most IOV_MAX slices a
//! call) and durable writes (pwritev2 with RWF_DSYNC).

use std::io::{self, IoSlice};
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::sync::OnceLock;

use super::page_cache::WRITEBACK_START;
use super::{FileDevice, errno_is};
use crate::device::aligned::is_aligned_ptr;
use crate::device::{Device, DeviceError, DeviceResult};

/// The most iovecs one pwritev call accepts.
fn iov_max() -> usize {
    static MAX: OnceLock<usize> = OnceLock::new();
    *MAX.get_or_init(|| {
        // SAFETY: sysconf has no preconditions.
        let v = unsafe { libc::sysconf(libc::_SC_IOV_MAX) };
        if v > 0 { v as usize } else { 1024 }
    })
}

/// What one call of the pwritev family returned: the bytes written, `None`
/// when a signal interrupted it (call again), or why it failed (no bytes
/// taken counts as a failure: the loop would not end).
fn written(r: isize) -> io::Result<Option<usize>> {
    if r < 0 {
        let e = io::Error::last_os_error();
        if e.kind() == io::ErrorKind::Interrupted {
            return Ok(None);
        }
        return Err(e);
    }
    if r == 0 {
        return Err(io::Error::new(
            io::ErrorKind::WriteZero,
            "the device accepted no bytes",
        ));
    }
    Ok(Some(r as usize))
}

impl FileDevice {
    /// `off` as the kernel's file offset, for a write there.
    fn write_offset(&self, off: u64) -> DeviceResult<libc::off_t> {
        libc::off_t::try_from(off).map_err(|_| {
            self.io_err(
                "write",
                off,
                io::Error::new(io::ErrorKind::InvalidInput, "offset too large"),
            )
        })
    }

    /// pread loop into `buf` at `offset` (no range or alignment handling).
    pub(super) fn pread_exact(&self, buf: &mut [u8], offset: u64) -> DeviceResult<()> {
        let want = buf.len();
        self.pread_at_least(buf, offset, want)
    }

    /// pread loop into `buf` at `offset` until at least `want` bytes came.
    pub(super) fn pread_at_least(
        &self,
        buf: &mut [u8],
        offset: u64,
        want: usize,
    ) -> DeviceResult<()> {
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
    pub(super) fn pwritev_all(&self, iovs: &mut [libc::iovec], offset: u64) -> DeviceResult<()> {
        let max = iov_max();
        let mut idx = 0usize;
        let mut off = offset;
        while idx < iovs.len() {
            if iovs[idx].iov_len == 0 {
                idx += 1;
                continue;
            }
            let cnt = (iovs.len() - idx).min(max);
            let loff = self.write_offset(off)?;
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
            let mut n = match written(r) {
                Ok(Some(n)) => n,
                Ok(None) => continue,
                Err(e) => return Err(self.io_err("write", off, e)),
            };
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

    /// The write itself, without the test hook.
    pub(super) fn write_vectored_inner(
        &self,
        bufs: &[IoSlice<'_>],
        offset: u64,
    ) -> DeviceResult<()> {
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

    /// A write that is durable when it returns.
    pub(super) fn write_durable(&self, buf: &[u8], offset: u64) -> DeviceResult<()> {
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
            let loff = self.write_offset(off)?;
            // SAFETY: one valid iovec over `buf`, borrowed for the call.
            let r =
                unsafe { libc::pwritev2(self.file.as_raw_fd(), &iov, 1, loff, libc::RWF_DSYNC) };
            match written(r) {
                Ok(Some(n)) => done += n,
                Ok(None) => continue,
                Err(e)
                    if done == 0
                        && errno_is(&e, &[libc::ENOSYS, libc::EOPNOTSUPP, libc::EINVAL]) =>
                {
                    // An old kernel: the ordinary way.
                    self.write_at(buf, offset)?;
                    return self.sync();
                }
                Err(e) => return Err(self.io_err("write", off, e)),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::new_image;
    use super::iov_max;
    use crate::device::{Device, DeviceError};
    use std::io::IoSlice;

    #[test]
    fn short_read_on_truncated_image() {
        let (_dir, p, d) = new_image(8192);
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
        let (_dir, _, d) = new_image(4 << 20);
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
}
