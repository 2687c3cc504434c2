//! Remote mirror members over NBD (issue 8) against real servers started
//! here: qemu-nbd on loopback TCP and nbdkit on a unix socket, each
//! serving an image file. A 2-way mirror of a local image and a remote
//! export takes put, get, verify and mirror add; a server killed in the middle of
//! a put leaves the remote member out of sync, and resume after a restart
//! copies only the regions written while it was away.

use std::io::Write;
use std::path::PathBuf;
use std::process::Stdio;

use crate::support::files::*;
use crate::support::nbd::*;
use crate::support::*;
use serde_json::Value;

/// `nwvol get` of one file from the devices, to memory.
fn get(devs: &[PathBuf], file: &str) -> Vec<u8> {
    let o = nw(devs, &["cat", file]);
    assert!(
        o.status.success(),
        "cat {file} from {devs:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

/// `nwvol mirror SUB -d ... REST`; asserts success, returns stdout.
fn mirror(devs: &[PathBuf], sub: &str, rest: &[&str]) -> String {
    let mut v: Vec<String> = vec!["mirror".into(), sub.into()];
    for d in devs {
        v.push("-d".into());
        v.push(d.display().to_string());
    }
    v.extend(rest.iter().map(|s| s.to_string()));
    let a: Vec<&str> = v.iter().map(|s| s.as_str()).collect();
    ok(&a)
}

fn status(devs: &[PathBuf]) -> Value {
    serde_json::from_str(&mirror(devs, "status", &["--json"])).unwrap()
}

/// The member of group 0 whose device is `dev`.
fn member<'a>(st: &'a Value, dev: &str) -> &'a Value {
    st["groups"][0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["device"] == dev)
        .unwrap_or_else(|| panic!("{dev} not listed: {st}"))
}

#[test]
fn local_and_qemu_nbd_mirror_takes_put_get_and_an_nbdkit_member() {
    assert!(
        have("qemu-nbd"),
        "qemu-nbd is needed (apt-get install qemu-utils)"
    );
    let dir = tempfile::tempdir().unwrap();
    let local = img(&dir, "l.img");
    let remote = img(&dir, "r.img");
    sparse(&remote, 64 << 20);
    let srv = Server::qemu_tcp(&remote, "disk1");
    let uri = PathBuf::from(&srv.uri);
    ok(&[
        "format",
        "--size",
        "64M",
        "--mirror",
        local.to_str().unwrap(),
        &srv.uri,
    ]);
    let both = vec![local.clone(), uri.clone()];
    let data = bytes(11, 3 << 20);
    let o = nw_stdin(&both, &["put", "-", "SYS:/A.BIN"], &data);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // Each member alone holds the file; so do the two images underneath.
    assert!(get(&both, "SYS:/A.BIN") == data);
    assert!(
        get(std::slice::from_ref(&uri), "SYS:/A.BIN") == data,
        "remote alone"
    );
    assert!(
        get(std::slice::from_ref(&local), "SYS:/A.BIN") == data,
        "local alone"
    );
    same_logical(&local, &remote);
    // verify reads both members (at once) and finds them the same.
    let v = nw(&both, &["verify"]);
    assert_eq!(
        v.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );

    // inspect and mirror status name the remote member by its URI.
    let j = inspect(&[&local, &uri]);
    let parts = j["devices"].as_array().expect("devices");
    let r = parts
        .iter()
        .find(|p| p["device"] == srv.uri.as_str())
        .unwrap_or_else(|| panic!("remote member not in {j}"));
    assert_eq!(r["kind"], "nbd");
    let st = status(&both);
    assert_eq!(member(&st, &srv.uri)["state"], "in sync");
    let text = mirror(&both, "status", &[]);
    assert!(text.contains(&srv.uri), "{text}");

    // mirror add: a third member, an nbdkit export on a unix socket.
    if !have("nbdkit") {
        eprintln!("skipping the nbdkit member: nbdkit is not installed");
        return;
    }
    let third = img(&dir, "r2.img");
    sparse(&third, 64 << 20);
    let kit = Server::nbdkit_unix(&third, "disk2", &dir.path().join("kit.sock"));
    mirror(&both, "add", &[&kit.uri]);
    let all = vec![local.clone(), uri.clone(), PathBuf::from(&kit.uri)];
    let st = status(&all);
    for m in st["groups"][0]["members"].as_array().unwrap() {
        assert_eq!(m["state"], "in sync", "{st}");
    }
    assert!(
        get(&[PathBuf::from(&kit.uri)], "SYS:/A.BIN") == data,
        "nbdkit alone"
    );
    // Writes reach all three.
    let more = bytes(12, 1 << 20);
    let o = nw_stdin(&all, &["put", "-", "SYS:/B.BIN"], &more);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(get(&[PathBuf::from(&kit.uri)], "SYS:/B.BIN") == more);
    drop(kit);
    drop(srv);
    same_logical(&local, &third);
    same_logical(&local, &remote);
}

