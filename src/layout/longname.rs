//! nwvol's long-name records (FORMAT.md "Long-name record"): directory
//! table entries with parent ID `0xFFFFFFFC` that carry the long name of
//! the file or directory entry they point at, in up to 3 pieces. Each
//! record repeats the DOS name of that entry, so that a record left over
//! from an earlier owner of the entry is recognised as stale.

use super::LayoutError;
use super::bytes::{
    check_crc, check_fixed, check_version, corrupt, le16, le32, need, put16, put32, seal,
};
use super::dirslot::{DIRENT_BYTES, MAX_DOS_NAME, PARENT_RESERVED_FIRST, valid_dos_name};

/// First u32 of a long-name record.
pub const PARENT_LONG_NAME: u32 = 0xFFFF_FFFC;
/// Version of the record layout.
pub const LONG_NAME_VERSION: u8 = 1;
/// Name bytes one record carries.
pub const LONG_NAME_PIECE: usize = 96;
/// Longest long name in UTF-8 bytes.
pub const MAX_LONG_NAME: usize = 255;
/// Most records one name takes: `ceil(255 / 96)`.
pub const MAX_LONG_NAME_RECORDS: usize = MAX_LONG_NAME.div_ceil(LONG_NAME_PIECE);

// Offsets.
const O_KIND: usize = 0;
const O_ENTRY: usize = 4;
const O_SEQ: usize = 8;
const O_COUNT: usize = 9;
const O_PIECE_LEN: usize = 10;
const O_VERSION: usize = 11;
const O_ALIAS: usize = 12;
const O_TOTAL: usize = 24;
const O_PIECE: usize = 28;
const O_CRC: usize = 124;

const S: &str = "long-name record";

/// One long-name record: piece `seq` of `count` of the long name of the
/// entry at index `entry` of the directory table.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LongNameRecord {
    /// Index in the directory table of the file or directory entry named.
    pub entry: u32,
    /// The DOS 8.3 name (alias) of that entry.
    pub alias: String,
    /// This piece's number (0 first).
    pub seq: u8,
    /// Records of the whole name (1-3).
    pub count: u8,
    /// Bytes of the whole name (1-255).
    pub total_len: u16,
    /// This piece of the name's UTF-8 bytes (108 bytes, the last piece
    /// fewer).
    pub piece: Vec<u8>,
}

/// Checks a long name: 1-255 bytes of UTF-8, not `.` or `..`, without `/`,
/// NUL or control characters. The error says what is wrong.
pub fn check_long_name(name: &str) -> Result<(), LayoutError> {
    let s = format!("name {name:?}");
    if name.is_empty() {
        return Err(corrupt(s, "length", "empty"));
    }
    if name.len() > MAX_LONG_NAME {
        return Err(corrupt(
            s,
            "length",
            format!(
                "{} bytes, NetWare long names hold at most {MAX_LONG_NAME}",
                name.len()
            ),
        ));
    }
    if name == "." || name == ".." {
        return Err(corrupt(s, "name", "is reserved"));
    }
    if let Some(c) = name.chars().find(|&c| c == '/' || c.is_control()) {
        return Err(corrupt(
            s,
            "name",
            format!("holds {c:?} (no '/', NUL or control characters)"),
        ));
    }
    Ok(())
}

/// Characters neither of NetWare's DOS and long name spaces holds in a
/// name: the path separators and the wildcard and redirection characters
/// of DOS and OS/2.
pub const FORBIDDEN_NAME_CHARS: &str = "*?<>|\":\\/";

/// Why a name cannot be given to a new file or directory.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// No characters at all.
    #[error("a NetWare name cannot be empty")]
    Empty,
    /// Spaces only.
    #[error("a NetWare name cannot be blank")]
    Blank,
    /// Dots only (`.`, `..`, `...`).
    #[error("a NetWare name cannot be only dots")]
    OnlyDots,
    /// The last character is a dot (DOS drops it, so the name could not
    /// be found again).
    #[error("a NetWare name cannot end in a dot")]
    EndsInDot,
    /// The last character is a space (dropped as a trailing dot is).
    #[error("a NetWare name cannot end in a space")]
    EndsInSpace,
    /// A character of [`FORBIDDEN_NAME_CHARS`].
    #[error("'{0}' cannot be part of a NetWare name")]
    Char(char),
    /// A control character (U+0000-U+001F, U+007F-U+009F).
    #[error("control character U+{:04X} cannot be part of a NetWare name", u32::from(*.0))]
    Control(char),
    /// More UTF-8 bytes than a long name holds.
    #[error("a NetWare name holds at most {MAX_LONG_NAME} bytes, this one has {0}")]
    TooLong(usize),
}

