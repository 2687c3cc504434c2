//! Engine benchmark (issue 3): writes through the cache to 1, 2, 4 and 8
//! image-file members of one mirror group, against two baselines measured
//! in the same run on the same number of files: concurrent `dd bs=1M
//! conv=fdatasync` (buffered) and fio sequential 1 MiB writes with
//! direct=1 and end_fsync (the device's limit). Also buffered against
//! O_DIRECT members, on image files and on a loop device.
//!
//! Run it with bench/engine.sh, which installs fio and picks a directory on
//! a real disk. Not a test: it prints a Markdown table and writes it to
//! bench/results/engine.md.
//!
//! Options (environment): NWVOL_BENCH_DIR (scratch directory, on a real
//! disk), NWVOL_BENCH_MIB (MiB written per run, default 1024),
//! NWVOL_BENCH_REPS (repetitions, default 3), NWVOL_BENCH_MEMBERS (default
//! "1,2,4,8"), NWVOL_BENCH_LOOP (0 skips the loop device runs).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Instant;

use nwvol::cache::{BlockIo, Cache, CacheConfig};
use nwvol::device::Device;
use nwvol::device::file::{FileDevice, OpenOptions};
use nwvol::format::{FormatOptions, format};
use nwvol::mirror::assemble::assemble;
use nwvol::partition::Partition;

mod common;

use common::{MIB, env_u64, median, record_figure, record_point};
/// Where the data goes in the logical partition: past the volume's FAT.
const DATA: u64 = 64 * MIB;
const BLOCK: u32 = 65536;

fn peak_rss_mib() -> f64 {
    // SAFETY: getrusage fills the struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    ru.ru_maxrss as f64 / 1024.0
}

fn remove(paths: &[PathBuf]) {
    for p in paths {
        let _ = std::fs::remove_file(p);
    }
}

/// Image size holding `mib` of data past DATA, with the pool and headers.
fn image_bytes(mib: u64) -> u64 {
    ((DATA + mib * MIB) * 105 / 100 + 16 * MIB) / MIB * MIB
}

/// Formats the devices at `paths` as one group (buffered: format's small
/// header writes are not O_DIRECT-aligned), reopens them (`direct` or
/// not), and writes `mib` MiB through a default cache, with a sync at the
/// end. Returns MB/s.
fn nwvol_run(paths: &[PathBuf], create: Option<u64>, direct: bool, mib: u64) -> f64 {
    let open = |direct: bool, create: Option<u64>| -> Vec<Arc<dyn Device>> {
        paths
            .iter()
            .map(|p| {
                let o = OpenOptions {
                    write: true,
                    create_size: create,
                    direct,
                    read_lock: false,
                };
                Arc::new(FileDevice::open(p, &o).expect("open device")) as Arc<dyn Device>
            })
            .collect()
    };
    let opts = FormatOptions {
        mirror: true,
        block_size: Some(BLOCK),
        volumes: vec![],
        hotfix: None,
        force: true,
        checksums: true,
    };
    {
        let devs = open(false, create);
        format(&devs, &opts).expect("format");
        for d in &devs {
            d.sync().expect("sync");
        }
    }
    let devs = open(direct, None);
    let parts = devs
        .into_iter()
        .map(|d| Partition::open(d).expect("open"))
        .collect();
    let group = Arc::new(assemble(parts).expect("assemble").remove(0));
    let cache = Cache::new(vec![group], CacheConfig::default());
    let chunk: Vec<u8> = (0..MIB as usize).map(|i| (i * 7 + 1) as u8).collect();
    let t = Instant::now();
    for i in 0..mib {
        cache
            .write(0, BLOCK, DATA + i * MIB, &chunk)
            .expect("write");
    }
    cache.sync().expect("sync");
    let secs = t.elapsed().as_secs_f64();
    (mib * MIB) as f64 / secs / 1e6
}

