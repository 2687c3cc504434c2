//! Crash states (issue 7, point 4), in the manner of CrashMonkey. The
//! campaign is not in the default run:
//!
//!     cargo test --release --test faults -- --ignored --nocapture crash_states::
//!
//! or tests/fault_campaign.sh, which runs it with the other kinds and
//! prints one summary table. `crash_states_smoke` checks a few states of
//! one workload in the default run.
//!
//! A workload (mkdir, put with long names, a replace, rm, mv, rm -r; every
//! other one (odd seeds) trees: put -r in several commits of 3 files, put -r over it,
//! mv and rm -r of the tree) runs through
//! the library on a 2-way mirror of memory members (checksums on), each
//! member wrapped in a `RecordingDevice`: every write, durable write
//! (the write-intent record) and sync lands in one log, with a marker
//! after each operation returned (with its sync). Flush points are each
//! member's syncs and durable writes, in order; the members have the same
//! sequence of them. For flush point k, a member holds what it had at its
//! last sync before k, every durable write since, and any subset of the
//! other writes since (in log order), the write of flush point k itself
//! included when it is a durable write. The states built per flush point:
//! every pair of prefixes of the two members' in-flight writes (so one
//! member ahead of the other: a write that reached only one member), the
//! last write of a prefix torn at 512-byte granularity, and seeded random
//! subsets. Each state must open; every operation that returned before the
//! flush point must read back byte for byte (before repair, from both
//! members after it, and from each member alone); the operation in flight
//! may have left its old or its new state, nothing else; verify --repair
//! must leave nothing, and a second verify must be clean.
//!
//! `CRASH_STATES=<n>` sets the states wanted (default 10,000; workloads are
//! added until reached), `CRASH_ONLY=<workload>:<point>` reruns one flush
//! point; every failing state prints its workload seed, flush point and
//! selection.

use std::collections::{BTreeMap, HashSet};
use std::io::Read;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::support::campaign::{self, Outcome, Rng};
use nwvol::assembly::Assembly;
use nwvol::cache::CacheConfig;
use nwvol::check::mirror::{check_mirrors, recheck};
use nwvol::check::{CheckOptions, Finding, check_structures};
use nwvol::device::Device;
use nwvol::device::testing::{MemDevice, Recorded, Recorder, RecordingDevice};
use nwvol::layout::dirent::ROOT_ID;
use nwvol::layout::time::DosTime;
use nwvol::volume::commit::CommitLimits;
use nwvol::volume::file::FileTimes;
use nwvol::volume::open::Target;
use nwvol::volume::{NwPath, OpenMode, OpenVolume};

const MIB: usize = 1 << 20;
/// Member size: small, so that building and verifying a state is cheap.
const MEMBER_BYTES: usize = 3 * MIB;
const SECTOR: u64 = 512;

// ---------------------------------------------------------------------------
// The workload and its model.

/// One user operation.
#[derive(Debug, Clone)]
enum Op {
    Mkdir(String),
    Put(String, Vec<u8>),
    Rm(String, bool),
    Mv(String, String),
    /// A directory removed with everything below it (rm -r).
    RmTree(String),
    /// A tree put under a directory (put -r): files by path below it,
    /// their directories made as needed, several commits in one command.
    PutTree(String, Vec<(String, Vec<u8>)>),
}

impl Op {
    fn label(&self) -> String {
        match self {
            Op::Mkdir(p) => format!("mkdir {p}"),
            Op::Put(p, d) => format!("put {p} ({} bytes)", d.len()),
            Op::Rm(p, purge) => format!("rm{} {p}", if *purge { " --purge" } else { "" }),
            Op::Mv(a, b) => format!("mv {a} {b}"),
            Op::RmTree(p) => format!("rm -r {p}"),
            Op::PutTree(p, f) => format!("put -r {p} ({} files)", f.len()),
        }
    }
}

/// What a path holds.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Content {
    Dir,
    File(Vec<u8>),
}

impl Content {
    fn describe(c: Option<&Content>) -> String {
        match c {
            None => "absent".into(),
            Some(Content::Dir) => "a directory".into(),
            Some(Content::File(d)) => format!("{} bytes", d.len()),
        }
    }
}

/// Paths (upper case: names are case-insensitive) to what they hold.
type Model = BTreeMap<String, Content>;

fn key(p: &str) -> String {
    p.to_uppercase()
}

fn apply_op(m: &mut Model, op: &Op) {
    match op {
        Op::Mkdir(p) => {
            m.insert(key(p), Content::Dir);
        }
        Op::Put(p, d) => {
            m.insert(key(p), Content::File(d.clone()));
        }
        Op::Rm(p, _) => {
            m.remove(&key(p));
        }
        Op::Mv(a, b) => {
            // A directory moves with everything below it.
            let (ka, kb) = (key(a), key(b));
            let below = format!("{ka}/");
            let moved: Vec<(String, Content)> = m
                .iter()
                .filter(|(k, _)| **k == ka || k.starts_with(&below))
                .map(|(k, c)| (k.clone(), c.clone()))
                .collect();
            for (k, c) in moved {
                m.remove(&k);
                m.insert(format!("{kb}{}", &k[ka.len()..]), c);
            }
        }
        Op::RmTree(p) => {
            let below = format!("{}/", key(p));
            m.retain(|k, _| *k != key(p) && !k.starts_with(&below));
        }
        Op::PutTree(root, files) => {
            m.insert(key(root), Content::Dir);
            for (rel, d) in files {
                let parts: Vec<&str> = rel.split('/').collect();
                for i in 1..parts.len() {
                    m.insert(
                        key(&format!("{root}/{}", parts[..i].join("/"))),
                        Content::Dir,
                    );
                }
                m.insert(key(&format!("{root}/{rel}")), Content::File(d.clone()));
            }
        }
    }
}