/// Checks a name for a new file or directory (or a rename): what NetWare's
/// DOS and long name spaces can both hold. Stricter than
/// [`check_long_name`], the rule for names already on disk, which older
/// writers may have given characters this refuses: those still read.
pub fn check_new_name(name: &str) -> Result<(), NameError> {
    if let Some(c) = name.chars().find(|&c| c.is_control()) {
        return Err(NameError::Control(c));
    }
    if let Some(c) = name.chars().find(|&c| FORBIDDEN_NAME_CHARS.contains(c)) {
        return Err(NameError::Char(c));
    }
    if name.is_empty() {
        return Err(NameError::Empty);
    }
    if name.chars().all(|c| c == ' ') {
        return Err(NameError::Blank);
    }
    if name.chars().all(|c| c == '.') {
        return Err(NameError::OnlyDots);
    }
    if name.len() > MAX_LONG_NAME {
        return Err(NameError::TooLong(name.len()));
    }
    if name.ends_with('.') {
        return Err(NameError::EndsInDot);
    }
    if name.ends_with(' ') {
        return Err(NameError::EndsInSpace);
    }
    Ok(())
}

impl LongNameRecord {
    /// The records for `name` of the entry at index `entry` whose DOS name
    /// is `alias`; the name must pass [`check_long_name`], the alias
    /// [`valid_dos_name`].
    pub fn split(entry: u32, alias: &str, name: &str) -> Result<Vec<LongNameRecord>, LayoutError> {
        check_long_name(name)?;
        if !valid_dos_name(alias) {
            return Err(corrupt(
                S,
                "alias",
                format!("{alias:?} is not a DOS 8.3 name"),
            ));
        }
        let bytes = name.as_bytes();
        let count = bytes.len().div_ceil(LONG_NAME_PIECE);
        Ok(bytes
            .chunks(LONG_NAME_PIECE)
            .enumerate()
            .map(|(i, p)| LongNameRecord {
                entry,
                alias: alias.to_string(),
                seq: i as u8,
                count: count as u8,
                total_len: bytes.len() as u16,
                piece: p.to_vec(),
            })
            .collect())
    }

    /// Joins the records of one name (in any order) back into the name.
    /// They must all name the same entry, agree on count and length, hold
    /// each piece once, and make up a valid long name.
    pub fn join(records: &[LongNameRecord]) -> Result<String, LayoutError> {
        let first = records
            .first()
            .ok_or_else(|| corrupt(S, "count", "no record"))?;
        if records.len() != usize::from(first.count) {
            return Err(corrupt(
                S,
                "count",
                format!("{} records found, {} expected", records.len(), first.count),
            ));
        }
        let mut pieces: Vec<Option<&[u8]>> = vec![None; records.len()];
        for r in records {
            if r.entry != first.entry
                || r.alias != first.alias
                || r.count != first.count
                || r.total_len != first.total_len
            {
                return Err(corrupt(S, "sequence", "records of different names mixed"));
            }
            let slot = &mut pieces[usize::from(r.seq)];
            if slot.is_some() {
                return Err(corrupt(S, "sequence", format!("piece {} twice", r.seq)));
            }
            *slot = Some(&r.piece);
        }
        let bytes: Vec<u8> = pieces.into_iter().flatten().flatten().copied().collect();
        let name = String::from_utf8(bytes).map_err(|_| corrupt(S, "name", "not UTF-8"))?;
        check_long_name(&name).map_err(|e| e.in_structure(S))?;
        Ok(name)
    }

    /// The record's 128 bytes.
    pub fn encode(&self) -> [u8; DIRENT_BYTES] {
        let mut b = [0u8; DIRENT_BYTES];
        let n = self.piece.len().min(LONG_NAME_PIECE);
        put32(&mut b, O_KIND, PARENT_LONG_NAME);
        put32(&mut b, O_ENTRY, self.entry);
        b[O_SEQ] = self.seq;
        b[O_COUNT] = self.count;
        b[O_PIECE_LEN] = n as u8;
        b[O_VERSION] = LONG_NAME_VERSION;
        let a = self.alias.as_bytes();
        let an = a.len().min(MAX_DOS_NAME);
        b[O_ALIAS..O_ALIAS + an].copy_from_slice(&a[..an]);
        b[O_PIECE..O_PIECE + n].copy_from_slice(&self.piece[..n]);
        put16(&mut b, O_TOTAL, self.total_len);
        seal(&mut b, O_CRC);
        b
    }

