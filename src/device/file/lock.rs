//! The advisory lock a device is held by while open, and the short grace
//! for locks and exclusive opens that only look held.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use super::errno_is;
use crate::device::{DeviceError, DeviceResult};

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
pub(super) fn with_busy_grace<T>(
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
pub(super) fn lock(
    file: &File,
    name: &str,
    exclusive: bool,
    lock_wait: Duration,
) -> DeviceResult<()> {
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
    match r {
        Ok(()) => Ok(()),
        Err(e) if errno_is(&e, &[libc::EWOULDBLOCK, libc::EAGAIN]) => Err(DeviceError::Locked {
            device: name.to_string(),
            exclusive,
            waited: lock_wait,
        }),
        Err(e) => Err(DeviceError::Open {
            device: name.to_string(),
            source: e,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::new_image;
    use super::super::{FileDevice, OpenOptions};
    use crate::device::{Device, DeviceError};

    #[test]
    fn second_writer_is_busy_reader_is_not() {
        let (_dir, p, d) = new_image(8192);
        let e = FileDevice::open(&p, &OpenOptions::read_write()).unwrap_err();
        assert!(matches!(e, DeviceError::Locked { .. }), "{e}");
        assert!(e.to_string().contains("holds it open for writing"), "{e}");
        let r = FileDevice::open(&p, &OpenOptions::read_only()).expect("reader");
        let mut b = [0u8; 512];
        r.read_at(&mut b, 0).expect("read");
        drop(d);
        FileDevice::open(&p, &OpenOptions::read_write()).expect("lock released");
    }
}