/// Files commit in groups of this many in the recorded workloads, so that
/// a `put -r` of a tree spans several commits.
const COMMIT_FILES: usize = 3;

/// The operations of tree workload `seed` (group commit): a tree put in
/// several commits, put again over itself (half its files replaced, new
/// ones added), moved under a long name, and removed with rm -r.
fn tree_workload(seed: u64) -> Vec<Op> {
    let mut r = Rng(seed ^ 0x7AEE);
    let mut first = Vec::new();
    for i in 0..8 {
        let dir = ["", "SUB/", "SUB/Deeper dir/"][i % 3];
        let name = if i % 4 == 1 {
            format!("{dir}A long file name {i}.txt")
        } else {
            format!("{dir}F{i}.DAT")
        };
        let n = r.range(1, 16_384) as usize;
        first.push((name, r.bytes(n)));
    }
    let mut second: Vec<(String, Vec<u8>)> = first
        .iter()
        .step_by(2)
        .map(|(n, _)| (n.clone(), Vec::new()))
        .collect();
    second.push(("SUB/NEW1.DAT".into(), Vec::new()));
    second.push(("Another long name.bin".into(), Vec::new()));
    for (_, d) in second.iter_mut() {
        let n = r.range(1, 16_384) as usize;
        *d = r.bytes(n);
    }
    vec![
        Op::Put("SYS:/KEEP.DAT".into(), r.bytes(5_000)),
        Op::PutTree("SYS:/TREE".into(), first),
        Op::PutTree("SYS:/TREE".into(), second),
        Op::Mv("SYS:/TREE".into(), "SYS:/The tree moved".into()),
        Op::RmTree("SYS:/The tree moved".into()),
        Op::PutTree(
            "SYS:/AGAIN".into(),
            (0..4)
                .map(|i| (format!("G{i}.DAT"), vec![i as u8; 3000 + i * 1000]))
                .collect(),
        ),
    ]
}

/// The workload of `seed`: every other one (odd seeds) a tree workload, so
/// that the campaign's first two workloads are one of each.
fn workload_for(seed: u64) -> Vec<Op> {
    if !seed.is_multiple_of(2) {
        tree_workload(seed)
    } else {
        workload(seed)
    }
}

/// The operations of workload `seed`: directories and files with long
/// names, a file of many blocks, a replace, a remove (purged or not), a
/// rename into another directory under a long name, a put after the
/// remove (which reuses freed blocks), a rename from one long name to
/// another, a long-named file purged, and the long-named directory removed
/// with the tree below it.
fn workload(seed: u64) -> Vec<Op> {
    let mut r = Rng(seed);
    let mut sz = |lo: u64, hi: u64| r.range(lo, hi) as usize;
    let sizes = [
        sz(0, 30_000),
        sz(1, 600),
        sz(60_000, 250_000),
        sz(1, 20_000),
        sz(1, 9_000),
        sz(4_000, 120_000),
        sz(0, 5_000),
    ];
    let mut r = Rng(seed ^ 0xDA7A);
    let purge = seed.is_multiple_of(2);
    let long_dir = "SYS:/Documents and Things";
    vec![
        Op::Mkdir(long_dir.into()),
        Op::Put(
            format!("{long_dir}/A file with a long name.txt"),
            r.bytes(sizes[0]),
        ),
        Op::Put("SYS:/SMALL.DAT".into(), r.bytes(sizes[1])),
        Op::Put("SYS:/BIG.BIN".into(), r.bytes(sizes[2])),
        Op::Mkdir(format!("{long_dir}/Sub")),
        Op::Put(format!("{long_dir}/Sub/INNER.DAT"), r.bytes(sizes[3])),
        Op::Put("SYS:/SMALL.DAT".into(), r.bytes(sizes[4])),
        Op::Rm("SYS:/BIG.BIN".into(), purge),
        Op::Mv(
            "SYS:/SMALL.DAT".into(),
            format!("{long_dir}/Sub/Renamed to a longer name.dat"),
        ),
        Op::Put("SYS:/AFTER.DAT".into(), r.bytes(sizes[5])),
        Op::Put(
            format!("{long_dir}/A file with a long name.txt"),
            r.bytes(sizes[6]),
        ),
        Op::Mv(
            format!("{long_dir}/A file with a long name.txt"),
            "SYS:/Moved under another long name.txt".into(),
        ),
        Op::Rm(format!("{long_dir}/Sub/Renamed to a longer name.dat"), true),
        Op::Mkdir(format!("{long_dir}/Sub/Deeper")),
        Op::Put(format!("{long_dir}/Sub/Deeper/LEAF.DAT"), r.bytes(sizes[1])),
        Op::RmTree(long_dir.into()),
    ]
}

fn times() -> FileTimes {
    let t = DosTime(0x5A21_6000);
    FileTimes {
        modified: t,
        created: t,
    }
}

fn run_op(v: &mut OpenVolume, op: &Op) -> nwvol::Result<()> {
    let parse = |p: &str| NwPath::parse(p);
    match op {
        Op::Mkdir(p) => {
            let p = parse(p)?;
            let (dir, name) = v.resolve_parent(&p)?;
            v.mkdir(dir, name, times())?;
        }
        Op::Put(p, d) => {
            let p = parse(p)?;
            let (dir, name) = v.resolve_parent(&p)?;
            let name = name.to_string();
            v.write_file(dir, &name, &mut d.as_slice(), Some(d.len() as u64), times())?;
        }
        Op::Rm(p, purge) => {
            let t = v.resolve(&parse(p)?)?;
            v.remove(t, false, *purge)?;
        }
        Op::Mv(a, b) => {
            let Target::Entry(idx) = v.resolve(&parse(a)?)? else {
                unreachable!("the workload never moves the root")
            };
            let b = parse(b)?;
            let (dir, name) = v.resolve_parent(&b)?;
            let name = name.to_string();
            v.rename(idx, dir, &name)?;
        }
        Op::RmTree(p) => {
            let t = v.resolve(&parse(p)?)?;
            v.remove(t, true, true)?;
        }
        Op::PutTree(root, files) => {
            for (rel, d) in files {
                let p = parse(&format!("{root}/{rel}"))?;
                let dir = v.mkdir_p(&p.parent(), times())?;
                let name = p.name().unwrap_or_default().to_string();
                v.write_file(dir, &name, &mut d.as_slice(), Some(d.len() as u64), times())?;
            }
        }
    }
    v.sync()
}

