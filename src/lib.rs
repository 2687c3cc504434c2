//! nwvol: NetWare 386 style volumes on block devices and image files.
//!
//! The crate is layered, one way down (see docs/DESIGN.md):
//! `device` -> `layout` -> `partition` -> `mirror` -> `volume` -> `check`,
//! with `format`, `system` and `membership` tying the layers together into
//! operations, configured by a [`Settings`] value. The library never
//! prints: the command line (the `nwvol` binary) parses, calls one
//! operation and prints.

pub mod cache;
pub mod check;
pub mod device;
pub mod error;
pub mod format;
pub mod layout;
pub mod membership;
pub mod mirror;
pub mod partition;
pub mod settings;
pub mod system;
pub mod units;
pub mod volume;

pub use error::{Error, Result};
pub use settings::Settings;
