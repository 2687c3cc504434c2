//! The shared page cache: one copy per logical block, bounded memory,
//! write-back, background flushing, back-pressure and barriers (issue 3,
//! points 1 and 2).

use std::sync::Arc;
use std::time::Duration;

use crate::support::engine::*;
use nwvol::cache::{BlockIo, Cache, CacheConfig};
use nwvol::device::Device;
use nwvol::device::testing::{CountingDevice, Event, Gate, GateDevice, LogDevice, MemDevice};

const MIB: usize = 1 << 20;

fn plain(mems: &[Arc<MemDevice>]) -> Arc<nwvol::mirror::MirrorGroup> {
    group(mems.iter().map(|m| m.clone() as Arc<dyn Device>).collect())
}

/// A block mirrored to 3 members is held once; two groups and two block
/// sizes share the one cache.
#[test]
fn one_copy_per_block_shared_by_groups_and_sizes() {
    let a = formatted(&[16 * MIB, 16 * MIB, 16 * MIB], None);
    let b = formatted(&[16 * MIB], None);
    let (ga, gb) = (plain(&a), plain(&b));
    let cache = Cache::new(
        vec![ga.clone(), gb.clone()],
        CacheConfig::with_capacity(64 << 20),
    );
    let d1 = pattern(MIB, 1);
    let d2 = pattern(MIB, 2);
    cache.write(0, 4096, DATA, &d1).unwrap();
    cache.write(1, 65536, DATA, &d2).unwrap();
    let st = cache.stats();
    assert_eq!(st.used, 2 * MIB as u64, "{st:?}");
    assert_eq!(st.blocks, 256 + 16);
    cache.sync().unwrap();
    let mut back = vec![0u8; MIB];
    for m in &ga.members {
        m.partition.read_logical(&mut back, DATA).unwrap();
        assert!(back == d1);
    }
    gb.members[0]
        .partition
        .read_logical(&mut back, DATA)
        .unwrap();
    assert!(back == d2);
}

/// Memory stays within the capacity while far more is written through it,
/// and everything lands.
#[test]
fn capacity_bounds_memory() {
    let mems = formatted(&[24 * MIB], None);
    let g = plain(&mems);
    let cache = Cache::new(vec![g.clone()], CacheConfig::with_capacity(MIB as u64));
    let data = pattern(12 * MIB, 3);
    let mut peak = 0;
    for (i, c) in data.chunks(64 << 10).enumerate() {
        cache
            .write(0, 16384, DATA + (i * (64 << 10)) as u64, c)
            .unwrap();
        peak = peak.max(cache.stats().used);
    }
    assert!(peak <= MIB as u64, "peak {peak}");
    cache.sync().unwrap();
    let mut back = vec![0u8; data.len()];
    g.members[0]
        .partition
        .read_logical(&mut back, DATA)
        .unwrap();
    assert!(back == data);
    assert!(cache.stats().evictions > 0);
}

/// Buffers of evicted blocks are reused for new ones (a stream neither
/// allocates nor zeroes memory per block): what another block held before
/// never shows through, whether the new block is written whole, written in
/// part (the rest read from the members) or read.
#[test]
fn reused_buffers_never_show_old_bytes() {
    let mems = formatted(&[24 * MIB], None);
    let g = plain(&mems);
    let cache = Cache::new(vec![g.clone()], CacheConfig::with_capacity(MIB as u64));
    let mut model = vec![0u8; 8 * MIB];
    g.members[0]
        .partition
        .read_logical(&mut model, DATA)
        .unwrap();
    // Fill the cache, and evict, with one pattern...
    let first = pattern(4 * MIB, 11);
    cache.write(0, 65536, DATA, &first).unwrap();
    model[..first.len()].copy_from_slice(&first);
    cache.sync().unwrap();
    // ...then touch other blocks: a few bytes of each, which must load the
    // rest from the member, not keep a recycled buffer's bytes.
    for i in 0..64u64 {
        let at = 4 * MIB as u64 + i * 65536 + 100 + i;
        let bytes = [i as u8 ^ 0x5a; 7];
        cache.write(0, 65536, DATA + at, &bytes).unwrap();
        model[at as usize..at as usize + 7].copy_from_slice(&bytes);
    }
    let mut back = vec![0u8; model.len()];
    cache.read(0, 65536, DATA, &mut back).unwrap();
    assert!(back == model, "the cache shows bytes no write put there");
    cache.sync().unwrap();
    g.members[0]
        .partition
        .read_logical(&mut back, DATA)
        .unwrap();
    assert!(back == model, "the member holds bytes no write put there");
    assert!(cache.stats().evictions > 0);
}

