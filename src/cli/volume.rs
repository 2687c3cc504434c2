//! `nwvol volume`: create, extend, rename and list volumes.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use serde_json::json;

use nwvol::assembly::Assembly;
use nwvol::assembly::admin::{create_volume, extend_volume, rename_volume};
use nwvol::units::format_size;
use nwvol::volume::plan::VolumeRequest;

use super::Session;
use super::format::{parse_block_size, parse_volume};
use super::nwpath::{FILES_JSON_VERSION, open_system};
use super::output::list_cell;
use super::{DeviceArgs, EXIT_OK, Output};

/// Options of `nwvol volume`.
#[derive(Debug, Args)]
pub struct VolumeArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: VolumeAction,
}

/// The volume subcommands.
#[derive(Debug, Subcommand)]
pub enum VolumeAction {
    /// Create a volume in the free space of the devices' partitions (after
    /// their existing volumes), spanning them in the order given.
    #[command(
        after_help = "Examples:\n  nwvol volume create -d disk0.img VOL1:2G\n  \
nwvol volume create -d disk0.img -d disk1.img --block-size 64K DATA"
    )]
    Create {
        #[command(flatten)]
        dev: DeviceArgs,
        /// Block size: 4K, 8K, 16K, 32K or 64K (default: by volume size).
        #[arg(long, value_name = "SIZE", value_parser = parse_block_size)]
        block_size: Option<u32>,
        /// NAME, or NAME:SIZE (default: all free space).
        #[arg(value_name = "NAME[:SIZE]", value_parser = parse_volume)]
        volume: VolumeRequest,
        /// Create the volume without block checksums (the layout NetWare
        /// itself writes).
        #[arg(long)]
        no_checksums: bool,
    },
    /// Add the free space of more devices' partitions to a volume, as new
    /// segments.
    #[command(
        after_help = "Examples:\n  nwvol volume extend -d disk0.img -d disk2.img SYS disk2.img"
    )]
    Extend {
        #[command(flatten)]
        dev: DeviceArgs,
        /// The volume.
        #[arg(value_name = "VOLUME")]
        volume: String,
        /// Devices (among -d) whose free space the volume takes.
        #[arg(required = true, value_name = "DEVICE")]
        onto: Vec<PathBuf>,
    },
    /// Rename a volume.
    #[command(after_help = "Examples:\n  nwvol volume rename -d disk0.img VOL1 DATA")]
    Rename {
        #[command(flatten)]
        dev: DeviceArgs,
        /// The current name.
        #[arg(value_name = "OLD")]
        old: String,
        /// The new name (2-15 of A-Z 0-9 _ - $ # @ ! % & ( )).
        #[arg(value_name = "NEW")]
        new: String,
    },
    /// List the volumes: block size, size, segments and where they are.
    #[command(
        after_help = "Examples:\n  nwvol volume list -d disk0.img -d disk1.img\n  nwvol volume list --json | jq .volumes"
    )]
    List {
        #[command(flatten)]
        dev: DeviceArgs,
        /// One JSON object instead of a table (shape in docs/JSON.md).
        #[arg(long)]
        json: bool,
        /// Scripted mode: no header, one tab-separated line per volume.
        #[arg(short = 'H')]
        no_header: bool,
    },
}

fn same_file(a: &Path, b: &str) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a.as_os_str() == b,
    }
}

/// The group holding the device `p`.
fn group_of(sys: &Assembly, p: &Path) -> Result<usize> {
    for (g, grp) in sys.groups.iter().enumerate() {
        if grp.members.iter().any(|m| same_file(p, m.partition.name())) {
            return Ok(g);
        }
    }
    bail!(
        "{}: not among the devices given with -d (name it there too)",
        p.display()
    )
}