/// A cache large enough that nothing is written back in the background
/// during a workload: each member's sequence of events is then the same
/// from run to run.
fn quiet_cache() -> CacheConfig {
    let mut c = CacheConfig::with_capacity(64 << 20);
    c.flush_interval = Duration::from_secs(3600);
    c
}

/// A recorded workload: the members' images when recording began, the
/// log, and the operations with the log position of each one's return.
struct Recording {
    seed: u64,
    initial: Vec<Arc<Vec<u8>>>,
    events: Vec<Recorded>,
    ops: Vec<Op>,
    returned_at: Vec<usize>,
}

fn record(seed: u64, ops: Vec<Op>) -> Recording {
    let mems = crate::support::engine::formatted(&[MEMBER_BYTES, MEMBER_BYTES], None);
    let initial: Vec<Arc<Vec<u8>>> = mems.iter().map(|m| Arc::new(m.snapshot())).collect();
    let rec = Recorder::new();
    let devs: Vec<Arc<dyn Device>> = mems
        .iter()
        .map(|m| Arc::new(RecordingDevice::new(m.clone(), &rec)) as Arc<dyn Device>)
        .collect();
    let mut returned_at = Vec::new();
    {
        let sys = Assembly::open_with(devs, quiet_cache()).expect("open the recorded mirror");
        let mut v = OpenVolume::from_assembly(&sys, "SYS", OpenMode::Write).expect("open SYS");
        v.set_commit_limits(CommitLimits {
            files: COMMIT_FILES,
            age: Duration::from_secs(3600),
            ..CommitLimits::default()
        });
        for (i, op) in ops.iter().enumerate() {
            run_op(&mut v, op).unwrap_or_else(|e| panic!("workload {seed} op {i} {op:?}: {e}"));
            returned_at.push(rec.len());
            rec.mark(format!("op {i} returned"));
        }
    }
    Recording {
        seed,
        initial,
        events: rec.events(),
        ops,
        returned_at,
    }
}

// ---------------------------------------------------------------------------
// Flush points and crash states.

/// One member's view of the log.
struct MemberLog {
    /// Log positions of the member's events.
    events: Vec<usize>,
    /// Positions (in `events`) of its flush points: syncs and durable
    /// writes.
    flushes: Vec<usize>,
}

fn member_logs(r: &Recording) -> Vec<MemberLog> {
    (0..r.initial.len())
        .map(|m| {
            let events: Vec<usize> = (0..r.events.len())
                .filter(|&i| r.events[i].member() == Some(m))
                .collect();
            let flushes = (0..events.len())
                .filter(|&j| {
                    matches!(
                        r.events[events[j]],
                        Recorded::Sync { .. } | Recorded::Write { durable: true, .. }
                    )
                })
                .collect();
            MemberLog { events, flushes }
        })
        .collect()
}

/// What a power cut at one flush point leaves a member with: the events
/// it certainly holds (log positions, in order) and the candidates (writes
/// in flight), interleaved as they were issued.
#[derive(Clone)]
struct Window {
    /// Log positions up to and including its last sync before the point.
    synced: usize,
    /// Events after that sync and before the point: (log position, in
    /// flight?). Durable writes that returned are not in flight.
    tail: Vec<(usize, bool)>,
}

impl Window {
    fn candidates(&self) -> Vec<usize> {
        self.tail.iter().filter(|t| t.1).map(|t| t.0).collect()
    }
}

/// Member `ml`'s window at its flush point `k` (`k == flushes.len()`: the
/// end of the log).
fn window(r: &Recording, ml: &MemberLog, k: usize) -> Window {
    let upto = if k < ml.flushes.len() {
        ml.flushes[k]
    } else {
        ml.events.len()
    };
    let last_sync = (0..upto)
        .rev()
        .find(|&j| matches!(r.events[ml.events[j]], Recorded::Sync { .. }));
    let first = last_sync.map_or(0, |j| j + 1);
    let synced = last_sync.map_or(0, |j| ml.events[j] + 1);
    let mut tail: Vec<(usize, bool)> = ml.events[first..upto]
        .iter()
        .filter(|&&p| !matches!(r.events[p], Recorded::Sync { .. }))
        .map(|&p| {
            let durable = matches!(r.events[p], Recorded::Write { durable: true, .. });
            (p, !durable)
        })
        .collect();
    // A durable write being made is in flight until it returns.
    if k < ml.flushes.len() {
        let p = ml.events[ml.flushes[k]];
        if matches!(r.events[p], Recorded::Write { .. }) {
            tail.push((p, true));
        }
    }
    Window { synced, tail }
}

/// One member's part of a state: which candidates reached the media, and
/// the one torn after this many bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Pick {
    chosen: Vec<bool>,
    torn: Option<(usize, u64)>,
}

impl Pick {
    fn prefix(n: usize, len: usize) -> Pick {
        Pick {
            chosen: (0..n).map(|i| i < len).collect(),
            torn: None,
        }
    }
    fn describe(&self) -> String {
        let bits: String = self
            .chosen
            .iter()
            .map(|&c| if c { '1' } else { '0' })
            .collect();
        match self.torn {
            Some((i, b)) => format!("[{bits}] write {i} torn after {b} bytes"),
            None => format!("[{bits}]"),
        }
    }
}

