//! Layer 7: verify and repair. Mirror members against each other and
//! against the per-block checksums (`mirror/`), and the volume
//! structures as VREPAIR and fsck check them (`structure.rs`); the whole
//! verify sequence, truncated images first, in `run.rs`.
//!
//! A check produces [`Finding`]s: what was wrong, where, and what repair
//! did about it. The CLI prints them and turns the [`Summary`] into fsck's
//! exit codes.

use serde::Serialize;

/// How a check runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckOptions {
    /// Repair what can be repaired from a good copy.
    pub repair: bool,
    /// Say what repair would do, write nothing (implies `repair` planning).
    pub dry_run: bool,
}

impl CheckOptions {
    /// True when the check may write to the devices.
    pub fn writes(&self) -> bool {
        self.repair && !self.dry_run
    }
}

/// What became of a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", content = "detail", rename_all = "kebab-case")]
pub enum Action {
    /// Reported only (no `--repair`).
    None,
    /// `--dry-run`: what repair would do.
    WouldRepair(String),
    /// Repaired: what was done.
    Repaired(String),
    /// Cannot be repaired safely: why (the data is left as it is).
    Unrepairable(String),
    /// Repair was tried and failed: the error.
    RepairFailed(String),
}

impl Action {
    /// True when the problem is gone.
    pub fn corrected(&self) -> bool {
        matches!(self, Action::Repaired(_))
    }
}

/// One problem found.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// A short stable code for scripts, e.g. `mirror-diverges`,
    /// `checksum-mismatch`, `fat-copy-differs`, `chain-loop`.
    pub code: &'static str,
    /// The member device concerned, when the problem is on one member.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// The mirror group (its first member's device).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The volume concerned.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub volume: Option<String>,
    /// The structure: `data`, `FAT`, `FAT copy`, `directory table`,
    /// `checksums`, `volume table copy 2`, `hot-fix header copy 1`, ...
    pub structure: String,
    /// The file or directory the blocks belong to, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Volume blocks `[first, first + count)`, when the finding is about
    /// volume blocks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blocks: Option<BlockRange>,
    /// Logical bytes `[offset, offset + len)` of the group's logical
    /// partition, when the finding is about a byte range of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logical: Option<ByteRange>,
    /// What is wrong, one line.
    pub problem: String,
    /// What repair did or would do.
    #[serde(flatten)]
    pub action: Action,
}

impl Finding {
    /// A finding with only code, structure and problem set.
    pub fn new(
        code: &'static str,
        structure: impl Into<String>,
        problem: impl Into<String>,
    ) -> Finding {
        Finding {
            code,
            member: None,
            group: None,
            volume: None,
            structure: structure.into(),
            path: None,
            blocks: None,
            logical: None,
            problem: problem.into(),
            action: Action::None,
        }
    }
}

/// A range of volume blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BlockRange {
    /// First block.
    pub first: u32,
    /// Number of blocks.
    pub count: u32,
}

/// A range of logical bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ByteRange {
    /// First byte.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
}

/// Totals of a whole verify run.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    /// Findings in all.
    pub findings: usize,
    /// Findings repaired.
    pub corrected: usize,
    /// Findings left as they are.
    pub uncorrected: usize,
    /// Logical bytes compared across members.
    pub bytes_compared: u64,
    /// Logical bytes not read: free blocks and space outside volumes
    /// (all is read when asked for).
    pub bytes_not_read: u64,
    /// Blocks whose checksum was checked.
    pub blocks_checksummed: u64,
}

impl Summary {
    /// Counts a finding.
    pub fn add(&mut self, f: &Finding) {
        self.findings += 1;
        if f.action.corrected() {
            self.corrected += 1;
        } else {
            self.uncorrected += 1;
        }
    }
}

/// Where findings go as they are made (the CLI prints them at once).
pub type Sink<'a> = &'a mut dyn FnMut(Finding);

mod fat;
mod headers;
pub mod judge;
pub mod mirror;
pub mod owners;
mod report;
pub mod run;
pub mod structure;
mod tree;
pub mod truncated;
mod volume;

pub use structure::check_structures;
