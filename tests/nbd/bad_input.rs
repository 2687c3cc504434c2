//! NBD members given bad input (issue 8): malformed URIs, refused
//! connections, unknown exports, servers that close, stall or reply
//! garbage in the handshake or in the middle of a put. Each gives one line
//! naming the URI and the cause, within the timeout, never a panic; a
//! member that fails mid-write is out of sync and the write succeeds on
//! the local one. Also the older NBD_OPT_EXPORT_NAME negotiation and a
//! server with 4 KiB blocks.

use std::path::PathBuf;

use crate::support::files::*;
use crate::support::nbd::*;
use crate::support::*;
use serde_json::Value;

/// `nwvol inspect -d URI` fails with one line naming the URI and `words`.
fn inspect_fails(uri: &str, extra: &[&str], words: &[&str]) -> String {
    let mut args = extra.to_vec();
    args.extend(["inspect", "-d", uri]);
    let mut w = vec![uri];
    w.extend_from_slice(words);
    fails(&args, 1, &w)
}

#[test]
fn malformed_uris_are_named_with_what_is_wrong() {
    for (uri, why) in [
        ("nbd:/host/x", "malformed NBD URI"),
        ("nbd://host:99999/x", "bad port"),
        ("nbd://:10809/x", "no host"),
        ("nbd+unix:///x", "socket="),
        ("nbd+unix://host/x?socket=/s", "takes no host"),
        ("nbds://host/x", "TLS"),
        ("nbd://host/x?export=y", "query parameter"),
        ("nbd+ssh://host/x", "unknown scheme"),
    ] {
        inspect_fails(uri, &[], &[why]);
    }
}

#[test]
fn a_refused_connection_is_one_line() {
    let uri = format!("nbd://127.0.0.1:{}/x", free_port());
    inspect_fails(&uri, &[], &["cannot connect", "refused"]);
    let dir = tempfile::tempdir().unwrap();
    let uri = format!(
        "nbd+unix:///x?socket={}",
        dir.path().join("none.sock").display()
    );
    inspect_fails(&uri, &[], &["cannot connect"]);
}

#[test]
fn an_unknown_export_is_named() {
    let srv = FakeServer::start(Mode::Serve, 1 << 20, 1);
    let uri = format!("nbd://127.0.0.1:{}/nope", srv.port);
    inspect_fails(&uri, &[], &["\"nope\"", "does not know this export"]);
    // A server without NBD_OPT_GO can only close the connection.
    let old = FakeServer::start(Mode::NoGo, 1 << 20, 1);
    let uri = format!("nbd://127.0.0.1:{}/nope", old.port);
    inspect_fails(
        &uri,
        &[],
        &["NBD_OPT_EXPORT_NAME", "does not know the export"],
    );
}

#[test]
fn an_unknown_export_on_qemu_nbd_is_named() {
    assert!(have("qemu-nbd"), "qemu-nbd is needed");
    let dir = tempfile::tempdir().unwrap();
    let image = img(&dir, "r.img");
    sparse(&image, 1 << 20);
    let srv = Server::qemu_tcp(&image, "disk1");
    let uri = srv.uri.replace("/disk1", "/disk9");
    inspect_fails(&uri, &[], &["does not know this export"]);
}

#[test]
fn servers_that_close_stall_or_talk_garbage_in_the_handshake() {
    let s = FakeServer::start(Mode::CloseAtOnce, 1 << 20, 1);
    inspect_fails(
        &s.uri(),
        &[],
        &["closed the connection during the handshake"],
    );
    let s = FakeServer::start(Mode::CloseMidHandshake, 1 << 20, 1);
    inspect_fails(
        &s.uri(),
        &[],
        &["closed the connection during the handshake"],
    );
    let s = FakeServer::start(Mode::GarbageGreeting, 1 << 20, 1);
    inspect_fails(&s.uri(), &["--nbd-timeout", "2"], &["not an NBD server"]);
    let s = FakeServer::start(Mode::Stall, 1 << 20, 1);
    inspect_fails(
        &s.uri(),
        &["--nbd-timeout", "0.5"],
        &["no answer", "0.5 s", "--nbd-timeout"],
    );
}