/// A crash state: one pick per member at flush point `point`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct State {
    point: usize,
    picks: Vec<Pick>,
}

/// Member `m`'s image at log position `synced`: every write of it before.
fn base(r: &Recording, m: usize, synced: usize) -> Vec<u8> {
    let mut img = (*r.initial[m]).clone();
    for e in &r.events[..synced] {
        if e.member() == Some(m) {
            e.apply(&mut img, None);
        }
    }
    img
}

/// The member's image in this state: its base (see [`base`]) with the
/// durable writes since and the picked writes in flight.
fn build(r: &Recording, mut img: Vec<u8>, w: &Window, pick: &Pick) -> Vec<u8> {
    let mut c = 0;
    for &(p, in_flight) in &w.tail {
        if !in_flight {
            r.events[p].apply(&mut img, None);
            continue;
        }
        match pick.torn {
            Some((i, bytes)) if i == c => r.events[p].apply(&mut img, Some(bytes)),
            _ if pick.chosen[c] => r.events[p].apply(&mut img, None),
            _ => {}
        }
        c += 1;
    }
    img
}

/// The last base image each member's state was built on, kept by a
/// checking thread: states come in flush point order, so most share it.
#[derive(Default)]
struct Bases(Vec<Option<(usize, Vec<u8>)>>);

impl Bases {
    fn get(&mut self, r: &Recording, m: usize, synced: usize) -> Vec<u8> {
        if self.0.len() <= m {
            self.0.resize_with(m + 1, || None);
        }
        match &self.0[m] {
            Some((at, img)) if *at == synced => img.clone(),
            _ => {
                let img = base(r, m, synced);
                self.0[m] = Some((synced, img.clone()));
                img
            }
        }
    }
}

/// Where a write may tear: after whole 512-byte sectors, at most `max`
/// places (the first 4 KiB boundary first, then the first and last
/// sectors, other 4 KiB boundaries spread out, random sectors).
fn tear_points(len: u64, max: usize, rng: &mut Rng) -> Vec<u64> {
    let sectors = len / SECTOR;
    if sectors < 2 || max == 0 {
        return Vec::new();
    }
    let all: Vec<u64> = (1..sectors).map(|s| s * SECTOR).collect();
    if all.len() <= max {
        return all;
    }
    let blocks: Vec<u64> = all.iter().copied().filter(|b| b % 4096 == 0).collect();
    let mut out: Vec<u64> = blocks.first().copied().into_iter().collect();
    out.extend([SECTOR, (sectors - 1) * SECTOR]);
    let step = blocks.len().div_ceil((max / 2).max(1)).max(1);
    out.extend(blocks.iter().skip(1).step_by(step));
    out.truncate(max);
    while out.len() < max {
        out.push(all[rng.range(0, all.len() as u64 - 1) as usize]);
        out.sort_unstable();
        out.dedup();
    }
    out.sort_unstable();
    out
}

/// How many states of each family a flush point gets.
#[derive(Clone, Copy)]
struct Budget {
    /// Most prefix pairs before only the diagonal and one-sided pairs.
    pairs: usize,
    /// Tear points per write.
    tears: usize,
    /// Random subsets.
    random: usize,
    /// Check only every `stride`-th state built (1: all).
    stride: usize,
}

/// The states of flush point `point`: prefix pairs, torn last writes,
/// random subsets; no state twice.
fn states_at(
    r: &Recording,
    windows: &[Window],
    point: usize,
    b: Budget,
    seen: &mut HashSet<State>,
) -> Vec<State> {
    let n: Vec<usize> = windows.iter().map(|w| w.candidates().len()).collect();
    let mut out = Vec::new();
    let mut push = |s: State, out: &mut Vec<State>| {
        if seen.insert(s.clone()) {
            out.push(s);
        }
    };
    let mut rng = Rng(r.seed.wrapping_mul(1_000_003) ^ point as u64);
    // Prefix pairs: both members together, one ahead of the other, one
    // with everything and the other with nothing.
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    if (n[0] + 1) * (n[1] + 1) <= b.pairs {
        for a in 0..=n[0] {
            for c in 0..=n[1] {
                pairs.push((a, c));
            }
        }
    } else {
        for a in 0..=n[0].max(n[1]) {
            let (x, y) = (a.min(n[0]), a.min(n[1]));
            pairs.extend([(x, y), ((x + 1).min(n[0]), y), (x, (y + 1).min(n[1]))]);
            pairs.extend([(x, 0), (x, n[1]), (0, y), (n[0], y)]);
        }
    }
    for (a, c) in pairs {
        push(
            State {
                point,
                picks: vec![Pick::prefix(n[0], a), Pick::prefix(n[1], c)],
            },
            &mut out,
        );
    }
    // A torn last write on one member; the other member with the same
    // prefix, with that write whole, or with nothing in flight.
    for m in 0..2 {
        let o = 1 - m;
        let cands = windows[m].candidates();
        for (j, &p) in cands.iter().enumerate() {
            let len = r.events[p].range().map_or(0, |x| x.1);
            for t in tear_points(len, b.tears, &mut rng) {
                let mut torn = Pick::prefix(n[m], j);
                torn.torn = Some((j, t));
                for other in [j.min(n[o]), (j + 1).min(n[o]), 0] {
                    let mut picks = vec![Pick::prefix(n[0], 0), Pick::prefix(n[1], 0)];
                    picks[m] = torn.clone();
                    picks[o] = Pick::prefix(n[o], other);
                    push(State { point, picks }, &mut out);
                }
            }
        }
    }
    // Random subsets, chosen for each member apart; sometimes the last
    // chosen write torn.
    if n[0] + n[1] > 0 {
        for _ in 0..b.random {
            let picks = (0..2)
                .map(|m| {
                    let mut pk = Pick {
                        chosen: (0..n[m]).map(|_| rng.range(0, 1) == 1).collect(),
                        torn: None,
                    };
                    if rng.range(0, 2) == 0
                        && let Some(j) = pk.chosen.iter().rposition(|&c| c)
                    {
                        let p = windows[m].candidates()[j];
                        let len = r.events[p].range().map_or(0, |x| x.1);
                        if len >= 2 * SECTOR {
                            pk.chosen[j] = false;
                            pk.torn = Some((j, rng.range(1, len / SECTOR - 1) * SECTOR));
                        }
                    }
                    pk
                })
                .collect();
            push(State { point, picks }, &mut out);
        }
    }
    out
}