    /// Decodes a record (the first 128 bytes of `b`), checking the kind,
    /// CRC, version, and that sequence, count, piece and total lengths fit
    /// together. The name's characters are checked by [`Self::join`].
    pub fn decode(b: &[u8]) -> Result<LongNameRecord, LayoutError> {
        let b = need(b, DIRENT_BYTES, S)?;
        let kind = le32(b, O_KIND);
        if kind != PARENT_LONG_NAME {
            return Err(corrupt(S, "kind", format!("{kind:#010x}")));
        }
        check_crc(b, 0, O_CRC, S, "CRC")?;
        check_version(b[O_VERSION], LONG_NAME_VERSION, S, "version")?;
        let entry = le32(b, O_ENTRY);
        let (seq, count) = (b[O_SEQ], b[O_COUNT]);
        let piece_len = usize::from(b[O_PIECE_LEN]);
        let total = le16(b, O_TOTAL);
        let total_len = usize::from(total);
        if entry == 0 || entry >= PARENT_RESERVED_FIRST {
            return Err(corrupt(
                S,
                "entry",
                format!("{entry}, not a file or directory"),
            ));
        }
        let alias_raw = &b[O_ALIAS..O_ALIAS + MAX_DOS_NAME];
        let alias_len = alias_raw
            .iter()
            .position(|&c| c == 0)
            .unwrap_or(MAX_DOS_NAME);
        let alias: String = alias_raw[..alias_len]
            .iter()
            .map(|&c| char::from(c))
            .collect();
        if !alias_raw[..alias_len].is_ascii()
            || !valid_dos_name(&alias)
            || alias_raw[alias_len..].iter().any(|&c| c != 0)
        {
            return Err(corrupt(
                S,
                "alias",
                format!("{alias:?} is not a DOS 8.3 name"),
            ));
        }
        if !(1..=MAX_LONG_NAME).contains(&total_len) {
            return Err(corrupt(
                S,
                "total length",
                format!("{total_len}, expected 1-255"),
            ));
        }
        let want_count = total_len.div_ceil(LONG_NAME_PIECE);
        if usize::from(count) != want_count {
            return Err(corrupt(
                S,
                "count",
                format!("{count}, a name of {total_len} bytes takes {want_count}"),
            ));
        }
        if seq >= count {
            return Err(corrupt(S, "sequence", format!("{seq} of {count}")));
        }
        let want_piece = if usize::from(seq) + 1 < want_count {
            LONG_NAME_PIECE
        } else {
            total_len - LONG_NAME_PIECE * (want_count - 1)
        };
        check_fixed(piece_len, want_piece, S, "piece length")?;
        Ok(LongNameRecord {
            entry,
            alias,
            seq,
            count,
            total_len: total,
            piece: b[O_PIECE..O_PIECE + piece_len].to_vec(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn new_names_netware_cannot_hold() {
        for c in ['*', '?', '<', '>', '|', '"', ':', '\\', '/'] {
            assert_eq!(
                check_new_name(&format!("A{c}B")),
                Err(NameError::Char(c)),
                "{c}"
            );
        }
        assert_eq!(
            check_new_name("A*B").unwrap_err().to_string(),
            "'*' cannot be part of a NetWare name"
        );
        assert_eq!(check_new_name("a\nb"), Err(NameError::Control('\n')));
        assert_eq!(
            check_new_name("a\u{7f}").unwrap_err().to_string(),
            "control character U+007F cannot be part of a NetWare name"
        );
        assert_eq!(check_new_name(""), Err(NameError::Empty));
        assert_eq!(check_new_name(" "), Err(NameError::Blank));
        assert_eq!(check_new_name("   "), Err(NameError::Blank));
        for dots in [".", "..", "..."] {
            assert_eq!(check_new_name(dots), Err(NameError::OnlyDots), "{dots}");
        }
        assert_eq!(check_new_name("TRAIL."), Err(NameError::EndsInDot));
        assert_eq!(check_new_name("TRAIL. "), Err(NameError::EndsInSpace));
        assert_eq!(
            check_new_name(&"x".repeat(256)),
            Err(NameError::TooLong(256))
        );
        for ok in [
            "LOGIN.EXE",
            "My Report 2024.pdf",
            ".bashrc",
            " leading space",
            "a+b=c;d,[e].txt",
            "日本語.txt",
            &"x".repeat(255),
        ] {
            assert_eq!(check_new_name(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn names_on_disk_stay_readable() {
        // Older writers accepted these; the reading rule keeps them.
        for old in ["a:b*c?", "TRAIL.", "...", " ", "x\\y"] {
            assert!(check_long_name(old).is_ok(), "{old}");
            assert!(check_new_name(old).is_err(), "{old}");
        }
    }

    fn name() -> impl Strategy<Value = String> {
        proptest::string::string_regex("[^/\\x00-\\x1f\\x7f-\\x9f]{1,120}")
            .expect("regex")
            .prop_filter("fits", |s| {
                s.len() <= MAX_LONG_NAME && s != "." && s != ".."
            })
    }

    proptest! {
        #[test]
        fn round_trip(entry in 1u32..0xFFFF_FFF0, n in name()) {
            let recs = LongNameRecord::split(entry, "LONGNA~1.TXT", &n).unwrap();
            prop_assert!(recs.len() <= MAX_LONG_NAME_RECORDS);
            let mut back: Vec<LongNameRecord> = recs
                .iter()
                .map(|r| LongNameRecord::decode(&r.encode()).unwrap())
                .collect();
            prop_assert_eq!(&back, &recs);
            back.reverse();
            prop_assert_eq!(LongNameRecord::join(&back).unwrap(), n);
        }

        #[test]
        fn random_bytes_never_panic(v in proptest::collection::vec(any::<u8>(), 0..140)) {
            if let Ok(r) = LongNameRecord::decode(&v) {
                prop_assert!(r.piece.len() <= LONG_NAME_PIECE);
            }
        }

        #[test]
        fn any_flipped_byte_is_caught(pos in 0usize..128, bit in 0u8..8) {
            let r = &LongNameRecord::split(5, "MYREPO~1.PDF", "My Report 2024.pdf").unwrap()[0];
            let mut b = r.encode();
            b[pos] ^= 1 << bit;
            prop_assert!(LongNameRecord::decode(&b).is_err());
        }
    }

    #[test]
    fn golden() {
        let r = &LongNameRecord::split(9, "HELLOW~1.TXT", "Hello world.txt").unwrap()[0];
        let b = r.encode();
        assert_eq!(&b[0..4], &[0xFC, 0xFF, 0xFF, 0xFF]);
        assert_eq!(&b[4..8], &9u32.to_le_bytes());
        assert_eq!(&b[8..12], &[0, 1, 15, 1]);
        assert_eq!(&b[12..24], b"HELLOW~1.TXT");
        assert_eq!(&b[24..28], &[15, 0, 0, 0]);
        assert_eq!(&b[28..43], b"Hello world.txt");
        assert!(b[43..124].iter().all(|&c| c == 0));
        assert_eq!(&b[124..128], &crc32fast::hash(&b[..124]).to_le_bytes());
    }

    #[test]
    fn long_names_take_several_records() {
        let n = "é".repeat(127); // 254 bytes
        let recs = LongNameRecord::split(3, "_~1", &n).unwrap();
        assert_eq!(recs.len(), 3);
        assert_eq!(recs[0].piece.len(), 96);
        assert_eq!(recs[2].piece.len(), 254 - 192);
        assert_eq!(LongNameRecord::join(&recs).unwrap(), n);
        assert!(LongNameRecord::join(&recs[..2]).is_err(), "a piece missing");
        let mut twice = recs.clone();
        twice[1] = twice[0].clone();
        assert_eq!(
            LongNameRecord::join(&twice).unwrap_err().field(),
            "sequence"
        );
    }

    #[test]
    fn bad_names_are_refused() {
        for bad in ["", ".", "..", "a/b", "a\0b", "tab\there", "\u{7f}"] {
            assert!(check_long_name(bad).is_err(), "{bad:?}");
            assert!(LongNameRecord::split(1, "A", bad).is_err(), "{bad:?}");
        }
        assert!(check_long_name(&"x".repeat(255)).is_ok());
        let e = check_long_name(&"x".repeat(256)).unwrap_err();
        assert!(e.to_string().contains("256 bytes"), "{e}");
        assert!(check_long_name("My Report 2024.pdf").is_ok());
        assert!(check_long_name("...").is_ok());
    }

    #[test]
    fn field_corruption() {
        assert!(
            LongNameRecord::split(1, "a~1", "abc").is_err(),
            "lower-case alias"
        );
        let good = LongNameRecord::split(9, "AAAAAA~1", &"a".repeat(150)).unwrap()[1].encode();
        let with = |edit: &dyn Fn(&mut [u8; 128])| {
            let mut b = good;
            edit(&mut b);
            seal(&mut b, O_CRC);
            LongNameRecord::decode(&b).unwrap_err().field()
        };
        assert_eq!(with(&|b| b[0] = 0xFD), "kind");
        assert_eq!(
            with(&|b| b[4..8].copy_from_slice(&0u32.to_le_bytes())),
            "entry"
        );
        assert_eq!(with(&|b| b[8] = 2), "sequence");
        assert_eq!(with(&|b| b[9] = 3), "count");
        assert_eq!(with(&|b| b[10] = 53), "piece length");
        assert_eq!(with(&|b| b[11] = 0), "version");
        assert_eq!(with(&|b| b[12] = b'a'), "alias");
        assert_eq!(with(&|b| b[12] = 0), "alias");
        assert_eq!(with(&|b| b[24] = 0), "total length");
        let mut b = good;
        b[11] = 2;
        seal(&mut b, O_CRC);
        assert!(matches!(
            LongNameRecord::decode(&b).unwrap_err(),
            LayoutError::Unsupported { .. }
        ));
        assert_eq!(
            LongNameRecord::decode(&good[..100]).unwrap_err().field(),
            "length"
        );
    }
}
