//! Write failures on members: retry, hot-fix redirection, members given up
//! (issue 3, point 7).

use std::sync::Arc;

use crate::support::engine::*;
use nwvol::Error;
use nwvol::cache::{BlockIo, Cache, CacheConfig};
use nwvol::device::Device;
use nwvol::device::testing::{CountingDevice, FaultOp, FaultRule, FaultyDevice, MemDevice};
use nwvol::layout::mirror::MemberState;
use nwvol::partition::CopyStatus;

const MIB: usize = 1 << 20;

type Faulty = Arc<FaultyDevice<Arc<MemDevice>>>;

fn faulty(mems: &[Arc<MemDevice>]) -> Vec<Faulty> {
    mems.iter()
        .map(|m| Arc::new(FaultyDevice::new(m.clone())))
        .collect()
}

fn devs(f: &[Faulty]) -> Vec<Arc<dyn Device>> {
    f.iter().map(|d| d.clone() as Arc<dyn Device>).collect()
}

fn cache(g: &Arc<nwvol::mirror::MirrorGroup>) -> Cache {
    Cache::new(vec![g.clone()], CacheConfig::with_capacity(64 << 20))
}

/// A data write that fails once is retried and lands; the member stays in
/// sync. (Write 1 is the write-intent record, one durable write whose
/// failure is never retried: see the next test.)
#[test]
fn transient_write_error_is_retried() {
    let mems = formatted(&[16 * MIB, 16 * MIB], None);
    let f = faulty(&mems);
    let g = group(devs(&f));
    f[0].add_rule(FaultRule::nth(FaultOp::Write, 2));
    let c = cache(&g);
    let data = pattern(64 << 10, 1);
    c.write(0, 4096, DATA, &data).unwrap();
    c.sync().unwrap();
    assert_eq!(f[0].injected(), 1);
    assert!(g.members[0].in_sync());
    assert_eq!(g.members[0].partition.redirected_units(), 0);
    let mut back = vec![0u8; data.len()];
    g.members[0]
        .partition
        .read_logical(&mut back, DATA)
        .unwrap();
    assert!(back == data);
}

/// A unit that keeps failing is redirected to a spare slot and recorded in
/// the hot-fix table of all four copies; a later open finds it.
#[test]
fn bad_unit_is_redirected_to_the_pool() {
    let mems = formatted(&[16 * MIB, 16 * MIB], None);
    let f = faulty(&mems);
    let g = group(devs(&f));
    let bad = DATA + 3 * 4096;
    let phys = g.members[0].partition.logical_start_byte() + bad;
    f[0].add_rule(FaultRule::range(FaultOp::Write, phys, 4096));
    let c = cache(&g);
    let data = pattern(64 << 10, 2);
    c.write(0, 4096, DATA, &data).unwrap();
    c.sync().unwrap();
    let m0 = &g.members[0];
    assert!(m0.in_sync(), "{:?}", g.failures());
    assert_eq!(m0.stats.snapshot().redirects, 1);
    let r = m0.partition.redirects();
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].logical_sector as u64 * 512, bad);
    // What a later run sees: the redirect in every copy, the data in place.
    let p = reopen(&mems[0]);
    assert_eq!(p.redirects(), r);
    assert!(
        p.copies.iter().all(|c| *c == CopyStatus::Good),
        "{:?}",
        p.copies
    );
    let mut back = vec![0u8; data.len()];
    p.read_logical(&mut back, DATA).unwrap();
    assert!(back == data);
}

/// With the pool full, the member is given up: marked out of sync in the
/// mirror table of the survivor (event counter bumped), and the caller's
/// write still succeeds on the survivor.
#[test]
fn full_pool_takes_the_member_out_of_sync() {
    // The smallest pool: one slot.
    let mems = formatted(&[16 * MIB, 16 * MIB], Some(8192));
    let f = faulty(&mems);
    let g = group(devs(&f));
    assert_eq!(g.members[0].partition.pool_slots(), 1);
    let events0 = g.table().ext.unwrap().events;
    let base = g.members[0].partition.logical_start_byte() + DATA;
    f[0].add_rule(FaultRule::range(FaultOp::Write, base + 4096, 4096));
    f[0].add_rule(FaultRule::range(FaultOp::Write, base + 8 * 4096, 4096));
    let c = cache(&g);
    let data = pattern(64 << 10, 3);
    c.write(0, 4096, DATA, &data).unwrap();
    c.sync().unwrap();
    assert!(!g.members[0].in_sync());
    assert_eq!(g.members[0].state(), MemberState::OutOfSync);
    assert!(g.members[1].in_sync());
    assert_eq!(g.failures().len(), 1, "{:?}", g.failures());
    assert!(
        g.failures()[0].contains("hot-fix pool full"),
        "{:?}",
        g.failures()
    );
    let t = g.table().ext.unwrap();
    assert_eq!(t.events, events0 + 1);
    // Reassembly from the disks as they are now sees member 0 out of sync.
    let again = group(vec![
        Arc::new(MemDevice::from_bytes(mems[0].snapshot())),
        Arc::new(MemDevice::from_bytes(mems[1].snapshot())),
    ]);
    assert_eq!(again.members[0].state(), MemberState::OutOfSync);
    assert_eq!(again.members[1].state(), MemberState::InSync);
    let mut back = vec![0u8; data.len()];
    again.read_logical(&mut back, DATA).unwrap();
    assert!(back == data, "the survivor holds the data");
}

