//! The mirror check: what is allocated in every group (every logical
//! byte when asked), read from all in-sync members at once (one reader thread per member, reading ahead)
//! and compared in large buffers; where volume blocks keep checksums, each
//! copy is also checked against them. Diverging or damaged blocks are
//! judged (`judge.rs`), named (`owners.rs`) and, with `--repair`, rewritten
//! on the bad members from the good copy, straight to the members'
//! partitions (following their hot-fix tables).
//!
//! `allocated.rs` reads each segment's FAT first to know which blocks to
//! read, `scan.rs` cuts each group into regions and pieces and reads them
//! from every member at once, `compare.rs` compares each piece and judges what
//! differs, and `repair.rs` reports each verdict and rewrites bad copies.

mod allocated;
mod compare;
mod repair;
mod scan;

use std::collections::HashMap;

use crate::assembly::Assembly;
use crate::error::Result;
use crate::layout::checksum::block_crc;
use crate::mirror::MirrorGroup;
use crate::partition::wib::WibRecord;

use super::owners::{Owner, Owners};
use super::{Action, CheckOptions, Finding, Sink};
use scan::{Region, regions};

/// Totals of the mirror check.
#[derive(Debug, Clone, Default)]
pub struct MirrorStats {
    /// Logical bytes read and compared (per group, not per member).
    pub bytes_compared: u64,
    /// Logical bytes not read: free blocks (where the members' FAT says
    /// so) and space outside volumes, unless everything was asked for.
    pub bytes_not_read: u64,
    /// Block copies checked against their checksum.
    pub blocks_checksummed: u64,
    /// Damaged metadata blocks (FAT, directory table) no member holds a
    /// good copy of, when repairing: the structure repair may rewrite them
    /// from the tables' second copies; [`recheck`] then says whether it
    /// did. Not yet given to the sink.
    pub deferred: Vec<Finding>,
    /// Groups whose every member was compared, with nothing left but the
    /// deferred findings (when repairing).
    pub proved_equal: Vec<usize>,
}

/// Logical bytes the mirror check reads (for a progress bar).
pub fn total_bytes(sys: &Assembly) -> u64 {
    sys.groups.iter().map(|g| g.logical_bytes).sum()
}

/// Checks every group: members against each other and blocks against
/// their checksums. `progress` is called with the bytes done so far
/// (skipped bytes count as done). Free blocks are not read (see
/// [`check_mirrors_without`]).
///
/// `lost` names members whose bytes from a device offset on are known to
/// be gone (a truncated image given its length back): they count as
/// unreadable there, so a good member's copy is written over them.
pub fn check_mirrors(
    sys: &Assembly,
    opts: &CheckOptions,
    lost: &[(String, u64)],
    progress: &(dyn Fn(u64) + Sync),
    sink: Sink<'_>,
) -> Result<MirrorStats> {
    check_mirrors_without(sys, opts, lost, &[], false, progress, sink)
}

/// [`check_mirrors`], where the members with partition IDs `left_out` were
/// given but not assembled (truncated images, already reported as
/// `member-truncated`): they are not reported missing. Without `all`,
/// only what is allocated is read: the volume tables, and of each volume
/// segment the blocks its FAT says are in use, when the members' FAT
/// fragments and their copies agree (otherwise the whole segment); space
/// outside volumes is not read.
#[allow(clippy::too_many_arguments)]
pub fn check_mirrors_without(
    sys: &Assembly,
    opts: &CheckOptions,
    lost: &[(String, u64)],
    left_out: &[u32],
    all: bool,
    progress: &(dyn Fn(u64) + Sync),
    sink: Sink<'_>,
) -> Result<MirrorStats> {
    // Blocks are compared with their checksums here, per member: reads
    // through the cache take the bytes as they are.
    sys.cache.set_checker(None);
    let mut stats = MirrorStats::default();
    let mut done_before = 0u64;
    for g in 0..sys.groups.len() {
        let mut gc = GroupCheck::new(sys, g, *opts, sink);
        gc.lost = lost.to_vec();
        gc.left_out = left_out.to_vec();
        gc.all = all;
        gc.members_state();
        gc.run(&|d| progress(done_before + d))?;
        gc.finish();
        // A repairing pass that compared every member and left nothing
        // but what the structure repair rewrites: the copies are equal
        // once that is done (see `check::run::verify`).
        let group = &sys.groups[g];
        if opts.writes() && gc.left == 0 && gc.members.len() == group.members.len() {
            stats.proved_equal.push(g);
        }
        stats.bytes_compared += gc.stats.bytes_compared;
        stats.blocks_checksummed += gc.stats.blocks_checksummed;
        stats.bytes_not_read += gc.stats.bytes_not_read;
        stats.deferred.append(&mut gc.stats.deferred);
        done_before += sys.groups[g].logical_bytes;
    }
    Ok(stats)
}

