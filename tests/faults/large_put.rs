//! A member lost during a 1 GiB mirrored put (issue 15): not in the
//! default run.
//!
//!     cargo test --release --test faults -- --ignored --nocapture large_put::
//!
//! A 2-way mirror; a 1 GiB file streams into `nwvol put` through standard
//! input and one member fails part way:
//!
//! - `enospc`: the member sits on a small tmpfs (an image file, or a loop
//!   device over one) that fills up: its writes fail;
//! - `truncated`: the member's image file is cut to 10 MiB by another
//!   program while the put writes it;
//! - `killed`: the put itself is SIGKILLed part way;
//! - `bothfull`: both members on the tmpfs: no member can take the file;
//! - `emptied`: the member's image file is cut to 0 bytes while the put
//!   writes it;
//! - `stranger`: the member's image file is replaced (renamed over) by a
//!   freshly formatted image of another volume set;
//! - `rotted`: bytes of KEEP.BIN's blocks on one member's image (member 0
//!   or 1 by the seed) are overwritten with garbage.
//!
//! What a user checks: either the put succeeds with a warning naming the
//! member and `nwvol mirror resume`, `get` of the file compares equal to
//! the source (`cmp`), `mirror status` shows the member out of sync,
//! `verify` of the degraded set finds nothing but that member (exit 4,
//! README: a member left out of sync is a finding left), and `mirror
//! resume` makes a verify of both members exit 0 and the file read back
//! from each member alone; or the put fails with one error line and the
//! volume holds no part of the file. A file put before the fault reads
//! back throughout. An emptied or replaced member is left out with a
//! warning by every command that names it, `mirror resume` refuses it
//! naming `nwvol mirror add`, and `mirror add` of it (an emptied image is
//! first given its length back with `truncate -s`, as the add says) makes
//! a verify of both exit 0. A rotted member: KEEP.BIN reads back right with both
//! named (the good copy; a warning naming the member and `nwvol verify
//! --repair` when the rotted copy was the one read), from it alone the
//! read fails naming the file, and `verify --repair` rewrites it. One `campaign:` line (kind `put1g`);
//! `FAULT_LARGE_TRIALS=<n>` sets the trials per fault (default 2),
//! `FAULT_LARGE_KINDS=emptied,rotted` runs only the faults named,
//! `FAULT_SEED=<seed>` reruns one.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

use crate::support::campaign::{Outcome, Rng, Tally, env_u64, only_seed};
use crate::support::{LoopDev, Tmpfs, nwvol};

const MIB: u64 = 1 << 20;
/// The file put: 1 GiB.
const FILE_MIB: u64 = 1024;
/// Each member's partition: the file, its FAT and checksums, room to spare.
const IMAGE: u64 = 1280 * MIB;

/// A fault and the MiB of input after which it strikes; it gets the
/// put's process ID.
type Injection<'a> = (u64, Box<dyn FnOnce(u32) + 'a>);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    Enospc,
    Truncated,
    Killed,
    BothFull,
    Emptied,
    Stranger,
    Rotted,
}

/// The mirror and what it should hold. Fields drop in order: loop
/// devices, the tmpfs, then the directory.
struct Rig {
    loops: Vec<LoopDev>,
    tmpfs: Option<Tmpfs>,
    dir: tempfile::TempDir,
    members: Vec<PathBuf>,
    /// KEEP.BIN, put before the fault.
    keep: Vec<u8>,
    /// The 1 GiB source file.
    src: PathBuf,
}

