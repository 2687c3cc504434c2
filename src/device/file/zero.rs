//! Making a range read back as zeros: in the device (BLKZEROOUT), as a
//! hole in an image file, or by writing zeros when neither works.

use std::io::{self, IoSlice};
use std::os::fd::AsRawFd;

use super::direct::BOUNCE_MAX;
use super::{FileDevice, errno_is, ioctls};
use crate::device::aligned::AlignedBuf;
use crate::device::{Device, DeviceKind, DeviceResult};

impl FileDevice {
    /// Zeroes a range already checked against the size and the mode.
    pub(super) fn zero_checked(&self, offset: u64, len: u64) -> DeviceResult<()> {
        let fallback = [
            libc::EOPNOTSUPP,
            libc::ENOSYS,
            libc::EINVAL,
            libc::ENOTTY,
            libc::EPERM,
        ];
        match self.kind {
            DeviceKind::Block => match ioctls::zero_out(&self.file, offset, len) {
                Ok(()) => return Ok(()),
                Err(e) if !errno_is(&e, &fallback) => return Err(self.io_err("zero", offset, e)),
                Err(_) => {}
            },
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

    /// Writes `len` zero bytes at `offset` with ordinary writes.
    pub(super) fn write_zeros(&self, offset: u64, len: u64) -> DeviceResult<()> {
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

#[cfg(test)]
mod tests {
    use super::super::tests::new_image;
    use crate::device::Device;

    #[test]
    fn zero_range_punches_holes() {
        let (_dir, _, d) = new_image(1 << 20);
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
}
