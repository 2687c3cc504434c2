//! Format-time geometry of one NetWare partition: a pure function of the
//! device size and the requested hot-fix pool, tested by sweeping sizes.

use crate::layout::hotfix::{HOTFIX_FIRST_SECTOR, POOL_FIRST_SECTOR, PoolGeometry, UNIT_SECTORS};

use super::SECTOR;
use crate::layout::mbr::NETWARE_START_LBA;
use crate::layout::voltab::VOLTAB_SECTORS;
use crate::units::format_size;

/// A size for a message: exact bytes below 1 MiB ("511 bytes"), where
/// rounding would hide what is wrong; human units above.
fn shown_size(bytes: u64) -> String {
    if bytes < 1 << 20 {
        format!("{bytes} bytes")
    } else {
        format_size(bytes)
    }
}

/// Where the parts of a new partition go, in sectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartitionGeometry {
    /// First device sector of the partition (the MBR entry's start LBA).
    pub start_lba: u32,
    /// Sectors in the partition (the MBR entry's count).
    pub sectors: u32,
    /// Redirection sectors `R` (header copies plus pool).
    pub redir_sectors: u32,
    /// Data sectors `D`: the logical partition this device can hold.
    pub data_sectors: u32,
}

/// Smallest logical partition nwvol formats: the volume table plus 1 MiB.
pub const MIN_DATA_SECTORS: u32 = VOLTAB_SECTORS + 2048;

/// Sectors in 1 GiB: from this partition size on, the logical partition is
/// aligned to 1 MiB.
const GIB_SECTORS: u64 = 2 * 1024 * 1024;

/// Largest device a partition uses whole: the MBR entry counts at most
/// 2^32 - 1 sectors after the partition's start (about 2 TiB). A larger
/// device works, but nothing past this is used.
pub const MAX_USED_DEVICE_BYTES: u64 = (NETWARE_START_LBA as u64 + u32::MAX as u64) * SECTOR;

/// Why a geometry could not be planned.
enum Unplanned {
    /// The device is smaller than the partition needs.
    TooSmall,
    /// Any other reason, said.
    Other(String),
}

impl PartitionGeometry {
    /// Plans a partition on a device of `device_bytes` (a trailing partial
    /// sector is ignored), with a hot-fix pool of `pool_bytes` (None: about
    /// 2% of the partition). A device too small says how much is needed,
    /// in human units.
    pub fn plan(device_bytes: u64, pool_bytes: Option<u64>) -> Result<PartitionGeometry, String> {
        Self::lay_out(device_bytes, pool_bytes).map_err(|e| match e {
            Unplanned::TooSmall => match Self::min_device_bytes(pool_bytes) {
                Some(min) => format!(
                    "too small ({}; a NetWare partition needs at least {})",
                    shown_size(device_bytes),
                    format_size(min)
                ),
                None => format!("too small ({})", shown_size(device_bytes)),
            },
            Unplanned::Other(s) => s,
        })
    }

