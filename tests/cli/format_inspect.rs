//! `nwvol format` and `nwvol inspect` run as the built binary on real image
//! files: mirrored and spanned layouts, options, the safety checks that
//! refuse to overwrite data, the writer lock, degraded groups, a 2 TiB
//! sparse image and the NWVOL_DEVICES variable.

use crate::support::*;

use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nwvol::partition::plan::PartitionGeometry;
use nwvol::volume::plan::default_block_size;

const MIB: u64 = 1 << 20;

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

/// CRC32 of a whole file, read in 1 MiB pieces.
fn file_crc(p: &Path) -> (u64, u32) {
    use std::io::Read;
    let mut f = std::fs::File::open(p).unwrap();
    let mut h = crc32fast::Hasher::new();
    let mut buf = vec![0u8; MIB as usize];
    let mut len = 0u64;
    loop {
        let n = f.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        len += n as u64;
    }
    (len, h.finalize())
}

/// True when `tool` is on PATH (or in the sbin directories).
fn have(tool: &str) -> bool {
    let path = std::env::var("PATH").unwrap_or_default();
    path.split(':')
        .chain(["/sbin", "/usr/sbin", "/usr/local/sbin"])
        .any(|d| Path::new(d).join(tool).is_file())
}

/// Runs an outside tool; false (with the reason printed) when it fails.
fn tool(cmd: &str, args: &[&str], stdin: Option<&str>) -> bool {
    use std::io::Write;
    let mut c = Command::new(cmd);
    c.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = match c.spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("skipping {cmd}: cannot run it: {e}");
            return false;
        }
    };
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let o = child.wait_with_output().unwrap();
    if !o.status.success() {
        eprintln!(
            "skipping {cmd} {args:?}: it failed: {}",
            String::from_utf8_lossy(&o.stderr).trim()
        );
    }
    o.status.success()
}

