//! Image files cut short (a copy that stopped, a full disk): the MBR's
//! NetWare partition runs past the end of the file. Assembly refuses such
//! a member; verify reports it and, with `--repair`, gives the file its
//! length back (the lost tail reads as zeros) so the mirror check can
//! rewrite the lost bytes from a good member.

use std::path::Path;

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
/// (a block device, a file that is whole, something not NetWare).
pub fn truncated_image(path: &Path) -> Option<Truncated> {
    use std::io::Read;
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    let mut s0 = [0u8; 512];
    std::fs::File::open(path).ok()?.read_exact(&mut s0).ok()?;
    let mbr = Mbr::decode(&s0).ok()?;
    let (_, e) = mbr.netware()?;
    let need = (u64::from(e.start_lba) + u64::from(e.sectors)) * 512;
    (meta.len() < need).then_some(Truncated {
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
