//! The command-line interface as a user meets it: the real binary's commands,
//! options, JSON and exit codes, format and inspect, progress bars, manual
//! pages, two processes on the same devices, loop block devices.
//!
//! One test binary (`cargo test --test cli`); each module was a test
//! binary of its own before. Helpers: tests/support/.

#[path = "../support/mod.rs"]
mod support;

mod concurrency;
mod docs_fresh;
mod format_inspect;
mod interface;
mod json_shapes;
mod loop_device;
mod mbr_chs;
mod plain_netware;
mod progress_tty;
mod readme;
mod scripting;
mod sizes;
