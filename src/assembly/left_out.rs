//! Degraded assembly: which of the devices given can serve, and which are
//! left out and why (not a readable NetWare partition, or a stranger: a
//! member of another volume set with the same volume names).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use crate::device::Device;
use crate::error::{Error, Result};
use crate::mirror::MirrorGroup;
use crate::mirror::assemble::assemble;
use crate::partition::Partition;
use crate::volume::{GroupTable, read_volume_table};

/// A device an assembly left out.
#[derive(Debug)]
pub struct LeftOut {
    /// The device as named.
    pub device: String,
    /// Why it cannot serve.
    pub reason: LeftOutReason,
}

/// Why a device was left out.
#[derive(Debug)]
pub enum LeftOutReason {
    /// Not a readable NetWare partition (missing, truncated, emptied,
    /// zeroed, never formatted, garbage): the error says which.
    Unusable(Error),
    /// A member of another volume set that has a volume of the same name
    /// as the set the other devices hold.
    Stranger {
        /// The volume both sets have.
        volume: String,
        /// A device of the set that was assembled.
        kept: String,
    },
}

impl fmt::Display for LeftOut {
    /// "DEVICE: why", without the device twice when the error names it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.reason {
            LeftOutReason::Unusable(e) => {
                let msg = e.to_string();
                match msg.strip_prefix(&format!("{}: ", self.device)) {
                    Some(rest) => write!(f, "{}: {rest}", self.device),
                    None => write!(f, "{}: {msg}", self.device),
                }
            }
            LeftOutReason::Stranger { volume, kept } => write!(
                f,
                "{}: belongs to another volume set (its volume {volume} is not the one on {kept})",
                self.device
            ),
        }
    }
}

/// Opens each device's partition, leaving out those that fail, and
/// assembles the rest into groups. Fails with the first error when none
/// opens.
pub(super) fn available_groups(
    devices: Vec<Arc<dyn Device>>,
) -> Result<(Vec<MirrorGroup>, Vec<LeftOut>)> {
    let mut parts = Vec::new();
    let mut left_out = Vec::new();
    for d in devices {
        let device = d.name().to_string();
        match Partition::open(d) {
            Ok(p) => parts.push(p),
            Err(e) => left_out.push(LeftOut {
                device,
                reason: LeftOutReason::Unusable(e),
            }),
        }
    }
    if parts.is_empty() {
        // Only bad devices: the first one's error, as a strict open gives.
        return Err(match left_out.into_iter().next() {
            Some(LeftOut {
                reason: LeftOutReason::Unusable(e),
                ..
            }) => e,
            _ => Error::Invalid("no device given".into()),
        });
    }
    Ok((assemble(parts)?, left_out))
}

/// (volume name, segment number) of every segment a group's table holds.
fn segments(t: &GroupTable) -> BTreeSet<(String, u32)> {
    t.table
        .entries
        .iter()
        .map(|e| (e.name.clone(), e.segment as u32))
        .collect()
}

/// Reads each group's volume table and leaves out the groups of another
/// volume set: sets are groups linked by the volumes they share; two sets
/// clash when both hold the same segment of a volume of the same name.
/// Of clashing sets the one with more devices given is kept and the
/// others left out; a tie is [`Error::SetClash`].
#[allow(clippy::type_complexity)]
pub(super) fn drop_strangers(
    groups: Vec<MirrorGroup>,
) -> Result<(Vec<MirrorGroup>, Vec<GroupTable>, Vec<LeftOut>)> {
    let tables = groups
        .iter()
        .map(read_volume_table)
        .collect::<Result<Vec<_>>>()?;
    let segs: Vec<BTreeSet<(String, u32)>> = tables.iter().map(segments).collect();
    let names = |i: usize| -> BTreeSet<&str> { segs[i].iter().map(|(n, _)| n.as_str()).collect() };
    let n = groups.len();
    // Union the groups that share a volume without sharing a segment.
    let mut set: Vec<usize> = (0..n).collect();
    fn root(set: &mut [usize], i: usize) -> usize {
        let mut r = i;
        while set[r] != r {
            r = set[r];
        }
        set[i] = r;
        r
    }
    let mut clash = Vec::new();
    for i in 0..n {
        for j in i + 1..n {
            if let Some(v) = segs[i].intersection(&segs[j]).next() {
                clash.push((i, j, v.0.clone()));
            } else if names(i).intersection(&names(j)).next().is_some() {
                let (a, b) = (root(&mut set, i), root(&mut set, j));
                set[b] = a;
            }
        }
    }
    if clash.is_empty() {
        return Ok((groups, tables, Vec::new()));
    }
    let roots: Vec<usize> = (0..n).map(|i| root(&mut set, i)).collect();
    // Weight: the devices given that a set holds, then (a tie-break)
    // whether it misses a member: a stranger given among the members of a
    // degraded set stands in the place of its missing member, while a
    // whole set given with one half of a degraded one has no such excuse.
    let mut weight: BTreeMap<usize, (usize, bool)> = BTreeMap::new();
    for (i, g) in groups.iter().enumerate() {
        let w = weight.entry(roots[i]).or_default();
        w.0 += g.members.len();
        w.1 |= !g.missing.is_empty();
    }
    // Heaviest sets first; a set clashing with a kept one is left out.
    let mut order: Vec<usize> = weight.keys().copied().collect();
    order.sort_by_key(|r| std::cmp::Reverse(weight[r]));
    let mut kept: Vec<usize> = Vec::new();
    let mut dropped: BTreeMap<usize, (usize, String)> = BTreeMap::new();
    for r in order {
        let against = clash.iter().find_map(|(i, j, v)| {
            let (ri, rj) = (roots[*i], roots[*j]);
            if ri == r && kept.contains(&rj) {
                Some((rj, v.clone()))
            } else if rj == r && kept.contains(&ri) {
                Some((ri, v.clone()))
            } else {
                None
            }
        });
        match against {
            Some((k, volume)) if weight[&k] == weight[&r] => {
                let dev = |root: usize| {
                    (0..n)
                        .find(|&i| roots[i] == root)
                        .map(|i| groups[i].name())
                        .unwrap_or_default()
                };
                return Err(Error::SetClash {
                    first: dev(k),
                    second: dev(r),
                    volume,
                });
            }
            Some((k, volume)) => {
                dropped.insert(r, (k, volume));
            }
            None => kept.push(r),
        }
    }
    let first_names: BTreeMap<usize, String> =
        (0..n).rev().map(|i| (roots[i], groups[i].name())).collect();
    let kept_name = |root: usize| first_names.get(&root).cloned().unwrap_or_default();
    let mut left_out = Vec::new();
    let mut out_groups = Vec::new();
    let mut out_tables = Vec::new();
    for (i, (g, t)) in groups.into_iter().zip(tables).enumerate() {
        match dropped.get(&roots[i]) {
            Some((k, volume)) => {
                let kept = kept_name(*k);
                left_out.extend(g.members.iter().map(|m| LeftOut {
                    device: m.partition.name().to_string(),
                    reason: LeftOutReason::Stranger {
                        volume: volume.clone(),
                        kept: kept.clone(),
                    },
                }));
            }
            None => {
                out_groups.push(g);
                out_tables.push(t);
            }
        }
    }
    Ok((out_groups, out_tables, left_out))
}
