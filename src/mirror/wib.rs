//! The group side of the write-intent record (FORMAT.md "Write-intent
//! record"), in the style of md's write-intent bitmap: before a write goes
//! out, the bits of every chunk it touches are set durably on every in-sync
//! member; they are cleared once every listed member has the data (at a
//! sync of a group that is whole and saw no failure: the final sync of a
//! command, not the barriers inside it, so that a command's commits
//! write the record only when they reach a chunk not yet marked). While the group is
//! degraded they are never cleared, so the bits of the in-sync members name
//! everything a missing or failed member missed.
//!
//! Before the first write to a group with a listed member missing, that
//! member is recorded out of sync (with the write-intent flag) in the
//! mirror table of every present member, so a later assembly with it back
//! never trusts its stale data.

use std::sync::atomic::Ordering;

use crate::error::{Error, Result};
use crate::layout::mirror::{MEMBER_FLAG_WIB, MemberState};
use crate::lock::Recover;
use crate::partition::wib::WibRecord;

use super::MirrorGroup;

/// The in-memory copy of the group's write-intent bits: what is set on
/// the in-sync members' records.
#[derive(Debug)]
pub struct WibState {
    rec: WibRecord,
    /// Bumped at every change of `rec`.
    version: u64,
    /// Where the last range given to `intend` ended.
    last_end: u64,
    /// Bytes of the sequential run that ended at `last_end`.
    run: u64,
}

/// Counts a write in flight for as long as it lives.
pub(crate) struct Inflight<'a>(&'a MirrorGroup);

