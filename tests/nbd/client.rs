//! The NBD client through the library (issue 8): several requests in
//! flight at once on one connection, replies matched by handle; a
//! read-only export refused for writing; reads and writes that do not
//! start or end on the server's block size.

use std::time::Duration;

use crate::support::nbd::*;
use crate::support::*;
use nwvol::device::Device;
use nwvol::device::nbd::{NbdDevice, NbdOptions};

fn open(uri: &str, write: bool) -> NbdDevice {
    NbdDevice::open(
        uri,
        &NbdOptions {
            write,
            timeout: Duration::from_secs(10),
        },
    )
    .unwrap()
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i / 511) as u8 ^ seed).collect()
}

#[test]
fn a_large_write_and_read_have_many_requests_in_flight() {
    // The server holds its replies until 8 requests are outstanding: a
    // client that waited for each reply before the next request would
    // never get there. Its largest request is 1 MiB.
    let srv = FakeServer::start(Mode::Batch(8), 16 << 20, 1);
    let dev = open(&srv.uri(), true);
    let data = pattern(8 << 20, 3);
    dev.write_at(&data, 4 << 20).unwrap();
    assert_eq!(
        srv.max_outstanding
            .load(std::sync::atomic::Ordering::SeqCst),
        8
    );
    assert!(dev.max_in_flight() >= 8, "{}", dev.max_in_flight());
    let mut back = vec![0u8; 8 << 20];
    dev.read_at(&mut back, 4 << 20).unwrap();
    assert!(back == data, "read back differs");
    assert!(srv.data.lock().unwrap()[4 << 20..12 << 20] == data[..]);
}

#[test]
fn unaligned_reads_and_writes_on_a_server_with_4k_blocks() {
    let srv = FakeServer::start(Mode::Serve, 1 << 20, 4096);
    let dev = open(&srv.uri(), true);
    let a = pattern(4096 * 3, 1);
    dev.write_at(&a, 8192).unwrap();
    let b = pattern(700, 9);
    dev.write_at(&b, 8192 + 1000).unwrap();
    let mut want = a.clone();
    want[1000..1700].copy_from_slice(&b);
    let mut got = vec![0u8; want.len()];
    dev.read_at(&mut got, 8192).unwrap();
    assert!(got == want);
    let mut small = vec![0u8; 10];
    dev.read_at(&mut small, 8192 + 995).unwrap();
    assert_eq!(small, want[995..1005]);
    dev.zero_range(8192, 4096).unwrap();
    dev.read_at(&mut got, 8192).unwrap();
    assert!(got[..4096].iter().all(|&x| x == 0) && got[4096..] == want[4096..]);
    dev.sync().unwrap();
}

#[test]
fn a_read_only_export_is_refused_for_writing_and_read_past_the_end_is_an_error() {
    assert!(have("qemu-nbd"), "qemu-nbd is needed");
    let dir = tempfile::tempdir().unwrap();
    let image = img(&dir, "r.img");
    sparse(&image, 1 << 20);
    poke(&image, 4096, b"remote bytes");
    let srv = Server::qemu_tcp_with(&image, "ro", &["-r"]);
    let err = NbdDevice::open(
        &srv.uri,
        &NbdOptions {
            write: true,
            timeout: Duration::from_secs(10),
        },
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains(&srv.uri) && err.contains("read-only"), "{err}");
    let dev = open(&srv.uri, false);
    assert_eq!(dev.size(), 1 << 20);
    let mut b = [0u8; 12];
    dev.read_at(&mut b, 4096).unwrap();
    assert_eq!(&b, b"remote bytes");
    let e = dev.read_at(&mut [0u8; 1024], (1 << 20) - 512).unwrap_err();
    assert!(e.to_string().contains("past the end"), "{e}");
    let e = dev.write_at(&[0u8; 512], 0).unwrap_err();
    assert!(e.to_string().contains("read-only"), "{e}");
    // qemu-nbd serves one client at a time.
    drop(dev);
    fails(
        &["mkdir", "-d", &srv.uri, "SYS:/X"],
        1,
        &[&srv.uri, "read-only"],
    );
}
