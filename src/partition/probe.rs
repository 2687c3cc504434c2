//! What a device already holds: partition tables, file systems, NetWare
//! partitions. The MBR and the NetWare partition marker are read with
//! layout's decoders (the one definition of each), which is why probing
//! sits above layout and not in the device layer; whether a block device
//! is mounted is the device layer's `mounted`.
//!
//! `format` refuses to overwrite a device on which [`probe`] finds anything
//! (unless forced); `inspect` reports what it finds on a device that is not
//! NetWare.

use crate::device::{Device, DeviceResult};
use crate::layout::SECTOR;
use crate::layout::marker::PartitionMarker;
use crate::layout::mbr::{
    BOOT_SIGNATURE, BOOT_SIGNATURE_OFFSET, ENTRIES_OFFSET, Mbr, MbrEntry, PART_TYPE_NETWARE286,
    PART_TYPE_NETWARE386,
};

/// The kind of thing a [`Signature`] stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SigKind {
    /// An MBR (DOS) partition table.
    Mbr,
    /// A GPT partition table.
    Gpt,
    /// A NetWare partition (MBR entry type 0x65/0x64, or a bare partition).
    NetWare,
    /// An ext2/ext3/ext4 file system.
    Ext,
    /// An XFS file system.
    Xfs,
    /// A Btrfs file system.
    Btrfs,
    /// A FAT12/16/32 or exFAT file system.
    Fat,
    /// An NTFS file system.
    Ntfs,
    /// A Linux swap area.
    Swap,
    /// An LVM2 physical volume.
    Lvm2,
    /// A LUKS encrypted volume.
    Luks,
    /// An ISO 9660 (CD/DVD) file system.
    Iso9660,
}

/// One thing found on a device.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Signature {
    /// What was found.
    pub kind: SigKind,
    /// Byte offset of the structure that identified it.
    pub offset: u64,
    /// More about it: the variant ("ext4", "FAT16", "LUKS2"), the partition
    /// count of an MBR ("2 partitions"), where a NetWare partition starts.
    pub detail: String,
}

impl std::fmt::Display for Signature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            SigKind::Mbr => write!(f, "an MBR partition table with {}", self.detail),
            SigKind::Gpt => f.write_str("a GPT partition table"),
            SigKind::NetWare => f.write_str("a NetWare partition"),
            SigKind::Ext => write!(f, "an {} file system", self.detail),
            SigKind::Xfs => f.write_str("an XFS file system"),
            SigKind::Btrfs => f.write_str("a Btrfs file system"),
            SigKind::Fat if self.detail.starts_with("exFAT") => f.write_str("an exFAT file system"),
            SigKind::Fat => write!(f, "a {} file system", self.detail),
            SigKind::Ntfs => f.write_str("an NTFS file system"),
            SigKind::Swap => f.write_str("a Linux swap area"),
            SigKind::Lvm2 => f.write_str("an LVM2 physical volume"),
            SigKind::Luks => write!(f, "a {} encrypted volume", self.detail),
            SigKind::Iso9660 => f.write_str("an ISO 9660 file system"),
        }
    }
}

/// How many leading bytes probing looks at.
const HEAD: u64 = 128 * 1024;

