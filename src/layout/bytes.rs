//! Little helpers shared by the decoders: bounds-checked slices, integer
//! access at fixed offsets, CRCs and error constructors.
//!
//! The integer getters index directly: every decoder first takes its bytes
//! through [`need`], so the offsets (constants) are always in range.

use super::LayoutError;

/// A `Corrupt` error.
pub(crate) fn corrupt(
    structure: impl Into<String>,
    field: &'static str,
    reason: impl Into<String>,
) -> LayoutError {
    LayoutError::Corrupt {
        structure: structure.into(),
        field,
        reason: reason.into(),
    }
}

/// An `Unsupported` error.
pub(crate) fn unsupported(
    structure: impl Into<String>,
    field: &'static str,
    reason: impl Into<String>,
) -> LayoutError {
    LayoutError::Unsupported {
        structure: structure.into(),
        field,
        reason: reason.into(),
    }
}

/// The first `len` bytes of `b`, or a "too short" error naming `structure`.
pub(crate) fn need<'a>(b: &'a [u8], len: usize, structure: &str) -> Result<&'a [u8], LayoutError> {
    b.get(..len).ok_or_else(|| {
        corrupt(
            structure,
            "length",
            format!("too short: {} bytes, need {len}", b.len()),
        )
    })
}

/// Little-endian u16 at `off`.
pub(crate) fn le16(b: &[u8], off: usize) -> u16 {
    u16::from_le_bytes([b[off], b[off + 1]])
}

/// Little-endian u32 at `off`.
pub(crate) fn le32(b: &[u8], off: usize) -> u32 {
    u32::from_le_bytes(b[off..off + 4].try_into().expect("4 bytes"))
}

/// Big-endian u32 at `off`.
pub(crate) fn be32(b: &[u8], off: usize) -> u32 {
    u32::from_be_bytes(b[off..off + 4].try_into().expect("4 bytes"))
}

/// Little-endian u64 at `off`.
pub(crate) fn le64(b: &[u8], off: usize) -> u64 {
    u64::from_le_bytes(b[off..off + 8].try_into().expect("8 bytes"))
}

/// Writes a little-endian u16 at `off`.
pub(crate) fn put16(b: &mut [u8], off: usize, v: u16) {
    b[off..off + 2].copy_from_slice(&v.to_le_bytes());
}

/// Writes a little-endian u32 at `off`.
pub(crate) fn put32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_le_bytes());
}

/// Writes a big-endian u32 at `off`.
pub(crate) fn put32_be(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_be_bytes());
}

/// Writes a little-endian u64 at `off`.
pub(crate) fn put64(b: &mut [u8], off: usize, v: u64) {
    b[off..off + 8].copy_from_slice(&v.to_le_bytes());
}

/// CRC32 (IEEE, zlib's) of `b`.
pub(crate) fn crc32(b: &[u8]) -> u32 {
    crc32fast::hash(b)
}

/// Stores at `crc_off` the CRC32 of the bytes before it.
pub(crate) fn seal(b: &mut [u8], crc_off: usize) {
    let c = crc32(&b[..crc_off]);
    put32(b, crc_off, c);
}

/// Checks the CRC32 stored at `crc_off` against the bytes `from..crc_off`.
pub(crate) fn check_crc(
    b: &[u8],
    from: usize,
    crc_off: usize,
    structure: &str,
    field: &'static str,
) -> Result<(), LayoutError> {
    let want = le32(b, crc_off);
    let got = crc32(&b[from..crc_off]);
    if want != got {
        return Err(corrupt(
            structure,
            field,
            format!("stored {want:#010x}, computed {got:#010x}"),
        ));
    }
    Ok(())
}

/// Checks a field that has one right value: another is damage ("V,
/// expected W").
pub(crate) fn check_fixed<T: PartialEq + std::fmt::Display>(
    v: T,
    want: T,
    structure: &str,
    field: &'static str,
) -> Result<(), LayoutError> {
    if v != want {
        return Err(corrupt(structure, field, format!("{v}, expected {want}")));
    }
    Ok(())
}

/// Checks a format version: 0 is damage, above `max` is a newer format.
pub(crate) fn check_version(
    v: impl Into<u64>,
    max: impl Into<u64>,
    structure: &str,
    field: &'static str,
) -> Result<(), LayoutError> {
    let (v, max) = (v.into(), max.into());
    if v == 0 {
        return Err(corrupt(structure, field, "0"));
    }
    if v > max {
        return Err(unsupported(
            structure,
            field,
            format!("{v} (this nwvol knows up to {max})"),
        ));
    }
    Ok(())
}
