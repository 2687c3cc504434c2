//! Opening the devices a command names.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Result, bail};

use crate::device::Device;
use crate::device::file::{FileDevice, OpenOptions};

/// The devices from -d, else from NWVOL_DEVICES.
pub fn device_paths(given: &[PathBuf]) -> Result<Vec<PathBuf>> {
    if !given.is_empty() {
        return Ok(given.to_vec());
    }
    let env = std::env::var("NWVOL_DEVICES").unwrap_or_default();
    let paths: Vec<PathBuf> = env
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .collect();
    if paths.is_empty() {
        bail!("no devices: name each member with -d DEVICE, or set NWVOL_DEVICES");
    }
    Ok(paths)
}

/// Opens one device.
pub fn open(
    path: &Path,
    write: bool,
    create_size: Option<u64>,
    direct: bool,
) -> Result<Arc<dyn Device>> {
    if create_size.is_none() && std::fs::symlink_metadata(path).is_err() {
        // Said here: the device layer's message suggests --size, which
        // only format has.
        bail!(
            "{}: no such file or device{}",
            path.display(),
            if write {
                "; give --size to create an image file"
            } else {
                ""
            }
        );
    }
    let dev = FileDevice::open(
        path,
        &OpenOptions {
            write,
            create_size,
            direct,
        },
    )?;
    Ok(Arc::new(dev))
}

/// Opens every device named, read-only or for writing.
pub fn open_all(paths: &[PathBuf], write: bool, direct: bool) -> Result<Vec<Arc<dyn Device>>> {
    paths.iter().map(|p| open(p, write, None, direct)).collect()
}
