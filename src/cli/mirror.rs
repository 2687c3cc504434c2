//! `nwvol mirror`: add a member (remirror), resume a remirror or resync,
//! show the members' states, remove a member.

use std::collections::VecDeque;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use serde_json::{Value, json};

use nwvol::assembly::Assembly;
use nwvol::layout::mirror::{MEMBER_FLAG_WIB, MemberRecord, MemberState};
use nwvol::membership::{self, CopyObserver, CopyOptions, Removed};
use nwvol::mirror::remirror::{Progress, RemirrorPlan};
use nwvol::mirror::{Member, MirrorGroup};
use nwvol::units::format_size;

use super::{DeviceArgs, EXIT_OK, Output, Session, devices};

/// A remirror whose last checkpoint is older than this is not running
/// (checkpoints are saved at least every 3 seconds while it copies).
const REMIRROR_STALE_SECS: u32 = 30;

/// Version of the `mirror --json` shapes.
pub const MIRROR_JSON_VERSION: u32 = 2;

/// Options of `nwvol mirror`.
#[derive(Debug, Args)]
pub struct MirrorArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: MirrorCommand,
}

/// The mirror subcommands.
#[derive(Debug, Subcommand)]
pub enum MirrorCommand {
    /// Add a device to the group as a new member and copy the logical
    /// partition to it (allocated blocks only).
    #[command(
        after_help = "A device that already is a member of the group (back after an outage) is \
re-added: resynced as by nwvol mirror resume, only the regions it missed when the write-intent \
record knows them.\n\n\
Examples:\n  nwvol mirror add -d disk0.img -d disk1.img disk2.img\n  \
nwvol mirror add --dry-run -d disk0.img disk2.img\n  \
nwvol mirror add --json --max-rate 50M -d disk0.img /dev/sdc"
    )]
    Add(AddArgs),
    /// Continue an interrupted remirror from its checkpoint, or resync a
    /// member that is out of sync (only the regions written while it was
    /// away, when the write-intent record knows them).
    #[command(
        after_help = "Members written apart (split: each was written while the other was away) are \
never resynced over each other: choose with --from which one to keep (--dry-run lists the files \
the other would lose), or keep both with nwvol mirror split.\n\n\
Examples:\n  nwvol mirror resume -d disk0.img -d disk1.img\n  \
nwvol mirror resume --dry-run -d disk0.img -d disk1.img\n  \
nwvol mirror resume --dry-run --from disk0.img -d disk0.img -d disk1.img"
    )]
    Resume(ResumeArgs),
    /// Show the members, their states, remirror progress and dirty regions.
    #[command(
        after_help = "Examples:\n  nwvol mirror status -d disk0.img -d disk1.img\n  \
nwvol mirror status --json | jq '.groups[0].members'"
    )]
    Status(StatusArgs),
    /// Detach a member from its group (refused for the last in-sync one).
    #[command(
        after_help = "Examples:\n  nwvol mirror remove -d disk0.img -d disk1.img disk1.img\n  \
nwvol mirror remove --dry-run -d disk0.img -d disk1.img disk1.img"
    )]
    Remove(RemoveArgs),
    /// Detach an in-sync member as an independent copy (a point in time):
    /// it gets a new group ID and partition ID and assembles and mounts by
    /// itself; the rest of the group forgets it. Of two members written
    /// apart (split), each becomes a volume set of its own.
    #[command(
        after_help = "Examples:\n  nwvol mirror split -d disk0.img -d disk1.img disk1.img\n  \
nwvol mirror split --dry-run -d disk0.img -d disk1.img disk1.img\n  \
nwvol ls -d disk1.img SYS:/                       # the copy, by itself"
    )]
    Split(RemoveArgs),
}

/// Options shared by the copying subcommands.
#[derive(Debug, Args, Clone)]
pub struct CopyArgs {
    /// Print what would be copied (ranges, bytes, an estimate); write nothing.
    #[arg(short = 'n', long)]
    pub dry_run: bool,
    /// Most bytes per second to copy, e.g. 50M (or 50M/s).
    #[arg(long, value_name = "RATE", value_parser = parse_rate)]
    pub max_rate: Option<u64>,
    /// One JSON line per progress update and a final summary line.
    #[arg(long)]
    pub json: bool,
}

