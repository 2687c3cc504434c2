//! The verify sequence: truncated image files first (before assembly,
//! which refuses them), then the mirror check, the structure check and the
//! recheck of what the structure repair may have rewritten.

use std::path::PathBuf;

use super::mirror::{MirrorStats, check_mirrors_without, recheck, total_bytes};
use super::truncated::{restore_length, truncated_image};
use super::{Action, CheckOptions, Finding, Summary, check_structures};
use crate::assembly::Assembly;
use crate::error::Result;

/// The image files given that are cut short, found before assembly.
#[derive(Debug, Clone, Default)]
pub struct TruncatedImages {
    /// The devices to assemble: those given, without the truncated images
    /// that were not given their length back.
    pub paths: Vec<PathBuf>,
    /// Images given their length back, with the device offset their lost
    /// bytes start at: the mirror check rewrites them from a good member.
    lost: Vec<(String, u64)>,
    /// Partition IDs of the images left out: not reported missing.
    left_out: Vec<u32>,
    /// One `member-truncated` finding per image.
    findings: Vec<Finding>,
}

/// Finds the truncated image files among `paths`; when repairing (and not
/// a dry run), gives them their length back so they are assembled and
/// rewritten from a good member. The others are left out of the check.
pub fn find_truncated(paths: Vec<PathBuf>, opts: &CheckOptions) -> TruncatedImages {
    let mut t = TruncatedImages::default();
    for p in paths {
        let Some(cut) = truncated_image(&p) else {
            t.paths.push(p);
            continue;
        };
        let mut f = Finding::new("member-truncated", "device", {
            let (have, need) = crate::units::format_size_pair(cut.have, cut.need);
            format!("the image file is {have}, its partition needs {need}")
        });
        f.member = Some(p.display().to_string());
        let keep = if opts.dry_run {
            f.action = Action::WouldRepair(
                "restore its length and rewrite the lost bytes from a good member".into(),
            );
            false
        } else if opts.repair {
            match restore_length(&p, &cut) {
                Ok(()) => {
                    f.action = Action::Repaired(
                        "length restored; the lost bytes are rewritten from a good member below"
                            .into(),
                    );
                    t.lost.push((p.display().to_string(), cut.have));
                    true
                }
                Err(e) => {
                    f.action = Action::RepairFailed(e.to_string());
                    false
                }
            }
        } else {
            false
        };
        t.findings.push(f);
        if keep {
            t.paths.push(p);
        } else {
            t.left_out.extend(cut.partition_id);
        }
    }
    t
}

/// Which checks a verify runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checks {
    /// Members against each other and against their checksums.
    pub mirror: bool,
    /// The volume structures (headers, tables, FAT, directory tree).
    pub structure: bool,
    /// The mirror check reads free blocks and space outside volumes too,
    /// not only what is allocated.
    pub all: bool,
}

/// What a verify tells its caller as it goes. Called from the check's
/// worker threads, hence `Sync` and `&self`.
pub trait VerifyObserver: Sync {
    /// A finding, as soon as it is made.
    fn finding(&self, f: &Finding);
    /// The mirror check starts; it reads `total` logical bytes.
    fn mirror_started(&self, total: u64);
    /// The mirror check has read `done` bytes.
    fn mirror_progress(&self, done: u64);
    /// The mirror check is over.
    fn mirror_finished(&self);
}

/// What a verify found.
#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    /// Every finding, in the order made.
    pub findings: Vec<Finding>,
    /// Their totals, and what the mirror check read.
    pub summary: Summary,
}

/// Verifies `sys`, assembled from `truncated.paths`: the truncated images'
/// findings, then the mirror check, then the structure check (after it,
/// so the members agree on what is read), then the recheck of blocks only
/// the structure repair could rewrite.
pub fn verify(
    sys: &Assembly,
    truncated: &TruncatedImages,
    checks: Checks,
    opts: &CheckOptions,
    observer: &dyn VerifyObserver,
) -> Result<VerifyReport> {
    let mut report = VerifyReport::default();
    let mut sink = |f: Finding| {
        report.summary.add(&f);
        observer.finding(&f);
        report.findings.push(f);
    };
    for f in &truncated.findings {
        sink(f.clone());
    }
    let mut stats = MirrorStats::default();
    if checks.mirror {
        observer.mirror_started(total_bytes(sys));
        let progress = |done: u64| observer.mirror_progress(done);
        stats = check_mirrors_without(
            sys,
            opts,
            &truncated.lost,
            &truncated.left_out,
            checks.all,
            &progress,
            &mut sink,
        )?;
        observer.mirror_finished();
    }
    if checks.structure {
        check_structures(sys, opts, &mut sink)?;
    }
    recheck(sys, std::mem::take(&mut stats.deferred), &mut sink)?;
    report.summary.bytes_compared = stats.bytes_compared;
    report.summary.bytes_not_read = stats.bytes_not_read;
    report.summary.blocks_checksummed = stats.blocks_checksummed;
    Ok(report)
}
