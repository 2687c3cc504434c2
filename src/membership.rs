//! Mirror membership operations: add a member (or re-add one back after an
//! outage), resume a remirror or resync, remove or split off a member.
//!
//! These act on an assembled [`Assembly`] of one mirror group, in the
//! crash-safe order each needs, and report through a [`CopyObserver`];
//! they never print.

use std::sync::Arc;

use crate::assembly::{Assembly, allocated_plan};
use crate::device::Device;
use crate::error::{Error, Result};
use crate::format::check_devices;
use crate::layout::mirror::{
    MAX_MEMBERS, MEMBER_FLAG_WIB, MemberRecord, MemberState, MirrorExt, MirrorHeader,
};
use crate::layout::time::DosTime;
use crate::mirror::MirrorGroup;
use crate::mirror::remirror::{Progress, RemirrorOptions, RemirrorPlan, dirty_plan};
use crate::partition::Partition;
use crate::partition::create::{NewPartition, random_u32, write_partition};
use crate::partition::plan::PartitionGeometry;
use crate::partition::wib::WibRecord;
use crate::units::format_size;

/// What a copying membership operation tells its caller as it goes.
pub trait CopyObserver {
    /// A dry run: `plan` is what would be copied to `target`; nothing is
    /// written.
    fn planned(&mut self, target: &str, plan: &RemirrorPlan);
    /// A dry run: `target` holds `found` (a partition table, a file
    /// system...), which the operation overwrites only when forced. Said
    /// before [`CopyObserver::planned`].
    fn would_overwrite(&mut self, _target: &str, _found: &str) {}
    /// The copy to `target` starts: the job copies `total` bytes, `done`
    /// of them in earlier runs.
    fn started(&mut self, target: &str, total: u64, done: u64);
    /// The copy moved on.
    fn progress(&mut self, p: &Progress);
    /// `target` is in sync.
    fn finished(&mut self, target: &str, p: &Progress);
}

/// How a copying membership operation runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct CopyOptions {
    /// Only report the plan ([`CopyObserver::planned`]); write nothing.
    pub dry_run: bool,
    /// Most bytes per second to copy (None: as fast as it goes).
    pub max_rate: Option<u64>,
}

impl CopyOptions {
    fn remirror(&self) -> RemirrorOptions {
        RemirrorOptions {
            max_rate: self.max_rate,
        }
    }
}

/// The one mirror group of `sys`: membership operations act on one group.
/// How many members the group's mirror table lists (those not removed);
/// without an nwvol extension, the members present.
fn listed_members(g: &MirrorGroup) -> usize {
    g.table()
        .ext
        .map(|x| {
            x.members
                .iter()
                .filter(|m| m.state != MemberState::Removed)
                .count()
        })
        .unwrap_or(g.members.len())
}

fn one_group(sys: &Assembly) -> Result<Arc<MirrorGroup>> {
    match sys.groups.len() {
        1 => Ok(sys.groups[0].clone()),
        n => Err(Error::Invalid(format!(
            "the devices hold {n} mirror groups; give the members of one group"
        ))),
    }
}

/// The partition ID of `new` when it is a NetWare partition listed (not
/// removed) in the mirror table of the group `member` belongs to: a
/// member back after an outage, to be resynced rather than overwritten.
pub fn listed_member(member: Arc<dyn Device>, new: Arc<dyn Device>) -> Option<u32> {
    let part = Partition::open(new).ok()?;
    let first = Partition::open(member).ok()?;
    let (mine, theirs) = (part.mirror().ext?, first.mirror().ext?);
    let rec = theirs.member(part.id())?;
    (mine.group_id == theirs.group_id && rec.state != MemberState::Removed).then_some(part.id())
}

