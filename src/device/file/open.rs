//! Opening an image file or block device, and creating an image file.

use std::fs::{File, Metadata};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::time::Duration;

use super::lock::{lock, with_busy_grace};
use super::{FileDevice, OpenOptions, errno_is, ioctls};
use crate::device::{DeviceError, DeviceKind, DeviceResult};
use crate::units::SECTOR;

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

/// What kind of device the file at `name` is: a block device or an image
/// file; anything else is unusable.
fn device_kind(name: &str, meta: &Metadata) -> DeviceResult<DeviceKind> {
    let unusable = |reason: &str| DeviceError::Unusable {
        device: name.to_string(),
        reason: reason.into(),
    };
    let ft = meta.file_type();
    if ft.is_block_device() {
        Ok(DeviceKind::Block)
    } else if ft.is_file() {
        Ok(DeviceKind::Image)
    } else if ft.is_dir() {
        Err(unusable(
            "is a directory, not an image file or block device",
        ))
    } else {
        Err(unusable("is neither an image file nor a block device"))
    }
}

/// Opens the file with the flags the options ask (O_DIRECT; O_EXCL for a
/// block device opened for writing, so the kernel refuses a mounted one).
fn open_file(path: &Path, name: &str, kind: DeviceKind, opts: &OpenOptions) -> DeviceResult<File> {
    let mut flags = 0;
    if opts.direct {
        flags |= libc::O_DIRECT;
    }
    if kind == DeviceKind::Block && opts.write {
        flags |= libc::O_EXCL;
    }
    with_busy_grace(
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
                device: name.to_string(),
                reason: "it is mounted, or in use by another program (the kernel \
                             refused an exclusive open)"
                    .into(),
            }
        } else if opts.direct && errno_is(&e, &[libc::EINVAL]) {
            DeviceError::Unusable {
                device: name.to_string(),
                reason: "its file system does not support direct I/O (O_DIRECT)".into(),
            }
        } else {
            DeviceError::Open {
                device: name.to_string(),
                source: e,
            }
        }
    })
}

/// `path` made absolute (a later change of directory does not change
/// which file it names); as given when that fails.
fn absolute(path: &Path) -> std::path::PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
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
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Self::open_missing(path, name, opts, lock_wait);
            }
            Err(e) => {
                return Err(DeviceError::Open {
                    device: name,
                    source: e,
                });
            }
        };
        let kind = device_kind(&name, &meta)?;
        if kind == DeviceKind::Image
            && let Some(want) = opts.create_size
            && want != meta.len()
        {
            return Err(DeviceError::SizeMismatch {
                device: name,
                found: meta.len(),
                wanted: want,
            });
        }
        let file = open_file(path, &name, kind, opts)?;
        if opts.write {
            lock(&file, &name, true, lock_wait)?;
        } else if opts.read_lock {
            lock(&file, &name, false, lock_wait)?;
        }
        let (size, align) = match kind {
            DeviceKind::Block => {
                ioctls::block_size_and_align(&file).map_err(|source| DeviceError::Open {
                    device: name.clone(),
                    source,
                })?
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
            path: (kind == DeviceKind::Image).then(|| absolute(path)),
            behind: Default::default(),
        })
    }

    /// A path that does not exist: created when the options ask for a
    /// size and a write, else an error that says what would create it.
    fn open_missing(
        path: &Path,
        name: String,
        opts: &OpenOptions,
        lock_wait: Duration,
    ) -> DeviceResult<FileDevice> {
        let open_err = |source: io::Error| DeviceError::Open {
            device: name.clone(),
            source,
        };
        match opts.create_size {
            Some(size) if opts.write => Self::create(path, name.clone(), size, opts, lock_wait),
            Some(_) => Err(open_err(io::Error::new(
                io::ErrorKind::NotFound,
                "no such file (it can only be created when opened for writing)",
            ))),
            // Only a command that writes can create an image.
            None if opts.write => Err(DeviceError::NoSuchImage {
                device: name.clone(),
            }),
            None => Err(open_err(io::Error::new(
                io::ErrorKind::NotFound,
                "no such file or device",
            ))),
        }
    }

    /// Creates a sparse image file of `size` bytes, locked for writing.
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
            if super::errno_is(&e, &[libc::EFBIG]) {
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
            path: Some(absolute(path)),
            behind: Default::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::is_block_device;
    use super::super::tests::{new_image, rw_create, scratch};
    use super::*;
    use crate::device::{Device, DeviceError, DeviceKind};

    #[test]
    fn create_sparse_image_reads_zeros() {
        let (_dir, p, d) = new_image(1 << 20);
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
        let (_dir, p) = scratch("none.img");
        let e = FileDevice::open(&p, &OpenOptions::read_write()).unwrap_err();
        assert!(matches!(e, DeviceError::NoSuchImage { .. }));
        let msg = e.to_string();
        assert!(msg.contains("cannot open: no such file"), "{msg}");
        assert!(!msg.contains("--size"), "{msg}");
        assert!(msg.contains("none.img"), "{msg}");
    }

    #[test]
    fn wrong_size_is_unusable() {
        let (_dir, p) = scratch("a.img");
        drop(FileDevice::open(&p, &rw_create(1 << 20)).expect("create"));
        let e = FileDevice::open(&p, &rw_create(2 << 20)).unwrap_err();
        let msg = e.to_string();
        assert!(matches!(e, DeviceError::SizeMismatch { .. }));
        assert!(
            msg.contains("exists with 1048576 bytes, not the 2097152 asked for"),
            "{msg}"
        );
    }

    #[test]
    fn bad_create_size() {
        let (_dir, p) = scratch("a.img");
        assert!(matches!(
            FileDevice::open(&p, &rw_create(1000)),
            Err(DeviceError::Unusable { .. })
        ));
        assert!(!p.exists());
        assert!(FileDevice::open(&p, &rw_create(0)).is_err());
    }

    #[test]
    fn odd_size_rounds_down() {
        let (_dir, p) = scratch("odd.img");
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
}
