//! The cache itself: one index of logical blocks over every mirror group,
//! LRU order, dirty tracking and the read and write paths.
//!
//! Locking: the state mutex guards the index; each block's buffer has its
//! own RwLock. A thread may take the state mutex while holding a buffer
//! lock, never the other way round (the one exception is a brand-new block,
//! whose lock nobody else can hold yet), so the two never deadlock.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::device::{AlignedBuf, BufPool};
use crate::error::{Error, Result};
use crate::lock::Recover;
use crate::mirror::MirrorGroup;

use super::config::CacheConfig;
use super::io::{BlockCheck, BlockIo};

/// Buffers are page aligned so that O_DIRECT devices take them as they are.
const BUF_ALIGN: usize = 4096;

/// Largest block size a volume has.
const MAX_BLOCK: u64 = 64 << 10;

/// (group index, logical byte of the block).
pub(crate) type Key = (u32, u64);

/// A block's place in the write-back cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BlockState {
    /// Being read from a member; its loader holds the buffer lock.
    Loading,
    /// Same as on every in-sync member.
    Clean,
    /// Changed, waiting for a flush.
    Dirty,
    /// Being written by a flush.
    Writeback,
    /// Changed again while being written: dirty once the flush ends.
    WritebackDirty,
}

/// One cached block's buffer.
#[derive(Debug)]
pub(crate) struct Block {
    pub(crate) data: RwLock<AlignedBuf>,
    /// False until loaded; stays false when the load failed.
    pub(crate) valid: AtomicBool,
}

#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) block: Arc<Block>,
    pub(crate) len: u64,
    tick: u64,
    pub(crate) state: BlockState,
}

/// Counters of the cache since it was made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct CacheStats {
    /// Capacity in bytes.
    pub capacity: u64,
    /// Bytes of block buffers held now.
    pub used: u64,
    /// Dirty bytes now (including those being written).
    pub dirty: u64,
    /// Blocks held now.
    pub blocks: u64,
    /// Block lookups that found the block.
    pub hits: u64,
    /// Block lookups that had to read from a member.
    pub misses: u64,
    /// Clean blocks dropped to make room.
    pub evictions: u64,
    /// Flushes (batches of dirty blocks written back).
    pub flushes: u64,
    /// Contiguous runs written (each one vectored write per member).
    pub runs: u64,
    /// Blocks written back.
    pub blocks_written: u64,
    /// Bytes written back.
    pub bytes_written: u64,
    /// Times a writer had to wait for or do write-back (back-pressure).
    pub throttled: u64,
    /// Flushes that failed (a group had no in-sync member left).
    pub flush_errors: u64,
}

/// The blocks the cache holds, their LRU order, the dirty set and the
/// accounting: everything behind the cache's one lock.
#[derive(Debug, Default)]
pub(crate) struct CacheContents {
    pub(crate) map: BTreeMap<Key, Entry>,
    /// tick -> key, oldest first.
    lru: BTreeMap<u64, Key>,
    /// Blocks in state Dirty, sorted, so that runs fall out in order.
    pub(crate) dirty: BTreeSet<Key>,
    tick: u64,
    pub(crate) used: u64,
    /// Buffers of evicted blocks, kept for new blocks: a stream through
    /// the cache then neither allocates nor zeroes (nor faults in) fresh
    /// memory for every block. At most `spare_limit` bytes.
    spare: Vec<AlignedBuf>,
    spare_bytes: u64,
    /// Bytes of Dirty, Writeback and WritebackDirty blocks.
    pub(crate) dirty_bytes: u64,
    /// A flush is running (one at a time).
    pub(crate) flushing: bool,
    /// Bumped whenever a block is created by a write: a read that went
    /// around the cache must not insert what it read when this moved.
    write_epoch: u64,
    /// When a dirty block was last made from a clean state with the dirty
    /// set empty: the age of the oldest dirty data.
    pub(crate) dirty_since: Option<Instant>,
    pub(crate) shutdown: bool,
    pub(crate) stats: CacheStats,
}

impl CacheContents {
    fn touch(&mut self, key: Key) {
        self.tick += 1;
        let t = self.tick;
        if let Some(e) = self.map.get_mut(&key) {
            self.lru.remove(&e.tick);
            e.tick = t;
            self.lru.insert(t, key);
        }
    }

