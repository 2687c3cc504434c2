//! `nwvol format`.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Args;

use nwvol::device::file::is_block_device;
use nwvol::device::mounted;
use nwvol::format::{FormatOptions, FormatPlan, format, plan};
use nwvol::partition::plan::MAX_USED_DEVICE_BYTES;
use nwvol::units::SECTOR;
use nwvol::units::{format_size, parse_size};
use nwvol::volume::plan::VolumeRequest;

use super::{EXIT_OK, Output, Session, devices};

/// Options of `nwvol format`.
#[derive(Debug, Args)]
pub struct FormatArgs {
    /// Devices, image files or NBD URIs (nbd://HOST[:PORT]/EXPORT) to format.
    #[arg(required = true, value_name = "DEVICE")]
    pub devices: Vec<PathBuf>,
    /// Make all devices one mirror group (up to 8); without it, several
    /// devices become one volume spanning them as segments.
    #[arg(long)]
    pub mirror: bool,
    /// Volume block size: 4K, 8K, 16K, 32K or 64K (default: by volume size,
    /// the smallest that keeps the volume at most 2Mi blocks: 4K up to 8G,
    /// 8K to 16G, 16K to 32G, 32K to 64G, 64K above).
    #[arg(long, value_name = "SIZE", value_parser = parse_block_size)]
    pub block_size: Option<u32>,
    /// A volume to create, NAME or NAME:SIZE (repeatable; the last may omit
    /// its size and takes the rest). Default: one volume SYS over all space.
    #[arg(long = "volume", value_name = "NAME[:SIZE]", value_parser = parse_volume)]
    pub volumes: Vec<VolumeRequest>,
    /// Hot-fix pool size per partition (default: about 2% of it).
    #[arg(long, value_name = "SIZE", value_parser = parse_hotfix)]
    pub hotfix: Option<u64>,
    /// Create missing image files of this size (sparse), e.g. 512M, 1G; at
    /// most 2T (what an MBR partition addresses), rounded down to whole
    /// 512-byte sectors. K, M, G, T (or KiB, MiB...) are binary, KB, MB,
    /// GB, TB decimal (1GB = 10^9 bytes).
    #[arg(long, value_name = "SIZE", value_parser = parse_size_arg)]
    pub size: Option<u64>,
    /// Overwrite devices that hold a partition table or a file system.
    #[arg(short, long)]
    pub force: bool,
    /// Show what would be written and write nothing.
    #[arg(short = 'n', long)]
    pub dry_run: bool,
    /// Use O_DIRECT for image files too, where their file system takes
    /// 512-byte direct I/O (raw block devices with 512-byte sectors use it
    /// always).
    #[arg(long)]
    pub direct: bool,
    /// Create the volumes without block checksums: the layout NetWare
    /// itself writes, but verify cannot find silent corruption on one copy.
    #[arg(long)]
    pub no_checksums: bool,
}

fn parse_size_arg(s: &str) -> Result<u64, String> {
    parse_size(s)
}

/// Parses `--hotfix`: a size larger than 0.
fn parse_hotfix(s: &str) -> Result<u64, String> {
    match parse_size(s)? {
        0 => Err("the hot-fix pool must be larger than 0".into()),
        v => Ok(v),
    }
}

/// Parses a NetWare block size (4K..64K); shared with `volume create`.
pub(super) fn parse_block_size(s: &str) -> Result<u32, String> {
    let v = parse_size(s)?;
    match v {
        4096 | 8192 | 16384 | 32768 | 65536 => Ok(v as u32),
        _ => Err(format!(
            "{s} is not a NetWare block size: use 4K, 8K, 16K, 32K or 64K"
        )),
    }
}

/// Parses NAME[:SIZE]; shared with `volume create`.
pub(super) fn parse_volume(s: &str) -> Result<VolumeRequest, String> {
    let (name, size) = match s.split_once(':') {
        Some((n, sz)) => (n, Some(parse_size(sz)?)),
        None => (s, None),
    };
    let name = nwvol::layout::voltab::validate_volume_name(name).map_err(|e| e.to_string())?;
    Ok(VolumeRequest { name, size })
}

fn describe(p: &FormatPlan, paths: &[PathBuf], mirror: bool) -> Vec<String> {
    let mut lines = Vec::new();
    let names: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    if mirror && paths.len() > 1 {
        lines.push(format!(
            "mirror group of {} members ({}), logical partition {}",
            paths.len(),
            names.join(", "),
            format_size(p.data_sectors[0] as u64 * SECTOR as u64)
        ));
    } else {
        for (i, n) in names.iter().enumerate() {
            lines.push(format!(
                "{n}: logical partition {}",
                format_size(p.data_sectors[i] as u64 * SECTOR as u64)
            ));
        }
    }
    for v in &p.volumes {
        lines.push(format!(
            "volume {}: {} ({} blocks of {}) in {} segment{}",
            v.name,
            format_size(v.total_blocks as u64 * v.block_size as u64),
            v.total_blocks,
            format_size(v.block_size as u64),
            v.segments.len(),
            if v.segments.len() == 1 { "" } else { "s" }
        ));
    }
    lines
}

