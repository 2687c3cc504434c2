//! Packed DOS date/time stamps (FORMAT.md "DOS timestamp"), in UTC.
//!
//! High 16 bits the date (bits 9-15 year - 1980, 5-8 month, 0-4 day), low 16
//! bits the time (bits 11-15 hour, 5-10 minute, 0-4 seconds / 2). Zero means
//! "not set". The civil-date math is Howard Hinnant's `days_from_civil`
//! algorithm, so no calendar crate is needed.

use std::fmt;

/// First year a DOS timestamp can hold.
pub const DOS_FIRST_YEAR: i64 = 1980;
/// Last year a DOS timestamp can hold (7-bit year field).
pub const DOS_LAST_YEAR: i64 = 2107;

const SECS_PER_DAY: i64 = 86_400;

/// A packed DOS date/time; 0 = not set.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default, serde::Serialize)]
pub struct DosTime(pub u32);

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a day count from 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// True for a Gregorian leap year.
pub fn is_leap_year(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// Days in month `m` (1-12) of year `y`; 0 for a month out of range.
pub fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Unix time of the first second a DOS timestamp can hold.
const MIN_UNIX: i64 = 3652 * SECS_PER_DAY; // 1980-01-01 00:00:00

/// Unix time of the last (even) second a DOS timestamp can hold.
fn max_unix() -> i64 {
    days_from_civil(DOS_LAST_YEAR, 12, 31) * SECS_PER_DAY + SECS_PER_DAY - 2
}

impl DosTime {
    /// Packs a Unix time (UTC), clamped to 1980-01-01..2107-12-31 and
    /// rounded down to an even second (DOS keeps seconds / 2).
    pub fn from_unix(secs: i64) -> DosTime {
        let secs = secs.clamp(MIN_UNIX, max_unix());
        let secs = secs - secs.rem_euclid(2);
        let (y, m, d) = civil_from_days(secs.div_euclid(SECS_PER_DAY));
        let t = secs.rem_euclid(SECS_PER_DAY) as u32;
        Self::pack(
            (y - DOS_FIRST_YEAR) as u32,
            m,
            d,
            t / 3600,
            t / 60 % 60,
            t % 60,
        )
    }

    /// Packs a civil date and time; None when it is not a real date/time or
    /// lies outside 1980..=2107. Odd seconds round down.
    pub fn from_parts(
        year: i64,
        month: u32,
        day: u32,
        hour: u32,
        minute: u32,
        second: u32,
    ) -> Option<DosTime> {
        let ok = (DOS_FIRST_YEAR..=DOS_LAST_YEAR).contains(&year)
            && (1..=days_in_month(year, month)).contains(&day)
            && hour < 24
            && minute < 60
            && second < 60;
        ok.then(|| {
            Self::pack(
                (year - DOS_FIRST_YEAR) as u32,
                month,
                day,
                hour,
                minute,
                second,
            )
        })
    }

    fn pack(y: u32, m: u32, d: u32, h: u32, mi: u32, s: u32) -> DosTime {
        DosTime((y << 25) | (m << 21) | (d << 16) | (h << 11) | (mi << 5) | (s / 2))
    }

    /// The raw fields: (year, month, day, hour, minute, second), unchecked,
    /// so that a damaged stamp can still be shown.
    pub fn parts(self) -> (i64, u32, u32, u32, u32, u32) {
        let v = self.0;
        (
            DOS_FIRST_YEAR + i64::from(v >> 25),
            (v >> 21) & 0xF,
            (v >> 16) & 0x1F,
            (v >> 11) & 0x1F,
            (v >> 5) & 0x3F,
            (v & 0x1F) * 2,
        )
    }

    /// True when set (non-zero) and a real date and time.
    pub fn is_valid(self) -> bool {
        let (y, m, d, h, mi, s) = self.parts();
        self.0 != 0 && (1..=days_in_month(y, m)).contains(&d) && h < 24 && mi < 60 && s < 60
    }

    /// Unix time (UTC); None when not set or not a real date/time.
    pub fn to_unix(self) -> Option<i64> {
        if !self.is_valid() {
            return None;
        }
        let (y, m, d, h, mi, s) = self.parts();
        Some(days_from_civil(y, m, d) * SECS_PER_DAY + i64::from(h * 3600 + mi * 60 + s))
    }

    /// The current time.
    pub fn now() -> DosTime {
        let secs = match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            Err(_) => 0, // a clock before 1970 clamps to 1980 anyway
        };
        DosTime::from_unix(secs)
    }
}