    fn insert(&mut self, key: Key, block: Arc<Block>, len: u64, state: BlockState) {
        self.tick += 1;
        let t = self.tick;
        self.lru.insert(t, key);
        self.used += len;
        self.map.insert(
            key,
            Entry {
                block,
                len,
                tick: t,
                state,
            },
        );
    }

    pub(crate) fn remove(&mut self, key: &Key) -> Option<Entry> {
        let e = self.map.remove(key)?;
        self.lru.remove(&e.tick);
        self.used -= e.len;
        if matches!(
            e.state,
            BlockState::Dirty | BlockState::Writeback | BlockState::WritebackDirty
        ) {
            self.dirty_bytes -= e.len;
        }
        self.dirty.remove(key);
        Some(e)
    }

    /// Keeps the buffer of a removed entry for a new block, when nobody
    /// else holds it and the spares stay under `limit` bytes.
    fn recycle(&mut self, e: Entry, limit: u64) {
        if self.spare_bytes + e.len > limit {
            return;
        }
        if let Ok(block) = Arc::try_unwrap(e.block) {
            let buf = block.data.into_inner().recover();
            self.spare_bytes += buf.len() as u64;
            self.spare.push(buf);
        }
    }

    /// A spare buffer of exactly `len` bytes, if one is kept.
    fn take_spare(&mut self, len: u64) -> Option<AlignedBuf> {
        let i = self.spare.iter().rposition(|b| b.len() as u64 == len)?;
        let buf = self.spare.swap_remove(i);
        self.spare_bytes -= len;
        Some(buf)
    }

    /// Marks a block dirty after its buffer changed.
    fn mark_dirty(&mut self, key: Key) {
        let Some(e) = self.map.get_mut(&key) else {
            return;
        };
        let add = match e.state {
            BlockState::Clean | BlockState::Loading => {
                e.state = BlockState::Dirty;
                self.dirty_bytes += e.len;
                true
            }
            BlockState::Writeback => {
                e.state = BlockState::WritebackDirty;
                false
            }
            BlockState::Dirty | BlockState::WritebackDirty => false,
        };
        if add {
            if self.dirty.is_empty() && self.dirty_since.is_none() {
                self.dirty_since = Some(Instant::now());
            }
            self.dirty.insert(key);
        }
    }

    /// Evicts clean, unused blocks, oldest first, until `need` more bytes
    /// fit under `capacity` (with some slack, so that the scan is not
    /// repeated for every block). Returns true when they fit.
    fn evict_for(&mut self, need: u64, capacity: u64) -> bool {
        if self.used + need <= capacity {
            return true;
        }
        let target = capacity.saturating_sub(need + capacity / 32);
        let mut victims = Vec::new();
        let mut freed = 0u64;
        for (_, key) in self.lru.iter() {
            if self.used - freed <= target {
                break;
            }
            let e = &self.map[key];
            // A clone of the Arc elsewhere means a reader or writer holds
            // the block: it stays.
            if e.state == BlockState::Clean && Arc::strong_count(&e.block) == 1 {
                victims.push(*key);
                freed += e.len;
            }
        }
        for k in victims {
            if let Some(e) = self.remove(&k) {
                self.recycle(e, capacity / 16);
            }
            self.stats.evictions += 1;
        }
        self.used + need <= capacity
    }
}

/// What to do with a block's bytes.
enum BlockAccess<'a> {
    /// Copy bytes from `from` in the block into `into`.
    Read { into: &'a mut [u8], from: usize },
    /// Copy `data` into the block at `at`, and mark it dirty.
    Write { data: &'a [u8], at: usize },
}

impl BlockAccess<'_> {
    fn dirty(&self) -> bool {
        matches!(self, BlockAccess::Write { .. })
    }

    fn apply_read(self, b: &[u8]) {
        if let BlockAccess::Read { into, from } = self {
            into.copy_from_slice(&b[from..from + into.len()]);
        }
    }

    fn apply(self, b: &mut [u8]) {
        match self {
            BlockAccess::Write { data, at } => b[at..at + data.len()].copy_from_slice(data),
            r @ BlockAccess::Read { .. } => r.apply_read(b),
        }
    }
}

