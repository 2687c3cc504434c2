//! `nwvol hotfix list`: the units each member's hot-fix table redirects.

use anyhow::Result;
use clap::{Args, Subcommand};
use comfy_table::{Table, presets::UTF8_FULL_CONDENSED};
use serde_json::{Value, json};

use nwvol::mirror::MirrorGroup;
use nwvol::units::SECTOR;

use super::{DeviceArgs, EXIT_OK, Output, Session, devices};

/// Version of the `hotfix list --json` shape.
pub const HOTFIX_JSON_VERSION: u32 = 1;

/// Options of `nwvol hotfix`.
#[derive(Debug, Args)]
pub struct HotfixArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: HotfixCommand,
}

/// The hot-fix subcommands.
#[derive(Debug, Subcommand)]
pub enum HotfixCommand {
    /// List the redirected units of each member's hot-fix table.
    List(ListArgs),
}

/// Options of `nwvol hotfix list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// One JSON object instead of tables.
    #[arg(long)]
    pub json: bool,
}

fn members_json(groups: &[MirrorGroup]) -> Vec<Value> {
    let mut out = Vec::new();
    for g in groups {
        for m in &g.members {
            let p = &m.partition;
            let redirects: Vec<Value> = p
                .redirects()
                .iter()
                .map(|r| {
                    json!({
                        "logical_sector": r.logical_sector,
                        "logical_byte": r.logical_sector as u64 * SECTOR as u64,
                        "slot": r.slot,
                        "device_byte": p.slot_device_offset(r.slot),
                    })
                })
                .collect();
            out.push(json!({
                "device": p.name(),
                "partition_id": p.id(),
                "group_id": g.group_id,
                "state": m.state().to_string(),
                "pool_slots": p.pool_slots(),
                "pool_slots_used": redirects.len(),
                "redirects": redirects,
            }));
        }
    }
    out
}

/// Runs `nwvol hotfix`.
pub fn run(a: HotfixArgs, out: &Output, session: &Session) -> Result<i32> {
    let HotfixCommand::List(a) = a.command;
    let paths = devices::device_paths(&a.dev.devices)?;
    let groups = devices::assemble_groups(
        &paths,
        devices::Access::Observe,
        a.dev.direct,
        &session.settings,
    )?;
    let members = members_json(&groups);
    if a.json {
        out.json(&json!({
            "nwvol_json": HOTFIX_JSON_VERSION,
            "command": "hotfix list",
            "members": members,
        }))?;
        return Ok(EXIT_OK);
    }
    for m in &members {
        let n = |v: &Value| v.as_u64().unwrap_or(0);
        out.line(format!(
            "{} (partition {:08x}, group {:08x}, {}): {} of {} pool slots used",
            m["device"].as_str().unwrap_or(""),
            n(&m["partition_id"]),
            n(&m["group_id"]),
            m["state"].as_str().unwrap_or(""),
            n(&m["pool_slots_used"]),
            n(&m["pool_slots"]),
        ))?;
        let rows = m["redirects"].as_array().cloned().unwrap_or_default();
        if rows.is_empty() {
            continue;
        }
        let mut t = Table::new();
        t.load_style(UTF8_FULL_CONDENSED);
        t.set_header(vec![
            "logical sector",
            "logical byte",
            "slot",
            "device byte",
        ]);
        for r in rows {
            t.add_row(vec![
                n(&r["logical_sector"]).to_string(),
                n(&r["logical_byte"]).to_string(),
                n(&r["slot"]).to_string(),
                n(&r["device_byte"]).to_string(),
            ]);
        }
        out.line(t.to_string())?;
    }
    Ok(EXIT_OK)
}
