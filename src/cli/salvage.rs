//! `nwvol salvage`: listing deleted files and restoring them.

use anyhow::{Result, bail};
use clap::Args;
use serde_json::Value;

use nwvol::volume::index::Node;
use nwvol::volume::{NwPath, OpenMode, OpenVolume};

use super::Session;
use super::nwpath::{FILES_JSON_VERSION, attr_letters, deleted_at, entry_json, open_system, parse};
use super::{DeviceArgs, EXIT_OK, Output};

/// Options of `nwvol salvage`.
#[derive(Debug, Args)]
pub struct SalvageArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// Only list what could be restored, even for a file's path.
    #[arg(short, long)]
    pub list: bool,
    /// List as one JSON object (the `ls --json` shape; implies --list).
    #[arg(long)]
    pub json: bool,
    /// A directory (lists the deleted files in and below it) or a deleted
    /// file's path (restores it; the most recently deleted one when there
    /// are several).
    #[arg(value_name = "VOLUME:/PATH")]
    pub path: String,
}

fn deleted_below(v: &OpenVolume, dir: u32, out: &mut Vec<u32>) {
    out.extend(v.list_deleted(dir).iter().map(|n| n.index));
    for n in v.list(dir) {
        if let Some(id) = n.dir_id() {
            deleted_below(v, id, out);
        }
    }
}

/// Lists deleted entries: lines for people, or one `ls --json`-shaped object.
fn show_all(out: &Output, v: &OpenVolume, nodes: &[&Node], as_json: bool) -> Result<()> {
    if as_json {
        let entries: Vec<Value> = nodes.iter().map(|n| entry_json(v, n)).collect();
        out.json_list(FILES_JSON_VERSION, "salvage", "entries", entries)?;
        return Ok(());
    }
    for n in nodes {
        show(out, v, n)?;
    }
    Ok(())
}

fn show(out: &Output, v: &OpenVolume, n: &Node) -> Result<()> {
    out.line(format!(
        "{} {:>10}  deleted {}  {}",
        attr_letters(n.attributes()),
        n.length(),
        deleted_at(n),
        v.path_of(n.index)
    ))?;
    Ok(())
}

/// Runs `nwvol salvage`.
pub fn run(a: SalvageArgs, out: &Output, session: &Session) -> Result<i32> {
    let p: NwPath = parse(&a.path)?;
    let list = a.list || a.json;
    let sys = open_system(&a.dev, session, !list)?;
    let mode = if list {
        OpenMode::ReadOnly
    } else {
        OpenMode::Write
    };
    let mut v = OpenVolume::from_assembly(&sys, &p.volume, mode)?;
    if let Ok(t) = v.resolve(&p)
        && let Some(dir) = v.dir_id_of(t)
    {
        let mut found = Vec::new();
        deleted_below(&v, dir, &mut found);
        let nodes: Vec<&Node> = found.iter().filter_map(|&i| v.index().get(i)).collect();
        show_all(out, &v, &nodes, a.json)?;
        return Ok(EXIT_OK);
    }
    let (dir, name) = v.resolve_parent(&p)?;
    let mut cands: Vec<&Node> = v
        .index()
        .deleted_named(dir, name)
        .into_iter()
        .filter_map(|i| v.index().get(i))
        .collect();
    if cands.is_empty() {
        bail!("{p}: no deleted file of that name");
    }
    cands.sort_by_key(|n| (deleted_at(n).0, n.index));
    if list {
        show_all(out, &v, &cands, a.json)?;
        return Ok(EXIT_OK);
    }
    let idx = cands.last().map(|n| n.index).unwrap_or(0);
    v.salvage(idx)?;
    v.sync()?;
    out.info(format!("salvaged {}", v.path_of(idx)))?;
    Ok(EXIT_OK)
}
