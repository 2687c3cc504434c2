//! A pool of page-aligned buffers of a few fixed sizes (the cache's
//! blocks), carved from anonymous mappings that the kernel fills in one
//! call each.
//!
//! Allocating each block on its own costs an aligned `malloc` (which splits
//! and frees around every block), zeroing it, and a page fault for every
//! page touched: about a sixth of the time of a command that opens a
//! directory table of thousands of blocks. A pool maps many blocks at once
//! with `MAP_POPULATE` (already zero, no fault each), and takes dropped
//! buffers back for the next block of their size. It keeps what it mapped
//! until the last buffer and the pool itself are gone: at most the most
//! blocks held at once, which the cache bounds by its capacity.

use std::collections::HashMap;
use std::ptr::NonNull;
use std::sync::{Arc, Mutex};

use crate::lock::Recover;

use super::aligned::{AlignedBuf, Reclaim};

/// Alignment of every pool buffer (a page: what O_DIRECT needs).
const POOL_ALIGN: usize = 4096;

/// Bytes of a size's first mapping; each further one doubles, up to
/// [`MOST_MAP_BYTES`]: a command that needs few blocks maps little.
const FIRST_MAP_BYTES: usize = 256 << 10;
const MOST_MAP_BYTES: usize = 8 << 20;

/// Buffers of page-multiple sizes from shared mappings. Cloning gives
/// another handle to the same pool.
#[derive(Debug, Clone, Default)]
pub struct BufPool {
    shared: Arc<PoolShared>,
}

/// The pool's state, shared by its handles and by every buffer it lent.
#[derive(Debug, Default)]
struct PoolShared {
    state: Mutex<PoolState>,
}

#[derive(Debug, Default)]
struct PoolState {
    /// Pieces not lent, by size.
    free: HashMap<usize, Vec<Piece>>,
    /// Bytes mapped so far, by size (sets the next mapping's size).
    mapped: HashMap<usize, usize>,
    /// Every mapping, unmapped when the pool is dropped.
    maps: Vec<memmap2::MmapMut>,
}

/// A piece of a mapping.
#[derive(Debug)]
struct Piece(NonNull<u8>);

// SAFETY: a piece is an address into a mapping the pool owns; it is only
// dereferenced by the one buffer it is lent to.
unsafe impl Send for Piece {}

impl BufPool {
    /// An empty pool (maps nothing until asked).
    pub fn new() -> BufPool {
        BufPool::default()
    }

    /// Whether buffers of `len` bytes come from the pool: whole pages.
    pub fn serves(len: usize) -> bool {
        len > 0 && len.is_multiple_of(POOL_ALIGN)
    }

    /// A page-aligned buffer of `len` bytes (see [`BufPool::serves`]).
    /// Its bytes are zero when newly mapped, else what its last user left.
    pub fn take(&self, len: usize) -> std::io::Result<AlignedBuf> {
        if !Self::serves(len) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("a buffer pool serves whole pages, not {len} bytes"),
            ));
        }
        let mut st = self.shared.state.lock().recover();
        let piece = match st.free.get_mut(&len).and_then(Vec::pop) {
            Some(p) => p,
            None => st.map_more(len)?,
        };
        drop(st);
        // SAFETY: the piece is `len` bytes of a mapping the pool keeps
        // until every buffer is dropped, page-aligned (mappings start on a
        // page, pieces are whole pages), initialised (anonymous mappings
        // are zero), and lent to no one else.
        Ok(unsafe { AlignedBuf::from_pool(piece.0, len, POOL_ALIGN, self.shared.clone()) })
    }

    /// Bytes the pool has mapped, all sizes together.
    pub fn mapped_bytes(&self) -> usize {
        self.shared.state.lock().recover().mapped.values().sum()
    }
}

impl PoolState {
    /// Maps another run of pieces of `len` bytes; returns one, keeps the
    /// rest free.
    fn map_more(&mut self, len: usize) -> std::io::Result<Piece> {
        let before = self.mapped.get(&len).copied().unwrap_or(0);
        let bytes = before
            .clamp(FIRST_MAP_BYTES, MOST_MAP_BYTES)
            .max(len)
            .div_ceil(len)
            * len;
        let mut map = memmap2::MmapOptions::new()
            .len(bytes)
            .populate()
            .map_anon()?;
        let base = map.as_mut_ptr();
        let free = self.free.entry(len).or_default();
        for k in (1..bytes / len).rev() {
            // SAFETY: k * len < bytes, inside the mapping.
            free.push(Piece(
                NonNull::new(unsafe { base.add(k * len) }).expect("mapped"),
            ));
        }
        self.maps.push(map);
        *self.mapped.entry(len).or_default() += bytes;
        Ok(Piece(NonNull::new(base).expect("mapped")))
    }
}

impl Reclaim for PoolShared {
    fn give_back(&self, ptr: NonNull<u8>, len: usize) {
        self.state
            .lock()
            .recover()
            .free
            .entry(len)
            .or_default()
            .push(Piece(ptr));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::aligned::is_aligned_ptr;

    #[test]
    fn buffers_are_aligned_distinct_and_reused() {
        let pool = BufPool::new();
        let mut held = Vec::new();
        for i in 0..100u8 {
            let mut b = pool.take(4096).expect("take");
            assert_eq!(b.len(), 4096);
            assert!(is_aligned_ptr(b.as_ptr(), 4096));
            // Fresh from a mapping: zero.
            assert!(b.iter().all(|&x| x == 0));
            b.fill(i);
            held.push(b);
        }
        // Each kept its own bytes: no two share memory.
        for (i, b) in held.iter().enumerate() {
            assert!(b.iter().all(|&x| x == i as u8));
        }
        let mapped = pool.mapped_bytes();
        assert!(mapped >= 100 * 4096);
        held.clear();
        // Dropped buffers come back: no new mapping for as many again.
        let again: Vec<AlignedBuf> = (0..100).map(|_| pool.take(4096).expect("take")).collect();
        assert_eq!(pool.mapped_bytes(), mapped);
        drop(again);
    }

    #[test]
    fn sizes_are_kept_apart_and_outlive_the_pool_handle() {
        let pool = BufPool::new();
        let mut big = pool.take(64 << 10).expect("take");
        let small = pool.take(8192).expect("take");
        assert_eq!((big.len(), small.len()), (64 << 10, 8192));
        drop(pool);
        // The mapping stays while a buffer lives.
        big.fill(7);
        assert!(big.iter().all(|&x| x == 7));
        assert!(small.iter().all(|&x| x == 0));
    }

    #[test]
    fn only_whole_pages_are_served() {
        let pool = BufPool::new();
        assert!(pool.take(512).is_err());
        assert!(pool.take(0).is_err());
        assert!(pool.take(4096 + 512).is_err());
        assert!(BufPool::serves(65536));
    }

    #[test]
    fn buffers_cross_threads() {
        let pool = BufPool::new();
        let b = pool.take(4096).expect("take");
        let len = std::thread::spawn(move || b.len()).join().expect("thread");
        assert_eq!(len, 4096);
        assert!(pool.take(4096).is_ok());
    }
}
