//! `nwvol mount`: a volume served through FUSE, used by ordinary programs
//! and tortured by test suites written elsewhere (fsx, pjdfstest). Needs
//! /dev/fuse and fusermount3 (fuse3), fsx and pjdfstest (`.ci/run`
//! installs them), rsync, tar and git.
//!
//! One test binary (`cargo test --test mount`). The long campaigns (fsx of
//! a million operations, repeated SIGKILLs) are ignored by default:
//! `cargo test --release --test mount -- --ignored`.

#[path = "../support/mod.rs"]
mod support;

mod basic;
mod crash;
mod failing;
mod fsx;
mod pjdfstest;
mod posix;
mod programs;
