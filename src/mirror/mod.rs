//! Layer 4: mirror groups of 1..8 partitions holding the same logical
//! partition: assembly from the IDs on disk, member states, the parallel
//! mirrored writer, and reads spread over the members with read repair.
//!
//! - [`assemble`]: groups from the IDs on disk.
//! - [`member`]: one member, its sticky failure and its counters.
//! - [`writer`]: runs fanned out to every in-sync member at once; member
//!   failure and the mirror table update it causes.
//! - [`read`]: read balancing and read repair.
//! - [`wib`]: the write-intent record: bits set before writes, cleared
//!   once every member has them (at the end of a command, not at every
//!   barrier).
//! - [`worker`]: one I/O thread per member, living as long as it.

pub mod assemble;
pub mod member;
pub mod read;
pub mod remirror;
pub mod wib;
pub mod worker;
pub mod writer;

use std::sync::Mutex;
use std::sync::atomic::AtomicBool;

use crate::layout::mirror::MirrorHeader;
use crate::lock::Recover;

pub use member::{Member, MemberCounters, MemberStats};
pub use writer::Run;

/// A mirror group as assembled from the devices given.
#[derive(Debug)]
pub struct MirrorGroup {
    /// The group ID (nwvol), or the first member's partition ID (plain NetWare).
    pub group_id: u32,
    /// The authoritative mirror table: at assembly the present member copy
    /// with the highest event counter; updated when a member fails.
    table: Mutex<MirrorHeader>,
    /// Members present among the devices given, in slot order.
    pub members: Vec<Member>,
    /// Partition IDs the table lists that no given device holds.
    pub missing: Vec<u32>,
    /// Devices given that hold a former member, removed from the group
    /// (device, partition ID): not members, not missing.
    pub removed: Vec<(String, u32)>,
    /// Logical partition size in bytes.
    pub logical_bytes: u64,
    /// Problems found while assembling.
    pub warnings: Vec<String>,
    /// Two present members (indices into `members`) each written while
    /// the other was away: each one's own table records the other out of
    /// sync. Neither may be resynced over the other without the user's
    /// word (see [`MirrorGroup::split_brain`]).
    pub split: Option<(usize, usize)>,
    /// Member failures seen since assembly, as messages.
    failures: Mutex<Vec<String>>,
    /// Something was written since the last sync.
    unsynced: AtomicBool,
    /// The missing members are recorded out of sync in the present
    /// members' tables (done once, before the first write).
    missing_recorded: AtomicBool,
    /// The write-intent record's in-memory state (loaded at the first
    /// write).
    wib: Mutex<Option<wib::WibState>>,
    /// Bumped by every write before its write-intent bits are set: a sync
    /// clears bits only when no write started since it began.
    write_gen: std::sync::atomic::AtomicU64,
    /// Writes in flight.
    inflight: std::sync::atomic::AtomicUsize,
    /// Copies known to be bad and left as they are (member, logical start,
    /// length): reads go to another member first. See
    /// [`MirrorGroup::distrust`].
    distrusted: Mutex<Vec<(usize, u64, u64)>>,
    /// Copies that failed their block check on a read, in the order found.
    bad_copies: Mutex<Vec<read::BadCopy>>,
    /// The command holds the write lock: a bad copy found by a read is
    /// rewritten from a good one.
    heal: AtomicBool,
}

impl MirrorGroup {
    /// A group from its assembled parts.
    pub fn new(
        group_id: u32,
        table: MirrorHeader,
        members: Vec<Member>,
        missing: Vec<u32>,
        logical_bytes: u64,
        warnings: Vec<String>,
    ) -> MirrorGroup {
        MirrorGroup {
            group_id,
            table: Mutex::new(table),
            members,
            missing,
            removed: Vec::new(),
            logical_bytes,
            warnings,
            split: None,
            failures: Mutex::new(Vec::new()),
            unsynced: AtomicBool::new(false),
            missing_recorded: AtomicBool::new(false),
            wib: Mutex::new(None),
            write_gen: std::sync::atomic::AtomicU64::new(0),
            inflight: std::sync::atomic::AtomicUsize::new(0),
            distrusted: Mutex::new(Vec::new()),
            bad_copies: Mutex::new(Vec::new()),
            heal: AtomicBool::new(false),
        }
    }

    /// The group's current mirror table.
    pub fn table(&self) -> MirrorHeader {
        self.table.lock().recover().clone()
    }

    /// True when a member listed in the table is not present, or a present
    /// one is not in sync.
    pub fn degraded(&self) -> bool {
        !self.missing.is_empty() || self.members.iter().any(|m| !m.in_sync())
    }

    /// The devices of two members written apart (split brain), when the
    /// group has them.
    pub fn split_brain(&self) -> Option<(String, String)> {
        self.split.map(|(i, j)| {
            (
                self.members[i].partition.name().to_string(),
                self.members[j].partition.name().to_string(),
            )
        })
    }

    /// Partition IDs of the members missing or present but not in sync,
    /// with a name for each (the device, or the ID when missing).
    pub fn absent_or_stale(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .members
            .iter()
            .filter(|m| !m.in_sync())
            .map(|m| format!("{} ({})", m.partition.name(), m.state()))
            .collect();
        v.extend(
            self.missing
                .iter()
                .map(|id| format!("member {id:08x} (missing)")),
        );
        v
    }

    /// True when nwvol may write to this group.
    pub fn writable(&self) -> bool {
        self.members.iter().all(|m| m.partition.writable())
    }

    /// A short name for messages: the first member's device.
    pub fn name(&self) -> String {
        self.members
            .first()
            .map(|m| m.partition.name().to_string())
            .unwrap_or_else(|| format!("group {:#010x}", self.group_id))
    }

    /// Indices of the members that are in sync and have not failed.
    pub fn in_sync_members(&self) -> Vec<usize> {
        (0..self.members.len())
            .filter(|&i| self.members[i].in_sync())
            .collect()
    }

    /// Member failures since assembly, one message each.
    pub fn failures(&self) -> Vec<String> {
        self.failures.lock().recover().clone()
    }

    fn check_range(&self, logical: u64, len: u64) -> crate::error::Result<()> {
        if logical
            .checked_add(len)
            .is_none_or(|e| e > self.logical_bytes)
        {
            return Err(crate::error::Error::OutOfRange {
                device: self.name(),
                offset: logical,
                len,
                size: self.logical_bytes,
            });
        }
        Ok(())
    }
}