// ---------------------------------------------------------------------------
// Checking one state.

/// What one state showed.
#[derive(Default)]
struct Verdict {
    lost: Vec<String>,
    failed: Vec<String>,
    /// Verify found something that --repair corrected.
    repaired: bool,
    /// What the first verify --repair found and did, for the report of a
    /// failing state.
    first: Vec<String>,
}

/// What each path may hold after a crash at a point where `done`
/// operations had returned: the operation in flight (if any) may have
/// left its old or its new state.
struct Expect {
    allowed: BTreeMap<String, Vec<Option<Content>>>,
    /// A rename in flight: the file is under exactly one of the names.
    moved: Option<(Content, [String; 2])>,
    committed: Model,
}

fn expect(r: &Recording, done: usize) -> Expect {
    let mut before = Model::new();
    for op in &r.ops[..done] {
        apply_op(&mut before, op);
    }
    let mut after = before.clone();
    let mut moved = None;
    if let Some(op) = r.ops.get(done) {
        apply_op(&mut after, op);
        if let Op::Mv(a, b) = op
            && let Some(c) = before.get(&key(a))
        {
            moved = Some((c.clone(), [key(a), key(b)]));
        }
    }
    let mut allowed: BTreeMap<String, Vec<Option<Content>>> = BTreeMap::new();
    for k in before.keys().chain(after.keys()) {
        let mut v = vec![before.get(k).cloned()];
        if !v.contains(&after.get(k).cloned()) {
            v.push(after.get(k).cloned());
        }
        allowed.insert(k.clone(), v);
    }
    // What the operation in flight does not touch is committed.
    let committed: Model = before
        .iter()
        .filter(|(k, c)| after.get(*k) == Some(*c))
        .map(|(k, c)| (k.clone(), c.clone()))
        .collect();
    Expect {
        allowed,
        moved,
        committed,
    }
}

/// Every live file and directory of SYS: path to content (None: a file
/// that does not read).
fn tree(v: &OpenVolume) -> BTreeMap<String, Option<Content>> {
    let mut out = BTreeMap::new();
    let mut dirs = vec![(ROOT_ID, "SYS:".to_string())];
    while let Some((id, path)) = dirs.pop() {
        for n in v.list(id) {
            let p = key(&format!("{path}/{}", n.name()));
            if let Some(sub) = n.dir_id() {
                out.insert(p.clone(), Some(Content::Dir));
                dirs.push((sub, p));
            } else {
                let mut d = Vec::new();
                let ok = v
                    .open_file(n.index)
                    .is_ok_and(|mut f| f.read_to_end(&mut d).is_ok());
                out.insert(p, ok.then_some(Content::File(d)));
            }
        }
    }
    out
}

/// The tree of SYS read through `sys`; None (data lost) when SYS does not
/// open (`who` names `sys`).
fn tree_of(
    sys: &Assembly,
    who: &str,
    v: &mut Verdict,
) -> Option<BTreeMap<String, Option<Content>>> {
    match OpenVolume::from_assembly(sys, "SYS", OpenMode::ReadOnly) {
        Ok(vol) => Some(tree(&vol)),
        Err(e) => {
            v.lost.push(format!("{who}: SYS does not open: {e}"));
            None
        }
    }
}

/// The committed paths read back exactly through `sys` (`who` names it).
fn check_committed(sys: &Assembly, ex: &Expect, who: &str, v: &mut Verdict) {
    let Some(t) = tree_of(sys, who, v) else {
        return;
    };
    for (k, c) in &ex.committed {
        match t.get(k) {
            Some(Some(h)) if h == c => {}
            other => v.lost.push(format!(
                "{who}: committed {k} ({}): found {}",
                Content::describe(Some(c)),
                match other {
                    None => "absent".into(),
                    Some(None) => "a file that does not read".into(),
                    Some(Some(h)) => Content::describe(Some(h)),
                }
            )),
        }
    }
}

/// Every path read back through `sys` is one the oracle allows.
fn check_all(sys: &Assembly, ex: &Expect, who: &str, v: &mut Verdict) {
    let Some(t) = tree_of(sys, who, v) else {
        return;
    };
    for (k, ok) in &ex.allowed {
        let have: Option<Content> = match t.get(k) {
            None => None,
            Some(None) => {
                v.lost.push(format!("{who}: {k} does not read"));
                continue;
            }
            Some(Some(c)) => Some(c.clone()),
        };
        if !ok.contains(&have) {
            v.lost.push(format!(
                "{who}: {k}: {} (allowed: {})",
                Content::describe(have.as_ref()),
                ok.iter()
                    .map(|a| Content::describe(a.as_ref()))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ));
        }
    }
    for k in t.keys() {
        if !ex.allowed.contains_key(k) {
            v.failed.push(format!("{who}: unexpected {k}"));
        }
    }
    if let Some((c, names)) = &ex.moved {
        let under = names
            .iter()
            .filter(|n| t.get(*n) == Some(&Some(c.clone())))
            .count();
        if under != 1 {
            v.lost.push(format!(
                "{who}: the file being moved is under {under} of {names:?}"
            ));
        }
    }
}

