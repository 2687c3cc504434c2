//! The hot-fix area (FORMAT.md "Hot-fix area"): the hot-fix header, the
//! geometry of the redirection pool, and nwvol's hot-fix table (its header
//! in copy sector +2 and its entries in the pool's table regions).

use std::collections::HashSet;

use super::bytes::{
    check_crc, check_fixed, check_version, corrupt, crc32, le32, need, put32, seal,
};
use super::voltab::VOLTAB_SECTORS;
use super::{LayoutError, SECTOR};

/// Partition sector of hot-fix copy 0.
pub const HOTFIX_FIRST_SECTOR: u32 = 32;
/// Sectors of one hot-fix copy (16 KiB).
pub const HOTFIX_COPY_SECTORS: u32 = 32;
/// Number of hot-fix copies.
pub const HOTFIX_COPIES: usize = 4;
/// Partition sector of the redirection pool, right after the four copies.
pub const POOL_FIRST_SECTOR: u32 = 160;
/// Sectors of a redirection unit and of a pool slot (4 KiB).
pub const UNIT_SECTORS: u32 = 8;
/// Bytes of a redirection unit: the granularity of redirection and of the
/// mirror layer's read repair.
pub const UNIT_BYTES: u64 = UNIT_SECTORS as u64 * SECTOR as u64;
/// Smallest redirection sector count: the four header copies alone.
pub const MIN_REDIR_SECTORS: u32 = HOTFIX_COPY_SECTORS * HOTFIX_COPIES as u32;
/// Bytes of one hot-fix table entry.
pub const REDIRECT_BYTES: usize = 8;
/// Hot-fix header signature.
pub const HOTFIX_MAGIC: &[u8; 8] = b"HOTFIX00";
/// Hot-fix table header magic.
pub const TABLE_MAGIC: &[u8; 8] = b"NWVOLHFX";
/// Hot-fix table format version.
pub const TABLE_VERSION: u32 = 1;
/// Sector of the hot-fix header inside a copy.
pub const HOTFIX_HEADER_SECTOR: u32 = 0;
/// Sector of the mirror header inside a copy.
pub const MIRROR_HEADER_SECTOR: u32 = 1;
/// Sector of the hot-fix table header inside a copy.
pub const TABLE_HEADER_SECTOR: u32 = 2;

/// Partition sector where hot-fix copy `copy` starts.
pub fn copy_first_sector(copy: usize) -> u32 {
    HOTFIX_FIRST_SECTOR + copy as u32 * HOTFIX_COPY_SECTORS
}

// Hot-fix header offsets.
const H_MAGIC: usize = 0;
const H_PARTITION_ID: usize = 8;
const H_DATA_SECTORS: usize = 20;
const H_REDIR_SECTORS: usize = 24;

/// The hot-fix header (copy sector +0).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct HotfixHeader {
    /// This partition's identity inside its mirror group (non-zero).
    pub partition_id: u32,
    /// `D`: sectors of the logical partition.
    pub data_sectors: u32,
    /// `R`: sectors from partition sector 32 to the logical partition.
    pub redir_sectors: u32,
}

impl HotfixHeader {
    /// The sector's bytes.
    pub fn encode(&self) -> [u8; SECTOR] {
        let mut b = [0u8; SECTOR];
        b[H_MAGIC..H_MAGIC + 8].copy_from_slice(HOTFIX_MAGIC);
        put32(&mut b, H_PARTITION_ID, self.partition_id);
        put32(&mut b, H_DATA_SECTORS, self.data_sectors);
        put32(&mut b, H_REDIR_SECTORS, self.redir_sectors);
        b
    }

