//! The copies that must agree outside the volumes: each member's four
//! hot-fix/mirror header copies and hot-fix table regions, and each
//! group's four volume table copies.

use crate::assembly::Assembly;
use crate::error::Result;
use crate::layout::LayoutError;
use crate::layout::hotfix::{
    HotfixTableHeader, TABLE_HEADER_SECTOR, copy_first_sector, decode_table,
};
use crate::layout::marker::PartitionMarker;
use crate::layout::voltab::{VOLTAB_COPIES, VOLTAB_COPY_BYTES, VTX_OFFSET, VolumeTable};
use crate::mirror::MirrorGroup;
use crate::partition::{CopyStatus, Partition};
use crate::units::SECTOR;
use crate::volume::TABLE_IO_BLOCK;

use super::Finding;
use super::report::{Fix, Pending, Report};

/// Why nwvol does not write a plain NetWare partition.
pub(super) const PLAIN: &str =
    "plain NetWare partition (no nwvol extension): nwvol checks it but does not write it";

/// Checks every member's header copies and hot-fix table copies; a member
/// with a bad copy gets all four rewritten from the copy in use (the one
/// the partition's reconciliation chose: newest event counter, then
/// majority).
pub(super) fn check_headers(sys: &Assembly, rep: &mut Report<'_, '_>) -> Result<()> {
    for g in &sys.groups {
        for m in &g.members {
            let p = &m.partition;
            let pending = header_findings(g, p)?;
            if pending.is_empty() {
                continue;
            }
            let blocked = (!p.writable()).then_some(PLAIN);
            let applied = if rep.opts.writes() && blocked.is_none() {
                Some(p.rewrite_header_copies().map_err(|e| e.to_string()))
            } else {
                None
            };
            rep.emit(pending, blocked, applied.as_ref());
        }
    }
    for g in &sys.groups {
        for m in &g.members {
            check_marker(g, &m.partition, rep)?;
            check_wib(g, &m.partition, rep)?;
        }
    }
    Ok(())
}

/// A finding about one member's structure.
fn member_finding(
    g: &MirrorGroup,
    p: &Partition,
    code: &'static str,
    structure: &str,
    problem: String,
) -> Finding {
    let mut f = Finding::new(code, structure, problem);
    f.member = Some(p.name().to_string());
    f.group = Some(g.name());
    f
}

/// Hands on `f`, whose repair is one write: `repair` says what the write
/// does; `write` runs when repairs are written and `blocked` (why the
/// structure may not be written) is None.
fn repair_one<E: std::fmt::Display>(
    rep: &mut Report<'_, '_>,
    f: Finding,
    repair: &str,
    blocked: Option<&str>,
    write: impl FnOnce() -> std::result::Result<(), E>,
) {
    let pending = vec![Pending::new(f, Fix::Repair(repair.into()))];
    let applied =
        (rep.opts.writes() && blocked.is_none()).then(|| write().map_err(|e| e.to_string()));
    rep.emit(pending, blocked, applied.as_ref());
}

/// The partition marker (partition sector 0) of a partition found through
/// its MBR: assembly only warns about it; repair writes it again from the
/// MBR entry's sector count, which the rest of the partition was opened
/// with.
fn check_marker(g: &MirrorGroup, p: &Partition, rep: &mut Report<'_, '_>) -> Result<()> {
    if p.mbr.is_none() {
        return Ok(()); // a bare partition was found by its marker
    }
    let Ok(sectors) = u32::try_from(p.sectors) else {
        return Ok(());
    };
    let mut sector = [0u8; SECTOR];
    p.device.read_at(&mut sector, p.start_byte)?;
    let why = match PartitionMarker::decode(&sector) {
        Err(e) => e.to_string(),
        Ok(m) if m.sectors != sectors => format!(
            "sector count {} differs from the MBR entry's {sectors}",
            m.sectors
        ),
        Ok(_) => return Ok(()),
    };
    let f = member_finding(
        g,
        p,
        "marker-damaged",
        "partition marker",
        format!("the partition marker is damaged: {why}"),
    );
    let blocked = (!p.writable()).then_some(PLAIN);
    repair_one(
        rep,
        f,
        "rewrote the marker from the MBR entry",
        blocked,
        || p.patch_write_durable(p.start_byte, &PartitionMarker { sectors }.encode()),
    );
    Ok(())
}