/// verify (--repair): the mirror check, the structure check, the deferred
/// mirror findings; returns the findings repair did not correct (all of
/// them without repair) and whether any was corrected.
fn verify(sys: &Assembly, repair: bool, all: &mut Vec<String>) -> (Vec<String>, bool) {
    let opts = CheckOptions {
        repair,
        dry_run: false,
    };
    let mut left = Vec::new();
    let mut corrected = false;
    let mut sink = |f: Finding| {
        let line = format!(
            "{} {:?} {:?} {:?}: {} ({:?})",
            f.code, f.member, f.structure, f.blocks, f.problem, f.action
        );
        all.push(line.clone());
        if f.action.corrected() {
            corrected = true;
        } else {
            left.push(line);
        }
    };
    let r = check_mirrors(sys, &opts, &[], &|_| {}, &mut sink)
        .and_then(|st| check_structures(sys, &opts, &mut sink).map(|()| st))
        .and_then(|st| recheck(sys, st.deferred, &mut sink));
    if let Err(e) = r {
        left.push(format!("verify stopped: {e}"));
    }
    (left, corrected)
}

fn check_state(r: &Recording, logs: &[MemberLog], s: &State, bases: &mut Bases) -> Verdict {
    let mut v = Verdict::default();
    let ex = expect(r, done_at(r, logs, s.point));
    let mems: Vec<Arc<MemDevice>> = (0..2)
        .map(|m| {
            let w = window(r, &logs[m], s.point);
            let img = build(r, bases.get(r, m, w.synced), &w, &s.picks[m]);
            Arc::new(MemDevice::from_bytes(img).with_name(format!("m{m}")))
        })
        .collect();
    let open = |only: Option<usize>| {
        let devs: Vec<Arc<dyn Device>> = mems
            .iter()
            .enumerate()
            .filter(|(i, _)| only.is_none_or(|o| o == *i))
            .map(|(_, m)| m.clone() as Arc<dyn Device>)
            .collect();
        Assembly::open_with(devs, CacheConfig::with_capacity(8 << 20))
    };
    // As the power cut left it: it opens and the committed files read
    // back. Then (a new run, as the CLI would) verify --repair corrects
    // everything it finds.
    match open(None) {
        Ok(sys) => check_committed(&sys, &ex, "before repair", &mut v),
        Err(e) => {
            v.failed.push(format!("does not open: {e}"));
            return v;
        }
    }
    match open(None) {
        Ok(sys) => {
            let (left, corrected) = verify(&sys, true, &mut v.first);
            v.repaired = corrected;
            // A recursive remove cut short leaves a tree emptied from
            // below: never an entry whose directory is gone.
            if let Some(o) = v.first.iter().find(|f| f.starts_with("orphan-entry")) {
                v.failed.push(format!("a crash left an orphan: {o}"));
            }
            if !left.is_empty() {
                v.failed
                    .push(format!("verify --repair leaves: {}", left.join("; ")));
            }
        }
        Err(e) => v.failed.push(format!("does not open again: {e}")),
    }
    // What the repair left, as the next run sees it: verify clean, every
    // path as the oracle allows, the committed files on each member alone.
    match open(None) {
        Ok(sys) => {
            let (left, _) = verify(&sys, false, &mut Vec::new());
            if !left.is_empty() {
                v.failed
                    .push(format!("second verify not clean: {}", left.join("; ")));
            }
            check_all(&sys, &ex, "after repair", &mut v);
        }
        Err(e) => v.failed.push(format!("does not open after repair: {e}")),
    }
    for m in 0..2 {
        match open(Some(m)) {
            Ok(sys) => check_committed(&sys, &ex, &format!("member {m} alone"), &mut v),
            Err(e) => v.lost.push(format!("member {m} alone does not open: {e}")),
        }
    }
    v
}

/// Operations that had returned (with their sync) before flush point
/// `point` on every member.
fn done_at(r: &Recording, logs: &[MemberLog], point: usize) -> usize {
    let at = logs
        .iter()
        .map(|ml| {
            ml.flushes
                .get(point)
                .map_or(r.events.len(), |&j| ml.events[j])
        })
        .min()
        .unwrap_or(0);
    r.returned_at.iter().filter(|&&p| p < at).count()
}

// ---------------------------------------------------------------------------
// The campaign.

/// The campaign's tally (a state is a trial), with the workloads and
/// flush points the states came from.
#[derive(Default)]
struct Tally {
    states: campaign::Tally,
    points: u64,
    workloads: u64,
}

