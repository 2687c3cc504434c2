//! Helpers for the file-command tests: formatting images, running commands
//! with standard input, and checking through the library that the FAT and
//! the directory table equal their copies.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::sync::Arc;

use nwvol::assembly::Assembly;
use nwvol::device::Device;
use nwvol::device::file::{FileDevice, OpenOptions};
use nwvol::layout::fat::fat_blocks;
use nwvol::partition::Partition;
use nwvol::volume::fat::Fat;

use super::*;

/// Formats images (created sparse at `size`) with extra format arguments;
/// returns their paths.
pub fn format(dir: &tempfile::TempDir, names: &[&str], size: &str, extra: &[&str]) -> Vec<PathBuf> {
    let paths: Vec<PathBuf> = names.iter().map(|n| img(dir, n)).collect();
    let mut args: Vec<String> = vec!["format".into(), "--size".into(), size.into()];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.extend(paths.iter().map(|p| p.display().to_string()));
    let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    ok(&a);
    paths
}

/// `-d IMG` for each image, then `args`.
pub fn with_devs(imgs: &[PathBuf], args: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    // `volume` takes the devices after its own subcommand.
    let head = if args.first() == Some(&"volume") {
        2
    } else {
        1
    };
    let (cmd, rest) = args.split_at(head);
    v.extend(cmd.iter().map(|s| s.to_string()));
    for i in imgs {
        v.push("-d".into());
        v.push(i.display().to_string());
    }
    v.extend(rest.iter().map(|s| s.to_string()));
    v
}

/// Runs nwvol on the images.
pub fn nw(imgs: &[PathBuf], args: &[&str]) -> Output {
    let v = with_devs(imgs, args);
    let a: Vec<&str> = v.iter().map(|s| s.as_str()).collect();
    run(&a)
}

/// Runs nwvol on the images and asserts success; returns stdout.
pub fn nw_ok(imgs: &[PathBuf], args: &[&str]) -> String {
    let v = with_devs(imgs, args);
    let a: Vec<&str> = v.iter().map(|s| s.as_str()).collect();
    ok(&a)
}

/// Runs nwvol on the images expecting failure with `code` and one error
/// line holding `words`.
pub fn nw_fails(imgs: &[PathBuf], args: &[&str], code: i32, words: &[&str]) -> String {
    let v = with_devs(imgs, args);
    let a: Vec<&str> = v.iter().map(|s| s.as_str()).collect();
    fails(&a, code, words)
}

/// Runs nwvol on the images with `input` on standard input.
pub fn nw_stdin(imgs: &[PathBuf], args: &[&str], input: &[u8]) -> Output {
    let v = with_devs(imgs, args);
    let mut child = nwvol()
        .args(&v)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn nwvol");
    let mut stdin = child.stdin.take().expect("stdin");
    let data = input.to_vec();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let o = child.wait_with_output().expect("wait");
    feeder.join().unwrap();
    o
}

/// `df --json` of one volume.
pub fn df(imgs: &[PathBuf], vol: &str) -> serde_json::Value {
    let j: serde_json::Value = serde_json::from_str(&nw_ok(imgs, &["df", "--json", vol])).unwrap();
    j["volumes"][0].clone()
}

/// Assembles the images read-only through the library.
pub fn system(imgs: &[PathBuf]) -> Assembly {
    let devs: Vec<Arc<dyn Device>> = imgs
        .iter()
        .map(|p| {
            Arc::new(FileDevice::open(p, &OpenOptions::read_only()).unwrap()) as Arc<dyn Device>
        })
        .collect();
    Assembly::open(devs).unwrap()
}

/// Checks, by reading raw through the library, that every volume's FAT
/// fragments equal their copies and its directory table equals its copy,
/// block for block; and that `inspect` is clean.
pub fn copies_equal(imgs: &[PathBuf]) {
    let sys = system(imgs);
    let io = sys.io.as_ref();
    for v in &sys.volumes {
        let bs = v.block_size as usize;
        for s in &v.segments {
            let f = fat_blocks(s.blocks(), v.block_size) as usize;
            let mut a = vec![0u8; f * bs];
            let mut b = vec![0u8; f * bs];
            io.read(s.group, v.block_size, s.logical_start(), &mut a)
                .unwrap();
            io.read(
                s.group,
                v.block_size,
                s.logical_start() + (f * bs) as u64,
                &mut b,
            )
            .unwrap();
            assert!(
                a == b,
                "volume {} segment {}: FAT copy differs",
                v.name,
                s.entry.segment
            );
        }
        let t = Fat::chain(v, io, v.dir_block, None).unwrap();
        let c = Fat::chain(v, io, v.dir_copy_block, None).unwrap();
        assert_eq!(
            t.len(),
            c.len(),
            "volume {}: table and copy lengths",
            v.name
        );
        let mut a = vec![0u8; bs];
        let mut b = vec![0u8; bs];
        for (x, y) in t.iter().zip(&c) {
            v.read_block(io, *x, &mut a).unwrap();
            v.read_block(io, *y, &mut b).unwrap();
            assert!(
                a == b,
                "volume {}: directory block {x} differs from copy {y}",
                v.name
            );
        }
    }
    let refs: Vec<&Path> = imgs.iter().map(|p| p.as_path()).collect();
    let j = inspect(&refs);
    for v in j["volumes"].as_array().unwrap() {
        assert!(v["error"].is_null(), "{v}");
        assert!(v["stats"].is_object(), "{v}");
    }
}

/// Deterministic pseudo-random bytes.
pub fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

/// Sets a local file's or directory's modification time (Unix seconds).
pub fn set_mtime(p: &Path, secs: u64) {
    let f = std::fs::File::open(p).unwrap();
    f.set_modified(std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs))
        .unwrap();
}

/// A local file's modification time (Unix seconds).
pub fn mtime(p: &Path) -> i64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(p).unwrap().mtime()
}

/// A member's partition, opened read-only.
pub fn part(p: &Path) -> Partition {
    let d = Arc::new(FileDevice::open(p, &OpenOptions::read_only()).unwrap()) as Arc<dyn Device>;
    Partition::open(d).unwrap()
}

/// Asserts that the logical partitions of two members are byte for byte
/// the same.
pub fn same_logical(a: &Path, b: &Path) {
    let (pa, pb) = (part(a), part(b));
    assert_eq!(pa.logical_bytes(), pb.logical_bytes());
    let n = pa.logical_bytes();
    let chunk = 4 << 20;
    let (mut ba, mut bb) = (vec![0u8; chunk], vec![0u8; chunk]);
    let mut off = 0u64;
    while off < n {
        let k = (n - off).min(chunk as u64) as usize;
        pa.read_logical(&mut ba[..k], off).unwrap();
        pb.read_logical(&mut bb[..k], off).unwrap();
        assert!(
            ba[..k] == bb[..k],
            "{a:?} and {b:?} differ in logical {off}+{k}"
        );
        off += k as u64;
    }
}
