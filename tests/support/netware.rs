//! A plain NetWare 386 disk laid out byte by byte from the published
//! tables (../shared/nwfs386-layout.md), not with nwvol's encoders.

fn le32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

fn dos_time(y: u32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> u32 {
    ((((y - 1980) << 9) | (mo << 5) | d) << 16) | ((h << 11) | (mi << 5) | (s / 2))
}

/// A 16 MiB disk: MBR with a type 0x65 partition at LBA 63 (as old fdisk
/// put it), hot-fix pool of 64 sectors, volume SYS of 1000 4 KiB blocks
/// holding PUBLIC/LOGIN.EXE.
pub fn lay_out_disk() -> (Vec<u8>, u32) {
    const START: usize = 63;
    let size = 16 << 20;
    let mut d = vec![0u8; size];
    let part_sectors = (size / 512 - START) as u32;
    // MBR entry 1.
    d[446 + 4] = 0x65;
    le32(&mut d, 446 + 8, START as u32);
    le32(&mut d, 446 + 12, part_sectors);
    d[510] = 0x55;
    d[511] = 0xAA;
    let p = START * 512;
    // Partition sector 0: Nw_PaRtItIoN at byte 1, sector count at 0x14.
    d[p + 1..p + 13].copy_from_slice(b"Nw_PaRtItIoN");
    le32(&mut d, p + 0x14, part_sectors);
    let redir: u32 = 128 + 64;
    let data_sectors = part_sectors - 32 - redir;
    let id = 0x0102_0304;
    for c in 0..4 {
        let h = p + (32 + 32 * c) * 512;
        d[h..h + 8].copy_from_slice(b"HOTFIX00");
        le32(&mut d, h + 8, id);
        le32(&mut d, h + 20, data_sectors);
        le32(&mut d, h + 24, redir);
        let m = h + 512;
        d[m..m + 8].copy_from_slice(b"MIRROR00");
        le32(&mut d, m + 8, dos_time(1994, 3, 1, 12, 0, 0));
        le32(&mut d, m + 12, 0x90000);
        le32(&mut d, m + 32, id);
    }
    // Volume definition table at 0x4000 + R * 512 from the partition start.
    let vt = p + 0x4000 + redir as usize * 512;
    let blocks = 1000u32;
    for c in 0..4 {
        let t = vt + c * 16384;
        d[t..t + 16].copy_from_slice(b"NetWare Volumes\0");
        le32(&mut d, t + 16, 1);
        let e = t + 32;
        d[e] = 3;
        d[e + 1..e + 4].copy_from_slice(b"SYS");
        d[e + 22..e + 24].copy_from_slice(&0u16.to_le_bytes());
        le32(&mut d, e + 24, 160);
        le32(&mut d, e + 28, blocks * 8);
        le32(&mut d, e + 32, blocks);
        le32(&mut d, e + 36, 0);
        le32(&mut d, e + 44, 64); // 4 KiB blocks
        le32(&mut d, e + 48, 2);
        le32(&mut d, e + 52, 3);
    }
    // Data area: partition sector 32 + R + 128; block 0 starts the FAT.
    let data = p + (32 + redir as usize + 128) * 512;
    let fat = |d: &mut Vec<u8>, b: usize, seq: u32, next: u32| {
        le32(d, data + b * 8, seq);
        le32(d, data + b * 8 + 4, next);
    };
    fat(&mut d, 0, 0, 1);
    fat(&mut d, 1, 1, 0xFFFF_FFFF);
    fat(&mut d, 2, 0, 0xFFFF_FFFF);
    fat(&mut d, 3, 0, 0xFFFF_FFFF);
    fat(&mut d, 4, 0, 5);
    fat(&mut d, 5, 1, 0xFFFF_FFFF);
    for dir_block in [2usize, 3] {
        let b = data + dir_block * 4096;
        for i in 0..32 {
            le32(&mut d, b + i * 128, 0xFFFF_FFFF);
        }
        // Volume information entry.
        le32(&mut d, b, 0xFFFF_FFFD);
        le32(&mut d, b + 24, dos_time(1994, 3, 1, 12, 0, 0));
        le32(&mut d, b + 40, dos_time(1994, 3, 2, 8, 30, 10));
        // Directory PUBLIC, ID 1, in the root.
        let e = b + 128;
        le32(&mut d, e, 0);
        le32(&mut d, e + 4, 0x10);
        d[e + 11] = 6;
        d[e + 12..e + 18].copy_from_slice(b"PUBLIC");
        le32(&mut d, e + 24, dos_time(1994, 3, 1, 12, 1, 0));
        le32(&mut d, e + 40, dos_time(1994, 3, 1, 12, 1, 0));
        le32(&mut d, e + 120, 1);
        // File PUBLIC/LOGIN.EXE, 5000 bytes in blocks 4 and 5.
        let f = b + 256;
        le32(&mut d, f, 1);
        le32(&mut d, f + 4, 0x20);
        d[f + 11] = 9;
        d[f + 12..f + 21].copy_from_slice(b"LOGIN.EXE");
        le32(&mut d, f + 24, dos_time(1993, 11, 5, 9, 0, 0));
        le32(&mut d, f + 40, dos_time(1993, 11, 5, 9, 0, 0));
        le32(&mut d, f + 48, 5000);
        le32(&mut d, f + 52, 4);
    }
    (d, id)
}