    /// Decodes a hot-fix header: signature, non-zero ID (0 marks an empty
    /// mirror slot), `R >= 128`, `D >= 128` (room for the volume table).
    pub fn decode(b: &[u8]) -> Result<HotfixHeader, LayoutError> {
        let s = "hot-fix header";
        let b = need(b, SECTOR, s)?;
        if &b[H_MAGIC..H_MAGIC + 8] != HOTFIX_MAGIC {
            return Err(corrupt(s, "signature", "not HOTFIX00"));
        }
        let partition_id = le32(b, H_PARTITION_ID);
        if partition_id == 0 {
            return Err(corrupt(s, "partition ID", "0"));
        }
        let redir_sectors = le32(b, H_REDIR_SECTORS);
        if redir_sectors < MIN_REDIR_SECTORS {
            return Err(corrupt(
                s,
                "redirection sectors",
                format!("{redir_sectors}, less than the {MIN_REDIR_SECTORS} of the header copies"),
            ));
        }
        let data_sectors = le32(b, H_DATA_SECTORS);
        if data_sectors < VOLTAB_SECTORS {
            return Err(corrupt(
                s,
                "data sectors",
                format!("{data_sectors}, less than the {VOLTAB_SECTORS} of the volume table"),
            ));
        }
        Ok(HotfixHeader {
            partition_id,
            data_sectors,
            redir_sectors,
        })
    }

    /// Checks the header against the partition size: `32 + R + D` must fit.
    pub fn validate(&self, partition_sectors: u64) -> Result<(), LayoutError> {
        let end = u64::from(HOTFIX_FIRST_SECTOR)
            + u64::from(self.redir_sectors)
            + u64::from(self.data_sectors);
        if end > partition_sectors {
            return Err(corrupt(
                "hot-fix header",
                "data sectors",
                format!(
                    "32 + {} redirection + {} data sectors = {end}, more than the partition's {partition_sectors}",
                    self.redir_sectors, self.data_sectors
                ),
            ));
        }
        Ok(())
    }

    /// Partition sector where the logical partition starts (`32 + R`).
    pub fn logical_first_sector(&self) -> u64 {
        u64::from(HOTFIX_FIRST_SECTOR) + u64::from(self.redir_sectors)
    }
}

/// Where the four table regions and the slots of a pool are.
#[derive(Copy, Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PoolGeometry {
    /// `P = R - 128`: sectors of the pool.
    pub pool_sectors: u32,
    /// `T`: sectors of one table region.
    pub region_sectors: u32,
    /// `S`: 4 KiB slots.
    pub slots: u32,
}

impl PoolGeometry {
    /// The geometry for `R` redirection sectors: the largest `S` with
    /// `4T + 8S <= P`, `T = ceil(S * 8 / 512)`. `S` is 0 for a tiny pool.
    pub fn for_redir_sectors(r: u32) -> PoolGeometry {
        let p = u64::from(r.saturating_sub(MIN_REDIR_SECTORS));
        let t = |s: u64| (s * REDIRECT_BYTES as u64).div_ceil(SECTOR as u64);
        // 4T >= S / 16, so S <= 16P / 129; the ceiling costs at most one step.
        let mut s = 16 * p / 129;
        while s > 0 && 4 * t(s) + u64::from(UNIT_SECTORS) * s > p {
            s -= 1;
        }
        PoolGeometry {
            pool_sectors: p as u32,
            region_sectors: t(s) as u32,
            slots: s as u32,
        }
    }

    /// First partition sector of the table region of hot-fix copy `copy`.
    pub fn region_first_sector(&self, copy: usize) -> u32 {
        POOL_FIRST_SECTOR.saturating_add((copy as u32).saturating_mul(self.region_sectors))
    }

    /// First partition sector of pool slot `slot` (meaningful for
    /// `slot < slots`).
    pub fn slot_first_sector(&self, slot: u32) -> u32 {
        POOL_FIRST_SECTOR
            .saturating_add(self.region_sectors.saturating_mul(HOTFIX_COPIES as u32))
            .saturating_add(slot.saturating_mul(UNIT_SECTORS))
    }
}

