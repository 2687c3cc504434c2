//! Damaged images: every one in tests/corpus/ must make `nwvol inspect`
//! fail with one error line naming the device and the damage (or, for
//! damage that another copy covers, succeed with a warning), never panic.
//! A seeded fuzz loop flips bytes of a formatted image to the same end.
//!
//! The corpus is made by `cargo test --test verify -- --ignored
//! damaged::regenerate` (see tests/corpus/README.md for the file format).

use crate::support::corpus::*;
use crate::support::*;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const MIB: usize = 1 << 20;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

// ---------------------------------------------------------------------
// Corpus files.

/// One corpus case as stored.
#[derive(Debug)]
struct Case {
    name: String,
    size: u64,
    exit: i32,
    expect: Vec<String>,
    spans: Vec<(u64, Vec<u8>)>,
}

fn parse_case(name: &str, text: &str) -> Case {
    let mut lines = text.lines().enumerate();
    let (_, first) = lines.next().expect("empty corpus file");
    let size = first
        .strip_prefix("size ")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name}: first line must be `size N`, not {first:?}"));
    let mut c = Case {
        name: name.to_string(),
        size,
        exit: -1,
        expect: Vec::new(),
        spans: Vec::new(),
    };
    for (i, l) in lines {
        let l = l.trim_end();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        if let Some(v) = l.strip_prefix("exit ") {
            c.exit = v.trim().parse().expect("exit code");
        } else if let Some(v) = l.strip_prefix("expect ") {
            c.expect.push(v.to_string());
        } else {
            let (off, bytes) = parse_span(l, &format!("{name}:{}", i + 1));
            c.spans.push((off, bytes));
        }
    }
    assert!(
        c.exit == 0 || c.exit == 1,
        "{name}: needs `exit 0` or `exit 1`"
    );
    assert!(!c.expect.is_empty(), "{name}: needs `expect` lines");
    c
}

/// Writes the case's image to `path` (sparse: only the spans are written).
fn write_image(c: &Case, path: &Path) {
    write_spans(path, c.size, &c.spans);
}

/// The text of a corpus file for an image.
fn encode_case(size: usize, exit: i32, expect: &[&str], comment: &str, bytes: &[u8]) -> String {
    let mut t = format!("size {size}\n");
    for l in comment.lines() {
        writeln!(t, "# {l}").unwrap();
    }
    writeln!(t, "exit {exit}").unwrap();
    for e in expect {
        writeln!(t, "expect {e}").unwrap();
    }
    t.push_str(&encode_spans(bytes));
    t
}

/// Every corpus case, by name.
fn load_corpus() -> BTreeMap<String, Case> {
    let mut out = BTreeMap::new();
    for e in std::fs::read_dir(corpus_dir()).expect("tests/corpus exists") {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "txt") {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&p).unwrap();
            out.insert(name.clone(), parse_case(&name, &text));
        }
    }
    out
}

/// Runs inspect on one image and checks the outcome the case expects.
fn check_case(c: &Case, path: &Path) {
    let dev = path.to_str().unwrap();
    for json in [false, true] {
        let mut args = vec!["inspect", "-d", dev];
        if json {
            args.push("--json");
        }
        let o = run(&args);
        let err = String::from_utf8_lossy(&o.stderr).into_owned();
        let what = format!("case {} (json {json}): stderr {err:?}", c.name);
        assert!(!err.contains("panicked"), "{what}");
        assert_eq!(o.status.code(), Some(c.exit), "{what}");
        let (errors, warnings): (Vec<&str>, Vec<&str>) = err
            .lines()
            .partition(|l| !l.starts_with("nwvol: warning: "));
        if c.exit == 1 {
            // Exactly one line, the error: it names the device and says
            // what is damaged.
            assert_eq!(err.lines().count(), 1, "{what}");
            let line = errors[0];
            assert!(line.starts_with(&format!("nwvol: {dev}: ")), "{what}");
            for w in &c.expect {
                assert!(line.contains(w.as_str()), "{what}: lacks {w:?}");
            }
        } else {
            assert!(errors.is_empty(), "{what}");
            assert!(
                warnings
                    .iter()
                    .any(|l| c.expect.iter().all(|w| l.contains(w.as_str()))),
                "{what}: no warning with {:?}",
                c.expect
            );
            if json {
                let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
                assert_eq!(j["volumes"][0]["name"], "SYS", "{what}");
            }
        }
    }
}

