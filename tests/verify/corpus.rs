//! The verify corpus, as e2fsprogs's f_* tests: every case in
//! tests/corpus/verify/ is a damaged image (or a damaged 2-way mirror) with
//! what `nwvol verify` must find in it, the exit code of `nwvol verify
//! --repair`, and that of a second `nwvol verify` afterwards (0, or 4 again
//! where repair must not guess). Each case runs through the real binary in
//! its own temporary directory.
//!
//! The corpus is made by `cargo test --test verify -- --ignored
//! corpus::regenerate` (tests/corpus/README.md describes the file format); the
//! expected outcomes are the hand-written `CASES` table below.

use crate::support::corpus::*;
use crate::support::*;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/verify")
}

// ---------------------------------------------------------------------
// Corpus files.

/// An expected finding: its code and stable fields (`structure`, `path`,
/// `volume`, `member` as an image index).
#[derive(Debug, Clone)]
struct Want {
    code: String,
    fields: Vec<(String, String)>,
}

impl Want {
    fn parse(s: &str) -> Want {
        let mut parts = s.split("; ");
        let code = parts.next().unwrap().trim().to_string();
        let fields = parts
            .map(|p| {
                let (k, v) = p
                    .split_once('=')
                    .unwrap_or_else(|| panic!("finding field {p:?} is not KEY=VALUE"));
                (k.to_string(), v.to_string())
            })
            .collect();
        Want { code, fields }
    }

    /// True when the finding record matches; `imgs` turns `member=N`
    /// into the device path.
    fn matches(&self, f: &serde_json::Value, imgs: &[PathBuf]) -> bool {
        if f["code"] != self.code.as_str() {
            return false;
        }
        self.fields.iter().all(|(k, v)| {
            let want = if k == "member" {
                let i: usize = v.parse().expect("member=N");
                imgs[i].display().to_string()
            } else {
                v.clone()
            };
            f[k.as_str()].as_str() == Some(want.as_str())
        })
    }
}

/// An image's non-zero bytes: (offset, bytes).
type Spans = Vec<(u64, Vec<u8>)>;

/// One verify case as stored.
#[derive(Debug)]
struct Case {
    name: String,
    verify: i32,
    findings: Vec<Want>,
    repair: i32,
    after: i32,
    after_findings: Vec<Want>,
    error: Vec<String>,
    images: Vec<(u64, Spans)>,
}

fn parse_case(name: &str, text: &str) -> Case {
    let mut c = Case {
        name: name.to_string(),
        verify: -1,
        findings: Vec::new(),
        repair: -1,
        after: -1,
        after_findings: Vec::new(),
        error: Vec::new(),
        images: Vec::new(),
    };
    let num = |v: &str| -> i32 { v.trim().parse().expect("exit code") };
    for (i, l) in text.lines().enumerate() {
        let l = l.trim_end();
        let what = format!("{name}:{}", i + 1);
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        if let Some(v) = l.strip_prefix("verify ") {
            c.verify = num(v);
        } else if let Some(v) = l.strip_prefix("finding ") {
            c.findings.push(Want::parse(v));
        } else if let Some(v) = l.strip_prefix("repair ") {
            c.repair = num(v);
        } else if let Some(v) = l.strip_prefix("after ") {
            c.after = num(v);
        } else if let Some(v) = l.strip_prefix("after-finding ") {
            c.after_findings.push(Want::parse(v));
        } else if let Some(v) = l.strip_prefix("error ") {
            c.error.push(v.to_string());
        } else if let Some(v) = l.strip_prefix("base ") {
            let _ = v; // informational: which formatted image was damaged
        } else if let Some(v) = l.strip_prefix("image ") {
            let (n, size) = v.split_once(' ').expect("image N SIZE");
            assert_eq!(n.parse::<usize>().unwrap(), c.images.len(), "{what}");
            c.images.push((size.parse().expect("size"), Vec::new()));
        } else {
            let (off, b) = parse_span(l, &what);
            let img = c.images.last_mut().expect("a data line before `image`");
            assert!(off + b.len() as u64 <= img.0, "{what}: span past size");
            img.1.push((off, b));
        }
    }
    for (v, w) in [
        (c.verify, "verify"),
        (c.repair, "repair"),
        (c.after, "after"),
    ] {
        assert!(
            [0, 1, 4, 8].contains(&v),
            "{name}: needs `{w}` 0, 1, 4 or 8"
        );
    }
    assert!(!c.images.is_empty(), "{name}: no image");
    if c.verify == 8 {
        assert!(!c.error.is_empty(), "{name}: exit 8 needs `error` words");
    }
    c
}

