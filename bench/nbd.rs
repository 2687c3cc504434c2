//! NBD benchmark (issue 8): a 2-way mirror of one local image and one NBD
//! export on loopback (qemu-nbd serving an image file in the same
//! directory) against a 2-way mirror of two local images, measured in the
//! same run: data written through the cache with a sync at the end, then
//! read back member by member. Target: the remote mirror at least 0.7 of
//! the local one. Also notes the most requests in flight at once on the
//! NBD connection.
//!
//! Run it with bench/nbd.sh, which picks a directory on a real disk. Not a
//! test: it prints a Markdown table and writes it to bench/results/nbd.md.
//!
//! Options (environment): NWVOL_BENCH_DIR (scratch directory, on a real
//! disk), NWVOL_BENCH_MIB (MiB written per run, default 512),
//! NWVOL_BENCH_REPS (repetitions, default 5).

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use nwvol::cache::{BlockIo, Cache, CacheConfig};
use nwvol::device::Device;
use nwvol::device::file::{FileDevice, OpenOptions};
use nwvol::device::nbd::{NbdDevice, NbdOptions};
use nwvol::format::{FormatOptions, format};
use nwvol::mirror::assemble::assemble;
use nwvol::partition::Partition;

mod common;

use common::{MIB, env_u64, median, record_figure};
/// Where the data goes in the logical partition: past the volume's FAT.
const DATA: u64 = 64 * MIB;
const BLOCK: u32 = 65536;

/// Image size holding `mib` of data past DATA, with the pool and headers.
fn image_bytes(mib: u64) -> u64 {
    ((DATA + mib * MIB) * 105 / 100 + 16 * MIB) / MIB * MIB
}

/// qemu-nbd serving an image on a loopback port; killed on drop.
struct QemuNbd {
    child: Child,
    uri: String,
}

impl QemuNbd {
    fn start(image: &Path) -> QemuNbd {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("qemu-nbd")
            .args(["-f", "raw", "-x", "bench", "-b", "127.0.0.1", "-t"])
            .args(["-p", &port.to_string()])
            .arg(image)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("qemu-nbd (apt-get install qemu-utils)");
        let t = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "qemu-nbd did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        QemuNbd {
            child,
            uri: format!("nbd://127.0.0.1:{port}/bench"),
        }
    }
}

impl Drop for QemuNbd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn local(p: &Path) -> Arc<dyn Device> {
    let o = OpenOptions {
        write: true,
        create_size: None,
        direct: false,
        read_lock: false,
    };
    Arc::new(FileDevice::open(p, &o).expect("open image"))
}

fn remote(uri: &str) -> Arc<NbdDevice> {
    let o = NbdOptions {
        write: true,
        timeout: Duration::from_secs(30),
    };
    Arc::new(NbdDevice::open(uri, &o).expect("open NBD export"))
}

/// One run on a fresh pair: (write MB/s, read MB/s, most NBD requests in
/// flight). `second` opens the second member (image or export).
fn run(
    first: &Path,
    second: &dyn Fn() -> (Arc<dyn Device>, Option<Arc<NbdDevice>>),
    mib: u64,
) -> (f64, f64, usize) {
    let opts = FormatOptions {
        mirror: true,
        block_size: Some(BLOCK),
        volumes: vec![],
        hotfix: None,
        force: true,
        checksums: true,
    };
    {
        let devs = vec![local(first), second().0];
        format(&devs, &opts).expect("format");
        for d in &devs {
            d.sync().expect("sync");
        }
    }
    let (dev2, nbd) = second();
    let parts = vec![
        Partition::open(local(first)).expect("open"),
        Partition::open(dev2).expect("open"),
    ];
    let group = Arc::new(assemble(parts).expect("assemble").remove(0));
    let cache = Cache::new(vec![group.clone()], CacheConfig::default());
    let chunk: Vec<u8> = (0..MIB as usize).map(|i| (i * 7 + 1) as u8).collect();
    let t = Instant::now();
    for i in 0..mib {
        cache
            .write(0, BLOCK, DATA + i * MIB, &chunk)
            .expect("write");
    }
    cache.sync().expect("sync");
    let write = (mib * MIB) as f64 / t.elapsed().as_secs_f64() / 1e6;
    // Read every member's copy, all members at once (as verify does).
    let t = Instant::now();
    std::thread::scope(|s| {
        for m in &group.members {
            s.spawn(move || {
                let mut buf = vec![0u8; 4 * MIB as usize];
                let mut off = DATA;
                while off < DATA + mib * MIB {
                    m.partition.read_logical(&mut buf, off).expect("read");
                    off += buf.len() as u64;
                }
            });
        }
    });
    let read = (mib * MIB) as f64 / t.elapsed().as_secs_f64() / 1e6;
    let inflight = nbd.map(|n| n.max_in_flight()).unwrap_or(0);
    (write, read, inflight)
}

