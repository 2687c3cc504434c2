//! `nwvol hotfix list`, the member counters of `inspect` and the global
//! `--cache-size` (issue 3, point 8).

use std::sync::Arc;

use crate::support::*;
use nwvol::device::file::{FileDevice, OpenOptions};
use nwvol::partition::Partition;

#[test]
fn hotfix_list_shows_redirected_units() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (img(&dir, "a.img"), img(&dir, "b.img"));
    let (sa, sb) = (a.display().to_string(), b.display().to_string());
    ok(&["format", "--size", "64M", "--mirror", &sa, &sb]);
    // Redirect one unit on member a, as a failing write would.
    let dev = FileDevice::open(&a, &OpenOptions::read_write()).unwrap();
    let p = Partition::open(Arc::new(dev)).unwrap();
    let slot = p.redirect_unit(8 << 20, &[7u8; 4096]).unwrap();
    let slot_byte = p.slot_device_offset(slot);
    drop(p);

    let out = ok(&["hotfix", "list", "-d", &sa, "-d", &sb, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["command"], "hotfix list");
    let ms = v["members"].as_array().unwrap();
    assert_eq!(ms.len(), 2);
    let ma = ms.iter().find(|m| m["device"] == sa.as_str()).unwrap();
    let mb = ms.iter().find(|m| m["device"] == sb.as_str()).unwrap();
    assert_eq!(ma["pool_slots_used"], 1);
    assert_eq!(ma["redirects"][0]["logical_byte"], 8 << 20);
    assert_eq!(ma["redirects"][0]["slot"], slot);
    assert_eq!(ma["redirects"][0]["device_byte"], slot_byte);
    assert_eq!(ma["state"], "in sync");
    assert_eq!(mb["pool_slots_used"], 0);

    let text = ok(&["hotfix", "list", "-d", &sa, "-d", &sb]);
    assert!(text.contains("1 of"), "{text}");
    assert!(text.contains(&(8u64 << 20).to_string()), "{text}");
}

#[test]
fn inspect_shows_member_and_cache_counters() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (img(&dir, "a.img"), img(&dir, "b.img"));
    let (sa, sb) = (a.display().to_string(), b.display().to_string());
    ok(&["format", "--size", "64M", "--mirror", &sa, &sb]);
    let out = ok(&[
        "--cache-size",
        "8M",
        "inspect",
        "--json",
        "-d",
        &sa,
        "-d",
        &sb,
    ]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["cache"]["capacity_bytes"], 8 << 20);
    assert!(v["cache"]["misses"].as_u64().unwrap() > 0);
    let m = &v["groups"][0]["members"][0];
    assert_eq!(m["hotfix_slots_used"], 0);
    assert!(m["counters"]["reads"].is_u64());
    let o = run(&["--cache-size", "1K", "inspect", "-d", &sa]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("at least 1M"));
}
