//! Helpers for the engine tests: mirror groups formatted on memory devices
//! and opened through wrapper devices (counting, failing, gated, logging,
//! offset: all in `nwvol::device::testing`).
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use nwvol::device::Device;
use nwvol::device::testing::MemDevice;
use nwvol::format::{FormatOptions, format};
use nwvol::mirror::MirrorGroup;
use nwvol::mirror::assemble::assemble;
use nwvol::partition::Partition;

/// Format options for one mirror group over every device given.
pub fn mirror_opts(hotfix: Option<u64>) -> FormatOptions {
    FormatOptions {
        mirror: true,
        block_size: Some(4096),
        volumes: vec![],
        hotfix,
        force: false,
        checksums: true,
    }
}

/// Memory devices of the given sizes, formatted as one mirror group.
pub fn formatted(sizes: &[usize], hotfix: Option<u64>) -> Vec<Arc<MemDevice>> {
    let mems: Vec<Arc<MemDevice>> = sizes
        .iter()
        .enumerate()
        .map(|(i, &s)| Arc::new(MemDevice::new(s).with_name(format!("m{i}"))))
        .collect();
    let devs: Vec<Arc<dyn Device>> = mems.iter().map(|m| m.clone() as Arc<dyn Device>).collect();
    format(&devs, &mirror_opts(hotfix)).expect("format");
    mems
}

/// Assembles the one group the devices hold.
pub fn group(devs: Vec<Arc<dyn Device>>) -> Arc<MirrorGroup> {
    let parts = devs
        .into_iter()
        .map(|d| Partition::open(d).expect("open partition"))
        .collect();
    let mut groups = assemble(parts).expect("assemble");
    assert_eq!(groups.len(), 1);
    Arc::new(groups.remove(0))
}

/// Re-reads a memory device from scratch (what a later run would see).
pub fn reopen(mem: &Arc<MemDevice>) -> Partition {
    Partition::open(Arc::new(
        MemDevice::from_bytes(mem.snapshot()).with_name("again"),
    ))
    .expect("reopen")
}

/// A pattern that differs per byte and per call.
pub fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| {
            (i as u32)
                .wrapping_mul(2_654_435_761)
                .rotate_left(seed as u32 % 31) as u8
                ^ seed
        })
        .collect()
}

/// A logical byte in the data area, well past the volume's metadata.
pub const DATA: u64 = 4 << 20;

/// Polls `f` until it holds or `timeout` passes.
pub fn wait_for(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    f()
}
