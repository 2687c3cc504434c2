//! The structure check, as NetWare's VREPAIR and fsck do it: header and
//! volume table copies (`headers.rs`), then per volume the FAT against its
//! copy, the directory table against its copy, every chain and the
//! directory tree (`volume.rs`, with `fat.rs` and `tree.rs`).
//!
//! Findings are made first and repairs planned with them; the planned
//! writes of one structure go out together, and only then are its findings
//! handed to the sink, with what became of the repair.

use crate::assembly::Assembly;
use crate::error::Result;

use super::report::Report;
use super::{CheckOptions, Sink};

/// Checks (and with `opts.repair` repairs) every structure of the system:
/// the hot-fix/mirror header copies and hot-fix tables of every member,
/// the volume table copies of every group, and each volume's FAT,
/// directory table and tree. One finding per problem goes to `sink`. Only
/// a device that cannot be read (or written, while repairing) is an error.
pub fn check_structures(sys: &Assembly, opts: &CheckOptions, sink: Sink<'_>) -> Result<()> {
    // The check compares blocks with their checksums itself, per member,
    // and reports them: its own reads take the bytes as they are.
    sys.cache.set_checker(None);
    let mut rep = Report::new(opts, sink);
    // The mirror repair writes members directly, past the cache: a block
    // cached before it (the directory read at assembly) may be the bad
    // copy it rewrote, which would show here as a difference between the
    // tables' copies that is not on any member any more.
    sys.cache.drop_clean();
    super::headers::check_headers(sys, &mut rep)?;
    super::headers::check_volume_tables(sys, &mut rep)?;
    for vol in &sys.volumes {
        super::volume::check_volume(sys, vol, &mut rep)?;
    }
    if rep.wrote {
        sys.io.sync()?;
    }
    Ok(())
}
