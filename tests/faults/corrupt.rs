//! Random byte corruption of one mirror member (issue 7, point 4): seeded
//! flips anywhere in one member's image (MBR, partition headers and
//! hot-fix tables, the hot-fix pool, the volume table, FAT, directory and
//! checksum blocks, file data, free space), then `verify --repair`, a
//! second verify, and every file read back byte for byte from each member
//! alone. `corrupt_campaign` is the fault campaign's `corrupt` kind
//! (tests/fault_campaign.sh); a few fixed seeds run by default.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Instant;

use crate::support::campaign::{Outcome, Rng, Tally, env_u64, only_seed};
use crate::support::*;

const IMG_SIZE: u64 = 16 << 20;
const UNIT: usize = 4096;

/// Where in the image a flip lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Region {
    /// Sector 0: boot code, partition entries, signature.
    Mbr,
    /// Between the MBR and the partition (unused).
    Gap,
    /// The partition's hot-fix/mirror header copies and hot-fix tables.
    Headers,
    /// The hot-fix pool (spare units, unused).
    Pool,
    /// The volume table copies.
    VolumeTable,
    /// Used volume blocks that are not file data: FAT, directory,
    /// checksums.
    Structure,
    /// File data.
    Data,
    /// Zero blocks of the volume area (free space).
    Free,
}

const REGIONS: [Region; 8] = [
    Region::Mbr,
    Region::Gap,
    Region::Headers,
    Region::Pool,
    Region::VolumeTable,
    Region::Structure,
    Region::Data,
    Region::Free,
];

/// A mirror of `n` image files holding files, kept to copy per trial.
struct Base {
    dir: tempfile::TempDir,
    n: usize,
    /// Path under SYS: -> content.
    files: BTreeMap<String, Vec<u8>>,
    /// Byte ranges of each region in the images (the same on every
    /// member: they are formatted alike and hold the same blocks).
    regions: BTreeMap<&'static str, Vec<(u64, u64)>>,
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn nw(args: &[String]) -> Output {
    let o = nwvol().args(args).output().expect("run nwvol");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!err.contains("panicked"), "nwvol {args:?} panicked: {err}");
    o
}

fn brief(o: &Output) -> String {
    let e = String::from_utf8_lossy(&o.stderr);
    format!("exit {:?}: {}", o.status.code(), e.trim())
}

fn dev_args(imgs: &[PathBuf]) -> Vec<String> {
    imgs.iter()
        .flat_map(|p| ["-d".to_string(), p.display().to_string()])
        .collect()
}

fn region_name(r: Region) -> &'static str {
    match r {
        Region::Mbr => "mbr",
        Region::Gap => "gap",
        Region::Headers => "headers",
        Region::Pool => "pool",
        Region::VolumeTable => "volume-table",
        Region::Structure => "structure",
        Region::Data => "data",
        Region::Free => "free",
    }
}

