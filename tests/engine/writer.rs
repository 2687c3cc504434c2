//! The parallel mirrored writer and coalescing (issue 3, points 3 and 4).

use std::sync::Arc;
use std::time::Duration;

use crate::support::engine::*;
use nwvol::cache::{BlockIo, Cache, CacheConfig};
use nwvol::device::Device;
use nwvol::device::testing::{
    BarrierDevice, CountingDevice, Gate, GateDevice, MemDevice, Rendezvous,
};

const MIB: usize = 1 << 20;

fn counting(mems: &[Arc<MemDevice>]) -> Vec<Arc<CountingDevice<Arc<MemDevice>>>> {
    mems.iter()
        .map(|m| Arc::new(CountingDevice::new(m.clone())))
        .collect()
}

/// The writes of a member other than those of its write-intent record
/// (partition sectors 0-31, written before the first data of a chunk).
fn data_writes(
    c: &CountingDevice<Arc<MemDevice>>,
    p: &nwvol::partition::Partition,
) -> Vec<nwvol::device::testing::WriteCall> {
    let wib = p.start_byte..p.start_byte + 32 * 512;
    c.writes()
        .into_iter()
        .filter(|w| !wib.contains(&w.offset))
        .collect()
}

fn as_devs<D: Device + 'static>(v: &[Arc<D>]) -> Vec<Arc<dyn Device>> {
    v.iter().map(|d| d.clone() as Arc<dyn Device>).collect()
}

/// Point 3: 256 dirty 4 KiB blocks written in 256 calls reach each member
/// as one vectored write of 256 slices, not 256 writes.
#[test]
fn sequential_mib_of_4k_blocks_is_one_write_per_member() {
    let mems = formatted(&[16 * MIB, 16 * MIB], None);
    let cs = counting(&mems);
    let g = group(as_devs(&cs));
    let cache = Cache::new(vec![g.clone()], CacheConfig::with_capacity(64 << 20));
    let data = pattern(MIB, 1);
    for (i, chunk) in data.chunks(4096).enumerate() {
        cache.write(0, 4096, DATA + i as u64 * 4096, chunk).unwrap();
    }
    assert_eq!(cs[0].write_count(), 0, "write-back: nothing written yet");
    cache.flush().unwrap();
    for (i, c) in cs.iter().enumerate() {
        let w = data_writes(c, &g.members[i].partition);
        assert_eq!(w.len(), 1, "member {i}: {w:?}");
        assert_eq!(w[0].len, MIB as u64);
        assert_eq!(w[0].iovs, 256, "one slice per cache buffer");
        let p = &g.members[i].partition;
        assert_eq!(w[0].offset, p.logical_start_byte() + DATA);
        let mut back = vec![0u8; MIB];
        p.read_logical(&mut back, DATA).unwrap();
        assert!(back == data, "member {i} holds the data");
    }
}

/// Point 3: a run is split only where a member's hot-fix table redirects a
/// unit; the other member still gets one write.
#[test]
fn run_splits_only_at_a_redirected_unit() {
    let mems = formatted(&[16 * MIB, 16 * MIB], None);
    let cs = counting(&mems);
    let g = group(as_devs(&cs));
    let unit = DATA + 64 * 4096;
    g.members[0]
        .partition
        .redirect_unit(unit, &[0u8; 4096])
        .unwrap();
    cs[0].reset();
    let cache = Cache::new(vec![g.clone()], CacheConfig::with_capacity(64 << 20));
    let data = pattern(MIB, 2);
    cache.write(0, 4096, DATA, &data).unwrap();
    cache.flush().unwrap();
    let w0 = data_writes(&cs[0], &g.members[0].partition);
    assert_eq!(w0.len(), 3, "before, the redirected unit, after: {w0:?}");
    assert_eq!(w0[1].len, 4096);
    assert_eq!(
        w0[1].offset,
        g.members[0]
            .partition
            .slot_device_offset(g.members[0].partition.redirects()[0].slot)
    );
    assert_eq!(data_writes(&cs[1], &g.members[1].partition).len(), 1);
    for m in &g.members {
        let mut back = vec![0u8; MIB];
        m.partition.read_logical(&mut back, DATA).unwrap();
        assert!(back == data);
    }
}

/// Point 4: every member's write must be in flight at once for any to
/// finish (a rendezvous of 3 with a timeout): the flush completes, so the
/// writer hands the run to all members before waiting on any.
#[test]
fn writes_reach_all_members_at_once() {
    let mems = formatted(&[16 * MIB, 16 * MIB, 16 * MIB], None);
    let rv = Rendezvous::new(3, Duration::from_secs(5));
    let bs: Vec<Arc<BarrierDevice<Arc<MemDevice>>>> = mems
        .iter()
        .map(|m| Arc::new(BarrierDevice::new(m.clone(), rv.clone())))
        .collect();
    let g = group(as_devs(&bs));
    let cache = Cache::new(vec![g.clone()], CacheConfig::with_capacity(64 << 20));
    for round in 0..3u8 {
        let data = pattern(256 << 10, round);
        cache
            .write(0, 4096, DATA + round as u64 * MIB as u64, &data)
            .unwrap();
        cache.sync().unwrap();
    }
    // Per round: the write-intent bits set, the run, the bits cleared at
    // the sync; each a rendezvous of all three members.
    assert_eq!(
        rv.rounds(),
        9,
        "one rendezvous per flushed run and bitmap write"
    );
    assert!(g.failures().is_empty(), "{:?}", g.failures());
    assert_eq!(g.in_sync_members().len(), 3);
}

