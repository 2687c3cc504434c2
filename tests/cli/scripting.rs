//! Scripting the command line (issue 18, points 4 and 8): what `-q`
//! silences, `-v` lines as cp -v prints them, `-H` tables, tables in a
//! non-UTF-8 locale and a narrow terminal, NWVOL_DEVICES with spaces.

use std::process::Output;

use crate::interface::{ok_env, populated};
use crate::support::*;

/// Runs with the devices in NWVOL_DEVICES and extra environment.
fn run_env(devs: &str, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = nwvol();
    c.env("NWVOL_DEVICES", devs);
    for (k, v) in env {
        c.env(k, v);
    }
    c.args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Answers go to stdout with -q as without; notices, summaries and
/// warnings do not.
#[test]
fn quiet_keeps_answers_and_silences_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = populated(&dir);
    let devs = format!("{a} {b}");
    // The answers a user asked for: the same bytes either way.
    for args in [
        &["ls", "SYS:/DATA"][..],
        &["ls", "-R", "SYS:/"],
        &["stat", "SYS:/DATA"],
        &["df"],
        &["inspect"],
        &["hotfix", "list"],
        &["volume", "list"],
        &["mirror", "status"],
        &["salvage", "-l", "SYS:/DATA"],
        &["cat", "SYS:/DATA/Report 2024.txt"],
        &["df", "-H"],
    ] {
        let loud = ok_env(&devs, args);
        let mut q = args.to_vec();
        q.insert(1.min(q.len()), "-q");
        let quiet = ok_env(&devs, &q);
        assert!(!loud.is_empty(), "nwvol {args:?} printed nothing");
        assert_eq!(quiet, loud, "nwvol {q:?}: -q changed the answer");
    }
    // A warning (a member not given: the group is degraded) is silenced;
    // the answer stays.
    let loud = run(&["inspect", "-d", &a]);
    assert!(
        text(&loud.stderr).contains("warning"),
        "{}",
        text(&loud.stderr)
    );
    let quiet = run(&["inspect", "-q", "-d", &a]);
    assert!(quiet.stderr.is_empty(), "{}", text(&quiet.stderr));
    assert_eq!(quiet.stdout, loud.stdout);
    // Notices and summaries: printed without -q, not with it.
    let loud = ok_env(&devs, &["verify"]);
    assert!(loud.contains("verify: 0 finding(s)"), "{loud}");
    assert_eq!(ok_env(&devs, &["verify", "-q"]), "");
    let loud = ok_env(&devs, &["purge", "SYS:/DATA/OLD.TXT"]);
    assert!(loud.contains("purged 1 file(s)"), "{loud}");
    assert_eq!(ok_env(&devs, &["purge", "-q", "SYS:"]), "");
    let c = img(&dir, "c.img").display().to_string();
    let o = run(&["format", "-q", "--size", "32M", &c]);
    assert!(o.status.success() && o.stdout.is_empty() && o.stderr.is_empty());
    // -v asks for lines -q would silence: they do not go together.
    let o = run_env(&devs, &[], &["mkdir", "-q", "-v", "SYS:/X"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    // The help says what -q silences.
    let help = ok(&["--help"]);
    assert!(help.contains("-q") && help.contains("Answers"), "{help}");
}

/// One line per file or directory, as cp -v, mv -v, rm -v and mkdir -v
/// print them.
#[test]
fn verbose_lists_each_file() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = populated(&dir);
    let devs = format!("{a} {b}");
    let tree = dir.path().join("tree");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    std::fs::write(tree.join("one.txt"), b"1").unwrap();
    std::fs::write(tree.join("sub/two.txt"), b"2").unwrap();
    let t = tree.display().to_string();
    let out = ok_env(&devs, &["put", "-rv", &t, "SYS:/T"]);
    assert_eq!(
        out,
        format!(
            "'{t}' -> 'SYS:/T'\n'{t}/one.txt' -> 'SYS:/T/one.txt'\n'{t}/sub' -> 'SYS:/T/sub'\n\
'{t}/sub/two.txt' -> 'SYS:/T/sub/two.txt'\n"
        )
    );
    let back = dir.path().join("back").display().to_string();
    let out = ok_env(&devs, &["get", "-rv", "SYS:/T", &back]);
    assert_eq!(
        out,
        format!(
            "'SYS:/T' -> '{back}'\n'SYS:/T/one.txt' -> '{back}/one.txt'\n'SYS:/T/sub' -> '{back}/sub'\n\
'SYS:/T/sub/two.txt' -> '{back}/sub/two.txt'\n"
        )
    );
    assert_eq!(std::fs::read(format!("{back}/sub/two.txt")).unwrap(), b"2");
    let out = ok_env(&devs, &["mkdir", "-pv", "SYS:/A/B"]);
    assert_eq!(
        out,
        "created directory 'SYS:/A'\ncreated directory 'SYS:/A/B'\n"
    );
    let out = ok_env(&devs, &["mv", "-v", "SYS:/T/one.txt", "SYS:/A/B"]);
    assert_eq!(out, "renamed 'SYS:/T/one.txt' -> 'SYS:/A/B/one.txt'\n");
    let out = ok_env(&devs, &["rm", "-rv", "SYS:/T", "SYS:/A/B/one.txt"]);
    assert_eq!(out, "removed 'SYS:/T'\nremoved 'SYS:/A/B/one.txt'\n");
    // Without -v: nothing.
    assert_eq!(ok_env(&devs, &["mkdir", "SYS:/QUIET"]), "");
}

/// -H: no header, no borders, one tab-separated line per row.
#[test]
fn headerless_tables_are_tab_separated() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = populated(&dir);
    let devs = format!("{a} {b}");
    let df = ok_env(&devs, &["df", "-H"]);
    let rows: Vec<Vec<&str>> = df.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 1, "{df}");
    assert_eq!(rows[0][0], "SYS");
    assert_eq!(rows[0].len(), 8, "{df}");
    let vl = ok_env(&devs, &["volume", "list", "-H"]);
    assert!(vl.starts_with("SYS\t"), "{vl}");
    let hf = ok_env(&devs, &["hotfix", "list", "-H"]);
    assert_eq!(
        hf.lines().filter(|l| l.starts_with("member\t")).count(),
        2,
        "{hf}"
    );
    let ins = ok_env(&devs, &["inspect", "-H"]);
    let kinds: Vec<&str> = ins.lines().map(|l| l.split('\t').next().unwrap()).collect();
    assert_eq!(
        kinds,
        ["partition", "partition", "member", "member", "volume"],
        "{ins}"
    );
    assert_eq!(
        ok_env(&devs, &["verify", "-H"]),
        "",
        "a clean verify: no rows"
    );
    for out in [&df, &vl, &hf, &ins] {
        assert!(
            !out.contains(['│', '┆', '─', '┌', '└'])
                && !out.lines().any(|l| l.starts_with(['+', '|'])),
            "-H output has borders: {out}"
        );
    }
}