/// Adds `new` to the one mirror group of `sys` as a new member and copies
/// the allocated blocks to it. `force` overwrites a device that holds
/// something. Returns the new member's final progress (None for a dry
/// run).
///
/// The new member is written first, holding the table that lists it; then
/// the survivors' tables (the same header). A kill in between leaves a
/// member `resume_members` continues, never a listed one with no header.
pub fn add_member(
    sys: &Assembly,
    new: Arc<dyn Device>,
    force: bool,
    opts: CopyOptions,
    observer: &mut dyn CopyObserver,
) -> Result<Option<Progress>> {
    let g = one_group(sys)?;
    let name = new.name().to_string();
    let image = new.kind() == crate::device::DeviceKind::Image;
    let geom = match PartitionGeometry::plan(new.bytes(), None) {
        Ok(geom) => geom,
        // An image emptied while it was a member (too small for any
        // partition) is told, as a short one is, how to get its length.
        Err(_) if image => {
            return Err(Error::TooSmallForGroup {
                device: name,
                holds: format_size(0),
                group: format_size(g.logical_bytes),
                image,
            });
        }
        Err(e) => return Err(Error::Invalid(format!("{name}: {e}"))),
    };
    let need = g.logical_bytes / 512;
    if (geom.data_sectors as u64) < need {
        return Err(Error::TooSmallForGroup {
            device: name,
            holds: format_size(geom.data_sectors as u64 * 512),
            group: format_size(g.logical_bytes),
            image,
        });
    }
    let listed = listed_members(&g);
    if listed >= MAX_MEMBERS {
        return Err(Error::GroupFull {
            group: g.name(),
            members: listed,
        });
    }
    // A dry run says what would need forcing instead of refusing.
    let overwrite = match check_devices(std::slice::from_ref(&new), force) {
        Ok(()) => None,
        Err(Error::WouldOverwrite { found, .. }) if opts.dry_run => Some(found),
        Err(e) => return Err(e),
    };
    let plan = allocated_plan(sys, 0)?;
    if opts.dry_run {
        if let Some(found) = &overwrite {
            observer.would_overwrite(&name, found);
        }
        observer.planned(&name, &plan);
        return Ok(None);
    }
    // Whatever is cached is written out first: the members' data is what
    // gets copied.
    sys.io.sync()?;
    let id = random_u32();
    let table = g.next_table_with_member(id, plan.bytes())?;
    write_partition(
        new.as_ref(),
        &NewPartition {
            geometry: geom,
            partition_id: id,
            data_sectors: need as u32,
            disk_signature: random_u32(),
            created: DosTime::now(),
            mirror: table.clone(),
        },
    )
    .map_err(|e| Error::Failed {
        what: format!("{name}: writing the new partition"),
        source: Box::new(e),
    })?;
    new.sync()?;
    let listed_table = g.add_member_record(id, plan.bytes())?;
    debug_assert_eq!(listed_table, table);
    let target = Partition::open(new.clone())?;
    if !target.device.reads_zeros() {
        zero_free_space(&target, &plan, g.logical_bytes)?;
    }
    observer.started(&name, plan.bytes(), 0);
    let p = g.remirror(&target, &plan, 0, plan.bytes(), opts.remirror(), &mut |p| {
        observer.progress(p)
    })?;
    observer.finished(&name, &p);
    Ok(Some(p))
}

/// Zeroes what `plan` does not copy, so free space reads back as zeros on
/// the new member too.
fn zero_free_space(target: &Partition, plan: &RemirrorPlan, logical_bytes: u64) -> Result<()> {
    let mut pos = 0u64;
    for &(s, e) in plan
        .ranges
        .iter()
        .chain(std::iter::once(&(logical_bytes, logical_bytes)))
    {
        if s > pos {
            target.zero_logical(pos, s - pos)?;
        }
        pos = e;
    }
    Ok(())
}

