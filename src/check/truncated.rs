//! Image files cut short (a copy that stopped, a full disk): the MBR's
//! NetWare partition runs past the end of the file. Assembly refuses such
//! a member; verify reports it and, with `--repair`, gives the file its
//! length back (the lost tail reads as zeros) so the mirror check can
//! rewrite the lost bytes from a good member.
//!
//! The file counts as cut short only when the partition's own marker is
//! still in it and gives the MBR's sector count: an MBR count that is
//! itself damaged, or a file cut before the partition begins, is not a
//! length repair can give back (growing the file would not bring back a
//! partition), and assembly reports it as the error it is.

use std::path::Path;

use crate::layout::ext::ExtHeader;
use crate::layout::hotfix::{HOTFIX_FIRST_SECTOR, HotfixHeader};
use crate::layout::marker::PartitionMarker;
use crate::layout::mbr::Mbr;
use crate::units::SECTOR;

/// An image file shorter than the partition its MBR describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncated {
    /// Bytes the file has.
    pub have: u64,
    /// Bytes the partition needs.
    pub need: u64,
    /// The partition's ID, from its nwvol extension header (or hot-fix
    /// header copy 0) when that is still in the file: the mirror table
    /// of the other members lists it.
    pub partition_id: Option<u32>,
}

/// Whether `path` is a regular file cut short; None for anything else
/// (a block device, a file that is whole, something not NetWare, a file
/// whose partition marker is gone or disagrees with its MBR).
pub fn truncated_image(path: &Path) -> Option<Truncated> {
    use std::os::unix::fs::FileExt;
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let file = std::fs::File::open(path).ok()?;
    let mut s0 = [0u8; SECTOR];
    file.read_exact_at(&mut s0, 0).ok()?;
    let mbr = Mbr::decode(&s0).ok()?;
    let (_, e) = mbr.netware()?;
    let need = (u64::from(e.start_lba) + u64::from(e.sectors)) * SECTOR as u64;
    if meta.len() >= need {
        return None;
    }
    let mut marker = [0u8; SECTOR];
    file.read_exact_at(&mut marker, u64::from(e.start_lba) * SECTOR as u64)
        .ok()?;
    let m = PartitionMarker::decode(&marker).ok()?;
    if m.sectors != e.sectors {
        return None;
    }
    let start = u64::from(e.start_lba) * SECTOR as u64;
    let id = |sector: u64| {
        let mut b = [0u8; SECTOR];
        file.read_exact_at(&mut b, start + sector * SECTOR as u64)
            .ok()
            .map(|()| b)
    };
    let partition_id = id(1)
        .and_then(|b| ExtHeader::decode_opt(&b).ok().flatten())
        .map(|x| x.partition_id)
        .or_else(|| {
            id(u64::from(HOTFIX_FIRST_SECTOR))
                .and_then(|b| HotfixHeader::decode(&b).ok())
                .map(|h| h.partition_id)
        });
    Some(Truncated {
        have: meta.len(),
        need,
        partition_id,
    })
}

/// Gives a truncated image file its length back (sparse: the tail reads
/// as zeros).
pub fn restore_length(path: &Path, t: &Truncated) -> std::io::Result<()> {
    std::fs::OpenOptions::new()
        .write(true)
        .open(path)?
        .set_len(t.need)
}
