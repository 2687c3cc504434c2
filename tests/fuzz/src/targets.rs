//! The fuzz targets' bodies: one function per target, fed the fuzzer's
//! bytes. Shared with the main crate's `tests/fuzz_regressions.rs`
//! (included by path), so a crash input replays through exactly this code.
//!
//! Decoders check a magic and a CRC first; random bytes almost never pass
//! both. So most targets read a flags byte first: bit 0 forces the magic,
//! bit 1 recomputes the CRC, letting the fuzzer reach the checks behind.
//! Whatever a decoder accepts must re-encode to bytes that decode to the
//! same value (else a rewrite would silently change it).

use std::io::Read;
use std::sync::{Arc, OnceLock};

use nwvol::assembly::Assembly;
use nwvol::cache::CacheConfig;
use nwvol::check::{CheckOptions, check_structures};
use nwvol::device::Device;
use nwvol::device::testing::MemDevice;
use nwvol::layout::checksum::checksum_blocks;
use nwvol::layout::dirent::{DIRENT_BYTES, DirEntry};
use nwvol::layout::ext::ExtHeader;
use nwvol::layout::fat::FatEntry;
use nwvol::layout::hotfix::{
    HotfixHeader, HotfixTableHeader, PoolGeometry, decode_table, encode_table,
};
use nwvol::layout::longname::{LongNameRecord, PARENT_LONG_NAME};
use nwvol::layout::marker::PartitionMarker;
use nwvol::layout::mbr::{Mbr, validate_entry};
use nwvol::layout::mirror::MirrorHeader;
use nwvol::layout::voltab::{
    SegmentEntry, VOLTAB_COPY_BYTES, VTX_OFFSET, VolumeRecord, VolumeTable, check_volume_segments,
};
use nwvol::layout::wib::WibHeader;
use nwvol::volume::open::{OpenMode, OpenVolume};

/// A target's body.
pub type Target = fn(&[u8]);

/// Every target, by name (the fuzz target and regression directory name).
pub const TARGETS: &[(&str, Target)] = &[
    ("open_image", open_image),
    ("voltab", voltab),
    ("hotfix_table", hotfix_table),
    ("mirror_header", mirror_header),
    ("dirent", dirent),
    ("longname", longname),
    ("sectors", sectors),
    ("fat_checksum", fat_checksum),
    ("nbd", nbd),
];

fn le32(b: &[u8], off: usize) -> u32 {
    let mut v = [0u8; 4];
    for (i, x) in v.iter_mut().enumerate() {
        *x = b.get(off + i).copied().unwrap_or(0);
    }
    u32::from_le_bytes(v)
}

/// Stores at `crc_off` the CRC32 of `b[from..crc_off]`.
fn seal(b: &mut [u8], from: usize, crc_off: usize) {
    let c = crc32fast::hash(&b[from..crc_off]);
    b[crc_off..crc_off + 4].copy_from_slice(&c.to_le_bytes());
}

/// `flags, bytes...` as a 512-byte sector (zero padded), the magic forced
/// at `magic_off` (flag bit 0) and the CRC at 508 sealed (flag bit 1).
fn sector(data: &[u8], magic_off: usize, magic: &[u8], crc: bool) -> [u8; 512] {
    let flags = data.first().copied().unwrap_or(0);
    let mut b = [0u8; 512];
    let rest = data.get(1..).unwrap_or(&[]);
    let n = rest.len().min(512);
    b[..n].copy_from_slice(&rest[..n]);
    if flags & 1 != 0 {
        b[magic_off..magic_off + magic.len()].copy_from_slice(magic);
    }
    if crc && flags & 2 != 0 {
        seal(&mut b, 0, 508);
    }
    b
}

