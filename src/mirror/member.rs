//! One member of a mirror group: its partition, its state (sticky once it
//! fails) and its counters, and how a run is written to it: retried, then
//! unit by unit with failing units redirected into the member's hot-fix
//! pool.

use std::io::IoSlice;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU64, Ordering};

use crate::error::Result;
use crate::layout::hotfix::UNIT_BYTES;
use crate::layout::mirror::MemberState;
use crate::partition::{Partition, slice_range};

/// More failing units than this in one run and the device is taken as
/// failing as a whole, not as a few bad sectors.
const MAX_BAD_UNITS_PER_RUN: usize = 8;

/// Event counters of one member since the group was assembled.
#[derive(Debug, Default)]
pub struct MemberStats {
    /// Successful read calls.
    pub reads: AtomicU64,
    /// Bytes read.
    pub bytes_read: AtomicU64,
    /// Runs written.
    pub writes: AtomicU64,
    /// Bytes written.
    pub bytes_written: AtomicU64,
    /// Read calls that failed (or came back short).
    pub read_errors: AtomicU64,
    /// Write calls that failed.
    pub write_errors: AtomicU64,
    /// Reads repaired by rewriting data from another member.
    pub repairs: AtomicU64,
    /// Units redirected into the hot-fix pool.
    pub redirects: AtomicU64,
    /// fdatasync calls.
    pub syncs: AtomicU64,
}

/// A copy of a member's counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct MemberCounters {
    /// Successful read calls.
    pub reads: u64,
    /// Bytes read.
    pub bytes_read: u64,
    /// Runs written.
    pub writes: u64,
    /// Bytes written.
    pub bytes_written: u64,
    /// Read calls that failed.
    pub read_errors: u64,
    /// Write calls that failed.
    pub write_errors: u64,
    /// Reads repaired from another member.
    pub repairs: u64,
    /// Units redirected into the hot-fix pool.
    pub redirects: u64,
    /// fdatasync calls.
    pub syncs: u64,
}

impl MemberStats {
    /// The current values.
    pub fn snapshot(&self) -> MemberCounters {
        let g = |a: &AtomicU64| a.load(Ordering::Relaxed);
        MemberCounters {
            reads: g(&self.reads),
            bytes_read: g(&self.bytes_read),
            writes: g(&self.writes),
            bytes_written: g(&self.bytes_written),
            read_errors: g(&self.read_errors),
            write_errors: g(&self.write_errors),
            repairs: g(&self.repairs),
            redirects: g(&self.redirects),
            syncs: g(&self.syncs),
        }
    }
}

pub(crate) fn bump(a: &AtomicU64, n: u64) {
    a.fetch_add(n, Ordering::Relaxed);
}

/// One present member of a group.
#[derive(Debug)]
pub struct Member {
    /// The member's partition.
    pub partition: Partition,
    /// Its slot in the mirror table (0..8).
    pub slot: usize,
    state: AtomicU8,
    failed: AtomicBool,
    /// The group's write-intent bitmap version durable on this member.
    pub(crate) wib_durable: std::sync::Mutex<u64>,
    /// Its counters.
    pub stats: MemberStats,
    /// Its I/O thread (writes, syncs and write-intent records of flushes).
    pub worker: super::worker::Worker,
}

impl Member {
    /// A member in `state` as the group's mirror table gives it.
    pub fn new(partition: Partition, slot: usize, state: MemberState) -> Member {
        Member {
            partition,
            slot,
            state: AtomicU8::new(state.to_u8()),
            failed: AtomicBool::new(false),
            wib_durable: std::sync::Mutex::new(0),
            stats: MemberStats::default(),
            worker: super::worker::Worker::default(),
        }
    }

    /// Its state in the group's mirror table.
    pub fn state(&self) -> MemberState {
        MemberState::from_u8(self.state.load(Ordering::SeqCst)).unwrap_or(MemberState::OutOfSync)
    }

    pub(crate) fn set_state(&self, s: MemberState) {
        self.state.store(s.to_u8(), Ordering::SeqCst);
    }

    /// True once an I/O failure took the member out of the group; sticky
    /// until it is remirrored.
    pub fn failed(&self) -> bool {
        self.failed.load(Ordering::SeqCst)
    }

    /// Marks the member failed; true when it was not failed before.
    pub(crate) fn mark_failed(&self) -> bool {
        !self.failed.swap(true, Ordering::SeqCst)
    }

    /// True when reads may use it and writes go to it.
    pub fn in_sync(&self) -> bool {
        !self.failed() && self.state() == MemberState::InSync
    }

    /// Reads logical bytes from this member alone, counting.
    pub(crate) fn read(&self, buf: &mut [u8], logical: u64) -> Result<()> {
        match self.partition.read_logical(buf, logical) {
            Ok(()) => {
                bump(&self.stats.reads, 1);
                bump(&self.stats.bytes_read, buf.len() as u64);
                Ok(())
            }
            Err(e) => {
                bump(&self.stats.read_errors, 1);
                Err(e)
            }
        }
    }

    fn try_write(&self, bufs: &[IoSlice<'_>], logical: u64) -> Result<()> {
        let r = self.partition.write_logical(bufs, logical);
        if r.is_err() {
            bump(&self.stats.write_errors, 1);
        }
        r
    }

    /// Writes one run to this member: once, again, then unit by unit, a
    /// unit that fails twice redirected to a spare slot of the hot-fix
    /// pool. An error means the member must be given up.
    pub(crate) fn write_run(&self, bufs: &[IoSlice<'_>], logical: u64) -> Result<()> {
        let total: u64 = bufs.iter().map(|b| b.len() as u64).sum();
        let first = match self.try_write(bufs, logical) {
            Ok(()) => {
                self.count_write(total);
                return Ok(());
            }
            Err(e) => e,
        };
        // A transient error (a cable, a timeout) is worth one retry of the
        // whole run before the slow unit-by-unit path.
        if self.try_write(bufs, logical).is_ok() {
            self.count_write(total);
            return Ok(());
        }
        let mut bad = 0usize;
        let end = logical + total;
        let mut pos = logical;
        while pos < end {
            let unit_start = pos / UNIT_BYTES * UNIT_BYTES;
            let stop = (unit_start + UNIT_BYTES).min(end);
            let pieces = slice_range(bufs, pos - logical, stop - pos);
            if self.try_write(&pieces, pos).is_err() && self.try_write(&pieces, pos).is_err() {
                bad += 1;
                if bad > MAX_BAD_UNITS_PER_RUN {
                    return Err(first);
                }
                let mut unit = vec![0u8; UNIT_BYTES as usize];
                if pos != unit_start || stop != unit_start + UNIT_BYTES {
                    // The rest of a partly written unit comes from the
                    // member itself; if that fails too, the member goes.
                    self.partition.read_logical(&mut unit, unit_start)?;
                }
                let mut at = (pos - unit_start) as usize;
                for p in &pieces {
                    unit[at..at + p.len()].copy_from_slice(p);
                    at += p.len();
                }
                self.partition.redirect_unit(unit_start, &unit)?;
                bump(&self.stats.redirects, 1);
            }
            pos = stop;
        }
        self.count_write(total);
        Ok(())
    }

    fn count_write(&self, bytes: u64) {
        bump(&self.stats.writes, 1);
        bump(&self.stats.bytes_written, bytes);
    }
}