fn list(sys: &Assembly, json_out: bool, out: &Output) -> Result<()> {
    let vols: Vec<serde_json::Value> = sys
        .volumes
        .iter()
        .map(|v| {
            json!({
                "name": v.name,
                "block_size": v.block_size,
                "total_blocks": v.total_blocks,
                "size_bytes": u64::from(v.total_blocks) * u64::from(v.block_size),
                "complete": v.complete(),
                "writable": v.writable(sys.io.as_ref()).is_ok(),
                "checksums": v.has_checksums(),
                "segments": v.segments.iter().map(|s| json!({
                    "number": s.entry.segment,
                    "group_id": sys.groups[s.group].group_id,
                    "devices": sys.groups[s.group].members.iter()
                        .map(|m| m.partition.name().to_string()).collect::<Vec<_>>(),
                    "first_block": s.entry.first_block,
                    "blocks": s.blocks(),
                    "logical_sector": s.entry.logical_first_sector(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    if json_out {
        out.json_list(FILES_JSON_VERSION, "volume list", "volumes", vols)?;
        return Ok(());
    }
    let mut t = Vec::new();
    let n = |v: &serde_json::Value| v.as_u64().unwrap_or(0);
    for v in &vols {
        let segs = list_cell(&v["segments"], |s| {
            format!(
                "#{} blocks {}+{} on {}",
                n(&s["number"]),
                n(&s["first_block"]),
                n(&s["blocks"]),
                s["devices"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|d| d.as_str())
                    .collect::<Vec<_>>()
                    .join(" + ")
            )
        });
        let mut name = v["name"].as_str().unwrap_or("").to_string();
        if v["complete"] == false {
            name.push_str(" (incomplete)");
        } else if v["writable"] == false {
            name.push_str(" (read-only)");
        }
        t.push(vec![
            name,
            format_size(n(&v["block_size"])),
            format_size(n(&v["size_bytes"])),
            segs,
        ]);
    }
    out.table(&["volume", "block", "size", "segments"], &t)?;
    Ok(())
}

/// Runs `nwvol volume`.
pub fn run(a: VolumeArgs, out: &Output, session: &Session) -> Result<i32> {
    match a.action {
        VolumeAction::Create {
            dev,
            block_size,
            volume,
            no_checksums,
        } => {
            let sys = open_system(&dev, session, true)?;
            let groups: Vec<usize> = (0..sys.groups.len()).collect();
            let p = create_volume(
                &sys,
                &volume.name,
                volume.size,
                &groups,
                block_size,
                !no_checksums,
            )?;
            out.info(format!(
                "created volume {}: {} in {} segment(s), {} blocks",
                p.name,
                format_size(u64::from(p.total_blocks) * u64::from(p.block_size)),
                p.segments.len(),
                format_size(u64::from(p.block_size))
            ))?;
        }
        VolumeAction::Extend { dev, volume, onto } => {
            let sys = open_system(&dev, session, true)?;
            let groups: Vec<usize> = onto
                .iter()
                .map(|p| group_of(&sys, p))
                .collect::<Result<_>>()?;
            let added = extend_volume(&sys, &volume, &groups)?;
            let bs = sys.volume(&volume).map_or(0, |v| u64::from(v.block_size));
            let blocks: u64 = added.iter().map(|s| u64::from(s.blocks)).sum();
            out.info(format!(
                "extended volume {} by {} in {} segment(s)",
                volume.to_ascii_uppercase(),
                format_size(blocks * bs),
                added.len()
            ))?;
        }
        VolumeAction::Rename { dev, old, new } => {
            let sys = open_system(&dev, session, true)?;
            let n = rename_volume(&sys, &old, &new)?;
            out.info(format!(
                "renamed volume {} to {n}",
                old.to_ascii_uppercase()
            ))?;
        }
        VolumeAction::List {
            dev,
            json,
            no_header,
        } => {
            let sys = open_system(&dev, session, false)?;
            list(&sys, json, &out.headerless(no_header))?;
        }
    }
    Ok(EXIT_OK)
}
