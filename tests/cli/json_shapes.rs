//! Every command's `--json` output against the shapes docs/JSON.md
//! documents: each field printed is documented there with the same type,
//! each field documented is printed (unless marked optional), recursively.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::interface::{ok_env, populated};
use crate::support::*;

/// One example of docs/JSON.md: the value and the keys marked optional
/// in its block.
struct Example {
    value: Value,
    optional: BTreeSet<String>,
}

/// The part of a line before a `//` comment (outside strings), and the
/// comment.
fn split_comment(line: &str) -> (&str, &str) {
    let mut in_str = false;
    let mut escaped = false;
    let b = line.as_bytes();
    for i in 0..b.len() {
        let c = b[i];
        if in_str {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                in_str = false;
            }
        } else if c == b'"' {
            in_str = true;
        } else if c == b'/' && b.get(i + 1) == Some(&b'/') {
            return (&line[..i], &line[i + 2..]);
        }
    }
    (line, "")
}

/// The keys (`"name":`) on a line of code.
fn keys_on(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find('"') {
        let after = &rest[i + 1..];
        let Some(j) = after.find('"') else { break };
        let key = &after[..j];
        let tail = after[j + 1..].trim_start();
        if tail.starts_with(':') {
            out.push(key.to_string());
        }
        rest = &after[j + 1..];
    }
    out
}

