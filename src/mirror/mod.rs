//! Layer 4: mirror groups of 1..8 partitions holding the same logical
//! partition: assembly from the IDs on disk, member states, and reads and
//! writes of the logical partition.

pub mod assemble;

use std::io::IoSlice;

use crate::error::{Error, Result};
use crate::layout::mirror::{MemberState, MirrorHeader};
use crate::partition::Partition;

/// One present member of a group.
#[derive(Debug)]
pub struct Member {
    /// The member's partition.
    pub partition: Partition,
    /// Its slot in the mirror table (0..8).
    pub slot: usize,
    /// Its state in the group's authoritative mirror table.
    pub state: MemberState,
}

/// A mirror group as assembled from the devices given.
#[derive(Debug)]
pub struct MirrorGroup {
    /// The group ID (nwvol), or the first member's partition ID (plain NetWare).
    pub group_id: u32,
    /// The authoritative mirror table: the present member copy with the
    /// highest event counter.
    pub table: MirrorHeader,
    /// Members present among the devices given, in slot order.
    pub members: Vec<Member>,
    /// Partition IDs the table lists that no given device holds.
    pub missing: Vec<u32>,
    /// Logical partition size in bytes.
    pub logical_bytes: u64,
    /// Problems found while assembling.
    pub warnings: Vec<String>,
}

impl MirrorGroup {
    /// True when a member listed in the table is not present.
    pub fn degraded(&self) -> bool {
        !self.missing.is_empty()
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

    fn in_sync(&self) -> impl Iterator<Item = &Member> {
        self.members
            .iter()
            .filter(|m| m.state == MemberState::InSync)
    }

    /// Reads logical bytes from an in-sync member, trying the others when
    /// one fails.
    pub fn read_logical(&self, buf: &mut [u8], logical: u64) -> Result<()> {
        let mut last = None;
        for m in self.in_sync() {
            match m.partition.read_logical(buf, logical) {
                Ok(()) => return Ok(()),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| {
            Error::Invalid(format!("{}: no in-sync member to read from", self.name()))
        }))
    }

    /// Writes logical bytes to every in-sync member.
    pub fn write_logical(&self, bufs: &[IoSlice<'_>], logical: u64) -> Result<()> {
        if !self.writable() {
            return Err(Error::Unsupported {
                device: self.name(),
                reason: "plain NetWare partition (no nwvol extension): nwvol only reads it".into(),
            });
        }
        let mut wrote = false;
        for m in self.in_sync() {
            m.partition.write_logical(bufs, logical)?;
            wrote = true;
        }
        if !wrote {
            return Err(Error::Invalid(format!(
                "{}: no in-sync member to write to",
                self.name()
            )));
        }
        Ok(())
    }

    /// Makes a logical range read back as zeros on every in-sync member,
    /// skipping members whose device is known to read back zeros.
    pub fn zero_logical(&self, logical: u64, len: u64) -> Result<()> {
        for m in self.in_sync() {
            if !m.partition.device.reads_zeros() {
                m.partition.zero_logical(logical, len)?;
            }
        }
        Ok(())
    }

    /// Makes every member's writes durable.
    pub fn sync(&self) -> Result<()> {
        for m in &self.members {
            m.partition.device.sync()?;
        }
        Ok(())
    }
}