/// Every case file, by name.
fn load_corpus() -> BTreeMap<String, Case> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(corpus_dir()).expect("tests/corpus/verify exists") {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "txt") {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&p).unwrap();
            out.insert(name.clone(), parse_case(&name, &text));
        }
    }
    out
}

// ---------------------------------------------------------------------
// Running a case.

/// Runs verify with `extra` on the images: exit code, stdout, stderr.
fn verify(imgs: &[PathBuf], extra: &[&str]) -> (i32, String, String) {
    let mut cmd = nwvol();
    cmd.arg("verify").args(extra);
    for p in imgs {
        cmd.arg("-d").arg(p);
    }
    let o = cmd.output().expect("run nwvol");
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        err,
    )
}

/// The finding records and the summary (or error) record of `--json`.
fn records(out: &str) -> (Vec<serde_json::Value>, serde_json::Value) {
    let mut findings = Vec::new();
    let mut last = serde_json::Value::Null;
    for l in out.lines() {
        let v: serde_json::Value =
            serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"));
        match v["type"].as_str() {
            Some("finding") => findings.push(v),
            _ => last = v,
        }
    }
    (findings, last)
}

/// Every finding matches a wanted one and every wanted one is found.
fn check_findings(what: &str, got: &[serde_json::Value], want: &[Want], imgs: &[PathBuf]) {
    let show = || {
        got.iter()
            .map(|f| {
                format!(
                    "{} {} path={} member={} action={}",
                    f["code"], f["structure"], f["path"], f["member"], f["action"]
                )
            })
            .collect::<Vec<_>>()
            .join("\n  ")
    };
    for f in got {
        assert!(
            want.iter().any(|w| w.matches(f, imgs)),
            "{what}: unexpected finding {f}\nall findings:\n  {}",
            show()
        );
    }
    for w in want {
        assert!(
            got.iter().any(|f| w.matches(f, imgs)),
            "{what}: no finding {w:?}\nall findings:\n  {}",
            show()
        );
    }
}

