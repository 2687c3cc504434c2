//! `nwvol verify`: mirror members against each other and their checksums,
//! then the volume structures; `--repair` fixes what a good copy allows.
//! Exit codes as fsck has them.

use std::io::IsTerminal;
use std::sync::OnceLock;
use std::time::Instant;

use anyhow::Result;
use clap::{Args, ValueEnum};
use serde_json::{Value, json};

use nwvol::check::run::{self, Checks, VerifyObserver, VerifyReport, find_truncated};
use nwvol::check::{Action, CheckOptions, Finding, Summary};
use nwvol::units::format_size;

use super::{DeviceArgs, Output, Session};

/// Version of the `verify --json` records.
pub const VERIFY_JSON_VERSION: u32 = 1;

/// Exit code (fsck's): nothing wrong.
pub const EXIT_CLEAN: i32 = 0;
/// Exit code (fsck's): errors found, all of them corrected.
pub const EXIT_CORRECTED: i32 = 1;
/// Exit code (fsck's): errors left uncorrected.
pub const EXIT_UNCORRECTED: i32 = 4;
/// Exit code (fsck's): an operational error (a device missing or unreadable).
pub const EXIT_OPERATIONAL: i32 = 8;

/// fsck's exit code for a run's totals.
fn exit_code(s: &Summary) -> i32 {
    if s.uncorrected > 0 {
        EXIT_UNCORRECTED
    } else if s.corrected > 0 {
        EXIT_CORRECTED
    } else {
        EXIT_CLEAN
    }
}

/// Which checks to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Only {
    /// Members against each other and against their checksums.
    Mirror,
    /// The volume structures (headers, tables, FAT, directory tree).
    Structure,
}

/// Options of `nwvol verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// Repair what can be repaired from a good copy.
    #[arg(long)]
    pub repair: bool,
    /// Say what --repair would do; write nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Run only one of the checks.
    #[arg(long, value_enum, value_name = "CHECK")]
    pub only: Option<Only>,
    /// Read and compare every byte of the members, free blocks and space
    /// outside volumes included (by default the mirror check reads what
    /// the volumes' FAT says is in use, where the members agree on it).
    #[arg(long)]
    pub all: bool,
    /// JSON lines: one record per finding, then a summary record (shapes in
    /// docs/JSON.md).
    #[arg(long)]
    pub json: bool,
    /// Scripted mode: the findings as tab-separated lines without a header
    /// (code, member, where, belongs to, problem, action), no summary line.
    #[arg(short = 'H')]
    pub no_header: bool,
}

/// Runs `nwvol verify`; errors that stop the check exit with 8.
pub fn run(a: VerifyArgs, out: &Output, session: &Session) -> Result<i32> {
    match verify(&a, out, session) {
        Ok(code) => Ok(code),
        Err(e) => {
            if super::output::is_broken_pipe(&e) {
                return Ok(EXIT_CLEAN);
            }
            out.error(super::output::one_line(&e));
            if a.json {
                let _ = out.json(&json!({
                    "nwvol_json": VERIFY_JSON_VERSION,
                    "command": "verify",
                    "type": "error",
                    "error": super::output::one_line(&e),
                    "exit_code": EXIT_OPERATIONAL,
                }));
            }
            Ok(EXIT_OPERATIONAL)
        }
    }
}

/// Prints each finding as a JSON line (with `--json`) and shows the mirror
/// check's progress bar on a terminal.
struct VerifyPrinter<'a> {
    out: &'a Output,
    json: bool,
    bar: OnceLock<indicatif::ProgressBar>,
}

impl VerifyObserver for VerifyPrinter<'_> {
    fn finding(&self, f: &Finding) {
        if self.json {
            let mut v = serde_json::to_value(f).unwrap_or(Value::Null);
            if let Some(o) = v.as_object_mut() {
                o.insert("nwvol_json".into(), json!(VERIFY_JSON_VERSION));
                o.insert("command".into(), json!("verify"));
                o.insert("type".into(), json!("finding"));
            }
            // A closed pipe ends the output, not the check.
            let _ = self.out.json(&v);
        }
    }

    fn mirror_started(&self, total: u64) {
        if !self.json && !self.out.quiet && std::io::stderr().is_terminal() {
            let b = indicatif::ProgressBar::new(total);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "verify {bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let _ = self.bar.set(b);
        }
    }

    fn mirror_progress(&self, done: u64) {
        if let Some(b) = self.bar.get() {
            b.set_position(done);
        }
    }

    fn mirror_finished(&self) {
        if let Some(b) = self.bar.get() {
            b.finish_and_clear();
        }
    }
}

