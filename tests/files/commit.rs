//! Group commit (issue 16, point 1), counted on counting devices: a put
//! of many small files shares commits, so its barriers (fdatasyncs) and
//! write-intent record writes are a few per commit, not a few per file,
//! and its flushes start no threads (each member's I/O thread lives as
//! long as the member).

use std::sync::Arc;
use std::time::Duration;

use crate::support::campaign::Rng;
use crate::support::engine::formatted;
use nwvol::assembly::Assembly;
use nwvol::cache::CacheConfig;
use nwvol::device::Device;
use nwvol::device::testing::{CountingDevice, MemDevice};
use nwvol::layout::dirent::ROOT_ID;
use nwvol::layout::time::DosTime;
use nwvol::partition::Partition;
use nwvol::volume::commit::CommitLimits;
use nwvol::volume::file::FileTimes;
use nwvol::volume::{OpenMode, OpenVolume};
use std::io::Read;

const MIB: usize = 1 << 20;
const FILES: usize = 1000;

fn times() -> FileTimes {
    let t = DosTime(0x5A21_6000);
    FileTimes {
        modified: t,
        created: t,
    }
}

/// Write calls into a member's write-intent record (partition sectors
/// 2-31, written as whole 4 KiB pieces from the partition's start).
fn wib_writes(c: &CountingDevice<Arc<MemDevice>>, start: u64) -> usize {
    let wib = start..start + 32 * 512;
    c.writes()
        .iter()
        .filter(|w| wib.contains(&w.offset))
        .count()
}

/// A formatted 2-way mirror of memory members, each behind a counting
/// device, assembled with write-back at the barriers only (the counts do
/// not depend on timing).
struct Counted {
    /// Each member's partition start (its write-intent record is there).
    starts: Vec<u64>,
    /// The counting devices, by member.
    cs: Vec<Arc<CountingDevice<Arc<MemDevice>>>>,
    /// The assembled mirror.
    sys: Assembly,
}

fn counted_mirror() -> Counted {
    let mems = formatted(&[48 * MIB, 48 * MIB], None);
    let starts: Vec<u64> = mems
        .iter()
        .map(|m| {
            Partition::open(m.clone() as Arc<dyn Device>)
                .expect("partition")
                .start_byte
        })
        .collect();
    let cs: Vec<Arc<CountingDevice<Arc<MemDevice>>>> = mems
        .iter()
        .map(|m| Arc::new(CountingDevice::new(m.clone())))
        .collect();
    let devs: Vec<Arc<dyn Device>> = cs.iter().map(|c| c.clone() as Arc<dyn Device>).collect();
    let mut cache = CacheConfig::with_capacity(64 << 20);
    cache.flush_interval = Duration::from_secs(3600);
    let sys = Assembly::open_with(devs, cache).expect("assemble");
    Counted { starts, cs, sys }
}

#[test]
fn put_of_a_thousand_small_files_costs_a_few_barriers_per_commit_and_no_thread_per_flush() {
    let Counted { starts, cs, sys } = counted_mirror();
    let mut v = OpenVolume::from_assembly(&sys, "SYS", OpenMode::Write).expect("open SYS");
    v.set_commit_limits(CommitLimits {
        age: Duration::from_secs(3600),
        ..CommitLimits::default()
    });
    for c in &cs {
        c.reset();
    }
    let mut r = Rng(16);
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for d in 0..10 {
        dirs.push(
            v.mkdir(ROOT_ID, &format!("D{d:02}"), times())
                .expect("mkdir"),
        );
    }
    for i in 0..FILES {
        let n = r.range(1024, 16 * 1024) as usize;
        let data = r.bytes(n);
        let w = v
            .write_file(
                dirs[i % 10],
                &format!("F{i:05}.BIN"),
                &mut data.as_slice(),
                Some(n as u64),
                times(),
            )
            .expect("write");
        files.push((w.index, data));
    }
    v.sync().expect("sync");

    let g = &sys.groups[0];
    for (m, c) in cs.iter().enumerate() {
        let wibs = wib_writes(c, starts[m]);
        // A durable write of the record is a write and a sync here.
        let syncs = c.sync_count() - wibs as u64;
        println!(
            "member {m}: {syncs} barriers and syncs, {wibs} write-intent record writes, {} writes",
            c.write_count()
        );
        // One commit of 1,000 files (data, FAT, entries: 2 barriers) and
        // the final sync; the directory table's growths (about 10 from 1
        // to 40 blocks) are linked in the commit, with no barrier of
        // their own. Before group commit: 3 or 4 per file.
        assert!(syncs <= 4, "member {m}: {syncs} syncs for {FILES} files");
        assert!(
            wibs <= 20,
            "member {m}: {wibs} write-intent writes for {FILES} files"
        );
        assert_eq!(
            g.members[m].worker.threads_started(),
            1,
            "member {m}: one I/O thread, whatever the number of flushes"
        );
    }
    let flushes = sys.cache.stats().flushes;
    // The commit's two barriers and the final sync: one thread for all.
    assert!(flushes >= 3, "only {flushes} flushes");

    // Every file reads back, from the cache and after the volume is
    // opened again.
    for (idx, data) in &files {
        let mut got = Vec::new();
        v.open_file(*idx)
            .expect("open")
            .read_to_end(&mut got)
            .expect("read");
        assert_eq!(&got, data);
    }
    drop(v);
    sys.cache.drop_clean();
    let v = OpenVolume::from_assembly(&sys, "SYS", OpenMode::ReadOnly).expect("reopen");
    for (idx, data) in &files {
        let mut got = Vec::new();
        v.open_file(*idx)
            .expect("open")
            .read_to_end(&mut got)
            .expect("read");
        assert_eq!(&got, data);
    }
}