fn contents(imgs: &[PathBuf]) -> Vec<Vec<u8>> {
    imgs.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// Writes the case's images into `dir` and runs verify, verify
/// --dry-run, verify --repair and verify again, checking each against the
/// case (panics on the first difference).
fn run_case(c: &Case, dir: &Path) {
    let imgs: Vec<PathBuf> = (0..c.images.len())
        .map(|i| dir.join(format!("{}-{i}.img", c.name)))
        .collect();
    for ((size, spans), p) in c.images.iter().zip(&imgs) {
        write_spans(p, *size, spans);
    }
    let name = &c.name;
    let before = contents(&imgs);
    if c.verify == 8 {
        refused(c, &imgs, &[]);
        let (code, out, _) = verify(&imgs, &["--json"]);
        let (found, last) = records(&out);
        assert_eq!((code, last["type"].as_str()), (8, Some("error")), "{name}");
        assert_eq!(last["exit_code"], 8, "{name}");
        assert!(found.is_empty(), "{name}: findings before the error: {out}");
    } else {
        // Without --repair, and with --dry-run: found, nothing written.
        for extra in [&["--json"][..], &["--json", "--repair", "--dry-run"][..]] {
            let (code, out, err) = verify(&imgs, extra);
            let what = format!("{name} verify {extra:?} (stderr {err:?})");
            assert!(!err.contains("panicked"), "{what}");
            assert_eq!(code, c.verify, "{what}: exit code\n{out}");
            let (found, summary) = records(&out);
            assert_eq!(summary["exit_code"], code, "{what}");
            check_findings(&what, &found, &c.findings, &imgs);
        }
    }
    assert!(
        contents(&imgs) == before,
        "{name}: verify wrote to the images"
    );
    if c.repair == 8 {
        refused(c, &imgs, &["--repair"]);
        assert!(
            contents(&imgs) == before,
            "{name}: exit 8 but the images changed"
        );
        return;
    }
    // --repair: the findings, each repaired or left as it is.
    let (code, out, err) = verify(&imgs, &["--json", "--repair"]);
    let what = format!("{name} verify --repair (stderr {err:?})");
    assert!(!err.contains("panicked"), "{what}");
    assert_eq!(code, c.repair, "{what}: exit code\n{out}");
    let (found, _) = records(&out);
    check_findings(&what, &found, &c.findings, &imgs);
    if found.iter().all(|f| f["action"] != "repaired") {
        assert!(
            contents(&imgs) == before,
            "{what}: nothing repaired but the images changed"
        );
    }
    // The second verify: clean, or what repair left.
    let (code, out, err) = verify(&imgs, &["--json"]);
    let what = format!("{name} second verify (stderr {err:?})");
    assert!(!err.contains("panicked"), "{what}");
    assert_eq!(code, c.after, "{what}: exit code\n{out}");
    let (found, _) = records(&out);
    check_findings(&what, &found, &c.after_findings, &imgs);
}

/// Verify (with `extra`) exits 8 with one error line holding the case's
/// `error` words, and no panic.
fn refused(c: &Case, imgs: &[PathBuf], extra: &[&str]) {
    let (code, _, err) = verify(imgs, extra);
    let what = format!("{} verify {extra:?}: stderr {err:?}", c.name);
    assert!(!err.contains("panicked"), "{what}");
    assert_eq!(code, 8, "{what}");
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| !l.starts_with("nwvol: warning: "))
        .collect();
    assert_eq!(lines.len(), 1, "{what}: want one error line");
    assert!(lines[0].starts_with("nwvol: "), "{what}");
    for w in &c.error {
        assert!(lines[0].contains(w.as_str()), "{what}: lacks {w:?}");
    }
}

#[test]
fn verify_corpus_cases() {
    let corpus = load_corpus();
    for c in CASES {
        assert!(
            corpus.contains_key(c.name) || corpus.contains_key(&format!("bug-{}", c.name)),
            "tests/corpus/verify lacks {}.txt",
            c.name
        );
    }
    assert!(corpus.len() >= 60, "the corpus has {} cases", corpus.len());
    let cases: Vec<&Case> = corpus.values().collect();
    let next = AtomicUsize::new(0);
    let failed = Mutex::new(Vec::new());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 8));
    // Each case's panic is collected below; the default hook would print
    // every one (and the known bugs' on every run) as it happens.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(c) = cases.get(i) else { break };
                    let dir = tempfile::tempdir().unwrap();
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        run_case(c, dir.path())
                    }));
                    let bug = c.name.starts_with("bug-");
                    match (r, bug) {
                        (Err(e), false) => {
                            let msg = e
                                .downcast_ref::<String>()
                                .cloned()
                                .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                                .unwrap_or_default();
                            failed.lock().unwrap().push(format!("{}: {msg}", c.name));
                        }
                        (Ok(()), true) => failed
                            .lock()
                            .unwrap()
                            .push(format!("{}: passes now: rename it without `bug-`", c.name)),
                        _ => {}
                    }
                }
            });
        }
    });
    std::panic::set_hook(hook);
    let failed = failed.into_inner().unwrap();
    assert!(
        failed.is_empty(),
        "{} case(s) failed:\n\n{}",
        failed.len(),
        failed.join("\n\n")
    );
}

// ---------------------------------------------------------------------
// Making the corpus: the formatted images.

/// Which formatted image a case damages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Base {
    /// One image, with block checksums and two redirected hot-fix units.
    Single,
    /// A 2-way mirror with block checksums.
    Mirror,
    /// A 2-way mirror without block checksums.
    MirrorPlain,
}

impl Base {
    fn label(self) -> &'static str {
        match self {
            Base::Single => "single",
            Base::Mirror => "mirror",
            Base::MirrorPlain => "mirror-no-checksums",
        }
    }
}

const BIG_NAME: &str = "SYS:/SUB/BIG.BIN";
const LONG_NAME: &str = "A long file name that needs two long-name records, since it runs past ninety-six bytes of UTF-8.txt";

