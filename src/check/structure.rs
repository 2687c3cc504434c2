//! The structure check, as NetWare's VREPAIR and fsck do it: header and
//! volume table copies (`headers.rs`), then per volume the FAT against its
//! copy, the directory table against its copy, every chain and the
//! directory tree (`volume.rs`, with `fat.rs` and `tree.rs`).
//!
//! Findings are made first and repairs planned with them; the planned
//! writes of one structure go out together, and only then are its findings
//! handed to the sink, with what became of the repair.

use crate::error::Result;
use crate::system::System;

use super::{Action, CheckOptions, Finding, Sink};

/// What repair does about a finding.
#[derive(Debug, Clone)]
pub(super) enum Fix {
    /// Repair does this.
    Repair(String),
    /// The good copy cannot be told: why.
    Cannot(String),
}

/// A finding with the repair planned for it.
#[derive(Debug, Clone)]
pub(super) struct Pending {
    /// The finding (its action is set when it is handed on).
    pub finding: Finding,
    /// The planned repair.
    pub fix: Fix,
}

impl Pending {
    /// A pending finding.
    pub fn new(finding: Finding, fix: Fix) -> Pending {
        Pending { finding, fix }
    }
}

/// Hands findings to the sink with their final action.
pub(super) struct Report<'s, 'a> {
    /// The options of the run.
    pub opts: &'s CheckOptions,
    sink: Sink<'a>,
    /// Something was written through the cache (sync at the end).
    pub wrote: bool,
}

impl Report<'_, '_> {
    /// True when repairs are planned (`--repair` or `--dry-run`).
    pub fn planning(&self) -> bool {
        self.opts.repair || self.opts.dry_run
    }

    /// Hands on `pending`: `blocked` is why the structure may not be
    /// written (plain NetWare, incomplete volume), `applied` what came of
    /// the writes (None when none were made).
    pub fn emit(
        &mut self,
        pending: Vec<Pending>,
        blocked: Option<&str>,
        applied: Option<&std::result::Result<(), String>>,
    ) {
        for p in pending {
            let mut f = p.finding;
            f.action = match p.fix {
                _ if !self.planning() => Action::None,
                Fix::Cannot(why) => Action::Unrepairable(why),
                Fix::Repair(_) if blocked.is_some() => {
                    Action::Unrepairable(blocked.unwrap_or_default().to_string())
                }
                Fix::Repair(what) if self.opts.dry_run => Action::WouldRepair(what),
                Fix::Repair(what) => match applied {
                    Some(Err(e)) => Action::RepairFailed(e.clone()),
                    _ => Action::Repaired(what),
                },
            };
            (self.sink)(f);
        }
    }
}

/// Checks (and with `opts.repair` repairs) every structure of the system:
/// the hot-fix/mirror header copies and hot-fix tables of every member,
/// the volume table copies of every group, and each volume's FAT,
/// directory table and tree. One finding per problem goes to `sink`. Only
/// a device that cannot be read (or written, while repairing) is an error.
pub fn check_structures(sys: &System, opts: &CheckOptions, sink: Sink<'_>) -> Result<()> {
    let mut rep = Report {
        opts,
        sink,
        wrote: false,
    };
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