#[test]
fn corpus_images_fail_with_one_line_naming_the_damage() {
    let corpus = load_corpus();
    // The cases the corpus must hold (regenerate makes all of them).
    for name in CASES.iter().map(|c| c.name) {
        assert!(corpus.contains_key(name), "tests/corpus lacks {name}.txt");
    }
    let dir = tempfile::tempdir().unwrap();
    for c in corpus.values() {
        let p = img(&dir, &format!("{}.img", c.name));
        write_image(c, &p);
        check_case(c, &p);
        std::fs::remove_file(&p).unwrap();
    }
}

#[test]
fn missing_path_and_directory_are_one_line_errors() {
    let dir = tempfile::tempdir().unwrap();
    let missing = img(&dir, "nothing-here.img");
    let m = missing.to_str().unwrap();
    let line = fails(&["inspect", "-d", m], 1, &[m, "no such file"]);
    assert!(!line.contains("--size"), "inspect has no --size: {line}");
    let d = dir.path().to_str().unwrap();
    fails(&["inspect", "-d", d], 1, &[d, "directory"]);
    // An empty file and one shorter than a sector.
    let empty = img(&dir, "empty.img");
    std::fs::write(&empty, b"").unwrap();
    let e = empty.to_str().unwrap();
    fails(&["inspect", "-d", e], 1, &[e, "empty"]);
    let short = img(&dir, "short.img");
    std::fs::write(&short, [0x55u8; 100]).unwrap();
    let sh = short.to_str().unwrap();
    fails(&["inspect", "-d", sh], 1, &[sh]);
}

// ---------------------------------------------------------------------
// Making the corpus.

/// Where things are in the formatted base image (from its own headers).
struct Geo {
    part: usize,
    hotfix: usize,
    part_sectors: u32,
    voltab: usize,
    data: usize,
    block: usize,
    total_blocks: u32,
    dir_block: u32,
}

fn geo(b: &[u8]) -> Geo {
    let part = le32(b, 446 + 8) as usize * 512;
    let part_sectors = le32(b, 446 + 12);
    let hotfix = part + 32 * 512;
    let redir = le32(b, hotfix + 24) as usize;
    let voltab = hotfix + redir * 512;
    let e = voltab + 32;
    let block = 256 * 1024 / le32(b, e + 44) as usize;
    Geo {
        part,
        hotfix,
        part_sectors,
        voltab,
        data: voltab + 65536,
        block,
        total_blocks: le32(b, e + 32),
        dir_block: le32(b, e + 48),
    }
}

/// Recomputes both CRCs of nwvol's volume table extension in every copy,
/// so that a damaged field is what the reader finds, not a CRC mismatch.
fn reseal_voltab(b: &mut [u8], g: &Geo) {
    for c in 0..4 {
        let t = g.voltab + c * 16384;
        let crc1 = crc32fast::hash(&b[t..t + 8192]);
        put32(b, t + 8192 + 12, crc1);
        let crc2 = crc32fast::hash(&b[t + 8192..t + 16380]);
        put32(b, t + 16380, crc2);
    }
}

/// Sets a u32 of segment entry 0 in all four volume table copies.
fn set_entry(b: &mut [u8], g: &Geo, field: usize, v: u32) {
    for c in 0..4 {
        put32(b, g.voltab + c * 16384 + 32 + field, v);
    }
    reseal_voltab(b, g);
}

/// One corpus case: what is done to the formatted base image, and what
/// inspect must say.
struct Damage {
    name: &'static str,
    what: &'static str,
    exit: i32,
    expect: &'static [&'static str],
    apply: fn(Vec<u8>, &Geo) -> Vec<u8>,
}