/// Formats and fills a base: directory SUB, SUB/BIG.BIN (3 blocks),
/// SMALL.TXT, a file with a long name (two records) and DEL.TXT, deleted.
fn make_base(dir: &Path, base: Base) -> Vec<Vec<u8>> {
    let n = if base == Base::Single { 1 } else { 2 };
    let imgs: Vec<PathBuf> = (0..n).map(|i| dir.join(format!("base{i}.img"))).collect();
    let mut args = vec!["format", "-q", "--size", "8M", "--block-size", "4K"];
    if base == Base::MirrorPlain {
        args.push("--no-checksums");
    }
    if n > 1 {
        args.push("--mirror");
    }
    let paths: Vec<String> = imgs.iter().map(|p| p.display().to_string()).collect();
    args.extend(paths.iter().map(|s| s.as_str()));
    ok(&args);
    // File contents: a line at the start of every sector, zeros between,
    // so that the corpus files stay small.
    let content = |tag: &str, len: usize| -> Vec<u8> {
        let mut v = vec![0u8; len];
        for (i, s) in v.chunks_mut(512).enumerate() {
            let line = format!("{tag} sector {i}\n");
            let k = line.len().min(s.len());
            s[..k].copy_from_slice(&line.as_bytes()[..k]);
        }
        v
    };
    let local = |name: &str, data: Vec<u8>| -> String {
        let p = dir.join(name);
        std::fs::write(&p, data).unwrap();
        p.display().to_string()
    };
    let big = local("big", content("BIG.BIN", 10_000));
    let small = local("small", b"a small file\n".to_vec());
    let long = local("long", b"the file with the long name\n".to_vec());
    let del = local("del", b"deleted, salvageable\n".to_vec());
    let nw = |a: &[&str]| {
        let mut v: Vec<String> = vec![a[0].to_string(), "-q".into()];
        for p in &paths {
            v.push("-d".into());
            v.push(p.clone());
        }
        v.extend(a[1..].iter().map(|s| s.to_string()));
        let v: Vec<&str> = v.iter().map(|s| s.as_str()).collect();
        ok(&v);
    };
    nw(&["mkdir", "SYS:/SUB"]);
    nw(&["put", &big, BIG_NAME]);
    nw(&["put", &small, "SYS:/SMALL.TXT"]);
    nw(&["put", &long, &format!("SYS:/{LONG_NAME}")]);
    nw(&["put", &del, "SYS:/DEL.TXT"]);
    nw(&["rm", "SYS:/DEL.TXT"]);
    if base == Base::Single {
        redirect_last_units(&imgs[0]);
    }
    imgs.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// Redirects the last two 4 KiB units of the logical partition (free
/// volume blocks) to pool slots, as write errors would, so that the
/// hot-fix tables hold entries.
fn redirect_last_units(img: &Path) {
    use nwvol::device::Device;
    use nwvol::device::file::{FileDevice, OpenOptions};
    use nwvol::partition::Partition;
    let d: Arc<dyn Device> = Arc::new(FileDevice::open(img, &OpenOptions::read_write()).unwrap());
    let p = Partition::open(d).unwrap();
    let end = u64::from(p.hotfix.data_sectors) * 512;
    for k in [1, 2] {
        let unit = end - k * 4096;
        let mut data = vec![0u8; 4096];
        p.read_logical(&mut data, unit).unwrap();
        p.redirect_unit(unit, &data).unwrap();
    }
}

/// Where things are in a base image, from its own headers.
#[derive(Debug, Clone)]
struct Geo {
    part: usize,
    hotfix: usize,
    data_sectors: u32,
    logical: usize,
    data: usize,
    bs: usize,
    total: u32,
    fat_blocks: u32,
    sum_blocks: u32,
    dir: u32,
    dircopy: u32,
    region_sectors: u32,
    /// DOS name -> directory entry index (deleted files too).
    entries: BTreeMap<String, usize>,
    /// Long-name record indexes, in sequence order.
    long: Vec<usize>,
}

fn geo(b: &[u8]) -> Geo {
    let part = le32(b, 446 + 8) as usize * 512;
    let hotfix = part + 32 * 512;
    let redir = le32(b, hotfix + 24);
    let logical = part + (32 + redir as usize) * 512;
    let e = logical + 32;
    let data = logical + (le32(b, e + 24) as usize - 32) * 512;
    let bs = 256 * 1024 / le32(b, e + 44) as usize;
    let total = le32(b, e + 32);
    let checksums = le32(b, logical + 8208) > 0;
    let fat_blocks = (total as usize * 8).div_ceil(bs) as u32;
    let sum_blocks = if checksums {
        (total as usize * 4).div_ceil(bs) as u32
    } else {
        0
    };
    let hft = hotfix + 1024;
    let mut g = Geo {
        part,
        hotfix,
        data_sectors: le32(b, hotfix + 20),
        logical,
        data,
        bs,
        total,
        fat_blocks,
        sum_blocks,
        dir: le32(b, e + 48),
        dircopy: le32(b, e + 52),
        region_sectors: le32(b, hft + 28),
        entries: BTreeMap::new(),
        long: Vec::new(),
    };
    assert_eq!(
        le32(b, g.fat(g.dir) + 4),
        u32::MAX,
        "the directory table is one block"
    );
    for i in 0..bs / 128 {
        let at = g.ent(i);
        let parent = le32(b, at);
        if parent == 0xFFFF_FFFC {
            g.long.push(i);
        } else if parent < 0xFFFF_FFF0 && i > 0 {
            let len = b[at + 11] as usize;
            let name = String::from_utf8_lossy(&b[at + 12..at + 12 + len]).into_owned();
            g.entries.insert(name, i);
        }
    }
    let (dir_at, mut long) = (g.ent(0), std::mem::take(&mut g.long));
    long.sort_by_key(|&i| b[dir_at + 128 * i + 8]);
    g.long = long;
    g
}

impl Geo {
    /// Byte of volume block `b`.
    fn blk(&self, b: u32) -> usize {
        self.data + b as usize * self.bs
    }
    /// Byte of block `b`'s entry in the FAT.
    fn fat(&self, b: u32) -> usize {
        self.data + 8 * b as usize
    }
    /// Byte of block `b`'s entry in the FAT copy.
    fn fatc(&self, b: u32) -> usize {
        self.blk(self.fat_blocks) + 8 * b as usize
    }
    /// Byte of block `b`'s checksum entry.
    fn sum(&self, b: u32) -> usize {
        self.blk(2 * self.fat_blocks) + 4 * b as usize
    }
    /// Byte of directory entry `i` in the table.
    fn ent(&self, i: usize) -> usize {
        self.blk(self.dir) + 128 * i
    }
    /// Byte of directory entry `i` in the table's copy.
    fn entc(&self, i: usize) -> usize {
        self.blk(self.dircopy) + 128 * i
    }
    /// The directory entry index of a DOS name.
    fn idx(&self, name: &str) -> usize {
        *self
            .entries
            .get(name)
            .unwrap_or_else(|| panic!("no entry {name}"))
    }
    /// The blocks of a file's chain.
    fn chain(&self, b: &[u8], name: &str) -> Vec<u32> {
        let mut out = Vec::new();
        let mut x = le32(b, self.ent(self.idx(name)) + 52);
        while x != u32::MAX {
            out.push(x);
            x = le32(b, self.fat(x) + 4);
        }
        out
    }
    /// Byte of hot-fix area copy `c` (its hot-fix header).
    fn hf(&self, c: usize) -> usize {
        self.hotfix + c * 16384
    }
    /// Byte of mirror header copy `c`.
    fn mir(&self, c: usize) -> usize {
        self.hf(c) + 512
    }
    /// Byte of hot-fix table header copy `c`.
    fn hft(&self, c: usize) -> usize {
        self.hf(c) + 1024
    }
    /// Byte of hot-fix table region `c`.
    fn region(&self, c: usize) -> usize {
        self.part + (160 + c * self.region_sectors as usize) * 512
    }
    /// Byte of volume table copy `c`.
    fn vt(&self, c: usize) -> usize {
        self.logical + c * 16384
    }
    /// Byte of the write-intent header.
    fn wib(&self) -> usize {
        self.part + 2 * 512
    }
    /// Byte of a volume block whose entry is free, near the end.
    fn free_block(&self) -> u32 {
        self.total - 20
    }
}

// ---------------------------------------------------------------------
// Damage helpers. "Sealed" writes also recompute the CRCs that cover the
// bytes (as a buggy writer would leave them), so that the check meets the
// damaged field, not a CRC mismatch; the others are bit rot.

/// The image's bytes, per member.
type Imgs = Vec<Vec<u8>>;

fn crc_into(b: &mut [u8], from: usize, len: usize, at: usize) {
    let c = crc32fast::hash(&b[from..from + len]);
    put32(b, at, c);
}

/// Recomputes block `blk`'s checksum entry (volumes with checksums).
fn reseal(b: &mut [u8], g: &Geo, blk: u32) {
    if g.sum_blocks == 0 {
        return;
    }
    let at = g.blk(blk);
    let c = crc32fast::hash(&b[at..at + g.bs]);
    put32(b, g.sum(blk), c);
}

/// Sets block `blk`'s FAT entry in both FAT copies, sealed.
fn set_fat(b: &mut [u8], g: &Geo, blk: u32, seq: u32, next: u32) {
    for at in [g.fat(blk), g.fatc(blk)] {
        put32(b, at, seq);
        put32(b, at + 4, next);
    }
    let per = (g.bs / 8) as u32;
    reseal(b, g, blk / per);
    reseal(b, g, g.fat_blocks + blk / per);
}

/// Sets the next field of block `blk`'s FAT entry in both copies, sealed.
fn set_next(b: &mut [u8], g: &Geo, blk: u32, next: u32) {
    let seq = le32(b, g.fat(blk));
    set_fat(b, g, blk, seq, next);
}

/// Writes `v` at byte `off` of directory entry `i`, in the table and its
/// copy as `which` says (0 table, 1 copy, 2 both), sealed.
fn set_ent(b: &mut [u8], g: &Geo, i: usize, off: usize, v: &[u8], which: u8) {
    if which != 1 {
        b[g.ent(i) + off..g.ent(i) + off + v.len()].copy_from_slice(v);
        reseal(b, g, g.dir);
    }
    if which != 0 {
        b[g.entc(i) + off..g.entc(i) + off + v.len()].copy_from_slice(v);
        reseal(b, g, g.dircopy);
    }
}

/// Recomputes a long-name record's CRC in both copies, sealed.
fn seal_long(b: &mut [u8], g: &Geo, i: usize) {
    for at in [g.ent(i), g.entc(i)] {
        crc_into(b, at, 124, at + 124);
    }
    reseal(b, g, g.dir);
    reseal(b, g, g.dircopy);
}

/// Recomputes the CRC of the 512-byte sector at `at` (its last 4 bytes).
fn seal_sector(b: &mut [u8], at: usize) {
    crc_into(b, at, 508, at + 508);
}

/// Recomputes both CRCs of volume table copy `c`.
fn seal_voltab(b: &mut [u8], g: &Geo, c: usize) {
    let t = g.vt(c);
    crc_into(b, t, 8192, t + 8204);
    crc_into(b, t + 8192, 16380 - 8192, t + 16380);
}

/// Recomputes hot-fix table copy `c`'s entry CRC and header CRC.
fn seal_table(b: &mut [u8], g: &Geo, c: usize) {
    let h = g.hft(c);
    let n = le32(b, h + 20) as usize;
    crc_into(b, g.region(c), n * 8, h + 32);
    seal_sector(b, h);
}

fn zero(b: &mut [u8], at: usize, len: usize) {
    b[at..at + len].fill(0);
}

fn flip(b: &mut [u8], at: usize, bit: u8) {
    b[at] ^= 1 << bit;
}

fn big(b: &[u8], g: &Geo) -> Vec<u32> {
    g.chain(b, "BIG.BIN")
}

fn small(b: &[u8], g: &Geo) -> u32 {
    g.chain(b, "SMALL.TXT")[0]
}

fn longf(b: &[u8], g: &Geo) -> u32 {
    let i = g.long_entry(b);
    le32(b, g.ent(i) + 52)
}

impl Geo {
    /// The index of the entry the long-name records name.
    fn long_entry(&self, b: &[u8]) -> usize {
        le32(b, self.ent(self.long[0]) + 4) as usize
    }
}

// ---------------------------------------------------------------------
// The cases: the damage, and by hand what verify must say about it.

/// One case of the table.
struct Damage {
    name: &'static str,
    base: Base,
    what: &'static str,
    verify: i32,
    findings: &'static [&'static str],
    repair: i32,
    after: i32,
    after_findings: &'static [&'static str],
    error: &'static [&'static str],
    apply: fn(&mut Imgs, &Geo),
}

