//! Sweeps of the layout's pure geometry functions over the whole range of
//! partition sizes: the hot-fix pool, the write-intent chunking and the FAT
//! fragment size keep their FORMAT.md invariants everywhere.

use nwvol::layout::fat::{FAT_ENTRY_BYTES, fat_blocks};
use nwvol::layout::hotfix::{
    HOTFIX_COPIES, HOTFIX_COPY_SECTORS, HOTFIX_FIRST_SECTOR, HotfixHeader, HotfixTableHeader,
    MIN_REDIR_SECTORS, POOL_FIRST_SECTOR, PoolGeometry, Redirect, UNIT_SECTORS, decode_table,
    encode_table,
};
use nwvol::layout::voltab::block_code_for;
use nwvol::layout::wib::{WIB_BITS, WibHeader};

/// Redirection sector counts from 0 to 2^32 - 1, dense at the small end
/// where the table-region rounding matters.
fn redir_sizes() -> impl Iterator<Item = u32> {
    let dense = 0u32..4096;
    let mut sparse = Vec::new();
    let mut r: u64 = 4096;
    while r <= u64::from(u32::MAX) {
        for d in [0u64, 1, 7, 8, 9] {
            if let Ok(v) = u32::try_from(r + d) {
                sparse.push(v);
            }
        }
        r = r * 5 / 4 + 3;
    }
    sparse.push(u32::MAX);
    dense.chain(sparse)
}

#[test]
fn pool_geometry_sweep() {
    assert_eq!(POOL_FIRST_SECTOR, HOTFIX_FIRST_SECTOR + MIN_REDIR_SECTORS);
    assert_eq!(
        MIN_REDIR_SECTORS,
        HOTFIX_COPY_SECTORS * HOTFIX_COPIES as u32
    );
    let mut last_slots = 0;
    for r in redir_sizes() {
        let g = PoolGeometry::for_redir_sectors(r);
        let p = u64::from(r.saturating_sub(MIN_REDIR_SECTORS));
        assert_eq!(u64::from(g.pool_sectors), p, "R={r}");
        let t = |s: u64| (s * 8).div_ceil(512);
        assert_eq!(u64::from(g.region_sectors), t(u64::from(g.slots)), "R={r}");
        // Fits, and is the largest that fits.
        let used = 4 * u64::from(g.region_sectors) + u64::from(UNIT_SECTORS) * u64::from(g.slots);
        assert!(used <= p, "R={r}");
        let s1 = u64::from(g.slots) + 1;
        assert!(4 * t(s1) + 8 * s1 > p, "R={r}: one more slot fits");
        // Monotonic in R (the sizes come in increasing order).
        assert!(g.slots >= last_slots, "R={r}");
        last_slots = g.slots;
        // Regions back to back from sector 160, slots after them, the last
        // slot ending inside the pool.
        for c in 0..HOTFIX_COPIES {
            assert_eq!(
                u64::from(g.region_first_sector(c)),
                160 + c as u64 * u64::from(g.region_sectors)
            );
        }
        if g.slots > 0 {
            let first_slot = u64::from(g.slot_first_sector(0));
            assert_eq!(first_slot, 160 + 4 * u64::from(g.region_sectors));
            let end = u64::from(g.slot_first_sector(g.slots - 1)) + 8;
            assert!(end <= 32 + u64::from(r), "R={r}");
        }
    }
}

#[test]
fn full_table_fits_its_region() {
    for r in [128 + 12, 128 + 520, 128 + 4096, 128 + 100_000, 2_000_000] {
        let g = PoolGeometry::for_redir_sectors(r);
        let entries: Vec<Redirect> = (0..g.slots)
            .map(|s| Redirect {
                logical_sector: s * 8,
                slot: g.slots - 1 - s,
            })
            .collect();
        let region = encode_table(&entries, g.region_sectors);
        for c in 0..HOTFIX_COPIES {
            let hdr = HotfixTableHeader::new(&g, c, &entries);
            assert!(hdr.validate(&g, c).is_ok());
            let back = HotfixTableHeader::decode(&hdr.encode()).unwrap();
            assert_eq!(back, hdr);
            assert_eq!(decode_table(&region, &back, g.slots * 8).unwrap(), entries);
        }
    }
}

#[test]
fn hotfix_header_fits_every_partition_size() {
    // A partition of `sectors` with R = 128 + 2% and D the rest, rounded
    // down to 4 KiB, always validates.
    let mut sectors: u64 = 4096;
    while sectors <= u64::from(u32::MAX) {
        let r = (128 + (sectors * 2).div_ceil(100).div_ceil(8) * 8) as u32;
        let d = ((sectors - 32 - u64::from(r)) / 8 * 8) as u32;
        let h = HotfixHeader {
            partition_id: 1,
            data_sectors: d,
            redir_sectors: r,
        };
        let back = HotfixHeader::decode(&h.encode()).unwrap();
        assert!(back.validate(sectors).is_ok(), "{sectors}");
        // D is the largest multiple of 8 that fits.
        assert!(32 + u64::from(r) + u64::from(d) + 8 > sectors);
        let bigger = HotfixHeader {
            data_sectors: d + 8,
            ..back
        };
        assert!(bigger.validate(sectors).is_err(), "{sectors}");
        sectors = sectors * 3 / 2 + 1;
    }
}

#[test]
fn write_intent_sweep() {
    let mut bytes: u64 = 0;
    let max = u64::from(u32::MAX) * 512;
    while bytes <= max {
        let h = WibHeader::for_logical_bytes(bytes);
        assert!(h.bits <= WIB_BITS);
        assert!(u64::from(h.bits) * h.chunk_bytes() >= bytes);
        assert!(h.chunk_shift >= 16);
        if h.chunk_shift > 16 {
            assert!(bytes.div_ceil(h.chunk_bytes() / 2) > u64::from(WIB_BITS));
        }
        let back = WibHeader::decode(&h.encode()).unwrap();
        assert_eq!(back, h);
        assert!(back.validate(bytes).is_ok());
        bytes = bytes * 7 / 4 + 4096;
    }
}

#[test]
fn fat_fragment_sizes() {
    for bs in [4096u32, 8192, 16384, 32768, 65536] {
        assert!(block_code_for(bs).is_some());
        let per = bs / FAT_ENTRY_BYTES as u32;
        assert_eq!(fat_blocks(per, bs), 1);
        assert_eq!(fat_blocks(per + 1, bs), 2);
        assert_eq!(fat_blocks(u32::MAX, bs), u32::MAX.div_ceil(per));
        let mut blocks = 1u32;
        while blocks < u32::MAX / 3 {
            let f = fat_blocks(blocks, bs);
            assert!(u64::from(f) * u64::from(bs) >= u64::from(blocks) * 8);
            assert!(u64::from(f - 1) * u64::from(bs) < u64::from(blocks) * 8);
            blocks = blocks * 3 + 1;
        }
    }
}