/// Tables: line drawing in a UTF-8 locale, plain ASCII otherwise; fitted
/// to $COLUMNS.
#[test]
fn tables_follow_the_locale_and_the_width() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = populated(&dir);
    let devs = format!("{a} {b}");
    let df = |env: &[(&str, &str)]| {
        let o = run_env(&devs, env, &["df"]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        text(&o.stdout)
    };
    let clear = [("LC_ALL", ""), ("LC_CTYPE", ""), ("LANG", "")];
    let utf8 = df(&[clear[0], clear[1], ("LANG", "en_US.UTF-8")]);
    assert!(utf8.contains('│'), "{utf8}");
    for env in [
        &[clear[0], clear[1], ("LANG", "C")][..],
        &clear[..],
        &[("LC_ALL", "C"), clear[1], ("LANG", "en_US.UTF-8")],
        &[clear[0], ("LC_CTYPE", "POSIX"), ("LANG", "en_US.UTF-8")],
    ] {
        let ascii = df(env);
        assert!(ascii.is_ascii(), "{env:?}: {ascii}");
        assert!(
            ascii.contains('|') && ascii.contains("SYS"),
            "{env:?}: {ascii}"
        );
    }
    let narrow = df(&[("COLUMNS", "50"), ("LANG", "C.UTF-8")]);
    for l in narrow.lines() {
        assert!(l.chars().count() <= 50, "wider than 50: {l:?}\n{narrow}");
    }
    assert!(narrow.contains("SYS"), "{narrow}");
}

/// NWVOL_DEVICES: one path per line when the value holds a newline, so
/// paths may contain spaces; otherwise spaces and commas separate.
#[test]
fn device_list_with_spaces_one_per_line() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("my disks");
    std::fs::create_dir(&sub).unwrap();
    let a = sub.join("disk 0.img").display().to_string();
    let b = sub.join("disk, 1.img").display().to_string();
    ok(&["format", "-q", "--size", "32M", "--mirror", &a, &b]);
    let devs = format!("{a}\n{b}\n");
    let j: serde_json::Value =
        serde_json::from_str(&ok_env(&devs, &["inspect", "--json"])).unwrap();
    let named: Vec<&str> = j["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["device"].as_str().unwrap())
        .collect();
    assert_eq!(named, [a.as_str(), b.as_str()], "{j}");
    assert_eq!(j["groups"][0]["degraded"], false, "{j}");
    // CRLF lines and blank lines are fine too.
    ok_env(&format!("\r\n{a}\r\n\r\n{b}\r\n"), &["ls", "SYS:/"]);
    // Without a newline, the old rule: the space splits the path.
    let o = run_env(&format!("{a} {b}"), &[], &["ls", "SYS:/"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("no such file"),
        "{}",
        text(&o.stderr)
    );
    // The rule is in the help.
    let help = ok(&["ls", "--help"]);
    assert!(help.contains("one per line"), "{help}");
}