/// Options of `nwvol mirror add`.
#[derive(Debug, Args)]
pub struct AddArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    #[command(flatten)]
    pub copy: CopyArgs,
    /// Overwrite a device that holds something (a dry run says so instead
    /// of refusing).
    #[arg(short, long)]
    pub force: bool,
    /// The new member: a device, image file or NBD URI.
    pub new_device: PathBuf,
}

/// Options of `nwvol mirror resume`.
#[derive(Debug, Args)]
pub struct ResumeArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    #[command(flatten)]
    pub copy: CopyArgs,
    /// After a split (members written apart): keep this member's data and
    /// copy it over the other one, whose own writes are lost (--dry-run
    /// lists the files it would lose).
    #[arg(long, value_name = "DEVICE")]
    pub from: Option<PathBuf>,
}

/// Options of `nwvol mirror status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// One JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Options of `nwvol mirror remove`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// Say what would be done and check that it can be; write nothing.
    #[arg(short = 'n', long)]
    pub dry_run: bool,
    /// The member to detach.
    pub device: PathBuf,
}

fn parse_rate(s: &str) -> Result<u64, String> {
    let t = s.trim_end_matches("/s");
    let v = nwvol::units::parse_size(t)?;
    if v == 0 {
        return Err(format!("{s}: the rate must be larger than 0"));
    }
    Ok(v)
}

/// Runs `nwvol mirror`.
pub fn run(a: MirrorArgs, out: &Output, session: &Session) -> Result<i32> {
    match a.command {
        MirrorCommand::Add(a) => add(a, out, session),
        MirrorCommand::Resume(a) => resume(a, out, session),
        MirrorCommand::Status(a) => status(a, out, session),
        MirrorCommand::Remove(a) => remove(a, out, session, false),
        MirrorCommand::Split(a) => remove(a, out, session, true),
    }
}

/// Refuses devices of several groups, with the hint to give one group's.
fn one_group(sys: &Assembly) -> Result<()> {
    match sys.groups.len() {
        1 => Ok(()),
        n => bail!("the devices hold {n} mirror groups; give the members of one group with -d"),
    }
}

fn plan_json(plan: &RemirrorPlan) -> Value {
    json!(
        plan.ranges
            .iter()
            .map(|&(s, e)| json!({"start_byte": s, "bytes": e - s}))
            .collect::<Vec<_>>()
    )
}

/// Rough speed for the estimate of a dry run: a sequential copy of this
/// many bytes per second.
const ESTIMATE_RATE: u64 = 200 << 20;

fn print_plan(
    out: &Output,
    json: bool,
    what: &str,
    target: &str,
    plan: &RemirrorPlan,
    overwrite: Option<&str>,
) -> Result<()> {
    let bytes = plan.bytes();
    let secs = bytes as f64 / ESTIMATE_RATE as f64;
    if json {
        out.json(&json!({
            "nwvol_json": MIRROR_JSON_VERSION,
            "command": what,
            "event": "plan",
            "target": target,
            "needs_force": overwrite.is_some(),
            "holds": overwrite,
            "ranges": plan_json(plan),
            "range_count": plan.ranges.len(),
            "bytes": bytes,
            "estimate_seconds": secs,
            "estimate_rate_bytes_per_sec": ESTIMATE_RATE,
        }))?;
        return Ok(());
    }
    out.line(format!(
        "{what}: would copy {} in {} ranges to {target} (about {:.0} s at {}/s); nothing written",
        format_size(bytes),
        plan.ranges.len(),
        secs,
        format_size(ESTIMATE_RATE)
    ))?;
    if let Some(found) = overwrite {
        out.line(format!(
            "  {target} holds {found}: it would be overwritten only with --force (-f)"
        ))?;
    }
    for &(s, e) in plan.ranges.iter().take(20) {
        out.line(format!("  {s:>14} +{}", e - s))?;
    }
    if plan.ranges.len() > 20 {
        out.line(format!("  ... {} more ranges", plan.ranges.len() - 20))?;
    }
    Ok(())
}

