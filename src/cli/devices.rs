//! Opening the devices a command names.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Result, bail};

use nwvol::Settings;
use nwvol::assembly::LeftOut;
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

/// Fails when one device is named twice (the same file or device under
/// two names: compared by device and inode).
pub fn check_unique(paths: &[PathBuf]) -> Result<()> {
    use std::os::unix::fs::MetadataExt;
    let mut seen: Vec<((u64, u64), &PathBuf)> = Vec::new();
    for p in paths {
        if is_nbd(p) {
            continue;
        }
        let Ok(m) = std::fs::metadata(p) else {
            continue;
        };
        // A block device's node is identified by the device it names.
        let key = if m.file_type().is_file() || m.is_dir() {
            (m.dev(), m.ino())
        } else {
            (u64::MAX, m.rdev())
        };
        if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
            if first == &p {
                bail!("{}: given twice; name each device once", p.display());
            }
            bail!(
                "{} and {}: the same device given twice; name each device once",
                first.display(),
                p.display()
            );
        }
        seen.push((key, p));
    }
    Ok(())
}

/// The devices that opened, and one warning line for each that did not.
pub struct Available {
    /// The devices opened, in the order named.
    pub devs: Vec<Arc<dyn Device>>,
    /// "DEVICE: why" for each device that could not be opened.
    pub left_out: Vec<String>,
}

/// Opens the devices named, leaving out those that are missing or
/// unreadable (a busy device stays an error: another program uses it).
/// When none opens, the first one's error. [`Access::Observe`]: no lock (see
/// [`open_all_observing`]).
pub fn open_available(
    paths: &[PathBuf],
    access: Access,
    direct: bool,
    settings: &Settings,
) -> Result<Available> {
    check_unique(paths)?;
    let write = access == Access::Write;
    let observe = access == Access::Observe;
    let mut devs = Vec::new();
    let mut left_out = Vec::new();
    let mut first_err = None;
    for p in paths {
        match open_with(p, write, None, direct, false, !observe, settings) {
            Ok(d) => devs.push(d),
            Err(e) if is_busy(&e) => return Err(e),
            Err(e) => {
                left_out.push(super::output::one_line(&e));
                first_err.get_or_insert(e);
            }
        }
    }
    match first_err {
        Some(e) if devs.is_empty() => Err(e),
        _ => Ok(Available { devs, left_out }),
    }
}

fn is_busy(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(
            c.downcast_ref::<nwvol::device::DeviceError>(),
            Some(nwvol::device::DeviceError::Busy { .. })
        ) || matches!(
            c.downcast_ref::<nwvol::Error>(),
            Some(nwvol::Error::Device(
                nwvol::device::DeviceError::Busy { .. }
            ))
        )
    })
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

/// How a command opens its devices for [`assemble`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Shows headers only, no lock (inspect, mirror status, hotfix list).
    Observe,
    /// Reads, under the readers' lock.
    Read,
    /// Writes, under the exclusive lock.
    Write,
}

/// Opens the devices named and assembles what they hold, leaving out the
/// devices that cannot serve with one warning line each on stderr (even
/// when quiet: the set runs degraded until the user acts). Returns the
/// assembly and the warning lines (one per device left out).
pub fn assemble(
    paths: &[PathBuf],
    access: Access,
    direct: bool,
    settings: &Settings,
) -> Result<(nwvol::assembly::Assembly, Vec<String>)> {
    let av = open_available(paths, access, direct, settings)?;
    let sys = nwvol::assembly::Assembly::open_available(av.devs, settings.cache_config())?;
    let left = warn_left_out(av.left_out, &sys.left_out);
    Ok((sys, left))
}

/// True when another process holds `path` open for writing (its
/// exclusive lock): a remirror or a writer runs on it.
pub fn held_by_writer(path: &str, settings: &Settings) -> bool {
    let mut quick = settings.clone();
    quick.lock_wait = std::time::Duration::ZERO;
    match open_with(Path::new(path), false, None, false, false, true, &quick) {
        Ok(_) => false,
        Err(e) => is_busy(&e),
    }
}

/// The mirror groups on the devices given, opened without any lock (see
/// [`open_all_observing`]).
pub fn observe_groups(
    dev: &super::DeviceArgs,
    settings: &Settings,
) -> Result<Vec<nwvol::mirror::MirrorGroup>> {
    let paths = device_paths(&dev.devices)?;
    assemble_groups(&paths, Access::Observe, dev.direct, settings)
}

/// Like [`assemble`], mirror groups only (no volume table is read).
pub fn assemble_groups(
    paths: &[PathBuf],
    access: Access,
    direct: bool,
    settings: &Settings,
) -> Result<Vec<nwvol::mirror::MirrorGroup>> {
    let av = open_available(paths, access, direct, settings)?;
    let (groups, left) = nwvol::assembly::Assembly::open_partitions_available(av.devs)?;
    warn_left_out(av.left_out, &left);
    Ok(groups)
}

/// Warns of each device left out: those that did not open (`unopened`,
/// lines already), then those the assembly left out. Returns the lines.
fn warn_left_out(unopened: Vec<String>, assembly: &[LeftOut]) -> Vec<String> {
    let mut lines = unopened;
    lines.extend(assembly.iter().map(|l| super::output::tidy(&l.to_string())));
    for l in &lines {
        eprintln!("nwvol: warning: {l}; left out, the other devices assemble without it");
    }
    lines
}
