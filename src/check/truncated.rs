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

use crate::layout::marker::PartitionMarker;
use crate::layout::mbr::Mbr;

/// An image file shorter than the partition its MBR describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncated {
    /// Bytes the file has.
    pub have: u64,
    /// Bytes the partition needs.
    pub need: u64,
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
    let mut s0 = [0u8; 512];
    file.read_exact_at(&mut s0, 0).ok()?;
    let mbr = Mbr::decode(&s0).ok()?;
    let (_, e) = mbr.netware()?;
    let need = (u64::from(e.start_lba) + u64::from(e.sectors)) * 512;
    if meta.len() >= need {
        return None;
    }
    let mut marker = [0u8; 512];
    file.read_exact_at(&mut marker, u64::from(e.start_lba) * 512)
        .ok()?;
    let m = PartitionMarker::decode(&marker).ok()?;
    (m.sectors == e.sectors).then_some(Truncated {
        have: meta.len(),
        need,
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