/// The fixed 512-byte sectors at a partition's start, picked by the
/// flags' high bits: MBR, partition marker, nwvol's extension header, the
/// write-intent bitmap header, the hot-fix header.
pub fn sectors(data: &[u8]) {
    let pick = data.first().copied().unwrap_or(0) >> 2;
    let tail = le32(data, 513) as u64 | (le32(data, 517) as u64) << 32;
    match pick % 5 {
        0 => {
            let b = sector(data, 510, &[0x55, 0xAA], false);
            if let Ok(m) = Mbr::decode(&b) {
                assert_eq!(Mbr::decode(&m.encode()).unwrap(), m, "MBR re-encodes");
                for e in &m.entries {
                    let _ = validate_entry(e, tail);
                }
                let _ = m.netware();
            }
        }
        1 => {
            let b = sector(data, 1, b"Nw_PaRtItIoN", false);
            if let Ok(m) = PartitionMarker::decode(&b) {
                assert_eq!(PartitionMarker::decode(&m.encode()).unwrap(), m);
            }
        }
        2 => {
            let b = sector(data, 0, b"NWVOLEXT", true);
            if let Ok(Some(h)) = ExtHeader::decode_opt(&b) {
                assert_eq!(ExtHeader::decode(&h.encode()).unwrap(), h);
                let _ = h.read_only();
            }
        }
        3 => {
            let b = sector(data, 0, b"NWVOLWIB", true);
            if let Ok(h) = WibHeader::decode(&b) {
                assert_eq!(WibHeader::decode(&h.encode()).unwrap(), h);
                if h.validate(tail).is_ok() {
                    let start = tail / 3;
                    let r = h.bits_for_range(start, tail - start);
                    assert!(r.start <= r.end, "bit range {r:?}");
                    let _ = h.chunk_bytes();
                }
            }
        }
        _ => {
            let b = sector(data, 0, b"HOTFIX00", false);
            if let Ok(h) = HotfixHeader::decode(&b) {
                assert_eq!(HotfixHeader::decode(&h.encode()).unwrap(), h);
                if h.validate(tail).is_ok() {
                    let _ = h.logical_first_sector();
                }
            }
        }
    }
}

/// The hot-fix table: `flags, header sector (512), region...`, the
/// entries' CRC forced to match the region when flag bit 2 is set.
pub fn hotfix_table(data: &[u8]) {
    let flags = data.first().copied().unwrap_or(0);
    let mut b = sector(data, 0, b"NWVOLHFX", false);
    let region = data.get(513..).unwrap_or(&[]);
    if flags & 4 != 0 {
        let used = le32(&b, 20) as usize;
        let n = used.saturating_mul(8).min(region.len());
        let c = crc32fast::hash(&region[..n]);
        b[32..36].copy_from_slice(&c.to_le_bytes());
    }
    if flags & 2 != 0 {
        seal(&mut b, 0, 508);
    }
    let Ok(Some(h)) = HotfixTableHeader::decode_opt(&b) else {
        return;
    };
    assert_eq!(HotfixTableHeader::decode(&h.encode()).unwrap(), h);
    let redir = le32(data, 24).max(le32(&b, 28));
    let pool = PoolGeometry::for_redir_sectors(redir);
    for copy in 0..4 {
        let _ = h.validate(&pool, copy);
    }
    let data_sectors = le32(&b, 40);
    if let Ok(entries) = decode_table(region, &h, data_sectors) {
        let again = encode_table(&entries, (entries.len() as u32 * 8).div_ceil(512));
        assert_eq!(decode_table(&again, &h, data_sectors).unwrap(), entries);
    }
}

/// The mirror header: `flags, sector...`; flag bit 2 also forces nwvol's
/// extension magic and version.
pub fn mirror_header(data: &[u8]) {
    let flags = data.first().copied().unwrap_or(0);
    let mut b = sector(data, 0, b"MIRROR00", false);
    if flags & 4 != 0 {
        b[64..72].copy_from_slice(b"NWVOLMIR");
        b[72..76].copy_from_slice(&1u32.to_le_bytes());
    }
    if flags & 2 != 0 {
        seal(&mut b, 0, 508);
    }
    if let Ok(h) = MirrorHeader::decode(&b) {
        assert_eq!(MirrorHeader::decode(&h.encode()).unwrap(), h);
        let _ = h.validate(le32(&b, 400));
        if let Some(ext) = &h.ext {
            for m in &ext.members {
                let _ = ext.member(m.id);
            }
        }
    }
}