fn arg(p: &Path) -> String {
    p.display().to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn brief(o: &Output) -> String {
    format!(
        "exit {:?}: {}",
        o.status.code(),
        stderr(o).lines().last().unwrap_or("")
    )
}

impl Rig {
    /// `on_tmpfs`: the members placed on a tmpfs of `tmpfs_size` bytes
    /// (`via_loop`: member 1 through a loop device over its file). None
    /// (the reason printed) where tmpfs or loop devices are not allowed.
    fn new(on_tmpfs: &[usize], tmpfs_size: u64, via_loop: bool, seed: u64) -> Option<Rig> {
        let dir = tempfile::tempdir().unwrap();
        let tmpfs = if on_tmpfs.is_empty() {
            None
        } else {
            Some(Tmpfs::mount(&dir.path().join("small"), tmpfs_size)?)
        };
        let mut loops = Vec::new();
        let mut members = Vec::new();
        for i in 0..2 {
            let name = format!("m{i}.img");
            let Some(t) = tmpfs.as_ref().filter(|_| on_tmpfs.contains(&i)) else {
                members.push(dir.path().join(name));
                continue;
            };
            let file = t.dir.join(name);
            if via_loop {
                std::fs::File::create(&file)
                    .unwrap()
                    .set_len(IMAGE)
                    .unwrap();
                let lo = LoopDev::attach_with(&file, &["--direct-io=on"])?;
                members.push(lo.path.clone());
                loops.push(lo);
            } else {
                members.push(file);
            }
        }
        let src = dir.path().join("src.bin");
        let rig = Rig {
            loops,
            tmpfs,
            dir,
            members,
            keep: Rng(seed ^ 0x4b45_4550).bytes((MIB + 12345) as usize),
            src,
        };
        let mut f: Vec<String> = ["format", "-q", "--size", &IMAGE.to_string(), "--mirror"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        f.extend(rig.members.iter().map(|m| arg(m)));
        let o = rig.run(&f);
        assert!(o.status.success(), "format: {}", stderr(&o));
        let keep = rig.keep.clone();
        let o = rig.put_stdin("SYS:/KEEP.BIN", &mut keep.as_slice(), None);
        assert!(o.status.success(), "put KEEP.BIN: {}", stderr(&o));
        // The source, written once: what `cmp` compares against.
        let mut rng = Rng(seed);
        let mut w = std::io::BufWriter::new(std::fs::File::create(&rig.src).unwrap());
        for _ in 0..FILE_MIB {
            w.write_all(&rng.bytes(MIB as usize)).unwrap();
        }
        w.flush().unwrap();
        Some(rig)
    }

    /// `words -d m0 -d m1 rest`, or with `alone` only that member.
    fn args(&self, words: &[&str], alone: Option<&Path>, rest: &[&str]) -> Vec<String> {
        let mut a: Vec<String> = words.iter().map(|s| s.to_string()).collect();
        let all: Vec<&Path> = match alone {
            Some(m) => vec![m],
            None => self.members.iter().map(|m| m.as_path()).collect(),
        };
        for m in all {
            a.push("-d".into());
            a.push(arg(m));
        }
        a.extend(rest.iter().map(|s| s.to_string()));
        a
    }

    fn run(&self, args: &[String]) -> Output {
        let o = nwvol().args(args).output().expect("run nwvol");
        assert!(!stderr(&o).contains("panicked"), "{args:?}: {}", stderr(&o));
        o
    }

    /// Streams `input` into `put - name`; `fault` runs once `at` MiB have
    /// gone in (the put is writing then). A put that stops reading ends
    /// the stream.
    fn put_stdin(
        &self,
        name: &str,
        input: &mut dyn Read,
        mut fault: Option<Injection<'_>>,
    ) -> Output {
        let mut child = nwvol()
            .args(self.args(&["put"], None, &["-", name]))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut pipe = child.stdin.take().unwrap();
        let mut buf = vec![0u8; MIB as usize];
        let mut sent = 0u64;
        loop {
            if let Some((at, _)) = &fault
                && sent == *at
            {
                pipe.flush().unwrap();
                let (_, f) = fault.take().unwrap();
                f(child.id());
            }
            let n = input.read(&mut buf).unwrap();
            if n == 0 || pipe.write_all(&buf[..n]).is_err() {
                break;
            }
            sent += 1;
        }
        drop(pipe);
        child.wait_with_output().unwrap()
    }

    /// Member states from `mirror status --json`, in slot order.
    fn states(&self) -> Vec<String> {
        let o = self.run(&self.args(&["mirror", "status", "--json"], None, &[]));
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(&o.stdout) else {
            return vec![format!("mirror status: {}", brief(&o))];
        };
        v["groups"][0]["members"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|m| m["state"].as_str().unwrap_or("?").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// verify's exit code and its findings (code, member, problem).
    fn verify(&self, extra: &[&str], alone: Option<&Path>) -> (Option<i32>, Vec<String>) {
        let mut w = vec!["verify", "--json"];
        w.extend_from_slice(extra);
        let o = self.run(&self.args(&w, alone, &[]));
        let found = String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["type"] == "finding")
            .map(|v| {
                format!(
                    "{} member={} ({})",
                    v["code"].as_str().unwrap_or("?"),
                    v["member"].as_str().unwrap_or("-"),
                    v["problem"].as_str().unwrap_or("?")
                )
            })
            .collect();
        (o.status.code(), found)
    }

    /// Drops the kernel's cached blocks of the loop devices: reads see
    /// what reached the backing file.
    fn drop_caches(&self) {
        for l in &self.loops {
            let _ = Command::new("blockdev")
                .arg("--flushbufs")
                .arg(&l.path)
                .status();
        }
    }

    /// `get` of `name` (from both members, or `alone`) compared with `cmp`
    /// against `want`; a difference is lost data.
    fn get_cmp(&self, name: &str, want: &Path, alone: Option<&Path>, out: &mut Outcome) {
        self.drop_caches();
        let who = alone.map_or("both members".into(), arg);
        let dest = self.dir.path().join("back.bin");
        let _ = std::fs::remove_file(&dest);
        let o = self.run(&self.args(&["get", "-q"], alone, &[name, &arg(&dest)]));
        if !o.status.success() {
            out.lose(format!("{who}: get {name}: {}", brief(&o)));
            return;
        }
        let c = Command::new("cmp").arg(want).arg(&dest).output().unwrap();
        if !c.status.success() {
            out.lose(format!(
                "{who}: {name} differs: {}",
                String::from_utf8_lossy(&c.stdout).trim()
            ));
        }
        let _ = std::fs::remove_file(&dest);
    }

    /// KEEP.BIN, put before the fault, reads back.
    fn check_keep(&self, alone: Option<&Path>, out: &mut Outcome) {
        let keep = self.dir.path().join("keep.bin");
        std::fs::write(&keep, &self.keep).unwrap();
        self.get_cmp("SYS:/KEEP.BIN", &keep, alone, out);
    }

    /// True when `stat` finds `name`.
    fn exists(&self, name: &str) -> bool {
        self.run(&self.args(&["stat"], None, &[name]))
            .status
            .success()
    }

    /// The byte ranges of member `m`'s image that hold KEEP.BIN's whole
    /// sectors, as (image offset, sectors) runs: found by content (the
    /// file is random, each sector is unique).
    fn keep_runs(&self, m: usize) -> Vec<(u64, u64)> {
        use std::collections::HashMap;
        use std::os::unix::fs::FileExt;
        const S: usize = 512;
        let first8 = |b: &[u8]| u64::from_le_bytes(b[..8].try_into().unwrap());
        let index: HashMap<u64, usize> = self
            .keep
            .chunks_exact(S)
            .enumerate()
            .map(|(i, c)| (first8(c), i))
            .collect();
        let f = std::fs::File::open(&self.members[m]).unwrap();
        let len = f.metadata().unwrap().len();
        let mut buf = vec![0u8; 4 * MIB as usize];
        let mut runs: Vec<(u64, u64)> = Vec::new();
        // The sector of KEEP.BIN the last run ends before.
        let mut next: Option<usize> = None;
        let mut off = 0u64;
        while off < len {
            let n = buf.len().min((len - off) as usize);
            f.read_exact_at(&mut buf[..n], off).unwrap();
            for (j, c) in buf[..n].chunks_exact(S).enumerate() {
                let at = off + (j * S) as u64;
                let hit = index
                    .get(&first8(c))
                    .filter(|&&i| self.keep[i * S..(i + 1) * S] == *c);
                match (hit, runs.last_mut()) {
                    (Some(&i), Some(r)) if next == Some(i) && r.0 + r.1 * S as u64 == at => {
                        r.1 += 1;
                        next = Some(i + 1);
                    }
                    (Some(&i), _) => {
                        runs.push((at, 1));
                        next = Some(i + 1);
                    }
                    (None, _) => next = None,
                }
            }
            off += n as u64;
        }
        runs
    }
}

/// The put succeeded with member 1 lost: the warning, the state, the file
/// from the survivor, a degraded verify; then resume and a clean verify.
fn degraded_then_resumed(rig: &Rig, put: &Output, out: &mut Outcome) {
    let m1 = arg(&rig.members[1]);
    let warned: Vec<String> = stderr(put)
        .lines()
        .filter(|l| l.starts_with("nwvol: warning:"))
        .map(String::from)
        .collect();
    if !warned
        .iter()
        .any(|w| w.contains(&m1) && w.contains("out of sync") && w.contains("nwvol mirror resume"))
    {
        out.fail(format!("no warning naming {m1}: {:?}", stderr(put)));
    }
    let st = rig.states();
    if st != ["in sync", "out of sync"] {
        out.fail(format!("mirror status after the put: {st:?}"));
    }
    let src = rig.src.clone();
    rig.get_cmp("SYS:/BIG.BIN", &src, None, out);
    rig.get_cmp("SYS:/BIG.BIN", &src, Some(&rig.members[0]), out);
    rig.check_keep(None, out);
    // The degraded set: nothing found but the member left out of sync.
    let (code, found) = rig.verify(&[], None);
    let others: Vec<&String> = found
        .iter()
        .filter(|f| !f.starts_with("member-not-in-sync") && !f.starts_with("member-truncated"))
        .collect();
    if code != Some(4) || found.is_empty() || !others.is_empty() {
        out.fail(format!("verify while degraded: exit {code:?}: {found:?}"));
    }
    if let Some(t) = &rig.tmpfs {
        t.resize(2 * IMAGE + 16 * MIB);
    }
    let o = rig.run(&rig.args(&["mirror", "resume", "-q"], None, &[]));
    if !o.status.success() {
        out.fail(format!("mirror resume: {}", brief(&o)));
        return;
    }
    rig.drop_caches();
    let (code, found) = rig.verify(&[], None);
    if code != Some(0) {
        // The loop driver may drop the tail of a request the tmpfs cut
        // short with no error (see enospc.rs): only a compare finds it,
        // and verify --repair must then fix it from member 0.
        let (rcode, rfound) = rig.verify(&["--repair"], None);
        let on_m1 = rfound.iter().all(|f| f.contains(&format!("member={m1} ")));
        if rig.loops.is_empty() || rcode != Some(1) || !on_m1 {
            out.fail(format!(
                "verify after resume: exit {code:?}: {found:?}; --repair: exit {rcode:?}: {rfound:?}"
            ));
        } else {
            out.repaired = Some(format!("lost in the loop driver: {}", rfound.join("; ")));
        }
        let (code, found) = rig.verify(&[], None);
        if code != Some(0) {
            out.fail(format!("second verify: exit {code:?}: {found:?}"));
        }
    }
    let st = rig.states();
    if st != ["in sync", "in sync"] {
        out.fail(format!("mirror status after resume: {st:?}"));
    }
    rig.get_cmp("SYS:/BIG.BIN", &src, Some(&rig.members[1]), out);
    rig.check_keep(Some(&rig.members[1]), out);
}

/// The put failed: one error line, no part of the file on the volume, the
/// file put before intact; resume and verify --repair leave a clean set.
fn failed_and_nothing_left(rig: &Rig, put: &Output, killed: bool, out: &mut Outcome) {
    if !killed {
        let err = stderr(put);
        let lines: Vec<&str> = err
            .lines()
            .filter(|l| !l.starts_with("nwvol: warning:"))
            .collect();
        if put.status.code() != Some(1) || lines.len() != 1 || !lines[0].starts_with("nwvol: ") {
            out.fail(format!("the put that failed: {}: {err:?}", brief(put)));
        }
    }
    if rig.exists("SYS:/BIG.BIN") {
        out.fail("the put that failed left SYS:/BIG.BIN on the volume");
    }
    rig.check_keep(None, out);
    if let Some(t) = &rig.tmpfs {
        t.resize(2 * IMAGE + 16 * MIB);
    }
    let o = rig.run(&rig.args(&["mirror", "resume", "-q"], None, &[]));
    if !o.status.success() && !stderr(&o).contains("no member needs") {
        out.fail(format!("mirror resume: {}", brief(&o)));
    }
    let (code, found) = rig.verify(&["--repair"], None);
    match code {
        Some(0) => {}
        Some(1) => out.repaired = Some(found.join("; ")),
        _ => out.fail(format!("verify --repair: exit {code:?}: {found:?}")),
    }
    let (code, found) = rig.verify(&[], None);
    if code != Some(0) {
        out.fail(format!("second verify: exit {code:?}: {found:?}"));
    }
    if rig.exists("SYS:/BIG.BIN") {
        out.fail("SYS:/BIG.BIN appeared after the repair");
    }
    for m in &rig.members {
        rig.check_keep(Some(m), out);
    }
}

/// Warning lines (`nwvol: warning:`) of `o` that name `dev`.
fn warnings_naming(o: &Output, dev: &str) -> Vec<String> {
    stderr(o)
        .lines()
        .filter(|l| l.starts_with("nwvol: warning:") && l.contains(dev))
        .map(String::from)
        .collect()
}

/// Member 1 emptied or replaced by a stranger during the put: the put
/// either completed (BIG.BIN whole on member 0) or failed leaving nothing;
/// every command with both named warns that member 1 is left out; `mirror
/// resume` refuses it naming `nwvol mirror add`; the add (after `truncate
/// -s` when it says the image is too small, with --force when it says the
/// device holds something) makes a verify exit 0.
fn left_out_then_added(rig: &Rig, put: &Output, out: &mut Outcome) {
    let m1 = arg(&rig.members[1]);
    let src = rig.src.clone();
    let put_ok = put.status.success();
    if put_ok {
        // The put saw member 1 shrink (emptied) or its path name another
        // file (replaced) at a sync, gave it up and said so.
        let warned = warnings_naming(put, &m1);
        if !warned
            .iter()
            .any(|w| w.contains("out of sync") && w.contains("nwvol mirror resume"))
        {
            out.fail(format!("no warning naming {m1}: {:?}", stderr(put)));
        }
        rig.get_cmp("SYS:/BIG.BIN", &src, None, out);
        rig.get_cmp("SYS:/BIG.BIN", &src, Some(&rig.members[0]), out);
    } else {
        out.fail(format!("the put failed: {}", brief(put)));
        if rig.exists("SYS:/BIG.BIN") {
            out.fail("the put that failed left SYS:/BIG.BIN on the volume");
        }
    }
    // Any command with both named: one warning naming member 1.
    let o = rig.run(&rig.args(&["stat"], None, &["SYS:/KEEP.BIN"]));
    let warned = warnings_naming(&o, &m1);
    if !o.status.success() || warned.len() != 1 || !warned[0].contains("left out") {
        out.fail(format!(
            "stat with both named: {}: {:?}",
            brief(&o),
            stderr(&o)
        ));
    }
    rig.check_keep(None, out);
    rig.check_keep(Some(&rig.members[0]), out);
    // README: exit 4 when a device given could not serve and was left out.
    let o = rig.run(&rig.args(&["verify", "--repair"], None, &[]));
    if o.status.code() != Some(4)
        || !stderr(&o).contains(&m1)
        || !stderr(&o).contains("nwvol mirror add")
    {
        out.fail(format!(
            "verify --repair while left out: {}: {:?}",
            brief(&o),
            stderr(&o)
        ));
    }
    // Resume cannot bring back a device that does not assemble: it says to
    // add it again.
    let o = rig.run(&rig.args(&["mirror", "resume", "-q"], None, &[]));
    let e = stderr(&o);
    if o.status.success()
        || !e
            .lines()
            .any(|l| l.contains(&m1) && l.contains("nwvol mirror add"))
    {
        out.fail(format!(
            "mirror resume of a left-out member: {}: {e:?}",
            brief(&o)
        ));
    }
    let add = |force: bool| {
        let mut w = vec!["mirror", "add", "-q"];
        if force {
            w.push("--force");
        }
        rig.run(&rig.args(&w, Some(&rig.members[0]), &[&m1]))
    };
    let mut o = add(false);
    if !o.status.success() && stderr(&o).contains("too small") {
        // Emptied: the file grew back only as far as the put wrote; the
        // add says how to give it its length, as the user then does.
        if !stderr(&o).contains("truncate -s") {
            out.fail(format!("mirror add of a short image: {}", brief(&o)));
        }
        println!("  mirror add of the short image: {}", brief(&o));
        std::fs::OpenOptions::new()
            .write(true)
            .open(&rig.members[1])
            .unwrap()
            .set_len(IMAGE)
            .unwrap();
        o = add(false);
    }
    if !o.status.success() {
        // Refused: it must say what the device holds and name --force.
        if !stderr(&o).contains("--force") {
            out.fail(format!(
                "mirror add refused without naming --force: {}",
                brief(&o)
            ));
        }
        println!("  mirror add without --force: {}", brief(&o));
        o = add(true);
    }
    if !o.status.success() {
        out.fail(format!("mirror add: {}", brief(&o)));
        return;
    }
    let (code, found) = rig.verify(&[], None);
    if code != Some(0) {
        out.fail(format!("verify after mirror add: exit {code:?}: {found:?}"));
    }
    let st = rig.states();
    if st != ["in sync", "in sync"] {
        out.fail(format!("mirror status after mirror add: {st:?}"));
    }
    if put_ok {
        rig.get_cmp("SYS:/BIG.BIN", &src, Some(&rig.members[1]), out);
    }
    rig.check_keep(Some(&rig.members[1]), out);
}

/// KEEP.BIN rotted on member `bad` during the put: the put is untouched;
/// reads with both named return the good copy (member 0 rotted: the read,
/// which goes to member 0 first for KEEP.BIN, finds the bad copy, heals from member 1 and warns once naming
/// member 0 and `nwvol verify --repair`; member 1 rotted: the good copy is
/// read first, nothing to say); the rotted member alone refuses the file
/// (exit 1, the file named, no bad bytes out), the other alone serves it;
/// `verify --repair` rewrites the rot (exit 1), then resume has nothing to
/// do and a verify exits 0.
fn rotted_then_repaired(rig: &Rig, put: &Output, bad: usize, out: &mut Outcome) {
    let (mb, good) = (arg(&rig.members[bad]), &rig.members[1 - bad]);
    let src = rig.src.clone();
    if !put.status.success() {
        out.fail(format!("the put failed: {}", brief(put)));
    } else {
        rig.get_cmp("SYS:/BIG.BIN", &src, None, out);
        rig.get_cmp("SYS:/BIG.BIN", &src, Some(good), out);
    }
    let o = rig.run(&rig.args(&["cat"], None, &["SYS:/KEEP.BIN"]));
    if !o.status.success() || o.stdout != rig.keep {
        out.lose(format!("cat KEEP.BIN with both named: {}", brief(&o)));
    }
    let warned: Vec<String> = stderr(&o)
        .lines()
        .filter(|l| l.starts_with("nwvol: warning:"))
        .map(String::from)
        .collect();
    let want = usize::from(bad == 0);
    if warned.len() != want
        || !warned
            .iter()
            .all(|w| w.contains(&mb) && w.contains("nwvol verify --repair"))
    {
        out.fail(format!("cat of the rotted file: warnings {warned:?}"));
    }
    rig.check_keep(None, out);
    rig.check_keep(Some(good), out);
    let o = rig.run(&rig.args(&["cat"], Some(&rig.members[bad]), &["SYS:/KEEP.BIN"]));
    let e = stderr(&o);
    if o.status.code() != Some(1) || !e.contains("KEEP.BIN") || !rig.keep.starts_with(&o.stdout) {
        out.fail(format!(
            "cat from the rotted member alone: {}: {e:?}",
            brief(&o)
        ));
    }
    let (code, found) = rig.verify(&["--repair"], None);
    if code != Some(1)
        || found.is_empty()
        || !found.iter().all(|f| f.contains(&format!("member={mb} ")))
    {
        out.fail(format!(
            "verify --repair of the rot: exit {code:?}: {found:?}"
        ));
    } else {
        out.repaired = Some(found.join("; "));
    }
    let o = rig.run(&rig.args(&["mirror", "resume", "-q"], None, &[]));
    if !o.status.success() && !stderr(&o).contains("no member needs") {
        out.fail(format!("mirror resume: {}", brief(&o)));
    }
    let (code, found) = rig.verify(&[], None);
    if code != Some(0) {
        out.fail(format!("second verify: exit {code:?}: {found:?}"));
    }
    rig.check_keep(Some(&rig.members[bad]), out);
    if put.status.success() {
        rig.get_cmp("SYS:/BIG.BIN", &src, Some(&rig.members[bad]), out);
    }
}

/// One trial; None when the machine allows no tmpfs or loop device.
fn trial(fault: Fault, seed: u64) -> Option<Outcome> {
    let mut rng = Rng(seed);
    let mut out = Outcome::default();
    let via_loop = fault == Fault::Enospc && seed % 2 == 1;
    let (on_tmpfs, tmpfs_size): (&[usize], u64) = match fault {
        // Room for part of the file on the member that fills.
        Fault::Enospc => (&[1], rng.range(128, 896) * MIB),
        // Never room for both copies of the file.
        Fault::BothFull => (&[0, 1], rng.range(256, 1792) * MIB),
        _ => (&[], 0),
    };
    let rig = Rig::new(on_tmpfs, tmpfs_size, via_loop, seed)?;
    println!(
        "trial {fault:?} seed={seed} tmpfs={} MiB loop={via_loop}",
        tmpfs_size / MIB
    );
    let at = rng.range(FILE_MIB / 10, FILE_MIB * 9 / 10);
    let mut src = std::fs::File::open(&rig.src).unwrap();
    let m1 = rig.members[1].clone();
    let fault_fn: Option<Injection<'_>> = match fault {
        Fault::Truncated => Some((
            at,
            Box::new(move |_| {
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&m1)
                    .unwrap()
                    .set_len(10 * MIB)
                    .unwrap();
            }),
        )),
        Fault::Emptied => Some((
            at,
            Box::new(move |_| {
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&m1)
                    .unwrap()
                    .set_len(0)
                    .unwrap();
            }),
        )),
        Fault::Stranger => {
            // Formatted before the put: the rename is the only thing done
            // while it runs.
            let st = rig.dir.path().join("stranger.img");
            let o = rig.run(&[
                "format".into(),
                "-q".into(),
                "--size".into(),
                IMAGE.to_string(),
                arg(&st),
            ]);
            assert!(o.status.success(), "format the stranger: {}", stderr(&o));
            Some((at, Box::new(move |_| std::fs::rename(&st, &m1).unwrap())))
        }
        Fault::Rotted => {
            use std::os::unix::fs::FileExt;
            // Reads go to the members by 64 MiB stretches of the volume,
            // the first to member 0: KEEP.BIN, put first, lies in it, so
            // member 0's rot takes the healing path, member 1's is never
            // read until verify.
            let bad = (seed % 2) as usize;
            let m = rig.members[bad].clone();
            let runs = rig.keep_runs(bad);
            let sectors: u64 = runs.iter().map(|r| r.1).sum();
            assert!(
                sectors >= rig.keep.len() as u64 / 512,
                "KEEP.BIN not found whole on {}: {runs:?}",
                arg(&m)
            );
            let (start, n) = runs[rng.range(0, runs.len() as u64 - 1) as usize];
            let first = rng.range(0, n - 1);
            let count = rng.range(1, (n - first).min(128));
            let garbage = rng.bytes(count as usize * 512);
            let off = start + first * 512;
            println!("  rot: {} bytes at {off} of {}", garbage.len(), arg(&m));
            Some((
                at,
                Box::new(move |_| {
                    let f = std::fs::OpenOptions::new().write(true).open(&m).unwrap();
                    f.write_all_at(&garbage, off).unwrap();
                    f.sync_data().unwrap();
                }),
            ))
        }
        Fault::Killed => Some((
            at,
            Box::new(|pid| {
                // SAFETY: kill(2) of our own child.
                unsafe {
                    libc::kill(pid as i32, libc::SIGKILL);
                }
            }),
        )),
        _ => None,
    };
    let put = rig.put_stdin("SYS:/BIG.BIN", &mut src, fault_fn);
    match (fault, put.status.success()) {
        (Fault::Killed, true) => out.fail("the put survived its SIGKILL"),
        (Fault::Killed, false) => failed_and_nothing_left(&rig, &put, true, &mut out),
        (Fault::BothFull, true) => out.fail(format!("the put fit in {} MiB", tmpfs_size / MIB)),
        (Fault::BothFull, false) => failed_and_nothing_left(&rig, &put, false, &mut out),
        (Fault::Emptied | Fault::Stranger, _) => left_out_then_added(&rig, &put, &mut out),
        (Fault::Rotted, _) => rotted_then_repaired(&rig, &put, (seed % 2) as usize, &mut out),
        (_, true) => degraded_then_resumed(&rig, &put, &mut out),
        (_, false) => {
            // A put that fails with a member still in sync is a failure of
            // the mirror, but must still leave no part of the file.
            out.fail(format!("the put failed: {}", brief(&put)));
            failed_and_nothing_left(&rig, &put, false, &mut out);
        }
    }
    Some(out)
}