/// The write-intent record (partition sectors 2-31) of an nwvol
/// partition: it is read leniently (a member whose record does not read
/// gets the group's bits at its next write), so a damaged one loses the
/// bits a resync after a crash needs. Repair writes the group's bits, as
/// the in-sync members' records hold them.
fn check_wib(g: &MirrorGroup, p: &Partition, rep: &mut Report<'_, '_>) -> Result<()> {
    if p.ext.is_none() {
        return Ok(()); // plain NetWare: no record
    }
    let Err(e) = p.read_wib() else {
        return Ok(());
    };
    let f = member_finding(
        g,
        p,
        "wib-damaged",
        "write-intent record",
        format!("the write-intent record does not read: {e}"),
    );
    let repair = "rewrote the record with the group's write-intent bits";
    repair_one(rep, f, repair, None, || {
        let events = p.mirror().ext.map(|x| x.events).unwrap_or(0);
        p.write_wib(&g.write_intent(), events)
    });
    Ok(())
}

fn header_findings(g: &MirrorGroup, p: &Partition) -> Result<Vec<Pending>> {
    let finding = |code, structure: String, problem: String| {
        let mut f = Finding::new(code, structure, problem);
        f.member = Some(p.name().to_string());
        f.group = Some(g.name());
        f
    };
    let mut out = Vec::new();
    for (c, st) in p.copies.iter().enumerate() {
        let structure = format!("hot-fix header copy {c}");
        let fix = Fix::Repair(format!("rewrote copy {c} from the copy in use"));
        match st {
            CopyStatus::Damaged(e) => out.push(Pending::new(
                finding(
                    "header-copy-damaged",
                    structure,
                    format!("the hot-fix/mirror header copy does not decode: {e}"),
                ),
                fix,
            )),
            CopyStatus::Stale => out.push(Pending::new(
                finding(
                    "header-copy-stale",
                    structure,
                    "the hot-fix/mirror header copy differs from the copy in use".into(),
                ),
                fix,
            )),
            CopyStatus::Good if p.ext.is_some() => {
                if let Some(why) = table_problem(p, c)? {
                    out.push(Pending::new(
                        finding("hotfix-table-bad", format!("hot-fix table copy {c}"), why),
                        Fix::Repair(format!(
                            "rewrote hot-fix table copy {c} from the table in use"
                        )),
                    ));
                }
            }
            CopyStatus::Good => {}
        }
    }
    Ok(out)
}

/// What is wrong with hot-fix table copy `c` of a partition whose header
/// copy `c` is good: its header against the pool geometry, its entries
/// (inside the pool, no slot or unit twice) and against the table in use.
fn table_problem(p: &Partition, c: usize) -> Result<Option<String>> {
    let mut sector = [0u8; SECTOR];
    let at = p.start_byte + u64::from(copy_first_sector(c) + TABLE_HEADER_SECTOR) * SECTOR as u64;
    p.device.read_at(&mut sector, at)?;
    let hdr = match HotfixTableHeader::decode(&sector).and_then(|h| {
        h.validate(&p.pool, c)?;
        Ok(h)
    }) {
        Ok(h) => h,
        Err(e) => return Ok(Some(format!("table header: {e}"))),
    };
    let bytes = (u64::from(hdr.used) * 8).div_ceil(SECTOR as u64) * SECTOR as u64;
    if u64::from(hdr.region_first_sector) + bytes / SECTOR as u64 > p.sectors {
        return Ok(Some("the table region runs past the partition".into()));
    }
    let mut region = vec![0u8; bytes as usize];
    p.device.read_at(
        &mut region,
        p.start_byte + u64::from(hdr.region_first_sector) * SECTOR as u64,
    )?;
    Ok(
        match decode_table(&region, &hdr, p.hotfix.data_sectors)
            .map_err(|e: LayoutError| e.to_string())
            .and_then(|entries| {
                let bad = entries.iter().find(|e| e.slot >= p.pool.slots);
                match bad {
                    Some(e) => Err(format!(
                        "unit at logical sector {} points at slot {}, outside the pool's {} slots",
                        e.logical_sector, e.slot, p.pool.slots
                    )),
                    None => Ok(entries),
                }
            }) {
            Err(why) => Some(why),
            Ok(entries) if entries != p.redirects() => Some(format!(
                "holds {} redirections, the table in use {}, not the same",
                entries.len(),
                p.redirected_units()
            )),
            Ok(_) => None,
        },
    )
}

