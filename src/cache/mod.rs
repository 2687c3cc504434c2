//! Layer 5: the shared page cache of logical blocks over all mirror groups.
//!
//! - [`io`]: the [`BlockIo`] interface the volume layer does its I/O
//!   through, and [`Uncached`], which goes straight to the groups.
//! - [`store`]: the [`Cache`]: index, LRU, dirty tracking, read and write.
//! - [`flush`]: coalesced write-back, barriers, the background flusher.
//! - [`config`]: [`CacheConfig`], its size and thresholds.

pub mod config;
pub mod flush;
pub mod io;
pub mod store;

pub use config::{CacheConfig, DEFAULT_CACHE_BYTES};
pub use io::{BlockCheck, BlockIo, Uncached};
pub use store::{Cache, CacheStats};