/// Point 4: one stalled member does not keep the others from starting and
/// finishing their writes; the sync returns only when it is done too.
#[test]
fn a_stalled_member_does_not_hold_the_others() {
    let mems = formatted(&[16 * MIB, 16 * MIB, 16 * MIB], None);
    let gate = Gate::new(Duration::from_secs(10));
    let devs: Vec<Arc<dyn Device>> = vec![
        Arc::new(GateDevice::new(mems[0].clone(), gate.clone())),
        mems[1].clone(),
        mems[2].clone(),
    ];
    let g = group(devs);
    let cache = Arc::new(Cache::new(
        vec![g.clone()],
        CacheConfig::with_capacity(64 << 20),
    ));
    let data = pattern(512 << 10, 3);
    cache.write(0, 4096, DATA, &data).unwrap();
    let c2 = cache.clone();
    let syncer = std::thread::spawn(move || c2.sync());
    let at = |i: usize| g.members[i].partition.logical_start_byte() + DATA;
    let landed = |i: usize| {
        let s = mems[i].snapshot();
        let o = at(i) as usize;
        s[o..o + data.len()] == data[..]
    };
    assert!(gate.wait_started(1, Duration::from_secs(5)));
    assert!(
        wait_for(Duration::from_secs(5), || landed(1) && landed(2)),
        "members 1 and 2 finished while member 0 is stalled"
    );
    assert_eq!(gate.writes_done(), 0);
    assert!(!landed(0));
    assert!(!syncer.is_finished(), "sync waits for the stalled member");
    gate.open();
    syncer.join().unwrap().unwrap();
    assert!(landed(0));
    assert!(g.failures().is_empty());
}

/// Point 4: sync makes the data durable on every member (fdatasync each).
#[test]
fn sync_fdatasyncs_every_member() {
    let mems = formatted(&[16 * MIB, 16 * MIB], None);
    let cs = counting(&mems);
    let g = group(as_devs(&cs));
    let cache = Cache::new(vec![g.clone()], CacheConfig::with_capacity(64 << 20));
    cache.write(0, 4096, DATA, &pattern(8192, 4)).unwrap();
    cache.sync().unwrap();
    for (i, c) in cs.iter().enumerate() {
        assert_eq!(data_writes(c, &g.members[i].partition).len(), 1);
        // The write-intent record set (synced), the data synced, the
        // record cleared (a plain write: its loss only leaves bits set).
        assert_eq!(c.write_count(), 3);
        assert_eq!(c.sync_count(), 2);
    }
    // Nothing written since: nothing to sync.
    cache.sync().unwrap();
    assert_eq!(cs[0].sync_count(), 2);
}

/// The write-intent record of a sequential stream is written a
/// logarithmic number of times, not once per flush (every record write is
/// durable, a disk cache flush behind the stream), and its bits reach no
/// further ahead than the stream has run.
#[test]
fn sequential_stream_writes_the_intent_record_rarely() {
    let mems = formatted(&[96 * MIB, 96 * MIB], None);
    let cs = counting(&mems);
    let g = group(as_devs(&cs));
    let cache = Cache::new(vec![g.clone()], CacheConfig::with_capacity(64 << 20));
    let flushes = 64u64;
    let chunk = pattern(MIB, 3);
    for i in 0..flushes {
        cache.write(0, 4096, DATA + i * MIB as u64, &chunk).unwrap();
        cache.flush().unwrap();
    }
    for (i, c) in cs.iter().enumerate() {
        let p = &g.members[i].partition;
        let wib = p.start_byte..p.start_byte + 32 * 512;
        let records = c
            .writes()
            .iter()
            .filter(|w| wib.contains(&w.offset))
            .count();
        // 1 MiB, then coverage doubling: about log2(64) + 1 record writes.
        assert!(
            (1..=8).contains(&records),
            "member {i}: {records} record writes for {flushes} flushes"
        );
    }
    let rec = g.write_intent();
    let set = rec.count() as u64 * rec.header.chunk_bytes();
    let written = flushes * MIB as u64;
    assert!(set >= written, "bits cover {set} bytes, {written} written");
    assert!(
        set <= 2 * written + rec.header.chunk_bytes(),
        "bits cover {set} bytes, {written} written"
    );
}