#[test]
fn garbage_in_reply_to_a_read_is_one_line() {
    let s = FakeServer::start(Mode::GarbageReply, 1 << 20, 1);
    inspect_fails(&s.uri(), &["--nbd-timeout", "2"], &["read", "garbage"]);
}

#[test]
fn the_nbd_timeout_must_be_a_positive_number() {
    for bad in ["0", "soon", "1e9"] {
        let o = run(&["--nbd-timeout", bad, "inspect", "-d", "x.img"]);
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("--nbd-timeout") && err.contains("seconds"),
            "{err}"
        );
    }
}

/// Formats a 2-way mirror of a local image and the fake server's export.
fn mirror_with(srv: &FakeServer, dir: &tempfile::TempDir) -> Vec<PathBuf> {
    let local = img(dir, "l.img");
    ok(&[
        "format",
        "--size",
        "32M",
        "--mirror",
        local.to_str().unwrap(),
        &srv.uri(),
    ]);
    vec![local, PathBuf::from(srv.uri())]
}

fn remote_state(local: &std::path::Path) -> String {
    let o = ok(&["mirror", "status", "--json", "-d", local.to_str().unwrap()]);
    let st: Value = serde_json::from_str(&o).unwrap();
    let ms = st["groups"][0]["members"].as_array().unwrap().clone();
    assert_eq!(ms.len(), 2, "{st}");
    assert_eq!(ms[0]["state"], "in sync", "local member: {st}");
    ms[1]["state"].as_str().unwrap().to_string()
}

#[test]
fn a_server_that_stalls_or_talks_garbage_mid_put_is_out_of_sync() {
    for mode in [Mode::StallOnWrite, Mode::GarbageOnWrite] {
        let dir = tempfile::tempdir().unwrap();
        let srv = FakeServer::start(Mode::Serve, 32 << 20, 1);
        let devs = mirror_with(&srv, &dir);
        srv.set_mode(mode);
        let data = bytes(5, 1 << 20);
        let mut args: Vec<String> = vec!["--nbd-timeout".into(), "1".into()];
        args.extend(with_devs(&devs, &["put", "-", "SYS:/F.BIN"]));
        let mut child = nwvol()
            .args(&args)
            .stdin(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        let _ = child.stdin.take().unwrap().write_all(&data);
        let o = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "{mode:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        assert_eq!(remote_state(&devs[0]), "out of sync", "{mode:?}");
        let got = nw(&devs[..1], &["cat", "SYS:/F.BIN"]);
        assert!(got.stdout == data, "{mode:?}: local copy differs");
    }
}

#[test]
fn a_server_without_nbd_opt_go_serves_a_member() {
    let dir = tempfile::tempdir().unwrap();
    let srv = FakeServer::start(Mode::NoGo, 32 << 20, 1);
    let devs = mirror_with(&srv, &dir);
    let data = bytes(6, 2 << 20);
    let o = nw_stdin(&devs, &["put", "-", "SYS:/G.BIN"], &data);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = nw(&devs[1..], &["cat", "SYS:/G.BIN"]);
    assert!(o.stdout == data, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(remote_state(&devs[0]), "in sync");
}

#[test]
fn a_server_with_4k_blocks_gets_only_whole_blocks() {
    // The fake server refuses (EINVAL) any request not in whole 4 KiB
    // blocks; nwvol's 512-byte header writes are read, patched and
    // written whole.
    let dir = tempfile::tempdir().unwrap();
    let srv = FakeServer::start(Mode::Serve, 32 << 20, 4096);
    let devs = mirror_with(&srv, &dir);
    let data = bytes(7, 1 << 20);
    let o = nw_stdin(&devs, &["put", "-", "SYS:/H.BIN"], &data);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let o = nw(&devs[1..], &["cat", "SYS:/H.BIN"]);
    assert!(o.stdout == data, "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(remote_state(&devs[0]), "in sync");
}