/// One hot-fix table entry: a redirected 4 KiB unit and its pool slot.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
pub struct Redirect {
    /// First logical sector of the unit (a multiple of 8).
    pub logical_sector: u32,
    /// Pool slot holding it.
    pub slot: u32,
}

// Hot-fix table header offsets.
const T_MAGIC: usize = 0;
const T_VERSION: usize = 8;
const T_UNIT: usize = 12;
const T_SLOTS: usize = 16;
const T_USED: usize = 20;
const T_REGION_FIRST: usize = 24;
const T_REGION_SECTORS: usize = 28;
const T_ENTRIES_CRC: usize = 32;
const T_CRC: usize = 508;

/// The hot-fix table header (copy sector +2), nwvol's.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct HotfixTableHeader {
    /// Sectors of a unit and slot (8).
    pub unit_sectors: u32,
    /// Pool slots (capacity).
    pub slots: u32,
    /// Entries in use `n`.
    pub used: u32,
    /// First partition sector of this copy's table region.
    pub region_first_sector: u32,
    /// Sectors of a table region.
    pub region_sectors: u32,
    /// CRC32 of the `n` entries.
    pub entries_crc: u32,
}

impl HotfixTableHeader {
    /// The header of copy `copy` for a table holding `entries`.
    pub fn new(pool: &PoolGeometry, copy: usize, entries: &[Redirect]) -> HotfixTableHeader {
        HotfixTableHeader {
            unit_sectors: UNIT_SECTORS,
            slots: pool.slots,
            used: entries.len() as u32,
            region_first_sector: pool.region_first_sector(copy),
            region_sectors: pool.region_sectors,
            entries_crc: table_crc(entries),
        }
    }

    /// The sector's bytes, with its CRC.
    pub fn encode(&self) -> [u8; SECTOR] {
        let mut b = [0u8; SECTOR];
        b[T_MAGIC..T_MAGIC + 8].copy_from_slice(TABLE_MAGIC);
        put32(&mut b, T_VERSION, TABLE_VERSION);
        put32(&mut b, T_UNIT, self.unit_sectors);
        put32(&mut b, T_SLOTS, self.slots);
        put32(&mut b, T_USED, self.used);
        put32(&mut b, T_REGION_FIRST, self.region_first_sector);
        put32(&mut b, T_REGION_SECTORS, self.region_sectors);
        put32(&mut b, T_ENTRIES_CRC, self.entries_crc);
        seal(&mut b, T_CRC);
        b
    }

    /// Decodes copy sector +2; a missing magic is an error.
    pub fn decode(b: &[u8]) -> Result<HotfixTableHeader, LayoutError> {
        Self::decode_opt(b)?.ok_or_else(|| corrupt("hot-fix table header", "magic", "not NWVOLHFX"))
    }

    /// Decodes copy sector +2: None when the magic is absent, an error when
    /// it is there but the header is bad (CRC, version, unit, counts that do
    /// not fit the region).
    pub fn decode_opt(b: &[u8]) -> Result<Option<HotfixTableHeader>, LayoutError> {
        let s = "hot-fix table header";
        let b = need(b, SECTOR, s)?;
        if &b[T_MAGIC..T_MAGIC + 8] != TABLE_MAGIC {
            return Ok(None);
        }
        check_crc(b, 0, T_CRC, s, "CRC")?;
        check_version(le32(b, T_VERSION), TABLE_VERSION, s, "version")?;
        let unit_sectors = le32(b, T_UNIT);
        check_fixed(unit_sectors, UNIT_SECTORS, s, "unit sectors")?;
        let slots = le32(b, T_SLOTS);
        let used = le32(b, T_USED);
        let region_sectors = le32(b, T_REGION_SECTORS);
        let region_bytes = u64::from(region_sectors) * SECTOR as u64;
        if u64::from(slots) * REDIRECT_BYTES as u64 > region_bytes {
            return Err(corrupt(
                s,
                "pool slots",
                format!("{slots} entries do not fit a region of {region_sectors} sectors"),
            ));
        }
        if used > slots {
            return Err(corrupt(
                s,
                "entries in use",
                format!("{used}, more than the {slots} pool slots"),
            ));
        }
        Ok(Some(HotfixTableHeader {
            unit_sectors,
            slots,
            used,
            region_first_sector: le32(b, T_REGION_FIRST),
            region_sectors,
            entries_crc: le32(b, T_ENTRIES_CRC),
        }))
    }

