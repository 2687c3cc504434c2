//! Volumes that span mirror groups, and volume create, extend, rename and
//! list.

use crate::support::files::*;

fn n(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap()
}

fn list(imgs: &[std::path::PathBuf]) -> serde_json::Value {
    serde_json::from_str(&nw_ok(imgs, &["volume", "list", "--json"])).unwrap()
}

#[test]
fn a_file_larger_than_the_first_segment_crosses_into_the_next() {
    let dir = tempfile::tempdir().unwrap();
    // No --mirror: two groups, SYS spans both.
    let imgs = format(&dir, &["d0.img", "d1.img"], "24M", &["--block-size", "4K"]);
    let j = list(&imgs);
    let segs = j["volumes"][0]["segments"].as_array().unwrap();
    assert_eq!(segs.len(), 2);
    let first_blocks = n(&segs[0]["blocks"]);
    let data = bytes(11, (first_blocks as usize + 500) * 4096);
    let o = nw_stdin(&imgs, &["put", "-", "SYS:/SPAN.BIN"], &data);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(nw(&imgs, &["cat", "SYS:/SPAN.BIN"]).stdout == data);
    // Its chain has blocks in both segments.
    let st: serde_json::Value =
        serde_json::from_str(&nw_ok(&imgs, &["stat", "--json", "SYS:/SPAN.BIN"])).unwrap();
    assert_eq!(n(&st["entries"][0]["blocks"]), data.len() as u64 / 4096);
    let sys = system(&imgs);
    let v =
        nwvol::volume::OpenVolume::from_assembly(&sys, "SYS", nwvol::volume::OpenMode::ReadOnly)
            .unwrap();
    let idx = n(&st["entries"][0]["entry"]) as u32;
    let blocks = v.file_blocks(v.index().get(idx).unwrap()).unwrap();
    assert!(blocks.iter().any(|&b| u64::from(b) < first_blocks));
    assert!(blocks.iter().any(|&b| u64::from(b) >= first_blocks));
    // Without the second device the volume is incomplete: a clear error.
    nw_fails(&imgs[..1], &["ls", "SYS:/"], 1, &["SYS", "incomplete"]);
    copies_equal(&imgs);
}

#[test]
fn volumes_are_created_extended_renamed_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let d0 = format(
        &dir,
        &["d0.img"],
        "64M",
        &["--volume", "SYS:20M", "--block-size", "4K"],
    );
    let d1 = format(
        &dir,
        &["d1.img"],
        "32M",
        &["--volume", "TMP:8M", "--block-size", "4K"],
    );
    let imgs = vec![d0[0].clone(), d1[0].clone()];
    // Create VOL1 in d0's free space.
    let o = nw_ok(&d0, &["volume", "create", "VOL1:16M"]);
    assert!(o.contains("created volume VOL1"), "{o}");
    let j = list(&d0);
    let names: Vec<&str> = j["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["SYS", "VOL1"]);
    assert_eq!(n(&j["volumes"][1]["size_bytes"]), 16 << 20);
    assert!(
        nw_stdin(&d0, &["put", "-", "VOL1:/HELLO.TXT"], b"hello")
            .status
            .success()
    );
    nw_fails(
        &d0,
        &["volume", "create", "vol1"],
        1,
        &["VOL1", "already exists"],
    );
    // Extend SYS onto d1's free space, then store a file larger than SYS
    // was.
    let before = n(&df(&imgs, "SYS")["size_bytes"]);
    let o = nw_ok(&imgs, &["volume", "extend", "SYS", d1[0].to_str().unwrap()]);
    assert!(o.contains("extended volume SYS"), "{o}");
    let after = df(&imgs, "SYS");
    assert!(n(&after["size_bytes"]) > before + (16 << 20), "{after}");
    assert_eq!(after["segments"], 2);
    let data = bytes(5, (before + (4 << 20)) as usize);
    let o = nw_stdin(&imgs, &["put", "-", "SYS:/BIG.BIN"], &data);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(nw(&imgs, &["cat", "SYS:/BIG.BIN"]).stdout == data);
    // Every segment entry of SYS, in both groups, has the new total.
    let sys = system(&imgs);
    let total = sys.volume("SYS").unwrap().total_blocks;
    for t in &sys.tables {
        for e in t.table.entries.iter().filter(|e| e.name == "SYS") {
            assert_eq!(e.total_blocks, total);
        }
        assert!(t.copies.iter().all(|c| c.is_none()), "4 equal copies");
    }
    drop(sys);
    nw_fails(
        &imgs,
        &["volume", "extend", "SYS", d1[0].to_str().unwrap()],
        1,
        &["no free space"],
    );
    // Rename.
    nw_ok(&d0, &["volume", "rename", "VOL1", "DATA"]);
    assert_eq!(nw_ok(&d0, &["cat", "DATA:/HELLO.TXT"]), "hello");
    nw_fails(&d0, &["ls", "VOL1:/"], 1, &["VOL1", "not found"]);
    nw_fails(
        &imgs,
        &["volume", "rename", "DATA", "TMP"],
        1,
        &["TMP", "already exists"],
    );
    let text = nw_ok(&imgs, &["volume", "list"]);
    for v in ["SYS", "DATA", "TMP"] {
        assert!(text.contains(v), "{text}");
    }
    copies_equal(&imgs);
}
