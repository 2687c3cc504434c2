//! `nwvol mirror resume --from`: ending a split (members written apart)
//! by keeping one member's data; the dry run lists what the other loses.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use nwvol::membership;
use nwvol::volume::{OpenMode, OpenVolume};

use super::{DeviceArgs, Output, Session, devices};

/// What identifies a file's contents without reading them: length,
/// modification time and blocks.
type FileKey = (u32, u32, Vec<u32>);

/// Every live file of every volume of a one-device assembly, by path.
fn files(path: &Path, dev: &DeviceArgs, session: &Session) -> Result<BTreeMap<String, FileKey>> {
    let (sys, _) = devices::assemble(
        &[path.to_path_buf()],
        devices::Access::Read,
        dev.direct,
        &session.settings,
    )?;
    let mut out = BTreeMap::new();
    for v in &sys.volumes {
        let vol = OpenVolume::from_assembly(&sys, &v.name, OpenMode::ReadOnly)?;
        for n in vol.index().nodes() {
            if n.is_dir() || n.is_deleted() {
                continue;
            }
            let blocks = vol.file_blocks(n).unwrap_or_default();
            out.insert(
                vol.path_of(n.index).to_string(),
                (n.length(), n.modified().0, blocks),
            );
        }
    }
    Ok(out)
}

/// Resolves a split in favour of `from` (or, with `dry_run`, lists the
/// files the other member would lose). Returns false when there was no
/// split to resolve and nothing was done.
pub fn resume_from(
    paths: &[PathBuf],
    from: &Path,
    dev: &DeviceArgs,
    dry_run: bool,
    out: &Output,
    session: &Session,
) -> Result<bool> {
    let keep = from.display().to_string();
    if !paths.iter().any(|p| p == from) {
        bail!("{keep}: give it with -d too (--from names one of the devices given)");
    }
    let access = if dry_run {
        devices::Access::Read
    } else {
        devices::Access::Write
    };
    let groups = devices::assemble_groups(paths, access, dev.direct, &session.settings)?;
    let Some(g) = groups.iter().find(|g| {
        g.members
            .iter()
            .any(|m| m.partition.name() == keep.as_str())
    }) else {
        bail!("{keep}: not a NetWare partition among the devices given");
    };
    let Some((a, b)) = g.split_brain() else {
        out.info(format!(
            "{keep}: its group was not written apart; resuming as usual"
        ))?;
        return Ok(true);
    };
    let other = if a == keep { b } else { a };
    if dry_run {
        drop(groups);
        let kept = files(from, dev, session)?;
        let lost = files(Path::new(&other), dev, session)?;
        let mut n = 0usize;
        let mut blocks = 0usize;
        for (p, k) in &lost {
            let why = match kept.get(p) {
                None => "not on",
                Some(x) if x != k => "differs on",
                Some(_) => continue,
            };
            n += 1;
            blocks += k.2.len();
            out.line(format!(
                "would lose {p} ({} bytes, {} blocks): {why} {keep}",
                k.0,
                k.2.len()
            ))?;
        }
        out.line(format!(
            "dry run: {keep} would be copied over {other}: {n} file(s) of {other} ({blocks} blocks) would be lost; nothing written"
        ))?;
        return Ok(false);
    }
    let gone = membership::resolve_split(g, &keep)?;
    out.info(format!(
        "{keep}: kept; {gone} is out of sync and gets a full copy of {keep}"
    ))?;
    drop(groups);
    Ok(true)
}