const CASES: &[Damage] = &[
    Damage {
        name: "truncated-1m",
        what: "the image cut to 1 MiB: the partition starts at its end",
        exit: 1,
        expect: &[
            "MBR partition entry 1",
            "past the end of the device",
            "truncated",
        ],
        apply: |mut b, _| {
            b.truncate(MIB);
            b
        },
    },
    Damage {
        name: "truncated-3m",
        what: "the image cut to 3 MiB: the headers are there, the volume is not",
        exit: 1,
        expect: &[
            "MBR partition entry 1",
            "past the end of the device",
            "truncated",
        ],
        apply: |mut b, _| {
            b.truncate(3 * MIB);
            b
        },
    },
    Damage {
        name: "all-zero",
        what: "an image of zeros",
        exit: 1,
        expect: &["no partition table", "all zeros"],
        apply: |b, _| vec![0; b.len()],
    },
    Damage {
        name: "random-bytes",
        what: "16 KiB of random bytes (xorshift64*, seed 0x5eed)",
        exit: 1,
        expect: &["MBR", "boot signature"],
        apply: |_, _| {
            let mut r = Rng(0x5eed);
            (0..16 * 1024).map(|_| r.next() as u8).collect()
        },
    },
    Damage {
        name: "mbr-no-55aa",
        what: "the MBR's 55 AA boot signature cleared",
        exit: 1,
        expect: &["MBR", "boot signature", "55 aa"],
        apply: |mut b, _| {
            b[510] = 0;
            b[511] = 0;
            b
        },
    },
    Damage {
        name: "mbr-partition-past-end",
        what: "MBR entry 1's sector count 100000, past the 8 MiB image",
        exit: 1,
        expect: &["MBR partition entry 1", "sector count", "past the end"],
        apply: |mut b, _| {
            put32(&mut b, 446 + 12, 100_000);
            b
        },
    },
    Damage {
        name: "mbr-no-netware-partition",
        what: "MBR entry 1's type changed from 65 to 83 (Linux)",
        exit: 1,
        expect: &["no NetWare partition"],
        apply: |mut b, _| {
            b[446 + 4] = 0x83;
            b
        },
    },
    Damage {
        name: "mbr-netware-286",
        what: "MBR entry 1's type changed from 65 to 64 (NetWare 286)",
        exit: 1,
        expect: &["NetWare 286", "0x64"],
        apply: |mut b, _| {
            b[446 + 4] = 0x64;
            b
        },
    },
    Damage {
        name: "hotfix-signature-all-copies",
        what: "HOTFIX00 changed to XOTFIX00 in all four copies",
        exit: 1,
        expect: &["no valid hot-fix/mirror header copy", "HOTFIX00"],
        apply: |mut b, g| {
            for c in 0..4 {
                b[g.hotfix + c * 16384] = b'X';
            }
            b
        },
    },
    Damage {
        name: "mirror-signature-all-copies",
        what: "MIRROR00 changed to XIRROR00 in all four copies",
        exit: 1,
        expect: &["no valid hot-fix/mirror header copy", "MIRROR00"],
        apply: |mut b, g| {
            for c in 0..4 {
                b[g.hotfix + c * 16384 + 512] = b'X';
            }
            b
        },
    },
    Damage {
        name: "hotfix-data-sectors-too-many",
        what: "the hot-fix headers claim as many data sectors as the whole partition",
        exit: 1,
        expect: &["hot-fix header", "data sectors", "more than the partition"],
        apply: |mut b, g| {
            for c in 0..4 {
                put32(&mut b, g.hotfix + c * 16384 + 20, g.part_sectors);
            }
            b
        },
    },
    Damage {
        name: "ext-header-crc",
        what: "one reserved byte of the NWVOLEXT header changed: its CRC no longer matches",
        exit: 1,
        expect: &["nwvol extension header", "CRC"],
        apply: |mut b, g| {
            b[g.part + 512 + 100] ^= 0x01;
            b
        },
    },
    Damage {
        name: "voltab-signature-all-copies",
        what: "\"NetWare Volumes\" changed to \"XetWare Volumes\" in all four copies",
        exit: 1,
        expect: &["volume definition table", "signature"],
        apply: |mut b, g| {
            for c in 0..4 {
                b[g.voltab + c * 16384] = b'X';
            }
            b
        },
    },
    Damage {
        name: "voltab-entry-count-ffff",
        what: "the volume table's entry count set to 0xFFFF in all copies (CRCs resealed)",
        exit: 1,
        expect: &["volume definition table", "entry count", "65535"],
        apply: |mut b, g| {
            for c in 0..4 {
                put32(&mut b, g.voltab + c * 16384 + 16, 0xFFFF);
            }
            reseal_voltab(&mut b, g);
            b
        },
    },
    Damage {
        name: "voltab-block-code-7",
        what: "segment entry 0's block-size code set to 7 in all copies (CRCs resealed)",
        exit: 1,
        expect: &["volume table entry 0", "block-size code", "7"],
        apply: |mut b, g| {
            set_entry(&mut b, g, 44, 7);
            b
        },
    },
    Damage {
        name: "segment-past-logical-partition",
        what: "segment entry 0's size set to 112000 sectors, past the logical partition (CRCs resealed)",
        exit: 1,
        expect: &["volume table entry 0 (SYS)", "size", "past the"],
        apply: |mut b, g| {
            set_entry(&mut b, g, 28, 112_000);
            b
        },
    },
    Damage {
        name: "dir-block-past-volume",
        what: "segment entry 0's directory block set past the volume's blocks (CRCs resealed)",
        exit: 1,
        expect: &["volume table entry 0 (SYS)", "directory block", "not below"],
        apply: |mut b, g| {
            set_entry(&mut b, g, 48, g.total_blocks + 100);
            b
        },
    },
    Damage {
        name: "dir-chain-loop",
        what: "the FAT entry of the directory table's block points back at itself",
        exit: 1,
        expect: &["volume SYS", "FAT chain", "loops"],
        apply: |mut b, g| {
            let e = g.data + g.dir_block as usize * 8;
            put32(&mut b, e + 4, g.dir_block);
            b
        },
    },
    Damage {
        name: "dir-chain-next-past-volume",
        what: "the FAT entry of the directory table's block names a next block past the volume",
        exit: 1,
        expect: &["volume SYS", "FAT entry", "next block", "past the volume"],
        apply: |mut b, g| {
            let e = g.data + g.dir_block as usize * 8;
            put32(&mut b, e + 4, g.total_blocks + 5);
            b
        },
    },
    Damage {
        name: "dir-chain-into-free-block",
        what: "the directory table's chain continues into a free block",
        exit: 1,
        expect: &["volume SYS", "free block"],
        apply: |mut b, g| {
            let e = g.data + g.dir_block as usize * 8;
            put32(&mut b, e + 4, g.total_blocks - 1);
            b
        },
    },
    Damage {
        name: "dir-entry-bad-name",
        what: "directory entry 1 (free) turned into a file in the root with no name",
        exit: 1,
        expect: &["volume SYS directory entry 1", "name length"],
        apply: |mut b, g| {
            let e = g.data + g.dir_block as usize * g.block + 128;
            put32(&mut b, e, 0);
            b
        },
    },
    Damage {
        name: "warn-hotfix-copy0-damaged",
        what: "HOTFIX00 damaged in copy 0 only: copies 1-3 are used",
        exit: 0,
        expect: &["hot-fix/mirror header copy 0 is damaged", "HOTFIX00"],
        apply: |mut b, g| {
            b[g.hotfix] = b'X';
            b
        },
    },
    Damage {
        name: "warn-voltab-copy0-damaged",
        what: "the volume table signature damaged in copy 0 only: copies 1-3 are used",
        exit: 0,
        expect: &["volume definition table copy 0 is damaged", "signature"],
        apply: |mut b, g| {
            b[g.voltab] = b'X';
            b
        },
    },
];