/// What is left to copy to member `id` of `g`: the plan, the bytes the
/// job copied before and the bytes it copies in all.
pub fn resume_plan(sys: &Assembly, g: &MirrorGroup, id: u32) -> Result<(RemirrorPlan, u64, u64)> {
    let table = g.table();
    let rec = table
        .ext
        .as_ref()
        .and_then(|x| x.member(id).copied())
        .ok_or_else(|| Error::NotInMirrorTable {
            device: g.name(),
            partition: id,
        })?;
    let wib = rec.flags & MEMBER_FLAG_WIB != 0;
    let dirty = dirty_plan(g);
    Ok(match (rec.state, wib) {
        // The write-intent bits name everything it missed (and, for an
        // interrupted resync, they are still set).
        (_, true) => {
            let done = if rec.state == MemberState::Remirroring {
                rec.progress
            } else {
                0
            };
            let total = if rec.state == MemberState::Remirroring {
                rec.total
            } else {
                dirty.bytes()
            };
            (dirty, done, total)
        }
        (MemberState::Remirroring, false) => {
            let all = allocated_plan(sys, 0)?;
            // Above the checkpoint what is left; below it, what was
            // written since (its write-intent bits).
            let plan = all.from_offset(rec.checkpoint).union(&dirty);
            (plan, rec.progress, rec.total)
        }
        _ => {
            let all = allocated_plan(sys, 0)?;
            let b = all.bytes();
            (all, 0, b)
        }
    })
}

/// An image file given to a resume that was cut short (see
/// [`crate::check::truncated`]).
#[derive(Debug)]
pub struct CutImage {
    /// The path given.
    pub path: std::path::PathBuf,
    /// Bytes it had and bytes its partition needs.
    pub have: u64,
    /// Bytes its partition needs (what it was given back).
    pub need: u64,
    /// Its partition ID, when still readable in it.
    pub partition_id: Option<u32>,
    /// Whether its length was given back (not in a dry run), or why not.
    pub restored: std::result::Result<bool, String>,
}

/// Finds the image files among `paths` cut short (assembly refuses them)
/// and, unless `dry_run`, gives them their length back so they assemble:
/// a resume then copies them whole ([`copy_whole`]).
pub fn restore_cut_images(paths: &[std::path::PathBuf], dry_run: bool) -> Vec<CutImage> {
    use crate::check::truncated::{restore_length, truncated_image};
    paths
        .iter()
        .filter_map(|p| {
            let t = truncated_image(p)?;
            let restored = if dry_run {
                Ok(false)
            } else {
                restore_length(p, &t)
                    .map(|()| true)
                    .map_err(|e| e.to_string())
            };
            Some(CutImage {
                path: p.clone(),
                have: t.have,
                need: t.need,
                partition_id: t.partition_id,
                restored,
            })
        })
        .collect()
}

/// Marks the member with partition `id` of the one group of `sys` out of
/// sync for a full copy (its bytes past a cut are gone, and no
/// write-intent bit names them). False when no present member has that ID.
pub fn copy_whole(sys: &Assembly, id: u32) -> Result<bool> {
    let g = one_group(sys)?;
    let Some(i) = g.members.iter().position(|m| m.partition.id() == id) else {
        return Ok(false);
    };
    g.set_member_needs_full_copy(i)?;
    Ok(true)
}

/// What [`resume_members`] did.
#[derive(Debug, Clone)]
pub struct ResumeReport {
    /// The group's name.
    pub group: String,
    /// Members that were out of sync (copied to, or planned for in a dry
    /// run); 0 when every member given is in sync.
    pub targets: usize,
}

