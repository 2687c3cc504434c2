//! Layer 5: the shared page cache of logical blocks over all mirror groups.

pub mod io;

pub use io::{BlockIo, Uncached};
