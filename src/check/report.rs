//! What the structure checks share: a finding with the repair planned for
//! it ([`Pending`], [`Fix`]) and the [`Report`] that hands findings to the
//! sink with what became of the repair. Its own module, so that the checks
//! (`headers.rs`, `volume.rs`) and their driver (`structure.rs`) all import
//! it from below instead of from each other.

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

impl<'s, 'a> Report<'s, 'a> {
    /// A report of a run with `opts`, handing findings to `sink`.
    pub fn new(opts: &'s CheckOptions, sink: Sink<'a>) -> Report<'s, 'a> {
        Report {
            opts,
            sink,
            wrote: false,
        }
    }

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