#[test]
#[ignore = "fault campaign: run with --ignored (tests/fault_campaign.sh)"]
fn large_put_campaign() {
    let started = Instant::now();
    let trials = env_u64("FAULT_LARGE_TRIALS", 2);
    let mut tally = Tally::default();
    let kinds: Vec<String> = std::env::var("FAULT_LARGE_KINDS")
        .unwrap_or_default()
        .split(',')
        .filter(|k| !k.is_empty())
        .map(|k| k.trim().to_lowercase())
        .collect();
    for (k, fault) in [
        Fault::Enospc,
        Fault::Truncated,
        Fault::Killed,
        Fault::BothFull,
        Fault::Emptied,
        Fault::Stranger,
        Fault::Rotted,
    ]
    .into_iter()
    .enumerate()
    {
        if !kinds.is_empty() && !kinds.contains(&format!("{fault:?}").to_lowercase()) {
            continue;
        }
        for t in 0..trials {
            let seed = 0x1_6000 + 100 * k as u64 + t;
            if only_seed().is_some_and(|s| s != seed) {
                continue;
            }
            let Some(out) = trial(fault, seed) else {
                println!("campaign: kind=put1g skipped (no tmpfs or loop devices)");
                return;
            };
            out.record(&mut tally, &format!("{fault:?} seed {seed}"));
        }
    }
    tally.print("put1g", started);
    assert_eq!(tally.lost + tally.failures, 0, "see the lines above");
}