/// `rm -r` of a tree (issue 16): one barrier per depth of the tree, the
/// freed chains riding along with the next depth's entries, and the final
/// sync: a tree of 100 directories of 10 files costs as many barriers as
/// one of a single file at the same depth. Deeper entries are durable
/// before their directory's entry is freed, so a crash leaves the tree
/// emptied from below; every block comes back.
#[test]
fn rm_r_of_a_tree_costs_one_barrier_per_depth() {
    let Counted { starts, cs, sys } = counted_mirror();
    let mut v = OpenVolume::from_assembly(&sys, "SYS", OpenMode::Write).expect("open SYS");
    let before = v.stats().expect("stats");
    let root_before = v.index().children(ROOT_ID).count();
    // TREE/Dnn/Fnnnnn.BIN: 100 directories of 10 files, 1-8 KiB each.
    let tree = v.mkdir(ROOT_ID, "TREE", times()).expect("mkdir TREE");
    let mut r = Rng(61);
    for d in 0..100 {
        let dir = v.mkdir(tree, &format!("D{d:02}"), times()).expect("mkdir");
        for f in 0..10 {
            let n = r.range(1024, 8 * 1024) as usize;
            let data = r.bytes(n);
            v.write_file(
                dir,
                &format!("F{:05}.BIN", d * 10 + f),
                &mut data.as_slice(),
                Some(n as u64),
                times(),
            )
            .expect("write");
        }
    }
    v.sync().expect("sync");
    let full = v.stats().expect("stats");
    for c in &cs {
        c.reset();
    }
    let t = v
        .resolve(&nwvol::volume::NwPath::parse("SYS:/TREE").expect("path"))
        .expect("resolve");
    let removed = v.remove(t, true, false).expect("rm -r");
    v.sync().expect("sync");
    assert_eq!((removed.purged, removed.dirs), (1000, 101), "{removed:?}");
    for (m, c) in cs.iter().enumerate() {
        let wibs = wib_writes(c, starts[m]);
        let syncs = c.sync_count() - wibs as u64;
        println!(
            "member {m}: {syncs} barriers and syncs, {wibs} write-intent record writes, {} writes",
            c.write_count()
        );
        // Files, then directories, then TREE: two barriers between the
        // three depths, and the final sync. Before: a barrier before each
        // depth's chains and long names were freed too (4 and more).
        // The record's writes that set bits are durable (a sync each
        // here), the one clearing them at the end is not.
        let all = c.sync_count();
        assert!(
            (2..=3).contains(&syncs) && all <= 3 + wibs as u64,
            "member {m}: {all} syncs ({wibs} record writes) for rm -r of 1,101 entries"
        );
        assert!(wibs <= 4, "member {m}: {wibs} write-intent writes");
    }
    // Every block of the files back (the directory table keeps its
    // growth), the entries as before the tree, and the volume opened
    // again agrees.
    let after = v.stats().expect("stats");
    assert!(removed.blocks >= 1000, "{removed:?}");
    assert_eq!(after.free_blocks, full.free_blocks + removed.blocks);
    assert_eq!(
        (after.files, after.directories),
        (before.files, before.directories)
    );
    drop(v);
    sys.cache.drop_clean();
    let mut v = OpenVolume::from_assembly(&sys, "SYS", OpenMode::Write).expect("reopen");
    let again = v.stats().expect("stats");
    assert_eq!(again.free_blocks, after.free_blocks);
    assert_eq!(v.index().children(ROOT_ID).count(), root_before);
}