/// Defaults: found, repaired, clean afterwards.
const D: Damage = Damage {
    name: "",
    base: Base::Single,
    what: "",
    verify: 4,
    findings: &[],
    repair: 1,
    after: 0,
    after_findings: &[],
    error: &[],
    apply: |_, _| {},
};

/// A case that makes the device unusable: exit 8 with one line.
const GONE: Damage = Damage {
    verify: 8,
    repair: 8,
    after: 8,
    ..D
};

/// A case repair must not guess at: found, left, found again.
const LEFT: Damage = Damage {
    repair: 4,
    after: 4,
    ..D
};

mod cases;
use cases::{CASES, KNOWN_BUGS};

// ---------------------------------------------------------------------
// Writing the corpus.

fn encode(d: &Damage, imgs: &Imgs) -> String {
    let mut t = String::new();
    for l in d.what.lines() {
        writeln!(t, "# {l}").unwrap();
    }
    writeln!(t, "base {}", d.base.label()).unwrap();
    writeln!(t, "verify {}", d.verify).unwrap();
    for e in d.error {
        writeln!(t, "error {e}").unwrap();
    }
    for f in d.findings {
        writeln!(t, "finding {f}").unwrap();
    }
    writeln!(t, "repair {}", d.repair).unwrap();
    writeln!(t, "after {}", d.after).unwrap();
    for f in d.after_findings {
        writeln!(t, "after-finding {f}").unwrap();
    }
    for (i, b) in imgs.iter().enumerate() {
        writeln!(t, "image {i} {}", b.len()).unwrap();
        t.push_str(&encode_spans(b));
    }
    t
}

