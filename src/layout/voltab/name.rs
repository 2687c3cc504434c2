//! Checking a volume name given by a user.

use super::super::LayoutError;
use super::super::bytes::corrupt;
use super::{MAX_VOLUME_NAME, MIN_VOLUME_NAME};

/// True for a character a volume name may hold.
pub(super) fn volume_name_char(c: u8) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || b"_-$#@!%&()".contains(&c)
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