/// One volume table copy: `flags, split (2 bytes), table part, extension
/// part`; the parts go at the copy's start and at the extension's offset,
/// flags force the signatures (bit 0, 2) and both CRCs (bit 1).
pub fn voltab(data: &[u8]) {
    let flags = data.first().copied().unwrap_or(0);
    let rest = data.get(3..).unwrap_or(&[]);
    let split = (le32(data, 1) & 0xFFFF) as usize % (rest.len() + 1);
    let (a, x) = rest.split_at(split);
    let mut b = vec![0u8; VOLTAB_COPY_BYTES];
    let n = a.len().min(VTX_OFFSET);
    b[..n].copy_from_slice(&a[..n]);
    let n = x.len().min(VOLTAB_COPY_BYTES - VTX_OFFSET);
    b[VTX_OFFSET..VTX_OFFSET + n].copy_from_slice(&x[..n]);
    if flags & 1 != 0 {
        b[..16].copy_from_slice(b"NetWare Volumes\0");
    }
    if flags & 4 != 0 {
        b[VTX_OFFSET..VTX_OFFSET + 8].copy_from_slice(b"NWVOLVTX");
    }
    if flags & 2 != 0 {
        let c = crc32fast::hash(&b[..VTX_OFFSET]);
        b[VTX_OFFSET + 12..VTX_OFFSET + 16].copy_from_slice(&c.to_le_bytes());
        seal(&mut b, VTX_OFFSET, VOLTAB_COPY_BYTES - 4);
    }
    // The pieces on their own, as the table's decoder calls them.
    let _ = SegmentEntry::decode(a);
    let _ = VolumeRecord::decode(x);
    if let Ok(t) = VolumeTable::decode(&b) {
        let again = VolumeTable::decode(&t.encode()).unwrap();
        assert_eq!(again.entries, t.entries);
        assert_eq!(again.records, t.records);
        let _ = t.validate(le32(data, 1));
        let refs: Vec<&SegmentEntry> = t.entries.iter().collect();
        let _ = check_volume_segments(&refs);
        for e in &t.entries {
            let _ = (e.block_size(), e.sectors_per_block(), e.blocks());
            let _ = (e.logical_first_sector(), e.holds_block(le32(data, 3)));
            let _ = t.has_checksums(&e.name);
        }
    }
}

/// A directory entry: 128 raw bytes.
pub fn dirent(data: &[u8]) {
    if let Ok(e) = DirEntry::decode(data) {
        assert_eq!(DirEntry::decode(&e.encode()).unwrap(), e);
    }
}

/// Long name records: `flags` then up to four 128-byte records, each with
/// the long-name parent forced (bit 0) and sealed (bit 1); the decoded ones
/// are joined.
pub fn longname(data: &[u8]) {
    let flags = data.first().copied().unwrap_or(0);
    let rest = data.get(1..).unwrap_or(&[]);
    let mut records = Vec::new();
    for chunk in rest.chunks(DIRENT_BYTES).take(4) {
        let mut b = [0u8; DIRENT_BYTES];
        b[..chunk.len()].copy_from_slice(chunk);
        if flags & 1 != 0 {
            b[..4].copy_from_slice(&PARENT_LONG_NAME.to_le_bytes());
        }
        if flags & 2 != 0 {
            seal(&mut b, 0, 124);
        }
        let Ok(r) = LongNameRecord::decode(&b) else {
            continue;
        };
        assert_eq!(LongNameRecord::decode(&r.encode()).unwrap(), r);
        records.push(r);
    }
    if let Ok(name) = LongNameRecord::join(&records) {
        let alias = records.first().map(|r| r.alias.clone()).unwrap_or_default();
        let _ = LongNameRecord::split(0, &alias, &name);
    }
}

/// A FAT entry (`total blocks, entry`) and the checksum fragment size.
pub fn fat_checksum(data: &[u8]) {
    let total = le32(data, 0);
    if let Some(b) = data.get(4..12)
        && let Ok(e) = FatEntry::decode(b, total)
    {
        assert_eq!(FatEntry::decode(&e.encode(), total).unwrap(), e);
    }
    let blocks = le32(data, 12);
    let bs = le32(data, 16);
    let n = u64::from(checksum_blocks(blocks, bs));
    if bs >= 4 {
        let need = u64::from(blocks) * 4;
        assert!(n * u64::from(bs) >= need && n.saturating_sub(1) * u64::from(bs) < need.max(1));
    }
}

