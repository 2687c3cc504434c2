//! The parallel mirrored writer: each batch of runs goes to every in-sync
//! member at once, through each member's I/O worker (one long-lived
//! thread per member, see [`super::worker`]), and the call returns when every
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
use super::wib::Inflight;
use super::worker::{Part, run_all};

/// A group's part of a flush, ready to go to its members.
struct Prepared<'g> {
    group: &'g MirrorGroup,
    _inflight: Inflight<'g>,
    /// The write-intent version each member makes durable first.
    need: u64,
    /// The members written.
    targets: Vec<usize>,
}

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
    /// member's I/O worker gets its part and all of them start before any
    /// is waited for. Returns when every member has finished; a member that
    /// fails is given up (see [`MirrorGroup::fail_member`]) and the call
    /// still succeeds while one in-sync member wrote everything.
    pub fn write_runs(&self, runs: &[Run<'_>]) -> Result<()> {
        MirrorGroup::write_many(&[(self, runs)])
            .pop()
            .unwrap_or_else(|| Err(self.no_member()))
    }

    /// Writes each group's runs as [`MirrorGroup::write_runs`] does, every
    /// member of every group at once; a result per group, in order.
    pub fn write_many(parts: &[(&MirrorGroup, &[Run<'_>])]) -> Vec<Result<()>> {
        let mut out: Vec<Option<Result<()>>> = (0..parts.len()).map(|_| None).collect();
        let mut ready: Vec<(usize, Prepared<'_>)> = Vec::new();
        for (k, (g, runs)) in parts.iter().enumerate() {
            match g.prepare(runs) {
                Ok(p) => ready.push((k, p)),
                Err(e) => out[k] = Some(Err(e)),
            }
        }
        // (part, member, result)
        let mut done: Vec<(usize, usize, Result<()>)> = Vec::new();
        let jobs: usize = ready.iter().map(|(_, p)| p.targets.len()).sum();
        if jobs == 1 {
            // One member in all: no hand-over to its worker.
            let (k, p) = &ready[0];
            let i = p.targets[0];
            done.push((*k, i, p.group.write_member(i, p.need, parts[*k].1)));
        } else {
            // (part, member, write-intent version it needs)
            let names: Vec<(usize, usize, u64)> = ready
                .iter()
                .flat_map(|(k, p)| p.targets.iter().map(move |&i| (*k, i, p.need)))
                .collect();
            let labels: Vec<String> = names
                .iter()
                .map(|&(k, i, _)| parts[k].0.members[i].partition.name().to_string())
                .collect();
            let mut parts_run: Vec<(&super::worker::Worker, &str, Part<'_, Result<()>>)> =
                Vec::new();
            for (&(k, i, need), label) in names.iter().zip(&labels) {
                let (g, runs) = parts[k];
                parts_run.push((
                    &g.members[i].worker,
                    label.as_str(),
                    Box::new(move || g.write_member(i, need, runs)),
                ));
            }
            for (n, r) in run_all(parts_run).into_iter().enumerate() {
                let (k, i, _) = names[n];
                let r = r.unwrap_or_else(|| {
                    Err(Error::Panicked(format!(
                        "{}: member writer panicked",
                        parts[k].0.members[i].partition.name()
                    )))
                });
                done.push((k, i, r));
            }
        }
        for (k, i, r) in done {
            if let Err(e) = r {
                parts[k].0.fail_member(i, &e);
            }
        }
        for (k, p) in ready {
            let g = p.group;
            out[k] = Some(if p.targets.iter().any(|&i| g.members[i].in_sync()) {
                Ok(())
            } else {
                Err(g.no_member())
            });
        }
        out.into_iter()
            .map(|r| r.unwrap_or_else(|| Err(Error::Internal("group not written".into()))))
            .collect()
    }

    /// Checks the runs, counts the write in flight and sets its
    /// write-intent bits in memory: what every member's part needs.
    fn prepare(&self, runs: &[Run<'_>]) -> Result<Prepared<'_>> {
        self.check_writable()?;
        for r in runs {
            self.check_range(r.logical, r.len())?;
        }
        let inflight = self.begin_write();
        let ranges: Vec<(u64, u64)> = runs.iter().map(|r| (r.logical, r.len())).collect();
        let need = self.before_runs(&ranges)?;
        let targets = self.in_sync_members();
        if targets.is_empty() {
            return Err(self.no_member());
        }
        self.unsynced.store(true, Ordering::SeqCst);
        Ok(Prepared {
            group: self,
            _inflight: inflight,
            need,
            targets,
        })
    }

    /// Member `i`'s part of a write: its write-intent record when it lacks
    /// version `need`, then the runs in order.
    fn write_member(&self, i: usize, need: u64, runs: &[Run<'_>]) -> Result<()> {
        let m = &self.members[i];
        self.member_intent(i, need)?;
        for r in runs {
            m.write_run(r.bufs, r.logical)?;
        }
        Ok(())
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

    /// Makes everything written so far durable on every in-sync member,
    /// as [`MirrorGroup::sync`] does, but keeps the write-intent bits: a
    /// barrier inside a command, whose next commit writes near the same
    /// places again. Clearing them here would cost a record write per
    /// member at the next write, every commit; they are cleared at the
    /// command's final sync.
    pub fn barrier(&self) -> Result<()> {
        self.sync_data()
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
            let labels: Vec<String> = targets
                .iter()
                .map(|&i| self.members[i].partition.name().to_string())
                .collect();
            let sm = &sync_member;
            let parts: Vec<(&super::worker::Worker, &str, Part<'_, Result<()>>)> = targets
                .iter()
                .zip(&labels)
                .map(|(&i, l)| {
                    let p: Part<'_, Result<()>> = Box::new(move || sm(i));
                    (&self.members[i].worker, l.as_str(), p)
                })
                .collect();
            targets
                .iter()
                .zip(run_all(parts))
                .map(|(&i, r)| {
                    (
                        i,
                        r.unwrap_or_else(|| Err(Error::Panicked("member sync panicked".into()))),
                    )
                })
                .collect()
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
        // An image file cut short by another program lost bytes written
        // before, which no write-intent bit names: it needs a full copy.
        let cut = matches!(
            cause,
            Error::Device(
                crate::device::DeviceError::Shrank { .. }
                    | crate::device::DeviceError::Replaced { .. }
            )
        );
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
                    if cut && j == i {
                        rec.flags &= !MEMBER_FLAG_WIB;
                    } else {
                        // The survivors' write-intent bits, never cleared
                        // while the group is degraded, name what it misses
                        // from now.
                        rec.flags |= MEMBER_FLAG_WIB;
                    }
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