fn n(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// FAT blocks of a segment: ceil(blocks * 8 / block size).
/// Blocks of a checksum fragment (FORMAT.md "Block checksums").
fn checksum_blocks(blocks: u64, bs: u64) -> u64 {
    (blocks * 4).div_ceil(bs)
}

fn fat_blocks(blocks: u64, bs: u64) -> u64 {
    (blocks * 8).div_ceil(bs)
}

#[test]
fn mirrored_pair_inspects_as_one_group_of_two_in_sync() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (img(&dir, "disk0.img"), img(&dir, "disk1.img"));
    ok(&["format", "--size", "64M", "--mirror", s(&a), s(&b)]);
    let j = inspect(&[&a, &b]);
    assert_eq!(j["nwvol_json"], 2);
    assert_eq!(j["command"], "inspect");
    let devs = j["devices"].as_array().unwrap();
    assert_eq!(devs.len(), 2, "{j}");
    for d in devs {
        assert_eq!(d["kind"], "image");
        assert_eq!(n(&d["size_bytes"]), 64 * MIB);
        assert_eq!(d["nwvol"], true);
        assert_eq!(
            d["header_copies"],
            serde_json::json!(["good", "good", "good", "good"])
        );
        assert_eq!(d["warnings"], serde_json::json!([]));
    }
    let groups = j["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{j}");
    let g = &groups[0];
    assert_eq!(g["degraded"], false);
    assert_eq!(g["missing"], serde_json::json!([]));
    let members = g["members"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    for (m, d) in members.iter().zip(devs) {
        assert_eq!(m["present"], true);
        assert_eq!(m["state"], "in sync");
        assert_eq!(m["partition_id"], d["partition_id"]);
    }
    assert_ne!(members[0]["partition_id"], members[1]["partition_id"]);
    let vols = j["volumes"].as_array().unwrap();
    assert_eq!(vols.len(), 1);
    let v = &vols[0];
    assert_eq!(v["name"], "SYS");
    assert_eq!(v["complete"], true);
    let bs = n(&v["block_size"]);
    // About 60 MiB of volume: 4 KiB blocks (NetWare 3's), the default up
    // to 8 GiB.
    assert_eq!(bs, 4096);
    assert_eq!(
        bs,
        default_block_size(n(&g["logical_bytes"]) - 64 * 1024) as u64
    );
    let total = n(&v["total_blocks"]);
    let st = &v["stats"];
    // FAT, its copy, the checksum fragment, the directory and its copy.
    let own = 2 * fat_blocks(total, bs) + checksum_blocks(total, bs) + 2;
    assert_eq!(v["checksums"], true);
    assert_eq!(n(&st["used_blocks"]), own, "{st}");
    assert_eq!(n(&st["free_blocks"]), total - own);
    assert_eq!(n(&st["files"]), 0);
    assert_eq!(n(&st["directories"]), 0);
    assert_eq!(n(&st["deleted_files"]), 0);
    assert_eq!(n(&st["dir_entries"]), bs / 128);

    // The tables name the volume and both devices.
    let o = run(&["inspect", "-d", s(&a), "-d", s(&b)]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    for want in ["SYS", s(&a), s(&b), "in sync"] {
        assert!(out.contains(want), "table lacks {want:?}:\n{out}");
    }
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn sfdisk_sees_one_netware_partition() {
    if !have("sfdisk") {
        eprintln!("skipping: sfdisk (util-linux) is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let a = img(&dir, "disk.img");
    ok(&["format", "--size", "64M", s(&a)]);
    let o = Command::new("sfdisk")
        .arg("--json")
        .arg(&a)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "sfdisk: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let t = &j["partitiontable"];
    assert_eq!(t["label"], "dos");
    let parts = t["partitions"].as_array().unwrap();
    assert_eq!(parts.len(), 1, "{j}");
    assert_eq!(parts[0]["type"], "65");
    assert_eq!(n(&parts[0]["start"]), 2048);
    assert_eq!(n(&parts[0]["size"]), 64 * MIB / 512 - 2048);
}

#[test]
fn mirror_of_different_sizes_keeps_each_members_own_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (img(&dir, "small.img"), img(&dir, "large.img"));
    sparse(&a, 64 * MIB);
    sparse(&b, 96 * MIB);
    // Fresh zero images: nothing to overwrite, so no --force.
    ok(&["format", "--mirror", s(&a), s(&b)]);
    let ga = PartitionGeometry::plan(64 * MIB, None).unwrap();
    let gb = PartitionGeometry::plan(96 * MIB, None).unwrap();
    // The default pool is 2% of each, so the logical partitions start at
    // different device bytes.
    assert_ne!(ga.logical_start_byte(), gb.logical_start_byte());
    assert!(ga.data_sectors < gb.data_sectors);

    let j = inspect(&[&a, &b]);
    let g = &j["groups"][0];
    assert_eq!(j["groups"].as_array().unwrap().len(), 1);
    assert_eq!(n(&g["logical_bytes"]), ga.data_sectors as u64 * 512);
    let devs = j["devices"].as_array().unwrap();
    for (d, geo, path) in [(&devs[0], ga, &a), (&devs[1], gb, &b)] {
        assert_eq!(d["device"], s(path));
        assert_eq!(n(&d["volume_table_byte"]), geo.logical_start_byte());
        assert_eq!(n(&d["redirection_sectors"]), geo.redir_sectors as u64);
        // Both members hold the group's (the smaller) logical partition.
        assert_eq!(n(&d["logical_sectors"]), ga.data_sectors as u64);
        let m = g["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["partition_id"] == d["partition_id"])
            .unwrap();
        assert_eq!(n(&m["logical_start_byte"]), geo.logical_start_byte());
        // The volume table, all four copies, at the member's own offset.
        for c in 0..4 {
            assert_eq!(
                peek(path, geo.logical_start_byte() + c * 16384, 16),
                b"NetWare Volumes\0",
                "{path:?} copy {c}"
            );
        }
    }
    let v = &j["volumes"][0];
    let bs = n(&v["block_size"]);
    let total = n(&v["total_blocks"]);
    // The volume fills the smaller member's logical partition.
    assert!((ga.data_sectors as u64 - 128) * 512 - total * bs < bs);
}

#[test]
fn spanning_two_images_makes_two_groups_and_two_segments() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (img(&dir, "span0.img"), img(&dir, "span1.img"));
    ok(&["format", "--size", "64M", s(&a), s(&b)]);
    let j = inspect(&[&a, &b]);
    let groups = j["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 2, "{j}");
    for g in groups {
        assert_eq!(g["members"].as_array().unwrap().len(), 1);
        assert_eq!(g["degraded"], false);
    }
    let vols = j["volumes"].as_array().unwrap();
    assert_eq!(vols.len(), 1);
    let v = &vols[0];
    assert_eq!(v["name"], "SYS");
    let segs = v["segments"].as_array().unwrap();
    assert_eq!(segs.len(), 2);
    assert_eq!(n(&segs[0]["number"]), 0);
    assert_eq!(n(&segs[1]["number"]), 1);
    assert_eq!(n(&segs[0]["first_block"]), 0);
    assert_eq!(n(&segs[1]["first_block"]), n(&segs[0]["blocks"]));
    assert_eq!(segs[0]["group_id"], groups[0]["group_id"]);
    assert_eq!(segs[1]["group_id"], groups[1]["group_id"]);
    assert_eq!(
        n(&v["total_blocks"]),
        n(&segs[0]["blocks"]) + n(&segs[1]["blocks"])
    );
    // Each segment holds its own FAT fragment and copy; the first also the
    // directory table and its copy.
    let bs = n(&v["block_size"]);
    let used: u64 = segs
        .iter()
        .map(|sg| 2 * fat_blocks(n(&sg["blocks"]), bs) + checksum_blocks(n(&sg["blocks"]), bs))
        .sum::<u64>()
        + 2;
    assert_eq!(n(&v["stats"]["used_blocks"]), used);
}

#[test]
fn sized_volume_and_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (img(&dir, "vol0.img"), img(&dir, "vol1.img"));
    ok(&[
        "format",
        "--size",
        "64M",
        "--volume",
        "SYS:16M",
        "--volume",
        "DATA",
        s(&a),
        s(&b),
    ]);
    let j = inspect(&[&a, &b]);
    let vols = j["volumes"].as_array().unwrap();
    assert_eq!(vols.len(), 2, "{j}");
    let (sys, data) = (&vols[0], &vols[1]);
    assert_eq!(sys["name"], "SYS");
    assert_eq!(data["name"], "DATA");
    assert_eq!(n(&sys["total_blocks"]) * n(&sys["block_size"]), 16 * MIB);
    assert_eq!(n(&sys["size_bytes"]), 16 * MIB);
    assert_eq!(sys["segments"].as_array().unwrap().len(), 1);
    // DATA takes the rest of both logical partitions: after SYS in the
    // first, all of the second, less than a block left over in each.
    let bs = n(&data["block_size"]);
    let spb = bs / 512;
    let segs = data["segments"].as_array().unwrap();
    assert_eq!(segs.len(), 2);
    let logical: Vec<u64> = j["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| n(&d["logical_sectors"]))
        .collect();
    assert_eq!(n(&segs[0]["logical_sector"]), 128 + 16 * MIB / 512);
    assert_eq!(n(&segs[1]["logical_sector"]), 128);
    for (sg, d) in segs.iter().zip(&logical) {
        let end = n(&sg["logical_sector"]) + n(&sg["blocks"]) * spb;
        assert!(end <= *d && d - end < spb, "{sg} in {d} sectors");
    }
    assert_eq!(
        n(&data["total_blocks"]),
        n(&segs[0]["blocks"]) + n(&segs[1]["blocks"])
    );
}

#[test]
fn block_size_option_is_used() {
    let dir = tempfile::tempdir().unwrap();
    for (opt, bs) in [
        ("4K", 4096),
        ("8K", 8192),
        ("16K", 16384),
        ("32K", 32768),
        ("64K", 65536),
    ] {
        let p = img(&dir, &format!("bs{opt}.img"));
        ok(&["format", "--size", "64M", "--block-size", opt, s(&p)]);
        let j = inspect(&[&p]);
        let v = &j["volumes"][0];
        assert_eq!(n(&v["block_size"]), bs, "--block-size {opt}");
        let t = n(&v["total_blocks"]);
        assert_eq!(
            n(&v["stats"]["used_blocks"]),
            2 * fat_blocks(t, bs) + checksum_blocks(t, bs) + 2
        );
    }
    // Without checksums: NetWare's own layout, FAT, copy and directory.
    let p = img(&dir, "plain.img");
    ok(&["format", "--size", "64M", "--no-checksums", s(&p)]);
    let v = &inspect(&[&p])["volumes"][0];
    assert_eq!(v["checksums"], false);
    let (t, bs) = (n(&v["total_blocks"]), n(&v["block_size"]));
    assert_eq!(n(&v["stats"]["used_blocks"]), 2 * fat_blocks(t, bs) + 2);
}

/// A usage error: exit 2, clap's message naming the bad value, and no
/// image created.
fn usage_error(dir: &tempfile::TempDir, args: &[&str], bad: &str) {
    let p = img(dir, "usage.img");
    let mut all = vec!["format", "--size", "64M"];
    all.extend_from_slice(args);
    all.push(s(&p));
    let o = run(&all);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{all:?}: {err}");
    assert!(err.contains(bad), "{all:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!p.exists(), "{all:?} created the image");
}

#[test]
fn bad_options_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    usage_error(&dir, &["--block-size", "3K"], "3K");
    usage_error(&dir, &["--block-size", "128K"], "128K");
    for name in ["a", "TOO_LONG_NAME_FOR_NETWARE", "BAD NAME"] {
        usage_error(&dir, &["--volume", name], name);
    }
    usage_error(&dir, &["--volume", "SYS:lots"], "lots");
}

#[test]
fn hotfix_option_sets_the_pool() {
    let dir = tempfile::tempdir().unwrap();
    let p = img(&dir, "hotfix.img");
    ok(&["format", "--size", "64M", "--hotfix", "1M", s(&p)]);
    let d = &inspect(&[&p])["devices"][0];
    assert_eq!(n(&d["redirection_sectors"]), 128 + 2048);
    assert_eq!(
        n(&d["volume_table_byte"]),
        MIB + (32 + 128 + 2048) * 512,
        "{d}"
    );
}

#[test]
fn nine_way_mirror_is_refused_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<PathBuf> = (0..9).map(|i| img(&dir, &format!("m{i}.img"))).collect();
    let mut args = vec!["format", "--size", "8M", "--mirror"];
    args.extend(paths.iter().map(|p| s(p)));
    fails(&args, 1, &["at most 8", "9"]);
    for p in &paths {
        assert!(!p.exists(), "{p:?} was left behind");
    }
}

#[test]
fn refused_format_removes_the_images_it_created() {
    let dir = tempfile::tempdir().unwrap();
    let (new, old) = (img(&dir, "new.img"), img(&dir, "old.img"));
    ok(&["format", "--size", "8M", s(&old)]);
    let before = file_crc(&old);
    // The second device holds a NetWare partition: refused without --force.
    fails(
        &["format", "--size", "8M", s(&new), s(&old)],
        1,
        &["old.img", "--force"],
    );
    assert!(!new.exists(), "the refused format left {new:?} behind");
    assert_eq!(file_crc(&old), before);
}

#[test]
fn dry_run_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let p = img(&dir, "dry.img");
    let out = ok(&["format", "--dry-run", "--size", "64M", s(&p)]);
    assert!(out.contains("dry run"), "{out}");
    assert!(out.contains("SYS"), "{out}");
    assert!(!p.exists(), "a dry run created {p:?}");
    // An existing formatted image stays as it was, even with --force and
    // other options.
    ok(&["format", "--size", "64M", s(&p)]);
    let before = file_crc(&p);
    ok(&[
        "format",
        "-n",
        "--force",
        "--block-size",
        "4K",
        "--volume",
        "OTHER",
        s(&p),
    ]);
    assert_eq!(file_crc(&p), before);
    // And a dry run over data without --force is refused like the real one.
    fails(&["format", "-n", s(&p)], 1, &["dry.img", "--force"]);
}

/// The library's errors name no flag; the CLI adds the hint, so the user
/// still reads which option helps: an image of another size than --size
/// asks, a volume without a size before the last, a hot-fix pool of 0.
#[test]
fn errors_name_the_flag_that_helps() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("new.img");
    ok(&["format", "-q", "--size", "32M", s(&p)]);
    fails(
        &["format", "--force", "--size", "64M", s(&p)],
        1,
        &[
            "new.img",
            "exists with 32 MiB, not the 64 MiB that --size asks; remove it or drop --size",
        ],
    );
    let q = dir.path().join("two.img");
    fails(
        &[
            "format",
            "--size",
            "32M",
            "--volume",
            "AA",
            "--volume",
            "BB",
            s(&q),
        ],
        1,
        &["volume AA has no size; only the last --volume may omit it"],
    );
    // A flag's own value: refused by the command line parser (usage, 2).
    let o = run(&["format", "--size", "32M", "--hotfix", "0", s(&q)]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("--hotfix") && err.contains("larger than 0"),
        "{err}"
    );
}

struct Safety {
    what: &'static str,
    size: u64,
    tool: &'static str,
    args: &'static [&'static str],
    stdin: Option<&'static str>,
    words: &'static [&'static str],
}