/// The formatted image the whole-image target edits: two volumes (SYS
/// with a directory tree, a long name, a deleted file; DATA), block
/// checksums, stored sparse (`NWSPARSE`, sector count, then sector number
/// and 512 bytes for each non-zero sector).
const BASE: &[u8] = include_bytes!("../base.nwsparse");

fn base_image() -> Vec<u8> {
    static IMG: OnceLock<Vec<u8>> = OnceLock::new();
    IMG.get_or_init(|| {
        let sectors = le32(BASE, 8) as usize;
        let mut img = vec![0u8; sectors * 512];
        for rec in BASE[12..].chunks_exact(516) {
            let s = le32(rec, 0) as usize;
            img[s * 512..(s + 1) * 512].copy_from_slice(&rec[4..]);
        }
        img
    })
    .clone()
}

/// Recomputes the CRCs of every structure found in `img` (by magic), so
/// that edits reach the checks behind the CRCs.
fn reseal(img: &mut [u8]) {
    let sectors = img.len() / 512;
    for i in 0..sectors {
        let o = i * 512;
        let magic: [u8; 8] = img[o..o + 8].try_into().unwrap();
        match &magic {
            b"NWVOLHFX" => {
                // The entries' CRC first: the table region is partition
                // relative (the partition starts at sector 2048).
                let used = le32(img, o + 20) as usize;
                let first = (2048 + le32(img, o + 24) as usize) * 512;
                let len = used.saturating_mul(8);
                if let Some(r) = first.checked_add(len).and_then(|end| img.get(first..end)) {
                    let c = crc32fast::hash(r);
                    img[o + 32..o + 36].copy_from_slice(&c.to_le_bytes());
                }
                seal(&mut img[o..o + 512], 0, 508);
            }
            b"NWVOLEXT" | b"NWVOLWIB" | b"MIRROR00" => seal(&mut img[o..o + 512], 0, 508),
            b"NetWare " if o + VOLTAB_COPY_BYTES <= img.len() => {
                let t = &mut img[o..o + VOLTAB_COPY_BYTES];
                if &t[VTX_OFFSET..VTX_OFFSET + 8] == b"NWVOLVTX" {
                    let c = crc32fast::hash(&t[..VTX_OFFSET]);
                    t[VTX_OFFSET + 12..VTX_OFFSET + 16].copy_from_slice(&c.to_le_bytes());
                    seal(t, VTX_OFFSET, VOLTAB_COPY_BYTES - 4);
                }
            }
            _ => {}
        }
    }
    for slot in img.chunks_exact_mut(DIRENT_BYTES) {
        if slot[..4] == PARENT_LONG_NAME.to_le_bytes() {
            seal(slot, 0, 124);
        }
    }
}

/// The image for `open_image`: `mode, ops...`. Mode 0xFF: the rest is the
/// whole image. Else the base image edited by the ops (write bytes, fill,
/// truncate, copy a sector), resealed when mode bit 0 is set.
pub fn build_image(data: &[u8]) -> Vec<u8> {
    let Some((&mode, mut ops)) = data.split_first() else {
        return base_image();
    };
    if mode == 0xFF {
        return ops.to_vec();
    }
    let mut img = base_image();
    while let Some((&op, rest)) = ops.split_first() {
        let arg = le32(rest, 0) as usize;
        let len = img.len().max(1);
        ops = rest.get(4..).unwrap_or(&[]);
        match op % 4 {
            0 => {
                let n = usize::from(ops.first().copied().unwrap_or(0));
                let bytes = ops.get(1..).unwrap_or(&[]);
                let bytes = &bytes[..n.min(bytes.len())];
                let at = arg % len;
                let end = (at + bytes.len()).min(img.len());
                img[at..end].copy_from_slice(&bytes[..end - at]);
                ops = ops.get(1 + bytes.len()..).unwrap_or(&[]);
            }
            1 => {
                let n = le32(ops, 0) as usize & 0xFFFF;
                let v = ops.get(2).copied().unwrap_or(0);
                let at = arg % len;
                let end = (at + n).min(img.len());
                img[at..end].fill(v);
                ops = ops.get(3..).unwrap_or(&[]);
            }
            2 => img.truncate(arg % len),
            _ => {
                let sectors = img.len() / 512;
                if sectors > 0 {
                    let from = (arg & 0xFFFF) % sectors * 512;
                    let to = (arg >> 16) % sectors * 512;
                    img.copy_within(from..from + 512, to);
                }
            }
        }
    }
    if mode & 1 != 0 {
        reseal(&mut img);
    }
    img
}

