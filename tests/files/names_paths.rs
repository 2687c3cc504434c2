//! Names NetWare can hold and paths as cp takes them, through the real
//! binary: new names refused with the character named, NetWare's own path
//! spelling, a destination ending in `/` that must be a directory, a
//! case-only rename of a directory, `get -r` over a file, and `purge` of
//! nothing.

use crate::support::files::*;

#[test]
fn names_netware_cannot_hold_are_refused_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d0.img"], "64M", &[]);
    let f = dir.path().join("small.txt");
    std::fs::write(&f, b"small").unwrap();
    let f = f.to_str().unwrap();
    for (dest, want) in [
        ("SYS:/A*B", "SYS:/A*B: '*' cannot be part of a NetWare name"),
        ("SYS:/A?B", "SYS:/A?B: '?' cannot be part of a NetWare name"),
        ("SYS:/A<B", "'<' cannot be part"),
        ("SYS:/A>B", "'>' cannot be part"),
        ("SYS:/A|B", "'|' cannot be part"),
        ("SYS:/A\"B", "'\"' cannot be part"),
        ("SYS:/A:B", "':' cannot be part"),
        ("SYS:/ ", "SYS:/ : a NetWare name cannot be blank"),
        ("SYS:/...", "SYS:/...: a NetWare name cannot be only dots"),
        ("SYS:/TRAIL.", "cannot end in a dot"),
        ("SYS:/TRAIL. ", "cannot end in a space"),
        ("SYS:/A\u{7}B", "SYS:/A\\u{7}B: control character U+0007"),
    ] {
        nw_fails(&imgs, &["put", f, dest], 1, &[want]);
        nw_fails(&imgs, &["mkdir", dest], 1, &["NetWare name"]);
    }
    // A local file whose own name NetWare cannot hold, put into a
    // directory, is refused by its NetWare path; the others are copied.
    let odd = dir.path().join("what?.txt");
    std::fs::write(&odd, b"odd").unwrap();
    let o = nw(&imgs, &["put", odd.to_str().unwrap(), f, "SYS:/"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("SYS:/what?.txt: '?' cannot be part of a NetWare name"),
        "{err}"
    );
    // Renames are held to the same rule.
    nw_fails(
        &imgs,
        &["mv", "SYS:/small.txt", "SYS:/sm*ll"],
        1,
        &["SYS:/sm*ll: '*' cannot be part of a NetWare name"],
    );
    // Nothing odd was made: no aliases like A_B~1, no blank names.
    let ls = nw_ok(&imgs, &["ls", "SYS:/"]);
    assert!(!ls.contains('~'), "{ls}");
    assert_eq!(ls.lines().count(), 1, "only small.txt: {ls}");
    copies_equal(&imgs);
}

#[test]
fn netware_path_spellings_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d0.img"], "64M", &[]);
    nw_ok(&imgs, &["mkdir", "SYS:\\PUBLIC"]);
    let o = nw_stdin(&imgs, &["put", "-", "SYS:\\PUBLIC\\FILE.TXT"], b"one");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = nw_stdin(&imgs, &["put", "-", "SYS:PUBLIC/FILE2"], b"two");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(nw_ok(&imgs, &["cat", "SYS:/PUBLIC/FILE.TXT"]), "one");
    assert_eq!(nw_ok(&imgs, &["cat", "sys:\\public\\file2"]), "two");
    let ls = nw_ok(&imgs, &["ls", "SYS:PUBLIC"]);
    assert!(ls.contains("FILE.TXT") && ls.contains("FILE2"), "{ls}");
}

#[test]
fn a_long_name_is_shortened_in_messages() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d0.img"], "64M", &[]);
    let long = "L".repeat(300);
    let shown = format!("SYS:/{}…", "L".repeat(60));
    let line = nw_fails(
        &imgs,
        &["mkdir", &format!("SYS:/{long}")],
        1,
        &[&shown, "at most 255 bytes"],
    );
    assert!(line.chars().count() < 160, "{line}");
    let line = nw_fails(&imgs, &["ls", &format!("SYS:/{long}")], 1, &[&shown]);
    assert!(line.chars().count() < 160, "{line}");
}