/// Runs `nwvol format`.
pub fn run(a: FormatArgs, out: &Output, session: &Session) -> Result<i32> {
    for (i, p) in a.devices.iter().enumerate() {
        if a.devices[..i].contains(p) {
            bail!("{}: given twice", p.display());
        }
        if is_block_device(p)
            && let Some(at) =
                mounted(p).with_context(|| format!("{}: cannot check mounts", p.display()))?
        {
            bail!("{}: is mounted on {at}; unmount it first", p.display());
        }
    }
    if let Some(size) = a.size
        && size > MAX_USED_DEVICE_BYTES
    {
        bail!(
            "--size {}: larger than a NetWare disk can use: an MBR partition holds at most \
             2^32 sectors, so at most {} of a disk is used; give at most 2T",
            format_size(size),
            format_size(MAX_USED_DEVICE_BYTES)
        );
    }
    // Image files this run creates: removed again when it fails, so that a
    // refused or failed format leaves nothing behind.
    let mut created: Vec<PathBuf> = Vec::new();
    let r = open_and_format(&a, out, session, &mut created);
    if r.is_err() {
        for p in &created {
            let _ = std::fs::remove_file(p);
        }
    }
    r
}

fn open_and_format(
    a: &FormatArgs,
    out: &Output,
    session: &Session,
    created: &mut Vec<PathBuf>,
) -> Result<i32> {
    let mut devs: Vec<std::sync::Arc<dyn nwvol::device::Device>> = Vec::new();
    // Whole sectors: a decimal size such as 100MB is not a multiple of 512.
    let size = a.size.map(|s| s - s % SECTOR as u64);
    for p in &a.devices {
        let missing = !devices::is_nbd(p) && std::fs::symlink_metadata(p).is_err();
        let dev = match (a.dry_run, size) {
            // A dry run creates nothing: a missing image is planned at --size.
            (true, Some(size)) if missing => std::sync::Arc::new(NotYetCreated {
                name: p.display().to_string(),
                size,
            })
                as std::sync::Arc<dyn nwvol::device::Device>,
            _ => devices::open(p, !a.dry_run, size, a.direct, true, &session.settings)?,
        };
        if missing && !a.dry_run {
            created.push(p.clone());
        }
        devs.push(dev);
    }
    let opts = FormatOptions {
        mirror: a.mirror,
        block_size: a.block_size,
        volumes: a.volumes.clone(),
        hotfix: a.hotfix,
        force: a.force,
        checksums: !a.no_checksums,
    };
    if a.dry_run {
        let p = plan(&devs, &opts)?;
        nwvol::format::check_devices(&devs, a.force)?;
        out.info("dry run: nothing written")?;
        for l in describe(&p, &a.devices, a.mirror) {
            out.info(l)?;
        }
        return Ok(EXIT_OK);
    }
    let p = format(&devs, &opts)?;
    // Written: from here on the images stay, whatever happens to the output.
    created.clear();
    for l in describe(&p, &a.devices, a.mirror) {
        out.info(l)?;
    }
    Ok(EXIT_OK)
}

/// An image file a dry run would create: its size, and zeros.
#[derive(Debug)]
struct NotYetCreated {
    name: String,
    size: u64,
}

impl nwvol::device::Device for NotYetCreated {
    fn name(&self) -> &str {
        &self.name
    }
    fn kind(&self) -> nwvol::device::DeviceKind {
        nwvol::device::DeviceKind::Image
    }
    fn size(&self) -> u64 {
        self.size
    }
    fn read_at(&self, buf: &mut [u8], _offset: u64) -> nwvol::device::DeviceResult<()> {
        buf.fill(0);
        Ok(())
    }
    fn write_vectored_at(
        &self,
        _bufs: &[std::io::IoSlice<'_>],
        offset: u64,
    ) -> nwvol::device::DeviceResult<()> {
        Err(nwvol::device::DeviceError::Unusable {
            device: self.name.clone(),
            reason: format!("dry run: refusing to write at byte {offset}"),
        })
    }
    fn sync(&self) -> nwvol::device::DeviceResult<()> {
        Ok(())
    }
    fn reads_zeros(&self) -> bool {
        true
    }
}