/// Records `ops` (workload `seed`), builds its states (as `budget` says; only
/// flush point `only_point` when given) and checks them on `threads`
/// threads.
fn campaign_workload(
    seed: u64,
    ops: Vec<Op>,
    budget: Budget,
    only_point: Option<usize>,
    threads: usize,
    tally: &mut Tally,
) {
    let r = record(seed, ops);
    let logs = member_logs(&r);
    // The members see the same sequence of flush points (the writer sends
    // every run and every sync to both): the campaign pairs them by number.
    let kinds = |ml: &MemberLog| -> Vec<String> {
        ml.flushes
            .iter()
            .map(|&j| match &r.events[ml.events[j]] {
                Recorded::Sync { .. } => "sync".to_string(),
                e => format!("durable {:?}", e.range()),
            })
            .collect()
    };
    assert_eq!(
        kinds(&logs[0]),
        kinds(&logs[1]),
        "workload {seed}: the members' flush points differ"
    );
    let points = logs[0].flushes.len() + 1;
    let mut seen = HashSet::new();
    let mut states = Vec::new();
    for point in 0..points {
        if only_point.is_some_and(|p| p != point) {
            continue;
        }
        let windows: Vec<Window> = (0..2).map(|m| window(&r, &logs[m], point)).collect();
        states.extend(states_at(&r, &windows, point, budget, &mut seen));
    }
    let states: Vec<State> = states.into_iter().step_by(budget.stride.max(1)).collect();
    let t0 = Instant::now();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, Verdict)>> = Mutex::new(Vec::new());
    std::thread::scope(|sc| {
        for _ in 0..threads {
            sc.spawn(|| {
                let mut bases = Bases::default();
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(s) = states.get(i) else { break };
                    let v = check_state(&r, &logs, s, &mut bases);
                    results.lock().unwrap().push((i, v));
                }
            });
        }
    });
    println!(
        "workload {seed}: {} events, {points} flush points, {} states in {:.1} s",
        r.events.len(),
        states.len(),
        t0.elapsed().as_secs_f64()
    );
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|x| x.0);
    for (i, v) in results {
        let s = &states[i];
        tally.states.repaired += u64::from(v.repaired);
        let failing = !v.lost.is_empty() || !v.failed.is_empty();
        let done = done_at(&r, &logs, s.point);
        let what = format!(
            "workload={seed} point={} (after {done} ops; in flight: {}) member0={} member1={}",
            s.point,
            r.ops.get(done).map_or("nothing".into(), |o| o.label()),
            s.picks[0].describe(),
            s.picks[1].describe()
        );
        Outcome {
            lost: v.lost,
            failed: v.failed,
            repaired: None,
        }
        .record(&mut tally.states, &what);
        if !failing {
            continue;
        }
        for f in &v.first {
            println!("  first verify --repair: {f}");
        }
        for (m, ml) in logs.iter().enumerate() {
            let w = window(&r, ml, s.point);
            let desc: Vec<String> = w
                .tail
                .iter()
                .map(|&(p, fl)| {
                    let (o, l) = r.events[p].range().unwrap_or((0, 0));
                    format!("{}{o}+{l}", if fl { "" } else { "durable " })
                })
                .collect();
            println!(
                "  member {m} writes since its last sync: {}",
                desc.join(", ")
            );
        }
    }
    tally.points += points as u64;
    tally.workloads += 1;
}

fn threads() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get())
}