fn fresh(paths: &[&PathBuf], bytes: u64) {
    for p in paths {
        let _ = std::fs::remove_file(p);
        std::fs::File::create(p)
            .and_then(|f| f.set_len(bytes))
            .expect("create image");
    }
}

fn main() {
    let dir = PathBuf::from(std::env::var("NWVOL_BENCH_DIR").unwrap_or_else(|_| "/var/tmp".into()))
        .join(format!("nwvol-nbd-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench dir");
    let mib = env_u64("NWVOL_BENCH_MIB", 512);
    let reps = env_u64("NWVOL_BENCH_REPS", 5).max(1);
    let bytes = image_bytes(mib);
    let (a, b, r) = (dir.join("a.img"), dir.join("b.img"), dir.join("r.img"));
    eprintln!(
        "nwvol NBD bench: {mib} MiB per run, {reps} repetitions, in {}",
        dir.display()
    );
    let (mut lw, mut lr, mut nw, mut nr, mut inflight) = (vec![], vec![], vec![], vec![], vec![]);
    for i in 0..reps {
        fresh(&[&a, &b], bytes);
        let (w, rd, _) = run(&a, &|| (local(&b), None), mib);
        lw.push(w);
        lr.push(rd);
        fresh(&[&a, &r], bytes);
        let srv = QemuNbd::start(&r);
        let uri = srv.uri.clone();
        let (w2, rd2, n) = run(
            &a,
            &|| {
                let d = remote(&uri);
                (d.clone() as Arc<dyn Device>, Some(d))
            },
            mib,
        );
        drop(srv);
        nw.push(w2);
        nr.push(rd2);
        inflight.push(n);
        eprintln!(
            "  run {}: local+local write {w:.0} read {rd:.0}; local+NBD write {w2:.0} read {rd2:.0} MB/s; {n} NBD requests in flight at most",
            i + 1
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    let ratios_w: Vec<String> = lw
        .iter()
        .zip(&nw)
        .map(|(l, n)| format!("{:.2}", n / l))
        .collect();
    let ratios_r: Vec<String> = lr
        .iter()
        .zip(&nr)
        .map(|(l, n)| format!("{:.2}", n / l))
        .collect();
    let (lw, lr, nw, nr) = (median(lw), median(lr), median(nw), median(nr));
    let most = inflight.iter().max().copied().unwrap_or(0);
    let least = inflight.iter().min().copied().unwrap_or(0);
    let mut out = String::new();
    out.push_str(&format!(
        "# nwvol NBD benchmark\n\n{mib} MiB written through the cache (64 KiB blocks, default cache, sync at the end) to a \
2-way mirror, then read back from both members at once (4 MiB reads, one thread per member). Baseline: two local \
image files; against it, one local image and one NBD export on loopback (qemu-nbd serving an image file in the same \
directory, same disk). Medians of {reps} runs, both set-ups measured in each run.\n\n"
    ));
    out.push_str("| mirror | write MB/s | read MB/s |\n|---|---:|---:|\n");
    out.push_str(&format!("| local + local | {lw:.0} | {lr:.0} |\n"));
    out.push_str(&format!("| local + NBD (loopback) | {nw:.0} | {nr:.0} |\n"));
    out.push_str(&format!(
        "| ratio NBD / local (target >= 0.7) | {:.2} | {:.2} |\n\n",
        nw / lw,
        nr / lr
    ));
    out.push_str(&format!(
        "Per-run ratios: write {}; read {}.\n\nRequests in flight at once on the NBD connection (most, per run): {least} to {most}.\n",
        ratios_w.join(", "),
        ratios_r.join(", ")
    ));
    record_figure(
        "nbd",
        "2-way mirror write, local + NBD member against local + local",
        &format!("{nw:.0} MB/s"),
        &format!("{lw:.0} MB/s"),
        nw / lw,
        ">= 0.7",
    );
    record_figure(
        "nbd",
        "2-way mirror read, local + NBD member against local + local",
        &format!("{nr:.0} MB/s"),
        &format!("{lr:.0} MB/s"),
        nr / lr,
        "",
    );
    println!("{out}");
    let res = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/results");
    let _ = std::fs::create_dir_all(&res);
    std::fs::write(res.join("nbd.md"), &out).expect("write bench/results/nbd.md");
}
