//! Members holding the same logical block at different physical offsets
//! (issue 3, point 5), on real image files read back raw.

use std::os::unix::fs::FileExt;
use std::sync::Arc;

use crate::support::engine::*;
use nwvol::cache::{BlockIo, Cache, CacheConfig};
use nwvol::device::Device;
use nwvol::device::file::{FileDevice, OpenOptions};
use nwvol::device::testing::SliceDevice;

const MIB: u64 = 1 << 20;

fn image(path: &std::path::Path, size: u64) -> Arc<FileDevice> {
    let o = OpenOptions {
        write: true,
        create_size: Some(size),
        direct: false,
        read_lock: false,
    };
    Arc::new(FileDevice::open(path, &o).unwrap())
}

/// Three members: two images of different sizes (so different hot-fix
/// pools) and one whose partition starts at device byte 0 (a window onto
/// its image from the partition on, like /dev/sdb1), one of them with a
/// redirected unit. Each image file holds the data where its own geometry
/// puts it.
#[test]
fn each_member_gets_the_bytes_at_its_own_offsets() {
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<_> = ["a.img", "b.img", "c.img"]
        .iter()
        .map(|n| dir.path().join(n))
        .collect();
    let sizes = [40 * MIB, 64 * MIB, 48 * MIB];
    let files: Vec<Arc<FileDevice>> = paths.iter().zip(sizes).map(|(p, s)| image(p, s)).collect();
    let devs: Vec<Arc<dyn Device>> = files.iter().map(|f| f.clone() as Arc<dyn Device>).collect();
    nwvol::format::format(&devs, &mirror_opts(None)).unwrap();
    // Member c seen as a bare partition: its device starts at the
    // partition's first byte (sector 2048 of the image).
    let window = Arc::new(SliceDevice {
        inner: files[2].clone(),
        offset: MIB,
    });
    let g = group(vec![files[0].clone(), files[1].clone(), window]);
    let starts: Vec<u64> = g
        .members
        .iter()
        .map(|m| m.partition.logical_start_byte())
        .collect();
    assert!(starts[0] != starts[1], "pools differ: {starts:?}");
    assert_eq!(g.members[2].partition.start_byte, 0);
    // A redirected unit on member b.
    let red = DATA + 5 * 4096;
    let slot = g.members[1]
        .partition
        .redirect_unit(red, &[0u8; 4096])
        .unwrap();
    let slot_at = g.members[1].partition.slot_device_offset(slot);

    let cache = Cache::new(vec![g.clone()], CacheConfig::with_capacity(64 * MIB));
    let data = pattern(2 * MIB as usize, 1);
    cache.write(0, 4096, DATA, &data).unwrap();
    cache.sync().unwrap();
    drop(cache);

    for (i, p) in paths.iter().enumerate() {
        let f = std::fs::File::open(p).unwrap();
        // Device byte of logical DATA in the image file itself.
        let at = starts[i] + DATA + if i == 2 { MIB } else { 0 };
        let mut raw = vec![0u8; data.len()];
        f.read_exact_at(&mut raw, at).unwrap();
        if i == 1 {
            let u = (red - DATA) as usize;
            let mut unit = vec![0u8; 4096];
            f.read_exact_at(&mut unit, slot_at).unwrap();
            assert!(unit[..] == data[u..u + 4096], "redirected unit in its slot");
            assert!(raw[..u] == data[..u] && raw[u + 4096..] == data[u + 4096..]);
        } else {
            assert!(raw == data, "image {i}");
        }
    }
}
