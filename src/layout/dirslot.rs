//! What every 128-byte slot of the directory table shares, whatever it
//! holds (a file, a directory, a long-name record): its size, the first
//! u32 values reserved for nwvol's records, and the DOS name rule. Below
//! both `dirent.rs` and `longname.rs`, so that neither imports the other
//! for them; `dirent` re-exports them.

/// Bytes of one directory entry.
pub const DIRENT_BYTES: usize = 128;
/// Lowest first u32 reserved for nwvol records.
pub const PARENT_RESERVED_FIRST: u32 = 0xFFFF_FFF0;
/// Highest first u32 reserved for nwvol records.
pub const PARENT_RESERVED_LAST: u32 = 0xFFFF_FFFC;
/// Longest DOS name ("12345678.123").
pub const MAX_DOS_NAME: usize = 12;

/// True for a DOS 8.3 name as stored: 1-12 characters, upper case, a base
/// of 1-8 and an optional extension of 1-3 after one dot, printable ASCII
/// without spaces and without `"*+,/:;<=>?[\]|`.
pub fn valid_dos_name(name: &str) -> bool {
    let ok_char = |c: u8| {
        c.is_ascii_graphic() && !c.is_ascii_lowercase() && !b"\"*+,/:;<=>?[\\]|.".contains(&c)
    };
    let (base, ext) = match name.split_once('.') {
        Some((b, e)) => (b, Some(e)),
        None => (name, None),
    };
    (1..=8).contains(&base.len())
        && ext.is_none_or(|e| (1..=3).contains(&e.len()))
        && base.bytes().chain(ext.unwrap_or("").bytes()).all(ok_char)
}
