//! Reads: balancing over members, fallback, read repair and redirection
//! (issue 3, point 6).

use std::sync::Arc;

use crate::support::engine::*;
use nwvol::cache::{BlockIo, Cache, CacheConfig};
use nwvol::device::Device;
use nwvol::device::file::{FileDevice, OpenOptions};
use nwvol::device::testing::{CountingDevice, FaultOp, FaultRule, FaultyDevice, MemDevice};

const MIB: usize = 1 << 20;

/// Sequential reads of a 2-way mirror use both members, in stretches of
/// `READ_STRETCH` (64 MiB).
#[test]
fn sequential_reads_use_both_members() {
    let stretch = nwvol::mirror::read::READ_STRETCH as usize;
    let mems = formatted(&[2 * stretch + 24 * MIB, 2 * stretch + 24 * MIB], None);
    let cs: Vec<Arc<CountingDevice<Arc<MemDevice>>>> = mems
        .iter()
        .map(|m| Arc::new(CountingDevice::new(m.clone())))
        .collect();
    let g = group(cs.iter().map(|d| d.clone() as Arc<dyn Device>).collect());
    let data = pattern(8 * MIB, 1);
    let cache = Cache::new(vec![g.clone()], CacheConfig::with_capacity(64 << 20));
    let mut back = vec![0u8; MIB];
    // 4 MiB read in the first stretch (from the start of the partition),
    // 4 MiB in the next: one member each.
    let first = stretch - DATA as usize;
    let at: Vec<usize> = (0..4)
        .map(|i| first - (4 - i) * MIB)
        .chain((0..4).map(|i| first + i * MIB))
        .collect();
    g.write_logical(
        &[std::io::IoSlice::new(&data)],
        DATA + (first - 4 * MIB) as u64,
    )
    .unwrap();
    cs.iter().for_each(|c| c.reset());
    for (i, &o) in at.iter().enumerate() {
        cache.read(0, 4096, DATA + o as u64, &mut back).unwrap();
        assert!(back[..] == data[i * MIB..(i + 1) * MIB]);
    }
    assert_eq!(cs[0].read_count(), 4);
    assert_eq!(cs[1].read_count(), 4);
    // Cached now: reading again touches no device.
    cache.read(0, 4096, DATA + at[0] as u64, &mut back).unwrap();
    assert_eq!(cs[0].read_count() + cs[1].read_count(), 8);
    assert!(cache.stats().hits > 0);
}

/// A read error on one member falls back to the other and writes the good
/// data back (read repair); a transient error needs no redirection.
#[test]
fn read_error_falls_back_and_repairs() {
    let mems = formatted(&[16 * MIB, 16 * MIB], None);
    let f: Vec<Arc<FaultyDevice<Arc<MemDevice>>>> = mems
        .iter()
        .map(|m| Arc::new(FaultyDevice::new(m.clone())))
        .collect();
    let g = group(f.iter().map(|d| d.clone() as Arc<dyn Device>).collect());
    let data = pattern(64 << 10, 2);
    g.write_logical(&[std::io::IoSlice::new(&data)], DATA)
        .unwrap();
    // Damage member 0's copy and make its next read fail.
    let first = g.read_member(DATA).unwrap();
    let phys = g.members[first].partition.logical_start_byte() + DATA;
    mems[first].write_at(&[0xee; 4096], phys).unwrap();
    f[first].add_rule(FaultRule::nth(FaultOp::Read, 1));
    f[first].reset_counts();
    let mut back = vec![0u8; data.len()];
    g.read_logical(&mut back, DATA).unwrap();
    assert!(back == data);
    let s = g.members[first].stats.snapshot();
    assert_eq!((s.read_errors, s.repairs, s.redirects), (1, 1, 0), "{s:?}");
    assert!(g.members[first].in_sync());
    let mut raw = vec![0u8; data.len()];
    mems[first].read_at(&mut raw, phys).unwrap();
    assert!(raw == data, "the good data was written back");
}

/// A unit that takes the rewrite but still does not read is redirected
/// through the member's hot-fix pool.
#[test]
fn unreadable_unit_is_redirected() {
    let mems = formatted(&[16 * MIB, 16 * MIB], None);
    let f: Vec<Arc<FaultyDevice<Arc<MemDevice>>>> = mems
        .iter()
        .map(|m| Arc::new(FaultyDevice::new(m.clone())))
        .collect();
    let g = group(f.iter().map(|d| d.clone() as Arc<dyn Device>).collect());
    let data = pattern(64 << 10, 3);
    g.write_logical(&[std::io::IoSlice::new(&data)], DATA)
        .unwrap();
    let first = g.read_member(DATA).unwrap();
    let bad = g.members[first].partition.logical_start_byte() + DATA + 2 * 4096;
    f[first].add_rule(FaultRule::range(FaultOp::Read, bad, 512));
    let mut back = vec![0u8; data.len()];
    g.read_logical(&mut back, DATA).unwrap();
    assert!(back == data);
    let m = &g.members[first];
    assert!(m.in_sync(), "{:?}", g.failures());
    assert_eq!(m.stats.snapshot().redirects, 1);
    assert_eq!(
        m.partition.redirects()[0].logical_sector as u64 * 512,
        DATA + 2 * 4096
    );
    // The member now reads the unit from its pool slot.
    let mut again = vec![0u8; data.len()];
    m.partition.read_logical(&mut again, DATA).unwrap();
    assert!(again == data);
}

/// A short read (an image truncated under nwvol) on one member falls back
/// to the other; the repair writes the data back to the file.
#[test]
fn short_read_on_truncated_image_falls_back() {
    let dir = tempfile::tempdir().unwrap();
    let paths = [dir.path().join("a.img"), dir.path().join("b.img")];
    let devs: Vec<Arc<dyn Device>> = paths
        .iter()
        .map(|p| {
            let o = OpenOptions {
                write: true,
                create_size: Some(16 * MIB as u64),
                direct: false,
                read_lock: false,
            };
            Arc::new(FileDevice::open(p, &o).unwrap()) as Arc<dyn Device>
        })
        .collect();
    nwvol::format::format(&devs, &mirror_opts(None)).unwrap();
    let g = group(devs);
    let data = pattern(64 << 10, 4);
    g.write_logical(&[std::io::IoSlice::new(&data)], DATA)
        .unwrap();
    let first = g.read_member(DATA).unwrap();
    let cut = g.members[first].partition.logical_start_byte() + DATA + 4096;
    std::fs::OpenOptions::new()
        .write(true)
        .open(&paths[first])
        .unwrap()
        .set_len(cut)
        .unwrap();
    let mut back = vec![0u8; data.len()];
    g.read_logical(&mut back, DATA).unwrap();
    assert!(back == data);
    assert_eq!(g.members[first].stats.snapshot().repairs, 1);
    let mut raw = vec![0u8; data.len()];
    g.members[first]
        .partition
        .read_logical(&mut raw, DATA)
        .unwrap();
    assert!(raw == data);
}
