//! `nwvol inspect`: partitions, mirror groups, members and volumes.

use anyhow::Result;
use clap::Args;
use serde_json::{Value, json};

use nwvol::assembly::Assembly;
use nwvol::layout::hotfix::{HOTFIX_FIRST_SECTOR, POOL_FIRST_SECTOR};
use nwvol::layout::voltab::VOLTAB_COPY_BYTES;
use nwvol::mirror::MirrorGroup;
use nwvol::partition::{CopyStatus, Partition};
use nwvol::units::SECTOR;
use nwvol::units::format_size;
use nwvol::volume::{GroupTable, Volume};

use super::output::list_cell;
use super::{DeviceArgs, EXIT_FAILURE, EXIT_OK, Output, Session, devices};

/// Version of the `inspect --json` shape (docs/JSON.md).
pub const INSPECT_JSON_VERSION: u32 = 2;

/// Options of `nwvol inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// One JSON object instead of tables (shape in docs/JSON.md).
    #[arg(long)]
    pub json: bool,
    /// Scripted mode: no titles or headers, tab-separated lines, each
    /// starting with its table's kind: `partition`, `member` (then the
    /// group ID) or `volume`.
    #[arg(short = 'H')]
    pub no_header: bool,
}

fn partition_json(p: &Partition) -> Value {
    let start = p.start_byte;
    let used = p.redirected_units() as u64;
    let slots = p.pool_slots() as u64;
    json!({
        "device": p.name(),
        "kind": p.device.kind(),
        "size_bytes": p.device.size(),
        "mbr": p.mbr.as_ref().and_then(|m| m.netware()).map(|(i, e)| json!({
            "entry": i + 1, "type": e.kind, "start_lba": e.start_lba, "sectors": e.sectors,
        })),
        "partition_id": p.id(),
        "nwvol": p.writable(),
        "start_byte": start,
        "sectors": p.sectors,
        "hotfix_area_byte": start + HOTFIX_FIRST_SECTOR as u64 * SECTOR as u64,
        "pool_byte": start + POOL_FIRST_SECTOR as u64 * SECTOR as u64,
        "redirection_sectors": p.hotfix.redir_sectors,
        "pool_slots": slots,
        "pool_slots_used": used,
        "volume_table_byte": p.logical_start_byte(),
        "data_area_byte": p.logical_start_byte() + 4 * VOLTAB_COPY_BYTES as u64,
        "logical_sectors": p.hotfix.data_sectors,
        "header_copies": p.copies.iter().map(|c| match c {
            CopyStatus::Good => "good".to_string(),
            CopyStatus::Stale => "stale".to_string(),
            CopyStatus::Damaged(e) => format!("damaged: {e}"),
        }).collect::<Vec<_>>(),
        "warnings": partition_warnings(p),
    })
}

fn partition_warnings(p: &Partition) -> Vec<String> {
    // The header copies that are not good, with the command that repairs
    // them.
    let mut w: Vec<String> = p
        .copies
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match c {
            CopyStatus::Good => None,
            CopyStatus::Stale => Some(format!(
                "hot-fix/mirror header copy {i} is stale; verify --repair rewrites it"
            )),
            CopyStatus::Damaged(e) => Some(format!(
                "hot-fix/mirror header copy {i} is damaged ({e}); verify --repair rewrites it"
            )),
        })
        .collect();
    w.extend(p.warnings.iter().cloned());
    let used = p.redirected_units() as u64;
    let slots = p.pool_slots() as u64;
    if slots > 0 && used * 2 > slots {
        w.push(format!(
            "hot-fix pool more than half used ({used} of {slots} slots): the disk is failing; replace it"
        ));
    }
    w
}

/// Warnings about a group's volume table copies that did not read back as
/// the copy in use.
fn volume_table_warnings(g: &MirrorGroup, t: &GroupTable) -> Vec<String> {
    t.copies
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            c.as_ref().map(|why| {
                format!(
                    "{}: volume definition table copy {i} is {why}; another copy is used (verify --repair rewrites it)",
                    g.name()
                )
            })
        })
        .collect()
}