#[test]
fn a_server_killed_mid_put_leaves_the_remote_out_of_sync_and_resume_copies_only_the_dirty_regions()
{
    assert!(
        have("qemu-nbd"),
        "qemu-nbd is needed (apt-get install qemu-utils)"
    );
    let dir = tempfile::tempdir().unwrap();
    let local = img(&dir, "l.img");
    let remote = img(&dir, "r.img");
    sparse(&remote, 64 << 20);
    let mut srv = Server::qemu_tcp(&remote, "disk1");
    let uri = PathBuf::from(&srv.uri);
    ok(&[
        "format",
        "--size",
        "64M",
        "--mirror",
        local.to_str().unwrap(),
        &srv.uri,
    ]);
    let both = vec![local.clone(), uri.clone()];
    let first = bytes(21, 8 << 20);
    let o = nw_stdin(&both, &["put", "-", "SYS:/FIRST.BIN"], &first);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // A put with a small cache, so it writes to the members as it goes;
    // the server is killed once half the data has been taken in.
    let data = bytes(22, 12 << 20);
    let mut args = vec![
        "--cache-size".to_string(),
        "1M".into(),
        "--nbd-timeout".into(),
        "5".into(),
    ];
    args.extend(with_devs(&both, &["put", "-", "SYS:/SECOND.BIN"]));
    let mut child = nwvol()
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&data[..6 << 20]).unwrap();
    srv.kill();
    stdin.write_all(&data[6 << 20..]).unwrap();
    drop(stdin);
    let o = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "put with the server gone: {err}");
    assert!(!err.contains("panicked"), "{err}");

    // The local member is in sync and holds everything; the remote one is
    // out of sync, its missing writes in the write-intent record.
    assert!(get(std::slice::from_ref(&local), "SYS:/SECOND.BIN") == data);
    let st = status(std::slice::from_ref(&local));
    let g = &st["groups"][0];
    let ms = g["members"].as_array().unwrap();
    assert_eq!(
        ms.iter().filter(|m| m["state"] == "in sync").count(),
        1,
        "{st}"
    );
    let out = ms
        .iter()
        .find(|m| m["state"] == "out of sync")
        .expect("one out of sync");
    assert_eq!(out["write_intent"], true, "{st}");
    let dirty = g["dirty_bytes"].as_u64().unwrap();
    let logical = g["logical_bytes"].as_u64().unwrap();
    assert!(
        dirty > 0 && dirty < logical / 2,
        "dirty {dirty} of {logical}"
    );

    // With the server back, the remote shows out of sync by its URI and
    // resume copies the dirty regions, no more.
    srv.restart();
    let st = status(&both);
    assert_eq!(member(&st, &srv.uri)["state"], "out of sync", "{st}");
    // verify names it by its URI, not compared until resumed.
    let v = nw(&both, &["verify", "--json"]);
    let out = String::from_utf8_lossy(&v.stdout);
    assert_eq!(v.status.code(), Some(4), "{out}");
    let f: Value = out
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|f| f["code"] == "member-not-in-sync")
        .unwrap_or_else(|| panic!("no member-not-in-sync finding: {out}"));
    assert_eq!(f["member"], srv.uri.as_str(), "{f}");
    let plan: Value =
        serde_json::from_str(&mirror(&both, "resume", &["--dry-run", "--json"])).unwrap();
    assert_eq!(plan["bytes"].as_u64(), Some(dirty), "{plan}");
    let done = mirror(&both, "resume", &["--json"]);
    let last: Value = serde_json::from_str(done.lines().last().unwrap()).unwrap();
    assert_eq!(last["event"], "done", "{done}");
    assert_eq!(last["copied_bytes"].as_u64(), Some(dirty), "{done}");
    let st = status(&both);
    assert_eq!(member(&st, &srv.uri)["state"], "in sync", "{st}");
    assert!(get(std::slice::from_ref(&uri), "SYS:/SECOND.BIN") == data);
    assert!(get(std::slice::from_ref(&uri), "SYS:/FIRST.BIN") == first);
    assert_eq!(nw(&both, &["verify"]).status.code(), Some(0));
    drop(srv);
    same_logical(&local, &remote);
}

#[test]
fn nbdkit_over_tcp_and_nwvol_devices_name_remote_members() {
    if !have("nbdkit") {
        eprintln!("skipping: nbdkit is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let local = img(&dir, "l.img");
    let remote = img(&dir, "r.img");
    sparse(&remote, 48 << 20);
    let srv = Server::nbdkit_tcp(&remote, "vol");
    ok(&[
        "format",
        "--size",
        "48M",
        "--mirror",
        local.to_str().unwrap(),
        &srv.uri,
    ]);
    let data = bytes(31, 2 << 20);
    let env = format!("{} {}", local.display(), srv.uri);
    let mut child = nwvol()
        .env("NWVOL_DEVICES", &env)
        .args(["put", "-", "SYS:/C.BIN"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&data).unwrap();
    assert!(child.wait().unwrap().success());
    let o = nwvol()
        .env("NWVOL_DEVICES", &srv.uri)
        .args(["cat", "SYS:/C.BIN"])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(o.stdout == data);
}