impl Drop for Inflight<'_> {
    fn drop(&mut self) {
        self.0.inflight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl MirrorGroup {
    /// Marks the start of a write: counted in flight (until the guard
    /// drops), then the write generation bumped. The order matters to
    /// [`MirrorGroup::sync`]'s clearing.
    pub(crate) fn begin_write(&self) -> Inflight<'_> {
        self.inflight.fetch_add(1, Ordering::SeqCst);
        self.write_gen.fetch_add(1, Ordering::SeqCst);
        Inflight(self)
    }

    /// Records every missing member out of sync (write-intent flag set, event
    /// counter bumped, all four copies synced) on every present in-sync
    /// member; once per group, before its first write. A member whose table
    /// cannot be written is given up; with none left the write is refused.
    pub(crate) fn record_missing(&self) -> Result<()> {
        if self.missing.is_empty() || self.missing_recorded.load(Ordering::SeqCst) {
            return Ok(());
        }
        let mut failed = Vec::new();
        {
            let mut table = self.table.lock().recover();
            if self.missing_recorded.load(Ordering::SeqCst) {
                return Ok(());
            }
            let Some(x) = table.ext.as_mut() else {
                self.missing_recorded.store(true, Ordering::SeqCst);
                return Ok(());
            };
            let mut changed = false;
            for rec in x.members.iter_mut() {
                if self.missing.contains(&rec.id) && rec.state == MemberState::InSync {
                    rec.state = MemberState::OutOfSync;
                    rec.flags |= MEMBER_FLAG_WIB;
                    changed = true;
                }
            }
            if changed {
                x.events += 1;
                for i in self.in_sync_members() {
                    let m = &self.members[i];
                    if let Err(e) = m.partition.write_mirror_header(table.clone()) {
                        failed.push((i, e));
                    }
                }
            }
            self.missing_recorded.store(true, Ordering::SeqCst);
        }
        for (i, e) in failed {
            self.fail_member(i, &e);
        }
        if self.in_sync_members().is_empty() {
            return Err(Error::NoInSyncMember { group: self.name() });
        }
        Ok(())
    }

    fn events(&self) -> u64 {
        self.table().ext.map(|x| x.events).unwrap_or(0)
    }

    /// Loads the in-memory bits: the union of the in-sync members' records
    /// (a member whose record does not read starts from none and gets the
    /// union written at its next change).
    fn load_wib(&self) -> WibState {
        let mut rec = WibRecord::empty(self.logical_bytes);
        for i in self.in_sync_members() {
            if let Ok(r) = self.members[i].partition.read_wib()
                && r.header.chunk_shift == rec.header.chunk_shift
                && r.header.bits == rec.header.bits
            {
                for (a, b) in rec.bitmap.iter_mut().zip(&r.bitmap) {
                    *a |= *b;
                }
            }
        }
        WibState {
            rec,
            version: 0,
            last_end: u64::MAX,
            run: 0,
        }
    }

    /// Sets the write-intent bits of the logical ranges `(start, len)` in
    /// memory; returns the bitmap version each member must have durably
    /// (see [`MirrorGroup::member_intent`]) before the data goes to it.
    /// Writes to chunks already set cost nothing.
    pub(crate) fn intend(&self, ranges: &[(u64, u64)]) -> u64 {
        let mut guard = self.wib.lock().recover();
        let st = guard.get_or_insert_with(|| self.load_wib());
        let mut changed = false;
        for &(start, len) in ranges {
            // A range that continues the last one (a sequential writer)
            // and is not yet covered sets its bits as far ahead as the run
            // is long so far: the covered stretch doubles each time, so a
            // long stream costs a logarithmic number of record writes and
            // syncs, not one per flush. A bit set too early costs only a
            // longer resync; the reach is never more than was written and
            // is capped, so that cost stays bounded. Each record write is durable (it flushes
            // the disk's cache, behind the data streamed so far), so the
            // cap is not small: 256 MiB, or 1/32 of a large group.
            st.run = if start == st.last_end {
                st.run.saturating_add(len)
            } else {
                len
            };
            let cap = (self.logical_bytes / 32).max(256 << 20);
            let ahead = if start == st.last_end {
                st.run.min(cap)
            } else {
                0
            };
            st.last_end = start.saturating_add(len);
            let covered = st
                .rec
                .header
                .bits_for_range(start, len)
                .all(|b| st.rec.get(b));
            if covered {
                continue;
            }
            let span = len
                .saturating_add(ahead)
                .min(self.logical_bytes.saturating_sub(start));
            for b in st.rec.header.bits_for_range(start, span) {
                changed |= st.rec.set(b);
            }
        }
        if changed {
            st.version += 1;
        }
        st.version
    }

    /// Makes bitmap version `need` (or a later one) durable on member `i`
    /// (record written, fdatasync), unless it is
    /// already. Per member, so a slow member holds back only its own data:
    /// after a crash the union of the members' bits covers every region
    /// any member may have received.
    pub(crate) fn member_intent(&self, i: usize, need: u64) -> Result<()> {
        self.member_record(i, need, true)
    }

    /// Writes bitmap version `need` (or a later one) to member `i` unless
    /// it is there already; `durable`: as one durable write (bits set
    /// before the writes they cover), else a plain one (bits cleared).
    fn member_record(&self, i: usize, need: u64, durable_write: bool) -> Result<()> {
        let m = &self.members[i];
        let mut durable = m.wib_durable.lock().recover();
        if *durable >= need {
            return Ok(());
        }
        let (rec, version) = {
            let guard = self.wib.lock().recover();
            match guard.as_ref() {
                Some(st) => (st.rec.clone(), st.version),
                None => return Ok(()),
            }
        };
        let events = self.events();
        if durable_write {
            m.partition.write_wib(&rec, events)?;
        } else {
            m.partition.write_wib_lazy(&rec, events)?;
        }
        *durable = version;
        Ok(())
    }

    /// Clears the write-intent bits after a sync that covered every write
    /// begun before generation `gen0`: only when the group is whole (no
    /// member missing or out of sync), no member failed, and no write began
    /// since. Best effort: a bit left set costs only a longer resync.
    pub(crate) fn clear_intent(&self, gen0: u64) {
        if self.degraded() || !self.failures().is_empty() {
            return;
        }
        let version = {
            let mut guard = self.wib.lock().recover();
            let Some(st) = guard.as_mut() else { return };
            if st.rec.count() == 0 || self.write_gen.load(Ordering::SeqCst) != gen0 {
                return;
            }
            st.rec.clear();
            st.version += 1;
            st.version
        };
        let targets = self.in_sync_members();
        let labels: Vec<String> = targets
            .iter()
            .map(|&i| self.members[i].partition.name().to_string())
            .collect();
        let parts: Vec<(&super::worker::Worker, &str, super::worker::Part<'_, ()>)> = targets
            .iter()
            .zip(&labels)
            .map(|(&i, l)| {
                // Not a durable write: its loss leaves bits set, which
                // costs a longer resync, never a missed one.
                let p: super::worker::Part<'_, ()> = Box::new(move || {
                    let _ = self.member_record(i, version, false);
                });
                (&self.members[i].worker, l.as_str(), p)
            })
            .collect();
        super::worker::run_all(parts);
    }

    /// The group's write-intent bits as the in-sync members hold them (the
    /// in-memory copy once something was written).
    pub fn write_intent(&self) -> WibRecord {
        let mut guard = self.wib.lock().recover();
        guard.get_or_insert_with(|| self.load_wib()).rec.clone()
    }

    /// True when the write-intent bits cover all of logical bytes
    /// `[logical, logical + len)`: a write there may have been cut short.
    pub fn intent_covers(&self, logical: u64, len: u64) -> bool {
        let mut guard = self.wib.lock().recover();
        let st = guard.get_or_insert_with(|| self.load_wib());
        let end = logical.saturating_add(len);
        st.rec
            .ranges(self.logical_bytes)
            .iter()
            .any(|&(s, e)| s <= logical && end <= e)
    }
}

impl MirrorGroup {
    /// Clears the write-intent bits now if the group is whole and nothing
    /// is being written (after a resync brought the last member in sync).
    pub fn settle_intent(&self) {
        {
            let mut guard = self.wib.lock().recover();
            guard.get_or_insert_with(|| self.load_wib());
        }
        if self.inflight.load(Ordering::SeqCst) == 0 {
            self.clear_intent(self.write_gen.load(Ordering::SeqCst));
        }
    }

    /// Marks present member `i` in sync in memory (after a resync wrote
    /// the table).
    pub fn set_member_in_sync(&self, i: usize) {
        self.members[i].set_state(MemberState::InSync);
    }

    /// Marks present member `i` out of sync for a full copy, in memory and
    /// in every table (its own first): its device lost bytes that the
    /// write-intent bits do not name (an image file cut short).
    pub fn set_member_needs_full_copy(&self, i: usize) -> Result<()> {
        let m = &self.members[i];
        let id = m.partition.id();
        m.set_state(MemberState::OutOfSync);
        self.update_table(&[&m.partition], |x| {
            for r in x.members.iter_mut().filter(|r| r.id == id) {
                r.state = MemberState::OutOfSync;
                r.flags &= !MEMBER_FLAG_WIB;
                r.checkpoint = 0;
                r.progress = 0;
                r.total = 0;
            }
            Ok(())
        })?;
        Ok(())
    }
}
