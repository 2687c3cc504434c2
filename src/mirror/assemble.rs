//! Assembling mirror groups from partitions, by the IDs on disk, as a
//! NetWare server did at boot.

use std::collections::BTreeMap;

use crate::error::{Error, Result};
use crate::layout::mirror::{MemberState, MirrorHeader};
use crate::partition::Partition;
use crate::units::SECTOR;

use super::{Member, MirrorGroup};

fn listed_ids(h: &MirrorHeader) -> Vec<u32> {
    h.member_ids.iter().copied().filter(|&id| id != 0).collect()
}

/// Groups partitions into mirror groups. Partitions are taken in the order
/// given; groups come out in the order of their first partition.
pub fn assemble(parts: Vec<Partition>) -> Result<Vec<MirrorGroup>> {
    // The same partition twice is a usage error (or a copied image).
    let mut seen: BTreeMap<u32, String> = BTreeMap::new();
    for p in &parts {
        if let Some(other) = seen.insert(p.id(), p.name().to_string()) {
            return Err(Error::SamePartition {
                first: other,
                second: p.name().to_string(),
                partition: p.id(),
            });
        }
    }
    // Group key: nwvol's group ID, or for plain NetWare the smallest ID the
    // member list names (members list each other).
    let key = |p: &Partition| -> u64 {
        match &p.mirror().ext {
            Some(x) => x.group_id as u64,
            None => {
                let ids = listed_ids(&p.mirror());
                (1u64 << 32) | ids.iter().copied().min().unwrap_or(p.id()) as u64
            }
        }
    };
    let mut order: Vec<u64> = Vec::new();
    let mut by_key: BTreeMap<u64, Vec<Partition>> = BTreeMap::new();
    for p in parts {
        let k = key(&p);
        if !by_key.contains_key(&k) {
            order.push(k);
        }
        by_key.entry(k).or_default().push(p);
    }
    let mut groups = Vec::new();
    for k in order {
        let members = by_key.remove(&k).unwrap_or_default();
        groups.push(build_group(members)?);
    }
    Ok(groups)
}

/// True when the partition's own mirror table marks it removed: it left
/// its group (`mirror remove`) and is no member of it, whatever devices
/// are given with it.
fn removed_itself(p: &Partition) -> bool {
    p.mirror()
        .ext
        .as_ref()
        .and_then(|x| x.member(p.id()))
        .is_some_and(|r| r.state == MemberState::Removed)
}

fn build_group(parts: Vec<Partition>) -> Result<MirrorGroup> {
    // Partitions that left the group are neither members nor the table's
    // authority (their table may be as new as the group's); they are
    // listed apart. Given alone, such a partition is shown as it is.
    let (gone, parts): (Vec<Partition>, Vec<Partition>) = if parts.iter().all(removed_itself) {
        (Vec::new(), parts)
    } else {
        parts.into_iter().partition(removed_itself)
    };
    let mut g = build_members(parts)?;
    g.removed = gone
        .iter()
        .map(|p| (p.name().to_string(), p.id()))
        .collect();
    Ok(g)
}

fn build_members(parts: Vec<Partition>) -> Result<MirrorGroup> {
    let mut warnings = Vec::new();
    // The newest table among the present members is the authority.
    let events = |p: &Partition| p.mirror().ext.as_ref().map(|x| x.events).unwrap_or(0);
    let authority = parts
        .iter()
        .max_by_key(|p| events(p))
        .map(|p| p.mirror())
        .ok_or_else(|| Error::Internal("empty mirror group".into()))?;
    let group_id = authority
        .ext
        .as_ref()
        .map(|x| x.group_id)
        .unwrap_or_else(|| parts[0].id());
    let listed = listed_ids(&authority);
    let logical_sectors = parts
        .iter()
        .map(|p| p.hotfix.data_sectors)
        .min()
        .unwrap_or(0);
    if parts
        .iter()
        .any(|p| p.hotfix.data_sectors != logical_sectors)
    {
        warnings
            .push("members disagree on the logical partition size; the smallest is used".into());
    }
    let names: Vec<String> = parts.iter().map(|p| p.name().to_string()).collect();
    let mut members = Vec::new();
    for p in parts {
        let Some(slot) = authority.member_ids.iter().position(|&id| id == p.id()) else {
            warnings.push(format!(
                "{}: partition {:#010x} is no longer a member of its group (removed); ignored",
                p.name(),
                p.id()
            ));
            continue;
        };
        let state = match &authority.ext {
            Some(x) => x
                .members
                .iter()
                .find(|m| m.id == p.id())
                .map(|m| m.state)
                .unwrap_or(MemberState::InSync),
            None => MemberState::InSync,
        };
        if events(&p) < events_of(&authority) && state == MemberState::InSync {
            warnings.push(format!(
                "{}: its copy of the mirror table is older than the group's",
                p.name()
            ));
        }
        members.push(Member::new(p, slot, state));
    }
    members.sort_by_key(|m| m.slot);
    let missing: Vec<u32> = listed
        .iter()
        .copied()
        .filter(|id| !members.iter().any(|m| m.partition.id() == *id))
        .filter(|id| {
            // A member the table marks removed is not missing.
            authority
                .ext
                .as_ref()
                .and_then(|x| x.members.iter().find(|m| m.id == *id))
                .is_none_or(|m| m.state != MemberState::Removed)
        })
        .collect();
    if members.is_empty() {
        return Err(Error::Damaged(crate::error::CorruptKind::NotInOwnTable {
            devices: names.join(", "),
        }));
    }
    let split = find_split(&members);
    let mut g = MirrorGroup::new(
        group_id,
        authority,
        members,
        missing,
        logical_sectors as u64 * SECTOR as u64,
        warnings,
    );
    g.split = split;
    Ok(g)
}

/// Two members written apart: each one's own mirror table records the
/// other out of sync (a member records the absent ones so before its first
/// write; see `MirrorGroup::record_missing`). A member that only failed
/// while the other wrote is recorded out of sync by the other alone.
fn find_split(members: &[Member]) -> Option<(usize, usize)> {
    let stale_in = |own: &Member, other: &Member| {
        own.partition
            .mirror()
            .ext
            .as_ref()
            .and_then(|x| x.member(other.partition.id()).map(|r| r.state))
            .is_some_and(|s| s == MemberState::OutOfSync)
    };
    for i in 0..members.len() {
        for j in i + 1..members.len() {
            if stale_in(&members[i], &members[j]) && stale_in(&members[j], &members[i]) {
                return Some((i, j));
            }
        }
    }
    None
}

fn events_of(h: &MirrorHeader) -> u64 {
    h.ext.as_ref().map(|x| x.events).unwrap_or(0)
}