    /// The smallest device a partition with a hot-fix pool of `pool_bytes`
    /// fits on; None when none up to the MBR's limit does.
    pub fn min_device_bytes(pool_bytes: Option<u64>) -> Option<u64> {
        let fits = |sectors: u64| Self::lay_out(sectors * SECTOR, pool_bytes).is_ok();
        let (mut lo, mut hi) = (NETWARE_START_LBA as u64, MAX_USED_DEVICE_BYTES / SECTOR);
        if !fits(hi) {
            return None;
        }
        // Bigger devices only get more room: the first size that fits.
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if fits(mid) { hi = mid } else { lo = mid }
        }
        Some(hi * SECTOR)
    }

    fn lay_out(device_bytes: u64, pool_bytes: Option<u64>) -> Result<PartitionGeometry, Unplanned> {
        let device_sectors = device_bytes / SECTOR;
        let start = NETWARE_START_LBA as u64;
        if device_sectors <= start {
            return Err(Unplanned::TooSmall);
        }
        // An MBR entry addresses at most 2^32 - 1 sectors.
        let sectors = (device_sectors - start).min(u32::MAX as u64);
        let unit = UNIT_SECTORS as u64;
        let pool = match pool_bytes {
            Some(0) => {
                return Err(Unplanned::Other(
                    "the hot-fix pool must be larger than 0".into(),
                ));
            }
            Some(b) => b.div_ceil(SECTOR).div_ceil(unit) * unit,
            None => {
                let p = (sectors * 2).div_ceil(100).div_ceil(unit) * unit;
                p.max(2 * unit)
            }
        };
        // The pool needs room for 4 table regions and one slot.
        let pool = pool.max(2 * unit);
        let mut redir = (POOL_FIRST_SECTOR - HOTFIX_FIRST_SECTOR) as u64 + pool;
        if pool_bytes.is_none() && sectors >= GIB_SECTORS {
            let data_start = HOTFIX_FIRST_SECTOR as u64 + redir;
            redir = data_start.div_ceil(2048) * 2048 - HOTFIX_FIRST_SECTOR as u64;
        }
        let used = HOTFIX_FIRST_SECTOR as u64 + redir;
        if used + MIN_DATA_SECTORS as u64 > sectors {
            return Err(Unplanned::TooSmall);
        }
        let data = (sectors - used) / unit * unit;
        let redir = u32::try_from(redir)
            .map_err(|_| Unplanned::Other("hot-fix pool too large".to_string()))?;
        if PoolGeometry::for_redir_sectors(redir).slots == 0 {
            return Err(Unplanned::Other(
                "hot-fix pool too small for one slot".into(),
            ));
        }
        Ok(PartitionGeometry {
            start_lba: NETWARE_START_LBA,
            sectors: sectors as u32,
            redir_sectors: redir,
            data_sectors: data as u32,
        })
    }

    /// Device byte where the logical partition starts.
    pub fn logical_start_byte(&self) -> u64 {
        (self.start_lba as u64 + HOTFIX_FIRST_SECTOR as u64 + self.redir_sectors as u64) * SECTOR
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweep_sizes_keeps_invariants() {
        let mut size: u64 = 4 << 20;
        while size <= 4 << 40 {
            for pool in [None, Some(64 * 1024), Some(100 << 20)] {
                let Ok(g) = PartitionGeometry::plan(size, pool) else {
                    assert!(size < 256 << 20 || pool.is_some(), "plan failed for {size}");
                    continue;
                };
                assert_eq!(g.start_lba, 2048);
                assert!(g.start_lba as u64 + g.sectors as u64 <= size / 512);
                assert_eq!(g.redir_sectors % 8, 0);
                assert!(g.redir_sectors >= 128 + 16);
                assert_eq!(g.data_sectors % 8, 0);
                assert!(32 + g.redir_sectors as u64 + g.data_sectors as u64 <= g.sectors as u64);
                assert!(g.data_sectors >= MIN_DATA_SECTORS);
                assert_eq!(g.logical_start_byte() % 4096, 0);
                if pool.is_none() {
                    let pool_sectors = (g.redir_sectors - 128) as f64;
                    let frac = pool_sectors / g.sectors as f64;
                    assert!(frac >= 0.0199, "pool {frac} of {size}");
                    if g.sectors as u64 >= GIB_SECTORS {
                        assert_eq!(g.logical_start_byte() % (1 << 20), 0);
                        assert!(frac < 0.03, "pool {frac} of {size}");
                    }
                }
            }
            size = size * 3 / 2 + 512;
        }
    }

    #[test]
    fn too_small_says_how_much_is_needed() {
        let min = PartitionGeometry::min_device_bytes(None).unwrap();
        assert!(PartitionGeometry::plan(min, None).is_ok());
        assert!(PartitionGeometry::plan(min - 512, None).is_err());
        let e = PartitionGeometry::plan(511, None).unwrap_err();
        assert_eq!(
            e,
            format!(
                "too small (511 bytes; a NetWare partition needs at least {})",
                format_size(min)
            )
        );
        let big_pool = PartitionGeometry::min_device_bytes(Some(100 << 20)).unwrap();
        assert!(big_pool > 100 << 20);
        let e = PartitionGeometry::plan(50 << 20, Some(100 << 20)).unwrap_err();
        assert!(e.contains("too small (50 MiB; "), "{e}");
    }

    #[test]
    fn two_tib_is_capped_by_mbr() {
        let g = PartitionGeometry::plan(3 << 40, None).unwrap();
        assert_eq!(g.sectors, u32::MAX);
    }

    #[test]
    fn tiny_devices_are_refused_with_a_reason() {
        assert!(
            PartitionGeometry::plan(512, None)
                .unwrap_err()
                .contains("too small")
        );
        assert!(
            PartitionGeometry::plan(1 << 20, None)
                .unwrap_err()
                .contains("too small")
        );
        assert!(
            PartitionGeometry::plan(2 << 20, None)
                .unwrap_err()
                .contains("too small")
        );
        assert!(PartitionGeometry::plan(64 << 20, Some(0)).is_err());
    }
}
