//! How big the cache is and when it writes back.

use std::time::Duration;

/// Default capacity: enough for a good write-behind window on a disk that
/// writes a few hundred MB/s, small enough for any machine nwvol runs on.
pub const DEFAULT_CACHE_BYTES: u64 = 128 << 20;

/// Smallest capacity accepted: a few of the largest (64 KiB) blocks, so
/// that a flush batch is never a single block.
pub const MIN_CACHE_BYTES: u64 = 1 << 20;

/// Size and write-back thresholds of a [`super::Cache`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheConfig {
    /// Bytes of block buffers the cache may hold (clean and dirty).
    pub capacity: u64,
    /// Dirty bytes past which the background flusher starts writing back.
    pub dirty_background: u64,
    /// Dirty bytes past which a writer waits (or flushes itself) instead
    /// of dirtying more: the back-pressure limit.
    pub dirty_limit: u64,
    /// Dirty data older than this is written back even below the
    /// background threshold.
    pub flush_interval: Duration,
}

impl CacheConfig {
    /// A cache of `capacity` bytes (at least [`MIN_CACHE_BYTES`]) writing
    /// back in the background past 25% dirty and holding writers at 50%.
    pub fn with_capacity(capacity: u64) -> CacheConfig {
        let capacity = capacity.max(MIN_CACHE_BYTES);
        CacheConfig {
            capacity,
            dirty_background: capacity / 4,
            dirty_limit: capacity / 2,
            flush_interval: Duration::from_secs(5),
        }
    }
}

impl Default for CacheConfig {
    /// A cache of [`DEFAULT_CACHE_BYTES`].
    fn default() -> CacheConfig {
        CacheConfig::with_capacity(DEFAULT_CACHE_BYTES)
    }
}
