//! nwvol: NetWare 386 style volumes on block devices and image files.
//!
//! The crate is layered, one way down (see docs/DESIGN.md):
//! `device` -> `layout` -> `partition` -> `mirror` -> `cache` -> `volume`
//! -> `assembly` -> `check` -> `format`, `membership`; `error`, `units`,
//! `lock` and `settings` are shared by all. Operations are configured by
//! a [`Settings`] value. The library never prints: the command line (the
//! `nwvol` binary) parses, calls one operation and prints.

pub mod assembly;
pub mod cache;
pub mod check;
pub mod device;
pub mod error;
pub mod format;
pub mod layout;
pub mod lock;
pub mod membership;
pub mod mirror;
pub mod mount;
pub mod partition;
pub mod settings;
pub mod units;
pub mod volume;

pub use error::{ChainProblem, CorruptKind, Error, Result};
pub use settings::Settings;