const SAFETY: &[Safety] = &[
    Safety {
        what: "ext4",
        size: 64 * MIB,
        tool: "mkfs.ext4",
        args: &["-F", "-q"],
        stdin: None,
        words: &["ext4"],
    },
    Safety {
        what: "fat",
        size: 64 * MIB,
        tool: "mkfs.vfat",
        args: &[],
        stdin: None,
        words: &["FAT"],
    },
    Safety {
        what: "xfs",
        size: 320 * MIB,
        tool: "mkfs.xfs",
        args: &["-f", "-q"],
        stdin: None,
        words: &["XFS"],
    },
    Safety {
        what: "btrfs",
        size: 128 * MIB,
        tool: "mkfs.btrfs",
        args: &["-f", "-q"],
        stdin: None,
        words: &["Btrfs"],
    },
    Safety {
        what: "ntfs",
        size: 64 * MIB,
        tool: "mkntfs",
        args: &["-F", "-Q", "-q"],
        stdin: None,
        words: &["NTFS"],
    },
    Safety {
        what: "gpt",
        size: 64 * MIB,
        tool: "sfdisk",
        args: &["-q"],
        stdin: Some("label: gpt\n"),
        words: &["GPT"],
    },
    Safety {
        what: "mbr",
        size: 64 * MIB,
        tool: "sfdisk",
        args: &["-q"],
        stdin: Some("label: dos\n,10M,83\n"),
        words: &["MBR partition table"],
    },
];