/// A failed write of the write-intent record fails the member: the write
/// and its sync are one durable write, and a retry could hide an error of
/// the data's write-back that the failed sync reported.
#[test]
fn failed_write_intent_record_fails_the_member() {
    let mems = formatted(&[16 * MIB, 16 * MIB], None);
    let f = faulty(&mems);
    let g = group(devs(&f));
    f[0].add_rule(FaultRule::nth(FaultOp::Write, 1));
    let c = cache(&g);
    let data = pattern(64 << 10, 3);
    c.write(0, 4096, DATA, &data).unwrap();
    c.sync().unwrap();
    assert_eq!(f[0].injected(), 1);
    assert!(!g.members[0].in_sync());
    assert!(g.members[1].in_sync());
    let mut back = vec![0u8; data.len()];
    g.members[1]
        .partition
        .read_logical(&mut back, DATA)
        .unwrap();
    assert!(back == data, "the survivor holds the data");
}

/// A failed fdatasync fails the member (never retried and trusted), and
/// the failure is sticky: nothing more is written to it.
#[test]
fn failed_fdatasync_fails_the_member_for_good() {
    let mems = formatted(&[16 * MIB, 16 * MIB], None);
    let counted: Vec<Arc<CountingDevice<FaultyDevice<Arc<MemDevice>>>>> = mems
        .iter()
        .map(|m| Arc::new(CountingDevice::new(FaultyDevice::new(m.clone()))))
        .collect();
    let g = group(
        counted
            .iter()
            .map(|d| d.clone() as Arc<dyn Device>)
            .collect(),
    );
    counted[1].inner().add_rule(FaultRule::sync().times(1));
    let c = cache(&g);
    c.write(0, 4096, DATA, &pattern(8192, 4)).unwrap();
    c.sync().unwrap();
    assert!(!g.members[1].in_sync());
    assert_eq!(counted[1].sync_count(), 1, "not retried");
    let (w, s) = (counted[1].write_count(), counted[1].sync_count());
    c.write(0, 4096, DATA + MIB as u64, &pattern(8192, 5))
        .unwrap();
    c.sync().unwrap();
    assert_eq!(counted[1].write_count(), w, "no write after the failure");
    assert_eq!(counted[1].sync_count(), s);
    assert!(counted[0].write_count() >= 2);
}

/// When every member fails, the caller gets an error and the data stays
/// dirty in the cache (still readable), never dropped.
#[test]
fn no_member_left_is_an_error_and_data_stays_cached() {
    let mems = formatted(&[16 * MIB, 16 * MIB], None);
    let f = faulty(&mems);
    let g = group(devs(&f));
    let c = cache(&g);
    let data = pattern(64 << 10, 6);
    c.write(0, 4096, DATA, &data).unwrap();
    for d in &f {
        d.add_rule(FaultRule::always(FaultOp::Write));
    }
    let e = c.sync().unwrap_err();
    assert!(matches!(e, Error::NoInSyncMember { .. }), "{e}");
    assert!(g.in_sync_members().is_empty());
    let st = c.stats();
    assert_eq!(st.dirty, data.len() as u64, "{st:?}");
    let mut back = vec![0u8; data.len()];
    c.read(0, 4096, DATA, &mut back).unwrap();
    assert!(back == data);
    assert!(matches!(
        c.write(0, 4096, DATA, &data),
        Err(Error::NoInSyncMember { .. })
    ));
}

/// A device that fails every write is given up after a few units, not
/// after trying every unit of the run.
#[test]
fn dead_device_is_given_up_quickly() {
    let mems = formatted(&[16 * MIB, 16 * MIB], None);
    let f = faulty(&mems);
    let g = group(devs(&f));
    f[0].add_rule(FaultRule::always(FaultOp::Write));
    let c = cache(&g);
    c.write(0, 4096, DATA, &pattern(MIB, 7)).unwrap();
    c.sync().unwrap();
    assert!(!g.members[0].in_sync());
    assert!(f[0].injected() < 64, "{} writes tried", f[0].injected());
}
