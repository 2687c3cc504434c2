//! File names: which names NetWare can hold, the DOS 8.3 name an entry
//! gets, and aliases like `LONGNA~1.TXT` for names that do not fit 8.3.

use crate::error::{Error, Result};
use crate::layout::dirent::valid_dos_name;
use crate::layout::longname::check_new_name;

/// Checks a name given by a user for a new entry or a rename: what
/// NetWare's DOS and long name spaces hold
/// ([`check_new_name`]: 1-255 bytes, none of `* ? < > | " : \ /` or control
/// characters, not blank, not only dots, not ending in a dot or space).
/// The error names the name (shortened when long).
pub fn check_name(name: &str) -> Result<()> {
    check_new_name(name).map_err(|reason| Error::BadName {
        name: shown(name).into_owned(),
        reason: reason.to_string(),
    })
}

/// Longest name a message shows whole, in characters.
const SHOWN_CHARS: usize = 64;
/// Characters of a longer name a message shows, before "…".
const SHOWN_HEAD: usize = 60;

/// A name as a message shows it: whole up to 64 characters, else its first
/// 60 and "…" (a 255-byte name would drown the message); control
/// characters escaped (`\t`, `\u{1}`), so that none reaches the terminal.
pub fn shown(name: &str) -> std::borrow::Cow<'_, str> {
    let count = name.chars().count();
    if count <= SHOWN_CHARS && !name.chars().any(char::is_control) {
        return std::borrow::Cow::Borrowed(name);
    }
    let long = count > SHOWN_CHARS;
    let mut out = String::new();
    for c in name.chars().take(if long { SHOWN_HEAD } else { count }) {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    if long {
        out.push('…');
    }
    std::borrow::Cow::Owned(out)
}

/// The key an entry is found by: the name in upper case (names are
/// compared without regard to case, as NetWare did).
pub fn key(name: &str) -> String {
    // The same for ASCII, without the Unicode tables.
    if name.is_ascii() {
        name.to_ascii_uppercase()
    } else {
        name.to_uppercase()
    }
}

/// The DOS name a name is stored under when it fits 8.3 as it is (upper
/// cased); None when it needs an alias.
pub fn dos_form(name: &str) -> Option<String> {
    let up = name.to_ascii_uppercase();
    (name.is_ascii() && valid_dos_name(&up)).then_some(up)
}

/// True when `name` needs a long-name record: it does not fit 8.3, or it
/// does only after changing its case (the record keeps the case).
pub fn needs_long_name(name: &str) -> bool {
    dos_form(name).is_none_or(|d| d != name)
}

/// A character as it may appear in an alias: upper case ASCII, or `_` for
/// anything DOS cannot hold; None for characters that are dropped.
fn alias_char(c: char) -> Option<char> {
    match c {
        ' ' | '.' => None,
        c if c.is_ascii_graphic() => {
            let c = c.to_ascii_uppercase();
            if "\"*+,/:;<=>?[\\]|".contains(c) {
                Some('_')
            } else {
                Some(c)
            }
        }
        _ => Some('_'),
    }
}

/// The base and extension an alias is made from: the name's characters
/// before and after its last dot (leading dots ignored), upper cased,
/// spaces and dots dropped, other characters DOS cannot hold made `_`;
/// the base at most 8, the extension at most 3 characters.
fn alias_parts(name: &str) -> (String, String) {
    let trimmed = name.trim_start_matches('.');
    let (base, ext) = match trimmed.rfind('.') {
        Some(i) => (&trimmed[..i], &trimmed[i + 1..]),
        None => (trimmed, ""),
    };
    let base: String = base.chars().filter_map(alias_char).take(8).collect();
    let ext: String = ext.chars().filter_map(alias_char).take(3).collect();
    let base = if base.is_empty() {
        "_".to_string()
    } else {
        base
    };
    (base, ext)
}

fn with_tail(base: &str, tail: &str, ext: &str) -> String {
    let keep = 8usize.saturating_sub(tail.len());
    let b: String = base.chars().take(keep).collect();
    if ext.is_empty() {
        format!("{b}{tail}")
    } else {
        format!("{b}{tail}.{ext}")
    }
}