fn verify(a: &VerifyArgs, out: &Output, session: &Session) -> Result<i32> {
    let opts = CheckOptions {
        repair: a.repair || a.dry_run,
        dry_run: a.dry_run,
    };
    let started = Instant::now();
    let json = a.json;
    let out = &out.headerless(a.no_header);
    // Truncated image files are found before assembly (which refuses
    // them); repair gives them their length back.
    let paths = super::devices::device_paths(&a.dev.devices)?;
    let truncated = find_truncated(paths, &opts);
    if truncated.paths.is_empty() {
        anyhow::bail!(
            "no device left to verify: every one given is a truncated image (run with --repair)"
        );
    }
    let access = if opts.writes() {
        super::devices::Access::Write
    } else {
        super::devices::Access::Read
    };
    let (sys, left_out) =
        super::devices::assemble(&truncated.paths, access, a.dev.direct, &session.settings)?;
    for l in &left_out {
        let dev = l.split(": ").next().unwrap_or(l);
        eprintln!(
            "nwvol: {dev}: not verified; when it was a member, replace it with nwvol mirror add (the others hold the data), or leave it out"
        );
    }
    if let Some((x, y)) = sys.groups.iter().find_map(|g| g.split_brain()) {
        out.error(super::mirror::split_choices(&x, &y));
        return Ok(EXIT_UNCORRECTED);
    }
    let checks = Checks {
        mirror: a.only != Some(Only::Structure),
        structure: a.only != Some(Only::Mirror),
        all: a.all,
    };
    let printer = VerifyPrinter {
        out,
        json,
        bar: OnceLock::new(),
    };
    let VerifyReport { findings, summary } =
        run::verify(&sys, &truncated, checks, &opts, &printer)?;
    let mut code = exit_code(&summary);
    if !left_out.is_empty() {
        // A device given that could not serve is left as it is.
        code = code.max(EXIT_UNCORRECTED);
    }
    let secs = started.elapsed().as_secs_f64();
    if json {
        let mut v = serde_json::to_value(&summary).unwrap_or(Value::Null);
        if let Some(o) = v.as_object_mut() {
            o.insert("nwvol_json".into(), json!(VERIFY_JSON_VERSION));
            o.insert("command".into(), json!("verify"));
            o.insert("type".into(), json!("summary"));
            o.insert("repair".into(), json!(opts.writes()));
            o.insert("dry_run".into(), json!(opts.dry_run));
            o.insert("seconds".into(), json!((secs * 1000.0).round() / 1000.0));
            o.insert("exit_code".into(), json!(code));
        }
        out.json(&v)?;
        return Ok(code);
    }
    if !findings.is_empty() {
        let mut t = Vec::new();
        for f in &findings {
            t.push(vec![
                f.code.to_string(),
                f.member.clone().unwrap_or_else(|| "-".into()),
                where_(f),
                f.path.clone().unwrap_or_else(|| f.structure.clone()),
                f.problem.clone(),
                action_text(&f.action),
            ]);
        }
        out.table(
            &["code", "member", "where", "belongs to", "problem", "action"],
            &t,
        )?;
    }
    if out.quiet || out.headerless {
        return Ok(code);
    }
    let rate = if secs > 0.0 {
        format!(
            " ({}/s)",
            format_size((summary.bytes_compared as f64 / secs) as u64)
        )
    } else {
        String::new()
    };
    let not_read = if summary.bytes_not_read > 0 {
        format!(
            "; {} of free blocks and unused space not read (--all reads them)",
            format_size(summary.bytes_not_read)
        )
    } else {
        String::new()
    };
    out.line(format!(
        "verify: {} finding(s), {} corrected, {} left; {} compared in {:.1} s{rate}, {} block copies checked against checksums{not_read}",
        summary.findings,
        summary.corrected,
        summary.uncorrected,
        format_size(summary.bytes_compared),
        secs,
        summary.blocks_checksummed,
    ))?;
    if summary.uncorrected > 0 && !opts.repair {
        out.line("run nwvol verify --repair to repair what a good copy allows (--dry-run shows what it would do)")?;
    }
    Ok(code)
}

fn where_(f: &Finding) -> String {
    let mut s = String::new();
    if let Some(v) = &f.volume {
        s.push_str(v);
        if let Some(b) = f.blocks {
            if b.count == 1 {
                s.push_str(&format!(" block {}", b.first));
            } else {
                s.push_str(&format!(" blocks {}-{}", b.first, b.first + b.count - 1));
            }
        }
    } else if let Some(r) = f.logical {
        s.push_str(&format!("logical {}+{}", r.offset, r.len));
    } else if let Some(g) = &f.group {
        s.push_str(g);
    }
    if s.is_empty() { "-".into() } else { s }
}

fn action_text(a: &Action) -> String {
    match a {
        Action::None => "-".into(),
        Action::WouldRepair(s) => format!("would {s}"),
        Action::Repaired(s) => s.clone(),
        Action::Unrepairable(s) => format!("left: {s}"),
        Action::RepairFailed(s) => format!("repair failed: {s}"),
    }
}
