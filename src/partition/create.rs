//! Writing a new NetWare partition's own structures (not the mirrored
//! logical partition): MBR, marker, nwvol extension, write-intent record,
//! the four hot-fix/mirror header copies and the empty hot-fix table.

use std::io::IoSlice;

use crate::device::Device;

use super::SECTOR;
use crate::error::Result;
use crate::layout::ext::ExtHeader;
use crate::layout::hotfix::{
    HOTFIX_COPIES, HOTFIX_COPY_SECTORS, HOTFIX_FIRST_SECTOR, HotfixHeader, HotfixTableHeader,
    PoolGeometry, UNIT_SECTORS,
};
use crate::layout::marker::PartitionMarker;
use crate::layout::mbr::Mbr;
use crate::layout::mirror::MirrorHeader;
use crate::layout::time::DosTime;
use crate::layout::wib::{WIB_BITMAP_BYTES, WibHeader};

use super::plan::PartitionGeometry;

/// Everything that identifies a new partition.
#[derive(Debug, Clone)]
pub struct NewPartition {
    /// Where its parts go.
    pub geometry: PartitionGeometry,
    /// Its ID (hot-fix header).
    pub partition_id: u32,
    /// Logical partition size: the group's (smallest member's) data sectors.
    pub data_sectors: u32,
    /// MBR disk signature.
    pub disk_signature: u32,
    /// Creation time.
    pub created: DosTime,
    /// The group's mirror table as this member stores it.
    pub mirror: MirrorHeader,
}

/// A random non-zero u32 from the kernel (partition, group and disk IDs).
pub fn random_u32() -> u32 {
    loop {
        let mut b = [0u8; 4];
        // SAFETY: b is a valid 4-byte buffer for the call's duration.
        let n = unsafe { libc::getrandom(b.as_mut_ptr().cast(), 4, 0) };
        let v = if n == 4 {
            u32::from_le_bytes(b)
        } else {
            // getrandom cannot fail for 4 bytes on Linux >= 3.17; fall back
            // to the clock rather than panic.
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u32)
                .unwrap_or(0x4e57_564f);
            t ^ std::process::id().rotate_left(16)
        };
        if v != 0 && v != u32::MAX {
            return v;
        }
    }
}

/// The hot-fix table header for an empty table in copy `copy`.
pub fn empty_table_header(pool: &PoolGeometry, copy: usize) -> HotfixTableHeader {
    HotfixTableHeader {
        unit_sectors: UNIT_SECTORS,
        slots: pool.slots,
        used: 0,
        region_first_sector: pool.region_first_sector(copy),
        region_sectors: pool.region_sectors,
        entries_crc: crc32fast::hash(&[]),
    }
}

/// Writes the partition's own structures to `dev` (not synced).
pub fn write_partition(dev: &dyn Device, p: &NewPartition) -> Result<()> {
    let g = &p.geometry;
    let start = g.start_lba as u64 * SECTOR;
    let mbr = Mbr::new_netware(p.disk_signature, g.start_lba, g.sectors);
    dev.write_at(&mbr.encode(), 0)?;
    let marker = PartitionMarker { sectors: g.sectors }.encode();
    let ext = ExtHeader::new(p.partition_id, p.created).encode();
    let wib = WibHeader::for_logical_bytes(p.data_sectors as u64 * SECTOR).encode();
    let bitmap = vec![0u8; WIB_BITMAP_BYTES];
    dev.write_vectored_at(
        &[
            IoSlice::new(&marker),
            IoSlice::new(&ext),
            IoSlice::new(&wib),
            IoSlice::new(&bitmap),
        ],
        start,
    )?;
    let hotfix = HotfixHeader {
        partition_id: p.partition_id,
        data_sectors: p.data_sectors,
        redir_sectors: g.redir_sectors,
    }
    .encode();
    let mirror = p.mirror.encode();
    let pool = PoolGeometry::for_redir_sectors(g.redir_sectors);
    let rest = vec![0u8; (HOTFIX_COPY_SECTORS as usize - 3) * SECTOR as usize];
    for c in 0..HOTFIX_COPIES {
        let table = empty_table_header(&pool, c).encode();
        let at = start + (HOTFIX_FIRST_SECTOR + c as u32 * HOTFIX_COPY_SECTORS) as u64 * SECTOR;
        dev.write_vectored_at(
            &[
                IoSlice::new(&hotfix),
                IoSlice::new(&mirror),
                IoSlice::new(&table),
                IoSlice::new(&rest),
            ],
            at,
        )?;
    }
    // Empty tables need no zeroing: a reader takes only the entries in use.
    Ok(())
}