/// A member's I/O counters since assembly, named as docs/JSON.md says.
fn counters_json(c: &nwvol::mirror::member::MemberCounters) -> Value {
    json!({
        "reads": c.reads, "read_bytes": c.bytes_read,
        "writes": c.writes, "written_bytes": c.bytes_written,
        "read_errors": c.read_errors, "write_errors": c.write_errors,
        "repairs": c.repairs, "redirects": c.redirects, "syncs": c.syncs,
    })
}

/// The block cache's figures, named as docs/JSON.md says.
fn cache_json(c: &nwvol::cache::CacheStats) -> Value {
    json!({
        "capacity_bytes": c.capacity, "used_bytes": c.used, "dirty_bytes": c.dirty,
        "blocks": c.blocks, "hits": c.hits, "misses": c.misses, "evictions": c.evictions,
        "flushes": c.flushes, "runs": c.runs, "blocks_written": c.blocks_written,
        "written_bytes": c.bytes_written, "throttled": c.throttled,
        "flush_errors": c.flush_errors,
    })
}

fn group_json(g: &MirrorGroup, t: &GroupTable) -> Value {
    let table = g.table();
    let ext = table.ext.as_ref();
    let mut warnings = g.warnings.clone();
    warnings.extend(volume_table_warnings(g, t));
    let members = super::mirror::member_slots_json(g, |rec, present| {
        json!({
            "logical_start_byte": present.map(|m| m.partition.logical_start_byte()),
            "hotfix_slots_used": present.map(|m| m.partition.redirected_units()),
            "counters": present.map(|m| counters_json(&m.stats.snapshot())),
            "remirror": rec.filter(|r| r.total > 0).map(|r| json!({
                "checkpoint_bytes": r.checkpoint, "done_bytes": r.progress, "total_bytes": r.total,
            })),
        })
    });
    json!({
        "group_id": g.group_id,
        "logical_bytes": g.logical_bytes,
        "events": ext.map(|x| x.events),
        "degraded": g.degraded(),
        "missing": g.missing,
        "removed": super::mirror::removed_json(g),
        "members": members,
        "warnings": warnings,
    })
}

/// An error reading a volume as one line naming the device: the error's own
/// text when it starts with a member's device, else prefixed with the
/// device of the volume's first segment.
fn volume_error_line(sys: &Assembly, v: &Volume, e: &nwvol::Error) -> String {
    let msg = e.to_string();
    let named = sys
        .groups
        .iter()
        .flat_map(|g| g.members.iter())
        .any(|m| msg.starts_with(&format!("{}: ", m.partition.name())));
    if named {
        return msg;
    }
    let device = v
        .segments
        .first()
        .map(|s| sys.groups[s.group].name())
        .unwrap_or_default();
    format!("{device}: {msg}")
}