/// Progress reporting: a bar on a terminal, JSON lines, or nothing.
struct Reporter {
    json: bool,
    /// JSON progress lines: --json without -q (the summary line is the
    /// answer and comes either way).
    json_progress: bool,
    command: &'static str,
    bar: Option<indicatif::ProgressBar>,
    window: VecDeque<(Instant, u64)>,
    last_json: Option<Instant>,
    started: Instant,
}

impl Reporter {
    fn new(out: &Output, json: bool, command: &'static str, total: u64, done: u64) -> Reporter {
        let bar = (!json && !out.quiet && std::io::stderr().is_terminal()).then(|| {
            let b = indicatif::ProgressBar::new(total);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            b.set_position(done);
            b
        });
        Reporter {
            json,
            json_progress: json && !out.quiet,
            command,
            bar,
            window: VecDeque::new(),
            last_json: None,
            started: Instant::now(),
        }
    }

    /// Bytes per second over the last few seconds.
    fn rate(&mut self, copied: u64) -> f64 {
        let now = Instant::now();
        self.window.push_back((now, copied));
        while self.window.len() > 2 && now.duration_since(self.window[0].0) > Duration::from_secs(5)
        {
            self.window.pop_front();
        }
        let (t0, c0) = self.window[0];
        let dt = now.duration_since(t0).as_secs_f64();
        if dt > 0.0 {
            (copied - c0) as f64 / dt
        } else {
            let el = self.started.elapsed().as_secs_f64();
            if el > 0.0 { copied as f64 / el } else { 0.0 }
        }
    }

    fn update(&mut self, p: &Progress) {
        let rate = self.rate(p.copied_bytes);
        let eta = (rate > 0.0).then(|| p.left_bytes as f64 / rate);
        if let Some(b) = &self.bar {
            b.set_length(p.total_bytes);
            b.set_position(p.done_bytes);
            b.set_message(
                eta.map(|s| format!("{s:.0}s"))
                    .unwrap_or_else(|| "?".into()),
            );
        }
        if self.json_progress {
            let due = self
                .last_json
                .is_none_or(|t| t.elapsed() >= Duration::from_millis(100));
            if due || p.left_bytes == 0 {
                self.last_json = Some(Instant::now());
                let line = json!({
                    "nwvol_json": MIRROR_JSON_VERSION,
                    "command": self.command,
                    "event": "progress",
                    "copied_bytes": p.copied_bytes,
                    "left_bytes": p.left_bytes,
                    "done_bytes": p.done_bytes,
                    "total_bytes": p.total_bytes,
                    "checkpoint_bytes": p.checkpoint,
                    "rate_bytes_per_sec": rate,
                    "eta_seconds": eta,
                });
                use std::io::Write;
                let mut o = std::io::stdout().lock();
                let _ = serde_json::to_writer(&mut o, &line);
                let _ = writeln!(o);
                let _ = o.flush();
            }
        }
    }

    fn finish(&self, out: &Output, target: &str, p: &Progress) -> Result<()> {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        let secs = self.started.elapsed().as_secs_f64();
        if self.json {
            out.json(&json!({
                "nwvol_json": MIRROR_JSON_VERSION,
                "command": self.command,
                "event": "done",
                "target": target,
                "copied_bytes": p.copied_bytes,
                "done_bytes": p.done_bytes,
                "total_bytes": p.total_bytes,
                "seconds": secs,
                "rate_bytes_per_sec": if secs > 0.0 { p.copied_bytes as f64 / secs } else { 0.0 },
                "state": "in sync",
            }))?;
        } else {
            out.info(format!(
                "{target}: in sync; copied {} in {secs:.1} s (job: {} of {})",
                format_size(p.copied_bytes),
                format_size(p.done_bytes),
                format_size(p.total_bytes)
            ))?;
        }
        Ok(())
    }
}

/// Reports a copying membership operation: its plan (dry run), a progress
/// bar or JSON lines, and the final line. The first output error is kept
/// and returned once the operation is over.
struct CopyReport<'a> {
    out: &'a Output,
    json: bool,
    command: &'static str,
    rep: Option<Reporter>,
    err: Option<anyhow::Error>,
    /// What a dry run's target holds that only --force overwrites.
    overwrite: Option<String>,
}