    /// Checks the header against the pool geometry of its partition: the
    /// region of copy `copy` where the geometry puts it, no more slots than
    /// the pool has.
    pub fn validate(&self, pool: &PoolGeometry, copy: usize) -> Result<(), LayoutError> {
        let s = "hot-fix table header";
        if self.region_first_sector != pool.region_first_sector(copy) {
            return Err(corrupt(
                s,
                "region first sector",
                format!(
                    "{}, expected {} for copy {copy}",
                    self.region_first_sector,
                    pool.region_first_sector(copy)
                ),
            ));
        }
        if self.region_sectors != pool.region_sectors {
            return Err(corrupt(
                s,
                "region sectors",
                format!("{}, expected {}", self.region_sectors, pool.region_sectors),
            ));
        }
        if self.slots > pool.slots {
            return Err(corrupt(
                s,
                "pool slots",
                format!("{}, more than the pool's {}", self.slots, pool.slots),
            ));
        }
        Ok(())
    }
}

fn encode_entries(entries: &[Redirect], out: &mut [u8]) {
    for (e, chunk) in entries.iter().zip(out.chunks_exact_mut(REDIRECT_BYTES)) {
        put32(chunk, 0, e.logical_sector);
        put32(chunk, 4, e.slot);
    }
}

/// CRC32 of the encoded entries, for [`HotfixTableHeader::entries_crc`].
pub fn table_crc(entries: &[Redirect]) -> u32 {
    let mut b = vec![0u8; entries.len() * REDIRECT_BYTES];
    encode_entries(entries, &mut b);
    crc32(&b)
}

/// A whole table region: the entries (in the order given, which must be
/// sorted by logical sector), zero padded to `region_sectors`.
///
/// # Panics
/// When the entries do not fit the region (a caller bug: the table never
/// holds more entries than the pool has slots).
pub fn encode_table(entries: &[Redirect], region_sectors: u32) -> Vec<u8> {
    let mut b = vec![0u8; region_sectors as usize * SECTOR];
    assert!(
        entries.len() * REDIRECT_BYTES <= b.len(),
        "{} hot-fix entries do not fit {region_sectors} sectors",
        entries.len()
    );
    debug_assert!(
        entries
            .windows(2)
            .all(|w| w[0].logical_sector < w[1].logical_sector)
    );
    encode_entries(entries, &mut b);
    b
}