/// Regressions: a damaged hot-fix header copy 0 is outvoted by the three
/// agreeing copies, and a partition missing from its own mirror table is
/// named in the error.
const OUTVOTED_AND_UNLISTED: &[Damage] = &[
    Damage {
        name: "hotfix-copy0-partition-id",
        what: "one byte of the partition ID in hot-fix header copy 0 changed; copies 1-3 and NWVOLEXT agree",
        exit: 0,
        expect: &["hot-fix/mirror header copy 0"],
        apply: |mut b, g| {
            b[g.hotfix + 9] ^= 0x2c;
            b
        },
    },
    Damage {
        name: "hotfix-copy0-redir-sectors",
        what: "hot-fix header copy 0's redirection sectors lowered by 8 (still valid); copies 1-3 agree",
        exit: 0,
        expect: &["hot-fix/mirror header copy 0"],
        apply: |mut b, g| {
            let r = le32(&b, g.hotfix + 24);
            put32(&mut b, g.hotfix + 24, r - 8);
            b
        },
    },
    Damage {
        name: "hotfix-copy0-data-sectors",
        what: "hot-fix header copy 0's data sectors lowered by 16 (still valid); copies 1-3 agree",
        exit: 0,
        expect: &["hot-fix/mirror header copy 0"],
        apply: |mut b, g| {
            let d = le32(&b, g.hotfix + 20);
            put32(&mut b, g.hotfix + 20, d - 16);
            b
        },
    },
    Damage {
        name: "not-in-own-mirror-table",
        what: "NWVOLEXT magic damaged (a plain partition now) and the partition ID changed in all four\nhot-fix headers: the mirror table does not list the partition",
        exit: 1,
        expect: &["mirror"],
        apply: |mut b, g| {
            b[g.part + 512 + 5] = 0;
            for c in 0..4 {
                b[g.hotfix + c * 16384 + 9] ^= 0x2c;
            }
            b
        },
    },
];

