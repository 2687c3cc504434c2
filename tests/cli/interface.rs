//! One interface across commands (issue 7, point 2): every command that
//! reports takes `--json` and prints one object with `nwvol_json` and
//! `command` (verify: JSON lines); `-q` silences messages but never the
//! answer; a failing command prints nothing on stdout, one line on stderr
//! and exits 1; a usage error exits 2; NWVOL_DEVICES stands for `-d`.

use crate::support::*;

use serde_json::Value;
use std::path::Path;

/// A 2-way mirror holding a few files, one of them deleted (for salvage).
pub(crate) fn populated(dir: &tempfile::TempDir) -> (String, String) {
    let a = img(dir, "a.img").display().to_string();
    let b = img(dir, "b.img").display().to_string();
    ok(&["format", "-q", "--size", "64M", "--mirror", &a, &b]);
    let src = dir.path().join("report.txt");
    std::fs::write(&src, b"quarterly numbers\n").unwrap();
    let s = src.display().to_string();
    ok(&["mkdir", "-q", "-d", &a, "-d", &b, "SYS:/DATA"]);
    ok(&[
        "put",
        "-q",
        "-d",
        &a,
        "-d",
        &b,
        &s,
        "SYS:/DATA/Report 2024.txt",
    ]);
    ok(&["put", "-q", "-d", &a, "-d", &b, &s, "SYS:/DATA/OLD.TXT"]);
    ok(&["rm", "-q", "-d", &a, "-d", &b, "SYS:/DATA/OLD.TXT"]);
    (a, b)
}

/// Runs with the devices in NWVOL_DEVICES; asserts exit 0 and an empty
/// stderr; returns stdout.
pub(crate) fn ok_env(devs: &str, args: &[&str]) -> String {
    let o = nwvol()
        .env("NWVOL_DEVICES", devs)
        .args(args)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "nwvol {args:?}: {err}");
    assert!(err.is_empty(), "nwvol {args:?} wrote to stderr: {err}");
    String::from_utf8(o.stdout).expect("stdout is UTF-8")
}

/// The reporting commands, with the `command` value each object carries.
const REPORTS: &[(&[&str], &str)] = &[
    (&["inspect"], "inspect"),
    (&["ls", "SYS:/DATA"], "ls"),
    (&["ls", "-R", "SYS:/"], "ls"),
    (&["stat", "SYS:/DATA/Report 2024.txt"], "stat"),
    (&["df"], "df"),
    (&["df", "SYS"], "df"),
    (&["volume", "list"], "volume list"),
    (&["mirror", "status"], "mirror status"),
    (&["hotfix", "list"], "hotfix list"),
    (&["salvage", "SYS:/DATA"], "salvage"),
];

#[test]
fn every_report_is_one_json_object_naming_its_command() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = populated(&dir);
    let devs = format!("{a},{b}");
    for (args, command) in REPORTS {
        for quiet in [false, true] {
            let mut argv: Vec<&str> = args.to_vec();
            argv.push("--json");
            if quiet {
                argv.push("-q");
            }
            let out = ok_env(&devs, &argv);
            let lines: Vec<&str> = out.lines().collect();
            assert_eq!(lines.len(), 1, "nwvol {argv:?}: want one line, got {out}");
            let v: Value = serde_json::from_str(lines[0])
                .unwrap_or_else(|e| panic!("nwvol {argv:?}: not JSON ({e}): {out}"));
            assert!(
                v["nwvol_json"].is_u64(),
                "nwvol {argv:?}: no nwvol_json: {v}"
            );
            assert_eq!(v["command"], *command, "nwvol {argv:?}: {v}");
        }
    }
}

