//! inspect reads a NetWare partition laid out here byte by byte from the
//! published tables (../shared/nwfs386-layout.md), not with nwvol's
//! encoders, so the decoders are checked against the layout itself.

use crate::support::netware::lay_out_disk;
use crate::support::*;

#[test]
fn inspect_reads_a_hand_laid_netware_partition() {
    let dir = tempfile::tempdir().unwrap();
    let path = img(&dir, "netware312.img");
    let (bytes, id) = lay_out_disk();
    std::fs::write(&path, bytes).unwrap();
    let j = inspect(&[&path]);
    let dev = &j["devices"][0];
    assert_eq!(dev["nwvol"], false, "{dev}");
    assert_eq!(dev["partition_id"], id);
    assert_eq!(dev["start_byte"], 63 * 512);
    assert_eq!(dev["redirection_sectors"], 192);
    assert_eq!(dev["volume_table_byte"], 63 * 512 + 0x4000 + 192 * 512);
    let g = &j["groups"][0];
    assert_eq!(g["members"].as_array().unwrap().len(), 1);
    assert_eq!(g["degraded"], false);
    let v = &j["volumes"][0];
    assert_eq!(v["name"], "SYS");
    assert_eq!(v["block_size"], 4096);
    assert_eq!(v["total_blocks"], 1000);
    // No nwvol extension, so no block checksums (and the directory at 2F).
    assert_eq!(v["checksums"], false);
    assert_eq!(v["stats"]["used_blocks"], 6);
    assert_eq!(v["stats"]["free_blocks"], 994);
    assert_eq!(v["stats"]["files"], 1);
    assert_eq!(v["stats"]["directories"], 1);
    // The table output names the volume too, and warns that the partition
    // is plain NetWare (read-only).
    let o = run(&["inspect", "-d", path.to_str().unwrap()]);
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("SYS"));
    assert!(String::from_utf8_lossy(&o.stderr).contains("plain NetWare"));
}

#[test]
fn format_refuses_a_netware_disk_without_force() {
    let dir = tempfile::tempdir().unwrap();
    let path = img(&dir, "netware312.img");
    std::fs::write(&path, lay_out_disk().0).unwrap();
    fails(
        &["format", path.to_str().unwrap()],
        1,
        &["netware312.img", "NetWare", "--force"],
    );
    // Nothing was written.
    assert_eq!(std::fs::read(&path).unwrap(), lay_out_disk().0);
}

#[test]
fn verify_checks_a_plain_netware_disk_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    let path = img(&dir, "netware312.img");
    let bytes = lay_out_disk().0;
    std::fs::write(&path, &bytes).unwrap();
    let p = path.to_str().unwrap();
    let o = run(&["verify", "--json", "-d", p]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{out}");
    let last: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(last["type"], "summary");
    assert!(last["bytes_compared"].as_u64().unwrap() > 0);
    // --repair on a clean plain disk: still nothing written.
    let o = run(&["verify", "--repair", "-d", p]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}