/// Gives the deferred findings to the sink after the structure repair: a
/// block that now matches its checksum on every in-sync member was
/// rewritten by it and counts as repaired.
pub fn recheck(sys: &Assembly, deferred: Vec<Finding>, sink: Sink<'_>) -> Result<()> {
    for mut f in deferred {
        let vol = f.volume.as_deref().and_then(|v| sys.volume(v));
        if let (Some(vol), Some(r)) = (vol, f.blocks) {
            let mut all_good = true;
            let mut buf = vec![0u8; vol.block_size as usize];
            let mut entry = [0u8; 4];
            for b in r.first..r.first + r.count {
                let (g, off) = vol.block_location(b)?;
                let Some((eg, eoff)) = vol.checksum_entry(b) else {
                    all_good = false;
                    break;
                };
                for i in sys.groups[g].in_sync_members() {
                    let part = &sys.groups[g].members[i].partition;
                    part.read_logical(&mut buf, off)?;
                    sys.groups[eg].members[i]
                        .partition
                        .read_logical(&mut entry, eoff)?;
                    if block_crc(&buf) != u32::from_le_bytes(entry) {
                        all_good = false;
                    }
                }
            }
            if all_good {
                f.action = Action::Repaired("rewritten by the structure repair (see below)".into());
            }
        }
        sink(f);
    }
    Ok(())
}

/// A finding being built up over consecutive blocks.
struct Pending {
    f: Finding,
    /// Logical end of the range so far, to know what continues it.
    end: u64,
}

/// The mirror check of one group: its members, the findings being built
/// and the repairs written.
struct GroupCheck<'a, 's> {
    sys: &'a Assembly,
    group: &'a MirrorGroup,
    opts: CheckOptions,
    sink: Sink<'s>,
    /// In-sync members compared, by member index.
    members: Vec<usize>,
    wib: WibRecord,
    regions: Vec<Region>,
    owners: HashMap<usize, Owners>,
    pending: Option<Pending>,
    /// Members written by repair (synced at the end).
    written: Vec<bool>,
    /// Checksum blocks that differ between members, fixed at the end:
    /// (volume, block) -> the copies.
    sum_blocks: Vec<(usize, u32, u64)>,
    stats: MirrorStats,
    /// Members' lost tails: (device name, first lost device byte).
    lost: Vec<(String, u64)>,
    /// Partition IDs of given members left out of assembly (truncated).
    left_out: Vec<u32>,
    /// The FAT fragment of the segment being checked, as the members
    /// agree on it.
    fat: Option<FatCopy>,
    /// Findings of this group not corrected: while there is none after
    /// a repairing pass, every copy was proved equal.
    left: u64,
    /// Read free blocks and space outside volumes too.
    all: bool,
}

/// A segment's FAT fragment read during the pass.
struct FatCopy {
    /// (volume, segment).
    key: (usize, usize),
    bytes: Vec<u8>,
    /// Every block of it was the same on every member and passed its
    /// checksum.
    clean: bool,
}

impl<'a, 's> GroupCheck<'a, 's> {
    fn new(sys: &'a Assembly, g: usize, opts: CheckOptions, sink: Sink<'s>) -> GroupCheck<'a, 's> {
        let group = &sys.groups[g];
        GroupCheck {
            sys,
            group,
            opts,
            sink,
            members: group.in_sync_members(),
            wib: group.write_intent(),
            regions: regions(sys, g),
            owners: HashMap::new(),
            pending: None,
            written: vec![false; group.members.len()],
            sum_blocks: Vec::new(),
            stats: MirrorStats::default(),
            lost: Vec::new(),
            left_out: Vec::new(),
            fat: None,
            left: 0,
            all: false,
        }
    }