impl<'a> CopyReport<'a> {
    fn new(out: &'a Output, json: bool, command: &'static str) -> CopyReport<'a> {
        CopyReport {
            out,
            json,
            command,
            rep: None,
            err: None,
            overwrite: None,
        }
    }

    fn keep(&mut self, r: Result<()>) {
        if let Err(e) = r {
            self.err.get_or_insert(e);
        }
    }

    /// The operation's result, or the first output error.
    fn result<T>(self, r: nwvol::Result<T>) -> Result<T> {
        let v = r?;
        match self.err {
            Some(e) => Err(e),
            None => Ok(v),
        }
    }
}

impl CopyObserver for CopyReport<'_> {
    fn would_overwrite(&mut self, _target: &str, found: &str) {
        self.overwrite = Some(found.to_string());
    }

    fn planned(&mut self, target: &str, plan: &RemirrorPlan) {
        let r = print_plan(
            self.out,
            self.json,
            self.command,
            target,
            plan,
            self.overwrite.as_deref(),
        );
        self.keep(r);
    }

    fn started(&mut self, _target: &str, total: u64, done: u64) {
        self.rep = Some(Reporter::new(
            self.out,
            self.json,
            self.command,
            total,
            done,
        ));
    }

    fn progress(&mut self, p: &Progress) {
        if let Some(r) = self.rep.as_mut() {
            r.update(p);
        }
    }

    fn finished(&mut self, target: &str, p: &Progress) {
        if let Some(r) = self.rep.take() {
            let res = r.finish(self.out, target, p);
            self.keep(res);
        }
    }
}

fn add(a: AddArgs, out: &Output, session: &Session) -> Result<i32> {
    let paths = devices::device_paths(&a.dev.devices)?;
    if paths.iter().any(|p| p == &a.new_device) {
        bail!(
            "{}: already given with -d; name the new device only once, after the options",
            a.new_device.display()
        );
    }
    // A device that already is a member of this group (back after an
    // outage) is re-added as mdadm --re-add does: resynced, not
    // overwritten, copying only what the write-intent record names.
    if let Some(id) = listed_member(&paths, &a.new_device, a.dev.direct, &session.settings) {
        // With --json standard output holds JSON only.
        if !a.copy.json {
            out.info(format!(
                "{}: already a member of this group (partition {id:#010x}); resyncing it as nwvol mirror resume does",
                a.new_device.display()
            ))?;
        }
        let mut dev = a.dev.clone();
        dev.devices = paths;
        dev.devices.push(a.new_device.clone());
        return resume(
            ResumeArgs {
                dev,
                copy: a.copy,
                from: None,
            },
            out,
            session,
        );
    }
    let write = !a.copy.dry_run;
    let (sys, _) = assemble_one_group(&paths, write, a.dev.direct, session)?;
    let newdev = devices::open_all(
        std::slice::from_ref(&a.new_device),
        write,
        a.dev.direct,
        &session.settings,
    )?
    .remove(0);
    let mut report = CopyReport::new(out, a.copy.json, "mirror add");
    let r = membership::add_member(&sys, newdev, a.force, copy_options(&a.copy), &mut report);
    report.result(r)?;
    Ok(EXIT_OK)
}

fn copy_options(c: &CopyArgs) -> CopyOptions {
    CopyOptions {
        dry_run: c.dry_run,
        max_rate: c.max_rate,
    }
}

/// The partition ID of `new` when the library finds it a listed member of
/// the group the first of `paths` belongs to; read without locks, before
/// anything is opened for writing.
fn listed_member(
    paths: &[std::path::PathBuf],
    new: &std::path::Path,
    direct: bool,
    settings: &nwvol::Settings,
) -> Option<u32> {
    let open = |p: &std::path::Path| {
        devices::open_all_observing(&[p.to_path_buf()], direct, settings)
            .ok()
            .map(|mut d| d.remove(0))
    };
    let new = open(new)?;
    let first = open(paths.first()?)?;
    membership::listed_member(first, new)
}

