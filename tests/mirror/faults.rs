//! Faults during a remirror (issue 5, point 7): a source that fails a read
//! is replaced by another in-sync member, or the run stops with the
//! checkpoint kept; a write error on the target stops it and leaves it out
//! of sync; an out-of-sync member is never a source.

use std::io::IoSlice;
use std::sync::Arc;

use crate::support::engine::*;
use nwvol::device::Device;
use nwvol::device::testing::{FaultOp, FaultRule, FaultyDevice, MemDevice};
use nwvol::layout::mirror::MemberState;
use nwvol::mirror::MirrorGroup;
use nwvol::mirror::remirror::{RemirrorOptions, RemirrorPlan};

const MIB: usize = 1 << 20;
const LEN: usize = 12 * MIB;

type Faulty = Arc<FaultyDevice<Arc<MemDevice>>>;

/// Three members holding a pattern; member 2 (and `also_out`, if given)
/// then marked in `state` with garbage where the pattern was. Returns the
/// group re-assembled over failing wrappers, the wrappers, the pattern.
fn setup(also_out: Option<usize>) -> (Arc<MirrorGroup>, Vec<Faulty>, Vec<u8>) {
    let mems = formatted(&[32 * MIB, 32 * MIB, 40 * MIB], None);
    let g0 = group(mems.iter().map(|m| m.clone() as Arc<dyn Device>).collect());
    let data = pattern(LEN, 7);
    g0.write_logical(&[IoSlice::new(&data)], DATA).unwrap();
    g0.sync().unwrap();
    let junk = pattern(LEN, 99);
    let mut outs = vec![2usize];
    outs.extend(also_out);
    for &i in &outs {
        g0.members[i]
            .partition
            .write_logical(&[IoSlice::new(&junk)], DATA)
            .unwrap();
    }
    let ids: Vec<(u32, MemberState)> = outs
        .iter()
        .map(|&i| {
            let st = if i == 2 {
                MemberState::Remirroring
            } else {
                MemberState::OutOfSync
            };
            (g0.members[i].partition.id(), st)
        })
        .collect();
    g0.update_table(&[], |x| {
        for r in x.members.iter_mut() {
            if let Some((_, st)) = ids.iter().find(|(id, _)| *id == r.id) {
                r.state = *st;
            }
        }
        Ok(())
    })
    .unwrap();
    drop(g0);
    let f: Vec<Faulty> = mems
        .iter()
        .map(|m| Arc::new(FaultyDevice::new(m.clone())))
        .collect();
    let g = group(f.iter().map(|d| d.clone() as Arc<dyn Device>).collect());
    assert_eq!(g.members[2].state(), MemberState::Remirroring);
    (g, f, data)
}

fn plan() -> RemirrorPlan {
    RemirrorPlan::from_ranges(vec![(DATA, DATA + LEN as u64)])
}

fn run(g: &MirrorGroup) -> nwvol::Result<nwvol::mirror::remirror::Progress> {
    let p = plan();
    g.remirror(
        &g.members[2].partition,
        &p,
        0,
        p.bytes(),
        RemirrorOptions::default(),
        &mut |_| {},
    )
}

fn holds(g: &MirrorGroup, i: usize, data: &[u8]) -> bool {
    let mut back = vec![0u8; data.len()];
    g.members[i]
        .partition
        .read_logical(&mut back, DATA)
        .unwrap();
    back == data
}

fn table_state(g: &MirrorGroup, i: usize) -> MemberState {
    let id = g.members[i].partition.id();
    g.table().ext.unwrap().member(id).unwrap().state
}

#[test]
fn a_failing_source_is_replaced_by_another_in_sync_member() {
    let (g, f, data) = setup(None);
    f[0].add_rule(FaultRule::always(FaultOp::Read));
    let p = run(&g).unwrap();
    assert_eq!(p.copied_bytes, LEN as u64);
    assert!(holds(&g, 2, &data));
    assert_eq!(table_state(&g, 2), MemberState::InSync);
    assert!(f[0].injected() > 0);
    // On disk too, in the survivors' tables and the target's.
    for m in &g.members {
        let t = m.partition.mirror().ext.unwrap();
        assert!(t.members.iter().all(|r| r.state == MemberState::InSync));
    }
}

#[test]
fn reads_failing_everywhere_stop_with_the_checkpoint_kept() {
    let (g, f, _) = setup(None);
    // The first chunks read; then every source fails.
    for d in &f[..2] {
        d.add_rule(FaultRule::nth(FaultOp::Read, 2).persistent());
    }
    let e = run(&g).unwrap_err().to_string();
    assert!(e.contains("checkpoint kept"), "{e}");
    assert_eq!(table_state(&g, 2), MemberState::Remirroring);
    assert!(!g.members[2].in_sync());
    let rec = g.members[0]
        .partition
        .mirror()
        .ext
        .unwrap()
        .member(g.members[2].partition.id())
        .copied()
        .unwrap();
    assert_eq!(rec.state, MemberState::Remirroring);
    assert!(rec.checkpoint < DATA + LEN as u64, "{rec:?}");
}

#[test]
fn a_write_error_on_the_target_leaves_it_out_of_sync() {
    let (g, f, _) = setup(None);
    // Table writes work; the data region does not.
    let base = g.members[2].partition.logical_start_byte() + DATA;
    f[2].add_rule(FaultRule::range(FaultOp::Write, base, LEN as u64));
    let e = run(&g).unwrap_err().to_string();
    assert!(e.contains("stays out of sync"), "{e}");
    assert_eq!(table_state(&g, 2), MemberState::Remirroring);
    let rec = g.members[0]
        .partition
        .mirror()
        .ext
        .unwrap()
        .member(g.members[2].partition.id())
        .copied()
        .unwrap();
    assert_ne!(rec.state, MemberState::InSync);
}

#[test]
fn an_out_of_sync_member_is_never_a_source() {
    let (g, _f, data) = setup(Some(1));
    assert!(!g.members[1].in_sync());
    let before = g.members[1].stats.snapshot().reads;
    run(&g).unwrap();
    assert_eq!(g.members[1].stats.snapshot().reads, before);
    assert!(holds(&g, 2, &data), "copied from the in-sync member only");
    assert!(!holds(&g, 1, &data));
}