/// Checks every group's four volume table copies: the copies that decode,
/// validate and (nwvol) pass their CRCs vote; the copy most of them are is
/// written over the others. A tie (say two good copies against two other
/// good copies) cannot be decided.
pub(super) fn check_volume_tables(sys: &Assembly, rep: &mut Report<'_, '_>) -> Result<()> {
    for (gi, g) in sys.groups.iter().enumerate() {
        let mut raw = vec![0u8; VOLTAB_COPY_BYTES * VOLTAB_COPIES];
        sys.io.read(gi, TABLE_IO_BLOCK, 0, &mut raw)?;
        let copy = |c: usize| &raw[c * VOLTAB_COPY_BYTES..(c + 1) * VOLTAB_COPY_BYTES];
        let sectors = (g.logical_bytes / SECTOR as u64) as u32;
        let decoded: Vec<std::result::Result<VolumeTable, LayoutError>> = (0..VOLTAB_COPIES)
            .map(|c| {
                let t = VolumeTable::decode(copy(c))?;
                t.validate(sectors)?;
                Ok(t)
            })
            .collect();
        // What must agree: the whole copy for nwvol tables (both CRCs
        // cover it), the NetWare half otherwise.
        let key = |c: usize| match &decoded[c] {
            Ok(t) if t.nwvol => Some(copy(c)),
            Ok(_) => Some(&copy(c)[..VTX_OFFSET]),
            Err(_) => None,
        };
        let mut votes: Vec<(&[u8], Vec<usize>)> = Vec::new();
        for c in 0..VOLTAB_COPIES {
            if let Some(k) = key(c) {
                match votes.iter_mut().find(|(v, _)| *v == k) {
                    Some((_, who)) => who.push(c),
                    None => votes.push((k, vec![c])),
                }
            }
        }
        votes.sort_by_key(|(_, who)| std::cmp::Reverse(who.len()));
        let best = match votes.as_slice() {
            [] => None,
            [one] => Some(one.1.clone()),
            [a, b, ..] if a.1.len() > b.1.len() => Some(a.1.clone()),
            _ => None,
        };
        let mut pending = Vec::new();
        let mut bad = Vec::new();
        for (c, d) in decoded.iter().enumerate() {
            if best.as_ref().is_some_and(|b| b.contains(&c)) {
                continue;
            }
            let (code, problem) = match d {
                Err(e) => ("voltab-copy-damaged", format!("does not decode: {e}")),
                Ok(_) => (
                    "voltab-copy-stale",
                    "valid, but differs from the other copies".to_string(),
                ),
            };
            let mut f = Finding::new(code, format!("volume table copy {c}"), problem);
            f.group = Some(g.name());
            let fix = match &best {
                Some(b) => {
                    bad.push(c);
                    Fix::Repair(format!("rewrote copy {c} from copy {}", b[0]))
                }
                None => Fix::Cannot(
                    "the valid copies disagree and none is in the majority; which is newer cannot be told"
                        .into(),
                ),
            };
            pending.push(Pending::new(f, fix));
        }
        if pending.is_empty() {
            continue;
        }
        let blocked = (!g.writable()).then_some(PLAIN);
        let applied = match (&best, rep.opts.writes() && blocked.is_none()) {
            (Some(b), true) if !bad.is_empty() => {
                let good = copy(b[0]).to_vec();
                rep.wrote = true;
                Some(
                    bad.iter()
                        .try_for_each(|&c| {
                            sys.io
                                .write(gi, TABLE_IO_BLOCK, (c * VOLTAB_COPY_BYTES) as u64, &good)
                        })
                        .map_err(|e| e.to_string()),
                )
            }
            _ => None,
        };
        rep.emit(pending, blocked, applied.as_ref());
    }
    Ok(())
}