/// Assembles the devices of one mirror group that is not split: for
/// writing, or read-only (a dry run). Also returns the devices left out.
fn assemble_one_group(
    paths: &[PathBuf],
    write: bool,
    direct: bool,
    session: &Session,
) -> Result<(Assembly, Vec<String>)> {
    let access = if write {
        devices::Access::Write
    } else {
        devices::Access::Read
    };
    let (sys, left_out) = devices::assemble(paths, access, direct, &session.settings)?;
    one_group(&sys)?;
    refuse_split(&sys.groups[0])?;
    Ok((sys, left_out))
}

/// Refuses to copy between members written apart, naming the choices.
fn refuse_split(g: &MirrorGroup) -> Result<()> {
    if let Some((a, b)) = g.split_brain() {
        bail!("{}", split_choices(&a, &b));
    }
    Ok(())
}

/// The line that names a split and the user's choices.
pub fn split_choices(a: &str, b: &str) -> String {
    format!(
        "split: {a} and {b} were written apart; choose one: nwvol mirror resume --from {a} (or --from {b}; --dry-run lists what the other loses), or nwvol mirror split to keep both as separate volume sets"
    )
}

fn resume(a: ResumeArgs, out: &Output, session: &Session) -> Result<i32> {
    let paths = devices::device_paths(&a.dev.devices)?;
    if let Some(from) = &a.from {
        let done = super::split::resume_from(&paths, from, &a.dev, a.copy.dry_run, out, session)?;
        if a.copy.dry_run || !done {
            return Ok(EXIT_OK);
        }
    }
    // Image files cut short are refused by assembly: given their length
    // back first, and copied whole below.
    let cut = membership::restore_cut_images(&paths, a.copy.dry_run);
    for c in &cut {
        let (have, need) = nwvol::units::format_size_pair(c.have, c.need);
        match &c.restored {
            Ok(true) => {}
            Ok(false) => out.info(format!(
                "{}: the image file is {have}, its partition needs {need}: a resume gives its length back and copies it whole",
                c.path.display()
            ))?,
            Err(e) => eprintln!(
                "nwvol: warning: {}: the image file is {have}, its partition needs {need}; its length could not be given back: {e}",
                c.path.display()
            ),
        }
    }
    let (sys, left_out) = assemble_one_group(&paths, !a.copy.dry_run, a.dev.direct, session)?;
    for c in cut.iter().filter(|c| c.restored == Ok(true)) {
        if let Some(id) = c.partition_id
            && membership::copy_whole(&sys, id)?
        {
            out.info(format!(
                "{}: the image file was cut short; its length is given back and it is copied whole",
                c.path.display()
            ))?;
        }
    }
    let mut report = CopyReport::new(out, a.copy.json, "mirror resume");
    let r = membership::resume_members(&sys, copy_options(&a.copy), &mut report);
    let done = report.result(r)?;
    if done.targets == 0 && !left_out.is_empty() && !a.copy.dry_run {
        // A device given could not be assembled: it is not in sync.
        bail!(
            "{}: not resumed: {} left out (see the warning above); replace it with nwvol mirror add, or leave it out",
            done.group,
            left_out
                .iter()
                .map(|l| l.split(": ").next().unwrap_or(l))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    if done.targets == 0 {
        if a.copy.json {
            out.json(&json!({
                "nwvol_json": MIRROR_JSON_VERSION, "command": "mirror resume",
                "event": "done", "copied_bytes": 0, "state": "in sync",
            }))?;
        } else {
            out.info(format!(
                "{}: every member given is in sync; nothing to do",
                done.group
            ))?;
        }
    }
    Ok(EXIT_OK)
}

fn group_status(g: &MirrorGroup, writer: bool) -> Value {
    let table = g.table();
    let ext = table.ext.as_ref();
    let wib = g.write_intent();
    let chunk = wib.header.chunk_bytes();
    let dirty = wib.ranges(g.logical_bytes);
    let dirty_bytes: u64 = dirty.iter().map(|r| r.1 - r.0).sum();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32);
    // The last checkpoint of a remirror, when one saved any: its age tells
    // whether the remirror is running (checkpoints come every few seconds).
    let ck = ext.filter(|x| x.checkpoint_time != 0).map(|x| {
        (
            now.wrapping_sub(x.checkpoint_time),
            u64::from(x.rate_kib) * 1024,
        )
    });
    let members = member_slots_json(g, |rec, _| {
        json!({
            "write_intent": rec.is_some_and(|r| r.flags & MEMBER_FLAG_WIB != 0),
            "checkpoint_bytes": rec.map(|r| r.checkpoint),
            "done_bytes": rec.map(|r| r.progress),
            "total_bytes": rec.map(|r| r.total),
            "remirror": rec.filter(|r| r.state == MemberState::Remirroring).and_then(|r| {
                ck.map(|(age, rate)| {
                    let left = r.total.saturating_sub(r.progress);
                    json!({
                        "last_checkpoint_seconds_ago": age,
                        "running": writer && age <= REMIRROR_STALE_SECS,
                        "rate_bytes_per_second": rate,
                        "eta_seconds": (rate > 0).then(|| left / rate),
                    })
                })
            }),
        })
    });
    json!({
        "group_id": g.group_id,
        "logical_bytes": g.logical_bytes,
        "events": ext.map(|x| x.events),
        "degraded": g.degraded(),
        "split": g.split_brain().map(|(a, b)| json!([a, b])),
        "missing": g.missing,
        "removed": removed_json(g),
        "chunk_bytes": chunk,
        "dirty_chunks": wib.count(),
        "dirty_bytes": dirty_bytes,
        "members": members,
    })
}

/// Each member slot the group's mirror table lists, as JSON: the slot,
/// partition ID, device, whether it is present and its state, and the
/// fields `more` makes of its record and of the member when present.
pub(super) fn member_slots_json(
    g: &MirrorGroup,
    more: impl Fn(Option<&MemberRecord>, Option<&Member>) -> Value,
) -> Vec<Value> {
    let table = g.table();
    let ext = table.ext.as_ref();
    let mut members = Vec::new();
    for (slot, &id) in table.member_ids.iter().enumerate() {
        if id == 0 {
            continue;
        }
        let rec = ext.and_then(|x| x.member(id));
        let present = g.members.iter().find(|m| m.partition.id() == id);
        let mut m = json!({
            "slot": slot,
            "partition_id": id,
            "device": present.map(|m| m.partition.name()),
            "present": present.is_some(),
            "state": rec.map(|r| r.state.to_string()).unwrap_or_else(|| "in sync".into()),
        });
        if let (Some(fields), Value::Object(extra)) = (m.as_object_mut(), more(rec, present)) {
            fields.extend(extra);
        }
        members.push(m);
    }
    members
}

/// Devices given that hold a former member of the group, as JSON.
pub(super) fn removed_json(g: &MirrorGroup) -> Value {
    json!(
        g.removed
            .iter()
            .map(|(device, id)| json!({"device": device, "partition_id": id}))
            .collect::<Vec<_>>()
    )
}

/// The line for a device given that was removed from its group.
pub(super) fn removed_line(device: &str) -> String {
    format!("{device}: removed from the group; not a member")
}

fn status(a: StatusArgs, out: &Output, session: &Session) -> Result<i32> {
    let groups = devices::observe_groups(&a.dev, &session.settings)?;
    // A remirror runs under the exclusive lock: without a writer, a
    // recent checkpoint is one left by an interrupted run.
    let gs: Vec<Value> = groups
        .iter()
        .map(|g| {
            let writer = g
                .members
                .iter()
                .any(|m| devices::held_by_writer(m.partition.name(), &session.settings));
            group_status(g, writer)
        })
        .collect();
    if a.json {
        out.json_list(MIRROR_JSON_VERSION, "mirror status", "groups", gs)?;
        return Ok(EXIT_OK);
    }
    for g in &gs {
        let n = |v: &Value| v.as_u64().unwrap_or(0);
        out.line(format!(
            "group {:08x}: {} logical, {}{}; {} dirty ({} chunks of {})",
            n(&g["group_id"]),
            format_size(n(&g["logical_bytes"])),
            if g["degraded"] == true {
                "degraded"
            } else {
                "whole"
            },
            "",
            format_size(n(&g["dirty_bytes"])),
            n(&g["dirty_chunks"]),
            format_size(n(&g["chunk_bytes"])),
        ))?;
        for m in g["members"].as_array().into_iter().flatten() {
            let mut line = format!(
                "  slot {} {:08x} {:<24} {}",
                n(&m["slot"]),
                n(&m["partition_id"]),
                m["device"].as_str().unwrap_or("(missing)"),
                m["state"].as_str().unwrap_or(""),
            );
            if n(&m["total_bytes"]) > 0 && m["state"] != "in sync" {
                line.push_str(&format!(
                    ", {} of {} copied ({:.1}%), checkpoint {}",
                    format_size(n(&m["done_bytes"])),
                    format_size(n(&m["total_bytes"])),
                    100.0 * n(&m["done_bytes"]) as f64 / n(&m["total_bytes"]).max(1) as f64,
                    n(&m["checkpoint_bytes"])
                ));
            }
            let r = &m["remirror"];
            if r.is_object() {
                if r["running"] == true {
                    line.push_str(&format!(
                        ", {}/s, ETA {} s",
                        format_size(n(&r["rate_bytes_per_second"])),
                        n(&r["eta_seconds"])
                    ));
                } else {
                    line.push_str(&format!(
                        ", interrupted (last checkpoint {} s ago): run nwvol mirror resume to continue",
                        n(&r["last_checkpoint_seconds_ago"])
                    ));
                }
            }
            if m["write_intent"] == true && m["state"] != "in sync" {
                line.push_str(", resync from the write-intent record");
            }
            out.line(line)?;
        }
        if let Some(sp) = g["split"].as_array() {
            let d = |i: usize| sp.get(i).and_then(|v| v.as_str()).unwrap_or("");
            out.line(format!("  {}", split_choices(d(0), d(1))))?;
        }
        for r in g["removed"].as_array().into_iter().flatten() {
            out.line(format!(
                "  {}",
                removed_line(r["device"].as_str().unwrap_or(""))
            ))?;
        }
    }
    Ok(EXIT_OK)
}

fn remove(a: RemoveArgs, out: &Output, session: &Session, split: bool) -> Result<i32> {
    let mut paths = devices::device_paths(&a.dev.devices)?;
    if !paths.contains(&a.device) {
        paths.push(a.device.clone());
    }
    let gone = a.device.display().to_string();
    let access = if a.dry_run {
        devices::Access::Read
    } else {
        devices::Access::Write
    };
    let groups = devices::assemble_groups(&paths, access, a.dev.direct, &session.settings)?;
    if split && let Some(g) = groups.iter().find(|g| g.split.is_some()) {
        if a.dry_run {
            let (x, y) = g.split_brain().unwrap_or_default();
            out.line(format!(
                "mirror split: {x} and {y} were written apart: each would become a volume set of its own (new group and partition IDs); nothing written"
            ))?;
            return Ok(EXIT_OK);
        }
        for (name, group_id, new_id) in membership::split_apart(g)? {
            out.info(format!(
                "{name}: split from group {:08x}: now group {group_id:08x}, partition {new_id:08x}",
                g.group_id
            ))?;
        }
        return Ok(EXIT_OK);
    }
    if a.dry_run {
        let p = membership::check_removal(&groups, &gone, split)?;
        let what = if split {
            "split off from group {g} as an independent copy (new group and partition IDs)"
        } else {
            "removed from group {g}"
        }
        .replace("{g}", &format!("{:08x}", p.group_id));
        out.line(format!(
            "mirror {}: {gone} ({}, partition {:08x}) would be {what}; the group keeps {} \
             member(s), {} in sync; nothing written",
            if split { "split" } else { "remove" },
            p.state,
            p.partition_id,
            p.members_left,
            p.in_sync_left
        ))?;
        return Ok(EXIT_OK);
    }
    match membership::remove_member(&groups, &gone, split)? {
        Removed::Split {
            group_id,
            new_group,
            new_id,
        } => out.info(format!(
            "{gone}: split from group {group_id:08x}: now group {new_group:08x}, partition {new_id:08x}"
        ))?,
        Removed::Removed { group_id } => {
            out.info(format!("{gone}: removed from group {group_id:08x}"))?
        }
    }
    Ok(EXIT_OK)
}
