//! Writes to a group with a member missing (issue 5, priority A and B):
//! the missing member is recorded out of sync before anything is written,
//! its stale data is never read, and the write-intent bits of the present
//! member name what it missed.

use std::path::PathBuf;

use crate::support::files::*;
use crate::support::*;
use nwvol::layout::mirror::{MEMBER_FLAG_WIB, MemberState};

#[test]
fn member_missing_during_a_write_is_out_of_sync_when_it_returns() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d0.img", "d1.img"], "64M", &["--mirror"]);
    let id1 = part(&imgs[1]).id();
    let before = part(&imgs[0]).mirror().ext.unwrap().events;
    // A clean write with both present leaves no write-intent bit set.
    let o = nw_stdin(&imgs, &["put", "-", "SYS:/CLEAN"], &bytes(7, 1 << 20));
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for p in &imgs {
        assert_eq!(part(p).read_wib().unwrap().count(), 0, "{p:?}");
    }

    let data = bytes(3, 6 << 20);
    let o = nw_stdin(&imgs[..1], &["put", "-", "SYS:/F.BIN"], &data);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    // d0's table: d1 out of sync with the write-intent flag, newer events.
    let t0 = part(&imgs[0]).mirror().ext.unwrap();
    let r1 = t0.member(id1).unwrap();
    assert_eq!(r1.state, MemberState::OutOfSync);
    assert_eq!(r1.flags & MEMBER_FLAG_WIB, MEMBER_FLAG_WIB);
    assert!(t0.events > before);
    // d1's own table is untouched (it was not there).
    let t1 = part(&imgs[1]).mirror().ext.unwrap();
    assert_eq!(t1.member(id1).unwrap().state, MemberState::InSync);
    // d0's write-intent bits cover what was written (never cleared while
    // degraded); d1's have none.
    let w0 = part(&imgs[0]).read_wib().unwrap();
    assert!(w0.count() as u64 * w0.header.chunk_bytes() >= data.len() as u64);
    assert_eq!(part(&imgs[1]).read_wib().unwrap().count(), 0);

    // Assembled with both: d1 shows out of sync; reads come from d0 only
    // (a 6 MiB read alternates members every 1 MiB when both are in sync,
    // and d1 has no such file).
    let j = inspect(&[&imgs[0], &imgs[1]]);
    let members = j["groups"][0]["members"].as_array().unwrap().clone();
    let m1 = members
        .iter()
        .find(|m| m["partition_id"] == id1)
        .expect("member listed");
    assert_eq!(m1["state"], "out of sync");
    assert_eq!(j["groups"][0]["degraded"], true);
    let cat = nw(&imgs, &["cat", "SYS:/F.BIN"]);
    assert!(
        cat.status.success(),
        "{}",
        String::from_utf8_lossy(&cat.stderr)
    );
    assert!(cat.stdout == data, "read back differs");
    // And the same order of devices reversed.
    let rev: Vec<PathBuf> = imgs.iter().rev().cloned().collect();
    let cat = nw(&rev, &["cat", "SYS:/F.BIN"]);
    assert!(cat.stdout == data, "read back differs (d1 first)");
}

#[test]
fn reads_alone_with_a_member_missing_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d0.img", "d1.img"], "32M", &["--mirror"]);
    let before = std::fs::read(&imgs[0]).unwrap();
    nw_ok(&imgs[..1], &["ls", "SYS:/"]);
    let after = std::fs::read(&imgs[0]).unwrap();
    assert!(before == after, "a read-only command wrote to the member");
}