/// Bytes read from files per run at most, so one input cannot make a run
/// slow by naming huge files.
const READ_BUDGET: u64 = 4 << 20;

/// Opens the image as nwvol does (partitions, mirror group, volume table,
/// volumes), then reads what a user can: every volume's stats, the whole
/// directory tree, deleted files, every file's contents, and runs the
/// read-only structure check. None of it may panic, hang or allocate
/// without bound.
pub fn open_image(data: &[u8]) {
    let img = build_image(data);
    let dev: Arc<dyn Device> = Arc::new(MemDevice::from_bytes(img).with_name("fuzz.img"));
    let Ok(sys) = Assembly::open_with(vec![dev], CacheConfig::with_capacity(1 << 20)) else {
        return;
    };
    let mut budget = READ_BUDGET;
    for vol in &sys.volumes {
        let _ = vol.stats(sys.io.as_ref());
        let _ = vol.dir_entries(sys.io.as_ref());
        let Ok(ov) = OpenVolume::from_assembly(&sys, &vol.name, OpenMode::ReadOnly) else {
            continue;
        };
        let _ = ov.root_times();
        let mut dirs = vec![0u32];
        let mut seen = std::collections::HashSet::new();
        while let Some(d) = dirs.pop() {
            if !seen.insert(d) {
                continue;
            }
            let nodes: Vec<_> = ov
                .list(d)
                .into_iter()
                .chain(ov.list_deleted(d))
                .map(|n| (n.index, n.dir_id()))
                .collect();
            for (idx, dir) in nodes {
                let _ = ov.path_of(idx).to_string();
                let _ = ov.raw_entry(idx);
                if let Some(id) = dir {
                    dirs.push(id);
                    continue;
                }
                if let Ok(mut r) = ov.open_file(idx) {
                    let mut buf = [0u8; 8192];
                    while budget > 0 {
                        match r.read(&mut buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => budget = budget.saturating_sub(n as u64),
                        }
                    }
                }
            }
        }
    }
    let opts = CheckOptions {
        repair: false,
        dry_run: false,
    };
    let _ = check_structures(&sys, &opts, &mut |_| {});
}

/// The NBD handshake and the URI parser: the bytes are what a server
/// sends, fed to the client's negotiation over a socket pair.
pub fn nbd(data: &[u8]) {
    use nwvol::device::nbd::client::{Client, Request};
    use nwvol::device::nbd::conn::Stream;
    use nwvol::device::nbd::handshake::negotiate;
    use nwvol::device::nbd::proto::CMD_READ;
    use std::io::Write;
    use std::os::unix::net::UnixStream;
    use std::time::Duration;

    let _ = nwvol::device::nbd::NbdUri::parse(&String::from_utf8_lossy(data));
    let Ok((client, mut server)) = UnixStream::pair() else {
        return;
    };
    // The client's own writes must not block: the server side is never
    // read, so keep them small by giving up on write errors quickly.
    let feed = data.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = server.write_all(&feed);
        let _ = server.shutdown(std::net::Shutdown::Write);
        // Drain what the client sends until it hangs up.
        let mut sink = [0u8; 4096];
        while matches!(server.read(&mut sink), Ok(n) if n > 0) {}
    });
    let timeout = Duration::from_secs(2);
    let mut s = Stream::Unix(client);
    let _ = s.set_read_timeout(Some(timeout));
    if negotiate(&mut s, "export", timeout).is_ok() {
        // What follows the handshake is taken as replies to two reads.
        if let Ok(c) = s.try_clone().and_then(|s| Client::start(s, timeout)) {
            let reqs = (0..2)
                .map(|i| Request {
                    cmd: CMD_READ,
                    flags: 0,
                    offset: i * 512,
                    len: 512,
                    payload: Vec::new(),
                })
                .collect();
            let _ = c.execute(reqs, |_, d| assert_eq!(d.len(), 512));
            let _ = c.dead();
        }
    }
    s.shutdown();
    drop(s);
    let _ = writer.join();
}
