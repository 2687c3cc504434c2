//! The settings of one run, chosen by the program (the CLI from its
//! options) and passed down to device opening and assembly: nothing is
//! configured through process-wide state.

use std::time::Duration;

use crate::cache::{CacheConfig, DEFAULT_CACHE_BYTES};

/// How devices are opened and the system assembled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Bytes of the block cache shared by every mirror group.
    pub cache_bytes: u64,
    /// How long opening a device waits for another process's lock before
    /// it fails with "device busy" (zero: not at all).
    pub lock_wait: Duration,
    /// Longest wait for an NBD server (connect, handshake, each reply)
    /// before its member is taken as failed.
    pub nbd_timeout: Duration,
}

impl Default for Settings {
    /// The default cache, no lock wait, the default NBD timeout.
    fn default() -> Settings {
        Settings {
            cache_bytes: DEFAULT_CACHE_BYTES,
            lock_wait: Duration::ZERO,
            nbd_timeout: crate::device::nbd::DEFAULT_TIMEOUT,
        }
    }
}

impl Settings {
    /// The cache these settings ask for.
    pub fn cache_config(&self) -> CacheConfig {
        CacheConfig::with_capacity(self.cache_bytes)
    }
}
