//! Memory stays bounded by the cache size (issue 3, point 1): a child
//! process (this test binary, re-executed) streams 2 GiB through a 64 MiB
//! cache to a sparse image on disk; its peak RSS stays under 64 MiB plus a
//! fixed overhead.

use std::sync::Arc;

use nwvol::cache::{BlockIo, Cache, CacheConfig};
use nwvol::device::Device;
use nwvol::device::file::{FileDevice, OpenOptions};

const MIB: u64 = 1 << 20;
const CHILD: &str = "NWVOL_ENGINE_RSS_CHILD";
const CACHE: u64 = 64 * MIB;
/// Binary, test harness, allocator slack and the 1 MiB source buffer.
const OVERHEAD: u64 = 40 * MIB;

/// This process's own peak RSS: VmHWM of its address space. Not
/// getrusage's ru_maxrss, which Linux carries over exec from the address
/// space the process had before (for a child spawned with vfork, the
/// parent's): the parent here is a test binary whose other tests may have
/// used far more memory.
fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok());
    if let Some(kib) = hwm_kib {
        return kib * 1024;
    }
    // SAFETY: getrusage fills the struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    ru.ru_maxrss as u64 * 1024
}

fn child(dir: &str) {
    let path = std::path::Path::new(dir).join("rss.img");
    let o = OpenOptions {
        write: true,
        create_size: Some(2 * 1024 * MIB + 256 * MIB),
        direct: false,
        read_lock: false,
    };
    let dev: Arc<dyn Device> = Arc::new(FileDevice::open(&path, &o).unwrap());
    let mut opts = crate::support::engine::mirror_opts(None);
    opts.block_size = Some(65536);
    nwvol::format::format(std::slice::from_ref(&dev), &opts).unwrap();
    let g = crate::support::engine::group(vec![dev]);
    let cache = Cache::new(vec![g], CacheConfig::with_capacity(CACHE));
    let chunk = crate::support::engine::pattern(MIB as usize, 7);
    for i in 0..2048u64 {
        cache.write(0, 65536, 4 * MIB + i * MIB, &chunk).unwrap();
    }
    // Written back, not made durable: the point is memory, and the image
    // is deleted right after (no need to wait for the disk).
    cache.flush().unwrap();
    let st = cache.stats();
    assert!(st.used <= CACHE, "{st:?}");
    drop(cache);
    std::fs::remove_file(&path).unwrap();
    println!("PEAK_RSS={}", peak_rss_bytes());
}

#[test]
fn streaming_2gib_through_64mib_cache_keeps_rss_bounded() {
    if let Ok(dir) = std::env::var(CHILD) {
        child(&dir);
        return;
    }
    // On the real disk (not tmpfs, which would count the image as memory).
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "rss::streaming_2gib_through_64mib_cache_keeps_rss_bounded",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child failed: {text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let peak: u64 = text
        .lines()
        .find_map(|l| l.split_once("PEAK_RSS=").map(|(_, v)| v))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("child reports its peak RSS");
    eprintln!("peak RSS {} MiB", peak / MIB);
    assert!(
        peak < CACHE + OVERHEAD,
        "peak RSS {} MiB over {} MiB",
        peak / MIB,
        (CACHE + OVERHEAD) / MIB
    );
}
