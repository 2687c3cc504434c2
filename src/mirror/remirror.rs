//! The remirror engine: copies the logical partition (or the part of it
//! that matters) from the in-sync members to a member being brought in
//! sync, in large runs, reading from several members at once, writing
//! straight to the target's partition (not through the cache), with a
//! checkpoint saved in every member's mirror table as it goes.
//!
//! What is copied is a [`RemirrorPlan`]: sorted, merged logical ranges.
//! The assembly's `allocated_plan` gives the volume tables, every FAT
//! fragment and its copy, and the allocated blocks of every volume (it
//! needs the volumes, which sit above this layer); [`dirty_plan`] the
//! chunks whose write-intent bits are set.

use std::io::IoSlice;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::layout::mirror::{MAX_MEMBERS, MemberRecord, MemberState, MirrorExt, MirrorHeader};
use crate::lock::Recover;
use crate::partition::Partition;

use super::MirrorGroup;

/// Bytes read from one source and written in one call.
pub const COPY_CHUNK: u64 = 8 << 20;
/// The checkpoint is saved at least every this many bytes copied...
pub const CHECKPOINT_BYTES: u64 = 64 << 20;
/// ...or this often.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(3);

/// Logical ranges to copy: sorted, merged `[start, end)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RemirrorPlan {
    /// The ranges.
    pub ranges: Vec<(u64, u64)>,
}

impl RemirrorPlan {
    /// A plan from any ranges (sorted and merged here; empty ones dropped).
    pub fn from_ranges(mut v: Vec<(u64, u64)>) -> RemirrorPlan {
        v.retain(|r| r.1 > r.0);
        v.sort_unstable();
        let mut out: Vec<(u64, u64)> = Vec::new();
        for (s, e) in v {
            match out.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => out.push((s, e)),
            }
        }
        RemirrorPlan { ranges: out }
    }

    /// The whole logical partition.
    pub fn full(logical_bytes: u64) -> RemirrorPlan {
        RemirrorPlan::from_ranges(vec![(0, logical_bytes)])
    }

    /// Bytes the plan copies.
    pub fn bytes(&self) -> u64 {
        self.ranges.iter().map(|r| r.1 - r.0).sum()
    }

    /// The part of the plan at or above `from`.
    pub fn from_offset(&self, from: u64) -> RemirrorPlan {
        RemirrorPlan::from_ranges(self.ranges.iter().map(|&(s, e)| (s.max(from), e)).collect())
    }

    /// The union of two plans.
    pub fn union(&self, other: &RemirrorPlan) -> RemirrorPlan {
        let mut v = self.ranges.clone();
        v.extend_from_slice(&other.ranges);
        RemirrorPlan::from_ranges(v)
    }
}

/// The chunks whose write-intent bits are set on the group's in-sync
/// members.
pub fn dirty_plan(group: &MirrorGroup) -> RemirrorPlan {
    RemirrorPlan::from_ranges(group.write_intent().ranges(group.logical_bytes))
}

/// How far a remirror is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    /// Bytes this run copied.
    pub copied_bytes: u64,
    /// Bytes the whole job (all runs) copied.
    pub done_bytes: u64,
    /// Bytes the whole job copies.
    pub total_bytes: u64,
    /// Bytes this run still copies.
    pub left_bytes: u64,
    /// Logical bytes below which the target holds everything planned.
    pub checkpoint: u64,
    /// This run's copy rate so far, bytes per second.
    pub rate: u64,
}

/// Options of a remirror run.
#[derive(Debug, Clone, Copy, Default)]
pub struct RemirrorOptions {
    /// Most bytes per second (None: as fast as it goes).
    pub max_rate: Option<u64>,
}

fn table_ext(h: &MirrorHeader) -> Result<MirrorExt> {
    h.ext.clone().ok_or_else(|| Error::PlainNetWare {
        device: "mirror table".into(),
    })
}