#[test]
fn reports_carry_what_was_done() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = populated(&dir);
    let devs = format!("{a} {b}");
    let get = |args: &[&str]| -> Value {
        let mut argv = args.to_vec();
        argv.push("--json");
        serde_json::from_str(&ok_env(&devs, &argv)).unwrap()
    };
    let ls = get(&["ls", "SYS:/DATA"]);
    let names: Vec<&str> = ls["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Report 2024.txt"], "{ls}");
    let salvage = get(&["salvage", "SYS:/DATA"]);
    let deleted = salvage["entries"].as_array().unwrap();
    assert_eq!(deleted.len(), 1, "{salvage}");
    assert_eq!(deleted[0]["path"], "SYS:/DATA/OLD.TXT");
    assert!(deleted[0]["deleted"].is_string(), "{salvage}");
    let st = get(&["stat", "SYS:/DATA/Report 2024.txt"]);
    assert_eq!(st["entries"][0]["size_bytes"], 18, "{st}");
    let hf = get(&["hotfix", "list"]);
    let members = hf["members"].as_array().unwrap();
    assert_eq!(members.len(), 2, "{hf}");
    for m in members {
        assert_eq!(m["pool_slots_used"], 0, "{hf}");
        assert_eq!(m["state"], "in sync", "{hf}");
    }
    // salvage --json lists; it does not restore.
    let again = get(&["salvage", "SYS:/DATA/OLD.TXT"]);
    assert_eq!(again["entries"].as_array().unwrap().len(), 1, "{again}");
    let ls = get(&["ls", "SYS:/DATA"]);
    assert_eq!(ls["entries"].as_array().unwrap().len(), 1, "{ls}");
}

#[test]
fn verify_json_is_json_lines_ending_in_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = populated(&dir);
    let out = ok_env(&format!("{a},{b}"), &["verify", "--json", "-q"]);
    let recs: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    let last = recs.last().expect("a summary record");
    assert_eq!(last["type"], "summary", "{out}");
    for r in &recs {
        assert_eq!(r["command"], "verify", "{r}");
        assert!(r["nwvol_json"].is_u64(), "{r}");
    }
}

#[test]
fn quiet_commands_print_nothing_and_still_work() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = populated(&dir);
    let devs = format!("{a},{b}");
    let src = dir.path().join("more.txt");
    std::fs::write(&src, b"more").unwrap();
    let s = src.display().to_string();
    for args in [
        vec!["put", "-q", &s, "SYS:/DATA/MORE.TXT"],
        vec!["mv", "-q", "SYS:/DATA/MORE.TXT", "SYS:/DATA/MOVED.TXT"],
        vec!["mkdir", "-q", "-p", "SYS:/X/Y"],
        vec!["salvage", "-q", "SYS:/DATA/OLD.TXT"],
        vec!["purge", "-q", "SYS:"],
        vec!["verify", "-q"],
    ] {
        let out = ok_env(&devs, &args);
        assert!(out.is_empty(), "nwvol {args:?} printed {out:?}");
    }
    let out = ok_env(&devs, &["cat", "-q", "SYS:/DATA/MOVED.TXT"]);
    assert_eq!(out, "more", "-q does not silence the answer");
    let out = ok_env(&devs, &["cat", "SYS:/DATA/OLD.TXT"]);
    assert_eq!(out, "quarterly numbers\n", "salvaged");
}

#[test]
fn failures_are_one_stderr_line_and_no_json() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.img");
    let m = missing.display().to_string();
    for (args, _) in REPORTS {
        let mut argv: Vec<&str> = args.to_vec();
        argv.extend(["--json", "-d", &m]);
        let o = run(&argv);
        assert!(o.stdout.is_empty(), "nwvol {argv:?} printed {:?}", o.stdout);
        fails(&argv, 1, &[&m]);
    }
    // verify: an error record on stdout, exit 8.
    let o = run(&["verify", "--json", "-d", &m]);
    assert_eq!(o.status.code(), Some(8));
    let last: Value = serde_json::from_str(
        String::from_utf8_lossy(&o.stdout)
            .lines()
            .last()
            .expect("an error record"),
    )
    .unwrap();
    assert_eq!(last["type"], "error", "{last}");
    // Usage errors exit 2, naming the option.
    let o = run(&["ls", "--no-such-option", "SYS:/"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--no-such-option"));
    // No device at all: say how to name one.
    fails(&["ls", "SYS:/"], 1, &["NWVOL_DEVICES"]);
}

#[test]
fn no_progress_bar_on_a_pipe() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = populated(&dir);
    let c = img(&dir, "c.img").display().to_string();
    ok(&["format", "-q", "--size", "64M", "--force", &c]);
    let o = nwvol()
        .args(["mirror", "add", "-d", &a, "-d", &b, "--force", &c])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(!err.contains('\r') && !err.contains('\u{1b}'), "{err:?}");
    assert!(Path::new(&c).exists());
}