/// Decodes the `hdr.used` entries at the start of `region` (which may be
/// shorter than the whole region) and checks them: CRC, multiples of 8,
/// sorted, no logical sector or slot twice, slot < `hdr.slots`, logical
/// sector < `data_sectors`.
pub fn decode_table(
    region: &[u8],
    hdr: &HotfixTableHeader,
    data_sectors: u32,
) -> Result<Vec<Redirect>, LayoutError> {
    let s = "hot-fix table";
    let n = hdr.used as usize;
    let len = n
        .checked_mul(REDIRECT_BYTES)
        .ok_or_else(|| corrupt(s, "entries in use", format!("{n}: too many")))?;
    let b = need(region, len, s)?;
    let crc = crc32(b);
    if crc != hdr.entries_crc {
        return Err(corrupt(
            s,
            "entries CRC",
            format!("stored {:#010x}, computed {crc:#010x}", hdr.entries_crc),
        ));
    }
    let mut out = Vec::with_capacity(n);
    let mut slots_seen = HashSet::with_capacity(n);
    for (i, c) in b.chunks_exact(REDIRECT_BYTES).enumerate() {
        let e = Redirect {
            logical_sector: le32(c, 0),
            slot: le32(c, 4),
        };
        let name = || format!("hot-fix table entry {i}");
        if !e.logical_sector.is_multiple_of(UNIT_SECTORS) {
            return Err(corrupt(
                name(),
                "logical sector",
                format!("{}, not a multiple of {UNIT_SECTORS}", e.logical_sector),
            ));
        }
        if e.logical_sector >= data_sectors {
            return Err(corrupt(
                name(),
                "logical sector",
                format!("{}, past the {data_sectors} data sectors", e.logical_sector),
            ));
        }
        if e.slot >= hdr.slots {
            return Err(corrupt(
                name(),
                "slot",
                format!("{}, the pool has {} slots", e.slot, hdr.slots),
            ));
        }
        let prev = out.last().map(|p: &Redirect| p.logical_sector);
        if let Some(prev) = prev.filter(|&p| e.logical_sector <= p) {
            let why = if e.logical_sector == prev {
                "repeats"
            } else {
                "is out of order after"
            };
            return Err(corrupt(
                name(),
                "logical sector",
                format!("{} {why} {prev}", e.logical_sector),
            ));
        }
        if !slots_seen.insert(e.slot) {
            return Err(corrupt(name(), "slot", format!("{} is used twice", e.slot)));
        }
        out.push(e);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn header_round_trip(id in 1u32.., d in 128u32.., r in 128u32..) {
            let h = HotfixHeader { partition_id: id, data_sectors: d, redir_sectors: r };
            prop_assert_eq!(HotfixHeader::decode(&h.encode()).unwrap(), h);
        }

        #[test]
        fn table_header_round_trip(
            slots in 0u32..1_000_000,
            used_frac in 0.0f64..=1.0,
            extra in 0u32..100,
            first in any::<u32>(),
            crc in any::<u32>(),
        ) {
            let used = (f64::from(slots) * used_frac) as u32;
            let region_sectors = (slots * 8).div_ceil(512) + extra;
            let h = HotfixTableHeader {
                unit_sectors: 8, slots, used, region_first_sector: first, region_sectors, entries_crc: crc,
            };
            prop_assert_eq!(HotfixTableHeader::decode(&h.encode()).unwrap(), h.clone());
            prop_assert_eq!(HotfixTableHeader::decode_opt(&h.encode()).unwrap(), Some(h));
        }

        #[test]
        fn random_bytes_never_panic(v in proptest::collection::vec(any::<u8>(), 0..600)) {
            if v.len() >= 512 && &v[..8] != HOTFIX_MAGIC {
                prop_assert_eq!(HotfixHeader::decode(&v).unwrap_err().field(), "signature");
            } else {
                let _ = HotfixHeader::decode(&v);
            }
            if v.len() >= 512 && &v[..8] != TABLE_MAGIC {
                prop_assert_eq!(HotfixTableHeader::decode_opt(&v).unwrap(), None);
            } else {
                let _ = HotfixTableHeader::decode_opt(&v);
            }
            // Random entries against a header that claims them.
            let hdr = HotfixTableHeader {
                unit_sectors: 8, slots: 1000, used: (v.len() / 8) as u32 + 1,
                region_first_sector: 160, region_sectors: 16, entries_crc: crc32(&v),
            };
            let _ = decode_table(&v, &hdr, 1 << 20);
            let hdr = HotfixTableHeader { used: (v.len() / 8) as u32, ..hdr };
            let _ = decode_table(&v, &hdr, 1 << 20);
        }

        #[test]
        fn pool_geometry_is_maximal(r in 0u32..) {
            let g = PoolGeometry::for_redir_sectors(r);
            let p = u64::from(g.pool_sectors);
            let t = |s: u64| (s * 8).div_ceil(512);
            prop_assert_eq!(p, u64::from(r.saturating_sub(128)));
            prop_assert_eq!(u64::from(g.region_sectors), t(u64::from(g.slots)));
            prop_assert!(4 * u64::from(g.region_sectors) + 8 * u64::from(g.slots) <= p);
            let s1 = u64::from(g.slots) + 1;
            prop_assert!(4 * t(s1) + 8 * s1 > p, "one more slot would fit");
            if g.slots > 0 && r >= 128 {
                let last_end = u64::from(g.slot_first_sector(g.slots - 1)) + 8;
                prop_assert!(last_end <= 32 + u64::from(r));
                prop_assert!(u64::from(g.region_first_sector(3)) + u64::from(g.region_sectors)
                    <= u64::from(g.slot_first_sector(0)));
            }
        }

        #[test]
        fn table_round_trip(
            units in proptest::collection::btree_set(0u32..100_000, 0..200),
            seed in any::<u64>(),
        ) {
            let g = PoolGeometry::for_redir_sectors(128 + 4 * 8 + 8 * 500);
            prop_assert!(g.slots >= 200);
            // Distinct slots: a permutation of 0..n shifted by the seed.
            let n = units.len() as u32;
            let entries: Vec<Redirect> = units.iter().enumerate().map(|(i, &u)| Redirect {
                logical_sector: u * 8,
                slot: ((i as u64 + seed) % u64::from(g.slots)) as u32,
            }).collect();
            let hdr = HotfixTableHeader::new(&g, 2, &entries);
            prop_assert_eq!(hdr.used, n);
            let region = encode_table(&entries, g.region_sectors);
            prop_assert_eq!(region.len(), g.region_sectors as usize * 512);
            prop_assert!(region[entries.len() * 8..].iter().all(|&b| b == 0));
            prop_assert_eq!(decode_table(&region, &hdr, 800_000).unwrap(), entries.clone());
            // Only the used part need be read.
            prop_assert_eq!(decode_table(&region[..entries.len() * 8], &hdr, 800_000).unwrap(), entries);
        }
    }

    #[test]
    fn hotfix_header_golden() {
        let mut b = [0u8; 512];
        b[0..8].copy_from_slice(b"HOTFIX00");
        b[8..12].copy_from_slice(&0xDEAD_BEEFu32.to_le_bytes());
        b[20..24].copy_from_slice(&100_000u32.to_le_bytes());
        b[24..28].copy_from_slice(&2000u32.to_le_bytes());
        let h = HotfixHeader {
            partition_id: 0xDEAD_BEEF,
            data_sectors: 100_000,
            redir_sectors: 2000,
        };
        assert_eq!(HotfixHeader::decode(&b).unwrap(), h);
        assert_eq!(h.encode(), b);
        assert_eq!(h.logical_first_sector(), 2032);
    }

    #[test]
    fn hotfix_header_corruption() {
        let good = HotfixHeader {
            partition_id: 5,
            data_sectors: 1000,
            redir_sectors: 200,
        }
        .encode();
        let with = |off: usize, v: u32| {
            let mut b = good;
            b[off..off + 4].copy_from_slice(&v.to_le_bytes());
            HotfixHeader::decode(&b).unwrap_err().field()
        };
        assert_eq!(with(0, 0), "signature");
        assert_eq!(with(8, 0), "partition ID");
        assert_eq!(with(20, 127), "data sectors");
        assert_eq!(with(24, 127), "redirection sectors");
        assert_eq!(
            HotfixHeader::decode(&good[..100]).unwrap_err().field(),
            "length"
        );
    }

    #[test]
    fn hotfix_header_validate() {
        let h = HotfixHeader {
            partition_id: 5,
            data_sectors: 1000,
            redir_sectors: 200,
        };
        assert!(h.validate(1232).is_ok());
        assert_eq!(h.validate(1231).unwrap_err().field(), "data sectors");
        let h = HotfixHeader {
            partition_id: 5,
            data_sectors: u32::MAX,
            redir_sectors: u32::MAX,
        };
        assert!(h.validate(u64::from(u32::MAX)).is_err(), "no overflow");
    }

    #[test]
    fn pool_geometry_examples() {
        // R = 128: no pool at all.
        let g = PoolGeometry::for_redir_sectors(128);
        assert_eq!((g.pool_sectors, g.region_sectors, g.slots), (0, 0, 0));
        // Below one table sector per copy plus one slot: none.
        assert_eq!(PoolGeometry::for_redir_sectors(128 + 11).slots, 0);
        // 12 sectors: 4 x 1 table sector + 1 slot.
        let g = PoolGeometry::for_redir_sectors(128 + 12);
        assert_eq!((g.region_sectors, g.slots), (1, 1));
        assert_eq!(g.region_first_sector(0), 160);
        assert_eq!(g.region_first_sector(3), 163);
        assert_eq!(g.slot_first_sector(0), 164);
        // 64 slots still fit one table sector; the 65th needs a second.
        let g = PoolGeometry::for_redir_sectors(128 + 4 + 512);
        assert_eq!((g.region_sectors, g.slots), (1, 64));
        let g = PoolGeometry::for_redir_sectors(128 + 4 + 512 + 8);
        assert_eq!(
            (g.region_sectors, g.slots),
            (1, 64),
            "a 65th slot needs 4 more table sectors"
        );
        let g = PoolGeometry::for_redir_sectors(128 + 8 + 520);
        assert_eq!((g.region_sectors, g.slots), (2, 65));
        assert_eq!(g.slot_first_sector(2), 160 + 8 + 16);
    }

    #[test]
    fn table_header_golden() {
        let mut b = [0u8; 512];
        b[0..8].copy_from_slice(b"NWVOLHFX");
        b[8..12].copy_from_slice(&1u32.to_le_bytes());
        b[12..16].copy_from_slice(&8u32.to_le_bytes());
        b[16..20].copy_from_slice(&100u32.to_le_bytes());
        b[20..24].copy_from_slice(&3u32.to_le_bytes());
        b[24..28].copy_from_slice(&162u32.to_le_bytes());
        b[28..32].copy_from_slice(&2u32.to_le_bytes());
        b[32..36].copy_from_slice(&0x1234_5678u32.to_le_bytes());
        let crc = crc32fast::hash(&b[..508]);
        b[508..].copy_from_slice(&crc.to_le_bytes());
        let h = HotfixTableHeader {
            unit_sectors: 8,
            slots: 100,
            used: 3,
            region_first_sector: 162,
            region_sectors: 2,
            entries_crc: 0x1234_5678,
        };
        assert_eq!(HotfixTableHeader::decode(&b).unwrap(), h);
        assert_eq!(h.encode(), b);
    }

    #[test]
    fn table_header_corruption() {
        let good = HotfixTableHeader {
            unit_sectors: 8,
            slots: 100,
            used: 3,
            region_first_sector: 162,
            region_sectors: 2,
            entries_crc: 0,
        }
        .encode();
        let with = |off: usize, v: u32| {
            let mut b = good;
            b[off..off + 4].copy_from_slice(&v.to_le_bytes());
            let crc = crc32fast::hash(&b[..508]);
            b[508..].copy_from_slice(&crc.to_le_bytes());
            HotfixTableHeader::decode_opt(&b).unwrap_err()
        };
        assert_eq!(with(8, 0).field(), "version");
        assert!(matches!(with(8, 2), LayoutError::Unsupported { .. }));
        assert_eq!(with(12, 16).field(), "unit sectors");
        assert_eq!(with(16, 129).field(), "pool slots");
        assert_eq!(with(20, 101).field(), "entries in use");
        assert_eq!(with(28, 1).field(), "pool slots");
        let mut b = good;
        b[40] = 1;
        assert_eq!(
            HotfixTableHeader::decode_opt(&b).unwrap_err().field(),
            "CRC"
        );
        b[3] = 0;
        assert_eq!(HotfixTableHeader::decode_opt(&b).unwrap(), None);
        assert_eq!(HotfixTableHeader::decode(&b).unwrap_err().field(), "magic");
    }

    #[test]
    fn table_header_validate() {
        let g = PoolGeometry::for_redir_sectors(128 + 8 + 520);
        let h = HotfixTableHeader::new(&g, 1, &[]);
        assert_eq!(h.region_first_sector, 162);
        assert_eq!(h.entries_crc, crc32fast::hash(&[]));
        assert!(h.validate(&g, 1).is_ok());
        assert_eq!(
            h.validate(&g, 2).unwrap_err().field(),
            "region first sector"
        );
        let bad = HotfixTableHeader {
            region_sectors: 3,
            ..h
        };
        assert_eq!(bad.validate(&g, 1).unwrap_err().field(), "region sectors");
        let bad = HotfixTableHeader {
            slots: g.slots + 1,
            ..h
        };
        assert_eq!(bad.validate(&g, 1).unwrap_err().field(), "pool slots");
    }

    #[test]
    fn table_entries_golden() {
        let mut region = vec![0u8; 512];
        region[0..4].copy_from_slice(&16u32.to_le_bytes());
        region[4..8].copy_from_slice(&2u32.to_le_bytes());
        region[8..12].copy_from_slice(&4096u32.to_le_bytes());
        region[12..16].copy_from_slice(&0u32.to_le_bytes());
        let entries = [
            Redirect {
                logical_sector: 16,
                slot: 2,
            },
            Redirect {
                logical_sector: 4096,
                slot: 0,
            },
        ];
        let g = PoolGeometry::for_redir_sectors(128 + 12 + 16);
        let hdr = HotfixTableHeader::new(&g, 0, &entries);
        assert_eq!(hdr.entries_crc, crc32fast::hash(&region[..16]));
        assert_eq!(decode_table(&region, &hdr, 8192).unwrap(), entries);
        assert_eq!(encode_table(&entries, 1), region);
    }

    #[test]
    fn table_entry_corruption() {
        let g = PoolGeometry::for_redir_sectors(128 + 4 + 80);
        assert_eq!(g.slots, 10);
        let check = |entries: &[Redirect]| {
            let hdr = HotfixTableHeader::new(&g, 0, entries);
            // Not encode_table: it asserts sorted input.
            let mut region = vec![0u8; g.region_sectors as usize * 512];
            encode_entries(entries, &mut region);
            decode_table(&region, &hdr, 1000).unwrap_err()
        };
        let r = |logical_sector, slot| Redirect {
            logical_sector,
            slot,
        };
        let e = check(&[r(0, 0), r(12, 1)]);
        assert_eq!(
            (e.field(), e.structure()),
            ("logical sector", "hot-fix table entry 1")
        );
        assert_eq!(check(&[r(1000, 0)]).field(), "logical sector");
        assert_eq!(check(&[r(8, 0), r(0, 1)]).field(), "logical sector");
        assert_eq!(check(&[r(8, 0), r(8, 1)]).field(), "logical sector");
        assert_eq!(check(&[r(8, 10)]).field(), "slot");
        assert_eq!(check(&[r(8, 3), r(16, 3)]).field(), "slot");
        // CRC over the entries.
        let entries = [r(8, 3)];
        let hdr = HotfixTableHeader::new(&g, 0, &entries);
        let mut region = encode_table(&entries, g.region_sectors);
        region[0] = 16;
        assert_eq!(
            decode_table(&region, &hdr, 1000).unwrap_err().field(),
            "entries CRC"
        );
        // A region shorter than the entries in use.
        assert_eq!(
            decode_table(&region[..7], &hdr, 1000).unwrap_err().field(),
            "length"
        );
    }

    #[test]
    #[should_panic(expected = "do not fit")]
    fn encode_table_refuses_overflow() {
        let entries = vec![Redirect::default(); 65];
        encode_table(&entries, 1);
    }
}