/// Partial-block writes read the rest of the block first.
#[test]
fn partial_block_write_keeps_the_rest() {
    let mems = formatted(&[16 * MIB], None);
    let g = plain(&mems);
    let old = pattern(8192, 4);
    g.write_logical(&[std::io::IoSlice::new(&old)], DATA)
        .unwrap();
    let cache = Cache::new(vec![g.clone()], CacheConfig::with_capacity(8 * MIB as u64));
    cache.write(0, 4096, DATA + 4000, b"hello, block").unwrap();
    cache.sync().unwrap();
    let mut back = vec![0u8; 8192];
    g.members[0]
        .partition
        .read_logical(&mut back, DATA)
        .unwrap();
    let mut want = old.clone();
    want[4000..4012].copy_from_slice(b"hello, block");
    assert!(back == want);
}

/// Past the background threshold, dirty data goes out with no flush call.
#[test]
fn background_flush_past_threshold() {
    let mems = formatted(&[16 * MIB], None);
    let c = Arc::new(CountingDevice::new(mems[0].clone()));
    let g = group(vec![c.clone() as Arc<dyn Device>]);
    let mut cfg = CacheConfig::with_capacity(4 * MIB as u64);
    cfg.flush_interval = Duration::from_millis(300);
    let cache = Cache::new(vec![g], cfg);
    cache.write(0, 4096, DATA, &pattern(256 << 10, 5)).unwrap();
    std::thread::sleep(Duration::from_millis(50));
    assert_eq!(
        c.write_count(),
        0,
        "below the threshold nothing goes out yet"
    );
    cache
        .write(0, 4096, DATA + MIB as u64, &pattern(MIB, 6))
        .unwrap();
    assert!(wait_for(Duration::from_secs(5), || c.write_count() > 0));
    // What is left below the threshold goes out once it is old enough.
    assert!(wait_for(Duration::from_secs(5), || cache.stats().dirty == 0));
}

/// Past the dirty limit a writer waits for write-back instead of growing
/// memory: with the member stalled, the writer stops; opened, it goes on.
#[test]
fn writer_waits_at_the_dirty_limit() {
    let mems = formatted(&[16 * MIB], None);
    let gate = Gate::new(Duration::from_secs(10));
    let g = group(vec![
        Arc::new(GateDevice::new(mems[0].clone(), gate.clone())) as Arc<dyn Device>,
    ]);
    let cache = Arc::new(Cache::new(
        vec![g.clone()],
        CacheConfig::with_capacity(2 * MIB as u64),
    ));
    let c2 = cache.clone();
    let data = pattern(4 * MIB, 7);
    let d2 = data.clone();
    let writer = std::thread::spawn(move || c2.write(0, 4096, DATA, &d2));
    assert!(gate.wait_started(1, Duration::from_secs(5)));
    std::thread::sleep(Duration::from_millis(100));
    assert!(!writer.is_finished(), "the writer is held back");
    let st = cache.stats();
    assert!(st.used <= 2 * MIB as u64 && st.throttled > 0, "{st:?}");
    gate.open();
    writer.join().unwrap().unwrap();
    cache.sync().unwrap();
    let mut back = vec![0u8; data.len()];
    g.members[0]
        .partition
        .read_logical(&mut back, DATA)
        .unwrap();
    assert!(back == data);
}

/// A barrier: what was written before it is written and synced on every
/// member before anything written after it reaches a device.
#[test]
fn barrier_orders_writes_on_every_member() {
    let mems = formatted(&[16 * MIB, 16 * MIB], None);
    let logs: Vec<Arc<LogDevice<Arc<MemDevice>>>> = mems
        .iter()
        .map(|m| Arc::new(LogDevice::new(m.clone())))
        .collect();
    let g = group(logs.iter().map(|d| d.clone() as Arc<dyn Device>).collect());
    let cache = Cache::new(vec![g.clone()], CacheConfig::with_capacity(64 << 20));
    let a = DATA;
    let b = DATA + 2 * MIB as u64;
    cache.write(0, 4096, a, &pattern(8192, 8)).unwrap();
    cache.barrier().unwrap();
    cache.write(0, 4096, b, &pattern(8192, 9)).unwrap();
    cache.sync().unwrap();
    for (i, l) in logs.iter().enumerate() {
        let base = g.members[i].partition.logical_start_byte();
        let ev = l.events();
        let pos = |want: Event| ev.iter().position(|e| *e == want).unwrap();
        let wa = pos(Event::Write(base + a, 8192));
        let wb = pos(Event::Write(base + b, 8192));
        // The first sync after a's write (write-intent records are synced
        // before data goes out, so there are earlier ones).
        let sync = wa
            + ev[wa..]
                .iter()
                .position(|e| *e == Event::Sync)
                .expect("a sync after a");
        assert!(wa < sync && sync < wb, "member {i}: {ev:?}");
    }
}

/// Dropping the cache writes back what is dirty.
#[test]
fn drop_writes_back() {
    let mems = formatted(&[16 * MIB], None);
    let g = plain(&mems);
    let cache = Cache::new(vec![g.clone()], CacheConfig::with_capacity(8 * MIB as u64));
    let data = pattern(64 << 10, 10);
    cache.write(0, 4096, DATA, &data).unwrap();
    drop(cache);
    let mut back = vec![0u8; data.len()];
    g.members[0]
        .partition
        .read_logical(&mut back, DATA)
        .unwrap();
    assert!(back == data);
}
