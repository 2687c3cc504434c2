//! FileDevice on real loop block devices (skipped when losetup is missing
//! or not permitted), and the writer lock on image files.

use std::io::IoSlice;
use std::path::{Path, PathBuf};
use std::process::Command;

use nwvol::device::{
    AlignedBuf, Device, DeviceError, DeviceKind, FileDevice, OpenOptions, mounted,
};
use nwvol::partition::probe::{SigKind, probe};

/// A loop device attached to an image; detached on drop.
struct LoopDev {
    path: PathBuf,
}

impl LoopDev {
    fn attach(image: &Path) -> Result<LoopDev, String> {
        let out = Command::new("losetup")
            .args(["--find", "--show"])
            .arg(image)
            .output()
            .map_err(|e| format!("cannot run losetup: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "losetup failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if path.is_empty() {
            return Err("losetup printed no device".into());
        }
        Ok(LoopDev {
            path: PathBuf::from(path),
        })
    }
}

impl Drop for LoopDev {
    fn drop(&mut self) {
        let _ = Command::new("losetup").arg("-d").arg(&self.path).status();
    }
}

/// A mount point; unmounted on drop.
struct Mount {
    dir: PathBuf,
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
    }
}

fn rw(direct: bool) -> OpenOptions {
    OpenOptions {
        write: true,
        create_size: None,
        direct,
        read_lock: false,
    }
}

fn make_image(dir: &Path, size: u64) -> PathBuf {
    let p = dir.join("disk.img");
    let f = std::fs::File::create(&p).expect("create image");
    f.set_len(size).expect("size image");
    p
}

#[test]
fn loop_device_end_to_end() {
    let dir = tempfile::tempdir().expect("tempdir");
    let img = make_image(dir.path(), 64 << 20);
    let lo = match LoopDev::attach(&img) {
        Ok(l) => l,
        Err(why) => {
            println!("skipping loop device test: {why}");
            return;
        }
    };
    assert!(nwvol::device::is_block_device(&lo.path));
    assert_eq!(mounted(&lo.path).expect("mounted"), None);

    // Buffered writer.
    {
        let d = FileDevice::open(&lo.path, &rw(false)).expect("open loop rw");
        assert_eq!(d.kind(), DeviceKind::Block);
        assert_eq!(d.size(), 64 << 20);
        assert!(d.alignment() >= 512);
        assert!(!d.reads_zeros());
        assert!(probe(&d).expect("probe").is_empty(), "zeros hold nothing");

        let a: Vec<u8> = (0..4096u32).map(|i| (i % 251) as u8).collect();
        let b = vec![0x5au8; 8192];
        d.write_vectored_at(&[IoSlice::new(&a), IoSlice::new(&b)], 1 << 20)
            .expect("writev");
        d.sync().expect("sync");
        let mut back = vec![0u8; 4096 + 8192];
        d.read_at(&mut back, 1 << 20).expect("read");
        assert_eq!(&back[..4096], &a[..]);
        assert!(back[4096..].iter().all(|&x| x == 0x5a));

        // A second writer is refused at once, a reader is not.
        let e = FileDevice::open(&lo.path, &rw(false)).unwrap_err();
        assert!(
            matches!(e, DeviceError::Busy { .. } | DeviceError::Locked { .. }),
            "{e}"
        );
        let r = FileDevice::open(&lo.path, &OpenOptions::read_only()).expect("reader");
        let mut x = [0u8; 512];
        r.read_at(&mut x, 1 << 20).expect("read");
        assert_eq!(&x[..], &a[..512]);

        d.zero_range(1 << 20, 4096).expect("zero");
        d.read_at(&mut back, 1 << 20).expect("read");
        assert!(back[..4096].iter().all(|&x| x == 0));
        assert!(back[4096..].iter().all(|&x| x == 0x5a));
        d.zero_range(0, 64 << 20).expect("zero all");

        assert!(matches!(
            d.read_at(&mut x, (64 << 20) - 511),
            Err(DeviceError::OutOfRange { .. })
        ));
    }

    // Direct I/O, with aligned and unaligned memory.
    {
        let d = FileDevice::open(&lo.path, &rw(true)).expect("open loop direct");
        assert!(d.is_direct());
        let al = d.alignment();
        let mut ab = AlignedBuf::new(2 * al, al).expect("alloc");
        ab.fill(0x11);
        d.write_at(&ab, 0).expect("aligned direct write");
        let raw: Vec<u8> = (0..2 * al + 1).map(|i| (i * 7 % 256) as u8).collect();
        let unaligned = &raw[1..];
        d.write_at(unaligned, 4 * al as u64)
            .expect("unaligned direct write");
        d.sync().expect("sync");
        let mut back = vec![0u8; 2 * al + 3];
        d.read_at(&mut back[3..], 4 * al as u64)
            .expect("unaligned direct read");
        assert_eq!(&back[3..], unaligned);
        let mut ab2 = AlignedBuf::new(2 * al, al).expect("alloc");
        d.read_at(&mut ab2, 0).expect("aligned direct read");
        assert!(ab2.iter().all(|&x| x == 0x11));
        let mut odd = [0u8; 5];
        d.read_at(&mut odd, 4 * al as u64 + 7)
            .expect("odd direct read");
        assert_eq!(&odd, &unaligned[7..12]);
        assert!(
            d.write_at(&ab[..100], 0).is_err(),
            "unaligned length refused"
        );
        d.zero_range(0, 8 * al as u64).expect("zero");
    }

    // mkfs.ext4 on the loop device, then probe finds it.
    let have_mkfs = Command::new("mkfs.ext4")
        .args(["-F", "-q"])
        .arg(&lo.path)
        .status()
        .is_ok_and(|s| s.success());
    if !have_mkfs {
        println!("skipping the ext4 part: mkfs.ext4 missing or failed");
        return;
    }
    let d = FileDevice::open(&lo.path, &OpenOptions::read_only()).expect("open ro");
    let sigs = probe(&d).expect("probe");
    assert_eq!(sigs.len(), 1, "{sigs:?}");
    assert_eq!(sigs[0].kind, SigKind::Ext);
    assert_eq!(sigs[0].to_string(), "an ext4 file system");
    drop(d);

    // Mounted: mounted() says where, and a writer is refused (EBUSY).
    let mnt = dir.path().join("mnt");
    std::fs::create_dir(&mnt).expect("mkdir");
    let ok = Command::new("mount")
        .arg(&lo.path)
        .arg(&mnt)
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        println!("skipping the mounted part: mount failed");
        return;
    }
    let _m = Mount { dir: mnt.clone() };
    let at = mounted(&lo.path).expect("mounted");
    assert_eq!(at.as_deref(), mnt.to_str());
    let e = FileDevice::open(&lo.path, &rw(false)).unwrap_err();
    assert!(matches!(e, DeviceError::Busy { .. }), "{e}");
    assert!(e.to_string().contains("mounted"), "{e}");
    // Reading a mounted device is allowed.
    FileDevice::open(&lo.path, &OpenOptions::read_only()).expect("read-only open");
}

#[test]
fn second_writer_of_an_image_is_busy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("a.img");
    let opts = OpenOptions {
        write: true,
        create_size: Some(1 << 20),
        direct: false,
        read_lock: false,
    };
    let first = FileDevice::open(&p, &opts).expect("first writer");
    let e = FileDevice::open(&p, &opts).unwrap_err();
    assert!(matches!(e, DeviceError::Locked { .. }), "{e}");
    let msg = e.to_string();
    assert!(msg.contains("a.img") && msg.contains("busy"), "{msg}");
    // Readers are never locked out.
    FileDevice::open(&p, &OpenOptions::read_only()).expect("reader");
    drop(first);
    FileDevice::open(&p, &opts).expect("writer after the first closed");
}
