//! nwvol: NetWare 386 style volumes on block devices and image files.
//!
//! The crate is layered, one way down (see docs/DESIGN.md):
//! `device` -> `layout` -> `partition` -> `mirror` -> `cache` -> `volume`
//! -> `assembly` -> `check` -> `format` -> `cli`; `error`, `units` and
//! `lock` are shared by all.
//! Only `cli` prints.

pub mod assembly;
pub mod cache;
pub mod check;
pub mod cli;
pub mod device;
pub mod error;
pub mod format;
pub mod layout;
pub mod lock;
pub mod mirror;
pub mod partition;
pub mod units;
pub mod volume;

pub use error::{Error, Result};