impl MirrorGroup {
    /// Changes the group's mirror table with `f`, bumps its event counter
    /// and writes it (four copies, synced) to `extra` partitions, then to
    /// every in-sync member. Returns the new table. The partition the
    /// change is about (a remirror's target) comes first: killed in
    /// between, it holds the newest table, which assembly takes as the
    /// authority, and the survivors' older one is never the only record
    /// of a finished copy (the target alone would read as remirroring).
    pub fn update_table(
        &self,
        extra: &[&Partition],
        f: impl FnOnce(&mut MirrorExt) -> Result<()>,
    ) -> Result<MirrorHeader> {
        let mut table = self.table.lock().recover();
        let mut x = table_ext(&table)?;
        f(&mut x)?;
        x.events += 1;
        let created = table.created;
        let new = MirrorHeader::new(created, x);
        // The partition the change is about first (see above), then every
        // in-sync member at once: each waits on its own device's syncs.
        for p in extra {
            p.write_mirror_header(new.clone())?;
        }
        let parts: Vec<&Partition> = self
            .in_sync_members()
            .into_iter()
            .map(|i| &self.members[i].partition)
            .collect();
        std::thread::scope(|s| {
            let handles: Vec<_> = parts
                .iter()
                .map(|p| {
                    let new = new.clone();
                    s.spawn(move || p.write_mirror_header(new))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("table writer thread"))
                .collect::<Result<Vec<()>>>()
        })?;
        *table = new.clone();
        Ok(new)
    }

    /// The table with a new member record appended (remirroring, the job's
    /// total set), written to every in-sync member. Refused at
    /// [`MAX_MEMBERS`].
    pub fn add_member_record(&self, id: u32, total: u64) -> Result<MirrorHeader> {
        let name = self.name();
        let gone = self.missing.first().copied();
        self.update_table(&[], |x| {
            take_missing_slot(x, gone);
            push_member_record(x, &name, id, total)
        })
    }

    /// The table [`MirrorGroup::add_member_record`] would write next, not
    /// written: the new member's partition is created holding it before
    /// any survivor lists the member, so a run cut short in between leaves
    /// either a device the group does not know or one `mirror resume`
    /// continues (its newer table is the authority), never a listed member
    /// without a header.
    pub fn next_table_with_member(&self, id: u32, total: u64) -> Result<MirrorHeader> {
        let name = self.name();
        let table = self.table.lock().recover();
        let mut x = table_ext(&table)?;
        take_missing_slot(&mut x, self.missing.first().copied());
        push_member_record(&mut x, &name, id, total)?;
        x.events += 1;
        Ok(MirrorHeader::new(table.created, x))
    }

    /// Copies `plan` from the in-sync members to `target` (member `id`),
    /// chunk `k` read from source `k mod n` (several sources read at
    /// once, the writes pipelined behind the reads). The checkpoint,
    /// `done` and `total` are saved in every member's table every
    /// [`CHECKPOINT_BYTES`] or [`CHECKPOINT_EVERY`]; at the end the target
    /// is in sync in every copy of every member's table. A source that
    /// fails a read is replaced by another in-sync one; with none left, or
    /// when the target fails a write, the run stops with the checkpoint
    /// kept and the target not in sync.
    pub fn remirror(
        &self,
        target: &Partition,
        plan: &RemirrorPlan,
        done: u64,
        total: u64,
        opts: RemirrorOptions,
        on_progress: &mut dyn FnMut(&Progress),
    ) -> Result<Progress> {
        let id = target.id();
        let sources: Vec<usize> = self
            .in_sync_members()
            .into_iter()
            .filter(|&i| self.members[i].partition.id() != id)
            .collect();
        if sources.is_empty() {
            return Err(Error::NoInSyncMember { group: self.name() });
        }
        let left_total = plan.bytes();
        let mut p = Progress {
            copied_bytes: 0,
            done_bytes: done,
            total_bytes: total.max(done + left_total),
            left_bytes: left_total,
            checkpoint: plan
                .ranges
                .first()
                .map(|r| r.0)
                .unwrap_or(self.logical_bytes),
            rate: 0,
        };
        self.save_checkpoint(target, &p, MemberState::Remirroring)?;
        // Chunks in order.
        let mut chunks: Vec<(u64, u64)> = Vec::new();
        for &(s, e) in &plan.ranges {
            let mut o = s;
            while o < e {
                let n = (e - o).min(COPY_CHUNK);
                chunks.push((o, n));
                o += n;
            }
        }
        let started = Instant::now();
        let mut last_save = Instant::now();
        let mut since_save = 0u64;
        let nsrc = sources.len();
        let (tx, rx) = mpsc::sync_channel::<(u64, Vec<u8>)>(2);
        let (done_tx, done_rx) = mpsc::channel::<Result<(u64, u64)>>();
        // Checkpoints are saved in the background (target fdatasync, then
        // the tables), so the copy does not wait for them.
        let (ck_tx, ck_rx) = mpsc::sync_channel::<Progress>(1);
        let ck_err: std::sync::Mutex<Option<Error>> = std::sync::Mutex::new(None);
        let pool: std::sync::Mutex<Vec<Vec<u8>>> = std::sync::Mutex::new(Vec::new());
        let result: Result<()> = std::thread::scope(|s| {
            let ck_err = &ck_err;
            let pool = &pool;
            s.spawn(move || {
                for p in ck_rx {
                    let r =
                        target.device.sync().map_err(Error::from).and_then(|()| {
                            self.save_checkpoint(target, &p, MemberState::Remirroring)
                        });
                    if let Err(e) = r {
                        *ck_err.lock().recover() = Some(e);
                        return;
                    }
                }
            });
            // The writer: writes chunks in order to the target.
            s.spawn(move || {
                for (off, buf) in rx {
                    let r = target
                        .write_logical(&[IoSlice::new(&buf)], off)
                        .map(|()| (off, buf.len() as u64));
                    pool.lock().recover().push(buf);
                    let stop = r.is_err();
                    let _ = done_tx.send(r);
                    if stop {
                        return;
                    }
                }
            });
            let mut sent = 0usize;
            let mut written = 0usize;
            let handle_done = |r: Result<(u64, u64)>,
                               p: &mut Progress,
                               since: &mut u64|
             -> Result<()> {
                let (off, n) = r.map_err(|e| Error::Failed {
                    what: format!(
                        "{}: write to the new member failed; it stays out of sync (checkpoint kept)",
                        target.name()
                    ),
                    source: Box::new(e),
                })?;
                p.copied_bytes += n;
                p.done_bytes += n;
                p.left_bytes -= n;
                p.checkpoint = off + n;
                let secs = started.elapsed().as_secs_f64();
                if secs > 0.0 {
                    p.rate = (p.copied_bytes as f64 / secs) as u64;
                }
                *since += n;
                Ok(())
            };
            // One reader per source, each reading its chunks (k mod n) ahead
            // of the writer; the chunks are taken in order.
            let mut rxs = Vec::with_capacity(nsrc);
            for j in 0..nsrc {
                let (rtx, rrx) = mpsc::sync_channel::<Result<(u64, Vec<u8>)>>(2);
                rxs.push(rrx);
                let mine: Vec<(u64, u64)> = chunks.iter().copied().skip(j).step_by(nsrc).collect();
                let srcs = &sources;
                s.spawn(move || {
                    for (off, n) in mine {
                        let r = self
                            .read_from_sources(srcs, j, off, n, pool)
                            .map(|b| (off, b));
                        let stop = r.is_err();
                        if rtx.send(r).is_err() || stop {
                            return;
                        }
                    }
                });
            }
            for k in 0..chunks.len() {
                let (off, buf) = rxs[k % nsrc]
                    .recv()
                    .map_err(|_| Error::Panicked("remirror reader stopped".into()))??;
                if tx.send((off, buf)).is_err() {
                    break;
                }
                sent += 1;
                // Take what the writer finished.
                while let Ok(r) = done_rx.try_recv() {
                    written += 1;
                    handle_done(r, &mut p, &mut since_save)?;
                }
                if let Some(rate) = opts.max_rate {
                    let want = Duration::from_secs_f64(
                        (p.copied_bytes + (sent - written) as u64 * COPY_CHUNK) as f64
                            / rate.max(1) as f64,
                    );
                    let el = started.elapsed();
                    if want > el {
                        std::thread::sleep(want - el);
                    }
                }
                if let Some(e) = ck_err.lock().recover().take() {
                    return Err(e);
                }
                if (since_save >= CHECKPOINT_BYTES || last_save.elapsed() >= CHECKPOINT_EVERY)
                    && ck_tx.try_send(p).is_ok()
                {
                    since_save = 0;
                    last_save = Instant::now();
                }
                on_progress(&p);
            }
            drop(tx);
            while written < sent {
                let r = done_rx
                    .recv()
                    .map_err(|_| Error::Panicked("remirror writer stopped".into()))?;
                written += 1;
                handle_done(r, &mut p, &mut since_save)?;
            }
            drop(ck_tx);
            Ok(())
        });
        if let Some(e) = ck_err.lock().recover().take() {
            return Err(e);
        }
        // On an error the checkpoint as last saved stays.
        result?;
        target.device.sync()?;
        p.checkpoint = self.logical_bytes;
        p.left_bytes = 0;
        self.save_checkpoint(target, &p, MemberState::InSync)?;
        on_progress(&p);
        Ok(p)
    }

    fn read_from_sources(
        &self,
        sources: &[usize],
        k: usize,
        off: u64,
        n: u64,
        pool: &std::sync::Mutex<Vec<Vec<u8>>>,
    ) -> Result<Vec<u8>> {
        // Buffers come back from the writer: no fresh 8 MiB (and its page
        // faults) per chunk.
        let mut buf = pool.lock().recover().pop().unwrap_or_default();
        buf.resize(n as usize, 0);
        let mut last = None;
        for t in 0..sources.len() {
            let i = sources[(k + t) % sources.len()];
            let m = &self.members[i];
            if !m.in_sync() {
                continue;
            }
            match m.read(&mut buf, off) {
                Ok(()) => return Ok(buf),
                Err(e) => last = Some((m.partition.name().to_string(), e)),
            }
        }
        Err(match last {
            Some((dev, e)) => Error::Failed {
                what: format!(
                    "{dev}: read of logical bytes {off}+{n} failed on every in-sync member; remirror stopped, checkpoint kept"
                ),
                source: Box::new(e),
            },
            None => Error::NoInSyncMember { group: self.name() },
        })
    }

    fn save_checkpoint(&self, target: &Partition, p: &Progress, state: MemberState) -> Result<()> {
        let id = target.id();
        let lb = self.logical_bytes;
        self.update_table(&[target], |x| {
            let rec = x.members.iter_mut().find(|m| m.id == id).ok_or_else(|| {
                Error::NotInMirrorTable {
                    device: target.name().to_string(),
                    partition: id,
                }
            })?;
            rec.state = state;
            x.checkpoint_time = if state == MemberState::Remirroring {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(1, |d| d.as_secs() as u32)
            } else {
                0
            };
            x.rate_kib = (p.rate / 1024).min(u64::from(u32::MAX)) as u32;
            let rec = x
                .members
                .iter_mut()
                .find(|m| m.id == id)
                .expect("found above");
            rec.checkpoint = p.checkpoint.min(lb);
            rec.progress = p.done_bytes;
            rec.total = p.total_bytes;
            if state == MemberState::InSync {
                rec.flags = 0;
            }
            Ok(())
        })?;
        Ok(())
    }
}

/// Appends a remirroring record for member `id` (dropping removed ones);
/// refused at [`MAX_MEMBERS`].
/// A new member replaces a missing one (as mdadm's add to a degraded
/// array takes the failed slot): the missing member's record goes.
fn take_missing_slot(x: &mut MirrorExt, gone: Option<u32>) {
    if let Some(id) = gone {
        x.members.retain(|r| r.id != id);
    }
}

fn push_member_record(x: &mut MirrorExt, name: &str, id: u32, total: u64) -> Result<()> {
    let listed = x
        .members
        .iter()
        .filter(|m| m.state != MemberState::Removed)
        .count();
    x.members.retain(|m| m.state != MemberState::Removed);
    if listed >= MAX_MEMBERS {
        return Err(Error::GroupFull {
            group: name.to_string(),
            members: MAX_MEMBERS,
        });
    }
    x.members.push(MemberRecord {
        id,
        state: MemberState::Remirroring,
        flags: 0,
        checkpoint: 0,
        progress: 0,
        total,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_merge_and_clip() {
        let p = RemirrorPlan::from_ranges(vec![(10, 20), (0, 5), (5, 8), (15, 30), (40, 40)]);
        assert_eq!(p.ranges, vec![(0, 8), (10, 30)]);
        assert_eq!(p.bytes(), 28);
        assert_eq!(p.from_offset(12).ranges, vec![(12, 30)]);
        let q = RemirrorPlan::from_ranges(vec![(8, 10)]);
        assert_eq!(p.union(&q).ranges, vec![(0, 30)]);
    }
}
