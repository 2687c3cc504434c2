//! `nwvol mirror add` of a device that already is a member of the group
//! (back after an outage): re-added like mdadm --re-add, resynced from the
//! write-intent record, not overwritten and copied whole.

use crate::support::*;

#[test]
fn re_adding_a_stale_member_copies_only_what_it_missed() {
    let dir = tempfile::tempdir().unwrap();
    let a = img(&dir, "a.img");
    let b = img(&dir, "b.img");
    let (sa, sb) = (a.to_str().unwrap(), b.to_str().unwrap());
    ok(&["format", "-q", "--size", "256M", "--mirror", sa, sb]);
    let data: Vec<u8> = (0..3_000_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let src = dir.path().join("g.bin");
    std::fs::write(&src, &data).unwrap();
    // Written with b absent: b is now out of sync.
    ok(&["put", "-q", "-d", sa, src.to_str().unwrap(), "SYS:/G.BIN"]);

    let out = ok(&["mirror", "add", "--json", "-d", sa, sb]);
    let last: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    let copied = last["copied_bytes"].as_u64().unwrap();
    assert!(copied >= data.len() as u64, "{out}");
    assert!(
        copied < 8 << 20,
        "re-add copied {copied} bytes, more than what changed: {out}"
    );

    let status: serde_json::Value =
        serde_json::from_str(&ok(&["mirror", "status", "--json", "-d", sa, "-d", sb])).unwrap();
    let members = status["groups"][0]["members"].as_array().unwrap();
    assert!(members.iter().all(|m| m["state"] == "in sync"), "{status}");
    let o = run(&["cat", "-d", sb, "SYS:/G.BIN"]);
    assert_eq!(o.stdout, data, "b alone");
    let o = run(&["verify", "-d", sa, "-d", sb]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
}