/// N concurrent dd processes, each writing `mib` MiB; MB/s per file.
fn dd_run(paths: &[PathBuf], mib: u64) -> f64 {
    remove(paths);
    let t = Instant::now();
    let children: Vec<_> = paths
        .iter()
        .map(|p| {
            Command::new("dd")
                .arg("if=/dev/zero")
                .arg(format!("of={}", p.display()))
                .args(["bs=1M", &format!("count={mib}"), "conv=fdatasync"])
                .stderr(std::process::Stdio::null())
                .spawn()
                .expect("dd")
        })
        .collect();
    for mut c in children {
        assert!(c.wait().expect("dd").success(), "dd failed");
    }
    let secs = t.elapsed().as_secs_f64();
    remove(paths);
    (mib * MIB) as f64 / secs / 1e6
}

/// fio, one job per file, sequential 1 MiB O_DIRECT writes with end_fsync;
/// MB/s per file.
fn fio_run(paths: &[PathBuf], mib: u64) -> f64 {
    remove(paths);
    let mut cmd = Command::new("fio");
    cmd.args([
        "--direct=1",
        "--rw=write",
        "--bs=1M",
        &format!("--size={mib}M"),
        "--end_fsync=1",
        "--ioengine=psync",
        "--output=/dev/null",
    ]);
    for (i, p) in paths.iter().enumerate() {
        cmd.arg(format!("--name=j{i}"))
            .arg(format!("--filename={}", p.display()));
    }
    let t = Instant::now();
    let st = cmd.status().expect("fio (apt-get install fio)");
    assert!(st.success(), "fio failed");
    let secs = t.elapsed().as_secs_f64();
    remove(paths);
    (mib * MIB) as f64 / secs / 1e6
}

struct LoopDev(String);

impl LoopDev {
    fn attach(file: &Path) -> Option<LoopDev> {
        let o = Command::new("losetup")
            .args(["--find", "--show"])
            .arg(file)
            .output()
            .ok()?;
        o.status
            .success()
            .then(|| LoopDev(String::from_utf8_lossy(&o.stdout).trim().to_string()))
    }
}

impl Drop for LoopDev {
    fn drop(&mut self) {
        let _ = Command::new("losetup").args(["-d", &self.0]).status();
    }
}

fn loop_run(dir: &Path, mib: u64, direct: bool) -> Option<f64> {
    let file = dir.join("loop.img");
    let _ = std::fs::remove_file(&file);
    std::fs::File::create(&file)
        .ok()?
        .set_len(image_bytes(mib))
        .ok()?;
    let lo = LoopDev::attach(&file)?;
    let r = nwvol_run(&[PathBuf::from(&lo.0)], None, direct, mib);
    drop(lo);
    let _ = std::fs::remove_file(&file);
    Some(r)
}

