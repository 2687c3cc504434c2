//! Opening the devices a command names.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Result, bail};

use nwvol::Settings;
use nwvol::device::Device;
use nwvol::device::file::{FileDevice, OpenOptions, is_block_device};
use nwvol::device::nbd::{self, NbdDevice, NbdOptions};

/// True when the device argument is an NBD URI (recognised by its scheme,
/// before any file-system lookup).
pub fn is_nbd(path: &Path) -> bool {
    path.to_str().is_some_and(nbd::is_nbd_uri)
}

/// The devices from -d, else from NWVOL_DEVICES.
pub fn device_paths(given: &[PathBuf]) -> Result<Vec<PathBuf>> {
    if !given.is_empty() {
        return Ok(given.to_vec());
    }
    let env = std::env::var_os("NWVOL_DEVICES").unwrap_or_default();
    let paths = split_device_list(&env);
    if paths.is_empty() {
        bail!("no devices: name each member with -d DEVICE, or set NWVOL_DEVICES");
    }
    Ok(paths)
}

/// The paths of an NWVOL_DEVICES value: one per line when the value holds
/// a newline (so a path may contain spaces and commas), else separated by
/// whitespace or commas. Empty entries are skipped; bytes are kept as they
/// are (a path need not be UTF-8).
pub fn split_device_list(value: &std::ffi::OsStr) -> Vec<PathBuf> {
    use std::os::unix::ffi::OsStrExt;
    let b = value.as_bytes();
    let parts: Vec<&[u8]> = if b.contains(&b'\n') {
        b.split(|&c| c == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .collect()
    } else {
        b.split(|&c| c == b',' || c.is_ascii_whitespace()).collect()
    };
    parts
        .into_iter()
        .filter(|s| !s.iter().all(u8::is_ascii_whitespace))
        .map(|s| PathBuf::from(std::ffi::OsStr::from_bytes(s)))
        .collect()
}

/// Opens one device. `create_size` is format's `--size` (Some only there,
/// and only format suggests it for a missing image).
///
/// Raw block devices with 512-byte sectors are opened O_DIRECT even without
/// `direct`: nwvol keeps its own cache, so the kernel's page cache would be
/// a second copy of every block, and the engine benchmark measured O_DIRECT
/// clearly faster on block devices (bench/results/engine.md). Devices with
/// larger sectors stay buffered, since nwvol's 512-byte headers would not
/// be aligned for them; so do image files with `direct` on a file system
/// that takes direct I/O only in larger units (tmpfs: 4 KiB).
pub fn open(
    path: &Path,
    write: bool,
    create_size: Option<u64>,
    direct: bool,
    is_format: bool,
    settings: &Settings,
) -> Result<Arc<dyn Device>> {
    open_with(path, write, create_size, direct, is_format, true, settings)
}

/// Like [`open`]; a reader takes the shared lock only with `read_lock`
/// (observers such as inspect take none).
fn open_with(
    path: &Path,
    write: bool,
    create_size: Option<u64>,
    direct: bool,
    is_format: bool,
    read_lock: bool,
    settings: &Settings,
) -> Result<Arc<dyn Device>> {
    if is_nbd(path) {
        // An export has the size the server gives it: --size creates
        // image files only.
        let opts = NbdOptions {
            write,
            timeout: settings.nbd_timeout,
        };
        let uri = path.to_str().unwrap_or_default();
        return Ok(Arc::new(NbdDevice::open(uri, &opts)?));
    }
    if create_size.is_none() && std::fs::symlink_metadata(path).is_err() {
        // Said here: the device layer's message suggests --size, which
        // only format has.
        bail!(
            "{}: no such file or device{}",
            path.display(),
            if write && is_format {
                "; give --size to create an image file"
            } else {
                ""
            }
        );
    }
    let opts = |direct| OpenOptions {
        write,
        create_size,
        direct,
        read_lock: read_lock && !write,
    };
    if !direct && is_block_device(path) {
        let dev = FileDevice::open_waiting(path, &opts(true), settings.lock_wait)?;
        if dev.alignment() == 512 {
            return Ok(Arc::new(dev));
        }
        // Closed here (and its lock released) before the buffered open.
        drop(dev);
    }
    let dev = FileDevice::open_waiting(path, &opts(direct), settings.lock_wait)?;
    if direct && dev.alignment() > 512 {
        drop(dev);
        return Ok(Arc::new(FileDevice::open_waiting(
            path,
            &opts(false),
            settings.lock_wait,
        )?));
    }
    Ok(Arc::new(dev))
}

/// Opens every device named, read-only (sharing the readers' lock, so no
/// writer changes the volumes meanwhile) or for writing.
pub fn open_all(
    paths: &[PathBuf],
    write: bool,
    direct: bool,
    settings: &Settings,
) -> Result<Vec<Arc<dyn Device>>> {
    paths
        .iter()
        .map(|p| open(p, write, None, direct, false, settings))
        .collect()
}

/// Opens every device named read-only without any lock: for commands that
/// only show headers and states (inspect, mirror status, hotfix list) and
/// must work while a remirror or another writer runs.
pub fn open_all_observing(
    paths: &[PathBuf],
    direct: bool,
    settings: &Settings,
) -> Result<Vec<Arc<dyn Device>>> {
    paths
        .iter()
        .map(|p| open_with(p, false, None, direct, false, false, settings))
        .collect()
}