fn le16(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// True when `head` holds `magic` at `at` (false when too short).
fn has(head: &[u8], at: usize, magic: &[u8]) -> bool {
    head.get(at..at + magic.len()) == Some(magic)
}

/// Finds every known signature on `dev`, in order of offset.
pub fn probe(dev: &dyn Device) -> DeviceResult<Vec<Signature>> {
    let n = dev.size().min(HEAD) as usize;
    let mut head = vec![0u8; n];
    dev.read_at(&mut head, 0)?;
    let mut sigs = probe_bytes(&head);
    // A NetWare partition whose MBR no longer names it (damaged, or zeroed
    // by mistake) still holds its marker: look where partitions start.
    if !sigs.iter().any(|s| s.kind == SigKind::NetWare) {
        let mut sector = [0u8; SECTOR];
        for start in MARKER_STARTS {
            let at = start * SECTOR as u64;
            if at + SECTOR as u64 > dev.size() {
                continue;
            }
            dev.read_at(&mut sector, at)?;
            if PartitionMarker::is_marked(&sector) {
                sigs.push(Signature {
                    kind: SigKind::NetWare,
                    offset: at,
                    detail: format!("partition marker at sector {start}, not in the MBR"),
                });
                break;
            }
        }
    }
    sigs.sort_by_key(|s| s.offset);
    Ok(sigs)
}

/// Sectors where partitions usually start (DOS track 0 ends at 32 or 63;
/// 1 MiB alignment), looked at for a NetWare partition marker.
const MARKER_STARTS: [u64; 3] = [32, 63, 2048];

/// Probes the first bytes of a device (up to 128 KiB are looked at).
pub fn probe_bytes(head: &[u8]) -> Vec<Signature> {
    let mut out = Vec::new();
    let sig = |kind, offset: u64, detail: &str| Signature {
        kind,
        offset,
        detail: detail.to_string(),
    };

    let boot_sector = boot_sector_kind(head);
    if let Some((kind, detail)) = &boot_sector {
        out.push(sig(*kind, 0, detail));
    }

    // GPT header in LBA 1 (512-byte or 4096-byte sectors).
    let gpt = [SECTOR, 4096]
        .into_iter()
        .find(|&at| has(head, at, b"EFI PART"));
    if let Some(at) = gpt {
        out.push(sig(SigKind::Gpt, at as u64, ""));
    }

    if boot_sector.is_none()
        && let Some(entries) = mbr_entries(head)
    {
        let protective_only = entries.iter().all(|(_, e)| e.kind == 0xee);
        if !(gpt.is_some() && protective_only) {
            let count = entries.len();
            let detail = if count == 1 {
                "1 partition".to_string()
            } else {
                format!("{count} partitions")
            };
            out.push(sig(SigKind::Mbr, ENTRIES_OFFSET as u64, &detail));
        }
        for (index, e) in &entries {
            if e.kind == PART_TYPE_NETWARE386 || e.kind == PART_TYPE_NETWARE286 {
                out.push(Signature {
                    kind: SigKind::NetWare,
                    offset: u64::from(e.start_lba) * SECTOR as u64,
                    detail: format!(
                        "MBR entry {} (type {:#04x}), {} sectors from sector {}",
                        index + 1,
                        e.kind,
                        e.sectors,
                        e.start_lba
                    ),
                });
            }
        }
    }

    if PartitionMarker::is_marked(head) {
        out.push(sig(SigKind::NetWare, 0, "bare partition"));
    }

    // ext2/3/4: superblock at 1024, magic 0xEF53 at +56.
    if head.len() >= 1024 + 104 && le16(head, 1024 + 56) == 0xef53 && le32(head, 1024 + 24) <= 6 {
        let compat = le32(head, 1024 + 92);
        let incompat = le32(head, 1024 + 96);
        let ro_compat = le32(head, 1024 + 100);
        // Features ext3 does not have: extents, 64bit, flex_bg, mmp,
        // inline data, ...; or ro_compat beyond sparse/large file/btree.
        let v = if incompat & !0x1f != 0 || ro_compat & !0x7 != 0 {
            "ext4"
        } else if compat & 0x4 != 0 {
            "ext3"
        } else {
            "ext2"
        };
        out.push(sig(SigKind::Ext, 1024, v));
    }

    if has(head, 0, b"XFSB") {
        out.push(sig(SigKind::Xfs, 0, ""));
    }
    if has(head, 65536 + 64, b"_BHRfS_M") {
        out.push(sig(SigKind::Btrfs, 65536, ""));
    }

    // Linux swap: magic in the last 10 bytes of the first page.
    for page in [4096usize, 8192, 16384, 65536] {
        if has(head, page - 10, b"SWAPSPACE2") || has(head, page - 10, b"SWAP-SPACE") {
            out.push(sig(SigKind::Swap, (page - 10) as u64, ""));
            break;
        }
    }

    // LVM2: "LABELONE" at the start of one of the first four sectors.
    for s in 0..4usize {
        if has(head, s * SECTOR, b"LABELONE") && has(head, s * SECTOR + 24, b"LVM2") {
            out.push(sig(SigKind::Lvm2, (s * SECTOR) as u64, ""));
            break;
        }
    }

    if has(head, 0, b"LUKS\xba\xbe") {
        let v = match head.get(6..8) {
            Some([0, 1]) => "LUKS1",
            Some([0, 2]) => "LUKS2",
            _ => "LUKS",
        };
        out.push(sig(SigKind::Luks, 0, v));
    }

    if has(head, 32769, b"CD001") {
        out.push(sig(SigKind::Iso9660, 32768, ""));
    }
    out
}

/// If sector 0 is a FAT, exFAT or NTFS boot sector, says which.
fn boot_sector_kind(head: &[u8]) -> Option<(SigKind, String)> {
    if head.len() < SECTOR {
        return None;
    }
    if has(head, 3, b"NTFS    ") {
        return Some((SigKind::Ntfs, String::new()));
    }
    if has(head, 3, b"EXFAT   ") {
        return Some((SigKind::Fat, "exFAT".into()));
    }
    if !has(head, BOOT_SIGNATURE_OFFSET, &BOOT_SIGNATURE) || !has_bpb(head) {
        return None;
    }
    if has(head, 82, b"FAT32") {
        return Some((SigKind::Fat, "FAT32".into()));
    }
    if has(head, 54, b"FAT") {
        let v = match head.get(54..59) {
            Some(b"FAT12") => "FAT12",
            Some(b"FAT16") => "FAT16",
            _ => "FAT",
        };
        return Some((SigKind::Fat, v.into()));
    }
    None
}

/// True when sector 0 has a plausible BIOS parameter block.
fn has_bpb(b: &[u8]) -> bool {
    let jump = (b[0] == 0xeb && b[2] == 0x90) || b[0] == 0xe9;
    let bps = le16(b, 11);
    let spc = b[13];
    let reserved = le16(b, 14);
    let fats = b[16];
    let media = b[21];
    jump && matches!(bps, 512 | 1024 | 2048 | 4096)
        && spc != 0
        && spc.is_power_of_two()
        && reserved != 0
        && (1..=2).contains(&fats)
        && (media == 0xf0 || media >= 0xf8)
}

/// The non-empty entries of an MBR in sector 0, with their index (0-3),
/// or None when there is no MBR (the layout decoder rejects it: no 0x55AA,
/// a bad status byte) or no entry in use.
fn mbr_entries(head: &[u8]) -> Option<Vec<(usize, MbrEntry)>> {
    let sector: &[u8; SECTOR] = head.get(..SECTOR)?.try_into().ok()?;
    let mbr = Mbr::decode(sector).ok()?;
    let entries: Vec<(usize, MbrEntry)> = mbr
        .entries
        .into_iter()
        .enumerate()
        .filter(|(_, e)| e.kind != 0 && e.sectors != 0)
        .collect();
    (!entries.is_empty()).then_some(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::testing::MemDevice;
    use crate::device::{FileDevice, OpenOptions};

    fn kinds(d: &MemDevice) -> Vec<SigKind> {
        probe(d)
            .expect("probe")
            .into_iter()
            .map(|s| s.kind)
            .collect()
    }

    fn put(img: &mut [u8], at: usize, bytes: &[u8]) {
        img[at..at + bytes.len()].copy_from_slice(bytes);
    }

    /// The one signature probing `img` finds, as text.
    fn only_signature(img: Vec<u8>) -> String {
        let s = probe(&MemDevice::from_bytes(img)).expect("probe");
        assert_eq!(s.len(), 1, "{s:?}");
        s[0].to_string()
    }

    /// Boot code bytes where an MBR's first partition entry would be, that
    /// look like one (boot flag `boot`, type `kind`).
    fn entry_lookalike(img: &mut [u8], boot: u8, kind: u8) {
        put(
            img,
            446,
            &[boot, 1, 2, 3, kind, 5, 6, 7, 8, 0, 0, 0, 9, 0, 0, 0],
        );
    }

    fn mbr_image(size: usize, entries: &[(u8, u32, u32)]) -> Vec<u8> {
        let mut img = vec![0u8; size];
        for (i, &(t, start, n)) in entries.iter().enumerate() {
            let e = 446 + 16 * i;
            img[e + 4] = t;
            put(&mut img, e + 8, &start.to_le_bytes());
            put(&mut img, e + 12, &n.to_le_bytes());
        }
        img[510] = 0x55;
        img[511] = 0xaa;
        img
    }

    fn fat_boot(size: usize) -> Vec<u8> {
        let mut img = vec![0u8; size];
        put(&mut img, 0, &[0xeb, 0x3c, 0x90]);
        put(&mut img, 3, b"mkfs.fat");
        put(&mut img, 11, &512u16.to_le_bytes());
        img[13] = 4;
        put(&mut img, 14, &1u16.to_le_bytes());
        img[16] = 2;
        img[21] = 0xf8;
        img[510] = 0x55;
        img[511] = 0xaa;
        img
    }

    #[test]
    fn zeros_and_tiny_devices_hold_nothing() {
        assert!(probe(&MemDevice::new(1 << 20)).expect("probe").is_empty());
        assert!(probe(&MemDevice::new(0)).expect("probe").is_empty());
        assert!(probe(&MemDevice::new(100)).expect("probe").is_empty());
        assert!(
            probe(&MemDevice::from_bytes(vec![0xff; 200_000]))
                .expect("probe")
                .is_empty()
        );
    }

    #[test]
    fn mbr_with_two_partitions() {
        let img = mbr_image(8192, &[(0x83, 2048, 1000), (0x07, 4096, 2000)]);
        let s = probe(&MemDevice::from_bytes(img)).expect("probe");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].kind, SigKind::Mbr);
        assert_eq!(s[0].to_string(), "an MBR partition table with 2 partitions");
    }

    #[test]
    fn mbr_needs_entries_and_sane_status() {
        let empty = mbr_image(4096, &[]);
        assert!(kinds(&MemDevice::from_bytes(empty)).is_empty());
        let mut bad = mbr_image(4096, &[(0x83, 1, 1)]);
        bad[446] = 0x12;
        assert!(kinds(&MemDevice::from_bytes(bad)).is_empty());
        let one = mbr_image(4096, &[(0x83, 1, 1)]);
        let s = probe(&MemDevice::from_bytes(one)).expect("probe");
        assert_eq!(s[0].to_string(), "an MBR partition table with 1 partition");
    }

    #[test]
    fn netware_partition_in_mbr() {
        let img = mbr_image(8192, &[(0x65, 63, 10000)]);
        let s = probe(&MemDevice::from_bytes(img)).expect("probe");
        let k: Vec<_> = s.iter().map(|s| s.kind).collect();
        assert_eq!(k, vec![SigKind::Mbr, SigKind::NetWare]);
        assert_eq!(s[1].offset, 63 * 512);
        assert_eq!(s[1].to_string(), "a NetWare partition");
        assert!(s[1].detail.contains("0x65"), "{}", s[1].detail);
        let img = mbr_image(8192, &[(0x64, 1, 10)]);
        assert!(kinds(&MemDevice::from_bytes(img)).contains(&SigKind::NetWare));
    }

    #[test]
    fn bare_netware_partition() {
        let mut img = vec![0u8; 4096];
        put(&mut img, 1, b"Nw_PaRtItIoN");
        let s = probe(&MemDevice::from_bytes(img)).expect("probe");
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].kind, SigKind::NetWare);
        assert_eq!(s[0].detail, "bare partition");
    }

    #[test]
    fn gpt_and_protective_mbr() {
        let mut img = mbr_image(16384, &[(0xee, 1, 100)]);
        put(&mut img, 512, b"EFI PART");
        let s = probe(&MemDevice::from_bytes(img)).expect("probe");
        assert_eq!(s.len(), 1, "{s:?}");
        assert_eq!(s[0].to_string(), "a GPT partition table");
        let mut img4k = mbr_image(16384, &[(0xee, 1, 100)]);
        put(&mut img4k, 4096, b"EFI PART");
        assert_eq!(kinds(&MemDevice::from_bytes(img4k)), vec![SigKind::Gpt]);
    }

    fn ext_image(compat: u32, incompat: u32, ro: u32) -> Vec<u8> {
        let mut img = vec![0u8; 8192];
        put(&mut img, 1024 + 56, &0xef53u16.to_le_bytes());
        put(&mut img, 1024 + 24, &2u32.to_le_bytes());
        put(&mut img, 1024 + 92, &compat.to_le_bytes());
        put(&mut img, 1024 + 96, &incompat.to_le_bytes());
        put(&mut img, 1024 + 100, &ro.to_le_bytes());
        img
    }

    #[test]
    fn ext_versions() {
        let one = |img| probe(&MemDevice::from_bytes(img)).expect("probe")[0].to_string();
        assert_eq!(one(ext_image(0, 0x2, 0x3)), "an ext2 file system");
        assert_eq!(one(ext_image(0x4, 0x2, 0x3)), "an ext3 file system");
        assert_eq!(one(ext_image(0x4, 0x2 | 0x40, 0x3)), "an ext4 file system");
        assert_eq!(one(ext_image(0x4, 0x2, 0x3 | 0x8)), "an ext4 file system");
        // Truncated before the superblock: nothing.
        assert!(kinds(&MemDevice::from_bytes(ext_image(0, 0, 0)[..1100].to_vec())).is_empty());
    }

    #[test]
    fn xfs_btrfs_swap_lvm_luks_iso() {
        let mut img = vec![0u8; 4096];
        put(&mut img, 0, b"XFSB");
        assert_eq!(kinds(&MemDevice::from_bytes(img)), vec![SigKind::Xfs]);

        let mut img = vec![0u8; 70000];
        put(&mut img, 65536 + 64, b"_BHRfS_M");
        let s = probe(&MemDevice::from_bytes(img)).expect("probe");
        assert_eq!((s[0].kind, s[0].offset), (SigKind::Btrfs, 65536));
        assert_eq!(s[0].to_string(), "a Btrfs file system");
        // Too small to hold the Btrfs superblock: skipped, no error.
        assert!(kinds(&MemDevice::new(65536 + 70)).is_empty());

        for page in [4096usize, 16384, 65536] {
            let mut img = vec![0u8; 65536];
            put(&mut img, page - 10, b"SWAPSPACE2");
            let s = probe(&MemDevice::from_bytes(img)).expect("probe");
            assert_eq!(s[0].kind, SigKind::Swap);
            assert_eq!(s[0].to_string(), "a Linux swap area");
        }

        let mut img = vec![0u8; 4096];
        put(&mut img, 512, b"LABELONE");
        put(&mut img, 512 + 24, b"LVM2 001");
        let s = probe(&MemDevice::from_bytes(img)).expect("probe");
        assert_eq!((s[0].kind, s[0].offset), (SigKind::Lvm2, 512));
        assert_eq!(s[0].to_string(), "an LVM2 physical volume");

        let mut img = vec![0u8; 4096];
        put(&mut img, 0, b"LUKS\xba\xbe\x00\x02");
        let s = probe(&MemDevice::from_bytes(img)).expect("probe");
        assert_eq!(s[0].to_string(), "a LUKS2 encrypted volume");

        let mut img = vec![0u8; 40000];
        put(&mut img, 32769, b"CD001");
        let s = probe(&MemDevice::from_bytes(img)).expect("probe");
        assert_eq!(s[0].kind, SigKind::Iso9660);
        assert_eq!(s[0].to_string(), "an ISO 9660 file system");
    }

    #[test]
    fn fat_and_ntfs_are_not_mbrs() {
        let mut img = fat_boot(8192);
        put(&mut img, 54, b"FAT16   ");
        // Boot code bytes in the partition table area must not look like an MBR.
        entry_lookalike(&mut img, 0, 0x83);
        assert_eq!(only_signature(img), "a FAT16 file system");

        let mut img = fat_boot(8192);
        put(&mut img, 54, b"FAT12   ");
        assert_eq!(
            probe(&MemDevice::from_bytes(img)).expect("probe")[0].detail,
            "FAT12"
        );

        let mut img = fat_boot(8192);
        put(&mut img, 82, b"FAT32   ");
        assert_eq!(
            probe(&MemDevice::from_bytes(img)).expect("probe")[0].to_string(),
            "a FAT32 file system"
        );

        let mut img = fat_boot(8192);
        put(&mut img, 3, b"NTFS    ");
        img[16] = 0;
        entry_lookalike(&mut img, 0x80, 0x07);
        assert_eq!(only_signature(img), "an NTFS file system");

        // "FAT" without a BPB is not a FAT file system: an MBR whose boot
        // code happens to contain "FAT".
        let mut img = mbr_image(8192, &[(0x0c, 2048, 100)]);
        put(&mut img, 54, b"FAT16   ");
        assert_eq!(kinds(&MemDevice::from_bytes(img)), vec![SigKind::Mbr]);
    }

    fn have(tool: &str) -> bool {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("command -v {tool}"))
            .stdout(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// Makes an image with a real mkfs tool and probes it.
    fn mkfs_case(tool: &str, args: &[&str], size: u64) -> Option<Vec<Signature>> {
        if !have(tool) {
            println!("skipping {tool}: not installed");
            return None;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("fs.img");
        let f = std::fs::File::create(&p).expect("create");
        f.set_len(size).expect("set_len");
        drop(f);
        let out = std::process::Command::new(tool)
            .args(args)
            .arg(&p)
            .output()
            .expect("run mkfs");
        if !out.status.success() {
            println!(
                "skipping {tool}: it failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            return None;
        }
        let d = FileDevice::open(&p, &OpenOptions::read_only()).expect("open");
        Some(probe(&d).expect("probe"))
    }

    #[test]
    fn real_file_systems() {
        let cases: &[(&str, &[&str], u64, &str)] = &[
            ("mkfs.ext4", &["-F", "-q"], 16 << 20, "an ext4 file system"),
            ("mkfs.ext2", &["-F", "-q"], 16 << 20, "an ext2 file system"),
            ("mkfs.ext3", &["-F", "-q"], 16 << 20, "an ext3 file system"),
            ("mkfs.vfat", &[], 16 << 20, "a FAT16 file system"),
            ("mkfs.vfat", &["-F", "32"], 64 << 20, "a FAT32 file system"),
            ("mkfs.vfat", &["-F", "12"], 4 << 20, "a FAT12 file system"),
            ("mkfs.xfs", &["-f", "-q"], 320 << 20, "an XFS file system"),
            (
                "mkfs.btrfs",
                &["-f", "-q"],
                128 << 20,
                "a Btrfs file system",
            ),
            (
                "mkntfs",
                &["-F", "-q", "-f"],
                16 << 20,
                "an NTFS file system",
            ),
            ("mkswap", &[], 16 << 20, "a Linux swap area"),
        ];
        let mut ran = 0;
        for (tool, args, size, want) in cases {
            if let Some(sigs) = mkfs_case(tool, args, *size) {
                ran += 1;
                let found: Vec<String> = sigs.iter().map(|s| s.to_string()).collect();
                assert_eq!(found, vec![want.to_string()], "{tool} {args:?}");
            }
        }
        println!("probed {ran} real file systems");
    }

    /// A NetWare partition whose MBR was zeroed (or damaged) is still
    /// found by its marker, at each usual start; a marker elsewhere or an
    /// empty device is not.
    #[test]
    fn netware_marker_without_mbr() {
        for start in [32usize, 63, 2048] {
            let mut img = vec![0u8; 4 << 20];
            put(&mut img, start * 512 + 1, b"Nw_PaRtItIoN");
            let s = probe(&MemDevice::from_bytes(img)).unwrap();
            assert_eq!(s.len(), 1, "{s:?}");
            assert_eq!(
                (s[0].kind, s[0].offset),
                (SigKind::NetWare, start as u64 * 512)
            );
            assert_eq!(s[0].to_string(), "a NetWare partition");
        }
        let mut img = vec![0u8; 4 << 20];
        put(&mut img, 100 * 512 + 1, b"Nw_PaRtItIoN");
        assert!(kinds(&MemDevice::from_bytes(img)).is_empty());
        // Smaller than the farthest start: no read past the end.
        assert!(kinds(&MemDevice::new(64 * 512)).is_empty());
    }
}
