//! O_DIRECT I/O of memory, offsets or lengths that are not aligned:
//! through aligned bounce buffers.

use std::io::IoSlice;

use super::FileDevice;
use crate::device::DeviceResult;
use crate::device::aligned::AlignedBuf;

/// Largest bounce buffer used for unaligned O_DIRECT I/O.
pub(super) const BOUNCE_MAX: usize = 1 << 20;

impl FileDevice {
    /// O_DIRECT read with unaligned memory, offset or length: reads the
    /// covering aligned range through a bounce buffer, a chunk at a time.
    pub(super) fn read_bounced(&self, buf: &mut [u8], offset: u64) -> DeviceResult<()> {
        let len = buf.len() as u64;
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

    /// O_DIRECT write of unaligned memory: gather into aligned chunks.
    pub(super) fn write_bounced(
        &self,
        bufs: &[IoSlice<'_>],
        offset: u64,
        total: u64,
    ) -> DeviceResult<()> {
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

    /// One aligned chunk, written as it is.
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
    use super::super::tests::{rw_create, scratch};
    use super::super::{FileDevice, OpenOptions};
    use crate::device::Device;
    use crate::device::aligned::AlignedBuf;
    use std::io::IoSlice;

    #[test]
    fn direct_image_with_unaligned_buffers() {
        let (_dir, p) = scratch("d.img");
        let opts = OpenOptions {
            direct: true,
            ..rw_create(1 << 20)
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