impl Base {
    fn new(n: usize) -> Base {
        let dir = tempfile::tempdir().unwrap();
        let imgs: Vec<PathBuf> = (0..n)
            .map(|i| dir.path().join(format!("m{i}.img")))
            .collect();
        let mut f = s(&["format", "-q", "--size", &IMG_SIZE.to_string()]);
        if n > 1 {
            f.push("--mirror".into());
        }
        f.extend(imgs.iter().map(|p| p.display().to_string()));
        let o = nw(&f);
        assert!(o.status.success(), "format: {}", brief(&o));
        let mut mk = s(&["mkdir", "-q"]);
        mk.extend(dev_args(&imgs));
        mk.push("SYS:/DIR".into());
        assert!(nw(&mk).status.success());
        let src = dir.path().join("src");
        std::fs::create_dir(&src).unwrap();
        let mut rng = Rng(0xC0_22A7);
        let mut files = BTreeMap::new();
        for i in 0..16 {
            let len = match i {
                0 => 0,
                1 => 1,
                2 => 4096,
                3 => 4097,
                _ => rng.range(1, 400_000) as usize,
            };
            // A long name too: its records live in the directory table.
            let name = if i == 5 {
                "A long file name.data".to_string()
            } else {
                format!("F{i:02}.DAT")
            };
            let to = if i % 3 == 0 { "SYS:/DIR" } else { "SYS:/" };
            let data = rng.bytes(len);
            std::fs::write(src.join(&name), &data).unwrap();
            let mut put = s(&["put", "-q"]);
            put.extend(dev_args(&imgs));
            put.push(src.join(&name).display().to_string());
            put.push(
                format!("{to}/{name}")
                    .replace(":/", ":/")
                    .replace("//", "/"),
            );
            let o = nw(&put);
            assert!(o.status.success(), "put: {}", brief(&o));
            let key = if i % 3 == 0 {
                format!("DIR/{name}")
            } else {
                name
            };
            files.insert(key, data);
        }
        let regions = map_regions(&imgs[0], &files);
        Base {
            dir,
            n,
            files,
            regions,
        }
    }

    fn images(&self, dir: &Path) -> Vec<PathBuf> {
        (0..self.n)
            .map(|i| {
                let to = dir.join(format!("m{i}.img"));
                std::fs::copy(self.dir.path().join(format!("m{i}.img")), &to).unwrap();
                to
            })
            .collect()
    }
}

/// The byte ranges of each region in the image, from `inspect --json`
/// and the image's 4 KiB units (file data is found by content).
fn map_regions(
    image: &Path,
    files: &BTreeMap<String, Vec<u8>>,
) -> BTreeMap<&'static str, Vec<(u64, u64)>> {
    let o = nw(&s(&[
        "inspect",
        "--json",
        "-d",
        &image.display().to_string(),
    ]));
    assert!(o.status.success(), "inspect: {}", brief(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let d = &v["devices"][0];
    let at = |k: &str| {
        d[k].as_u64()
            .unwrap_or_else(|| panic!("inspect lacks {k}: {d}"))
    };
    let (start, pool, voltab, data_area) = (
        at("start_byte"),
        at("pool_byte"),
        at("volume_table_byte"),
        at("data_area_byte"),
    );
    let mut r: BTreeMap<&'static str, Vec<(u64, u64)>> = BTreeMap::new();
    r.insert("mbr", vec![(0, 512)]);
    r.insert("gap", vec![(512, start)]);
    r.insert("headers", vec![(start, pool)]);
    r.insert("pool", vec![(pool, voltab)]);
    r.insert("volume-table", vec![(voltab, data_area)]);
    let mut chunks: HashSet<Vec<u8>> = HashSet::new();
    for data in files.values() {
        for c in data.chunks(UNIT) {
            let mut c = c.to_vec();
            c.resize(UNIT, 0);
            if c.iter().any(|&b| b != 0) {
                chunks.insert(c);
            }
        }
    }
    let img = std::fs::read(image).unwrap();
    let mut off = data_area as usize;
    while off + UNIT <= img.len() {
        let u = &img[off..off + UNIT];
        let kind = if u.iter().all(|&b| b == 0) {
            "free"
        } else if chunks.contains(u) {
            "data"
        } else {
            "structure"
        };
        let e = r.entry(kind).or_default();
        match e.last_mut() {
            Some(last) if last.1 == off as u64 => last.1 += UNIT as u64,
            _ => e.push((off as u64, (off + UNIT) as u64)),
        }
        off += UNIT;
    }
    r
}

/// A byte offset in the region, uniform over its bytes.
fn pick(rng: &mut Rng, ranges: &[(u64, u64)]) -> u64 {
    let total: u64 = ranges.iter().map(|(a, b)| b - a).sum();
    let mut k = rng.range(0, total - 1);
    for (a, b) in ranges {
        if k < b - a {
            return a + k;
        }
        k -= b - a;
    }
    unreachable!()
}

/// Damages the image: 1..=3 places, each a few flipped bytes or a burst
/// of random bytes. Returns what was done.
fn corrupt(rng: &mut Rng, base: &Base, image: &Path) -> String {
    let mut done = Vec::new();
    for _ in 0..rng.range(1, 3) {
        let region = REGIONS[rng.range(0, REGIONS.len() as u64 - 1) as usize];
        let name = region_name(region);
        let Some(ranges) = base.regions.get(name).filter(|r| !r.is_empty()) else {
            continue;
        };
        let at = pick(rng, ranges);
        if rng.range(0, 2) == 0 {
            let len = rng.range(1, 512).min(IMG_SIZE - at) as usize;
            poke(image, at, &rng.bytes(len));
            done.push(format!("{name}: {len} random bytes at {at}"));
        } else {
            let flips = rng.range(1, 8);
            for _ in 0..flips {
                let o = (at + rng.range(0, 511)).min(IMG_SIZE - 1);
                let old = peek(image, o, 1)[0];
                let x = rng.range(1, 255) as u8;
                poke(image, o, &[old ^ x]);
            }
            done.push(format!("{name}: {flips} byte(s) flipped near {at}"));
        }
    }
    done.join("; ")
}

/// Exit code and findings (code, member, action) of `verify --json`.
fn verify(imgs: &[PathBuf], extra: &[&str]) -> (Option<i32>, Vec<String>, String) {
    let mut a = s(&["verify", "--json"]);
    a.extend(extra.iter().map(|x| x.to_string()));
    a.extend(dev_args(imgs));
    let o = nw(&a);
    let found = String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "finding")
        .map(|v| {
            format!(
                "{} {} {}",
                v["code"].as_str().unwrap_or("?"),
                v["member"].as_str().unwrap_or("-"),
                v["action"].as_str().unwrap_or("?")
            )
        })
        .collect();
    (
        o.status.code(),
        found,
        String::from_utf8_lossy(&o.stderr).trim().to_string(),
    )
}

