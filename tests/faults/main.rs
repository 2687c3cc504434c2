//! Fault campaigns: processes killed at a write, failing devices, random
//! corruption, a member out of space, crash states. The long campaigns
//! are `#[ignore]`d: tests/fault_campaign.sh runs them.
//!
//! One test binary (`cargo test --test faults`); each module was a test
//! binary of its own before. Helpers: tests/support/.

#[path = "../support/mod.rs"]
mod support;

mod campaign;
mod corrupt;
mod crash_states;
mod enospc;
mod large_put;
mod member_damage;
