//! A directory of 100,000 entries: made through the library, listed and
//! resolved through the binary, and resolved through the library with a
//! counting BlockIo that shows lookups read nothing after the volume opens.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use nwvol::assembly::Assembly;
use nwvol::cache::BlockIo;
use nwvol::device::Device;
use nwvol::device::file::{FileDevice, OpenOptions};
use nwvol::layout::time::DosTime;
use nwvol::mirror::MirrorGroup;
use nwvol::volume::file::FileTimes;
use nwvol::volume::open::Target;
use nwvol::volume::{NwPath, OpenMode, OpenVolume};

use crate::support::files::*;

const N: u32 = 100_000;

/// Counts the reads that reach the BlockIo below.
#[derive(Debug)]
struct CountingIo {
    inner: Arc<dyn BlockIo>,
    reads: AtomicU64,
}

impl BlockIo for CountingIo {
    fn groups(&self) -> &[Arc<MirrorGroup>] {
        self.inner.groups()
    }
    fn read(&self, g: usize, bs: u32, off: u64, buf: &mut [u8]) -> nwvol::Result<()> {
        self.reads.fetch_add(1, Ordering::Relaxed);
        self.inner.read(g, bs, off, buf)
    }
    fn write(&self, g: usize, bs: u32, off: u64, data: &[u8]) -> nwvol::Result<()> {
        self.inner.write(g, bs, off, data)
    }
    fn barrier(&self) -> nwvol::Result<()> {
        self.inner.barrier()
    }
    fn sync(&self) -> nwvol::Result<()> {
        self.inner.sync()
    }
}

fn name(i: u32) -> String {
    format!("F{i:06}.TXT")
}

#[test]
fn a_directory_of_100000_entries_lists_and_resolves_from_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d.img"], "256M", &["--block-size", "64K"]);
    {
        let dev: Arc<dyn Device> =
            Arc::new(FileDevice::open(&imgs[0], &OpenOptions::read_write()).unwrap());
        let sys = Assembly::open(vec![dev]).unwrap();
        let mut v = OpenVolume::from_assembly(&sys, "SYS", OpenMode::Write).unwrap();
        let now = DosTime::now();
        let t = FileTimes {
            modified: now,
            created: now,
        };
        let big = v.mkdir(0, "BIG", t).unwrap();
        for i in 0..N {
            let data = if i % 1000 == 0 {
                name(i)
            } else {
                String::new()
            };
            v.write_file(
                big,
                &name(i),
                &mut data.as_bytes(),
                Some(data.len() as u64),
                t,
            )
            .unwrap();
        }
        v.sync().unwrap();
    }
    // The binary lists them all and resolves one.
    let ls = nw_ok(&imgs, &["ls", "SYS:/BIG"]);
    assert_eq!(ls.lines().count(), N as usize);
    assert!(ls.lines().next().unwrap().ends_with(" F000000.TXT"));
    let st = nw_ok(&imgs, &["stat", "SYS:/big/f054000.txt"]);
    assert!(st.contains("size: 11 bytes"), "{st}");
    // Through the library: after the volume is open, resolving paths and
    // listing the directory read nothing.
    let sys = system(&imgs);
    let vol = sys.volume("SYS").unwrap().clone();
    let counting = Arc::new(CountingIo {
        inner: sys.io.clone(),
        reads: AtomicU64::new(0),
    });
    let io: Arc<dyn BlockIo> = counting.clone();
    let v = OpenVolume::open(vol, io, OpenMode::ReadOnly).unwrap();
    let at_open = counting.reads.load(Ordering::Relaxed);
    assert!(at_open > 0);
    for i in (0..N).step_by(97) {
        let p = NwPath::parse(&format!("SYS:/BIG/{}", name(i).to_lowercase())).unwrap();
        let t = v.resolve(&p).unwrap();
        assert!(matches!(t, Target::Entry(_)));
    }
    let big = v.dir_id_of(v.resolve(&NwPath::parse("SYS:/BIG").unwrap()).unwrap());
    assert_eq!(v.list(big.unwrap()).len(), N as usize);
    let mut data = Vec::new();
    let idx = match v
        .resolve(&NwPath::parse("SYS:/BIG/F099000.TXT").unwrap())
        .unwrap()
    {
        Target::Entry(i) => i,
        Target::Root => unreachable!(),
    };
    let reads = counting.reads.load(Ordering::Relaxed);
    std::io::Read::read_to_end(&mut v.open_file(idx).unwrap(), &mut data).unwrap();
    assert_eq!(data, b"F099000.TXT");
    assert!(
        counting.reads.load(Ordering::Relaxed) > reads,
        "contents are read"
    );
    let at_open = counting.reads.load(Ordering::Relaxed);
    assert!(v.resolve(&NwPath::parse("SYS:/BIG/NOPE").unwrap()).is_err());
    assert!(
        v.resolve(&NwPath::parse("SYS:/big/F054000.txt").unwrap())
            .is_ok()
    );
    assert_eq!(
        counting.reads.load(Ordering::Relaxed),
        at_open,
        "path resolution and listing must not read the table again"
    );
    copies_equal(&imgs);
}
