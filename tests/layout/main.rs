//! The on-disk layout: pure geometry sweeps, empty volumes built from the
//! encoders, decoders given garbage, and the fuzz regressions.
//!
//! One test binary (`cargo test --test layout`); each module was a test
//! binary of its own before. Helpers: tests/support/.

#[path = "../support/mod.rs"]
mod support;

mod empty_volume;
mod fuzz;
mod fuzz_regressions;
mod geometry;