    /// Gives a finding to the sink, counting it when it is left.
    fn out(&mut self, f: Finding) {
        if !f.action.corrected() {
            self.left += 1;
        }
        (self.sink)(f);
    }

    fn base(&self, code: &'static str, structure: &str, problem: String) -> Finding {
        let mut f = Finding::new(code, structure, problem);
        f.group = Some(self.group.name());
        f
    }

    fn emit(&mut self, f: Finding) {
        self.flush_pending();
        self.out(f);
    }

    fn flush_pending(&mut self) {
        if let Some(p) = self.pending.take() {
            let metadata = super::owners::TABLES.contains(&p.f.structure.as_str());
            let recheck = matches!(p.f.code, "checksum-mismatch" | "lost");
            if self.opts.repair && metadata && recheck {
                self.stats.deferred.push(p.f);
            } else {
                self.out(p.f);
            }
        }
    }

    /// Findings for members that are not compared.
    fn members_state(&mut self) {
        for m in &self.group.members {
            if !m.in_sync() {
                let mut f = self.base(
                    "member-not-in-sync",
                    "mirror table",
                    format!("member is {} and was not compared", m.state()),
                );
                f.member = Some(m.partition.name().to_string());
                f.action = Action::Unrepairable(
                    "verify does not remirror; run nwvol mirror resume".into(),
                );
                self.emit(f);
            }
        }
        for id in self.group.missing.clone() {
            if self.left_out.contains(&id) {
                continue; // given, but truncated: reported as such
            }
            let mut f = self.base(
                "member-missing",
                "mirror table",
                format!(
                    "member with partition ID {id:#010x} is listed but not among the devices given"
                ),
            );
            f.action = Action::Unrepairable(
                "give its device with -d, or take it out with nwvol mirror remove".into(),
            );
            self.emit(f);
        }
        if self.members.is_empty() {
            let mut f = self.base(
                "no-in-sync-member",
                "mirror table",
                "no member of the group is in sync: nothing to compare".into(),
            );
            f.action = Action::Unrepairable("run nwvol mirror resume from a good member".into());
            self.emit(f);
        }
    }

    fn member_name(&self, k: usize) -> String {
        self.group.members[self.members[k]]
            .partition
            .name()
            .to_string()
    }

    /// True when a write-intent bit covers any of the range.
    fn intent(&self, logical: u64, len: u64) -> bool {
        self.wib
            .header
            .bits_for_range(logical, len)
            .any(|b| self.wib.get(b))
    }

    fn owner(&mut self, vol: usize, b: u32) -> Owner {
        let sys = self.sys;
        self.owners
            .entry(vol)
            .or_insert_with(|| Owners::build(&sys.volumes[vol], &sys.io))
            .owner(b)
    }

    /// Adds a finding, merging it into the previous one when it continues
    /// it (same code, member, owner and action, next block).
    fn push_merged(&mut self, f: Finding) {
        let end = f.logical.map_or(0, |r| r.offset + r.len);
        if let Some(p) = self.pending.as_mut() {
            let q = &p.f;
            let continues = q.code == f.code
                && q.member == f.member
                && q.volume == f.volume
                && q.path == f.path
                && q.structure == f.structure
                && q.problem == f.problem
                && q.action == f.action
                && f.logical.is_some_and(|r| r.offset == p.end);
            if continues {
                if let (Some(a), Some(b)) = (p.f.blocks.as_mut(), f.blocks) {
                    a.count += b.count;
                }
                if let (Some(a), Some(b)) = (p.f.logical.as_mut(), f.logical) {
                    a.len += b.len;
                }
                p.end = end;
                return;
            }
        }
        self.flush_pending();
        self.pending = Some(Pending { f, end });
    }

    /// Flushes the last finding and makes the repairs durable.
    fn finish(&mut self) {
        self.flush_pending();
        for (mi, w) in self.written.iter().enumerate() {
            if *w && let Err(e) = self.group.members[mi].partition.device.sync() {
                let mut f = self.base(
                    "repair-not-durable",
                    "device",
                    format!("fdatasync after repair failed: {e}"),
                );
                f.member = Some(self.group.members[mi].partition.name().to_string());
                f.action = Action::RepairFailed(e.to_string());
                self.left += 1;
                (self.sink)(f);
            }
        }
    }
}
