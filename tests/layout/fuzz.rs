//! Random bytes with the signature (and CRC) forced into place, so that
//! every decoder's checks past the signature see garbage: decoding never
//! panics, and whatever is accepted re-encodes to bytes that decode to the
//! same value.

use nwvol::layout::dirent::DirEntry;
use nwvol::layout::ext::ExtHeader;
use nwvol::layout::fat::FatEntry;
use nwvol::layout::hotfix::{HotfixHeader, HotfixTableHeader, decode_table, encode_table};
use nwvol::layout::marker::PartitionMarker;
use nwvol::layout::mbr::Mbr;
use nwvol::layout::mirror::MirrorHeader;
use nwvol::layout::voltab::{SegmentEntry, VolumeTable, check_volume_segments};
use nwvol::layout::wib::WibHeader;
use proptest::prelude::*;

fn sector() -> impl Strategy<Value = [u8; 512]> {
    proptest::collection::vec(any::<u8>(), 512).prop_map(|v| v.try_into().unwrap())
}

/// Puts `magic` at `off` and a valid CRC32 of bytes 0-507 at 508.
fn forge(mut b: [u8; 512], off: usize, magic: &[u8], crc: bool) -> [u8; 512] {
    b[off..off + magic.len()].copy_from_slice(magic);
    if crc {
        let c = crc32fast::hash(&b[..508]);
        b[508..].copy_from_slice(&c.to_le_bytes());
    }
    b
}