/// Continues an interrupted remirror from its checkpoint, or resyncs
/// every member of the one group of `sys` that is out of sync (and not
/// failed), one after the other; then settles the write-intent record.
pub fn resume_members(
    sys: &Assembly,
    opts: CopyOptions,
    observer: &mut dyn CopyObserver,
) -> Result<ResumeReport> {
    let g = one_group(sys)?;
    let targets: Vec<usize> = (0..g.members.len())
        .filter(|&i| !g.members[i].in_sync() && !g.members[i].failed())
        .collect();
    let report = ResumeReport {
        group: g.name().to_string(),
        targets: targets.len(),
    };
    if targets.is_empty() {
        return Ok(report);
    }
    for i in targets {
        let m = &g.members[i];
        let name = m.partition.name().to_string();
        let (plan, done, total) = resume_plan(sys, &g, m.partition.id())?;
        if opts.dry_run {
            observer.planned(&name, &plan);
            continue;
        }
        sys.io.sync()?;
        observer.started(&name, total, done);
        let p = g.remirror(
            &m.partition,
            &plan,
            done,
            total,
            opts.remirror(),
            &mut |p| observer.progress(p),
        )?;
        g.set_member_in_sync(i);
        observer.finished(&name, &p);
    }
    if !opts.dry_run {
        g.settle_intent();
    }
    Ok(report)
}

/// What [`remove_member`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removed {
    /// The member left its group.
    Removed {
        /// The group it left.
        group_id: u32,
    },
    /// The member was split off as an independent copy.
    Split {
        /// The group it left.
        group_id: u32,
        /// Its new group ID.
        new_group: u32,
        /// Its new partition ID.
        new_id: u32,
    },
}

/// What removing or splitting off a member would do: [`check_removal`]'s
/// answer, for a dry run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemovalPlan {
    /// The group the member would leave.
    pub group_id: u32,
    /// The member's partition ID.
    pub partition_id: u32,
    /// The member's state now.
    pub state: MemberState,
    /// In-sync members the group keeps.
    pub in_sync_left: usize,
    /// Members (of any state) the group keeps.
    pub members_left: usize,
}

/// Checks that the member on the device named `device` can leave its
/// group among `groups` (or, with `split`, be split off) and says what
/// [`remove_member`] would do; writes nothing. Refused for the last
/// in-sync member, and (split) for a member that is not in sync.
pub fn check_removal(groups: &[MirrorGroup], device: &str, split: bool) -> Result<RemovalPlan> {
    let (g, i) = find_member(groups, device)?;
    let m = &g.members[i];
    let ins = g.in_sync_members();
    if ins == vec![i] {
        return Err(Error::LastInSyncMember(device.to_string()));
    }
    if split && !m.in_sync() {
        return Err(Error::NotInSync {
            device: device.to_string(),
            state: m.state().to_string(),
        });
    }
    let listed = listed_members(g);
    Ok(RemovalPlan {
        group_id: g.group_id,
        partition_id: m.partition.id(),
        state: m.state(),
        in_sync_left: ins.iter().filter(|&&k| k != i).count(),
        members_left: listed.saturating_sub(1),
    })
}

/// The group among `groups` holding the member on the device `device`, and
/// the member's index in it.
fn find_member<'g>(groups: &'g [MirrorGroup], device: &str) -> Result<(&'g MirrorGroup, usize)> {
    groups
        .iter()
        .find_map(|g| {
            g.members
                .iter()
                .position(|m| m.partition.name() == device)
                .map(|i| (g, i))
        })
        .ok_or_else(|| Error::NotAMember(device.to_string()))
}

/// Detaches the member on the device named `device` from its group among
/// `groups`: its own table says it is removed and the others forget it.
/// With `split`, it becomes an independent copy instead: a new group and
/// partition ID, an empty write-intent record. Refused as
/// [`check_removal`] refuses.
pub fn remove_member(groups: &[MirrorGroup], device: &str, split: bool) -> Result<Removed> {
    check_removal(groups, device, split)?;
    let (g, i) = find_member(groups, device)?;
    let m = &g.members[i];
    let id = m.partition.id();
    // The member's own table says it is removed; the others forget it.
    let mut own = m.partition.mirror();
    if let Some(x) = own.ext.as_mut() {
        for r in x.members.iter_mut().filter(|r| r.id == id) {
            r.state = MemberState::Removed;
        }
    }
    g.update_table(&[], |x| {
        x.members.retain(|r| r.id != id);
        Ok(())
    })?;
    if let Some(x) = own.ext.as_mut() {
        x.events = g.table().ext.map(|t| t.events).unwrap_or(0);
    }
    if split {
        let (new_id, new_group) = own_set(&m.partition, own.created, g.logical_bytes)?;
        return Ok(Removed::Split {
            group_id: g.group_id,
            new_group,
            new_id,
        });
    }
    m.partition.write_mirror_header(own)?;
    Ok(Removed::Removed {
        group_id: g.group_id,
    })
}

