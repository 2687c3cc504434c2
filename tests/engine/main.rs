//! The engine below the volume: devices, the shared cache, the parallel
//! mirrored writer, reads, write failures, members at different offsets,
//! bounded memory.
//!
//! One test binary (`cargo test --test engine`); each module was a test
//! binary of its own before. Helpers: tests/support/.

#[path = "../support/mod.rs"]
mod support;

mod cache;
mod cli;
mod device_loop;
mod failures;
mod offsets;
mod reads;
mod rss;
mod writer;