/// What the cache handle and its background flusher share: the groups,
/// the configuration and the locked contents.
#[derive(Debug)]
pub(crate) struct CacheShared {
    pub(crate) groups: Vec<Arc<MirrorGroup>>,
    pub(crate) config: CacheConfig,
    pub(crate) state: Mutex<CacheContents>,
    /// Signalled when a flush ends, when dirty data passes the background
    /// threshold, and at shutdown.
    pub(crate) cv: Condvar,
    /// What checks each block read from a member before it enters the
    /// cache (weak: the checker sits above the cache and holds it).
    pub(crate) checker: RwLock<Option<std::sync::Weak<dyn BlockCheck>>>,
    /// Where block buffers of whole pages come from.
    pool: BufPool,
}

impl CacheShared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, CacheContents> {
        self.state.lock().recover()
    }

    fn group(&self, group: usize) -> Result<&Arc<MirrorGroup>> {
        self.groups.get(group).ok_or_else(|| {
            Error::Invalid(format!(
                "mirror group {group} does not exist ({} groups)",
                self.groups.len()
            ))
        })
    }

    /// Reads `buf` at `offset` of `group` from its members, each block
    /// checked by the checker (if any) and taken from a good copy.
    fn fill(&self, group: usize, block_size: u32, offset: u64, buf: &mut [u8]) -> Result<()> {
        let g = &self.groups[group];
        let checker = self
            .checker
            .read()
            .recover()
            .as_ref()
            .and_then(|w| w.upgrade());
        match checker {
            Some(c) => g.read_checked(buf, offset, &|at: u64, data: &[u8]| {
                c.bad_ranges(group, block_size, at, data)
            }),
            None => g.read_logical(buf, offset),
        }
    }

    fn check(&self, group: usize, block_size: u32, offset: u64, len: u64) -> Result<u64> {
        let g = self.group(group)?;
        let bs = u64::from(block_size);
        if !(512..=MAX_BLOCK).contains(&bs) || !bs.is_power_of_two() {
            return Err(Error::Invalid(format!(
                "cache block size {block_size} is not a power of two from 512 to 64 KiB"
            )));
        }
        if offset.checked_add(len).is_none_or(|e| e > g.logical_bytes) {
            return Err(Error::OutOfRange {
                device: g.name(),
                offset,
                len,
                size: g.logical_bytes,
            });
        }
        Ok(bs)
    }

    /// Length of the block at `start`: a whole block, or less at the end of
    /// the logical partition.
    fn block_len(&self, group: usize, start: u64, bs: u64) -> u64 {
        bs.min(self.groups[group].logical_bytes - start)
    }

    /// A block of `len` bytes whose contents the caller fills whole (a
    /// recycled buffer holds another block's old bytes).
    fn new_block(&self, len: u64) -> Result<Arc<Block>> {
        let spare = self.lock().take_spare(len);
        let buf = match spare {
            Some(b) => Ok(b),
            None if BufPool::serves(len as usize) => self.pool.take(len as usize),
            None => AlignedBuf::new(len as usize, BUF_ALIGN),
        }
        .map_err(|e| Error::Internal(format!("cannot allocate a {len} byte cache buffer: {e}")))?;
        Ok(Arc::new(Block {
            data: RwLock::new(buf),
            valid: AtomicBool::new(false),
        }))
    }

    /// Entries other than `key` itself whose bytes overlap the block
    /// `key`+`len` (blocks of different sizes over the same bytes, where
    /// volumes of different block sizes meet off their grid).
    fn overlapping(st: &CacheContents, key: Key, len: u64) -> Vec<Key> {
        let lo = (key.0, key.1.saturating_sub(MAX_BLOCK - 1));
        let hi = (key.0, key.1 + len);
        st.map
            .range(lo..hi)
            .filter(|(k, e)| (**k != key || e.len != len) && k.1 + e.len > key.1)
            .map(|(k, _)| *k)
            .collect()
    }

    /// Waits until `len` more bytes fit: evicts clean blocks, and when too
    /// much is dirty, waits for the flush running or flushes itself. A
    /// writer is held here, it never grows the cache past its capacity
    /// (save for blocks other threads are holding at that moment).
    fn make_room(&self, len: u64, dirtying: bool) -> Result<()> {
        let mut throttled = false;
        loop {
            let mut st = self.lock();
            let over_dirty =
                dirtying && st.dirty_bytes + len > self.config.dirty_limit && st.dirty_bytes > 0;
            if !over_dirty && st.evict_for(len, self.config.capacity) {
                return Ok(());
            }
            if !throttled {
                throttled = true;
                st.stats.throttled += 1;
            }
            if st.flushing {
                let (g, _) = self
                    .cv
                    .wait_timeout(st, Duration::from_millis(50))
                    .recover();
                drop(g);
                continue;
            }
            if st.dirty.is_empty() {
                // Nothing to write back: what fills the cache is held by
                // other threads right now. Going a little over is better
                // than waiting on them.
                return Ok(());
            }
            drop(st);
            self.flush(true)?;
        }
    }

    /// Removes entries overlapping `key` (see [`CacheShared::overlapping`]),
    /// writing them back first when dirty. Rare: only where volumes of
    /// different block sizes meet off their grid.
    fn clear_overlaps(&self, key: Key, len: u64) -> Result<()> {
        for _ in 0..100 {
            let mut st = self.lock();
            let over = Self::overlapping(&st, key, len);
            if over.is_empty() {
                return Ok(());
            }
            let removable = over.iter().all(|k| {
                let e = &st.map[k];
                e.state == BlockState::Clean && Arc::strong_count(&e.block) == 1
            });
            if removable {
                for k in over {
                    st.remove(&k);
                }
                return Ok(());
            }
            drop(st);
            self.flush(true)?;
            std::thread::sleep(Duration::from_millis(1));
        }
        Err(Error::Internal(format!(
            "cache: blocks of different sizes overlap at logical byte {} of group {} and stay busy",
            key.1, key.0
        )))
    }

    /// Applies `op` to the block at `key`, loading it from a member on a
    /// miss unless `load` is false (a block about to be overwritten whole
    /// is not read). Reads share the buffer with a flush writing it;
    /// writes wait for that flush.
    fn with_block(
        &self,
        key: Key,
        bs: u32,
        len: u64,
        load: bool,
        op: BlockAccess<'_>,
    ) -> Result<()> {
        let dirty = op.dirty();
        let mut op = Some(op);
        for _ in 0..8 {
            let mut st = self.lock();
            if let Some(e) = st.map.get(&key)
                && e.len == len
            {
                let block = e.block.clone();
                st.stats.hits += 1;
                st.touch(key);
                drop(st);
                if dirty {
                    let mut g = block.data.write().recover();
                    if !block.valid.load(Ordering::SeqCst) {
                        continue; // its load failed; try again
                    }
                    op.take()
                        .expect("applied once")
                        .apply(&mut g[..len as usize]);
                    // Dirty only after the bytes changed: a flush that
                    // cleared the dirty state before sees them next time.
                    self.mark_dirty(key);
                } else {
                    let g = block.data.read().recover();
                    if !block.valid.load(Ordering::SeqCst) {
                        continue;
                    }
                    op.take()
                        .expect("applied once")
                        .apply_read(&g[..len as usize]);
                }
                return Ok(());
            }
            drop(st);
            self.clear_overlaps(key, len)?;
            self.make_room(len, dirty)?;
            let block = self.new_block(len)?;
            let mut st = self.lock();
            if st.map.contains_key(&key) || !Self::overlapping(&st, key, len).is_empty() {
                continue; // someone else made it meanwhile
            }
            let mut g = block
                .data
                .try_write()
                .map_err(|_| Error::Internal("cache: a new block is locked".into()))?;
            st.stats.misses += 1;
            if dirty {
                st.write_epoch += 1;
            }
            st.insert(key, block.clone(), len, BlockState::Loading);
            drop(st);
            if load && let Err(e) = self.fill(key.0 as usize, bs, key.1, &mut g[..len as usize]) {
                self.lock().remove(&key);
                return Err(e);
            }
            block.valid.store(true, Ordering::SeqCst);
            op.take()
                .expect("applied once")
                .apply(&mut g[..len as usize]);
            if dirty {
                self.mark_dirty(key);
            } else if let Some(e) = self.lock().map.get_mut(&key) {
                e.state = BlockState::Clean;
            }
            drop(g);
            return Ok(());
        }
        Err(Error::Internal(format!(
            "cache: block at logical byte {} of group {} kept failing to load",
            key.1, key.0
        )))
    }

    /// Marks a block dirty and wakes the background flusher when dirty
    /// data passed its threshold.
    fn mark_dirty(&self, key: Key) {
        let mut st = self.lock();
        st.mark_dirty(key);
        let wake = st.dirty_bytes > self.config.dirty_background && !st.flushing;
        drop(st);
        if wake {
            self.cv.notify_all();
        }
    }

    /// Reads a stretch of whole blocks none of which is cached straight
    /// into `buf`, around the cache; caches copies of them when the stretch
    /// is small (metadata), not when it is a stream that would flush
    /// everything else out.
    fn read_around(
        &self,
        group: usize,
        bs: u64,
        offset: u64,
        buf: &mut [u8],
        keep: bool,
    ) -> Result<()> {
        let epoch = {
            let mut st = self.lock();
            st.stats.misses += buf.len() as u64 / bs;
            st.write_epoch
        };
        self.fill(group, bs as u32, offset, buf)?;
        if !keep || buf.len() as u64 > self.config.capacity / 16 {
            return Ok(());
        }
        // The blocks are made outside the lock and entered under it once,
        // not locked for twice per block: a directory table is hundreds.
        let mut made: Vec<(Key, u64, Arc<Block>)> = Vec::new();
        let mut at = 0u64;
        while at < buf.len() as u64 {
            let key = (group as u32, offset + at);
            let len = self.block_len(group, key.1, bs);
            let chunk = &buf[at as usize..(at + len) as usize];
            at += len;
            let block = self.new_block(len)?;
            block.data.write().recover().copy_from_slice(chunk);
            block.valid.store(true, Ordering::SeqCst);
            made.push((key, len, block));
        }
        let mut st = self.lock();
        if st.write_epoch != epoch {
            return Ok(());
        }
        for (key, len, block) in made {
            if st.map.contains_key(&key) || !Self::overlapping(&st, key, len).is_empty() {
                continue;
            }
            if !st.evict_for(len, self.config.capacity) {
                break;
            }
            st.insert(key, block, len, BlockState::Clean);
        }
        Ok(())
    }

    /// Reads `buf` at `offset`; `keep`: keep copies of blocks read from
    /// the members (not for file data streaming past).
    pub(crate) fn read(
        &self,
        group: usize,
        block_size: u32,
        offset: u64,
        buf: &mut [u8],
        keep: bool,
    ) -> Result<()> {
        let bs = self.check(group, block_size, offset, buf.len() as u64)?;
        let end = offset + buf.len() as u64;
        let mut pos = offset;
        while pos < end {
            let start = pos / bs * bs;
            let len = self.block_len(group, start, bs);
            // A stretch of whole, uncached blocks: one read for all.
            if pos == start && start + len <= end {
                let mut stop = start;
                {
                    let st = self.lock();
                    while stop < end {
                        let l = self.block_len(group, stop, bs);
                        if stop + l > end
                            || st.map.contains_key(&(group as u32, stop))
                            || !Self::overlapping(&st, (group as u32, stop), l).is_empty()
                        {
                            break;
                        }
                        stop += l;
                    }
                }
                if stop - start > len || (!keep && stop > start) {
                    let b = (start - offset) as usize..(stop - offset) as usize;
                    self.read_around(group, bs, start, &mut buf[b], keep)?;
                    pos = stop;
                    continue;
                }
            }
            let stop = (start + len).min(end);
            let into = &mut buf[(pos - offset) as usize..(stop - offset) as usize];
            let from = (pos - start) as usize;
            self.with_block(
                (group as u32, start),
                bs as u32,
                len,
                true,
                BlockAccess::Read { into, from },
            )?;
            pos = stop;
        }
        Ok(())
    }

    pub(crate) fn write(
        &self,
        group: usize,
        block_size: u32,
        offset: u64,
        data: &[u8],
    ) -> Result<()> {
        let bs = self.check(group, block_size, offset, data.len() as u64)?;
        let g = &self.groups[group];
        if !g.writable() {
            return Err(Error::PlainNetWare { device: g.name() });
        }
        if g.in_sync_members().is_empty() {
            return Err(Error::NoInSyncMember { group: g.name() });
        }
        let end = offset + data.len() as u64;
        let mut pos = offset;
        while pos < end {
            let start = pos / bs * bs;
            let len = self.block_len(group, start, bs);
            let stop = (start + len).min(end);
            let from = &data[(pos - offset) as usize..(stop - offset) as usize];
            let at = (pos - start) as usize;
            let whole = pos == start && stop == start + len;
            self.with_block(
                (group as u32, start),
                bs as u32,
                len,
                !whole,
                BlockAccess::Write { data: from, at },
            )?;
            pos = stop;
        }
        Ok(())
    }
}

