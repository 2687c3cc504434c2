//! `nwvol hotfix list`: the units each member's hot-fix table redirects.

use anyhow::Result;
use clap::{Args, Subcommand};
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
    #[command(
        after_help = "Examples:\n  nwvol hotfix list -d disk0.img -d disk1.img\n  \
nwvol hotfix list -H | awk '$1 == \"member\" {print $2, $6}'   # pool slots used per member\n  \
nwvol hotfix list --json | jq '.members[].redirects'"
    )]
    List(ListArgs),
}

/// Options of `nwvol hotfix list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// One JSON object instead of tables (shape in docs/JSON.md).
    #[arg(long)]
    pub json: bool,
    /// Scripted mode: no headers, tab-separated lines, each starting with
    /// `member` (device, partition ID, group ID, state, pool slots used,
    /// pool slots) or `redirect` (device, logical sector, logical byte,
    /// slot, device byte).
    #[arg(short = 'H')]
    pub no_header: bool,
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
    let out = &out.headerless(a.no_header);
    let groups = devices::observe_groups(&a.dev, &session.settings)?;
    let members = members_json(&groups);
    if a.json {
        out.json_list(HOTFIX_JSON_VERSION, "hotfix list", "members", members)?;
        return Ok(EXIT_OK);
    }
    let n = |v: &Value| v.as_u64().unwrap_or(0);
    for m in &members {
        let rows = m["redirects"].as_array().cloned().unwrap_or_default();
        let device = m["device"].as_str().unwrap_or("").to_string();
        if out.headerless {
            out.named_table(
                Some("member"),
                &[],
                &[vec![
                    device.clone(),
                    format!("{:08x}", n(&m["partition_id"])),
                    format!("{:08x}", n(&m["group_id"])),
                    m["state"].as_str().unwrap_or("").to_string(),
                    n(&m["pool_slots_used"]).to_string(),
                    n(&m["pool_slots"]).to_string(),
                ]],
            )?;
        } else {
            out.line(format!(
                "{} (partition {:08x}, group {:08x}, {}): {} of {} pool slots used",
                m["device"].as_str().unwrap_or(""),
                n(&m["partition_id"]),
                n(&m["group_id"]),
                m["state"].as_str().unwrap_or(""),
                n(&m["pool_slots_used"]),
                n(&m["pool_slots"]),
            ))?;
        }
        if rows.is_empty() {
            continue;
        }
        let t: Vec<Vec<String>> = rows
            .iter()
            .map(|r| {
                let cells = [
                    n(&r["logical_sector"]).to_string(),
                    n(&r["logical_byte"]).to_string(),
                    n(&r["slot"]).to_string(),
                    n(&r["device_byte"]).to_string(),
                ];
                if out.headerless {
                    std::iter::once(device.clone()).chain(cells).collect()
                } else {
                    cells.to_vec()
                }
            })
            .collect();
        out.named_table(
            Some("redirect"),
            &["logical sector", "logical byte", "slot", "device byte"],
            &t,
        )?;
    }
    Ok(EXIT_OK)
}