#[test]
fn a_destination_ending_in_a_slash_must_be_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d0.img"], "64M", &[]);
    let f = dir.path().join("f");
    std::fs::write(&f, b"data").unwrap();
    let f = f.to_str().unwrap();
    // As `cp f nodir/`: no file NODIR is made.
    nw_fails(
        &imgs,
        &["put", f, "SYS:/NODIR/"],
        1,
        &["SYS:/NODIR/: no such directory"],
    );
    nw_fails(
        &imgs,
        &["put", f, "SYS:\\NODIR\\"],
        1,
        &["SYS:/NODIR/: no such directory"],
    );
    assert_eq!(nw_ok(&imgs, &["ls", "SYS:/"]), "");
    nw_ok(&imgs, &["put", f, "SYS:/FILE"]);
    nw_fails(
        &imgs,
        &["put", f, "SYS:/FILE/"],
        1,
        &["SYS:/FILE/: not a directory"],
    );
    nw_fails(
        &imgs,
        &["mv", "SYS:/FILE", "SYS:/NODIR/"],
        1,
        &["SYS:/NODIR/: no such directory"],
    );
    // An existing directory takes it.
    nw_ok(&imgs, &["mkdir", "SYS:/D"]);
    nw_ok(&imgs, &["put", f, "SYS:/D/"]);
    assert_eq!(nw_ok(&imgs, &["cat", "SYS:/D/f"]), "data");
}

#[test]
fn a_case_only_rename_of_a_directory_renames_it_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d0.img"], "64M", &[]);
    nw_ok(&imgs, &["mkdir", "SYS:/P"]);
    let o = nw_stdin(&imgs, &["put", "-", "SYS:/P/IN.TXT"], b"in");
    assert!(o.status.success());
    nw_ok(&imgs, &["mv", "SYS:/P", "SYS:/p"]);
    let ls = nw_ok(&imgs, &["ls", "SYS:/"]);
    assert!(ls.trim_end().ends_with(" p/"), "{ls}");
    assert_eq!(ls.lines().count(), 1, "{ls}");
    assert_eq!(nw_ok(&imgs, &["cat", "SYS:/p/IN.TXT"]), "in");
    // Files too, and back.
    nw_ok(&imgs, &["mv", "SYS:/p/IN.TXT", "SYS:/p/in.txt"]);
    nw_ok(&imgs, &["mv", "SYS:/p", "SYS:/P"]);
    let ls = nw_ok(&imgs, &["ls", "SYS:/P"]);
    assert!(ls.trim_end().ends_with(" in.txt"), "{ls}");
    copies_equal(&imgs);
}

#[test]
fn get_r_over_a_file_says_not_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d0.img"], "64M", &[]);
    nw_ok(&imgs, &["mkdir", "SYS:/D01"]);
    let o = nw_stdin(&imgs, &["put", "-", "SYS:/D01/A"], b"a");
    assert!(o.status.success());
    let file = dir.path().join("plain");
    std::fs::write(&file, b"keep").unwrap();
    for dest in [file.to_str().unwrap(), "/dev/full"] {
        if dest == "/dev/full" && !std::path::Path::new(dest).exists() {
            continue;
        }
        nw_fails(
            &imgs,
            &["get", "-r", "SYS:/D01", dest],
            1,
            &[&format!("{dest}: not a directory")],
        );
    }
    assert_eq!(std::fs::read(&file).unwrap(), b"keep");
}

#[test]
fn purge_of_nothing_prints_only_its_error() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d0.img"], "64M", &[]);
    let o = nw(&imgs, &["purge", "SYS:/NOPE"]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "");
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "nwvol: SYS:/NOPE: not found\n"
    );
}
