//! Mirror groups: mirror add and the remirror engine, resume, re-add, degraded
//! writes, faults during a remirror, `mirror add` killed at every write.
//!
//! One test binary (`cargo test --test mirror`); each module was a test
//! binary of its own before. Helpers: tests/support/.

#[path = "../support/mod.rs"]
mod support;

mod add_killed;
mod degraded;
mod dry_runs;
mod faults;
mod readd;
mod remirror;
mod trust;