/// Files that do not read back byte for byte from `imgs` (together, or one
/// member alone), one line each.
fn unreadable(base: &Base, imgs: &[PathBuf], dir: &Path) -> Vec<String> {
    let dest = dir.join("out");
    let _ = std::fs::remove_dir_all(&dest);
    let mut g = s(&["get", "-q", "-r"]);
    g.extend(dev_args(imgs));
    g.push("SYS:/".into());
    g.push(dest.display().to_string());
    let o = nw(&g);
    if !o.status.success() {
        // Read one by one: which ones are lost?
        let mut bad = vec![format!("get -r SYS:/: {}", brief(&o))];
        for (name, data) in &base.files {
            let out = dir.join("one");
            let mut g = s(&["get", "-q"]);
            g.extend(dev_args(imgs));
            g.push(format!("SYS:/{name}"));
            g.push(out.display().to_string());
            let o = nw(&g);
            if !o.status.success() || std::fs::read(&out).ok().as_ref() != Some(data) {
                bad.push(format!("{name}: {}", brief(&o)));
            }
            let _ = std::fs::remove_file(&out);
        }
        return bad;
    }
    base.files
        .iter()
        .filter(|(name, data)| std::fs::read(dest.join(name)).ok().as_ref() != Some(data))
        .map(|(name, _)| format!("{name} does not read back"))
        .collect()
}