#[test]
#[ignore = "writes tests/corpus/verify/; run on purpose to remake the corpus"]
fn regenerate() {
    let dir = tempfile::tempdir().unwrap();
    let mut bases = BTreeMap::new();
    for b in [Base::Single, Base::Mirror, Base::MirrorPlain] {
        let sub = dir.path().join(b.label());
        std::fs::create_dir(&sub).unwrap();
        let imgs = make_base(&sub, b);
        let g = geo(&imgs[0]);
        assert_eq!(g.bs, 4096);
        assert_eq!(g.long.len(), 2, "the long name takes two records");
        bases.insert(b.label(), (imgs, g));
    }
    let out = corpus_dir();
    std::fs::create_dir_all(&out).unwrap();
    // NWVOL_CORPUS_ONLY=TEXT remakes only the cases whose name holds TEXT;
    // otherwise the old files go first (a renamed case leaves none behind).
    let only = std::env::var("NWVOL_CORPUS_ONLY").ok();
    for e in std::fs::read_dir(&out).unwrap() {
        let p = e.unwrap().path();
        if only.is_none() && p.extension().is_some_and(|x| x == "txt") {
            std::fs::remove_file(p).unwrap();
        }
    }
    let mut names = std::collections::BTreeSet::new();
    for d in CASES {
        assert!(names.insert(d.name), "two cases named {}", d.name);
        if only.as_deref().is_some_and(|o| !d.name.contains(o)) {
            continue;
        }
        let (base, g) = &bases[d.base.label()];
        let mut imgs = base.clone();
        (d.apply)(&mut imgs, g);
        let text = encode(d, &imgs);
        let file = if KNOWN_BUGS.contains(&d.name) {
            format!("bug-{}.txt", d.name)
        } else {
            format!("{}.txt", d.name)
        };
        std::fs::write(out.join(&file), &text).unwrap();
        // Round trip: the stored text gives back these bytes.
        let back = parse_case(d.name, &text);
        for (i, (size, spans)) in back.images.iter().enumerate() {
            let p = dir.path().join("roundtrip.img");
            write_spans(&p, *size, spans);
            assert!(std::fs::read(&p).unwrap() == imgs[i], "{}", d.name);
            std::fs::remove_file(&p).unwrap();
        }
    }
}