impl fmt::Display for DosTime {
    /// "YYYY-MM-DD HH:MM:SS", "-" when not set; a damaged stamp shows its
    /// raw fields so that it can be recognised.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.pad("-");
        }
        let (y, m, d, h, mi, s) = self.parts();
        f.pad(&format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn civil_math_matches_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(1980, 1, 1), 3652);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        for z in -800_000..800_000 {
            if z % 997 != 0 {
                continue;
            }
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }

    #[test]
    fn golden_bits() {
        // 2024-02-29 13:45:58: year 44, month 2, day 29, 13:45, 29 * 2 s.
        let want = (44 << 25) | (2 << 21) | (29 << 16) | (13 << 11) | (45 << 5) | 29;
        let t = DosTime::from_parts(2024, 2, 29, 13, 45, 58).unwrap();
        assert_eq!(t.0, want);
        assert_eq!(t.to_string(), "2024-02-29 13:45:58");
        assert_eq!(t.to_unix(), Some(1_709_214_358));
        assert_eq!(DosTime::from_unix(1_709_214_358), t);
        assert_eq!(
            DosTime::from_unix(1_709_214_359),
            t,
            "odd seconds round down"
        );
    }

    #[test]
    fn first_and_last_representable() {
        let first = DosTime::from_unix(315_532_800);
        assert_eq!(first.0, (1 << 21) | (1 << 16));
        assert_eq!(first.to_string(), "1980-01-01 00:00:00");
        assert_eq!(first.to_unix(), Some(315_532_800));
        let last = DosTime::from_parts(2107, 12, 31, 23, 59, 58).unwrap();
        assert_eq!(
            last.0,
            (127 << 25) | (12 << 21) | (31 << 16) | (23 << 11) | (59 << 5) | 29
        );
        assert_eq!(DosTime::from_unix(last.to_unix().unwrap()), last);
    }

    #[test]
    fn clamps_outside_the_range() {
        let first = DosTime::from_parts(1980, 1, 1, 0, 0, 0).unwrap();
        let last = DosTime::from_parts(2107, 12, 31, 23, 59, 58).unwrap();
        assert_eq!(DosTime::from_unix(0), first);
        assert_eq!(DosTime::from_unix(i64::MIN), first);
        assert_eq!(DosTime::from_unix(315_532_799), first);
        assert_eq!(DosTime::from_unix(i64::MAX), last);
        assert_eq!(DosTime::from_unix(4_354_819_200), last, "2108-01-01");
        assert_eq!(DosTime::from_parts(1979, 12, 31, 0, 0, 0), None);
        assert_eq!(DosTime::from_parts(2108, 1, 1, 0, 0, 0), None);
    }

    #[test]
    fn leap_years() {
        assert!(
            DosTime::from_parts(2000, 2, 29, 0, 0, 0).is_some(),
            "400 rule"
        );
        assert!(
            DosTime::from_parts(2100, 2, 29, 0, 0, 0).is_none(),
            "100 rule"
        );
        assert!(DosTime::from_parts(1980, 2, 29, 0, 0, 0).is_some());
        assert!(DosTime::from_parts(1981, 2, 29, 0, 0, 0).is_none());
        assert!(DosTime::from_parts(2104, 2, 29, 0, 0, 0).is_some());
        // Raw stamp for 2100-02-29 is not valid.
        let raw = DosTime((120 << 25) | (2 << 21) | (29 << 16));
        assert!(!raw.is_valid());
        assert_eq!(raw.to_unix(), None);
        // The day after 2100-02-28 is 03-01.
        let feb28 = DosTime::from_parts(2100, 2, 28, 12, 0, 0).unwrap();
        let next = DosTime::from_unix(feb28.to_unix().unwrap() + SECS_PER_DAY);
        assert_eq!(next.to_string(), "2100-03-01 12:00:00");
    }

    #[test]
    fn invalid_fields_are_rejected() {
        let date = |y: u32, m: u32, d: u32| DosTime((y << 25) | (m << 21) | (d << 16) | 1);
        assert!(date(0, 1, 1).is_valid());
        assert!(!date(0, 0, 1).is_valid(), "month 0");
        assert!(!date(0, 13, 1).is_valid(), "month 13");
        assert!(!date(0, 15, 1).is_valid(), "month 15");
        assert!(!date(0, 1, 0).is_valid(), "day 0");
        assert!(!date(0, 4, 31).is_valid(), "April 31");
        let time =
            |h: u32, m: u32, s2: u32| DosTime((1 << 21) | (1 << 16) | (h << 11) | (m << 5) | s2);
        assert!(time(23, 59, 29).is_valid());
        assert!(!time(24, 0, 0).is_valid(), "hour 24");
        assert!(!time(0, 60, 0).is_valid(), "minute 60");
        assert!(!time(0, 0, 30).is_valid(), "second 60");
        assert_eq!(time(24, 0, 0).to_unix(), None);
        assert_eq!(DosTime::from_parts(2000, 13, 1, 0, 0, 0), None);
        assert_eq!(DosTime::from_parts(2000, 0, 1, 0, 0, 0), None);
        assert_eq!(DosTime::from_parts(2000, 1, 1, 24, 0, 0), None);
    }

    #[test]
    fn zero_is_unset() {
        assert!(!DosTime(0).is_valid());
        assert_eq!(DosTime(0).to_unix(), None);
        assert_eq!(DosTime(0).to_string(), "-");
        assert_eq!(DosTime::default(), DosTime(0));
        assert_eq!(format!("{:>3}", DosTime(0)), "  -");
    }

    #[test]
    fn damaged_stamp_displays_raw_fields() {
        let t = DosTime((13 << 21) | (1 << 16)); // year 1980, month 13
        assert_eq!(t.to_string(), "1980-13-01 00:00:00");
    }

    #[test]
    fn now_is_valid() {
        assert!(DosTime::now().is_valid());
    }

    proptest! {
        #[test]
        fn unix_round_trip(secs in MIN_UNIX..=4_354_819_198i64) {
            let t = DosTime::from_unix(secs);
            prop_assert!(t.is_valid());
            prop_assert_eq!(t.to_unix(), Some(secs - secs.rem_euclid(2)));
        }

        #[test]
        fn any_raw_value_never_panics(v in any::<u32>()) {
            let t = DosTime(v);
            let _ = t.to_string();
            if let Some(s) = t.to_unix() {
                prop_assert_eq!(DosTime::from_unix(s), t);
            }
        }

        #[test]
        fn any_unix_value_clamps(secs in any::<i64>()) {
            prop_assert!(DosTime::from_unix(secs).is_valid());
        }
    }
}
