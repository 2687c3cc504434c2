//! Files and volumes through the real binary and the library: put, get, ls,
//! rm and salvage, big directories, the 4 GiB limit, volumes that span
//! groups, block checksums.
//!
//! One test binary (`cargo test --test files`); each module was a test
//! binary of its own before. Helpers: tests/support/.

#[path = "../support/mod.rs"]
mod support;

mod basic;
mod checksum_api;
mod checksum_upkeep;
mod commit;
mod delete;
mod edit;
mod index;
mod limits;
mod names_paths;
mod transfer;
mod volumes;
