//! Sizes as people write them: "512M", "1.5G", "4KiB"; and back.
//!
//! A unit letter alone or with "iB" is binary: K = 1024, M = 1024², G, T,
//! P, E ("1G", "1g", "1GiB" are all 2^30), as in dd, lvm and mdadm. With
//! "B" alone it is decimal, as disk makers and SI write it: "1GB" is 10^9
//! bytes, "1KB" 1000. Upper or lower case.
//!
//! And the one size every layer shares: the [`SECTOR`].

/// Bytes of a sector: the unit every on-disk address of the format counts
/// in, and the smallest I/O a device is aligned to. The one definition of
/// the sector size (`layout::SECTOR` is this one); here, below every layer,
/// because the device layer needs it too.
pub const SECTOR: usize = 512;

const UNITS: [(&str, u32); 7] = [
    ("", 0),
    ("K", 10),
    ("M", 20),
    ("G", 30),
    ("T", 40),
    ("P", 50),
    ("E", 60),
];

/// Parses a size such as "100", "4K", "512M", "1.5G", "1GiB" (binary) or
/// "1GB", "500MB" (decimal) into bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty size: expected a number with an optional unit (e.g. 512M, 1.5G)".into());
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let unit = unit.trim();
    let bad = || {
        format!(
            "invalid size \"{s}\": expected a number with an optional unit K, M, G, T, P or E \
             (binary, also KiB, MiB...) or KB, MB, GB... (decimal), e.g. 4K, 512M, 1.5G, 2GB"
        )
    };
    let mult = parse_unit(unit).ok_or_else(bad)?;
    let (int, frac) = match num.split_once('.') {
        Some((i, f)) => (i, f),
        None => (num, ""),
    };
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|c| c.is_ascii_digit())
        || !frac.bytes().all(|c| c.is_ascii_digit())
    {
        return Err(bad());
    }
    let too_large = || format!("size \"{s}\" is too large (the most is 16 EiB - 1 byte)");
    let int_val: u128 = if int.is_empty() {
        0
    } else {
        let trimmed = int.trim_start_matches('0');
        if trimmed.len() > 20 {
            return Err(too_large());
        }
        if trimmed.is_empty() {
            0
        } else {
            trimmed.parse().map_err(|_| too_large())?
        }
    };
    let mut bytes = int_val * mult;
    let frac = frac.trim_end_matches('0');
    if !frac.is_empty() {
        if frac.len() > 18 {
            return Err(format!(
                "size \"{s}\" has too many decimal places to be a whole number of bytes"
            ));
        }
        let f: u128 = frac.parse().map_err(|_| bad())?;
        let den = 10u128.pow(frac.len() as u32);
        let num = f * mult;
        if !num.is_multiple_of(den) {
            return Err(format!(
                "size \"{s}\" is not a whole number of bytes; give it in a smaller unit"
            ));
        }
        bytes += num / den;
    }
    u64::try_from(bytes).map_err(|_| too_large())
}

/// The bytes of one of a unit suffix, or None when unknown: `G`, `GiB`
/// binary (2^30), `GB` decimal (10^9).
fn parse_unit(unit: &str) -> Option<u128> {
    let u = unit.to_ascii_uppercase();
    if u.is_empty() || u == "B" {
        return Some(1);
    }
    let (stem, decimal) = match u.strip_suffix("IB") {
        Some(stem) => (stem, false),
        None => match u.strip_suffix('B') {
            Some(stem) => (stem, true),
            None => (u.as_str(), false),
        },
    };
    let power = UNITS
        .iter()
        .position(|(name, _)| !name.is_empty() && *name == stem)?;
    Some(if decimal {
        1000u128.pow(power as u32)
    } else {
        1u128 << UNITS[power].1
    })
}

/// Formats bytes for people: "17 B", "4.0 KiB", "512 MiB", "1.5 GiB".
///
/// One decimal below 10 of a unit, none from 10 on.
pub fn format_size(bytes: u64) -> String {
    let Some((value, unit)) = in_binary_unit(bytes) else {
        return format!("{bytes} B");
    };
    if value < 9.95 {
        format!("{value:.1} {unit}")
    } else {
        format!("{value:.0} {unit}")
    }
}

/// Formats bytes with one decimal in binary units: "97.6 MiB" (a
/// transfer's summary), "10 B" below 1 KiB.
pub fn format_size_tenths(bytes: u64) -> String {
    match in_binary_unit(bytes) {
        Some((value, unit)) => format!("{value:.1} {unit}"),
        None => format!("{bytes} B"),
    }
}

/// `bytes` in the largest binary unit (KiB to EiB) it holds at least one
/// of, and that unit's name; `None` below 1 KiB.
fn in_binary_unit(bytes: u64) -> Option<(f64, &'static str)> {
    if bytes < 1024 {
        return None;
    }
    let names = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut idx = 0;
    while idx + 1 < names.len() && bytes >= 1u64 << (10 * (idx + 2)) {
        idx += 1;
    }
    Some((bytes as f64 / (1u64 << (10 * (idx + 1))) as f64, names[idx]))
}