/// Format refuses the image without --force (one line naming it, what it
/// holds and --force; the bytes unchanged) and formats it with --force.
fn refused_then_forced(p: &Path, words: &[&str]) {
    let before = file_crc(p);
    let mut want = vec![s(p), "--force"];
    want.extend_from_slice(words);
    fails(&["format", s(p)], 1, &want);
    assert_eq!(file_crc(p), before, "{p:?} changed");
    ok(&["format", "--force", s(p)]);
    let j = inspect(&[p]);
    assert_eq!(j["volumes"][0]["name"], "SYS");
    assert_eq!(j["devices"][0]["nwvol"], true);
}

#[test]
fn format_refuses_what_is_there_without_force() {
    let dir = tempfile::tempdir().unwrap();
    for c in SAFETY {
        if !have(c.tool) {
            eprintln!("skipping {}: {} is not installed", c.what, c.tool);
            continue;
        }
        let p = img(&dir, &format!("{}.img", c.what));
        sparse(&p, c.size);
        let mut args: Vec<&str> = c.args.to_vec();
        args.push(s(&p));
        if !tool(c.tool, &args, c.stdin) {
            continue;
        }
        refused_then_forced(&p, c.words);
        std::fs::remove_file(&p).unwrap();
    }
    // A disk nwvol formatted before.
    let p = img(&dir, "nwvol.img");
    ok(&["format", "--size", "64M", s(&p)]);
    refused_then_forced(&p, &["NetWare"]);
}