/// Every example of docs/JSON.md's ```json blocks.
fn examples() -> Vec<Example> {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/JSON.md"))
        .expect("docs/JSON.md");
    let mut out = Vec::new();
    let mut block: Option<(String, BTreeSet<String>)> = None;
    for line in text.lines() {
        match &mut block {
            None if line.trim() == "```json" => block = Some((String::new(), BTreeSet::new())),
            None => {}
            Some((code, optional)) => {
                if line.trim() == "```" {
                    for v in serde_json::Deserializer::from_str(code).into_iter::<Value>() {
                        let value = v
                            .unwrap_or_else(|e| panic!("docs/JSON.md: bad example ({e}):\n{code}"));
                        out.push(Example {
                            value,
                            optional: optional.clone(),
                        });
                    }
                    block = None;
                } else {
                    let (c, comment) = split_comment(line);
                    if comment.contains("optional") {
                        optional.extend(keys_on(c));
                    }
                    code.push_str(c);
                    code.push('\n');
                }
            }
        }
    }
    out
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Where `actual` departs from the documented `doc` (null on either side
/// stands for "null or the documented value").
fn departures(actual: &Value, doc: &Value, optional: &BTreeSet<String>, at: &str) -> Vec<String> {
    match (actual, doc) {
        (Value::Null, _) | (_, Value::Null) => vec![],
        (Value::Object(a), Value::Object(d)) => {
            let mut out = Vec::new();
            for (k, v) in a {
                match d.get(k) {
                    None => out.push(format!("{at}.{k}: printed but not documented")),
                    Some(dv) => out.extend(departures(v, dv, optional, &format!("{at}.{k}"))),
                }
            }
            for k in d.keys() {
                if !a.contains_key(k) && !optional.contains(k) {
                    out.push(format!("{at}.{k}: documented but not printed"));
                }
            }
            out
        }
        (Value::Array(a), Value::Array(d)) => {
            let mut out = Vec::new();
            for (i, e) in a.iter().enumerate() {
                if d.is_empty() {
                    if e.is_object() || e.is_array() {
                        out.push(format!("{at}[{i}]: documented as an empty list"));
                    }
                    continue;
                }
                // The element must fit one of the documented ones (stat's
                // file, directory and root).
                let tries: Vec<Vec<String>> = d
                    .iter()
                    .map(|de| departures(e, de, optional, &format!("{at}[{i}]")))
                    .collect();
                if !tries.iter().any(Vec::is_empty) {
                    out.extend(tries.into_iter().min_by_key(Vec::len).unwrap_or_default());
                }
            }
            out
        }
        (a, d) if kind(a) == kind(d) => vec![],
        (a, d) => vec![format!(
            "{at}: printed a {}, documented a {}",
            kind(a),
            kind(d)
        )],
    }
}

/// Checks one printed object against the documented example of its
/// command (and event or record type).
fn check(docs: &[Example], actual: &Value, what: &str) {
    let tag = |v: &Value| {
        (
            v["command"].as_str().map(str::to_string),
            v.get("event")
                .or(v.get("type"))
                .and_then(|t| t.as_str())
                .map(str::to_string),
        )
    };
    let want = tag(actual);
    assert!(want.0.is_some(), "{what}: no command field: {actual}");
    let mut candidates: Vec<&Example> = docs.iter().filter(|e| tag(&e.value) == want).collect();
    if want.0.as_deref() == Some("mirror resume") {
        // "mirror resume prints the same lines" as mirror add.
        let add = (Some("mirror add".to_string()), want.1.clone());
        candidates.extend(docs.iter().filter(|e| tag(&e.value) == add));
    }
    assert!(
        !candidates.is_empty(),
        "{what}: docs/JSON.md has no example for {want:?}"
    );
    let results: Vec<Vec<String>> = candidates
        .iter()
        .map(|e| departures(actual, &e.value, &e.optional, "$"))
        .collect();
    if results.iter().any(Vec::is_empty) {
        return;
    }
    panic!(
        "{what}: output departs from docs/JSON.md:\n  {}\noutput: {actual}",
        results
            .into_iter()
            .min_by_key(Vec::len)
            .unwrap()
            .join("\n  ")
    );
}

/// Runs nwvol and checks every JSON line it prints; returns them.
fn run_checked(docs: &[Example], devs: &str, args: &[&str], code: i32) -> Vec<Value> {
    let o = nwvol()
        .env("NWVOL_DEVICES", devs)
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(code),
        "nwvol {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8(o.stdout).unwrap();
    let vals: Vec<Value> = out
        .lines()
        .map(|l| {
            serde_json::from_str(l)
                .unwrap_or_else(|e| panic!("nwvol {args:?}: not JSON ({e}): {l}"))
        })
        .collect();
    assert!(!vals.is_empty(), "nwvol {args:?} printed nothing");
    for v in &vals {
        check(docs, v, &format!("nwvol {}", args.join(" ")));
    }
    vals
}

#[test]
fn every_commands_json_has_the_documented_shape() {
    let docs = examples();
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = populated(&dir);
    let devs = format!("{a}\n{b}");
    ok_env(&devs, &["mkdir", "SYS:/DATA/SUB"]);
    for args in [
        &["inspect", "--json"][..],
        &["ls", "--json", "-R", "SYS:/"],
        &["ls", "--json", "--deleted", "SYS:/DATA"],
        &[
            "stat",
            "--json",
            "SYS:/DATA/Report 2024.txt",
            "SYS:/DATA",
            "SYS:/",
        ],
        &["salvage", "--json", "SYS:/DATA"],
        &["df", "--json"],
        &["volume", "list", "--json"],
        &["hotfix", "list", "--json"],
        &["mirror", "status", "--json"],
        &["mirror", "resume", "--json"],
        &["verify", "--json"],
    ] {
        run_checked(&docs, &devs, args, 0);
    }
    // put and get: a summary record.
    let note = dir.path().join("note.txt");
    std::fs::write(&note, b"a note").unwrap();
    let note = note.display().to_string();
    let got = dir.path().join("got.txt").display().to_string();
    let put = run_checked(&docs, &devs, &["put", "--json", &note, "SYS:/NOTE.TXT"], 0);
    assert_eq!(put[0]["type"], "summary", "{put:?}");
    let get = run_checked(&docs, &devs, &["get", "--json", "SYS:/NOTE.TXT", &got], 0);
    assert_eq!(get[0]["copied_bytes"], 6, "{get:?}");
    // A new member: a plan, then progress lines and a summary.
    let c = img(&dir, "c.img");
    sparse(&c, 64 << 20);
    let c = c.display().to_string();
    let plan = run_checked(
        &docs,
        &devs,
        &["mirror", "add", "--json", "--dry-run", &c],
        0,
    );
    assert_eq!(plan[0]["event"], "plan");
    let add = run_checked(&docs, &devs, &["mirror", "add", "--json", &c], 0);
    assert_eq!(add.last().unwrap()["event"], "done");
    // A member out of sync (written while it was away): a resume plan,
    // then its progress and summary lines.
    let src = dir.path().join("away.txt");
    std::fs::write(&src, vec![7u8; 300_000]).unwrap();
    ok(&["put", "-d", &a, &src.display().to_string(), "SYS:/AWAY.TXT"]);
    let plan = run_checked(
        &docs,
        &devs,
        &["mirror", "resume", "--json", "--dry-run"],
        0,
    );
    assert_eq!(plan[0]["event"], "plan", "{plan:?}");
    let resume = run_checked(&docs, &devs, &["mirror", "resume", "--json"], 0);
    assert_eq!(resume.last().unwrap()["event"], "done", "{resume:?}");
    assert!(resume.last().unwrap()["target"].is_string(), "{resume:?}");
    // A damaged copy: a finding record.
    let inspect = crate::support::inspect(&[Path::new(&a), Path::new(&b)]);
    let data = inspect["devices"][1]["data_area_byte"].as_u64().unwrap();
    let st: Value = serde_json::from_str(&ok_env(
        &devs,
        &["stat", "--json", "SYS:/DATA/Report 2024.txt"],
    ))
    .unwrap();
    let first = st["entries"][0]["first_block"].as_u64().unwrap();
    let bs = inspect["volumes"][0]["block_size"].as_u64().unwrap();
    let member = inspect["devices"][1]["device"]
        .as_str()
        .unwrap()
        .to_string();
    poke(Path::new(&member), data + first * bs, b"not the report");
    let recs = run_checked(&docs, &format!("{devs}\n{c}"), &["verify", "--json"], 4);
    assert!(
        recs.iter().any(|r| r["type"] == "finding"),
        "no finding for a damaged copy: {recs:?}"
    );
    // An error record.
    let missing = dir.path().join("missing.img").display().to_string();
    run_checked(&docs, &missing, &["verify", "--json"], 8);
}

#[test]
fn the_doc_examples_are_complete_json() {
    let docs = examples();
    let commands: BTreeSet<&str> = docs
        .iter()
        .filter_map(|e| e.value["command"].as_str())
        .collect();
    for c in [
        "inspect",
        "ls",
        "stat",
        "salvage",
        "df",
        "volume list",
        "hotfix list",
        "mirror status",
        "mirror add",
        "mirror resume",
        "verify",
    ] {
        assert!(commands.contains(c), "docs/JSON.md has no example for {c}");
    }
}

#[test]
fn a_failing_command_prints_no_json() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = populated(&dir);
    let devs = format!("{a} {b}");
    for args in [
        &["ls", "--json", "SYS:/NOPE"][..],
        &["ls", "--json", "SYS:/DATA", "SYS:/NOPE"],
        &["stat", "--json", "SYS:/NOPE"],
        &["stat", "--json", "SYS:/DATA", "SYS:/NOPE"],
        &["df", "--json", "NOPE"],
        &["df", "--json", "SYS", "NOPE"],
        &["salvage", "--json", "SYS:/NOPE"],
        &["ls", "--json", "NOPE:/"],
    ] {
        let o = nwvol()
            .env("NWVOL_DEVICES", &devs)
            .args(args)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "nwvol {args:?}: {err}");
        assert!(
            o.stdout.is_empty(),
            "nwvol {args:?} printed {:?}",
            String::from_utf8_lossy(&o.stdout)
        );
        assert!(err.contains("NOPE"), "nwvol {args:?}: {err}");
        assert!(err.lines().all(|l| l.starts_with("nwvol: ")), "{err}");
    }
}
