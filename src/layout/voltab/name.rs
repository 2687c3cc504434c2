//! Volume names: checking one given by a user, and the bounds of one
//! stored in a record.

use super::super::LayoutError;
use super::super::bytes::corrupt;
use super::{MAX_VOLUME_NAME, MIN_VOLUME_NAME};

/// True for a character a volume name may hold.
pub(super) fn volume_name_char(c: u8) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || b"_-$#@!%&()".contains(&c)
}

/// The bytes of a volume name stored in a record: the length byte at
/// `len_at` (2-15), the name from `name_at` (its characters are the
/// caller's to check).
pub(super) fn stored_name<'a>(
    b: &'a [u8],
    len_at: usize,
    name_at: usize,
    structure: &str,
) -> Result<&'a [u8], LayoutError> {
    let len = usize::from(b[len_at]);
    if !(MIN_VOLUME_NAME..=MAX_VOLUME_NAME).contains(&len) {
        return Err(corrupt(
            structure,
            "name length",
            format!("{len}, expected {MIN_VOLUME_NAME}-{MAX_VOLUME_NAME}"),
        ));
    }
    Ok(&b[name_at..name_at + len])
}

/// Bytes of the name field of a volume table entry or record.
const NAME_FIELD: usize = 19;

/// Stores `name` as [`stored_name`] reads it: its length byte at
/// `len_at`, its bytes from `name_at` (cut to the name field's bytes).
pub(super) fn put_stored_name(b: &mut [u8], len_at: usize, name_at: usize, name: &str) {
    let name = name.as_bytes();
    let n = name.len().min(NAME_FIELD);
    b[len_at] = n as u8;
    b[name_at..name_at + n].copy_from_slice(&name[..n]);
}

/// Checks a volume name given by a user: returns it upper-cased, 2-15
/// characters of `A-Z 0-9 _ - $ # @ ! % & ( )`.
pub fn validate_volume_name(name: &str) -> Result<String, LayoutError> {
    let up = name.to_ascii_uppercase();
    let s = format!("volume name {name:?}");
    if !(MIN_VOLUME_NAME..=MAX_VOLUME_NAME).contains(&up.len()) {
        return Err(corrupt(
            s,
            "length",
            format!(
                "{} characters, expected {MIN_VOLUME_NAME}-{MAX_VOLUME_NAME}",
                up.chars().count()
            ),
        ));
    }
    if let Some(c) = up
        .chars()
        .find(|&c| !c.is_ascii() || !volume_name_char(c as u8))
    {
        return Err(corrupt(
            s,
            "name",
            format!("{c:?} is not allowed (A-Z 0-9 _ - $ # @ ! % & ( ))"),
        ));
    }
    Ok(up)
}