/// The volumes as JSON, and one error line per volume that could not be
/// read.
fn volumes_json(sys: &Assembly) -> (Vec<Value>, Vec<String>) {
    let mut failed = Vec::new();
    let vols = sys
        .volumes
        .iter()
        .map(|v| {
            let stats = if v.complete() {
                match v.stats(sys.io.as_ref()) {
                    Ok(s) => Ok(s),
                    Err(e) => {
                        let line = volume_error_line(sys, v, &e);
                        failed.push(line.clone());
                        Err(line)
                    }
                }
            } else {
                Err(format!(
                    "incomplete: segment(s) {:?} missing",
                    v.missing_segments
                ))
            };
            json!({
                "name": v.name,
                "block_size": v.block_size,
                "total_blocks": v.total_blocks,
                "size_bytes": v.total_blocks as u64 * v.block_size as u64,
                "complete": v.complete(),
                "checksums": v.has_checksums(),
                "stats": stats.as_ref().ok(),
                "error": stats.as_ref().err(),
                "segments": v.segments.iter().map(|s| json!({
                    "number": s.entry.segment,
                    "group_id": sys.groups[s.group].group_id,
                    "first_block": s.entry.first_block,
                    "blocks": s.blocks(),
                    "logical_sector": s.entry.logical_first_sector(),
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    (vols, failed)
}

fn n(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// Runs `nwvol inspect`.
pub fn run(a: InspectArgs, out: &Output, session: &Session) -> Result<i32> {
    let out = &out.headerless(a.no_header);
    let paths = devices::device_paths(&a.dev.devices)?;
    let (sys, _) = devices::assemble(
        &paths,
        devices::Access::Observe,
        a.dev.direct,
        &session.settings,
    )?;
    // inspect shows what is on the devices, damaged or not; finding bad
    // blocks is verify's.
    sys.cache.set_checker(None);
    let parts: Vec<Value> = sys
        .groups
        .iter()
        .flat_map(|g| g.members.iter().map(|m| partition_json(&m.partition)))
        .collect();
    let groups: Vec<Value> = sys
        .groups
        .iter()
        .zip(&sys.tables)
        .map(|(g, t)| group_json(g, t))
        .collect();
    let (volumes, failed) = volumes_json(&sys);
    let code = if failed.is_empty() {
        EXIT_OK
    } else {
        EXIT_FAILURE
    };
    if a.json {
        out.json(&json!({
            "nwvol_json": INSPECT_JSON_VERSION,
            "command": "inspect",
            "devices": parts,
            "groups": groups,
            "volumes": volumes,
            "cache": cache_json(&sys.cache.stats()),
        }))?;
    } else {
        print_tables(&sys, &parts, &groups, &volumes, out)?;
    }
    // Warnings and errors go to stderr in both modes.
    print_warnings(&sys, &parts, &groups, &volumes, out);
    for e in &failed {
        out.error(e);
    }
    Ok(code)
}

/// The partitions, mirror groups and volumes as tables, on stdout.
fn print_tables(
    sys: &Assembly,
    parts: &[Value],
    groups: &[Value],
    volumes: &[Value],
    out: &Output,
) -> Result<()> {
    let mut t = Vec::new();
    for p in parts {
        t.push(vec![
            p["device"].as_str().unwrap_or("").to_string(),
            format!(
                "sector {} +{} ({}){}",
                n(&p["start_byte"]) / SECTOR as u64,
                n(&p["sectors"]),
                format_size(n(&p["sectors"]) * SECTOR as u64),
                if p["nwvol"].as_bool() == Some(true) {
                    ""
                } else {
                    ", plain NetWare"
                }
            ),
            format!("{:08x}", n(&p["partition_id"])),
            format!("byte {}", n(&p["hotfix_area_byte"])),
            format!(
                "{} used of {}",
                n(&p["pool_slots_used"]),
                n(&p["pool_slots"])
            ),
            format!("byte {}", n(&p["volume_table_byte"])),
            format!("byte {}", n(&p["data_area_byte"])),
            format_size(n(&p["logical_sectors"]) * SECTOR as u64),
        ]);
    }
    out.titled_table(
        "Partitions",
        "partition",
        &[
            "device",
            "partition",
            "ID",
            "hot-fix area",
            "pool slots",
            "volume table",
            "data area",
            "logical size",
        ],
        &t,
    )?;
    for (i, g) in groups.iter().enumerate() {
        let mut t = Vec::new();
        for m in g["members"].as_array().into_iter().flatten() {
            let rem = &m["remirror"];
            let mut row = Vec::new();
            if out.headerless {
                row.push(format!("{:08x}", n(&g["group_id"])));
            }
            row.extend([
                n(&m["slot"]).to_string(),
                format!("{:08x}", n(&m["partition_id"])),
                m["device"].as_str().unwrap_or("(missing)").to_string(),
                if m["present"].as_bool() == Some(true) {
                    m["state"].as_str().unwrap_or("").to_string()
                } else {
                    format!("{} (missing)", m["state"].as_str().unwrap_or(""))
                },
                m["logical_start_byte"]
                    .as_u64()
                    .map(|b| format!("byte {b}"))
                    .unwrap_or_else(|| "-".into()),
                if rem.is_null() {
                    "-".into()
                } else {
                    format!(
                        "{} of {}",
                        format_size(n(&rem["done_bytes"])),
                        format_size(n(&rem["total_bytes"]))
                    )
                },
            ]);
            t.push(row);
        }
        let title = format!(
            "\nMirror group {:08x} ({}, {}{})",
            n(&g["group_id"]),
            format_size(n(&g["logical_bytes"])),
            match sys.groups[i].members.len() + sys.groups[i].missing.len() {
                1 => "1 member".to_string(),
                k => format!("{k} members"),
            },
            if g["degraded"].as_bool() == Some(true) {
                ", DEGRADED"
            } else {
                ""
            }
        );
        out.titled_table(
            title,
            "member",
            &[
                "slot",
                "member",
                "device",
                "state",
                "logical data at",
                "remirror",
            ],
            &t,
        )?;
        if !out.headerless {
            for r in g["removed"].as_array().into_iter().flatten() {
                out.line(super::mirror::removed_line(
                    r["device"].as_str().unwrap_or(""),
                ))?;
            }
        }
    }
    let mut t = Vec::new();
    for v in volumes {
        let st = &v["stats"];
        let bs = n(&v["block_size"]);
        let segs = list_cell(&v["segments"], |s| {
            format!(
                "#{} group {:08x} blocks {}+{}",
                n(&s["number"]),
                n(&s["group_id"]),
                n(&s["first_block"]),
                n(&s["blocks"])
            )
        });
        let cell = |k: &str, scale: u64| {
            if st.is_null() {
                "?".to_string()
            } else if scale > 1 {
                format_size(n(&st[k]) * scale)
            } else {
                n(&st[k]).to_string()
            }
        };
        t.push(vec![
            v["name"].as_str().unwrap_or("").to_string(),
            format_size(bs),
            format_size(n(&v["size_bytes"])),
            cell("used_blocks", bs),
            cell("free_blocks", bs),
            cell("files", 1),
            cell("directories", 1),
            if v["checksums"] == true {
                "CRC32"
            } else {
                "none"
            }
            .to_string(),
            segs,
        ]);
    }
    out.titled_table(
        "\nVolumes",
        "volume",
        &[
            "volume",
            "block",
            "size",
            "used",
            "free",
            "files",
            "dirs",
            "checksums",
            "segments",
        ],
        &t,
    )?;
    Ok(())
}

/// Every warning, one line each, on stderr.
fn print_warnings(
    sys: &Assembly,
    parts: &[Value],
    groups: &[Value],
    volumes: &[Value],
    out: &Output,
) {
    for p in parts {
        for w in p["warnings"].as_array().into_iter().flatten() {
            out.warn(format!(
                "{}: {}",
                p["device"].as_str().unwrap_or(""),
                w.as_str().unwrap_or("")
            ));
        }
    }
    for (g, gj) in sys.groups.iter().zip(groups) {
        for w in gj["warnings"].as_array().into_iter().flatten() {
            out.warn(format!(
                "group {:08x}: {}",
                g.group_id,
                w.as_str().unwrap_or("")
            ));
        }
        if let Some((a, b)) = g.split_brain() {
            out.warn(super::mirror::split_choices(&a, &b));
        } else if !g.missing.is_empty() {
            out.warn(format!(
                "group {:08x} is degraded: {} missing; give every member with -d",
                g.group_id,
                g.missing
                    .iter()
                    .map(|m| format!("member {m:08x}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        } else if g.degraded() {
            out.warn(format!(
                "group {:08x} is degraded: member(s) {} not in sync; nwvol mirror resume copies to them",
                g.group_id,
                g.members
                    .iter()
                    .filter(|m| !m.in_sync())
                    .map(|m| m.partition.name().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    for v in volumes {
        if let Some(e) = v["error"].as_str()
            && v["complete"].as_bool() != Some(true)
        {
            out.warn(format!("volume {}: {e}", v["name"].as_str().unwrap_or("")));
        }
    }
}