/// The shared page cache of logical blocks over every mirror group.
///
/// Each logical block is held once, however many members it is mirrored
/// to; blocks are the volume's block size (several sizes live in one
/// cache). Writes dirty the cached blocks and return; dirty blocks go out
/// in sorted, coalesced runs (one vectored write per run and member, every
/// in-sync member at once) on flush, barrier, sync, when room is needed,
/// and from a background thread past the dirty threshold.
#[derive(Debug)]
pub struct Cache {
    pub(crate) inner: Arc<CacheShared>,
    flusher: Option<JoinHandle<()>>,
}

impl Cache {
    /// A cache over `groups` (indexed as in [`BlockIo`]) with its
    /// background flusher thread.
    pub fn new(groups: Vec<Arc<MirrorGroup>>, config: CacheConfig) -> Cache {
        let inner = Arc::new(CacheShared {
            groups,
            config,
            state: Mutex::new(CacheContents::default()),
            cv: Condvar::new(),
            checker: RwLock::new(None),
            pool: BufPool::new(),
        });
        let bg = inner.clone();
        let flusher = std::thread::Builder::new()
            .name("nwvol-flusher".into())
            .spawn(move || bg.background())
            .ok();
        Cache { inner, flusher }
    }

    /// The configuration it was made with.
    pub fn config(&self) -> &CacheConfig {
        &self.inner.config
    }