/// What a trial came to: the outcome, and the findings when repair
/// refused (exit 4).
fn trial(base: &Base, seed: u64) -> (Outcome, Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    let imgs = base.images(dir.path());
    let mut rng = Rng(seed);
    let victim = rng.range(0, base.n as u64 - 1) as usize;
    let what = corrupt(&mut rng, base, &imgs[victim]);
    let mut out = Outcome::default();
    let (code, found, err) = verify(&imgs, &["--repair"]);
    let mut refused = None;
    match code {
        Some(0) => {}
        Some(1) => out.repaired = Some(format!("{what} -> {}", found.join(", "))),
        Some(4) => refused = Some(format!("{what} -> {}", found.join(", "))),
        // A partition table that no longer parses: the device is not
        // taken as a member at all, and nwvol never rewrites an MBR it
        // cannot read. The error names it; the other members, given
        // alone, hold everything (checked below).
        Some(8)
            if what.contains("mbr:")
                && err.contains(&format!("m{victim}.img: MBR"))
                && !err.contains('\n') =>
        {
            refused = Some(format!("{what} -> exit 8: {err}"));
        }
        _ => out.fail(format!(
            "verify --repair after {what}: exit {code:?}: {found:?} {err}"
        )),
    }
    let clean = matches!(code, Some(0 | 1));
    if clean {
        let (code2, found2, err2) = verify(&imgs, &[]);
        if code2 != Some(0) {
            out.fail(format!(
                "after {what}: second verify exit {code2:?}: {found2:?} {err2}"
            ));
        }
    }
    // The untouched members must hold everything, alone and together.
    for (i, m) in imgs.iter().enumerate() {
        let bad = unreadable(base, std::slice::from_ref(m), dir.path());
        if bad.is_empty() {
            continue;
        }
        let line = format!("after {what}: m{i}.img alone: {}", bad.join("; "));
        if i != victim || clean {
            // A member verify calls clean (or one never damaged) that
            // does not hold the files is silent damage.
            out.lose(line);
        } else if let Some(r) = refused.as_mut() {
            r.push_str(&format!(" [the damaged member alone: {}]", bad.join("; ")));
        }
    }
    let assembles = code != Some(8);
    let bad = if assembles {
        unreadable(base, &imgs, dir.path())
    } else {
        Vec::new()
    };
    if !bad.is_empty() {
        out.lose(format!("after {what}: all members: {}", bad.join("; ")));
    }
    (out, refused)
}

fn campaign_width(n: usize, first_seed: u64, trials: u64, tally: &mut Tally, refused: &mut u64) {
    let base = Base::new(n);
    for t in 0..trials {
        let seed = first_seed + t;
        if only_seed().is_some_and(|s| s != seed) {
            continue;
        }
        let (out, r) = trial(&base, seed);
        if let Some(r) = r {
            *refused += 1;
            println!("refused: seed={seed} {n}-way: {r}");
        }
        out.record(tally, &format!("seed={seed} {n}-way"));
    }
}

#[test]
#[ignore = "fault campaign: run with --ignored (tests/fault_campaign.sh)"]
fn corrupt_campaign() {
    let started = Instant::now();
    let mut tally = Tally::default();
    let mut refused = 0;
    let per = env_u64("FAULT_CORRUPT_TRIALS", 60);
    campaign_width(2, 8_000_000, per, &mut tally, &mut refused);
    campaign_width(3, 9_000_000, per, &mut tally, &mut refused);
    println!(
        "corrupt: {refused} trial(s) refused (verify --repair exit 4, or exit 8 for an MBR that no longer parses), listed above"
    );
    tally.print("corrupt", started);
    assert_eq!(tally.lost + tally.failures, 0, "see the lines above");
}

/// Seeds of the campaign that found bugs, and a few more, in the default
/// run: 8000003 (a volume table copy damaged on one of two members was
/// left as undecided) and 8000044 (a directory block repaired from the
/// good member still read as damaged from the cache by the structure
/// check, which then reported the table and its copy as differing).
#[test]
fn corruption_of_one_member_is_repaired() {
    let base = Base::new(2);
    for seed in [8_000_003, 8_000_044, 0, 2, 3] {
        let (out, refused) = trial(&base, seed);
        assert!(out.lost.is_empty(), "seed {seed}: {:?}", out.lost);
        assert!(out.failed.is_empty(), "seed {seed}: {:?}", out.failed);
        assert!(refused.is_none(), "seed {seed}: {refused:?}");
    }
}
