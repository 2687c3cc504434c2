//! The block-device ioctls: the device's size and sector size, and zeroing
//! a range in the device.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;

use crate::units::SECTOR;

// ioctl numbers libc does not define (see linux/fs.h and asm/ioctl.h).
/// These architectures put the ioctl direction at bit 29 and give "no
/// data" a bit of its own; the others put it at bit 30.
const DIR_AT_29: bool = cfg!(any(
    target_arch = "powerpc",
    target_arch = "powerpc64",
    target_arch = "mips",
    target_arch = "mips64",
    target_arch = "sparc",
    target_arch = "sparc64"
));
/// Direction bits of `_IO`.
const IOC_NONE: u64 = if DIR_AT_29 { 1 << 29 } else { 0 };
/// Direction bits of `_IOR`.
const IOC_READ: u64 = if DIR_AT_29 { 2 << 29 } else { 2 << 30 };
/// _IOR(0x12, 114, size_t)
const BLKGETSIZE64: u64 = IOC_READ | (8 << 16) | (0x12 << 8) | 114;
/// _IO(0x12, 127)
const BLKZEROOUT: u64 = IOC_NONE | (0x12 << 8) | 127;

/// A block device's size in bytes and the alignment its direct I/O needs
/// (its logical sector size, 512 when it does not say).
pub(super) fn block_size_and_align(file: &File) -> io::Result<(u64, usize)> {
    let mut size: u64 = 0;
    // SAFETY: BLKGETSIZE64 writes one u64 through the pointer.
    let r = unsafe { libc::ioctl(file.as_raw_fd(), BLKGETSIZE64 as _, &mut size as *mut u64) };
    if r < 0 {
        return Err(io::Error::last_os_error());
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
    Ok((size, align))
}

/// Zeroes `[offset, offset + len)` of a block device in the device
/// (BLKZEROOUT).
pub(super) fn zero_out(file: &File, offset: u64, len: u64) -> io::Result<()> {
    let range: [u64; 2] = [offset, len];
    // SAFETY: BLKZEROOUT reads two u64 through the pointer.
    let r = unsafe { libc::ioctl(file.as_raw_fd(), BLKZEROOUT as _, range.as_ptr()) };
    if r == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    fn numbers_match_linux_headers() {
        assert_eq!(super::BLKGETSIZE64, 0x8008_1272);
        assert_eq!(super::BLKZEROOUT, 0x127f);
    }
}