fn main() {
    let dir = PathBuf::from(std::env::var("NWVOL_BENCH_DIR").unwrap_or_else(|_| "/var/tmp".into()))
        .join(format!("nwvol-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench dir");
    let mib = env_u64("NWVOL_BENCH_MIB", 1024);
    let reps = env_u64("NWVOL_BENCH_REPS", 3).max(1);
    let members: Vec<usize> = std::env::var("NWVOL_BENCH_MEMBERS")
        .unwrap_or_else(|_| "1,2,4,8".into())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    let with_loop = env_u64("NWVOL_BENCH_LOOP", 1) != 0;
    let cfg = CacheConfig::default();
    eprintln!(
        "nwvol engine bench: {mib} MiB per run, {reps} repetitions, members {members:?}, cache {} MiB, in {}",
        cfg.capacity / MIB,
        dir.display()
    );
    let mut out = String::new();
    out.push_str(&format!(
        "# nwvol engine benchmark\n\n{mib} MiB written through the cache (64 KiB blocks, default cache of {} MiB, sync at the end) \
to N image-file members of one mirror group; baselines on N files in the same run: N concurrent \
`dd bs=1M conv=fdatasync` and fio (N jobs, 1 MiB sequential writes, direct=1, end_fsync). \
Throughput is the logical data rate (MB/s of data each member receives); medians of {reps} runs.\n\n",
        cfg.capacity / MIB
    ));
    out.push_str("| members | nwvol buffered | nwvol O_DIRECT | dd (buffered) | fio (direct) | best nwvol / dd | best nwvol / fio | buffered / direct |\n");
    out.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for &n in &members {
        let paths: Vec<PathBuf> = (0..n).map(|i| dir.join(format!("m{i}.img"))).collect();
        let (mut buf, mut dir_, mut dd, mut fio) = (vec![], vec![], vec![], vec![]);
        for r in 0..reps {
            remove(&paths);
            buf.push(nwvol_run(&paths, Some(image_bytes(mib)), false, mib));
            remove(&paths);
            dir_.push(nwvol_run(&paths, Some(image_bytes(mib)), true, mib));
            remove(&paths);
            dd.push(dd_run(&paths, mib));
            fio.push(fio_run(&paths, mib));
            eprintln!(
                "  {n} member(s), run {}: buffered {:.0}, direct {:.0}, dd {:.0}, fio {:.0} MB/s",
                r + 1,
                buf[r as usize],
                dir_[r as usize],
                dd[r as usize],
                fio[r as usize]
            );
        }
        let (b, d, x, f) = (median(buf), median(dir_), median(dd), median(fio));
        let best = b.max(d);
        let target = match n {
            1 => ">= 1.0",
            2 => ">= 0.9",
            4 => ">= 0.8",
            _ => "",
        };
        let mode = if d > b { "O_DIRECT" } else { "buffered" };
        record_figure(
            "engine",
            &format!("write {mib} MiB, {n} member(s), against {n} concurrent dd"),
            &format!("{best:.0} MB/s ({mode})"),
            &format!("{x:.0} MB/s"),
            best / x,
            target,
        );
        record_figure(
            "engine",
            &format!("write {mib} MiB, {n} member(s), against fio direct=1"),
            &format!("{best:.0} MB/s ({mode})"),
            &format!("{f:.0} MB/s"),
            best / f,
            "",
        );
        for (series, v) in [
            ("nwvol buffered", b),
            ("nwvol O_DIRECT", d),
            ("dd (buffered)", x),
            ("fio (direct)", f),
        ] {
            record_point(series, n, v);
        }
        out.push_str(&format!(
            "| {n} | {b:.0} | {d:.0} | {x:.0} | {f:.0} | {:.2} | {:.2} | {:.2} |\n",
            best / x,
            best / f,
            b / d
        ));
    }
    if with_loop {
        let (mut b, mut d) = (vec![], vec![]);
        for _ in 0..reps {
            match (loop_run(&dir, mib, false), loop_run(&dir, mib, true)) {
                (Some(x), Some(y)) => {
                    b.push(x);
                    d.push(y);
                }
                _ => break,
            }
        }
        if b.is_empty() {
            out.push_str("\nLoop device: not available here (losetup failed).\n");
        } else {
            let (b, d) = (median(b), median(d));
            record_figure(
                "engine",
                "loop device, buffered against O_DIRECT (O_DIRECT is the default on block devices)",
                &format!("{b:.0} MB/s buffered"),
                &format!("{d:.0} MB/s O_DIRECT"),
                b / d,
                "",
            );
            out.push_str(&format!(
                "\nOne member on a loop device: buffered {b:.0} MB/s, O_DIRECT {d:.0} MB/s (buffered / direct {:.2}).\n",
                b / d
            ));
        }
    }
    out.push_str(&format!(
        "\nPeak RSS of the benchmark process (all runs): {:.0} MiB.\n",
        peak_rss_mib()
    ));
    record_figure(
        "engine",
        "peak RSS of the benchmark process, against the cache size",
        &format!("{:.0} MiB", peak_rss_mib()),
        &format!("{} MiB", cfg.capacity / MIB),
        peak_rss_mib() / (cfg.capacity / MIB) as f64,
        "",
    );
    let _ = std::fs::remove_dir_all(&dir);
    println!("{out}");
    let res = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/results");
    let _ = std::fs::create_dir_all(&res);
    std::fs::write(res.join("engine.md"), &out).expect("write bench/results/engine.md");
}