/// Resolves a split (two members written apart, see
/// [`MirrorGroup::split_brain`]) in favour of the member on device `keep`:
/// its table becomes every member's, with the other member of the split
/// out of sync for a full copy (its write-intent bits do not name what the
/// other wrote apart). A later resume copies `keep` over it. Returns the
/// device of the member that will be overwritten.
pub fn resolve_split(g: &MirrorGroup, keep: &str) -> Result<String> {
    let Some((i, j)) = g.split else {
        return Err(Error::Invalid(format!(
            "{}: its members were not written apart; nothing to choose",
            g.name()
        )));
    };
    let (k, o) = if g.members[i].partition.name() == keep {
        (i, j)
    } else if g.members[j].partition.name() == keep {
        (j, i)
    } else {
        return Err(Error::Invalid(format!(
            "{keep}: not one of the two members written apart ({} and {})",
            g.members[i].partition.name(),
            g.members[j].partition.name()
        )));
    };
    let other_id = g.members[o].partition.id();
    let events = g
        .members
        .iter()
        .filter_map(|m| m.partition.mirror().ext.map(|x| x.events))
        .max()
        .unwrap_or(0);
    let mut table = g.members[k].partition.mirror();
    let Some(x) = table.ext.as_mut() else {
        return Err(Error::PlainNetWare {
            device: keep.to_string(),
        });
    };
    x.events = events + 1;
    for r in x.members.iter_mut().filter(|r| r.id == other_id) {
        r.state = MemberState::OutOfSync;
        r.flags &= !MEMBER_FLAG_WIB;
        r.checkpoint = 0;
        r.progress = 0;
        r.total = 0;
    }
    // The one to be overwritten first: should this stop half way, the kept
    // member still says the other is out of sync, and no split is seen.
    g.members[o].partition.write_mirror_header(table.clone())?;
    g.members[k].partition.write_mirror_header(table)?;
    Ok(g.members[o].partition.name().to_string())
}

/// Ends a split (two members written apart) by keeping both: each member
/// of the split becomes a volume set of its own, with a new group and
/// partition ID and an empty write-intent record. Returns (device, new
/// group ID, new partition ID) for each.
pub fn split_apart(g: &MirrorGroup) -> Result<Vec<(String, u32, u32)>> {
    let Some((i, j)) = g.split else {
        return Err(Error::Invalid(format!(
            "{}: its members were not written apart",
            g.name()
        )));
    };
    let mut done = Vec::new();
    for m in [&g.members[i], &g.members[j]] {
        let own = m.partition.mirror();
        let (new_id, new_group) = own_set(&m.partition, own.created, g.logical_bytes)?;
        done.push((m.partition.name().to_string(), new_group, new_id));
    }
    Ok(done)
}

/// Makes `part` a volume set of its own: a new partition ID and group ID,
/// a table listing only itself, an empty write-intent record. Returns
/// (new partition ID, new group ID).
fn own_set(part: &Partition, created: DosTime, logical_bytes: u64) -> Result<(u32, u32)> {
    let (new_id, new_group) = (random_u32(), random_u32());
    let table = MirrorHeader::new(
        created,
        MirrorExt {
            group_id: new_group,
            events: 1,
            checkpoint_time: 0,
            rate_kib: 0,
            members: vec![MemberRecord::in_sync(new_id)],
        },
    );
    part.write_new_identity(new_id, &table)?;
    part.write_wib(&WibRecord::empty(logical_bytes), 1)?;
    Ok((new_id, new_group))
}