/// A child process killed and reaped on drop.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Tries the writer's lock from a new open file description: true when
/// someone else holds it.
fn lock_is_held(p: &Path) -> bool {
    let f = std::fs::File::open(p).unwrap();
    // SAFETY: flock on a valid descriptor; the lock, if taken, goes with f.
    let r = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    r != 0
}

#[test]
fn format_is_refused_while_another_process_holds_the_lock() {
    let dir = tempfile::tempdir().unwrap();
    let p = img(&dir, "locked.img");
    ok(&["format", "--size", "8M", s(&p)]);
    let before = file_crc(&p);

    // Held by this process, from its own open file description.
    {
        let f = std::fs::File::open(&p).unwrap();
        // SAFETY: flock on a valid descriptor.
        assert_eq!(
            unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) },
            0
        );
        fails(
            &["format", "--force", s(&p)],
            1,
            &["locked.img", "device busy"],
        );
        assert_eq!(file_crc(&p), before);
    }

    // Held by flock(1).
    if !have("flock") {
        eprintln!("skipping the flock(1) holder: flock is not installed");
    } else {
        let holder = Killed(
            Command::new("flock")
                .args(["-x", s(&p), "sleep", "30"])
                .stdin(Stdio::null())
                .spawn()
                .unwrap(),
        );
        // Wait (boundedly) until flock has the lock.
        let mut held = false;
        for _ in 0..1000 {
            if lock_is_held(&p) {
                held = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        assert!(held, "flock(1) never took the lock");
        fails(
            &["format", "--force", s(&p)],
            1,
            &["locked.img", "device busy"],
        );
        assert_eq!(file_crc(&p), before);
        drop(holder);
    }
    // Reading needs no lock: inspect works, and the image is intact.
    assert_eq!(inspect(&[&p])["volumes"][0]["name"], "SYS");
}

#[test]
fn concurrent_formats_do_not_interleave() {
    let dir = tempfile::tempdir().unwrap();
    let p = img(&dir, "race.img");
    ok(&["format", "--size", "32M", s(&p)]);
    for round in 0..4 {
        let spawn = |bs: &str| {
            nwvol()
                .args(["format", "--force", "--block-size", bs, s(&p)])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        // Different block sizes, so that a mix of the two would show.
        let (x, y) = (spawn("4K"), spawn("8K"));
        let mut succeeded = 0;
        for c in [x, y] {
            let o = c.wait_with_output().unwrap();
            let err = String::from_utf8_lossy(&o.stderr);
            match o.status.code() {
                Some(0) => succeeded += 1,
                Some(1) => assert!(err.contains("device busy"), "round {round}: {err}"),
                other => panic!("round {round}: exit {other:?}: {err}"),
            }
        }
        assert!(succeeded >= 1, "round {round}: neither format succeeded");
        let o = run(&["inspect", "--json", "-d", s(&p)]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "round {round}: {err}");
        assert!(err.is_empty(), "round {round}: {err}");
        let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let v = &j["volumes"][0];
        let bs = n(&v["block_size"]);
        assert!(bs == 4096 || bs == 8192);
        assert_eq!(
            n(&v["stats"]["used_blocks"]),
            2 * fat_blocks(n(&v["total_blocks"]), bs)
                + checksum_blocks(n(&v["total_blocks"]), bs)
                + 2
        );
    }
}

#[test]
fn one_member_of_a_mirror_inspects_degraded() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (img(&dir, "half0.img"), img(&dir, "half1.img"));
    ok(&["format", "--size", "64M", "--mirror", s(&a), s(&b)]);
    let both = inspect(&[&a, &b]);
    let b_id = both["devices"][1]["partition_id"].clone();
    for json in [true, false] {
        let mut args = vec!["inspect", "-d", s(&a)];
        if json {
            args.push("--json");
        }
        let o = run(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{err}");
        assert!(err.contains("degraded"), "{err}");
        assert!(
            err.lines().all(|l| l.starts_with("nwvol: warning: ")),
            "{err}"
        );
        if json {
            let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            let g = &j["groups"][0];
            assert_eq!(g["degraded"], true);
            assert_eq!(g["missing"], serde_json::json!([b_id]));
            let absent: Vec<_> = g["members"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|m| m["present"] == false)
                .collect();
            assert_eq!(absent.len(), 1);
            assert_eq!(absent[0]["partition_id"], b_id);
            assert!(absent[0]["device"].is_null());
            // The volume is still readable from the member present.
            assert_eq!(j["volumes"][0]["complete"], true);
            assert_eq!(j["volumes"][0]["stats"]["files"], 0);
        } else {
            assert!(String::from_utf8_lossy(&o.stdout).contains("DEGRADED"));
        }
    }
}

#[test]
fn two_tib_sparse_image() {
    // On the disk the build uses (not a tmpfs), as a real user would.
    let dir = tempfile::Builder::new()
        .prefix("nwvol-2t")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .unwrap();
    let p = img(&dir, "big.img");
    ok(&["format", "--size", "2T", s(&p)]);
    let meta = std::fs::metadata(&p).unwrap();
    assert_eq!(meta.len(), 2 << 40);
    use std::os::unix::fs::MetadataExt;
    let allocated = meta.blocks() * 512;
    assert!(
        allocated < 8 * MIB,
        "a fresh 2 TiB image allocated {allocated} bytes"
    );
    let j = inspect(&[&p]);
    let d = &j["devices"][0];
    // The MBR's 32-bit sector count caps the partition.
    assert_eq!(n(&d["sectors"]), (2u64 << 40) / 512 - 2048);
    let v = &j["volumes"][0];
    assert_eq!(n(&v["block_size"]), 65536);
    let total = n(&v["total_blocks"]);
    assert_eq!(total, (n(&d["logical_sectors"]) - 128) / 128);
    let ideal = (2u64 << 40) / 65536;
    // Overhead: 1 MiB alignment, the ~2% hot-fix pool, the volume table.
    assert!(
        total < ideal && total > ideal * 97 / 100,
        "{total} of {ideal}"
    );
    let f = fat_blocks(total, 65536);
    let c = checksum_blocks(total, 65536);
    assert_eq!(n(&v["stats"]["used_blocks"]), 2 * f + c + 2);
}

#[test]
fn devices_from_nwvol_devices() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (img(&dir, "env0.img"), img(&dir, "env1.img"));
    ok(&["format", "--size", "64M", "--mirror", s(&a), s(&b)]);
    let want = inspect(&[&a, &b]);
    for list in [
        format!("{} {}", s(&a), s(&b)),
        format!("{},{}", s(&a), s(&b)),
        format!("  {} ,\t{}  ", s(&a), s(&b)),
    ] {
        let o = nwvol()
            .env("NWVOL_DEVICES", &list)
            .args(["inspect", "--json"])
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "{list:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let got: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(got, want, "NWVOL_DEVICES={list:?}");
    }
    // -d wins over the variable.
    let o = nwvol()
        .env("NWVOL_DEVICES", "/nonexistent.img")
        .args(["inspect", "--json", "-d", s(&a), "-d", s(&b)])
        .output()
        .unwrap();
    assert!(o.status.success());
    assert_eq!(
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap(),
        want
    );
    // No devices at all.
    fails(&["inspect"], 1, &["-d", "NWVOL_DEVICES"]);
    let o = nwvol()
        .env("NWVOL_DEVICES", " , ")
        .args(["inspect"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("-d") && err.contains("NWVOL_DEVICES"), "{err}");
}
