//! The parallel mirrored writer: each batch of runs goes to every in-sync
//! member at once, one thread per member, and the call returns when every
//! member has finished. A member that fails is marked out of sync in the
//! mirror table of the survivors and never written again; the caller's
//! write succeeds while one in-sync member holds the data.

use std::io::IoSlice;
use std::sync::atomic::Ordering;

use crate::error::{Error, Result};
use crate::layout::mirror::{MEMBER_FLAG_WIB, MemberState};
use crate::lock::Recover;

use super::MirrorGroup;
use super::member::bump;

/// One contiguous run of the logical partition: the slices are written
/// back to back from `logical` on (one vectored write per member, split
/// only where the member's hot-fix table redirects a unit).
#[derive(Debug, Clone, Copy)]
pub struct Run<'a> {
    /// Logical byte where the run starts.
    pub logical: u64,
    /// The run's bytes, in order (usually cache buffers).
    pub bufs: &'a [IoSlice<'a>],
}

impl Run<'_> {
    /// Bytes in the run.
    pub fn len(&self) -> u64 {
        self.bufs.iter().map(|b| b.len() as u64).sum()
    }

    /// True when the run holds no bytes.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl MirrorGroup {
    fn check_writable(&self) -> Result<()> {
        if self.writable() {
            Ok(())
        } else {
            Err(Error::PlainNetWare {
                device: self.name(),
            })
        }
    }

    fn no_member(&self) -> Error {
        Error::NoInSyncMember { group: self.name() }
    }

    /// Called before runs are written to any member: records missing
    /// members out of sync (first write only), then sets the runs'
    /// write-intent bits in memory; returns the bitmap version each member
    /// makes durable before its data (see [`super::wib`]).
    fn before_runs(&self, ranges: &[(u64, u64)]) -> Result<u64> {
        self.record_missing()?;
        Ok(self.intend(ranges))
    }

    /// Writes the runs, in order, to every in-sync member at once: each
    /// member gets its own thread and all of them start before any is
    /// waited for. Returns when every member has finished; a member that
    /// fails is given up (see [`MirrorGroup::fail_member`]) and the call
    /// still succeeds while one in-sync member wrote everything.
    pub fn write_runs(&self, runs: &[Run<'_>]) -> Result<()> {
        self.check_writable()?;
        for r in runs {
            self.check_range(r.logical, r.len())?;
        }
        let _inflight = self.begin_write();
        let ranges: Vec<(u64, u64)> = runs.iter().map(|r| (r.logical, r.len())).collect();
        let need = self.before_runs(&ranges)?;
        let targets = self.in_sync_members();
        if targets.is_empty() {
            return Err(self.no_member());
        }
        self.unsynced.store(true, Ordering::SeqCst);
        let write_member = |i: usize| -> Result<()> {
            let m = &self.members[i];
            self.member_intent(i, need)?;
            for r in runs {
                m.write_run(r.bufs, r.logical)?;
            }
            Ok(())
        };
        let results: Vec<(usize, Result<()>)> = if targets.len() == 1 {
            vec![(targets[0], write_member(targets[0]))]
        } else {
            std::thread::scope(|s| {
                let handles: Vec<_> = targets
                    .iter()
                    .map(|&i| (i, s.spawn(move || write_member(i))))
                    .collect();
                handles
                    .into_iter()
                    .map(|(i, h)| {
                        let r = h.join().unwrap_or_else(|_| {
                            Err(Error::Panicked(format!(
                                "{}: member writer thread panicked",
                                self.members[i].partition.name()
                            )))
                        });
                        (i, r)
                    })
                    .collect()
            })
        };
        for (i, r) in results {
            if let Err(e) = r {
                self.fail_member(i, &e);
            }
        }
        if targets.iter().any(|&i| self.members[i].in_sync()) {
            Ok(())
        } else {
            Err(self.no_member())
        }
    }

    /// Writes logical bytes to every in-sync member (one run).
    pub fn write_logical(&self, bufs: &[IoSlice<'_>], logical: u64) -> Result<()> {
        self.write_runs(&[Run { logical, bufs }])
    }

    /// Makes a logical range read back as zeros on every in-sync member,
    /// skipping members whose device is known to read back zeros.
    pub fn zero_logical(&self, logical: u64, len: u64) -> Result<()> {
        self.check_writable()?;
        self.check_range(logical, len)?;
        let _inflight = self.begin_write();
        let need = self.before_runs(&[(logical, len)])?;
        let targets = self.in_sync_members();
        if targets.is_empty() {
            return Err(self.no_member());
        }
        self.unsynced.store(true, Ordering::SeqCst);
        for i in targets {
            let m = &self.members[i];
            if m.partition.device.reads_zeros() {
                continue;
            }
            if let Err(e) = self
                .member_intent(i, need)
                .and_then(|()| m.partition.zero_logical(logical, len))
            {
                bump(&m.stats.write_errors, 1);
                self.fail_member(i, &e);
            }
        }
        if self.in_sync_members().is_empty() {
            return Err(self.no_member());
        }
        Ok(())
    }

    /// Makes everything written so far durable on every in-sync member
    /// (fdatasync, all members at once). A failed fdatasync fails the
    /// member: the kernel may already have dropped the dirty pages, so a
    /// retry that succeeds proves nothing.
    pub fn sync(&self) -> Result<()> {
        // Write-intent bits may be cleared after this sync only if no write
        // was in flight when it began (see `begin_write`).
        let gen0 = self.write_gen.load(Ordering::SeqCst);
        let idle = self.inflight.load(Ordering::SeqCst) == 0;
        self.sync_data()?;
        if idle {
            self.clear_intent(gen0);
        }
        Ok(())
    }

    fn sync_data(&self) -> Result<()> {
        if !self.unsynced.swap(false, Ordering::SeqCst) {
            return Ok(());
        }
        let targets = self.in_sync_members();
        if targets.is_empty() {
            self.unsynced.store(true, Ordering::SeqCst);
            return Err(self.no_member());
        }
        let sync_member = |i: usize| -> Result<()> {
            let m = &self.members[i];
            bump(&m.stats.syncs, 1);
            m.partition.device.sync().map_err(Error::from)
        };
        let results: Vec<(usize, Result<()>)> = if targets.len() == 1 {
            vec![(targets[0], sync_member(targets[0]))]
        } else {
            std::thread::scope(|s| {
                let hs: Vec<_> = targets
                    .iter()
                    .map(|&i| (i, s.spawn(move || sync_member(i))))
                    .collect();
                hs.into_iter()
                    .map(|(i, h)| {
                        (
                            i,
                            h.join().unwrap_or_else(|_| {
                                Err(Error::Panicked("member sync thread panicked".into()))
                            }),
                        )
                    })
                    .collect()
            })
        };
        for (i, r) in results {
            if let Err(e) = r {
                self.fail_member(i, &e);
            }
        }
        if self.in_sync_members().is_empty() {
            self.unsynced.store(true, Ordering::SeqCst);
            return Err(self.no_member());
        }
        Ok(())
    }

    /// Gives member `i` up after `cause`: it is never written again, and
    /// the mirror table on every surviving in-sync member is rewritten (4
    /// copies, synced, event counter bumped) with it out of sync, so a
    /// later assembly knows. A survivor whose header cannot be written is
    /// given up too.
    pub fn fail_member(&self, i: usize, cause: &Error) {
        let Some(m) = self.members.get(i) else { return };
        if !m.mark_failed() {
            return;
        }
        self.failures.lock().recover().push(format!(
            "{}: member {:#010x} failed and is out of sync: {cause}",
            m.partition.name(),
            m.partition.id()
        ));
        let mut table = self.table.lock().recover();
        let mut newly_out = vec![i];
        loop {
            for &j in &newly_out {
                let mj = &self.members[j];
                mj.set_state(MemberState::OutOfSync);
                if let Some(x) = table.ext.as_mut()
                    && let Some(rec) = x.members.iter_mut().find(|r| r.id == mj.partition.id())
                {
                    rec.state = MemberState::OutOfSync;
                    // The survivors' write-intent bits, never cleared while
                    // the group is degraded, name what it misses from now.
                    rec.flags |= MEMBER_FLAG_WIB;
                }
            }
            if let Some(x) = table.ext.as_mut() {
                x.events += 1;
            } else {
                // A plain NetWare table has nowhere to record states.
                return;
            }
            newly_out.clear();
            for j in self.in_sync_members() {
                let mj = &self.members[j];
                if let Err(e) = mj.partition.write_mirror_header(table.clone()) {
                    if mj.mark_failed() {
                        self.failures.lock().recover().push(format!(
                            "{}: member {:#010x} failed writing the mirror table: {e}",
                            mj.partition.name(),
                            mj.partition.id()
                        ));
                    }
                    newly_out.push(j);
                }
            }
            if newly_out.is_empty() {
                return;
            }
        }
    }
}