#[test]
#[ignore = "crash-state campaign: run with --ignored (tests/fault_campaign.sh)"]
fn crash_state_campaign() {
    let started = Instant::now();
    let want: u64 = std::env::var("CRASH_STATES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000);
    let only: Option<(u64, usize)> = std::env::var("CRASH_ONLY").ok().and_then(|s| {
        let (a, b) = s.split_once(':')?;
        Some((a.parse().ok()?, b.parse().ok()?))
    });
    let budget = Budget {
        pairs: 400,
        tears: 10,
        random: 24,
        stride: 1,
    };
    let mut tally = Tally::default();
    match only {
        Some((seed, point)) => campaign_workload(
            seed,
            workload_for(seed),
            budget,
            Some(point),
            threads(),
            &mut tally,
        ),
        None => {
            let mut seed = 1;
            while tally.states.trials < want {
                campaign_workload(
                    seed,
                    workload_for(seed),
                    budget,
                    None,
                    threads(),
                    &mut tally,
                );
                seed += 1;
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "crash states: {} workloads, {} flush points, {} states, {:.0} states/s on {} threads",
        tally.workloads,
        tally.points,
        tally.states.trials,
        tally.states.trials as f64 / secs,
        threads()
    );
    tally.states.print("crash", started);
    assert_eq!(
        tally.states.lost + tally.states.failures,
        0,
        "see the lines above"
    );
}

/// A few crash states of one workload, in the default run: of the states
/// the campaign builds with small budgets (prefix pairs, one tear per
/// write), every sixth.
#[test]
fn crash_states_smoke() {
    let budget = Budget {
        pairs: 4,
        tears: 1,
        random: 0,
        stride: 6,
    };
    let mut tally = Tally::default();
    campaign_workload(7, workload(7), budget, None, 2, &mut tally);
    assert!(tally.points > 20, "only {} flush points", tally.points);
    assert!(
        tally.states.trials >= 100,
        "only {} states",
        tally.states.trials
    );
    assert_eq!(
        tally.states.lost + tally.states.failures,
        0,
        "see the lines above"
    );
}

/// A few crash states of a tree workload (put -r in several commits, a
/// put -r over it, mv and rm -r of the tree), in the default run.
#[test]
fn crash_states_smoke_trees() {
    let budget = Budget {
        pairs: 4,
        tears: 1,
        random: 0,
        stride: 8,
    };
    let mut tally = Tally::default();
    campaign_workload(3, workload_for(3), budget, None, 2, &mut tally);
    assert!(tally.points > 10, "only {} flush points", tally.points);
    assert_eq!(
        tally.states.lost + tally.states.failures,
        0,
        "see the lines above"
    );
}

/// A regression the campaign found: a directory table block that reached
/// one member only, its copy on neither. The mirror repair rewrites the
/// stale member's table block from the other; the structure check after
/// it must see that (not a copy cached before the repair), so that one
/// verify --repair leaves the table and its copy equal. Either member may
/// be the stale one (reads are balanced between them).
#[test]
fn one_verify_repair_fixes_a_directory_write_that_reached_one_member() {
    let mems = crate::support::engine::formatted(&[MEMBER_BYTES, MEMBER_BYTES], None);
    let before: Vec<Vec<u8>> = mems.iter().map(|m| m.snapshot()).collect();
    let (table, copy, bs) = {
        let devs: Vec<Arc<dyn Device>> =
            mems.iter().map(|m| m.clone() as Arc<dyn Device>).collect();
        let sys = Assembly::open_with(devs, quiet_cache()).unwrap();
        let mut v = OpenVolume::from_assembly(&sys, "SYS", OpenMode::Write).unwrap();
        v.mkdir(ROOT_ID, "Sub", times()).unwrap();
        v.sync().unwrap();
        let at = |b: u32| {
            let start = sys.groups[0].members[0].partition.logical_start_byte();
            (start + v.vol.block_location(b).unwrap().1) as usize
        };
        let t = at(v.table().blocks()[0]);
        let c = at(v.table().copy_blocks().expect("a table copy")[0]);
        (t, c, v.vol.block_size as usize)
    };
    let after: Vec<Vec<u8>> = mems.iter().map(|m| m.snapshot()).collect();
    for stale in 0..2 {
        let mut imgs = after.clone();
        for m in 0..2 {
            imgs[m][copy..copy + bs].copy_from_slice(&before[m][copy..copy + bs]);
        }
        imgs[stale][table..table + bs].copy_from_slice(&before[stale][table..table + bs]);
        let mems: Vec<Arc<MemDevice>> = imgs
            .into_iter()
            .enumerate()
            .map(|(i, b)| Arc::new(MemDevice::from_bytes(b).with_name(format!("m{i}"))))
            .collect();
        let open = || {
            let devs: Vec<Arc<dyn Device>> =
                mems.iter().map(|m| m.clone() as Arc<dyn Device>).collect();
            Assembly::open_with(devs, CacheConfig::with_capacity(8 << 20)).unwrap()
        };
        let mut found = Vec::new();
        let (left, corrected) = verify(&open(), true, &mut found);
        assert!(
            left.is_empty(),
            "member {stale} stale: repair leaves {left:?}"
        );
        assert!(corrected, "member {stale} stale: nothing found");
        let sys = open();
        let (left, _) = verify(&sys, false, &mut Vec::new());
        assert!(
            left.is_empty(),
            "member {stale} stale: after {found:?}, the second verify finds {left:?}"
        );
        let v = OpenVolume::from_assembly(&sys, "SYS", OpenMode::ReadOnly).unwrap();
        assert!(
            tree(&v).contains_key("SYS:/SUB"),
            "member {stale} stale: SUB is gone"
        );
    }
}

/// Log position of the first write of `member` that put `want` at device
/// byte `at`.
fn first_write_of(ev: &[Recorded], member: usize, at: u64, want: &[u8]) -> Option<usize> {
    ev.iter().position(|e| match e {
        Recorded::Write {
            member: m,
            offset,
            data,
            ..
        } if *m == member
            && *offset <= at
            && at + want.len() as u64 <= offset + data.len() as u64 =>
        {
            let i = (at - offset) as usize;
            &data[i..i + want.len()] == want
        }
        _ => false,
    })
}

/// A regression the campaign found (the file left under its alias after a
/// crash): on every member, a long name's records are durable (a sync)
/// before its entry is written, when a file is created and when it is
/// renamed.
#[test]
fn long_name_records_are_durable_before_their_entry() {
    let mems = crate::support::engine::formatted(&[MEMBER_BYTES, MEMBER_BYTES], None);
    let rec = Recorder::new();
    let devs: Vec<Arc<dyn Device>> = mems
        .iter()
        .map(|m| Arc::new(RecordingDevice::new(m.clone(), &rec)) as Arc<dyn Device>)
        .collect();
    let sys = Assembly::open_with(devs, quiet_cache()).unwrap();
    let mut v = OpenVolume::from_assembly(&sys, "SYS", OpenMode::Write).unwrap();
    let start = sys.groups[0].members[0].partition.logical_start_byte();
    let table = v.table().blocks().to_vec();
    let bs = u64::from(v.vol.block_size);
    let slot_at = |v: &OpenVolume, idx: u32| {
        let per = bs / 128;
        let b = table[(u64::from(idx) / per) as usize];
        start + v.vol.block_location(b).unwrap().1 + u64::from(idx) % per * 128
    };
    let data = Rng(3).bytes(3000);
    let steps = [
        Op::Put("SYS:/A file with a long name.txt".into(), data),
        Op::Mv(
            "SYS:/A file with a long name.txt".into(),
            "SYS:/Renamed with another long name.txt".into(),
        ),
    ];
    for op in &steps {
        rec.clear();
        run_op(&mut v, op).unwrap();
        let path = match op {
            Op::Put(p, _) => p,
            Op::Mv(_, p) => p,
            _ => unreachable!(),
        };
        let Target::Entry(idx) = v.resolve(&NwPath::parse(path).unwrap()).unwrap() else {
            panic!("{path} is the root")
        };
        let node = v.index().get(idx).unwrap().clone();
        assert!(!node.long_slots.is_empty(), "{path}: no long-name records");
        let ev = rec.events();
        for (m, mem) in mems.iter().enumerate() {
            let img = mem.snapshot();
            let bytes = |idx: u32| {
                let at = slot_at(&v, idx);
                (at, img[at as usize..at as usize + 128].to_vec())
            };
            let (at, want) = bytes(idx);
            let entry = first_write_of(&ev, m, at, &want)
                .unwrap_or_else(|| panic!("{path}: member {m} never got its entry"));
            for &s in &node.long_slots {
                let (at, want) = bytes(s);
                let record = first_write_of(&ev, m, at, &want)
                    .unwrap_or_else(|| panic!("{path}: member {m} never got record {s}"));
                assert!(
                    ev[record..entry].contains(&Recorded::Sync { member: m }),
                    "{}: member {m}: record {s} (event {record}) is not synced before the entry (event {entry})",
                    op.label()
                );
            }
        }
    }
}