/// Small values in a field make the range checks pass now and then.
fn small(mut b: [u8; 512], offs: &[usize], vals: &[u32]) -> [u8; 512] {
    for (o, v) in offs.iter().zip(vals) {
        b[*o..*o + 4].copy_from_slice(&v.to_le_bytes());
    }
    b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn mbr(b in sector(), st in proptest::array::uniform4(prop_oneof![Just(0u8), Just(0x80)])) {
        let mut b = forge(b, 510, &[0x55, 0xAA], false);
        for (i, s) in st.iter().enumerate() {
            b[446 + 16 * i] = *s;
        }
        let m = Mbr::decode(&b).unwrap();
        prop_assert_eq!(Mbr::decode(&m.encode()).unwrap(), m);
    }

    #[test]
    fn marker(b in sector()) {
        let b = forge(b, 1, b"Nw_PaRtItIoN", false);
        if let Ok(m) = PartitionMarker::decode(&b) {
            prop_assert_eq!(PartitionMarker::decode(&m.encode()).unwrap(), m);
        }
    }

    #[test]
    fn ext(b in sector(), tame in any::<bool>()) {
        let b = if tame { small(b, &[8, 20, 28, 32], &[1 | (512 << 16), 0, 2, 30]) } else { b };
        let b = forge(b, 0, b"NWVOLEXT", true);
        if let Some(h) = ExtHeader::decode_opt(&b).unwrap_or(None) {
            prop_assert_eq!(ExtHeader::decode(&h.encode()).unwrap(), h);
        }
    }

    #[test]
    fn wib(b in sector(), tame in any::<bool>(), bits in 0u32..200_000) {
        let b = if tame { small(b, &[8, 12, 16, 20], &[1, 20, bits, bits / 2]) } else { b };
        let b = forge(b, 0, b"NWVOLWIB", true);
        if let Ok(h) = WibHeader::decode(&b) {
            prop_assert_eq!(WibHeader::decode(&h.encode()).unwrap(), h);
            let _ = h.validate(u64::from(bits) << 16);
        }
    }

    #[test]
    fn hotfix(b in sector(), tame in any::<bool>(), parts in any::<u64>()) {
        let b = if tame { small(b, &[20, 24], &[1000, 200]) } else { b };
        let b = forge(b, 0, b"HOTFIX00", false);
        if let Ok(h) = HotfixHeader::decode(&b) {
            prop_assert_eq!(HotfixHeader::decode(&h.encode()).unwrap(), h.clone());
            let _ = h.validate(parts);
        }
    }

    #[test]
    fn hotfix_table(b in sector(), tame in any::<bool>(), region in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let b = if tame { small(b, &[8, 12, 16, 20, 28], &[1, 8, 100, 50, 2]) } else { b };
        let b = forge(b, 0, b"NWVOLHFX", true);
        if let Ok(h) = HotfixTableHeader::decode(&b) {
            prop_assert_eq!(HotfixTableHeader::decode(&h.encode()).unwrap(), h.clone());
            let _ = decode_table(&region, &h, 1 << 20);
            let forged = HotfixTableHeader {
                entries_crc: crc32fast::hash(region.get(..h.used as usize * 8).unwrap_or(&[])),
                ..h
            };
            if let Ok(entries) = decode_table(&region, &forged, 1 << 20) {
                let again = encode_table(&entries, (entries.len() as u32 * 8).div_ceil(512));
                prop_assert_eq!(decode_table(&again, &forged, 1 << 20).unwrap(), entries);
            }
        }
    }

    #[test]
    fn mirror(b in sector(), count in 1u32..=8, ids in proptest::array::uniform8(1u32..5)) {
        // Slots 0..count with small IDs (repeats now and then), records
        // matching them, so that the checks past the count are reached.
        let mut b = forge(b, 0, b"MIRROR00", false);
        b[64..72].copy_from_slice(b"NWVOLMIR");
        b[72..76].copy_from_slice(&1u32.to_le_bytes());
        b[88..92].copy_from_slice(&count.to_le_bytes());
        for s in 0..8 {
            let id = if (s as u32) < count { ids[s] } else { 0 };
            b[32 + 4 * s..36 + 4 * s].copy_from_slice(&id.to_le_bytes());
            b[96 + 32 * s..100 + 32 * s].copy_from_slice(&id.to_le_bytes());
        }
        let b = forge(b, 0, b"MIRROR00", true);
        if let Ok(h) = MirrorHeader::decode(&b) {
            prop_assert_eq!(MirrorHeader::decode(&h.encode()).unwrap(), h.clone());
            prop_assert_eq!(h.ext.unwrap().members.len(), count as usize);
        }
    }

    #[test]
    fn volume_table(v in proptest::collection::vec(any::<u8>(), 16384), n in 0u32..4, names in any::<bool>()) {
        let mut b = v;
        b[..16].copy_from_slice(b"NetWare Volumes\0");
        b[16..20].copy_from_slice(&n.to_le_bytes());
        if names {
            for i in 0..n as usize {
                let o = 32 + 60 * i;
                b[o] = 3;
                b[o + 1..o + 4].copy_from_slice(b"SYS");
                b[o + 44..o + 48].copy_from_slice(&64u32.to_le_bytes());
            }
        }
        if let Ok(t) = VolumeTable::decode(&b) {
            prop_assert!(!t.nwvol || &b[8192..8200] == b"NWVOLVTX");
            let again = VolumeTable::decode(&t.encode()).unwrap();
            prop_assert_eq!(&again.entries, &t.entries);
            let _ = t.validate(u32::MAX);
            let refs: Vec<&SegmentEntry> = t.entries.iter().collect();
            let _ = check_volume_segments(&refs);
        }
    }

    #[test]
    fn fat(v in any::<[u8; 8]>(), total in any::<u32>()) {
        if let Ok(e) = FatEntry::decode(&v, total) {
            prop_assert_eq!(FatEntry::decode(&e.encode(), total).unwrap(), e);
        }
    }

    #[test]
    fn dirent(v in proptest::collection::vec(any::<u8>(), 128), len in 1u8..=8, parent in 0u32..8) {
        let mut b = v;
        b[0..4].copy_from_slice(&parent.to_le_bytes());
        b[11] = len;
        for c in &mut b[12..24] {
            *c = b'A' + *c % 26;
        }
        let e = DirEntry::decode(&b).unwrap();
        prop_assert_eq!(DirEntry::decode(&e.encode()).unwrap(), e);
    }
}
