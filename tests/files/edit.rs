//! Files changed in place (what a mount does): writes at offsets,
//! truncation and extension, against a model of each file's bytes, across
//! commits and reopening; and the space of every replaced or cut block
//! comes back.

use std::sync::Arc;

use crate::support::campaign::Rng;
use crate::support::engine::formatted;
use nwvol::assembly::Assembly;
use nwvol::device::Device;
use nwvol::device::testing::MemDevice;
use nwvol::layout::dirent::ROOT_ID;
use nwvol::layout::time::DosTime;
use nwvol::volume::file::FileTimes;
use nwvol::volume::{OpenMode, OpenVolume};
use std::io::Read;

const MIB: usize = 1 << 20;

fn times() -> FileTimes {
    let t = DosTime(0x5A21_6000);
    FileTimes {
        modified: t,
        created: t,
    }
}

fn open(mems: &[Arc<MemDevice>]) -> (Assembly, OpenVolume) {
    let devs: Vec<Arc<dyn Device>> = mems.iter().map(|m| m.clone() as Arc<dyn Device>).collect();
    let sys = Assembly::open(devs).expect("assemble");
    let v = OpenVolume::from_assembly(&sys, "SYS", OpenMode::Write).expect("open SYS");
    (sys, v)
}

fn read_all(v: &mut OpenVolume, idx: u32, len: usize) -> Vec<u8> {
    let mut got = vec![0u8; len + 100];
    let mut at = 0;
    loop {
        let n = v
            .read_at(idx, at as u64, &mut got[at..(at + 7000).min(len + 100)])
            .expect("read_at");
        if n == 0 {
            break;
        }
        at += n;
    }
    got.truncate(at);
    got
}

fn free_blocks(v: &OpenVolume) -> u64 {
    v.vol.stats(v.io().as_ref()).expect("stats").free_blocks
}

#[test]
fn random_edits_read_back_like_a_model_across_commits_and_reopening() {
    let mems = formatted(&[40 * MIB, 40 * MIB], None);
    let (mut sys, mut v) = open(&mems);
    let names = ["A.DAT", "B.DAT", "A file with a long name.txt"];
    let mut files: Vec<(u32, Vec<u8>)> = names
        .iter()
        .map(|n| {
            (
                v.create_file(ROOT_ID, n, times()).expect("create"),
                Vec::new(),
            )
        })
        .collect();
    v.sync().expect("sync");
    let free_at_start = free_blocks(&v);
    let mut r = Rng(17);
    for step in 0..1500 {
        let k = r.range(0, files.len() as u64 - 1) as usize;
        let (idx, model) = &mut files[k];
        match r.range(0, 9) {
            0..=5 => {
                let off = r.range(0, 300_000) as usize;
                let n = r.range(1, 20_000) as usize;
                let data = r.bytes(n);
                v.write_at(*idx, off as u64, &data).expect("write_at");
                if model.len() < off + data.len() {
                    model.resize(off + data.len(), 0);
                }
                model[off..off + data.len()].copy_from_slice(&data);
            }
            6 | 7 => {
                let len = r.range(0, 320_000) as usize;
                v.set_len(*idx, len as u64).expect("set_len");
                model.resize(len, 0);
            }
            8 => v.commit().expect("commit"),
            _ => {
                if step % 3 == 0 {
                    // Everything durable, the volume opened again.
                    v.sync().expect("sync");
                    drop(v);
                    drop(sys);
                    (sys, v) = open(&mems);
                }
            }
        }
        let (idx, model) = &files[k];
        let got = read_all(&mut v, *idx, model.len());
        assert!(
            got == *model,
            "step {step}: file {k} differs from its model"
        );
    }
    v.sync().expect("sync");
    drop(v);
    drop(sys);
    let (sys, mut v) = open(&mems);
    for (k, (idx, model)) in files.iter().enumerate() {
        let mut whole = Vec::new();
        v.open_file(*idx)
            .expect("open")
            .read_to_end(&mut whole)
            .expect("read");
        assert!(whole == *model, "file {k} differs after reopening");
    }
    // Every block replaced or cut is free again once the files are empty.
    for (idx, _) in &files {
        v.set_len(*idx, 0).expect("truncate");
    }
    v.sync().expect("sync");
    assert_eq!(
        free_blocks(&v),
        free_at_start,
        "blocks leaked or freed twice"
    );
    drop(v);
    drop(sys);
    let (_sys, v) = open(&mems);
    assert_eq!(free_blocks(&v), free_at_start, "the FAT on disk disagrees");
}

#[test]
fn a_write_past_the_end_reads_zeros_in_the_gap_and_stale_bytes_never_show() {
    let mems = formatted(&[40 * MIB, 40 * MIB], None);
    let (_sys, mut v) = open(&mems);
    // A file full of 0xAA, cut short and extended: the cut part reads
    // zeros, not the old bytes.
    let idx = v.create_file(ROOT_ID, "GAP.DAT", times()).expect("create");
    v.write_at(idx, 0, &[0xAA; 20_000]).expect("write");
    v.sync().expect("sync");
    v.set_len(idx, 5_000).expect("cut");
    v.write_at(idx, 15_000, b"end").expect("write past the end");
    let got = read_all(&mut v, idx, 15_003);
    assert_eq!(got.len(), 15_003);
    assert!(got[..5_000].iter().all(|&b| b == 0xAA));
    assert!(
        got[5_000..15_000].iter().all(|&b| b == 0),
        "stale bytes in the gap"
    );
    assert_eq!(&got[15_000..], b"end");
}

#[test]
fn writes_past_four_gib_and_on_a_full_volume_are_refused() {
    let mems = formatted(&[8 * MIB, 8 * MIB], None);
    let (_sys, mut v) = open(&mems);
    let idx = v.create_file(ROOT_ID, "BIG.DAT", times()).expect("create");
    let e = v.write_at(idx, u64::from(u32::MAX), b"x").unwrap_err();
    assert!(e.to_string().contains("4 GiB"), "{e}");
    let e = v.set_len(idx, 64 << 20).unwrap_err();
    assert!(matches!(e, nwvol::Error::NoSpace(_)), "{e}");
    // The refused growth left nothing behind.
    assert_eq!(read_all(&mut v, idx, 0).len(), 0);
}