    /// Its counters.
    pub fn stats(&self) -> CacheStats {
        let st = self.inner.lock();
        let mut s = st.stats;
        s.capacity = self.inner.config.capacity;
        s.used = st.used;
        s.dirty = st.dirty_bytes;
        s.blocks = st.map.len() as u64;
        s
    }

    /// Writes every dirty block back (coalesced, to every in-sync member)
    /// without waiting for durability. On error the blocks that could not
    /// be written stay dirty in the cache.
    pub fn flush(&self) -> Result<()> {
        self.inner.flush(true)
    }

    /// Sets what checks each block read from a member before it enters
    /// the cache (None: nothing is checked).
    pub fn set_checker(&self, checker: Option<std::sync::Weak<dyn BlockCheck>>) {
        *self.inner.checker.write().recover() = checker;
    }

    /// Drops every clean block (dirty ones stay): later reads go to the
    /// members again.
    pub fn drop_clean(&self) {
        let mut st = self.inner.lock();
        let keys: Vec<Key> = st
            .map
            .iter()
            .filter(|(_, e)| e.state == BlockState::Clean && Arc::strong_count(&e.block) == 1)
            .map(|(k, _)| *k)
            .collect();
        for k in keys {
            st.remove(&k);
        }
    }
}

impl BlockIo for Cache {
    fn groups(&self) -> &[Arc<MirrorGroup>] {
        &self.inner.groups
    }

    fn read(&self, group: usize, block_size: u32, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.inner.read(group, block_size, offset, buf, true)
    }

    fn read_stream(
        &self,
        group: usize,
        block_size: u32,
        offset: u64,
        buf: &mut [u8],
    ) -> Result<()> {
        self.inner.read(group, block_size, offset, buf, false)
    }

    fn write(&self, group: usize, block_size: u32, offset: u64, data: &[u8]) -> Result<()> {
        self.inner.write(group, block_size, offset, data)
    }

    fn barrier(&self) -> Result<()> {
        self.inner.sync_all(false)
    }

    fn sync(&self) -> Result<()> {
        self.inner.sync_all(true)
    }
}

impl Drop for Cache {
    fn drop(&mut self) {
        {
            let mut st = self.inner.lock();
            st.shutdown = true;
        }
        self.inner.cv.notify_all();
        if let Some(h) = self.flusher.take() {
            let _ = h.join();
        }
        // Best effort: dirty data goes to the members. Durability (and
        // hearing about errors) is for the caller's sync before the drop.
        let _ = self.inner.flush(true);
    }
}