/// Two sizes to be told apart in one message ("asks for 1.0 GiB but only
/// 62 MiB are left"): in human units, or both in bytes when the units
/// would show them alike.
pub fn format_size_pair(a: u64, b: u64) -> (String, String) {
    let (fa, fb) = (format_size(a), format_size(b));
    if fa == fb && a != b {
        (format!("{a} bytes"), format!("{b} bytes"))
    } else {
        (fa, fb)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_examples() {
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("4K"), Ok(4096));
        assert_eq!(parse_size("4k"), Ok(4096));
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("1gb"), Ok(1_000_000_000));
        assert_eq!(parse_size("1GB"), Ok(1_000_000_000));
        assert_eq!(parse_size("1.5GB"), Ok(1_500_000_000));
        assert_eq!(parse_size("500MB"), Ok(500_000_000));
        assert_eq!(parse_size("4KB"), Ok(4000));
        assert_eq!(parse_size("2TB"), Ok(2_000_000_000_000));
        assert_eq!(parse_size("1EB"), Ok(10u64.pow(18)));
        assert_eq!(parse_size("4KiB"), Ok(4096));
        assert_eq!(parse_size("1MiB"), Ok(1 << 20));
        assert_eq!(parse_size("1.5G"), Ok(3 << 29));
        assert_eq!(parse_size("2T"), Ok(2 << 40));
        assert_eq!(parse_size(" 1 G "), Ok(1 << 30));
        assert_eq!(parse_size("1.0 GiB"), Ok(1 << 30));
        assert_eq!(parse_size("100B"), Ok(100));
        assert_eq!(parse_size(".5K"), Ok(512));
        assert_eq!(parse_size("1.25K"), Ok(1280));
        assert_eq!(parse_size("15E"), Ok(15 << 60));
        assert_eq!(parse_size("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(parse_size("000001K"), Ok(1024));
    }

    #[test]
    fn rejects_bad_input() {
        for bad in [
            "", "  ", "abc", "-1", "1X", "512s", "1..5G", ".", "1.5.G", "G", "1 2", "0x10", "1e3",
        ] {
            let e = parse_size(bad).unwrap_err();
            assert!(e.contains("size"), "{bad}: {e}");
        }
        assert!(parse_size("1.1K").unwrap_err().contains("whole number"));
        assert!(parse_size("1.5").unwrap_err().contains("whole number"));
        assert!(parse_size("16E").unwrap_err().contains("too large"));
        assert!(
            parse_size("18446744073709551616")
                .unwrap_err()
                .contains("too large")
        );
        assert!(
            parse_size("99999999999999999999999999T")
                .unwrap_err()
                .contains("too large")
        );
        assert!(parse_size("1.0000000000000000000001G").is_err());
    }

    #[test]
    fn formats_examples() {
        assert_eq!(format_size(0), "0 B");
        assert_eq!(format_size(17), "17 B");
        assert_eq!(format_size(1023), "1023 B");
        assert_eq!(format_size(4096), "4.0 KiB");
        assert_eq!(format_size(1 << 30), "1.0 GiB");
        assert_eq!(format_size(512 << 20), "512 MiB");
        assert_eq!(format_size(3 << 29), "1.5 GiB");
        assert_eq!(format_size((1 << 20) - 1), "1024 KiB");
        assert_eq!(format_size(u64::MAX), "16 EiB");
        assert_eq!(format_size_tenths(102_340_000), "97.6 MiB");
        assert_eq!(format_size_tenths(10), "10 B");
    }

    #[test]
    fn pairs_stay_apart() {
        assert_eq!(
            format_size_pair(1 << 30, 64_592_896),
            ("1.0 GiB".to_string(), "62 MiB".to_string())
        );
        assert_eq!(
            format_size_pair(3 << 29, (3 << 29) + (1 << 20)),
            (
                "1610612736 bytes".to_string(),
                "1611661312 bytes".to_string()
            )
        );
        assert_eq!(format_size_pair(512, 512), ("512 B".into(), "512 B".into()));
    }

    proptest! {
        #[test]
        fn number_and_unit_round_trip(n in 0u64..1 << 20, u in 0usize..5) {
            let (name, shift) = UNITS[u];
            prop_assert_eq!(parse_size(&format!("{n}{name}")), Ok(n << shift));
            if !name.is_empty() {
                prop_assert_eq!(parse_size(&format!("{n}{}iB", name.to_lowercase())), Ok(n << shift));
            }
        }

        #[test]
        fn format_of_exact_multiples_parses_back(k in 1u64..1024, u in 0usize..7) {
            let shift = UNITS[u].1;
            prop_assume!(k < 1u64 << (64 - shift).min(63));
            let x = k << shift;
            prop_assert_eq!(parse_size(&format_size(x)), Ok(x));
        }

        #[test]
        fn never_panics(s in "\\PC{0,30}") {
            let _ = parse_size(&s);
        }
    }
}
