//! Write-back: dirty blocks sorted, coalesced into contiguous runs (one
//! vectored write per run and member, over the cache buffers where they
//! are), every group's runs handed to the mirror writer at once (each
//! member's long-lived I/O worker takes its part); barriers
//! and syncs; the background flusher.

use std::io::IoSlice;
use std::sync::Arc;
use std::sync::RwLockReadGuard;
use std::time::{Duration, Instant};

use crate::device::AlignedBuf;
use crate::error::Result;
use crate::lock::Recover;
use crate::mirror::{MirrorGroup, Run};

use super::store::{Block, BlockState, CacheShared, Key};

impl CacheShared {
    /// Writes back the blocks dirty now. With `wait`, waits for a flush
    /// already running and then flushes; without, returns at once when
    /// one is running (the background flusher). On error the blocks of the
    /// failing group stay dirty.
    pub(crate) fn flush(&self, wait: bool) -> Result<()> {
        let mut st = self.lock();
        while st.flushing {
            if !wait {
                return Ok(());
            }
            st = self
                .cv
                .wait_timeout(st, Duration::from_millis(50))
                .recover()
                .0;
        }
        if st.dirty.is_empty() {
            return Ok(());
        }
        st.flushing = true;
        st.dirty_since = None;
        let keys = std::mem::take(&mut st.dirty);
        let mut batch: Vec<(Key, Arc<Block>, u64)> = Vec::with_capacity(keys.len());
        for k in keys {
            if let Some(e) = st.map.get_mut(&k) {
                e.state = BlockState::Writeback;
                batch.push((k, e.block.clone(), e.len));
            }
        }
        drop(st);
        let results = self.write_batch(&batch);
        let mut st = self.lock();
        let mut first_err = None;
        let mut written = 0u64;
        for (k, _, len) in &batch {
            let ok = results[k.0 as usize].is_ok();
            let Some(e) = st.map.get_mut(k) else { continue };
            e.state = match (e.state, ok) {
                (BlockState::Writeback, true) => {
                    written += len;
                    BlockState::Clean
                }
                _ => BlockState::Dirty,
            };
            if e.state == BlockState::Clean {
                st.dirty_bytes -= len;
            } else {
                st.dirty.insert(*k);
            }
        }
        if !st.dirty.is_empty() {
            st.dirty_since.get_or_insert_with(Instant::now);
        }
        st.stats.flushes += 1;
        st.stats.bytes_written += written;
        for r in results {
            if let Err(e) = r {
                st.stats.flush_errors += 1;
                first_err.get_or_insert(e);
            }
        }
        st.flushing = false;
        drop(st);
        self.cv.notify_all();
        match first_err {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Writes a sorted batch: per group, contiguous blocks become one run;
    /// the groups are written at once. Returns a result per group.
    fn write_batch(&self, batch: &[(Key, Arc<Block>, u64)]) -> Vec<Result<()>> {
        let guards: Vec<RwLockReadGuard<'_, AlignedBuf>> = batch
            .iter()
            .map(|(_, b, _)| b.data.read().recover())
            .collect();
        let slices: Vec<IoSlice<'_>> = guards
            .iter()
            .zip(batch)
            .map(|(g, (_, _, len))| IoSlice::new(&g[..*len as usize]))
            .collect();
        // Runs per group: (group, logical start, first slice, slice count).
        let mut runs: Vec<Vec<Run<'_>>> = (0..self.groups.len()).map(|_| Vec::new()).collect();
        let mut i = 0;
        let mut nruns = 0u64;
        while i < batch.len() {
            let (key, _, len) = &batch[i];
            let mut j = i + 1;
            let mut end = key.1 + len;
            while j < batch.len() && batch[j].0.0 == key.0 && batch[j].0.1 == end {
                end += batch[j].2;
                j += 1;
            }
            runs[key.0 as usize].push(Run {
                logical: key.1,
                bufs: &slices[i..j],
            });
            nruns += 1;
            i = j;
        }
        {
            let mut st = self.lock();
            st.stats.runs += nruns;
            st.stats.blocks_written += batch.len() as u64;
        }
        // Every group's members at once, each through its I/O worker.
        let parts: Vec<(&MirrorGroup, &[Run<'_>])> = (0..runs.len())
            .filter(|&g| !runs[g].is_empty())
            .map(|g| (self.groups[g].as_ref(), runs[g].as_slice()))
            .collect();
        let busy: Vec<usize> = (0..runs.len()).filter(|&g| !runs[g].is_empty()).collect();
        let mut results: Vec<Result<()>> = (0..runs.len()).map(|_| Ok(())).collect();
        for (g, r) in busy.into_iter().zip(MirrorGroup::write_many(&parts)) {
            results[g] = r;
        }
        results
    }

    /// Writes back everything dirty, then makes it durable on every
    /// in-sync member of every group (fdatasync). What was written before
    /// the call is durable before anything written after it reaches a
    /// device: the flush lock is held through the sync.
    ///
    /// `settle`: the command's final sync, after which the groups may clear
    /// their write-intent bits; a barrier keeps them.
    pub(crate) fn sync_all(&self, settle: bool) -> Result<()> {
        let flushed = self.flush(true);
        // Hold off other flushes while the members sync.
        let mut st = self.lock();
        while st.flushing {
            st = self
                .cv
                .wait_timeout(st, Duration::from_millis(50))
                .recover()
                .0;
        }
        st.flushing = true;
        drop(st);
        let mut first = flushed.err();
        for g in &self.groups {
            let r = if settle { g.sync() } else { g.barrier() };
            if let Err(e) = r {
                first.get_or_insert(e);
            }
        }
        self.lock().flushing = false;
        self.cv.notify_all();
        match first {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The background flusher: writes back when dirty data passes the
    /// background threshold or has waited `flush_interval`; stops at
    /// shutdown.
    pub(crate) fn background(self: Arc<Self>) {
        let interval = self.config.flush_interval;
        loop {
            let mut st = self.lock();
            loop {
                if st.shutdown {
                    return;
                }
                let over = st.dirty_bytes > self.config.dirty_background;
                let old = st.dirty_since.is_some_and(|t| t.elapsed() >= interval);
                if !st.flushing && !st.dirty.is_empty() && (over || old) {
                    break;
                }
                st = self
                    .cv
                    .wait_timeout(st, interval.min(Duration::from_millis(500)))
                    .recover()
                    .0;
            }
            drop(st);
            if self.flush(false).is_err() {
                // The failing group's blocks stay dirty; do not spin on
                // them. Writers see the error when they flush themselves.
                let st = self.lock();
                if st.shutdown {
                    return;
                }
                let _ = self.cv.wait_timeout(st, Duration::from_secs(1));
            }
        }
    }
}