/// Formats the base image every case damages: 8 MiB, 4 KiB blocks.
fn base_image(dir: &tempfile::TempDir) -> (PathBuf, Vec<u8>) {
    let p = img(dir, "base.img");
    ok(&[
        "format",
        "--size",
        "8M",
        "--block-size",
        "4K",
        p.to_str().unwrap(),
    ]);
    let b = std::fs::read(&p).unwrap();
    (p, b)
}

#[test]
#[ignore = "writes tests/corpus/; run on purpose to remake the corpus"]
fn regenerate() {
    let dir = tempfile::tempdir().unwrap();
    let (_, base) = base_image(&dir);
    let g = geo(&base);
    assert_eq!(g.block, 4096);
    std::fs::create_dir_all(corpus_dir()).unwrap();
    for c in CASES.iter().chain(OUTVOTED_AND_UNLISTED) {
        let bytes = (c.apply)(base.clone(), &g);
        let text = encode_case(bytes.len(), c.exit, c.expect, c.what, &bytes);
        std::fs::write(corpus_dir().join(format!("{}.txt", c.name)), text).unwrap();
        // Round trip: the stored text gives back these bytes.
        let back = parse_case(
            c.name,
            &std::fs::read_to_string(corpus_dir().join(format!("{}.txt", c.name))).unwrap(),
        );
        let p = img(&dir, "roundtrip.img");
        write_image(&back, &p);
        assert_eq!(std::fs::read(&p).unwrap(), bytes, "{}", c.name);
        std::fs::remove_file(&p).unwrap();
    }
}

// ---------------------------------------------------------------------
// Fuzzing.

/// Bytes of a formatted 8 MiB image changed at random (seeded): inspect
/// exits 0 or 1, never panics, and a failure is one line naming the
/// device.
#[test]
fn flipped_bytes_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let (p, base) = base_image(&dir);
    let g = geo(&base);
    let dev = p.to_str().unwrap().to_string();
    // Where the damage goes: the first 200 KiB of metadata, that is the MBR
    // and the partition from its start through the volume table, the FAT
    // and the directory blocks (the image's first 200 KiB proper is the MBR
    // and zeros: the partition starts at 1 MiB). Mostly a byte of a sector
    // that holds something, or a non-zero byte, where damage is telling.
    let meta_end = (g.data + (g.dir_block as usize + 2) * g.block).max(g.part + 200 * 1024);
    let nonzero: Vec<usize> = (0..meta_end / 512)
        .filter(|&s| base[s * 512..(s + 1) * 512].iter().any(|&x| x != 0))
        .collect();
    let nonzero_bytes: Vec<usize> = (0..meta_end).filter(|&i| base[i] != 0).collect();
    // NWVOL_FUZZ_CASES and NWVOL_FUZZ_SEED run a longer or other campaign.
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let mut rng = Rng(env("NWVOL_FUZZ_SEED", 0x00C0_FFEE).max(1));
    let (mut exit0, mut exit1) = (0, 0);
    for case in 0..env("NWVOL_FUZZ_CASES", 300) {
        let flips = 1 + rng.below(6);
        let mut offs = Vec::new();
        for _ in 0..flips {
            let off = match rng.below(6) {
                0 => rng.below(512),
                1 => g.part + rng.below(meta_end - g.part),
                2 | 3 => nonzero[rng.below(nonzero.len())] * 512 + rng.below(512),
                _ => nonzero_bytes[rng.below(nonzero_bytes.len())],
            };
            let v = match rng.below(3) {
                0 => base[off] ^ (1 << rng.below(8)),
                1 => 0xFF,
                _ => rng.next() as u8,
            };
            poke(&p, off as u64, &[v]);
            offs.push(off);
        }
        let o = run(&["inspect", "--json", "-d", &dev]);
        let err = String::from_utf8_lossy(&o.stderr);
        let what = format!("case {case}, bytes {offs:?}: {:?}: {err}", o.status.code());
        assert!(!err.contains("panicked"), "{what}");
        match o.status.code() {
            Some(0) => exit0 += 1,
            Some(1) => {
                exit1 += 1;
                let errors: Vec<&str> = err
                    .lines()
                    .filter(|l| !l.starts_with("nwvol: warning: "))
                    .collect();
                assert_eq!(errors.len(), 1, "{what}");
                assert!(errors[0].starts_with(&format!("nwvol: {dev}: ")), "{what}");
            }
            _ => panic!("{what}"),
        }
        for off in offs {
            poke(&p, off as u64, &base[off..off + 1]);
        }
    }
    eprintln!("fuzz: {exit0} images inspected, {exit1} refused");
    assert!(exit1 > 0, "no flip was ever noticed");
    assert_eq!(std::fs::read(&p).unwrap(), base);
}