/// A DOS alias for `name` that `taken` says is free: `BASE~N.EXT` with N
/// from 1 to 4 (`My Report 2024.pdf` gives `MYREPO~1.PDF`), then, as
/// Windows does for many similar names, two characters of the base, four
/// hex digits of a hash of the name and `~N`, then any free N. None only
/// when every candidate is taken.
pub fn make_alias(name: &str, taken: impl Fn(&str) -> bool) -> Option<String> {
    let (base, ext) = alias_parts(name);
    for n in 1..=4 {
        let a = with_tail(&base, &format!("~{n}"), &ext);
        if !taken(&a) {
            return Some(a);
        }
    }
    let h = crc32fast::hash(name.as_bytes());
    let short: String = base.chars().take(2).collect();
    for n in 1..=9u32 {
        let hashed = format!("{short}{:04X}", (h.rotate_left(n * 7) & 0xFFFF));
        let a = with_tail(&hashed, &format!("~{n}"), &ext);
        if !taken(&a) {
            return Some(a);
        }
    }
    (5..10_000_000u32)
        .map(|n| with_tail(&base, &format!("~{n}"), &ext))
        .find(|a| !taken(a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn fits_8_3() {
        assert_eq!(dos_form("LOGIN.EXE").as_deref(), Some("LOGIN.EXE"));
        assert_eq!(dos_form("readme.txt").as_deref(), Some("README.TXT"));
        assert_eq!(dos_form("My Report 2024.pdf"), None);
        assert_eq!(dos_form("longname.html"), None);
        assert_eq!(dos_form("a.b.c"), None);
        assert_eq!(dos_form("café"), None);
        assert!(!needs_long_name("LOGIN.EXE"));
        assert!(needs_long_name("readme.txt"), "keeps the case");
        assert!(needs_long_name("A LONG NAME"));
    }

    #[test]
    fn aliases() {
        let none = |_: &str| false;
        assert_eq!(
            make_alias("My Report 2024.pdf", none).unwrap(),
            "MYREPO~1.PDF"
        );
        assert_eq!(make_alias("longname.txt.gz", none).unwrap(), "LONGNA~1.GZ");
        assert_eq!(make_alias(".bashrc", none).unwrap(), "BASHRC~1");
        assert_eq!(make_alias("...", none).unwrap(), "_~1");
        assert_eq!(make_alias("a+b=c.html", none).unwrap(), "A_B_C~1.HTM");
        assert_eq!(make_alias("日本語.txt", none).unwrap(), "___~1.TXT");
        assert_eq!(make_alias("x.y z", none).unwrap(), "X~1.YZ");
        for n in [
            "My Report 2024.pdf",
            "...",
            "日本語.txt",
            "a+b=c.html",
            ".x",
        ] {
            assert!(valid_dos_name(&make_alias(n, none).unwrap()), "{n}");
        }
    }

    #[test]
    fn aliases_are_unique_over_many_similar_names() {
        let mut taken: HashSet<String> = HashSet::new();
        for i in 0..2000 {
            let name = format!("Long name number {i}.txt");
            let a = make_alias(&name, |a| taken.contains(a)).unwrap();
            assert!(valid_dos_name(&a), "{a}");
            assert!(a.ends_with(".TXT"));
            assert!(taken.insert(a.clone()), "{a} twice");
            if i < 4 {
                assert_eq!(a, format!("LONGNA~{}.TXT", i + 1));
            }
        }
    }

    #[test]
    fn names_netware_cannot_hold() {
        for bad in ["", ".", "..", "a/b", "a*b", "TRAIL. "] {
            let e = check_name(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("\"{bad}\"")), "{e}");
        }
        assert_eq!(
            check_name("A*B").unwrap_err().to_string(),
            "name \"A*B\": '*' cannot be part of a NetWare name"
        );
        let e = check_name(&"x".repeat(300)).unwrap_err().to_string();
        assert!(e.contains("at most 255"), "{e}");
        assert!(e.contains(&format!("\"{}…\"", "x".repeat(60))), "{e}");
        assert!(e.chars().count() < 140, "{e}");
        check_name("My Report 2024.pdf").unwrap();
        assert!(check_name("a:b*c?").is_err());
    }

    #[test]
    fn long_names_are_shown_shortened() {
        assert_eq!(shown("SHORT.TXT"), "SHORT.TXT");
        assert_eq!(shown(&"y".repeat(64)), "y".repeat(64));
        assert_eq!(shown(&"é".repeat(65)), format!("{}…", "é".repeat(60)));
        assert_eq!(shown("a\tb\u{1}"), "a\\tb\\u{1}");
    }

    #[test]
    fn keys_ignore_case() {
        assert_eq!(key("Readme.txt"), key("README.TXT"));
        assert_eq!(key("straße"), "STRASSE");
    }
}
