//! fsx, the file system exerciser (written elsewhere), on a mounted 2-way
//! mirror: no failure; then the mirror verifies clean and each member
//! alone holds the file byte for byte.

use std::path::Path;
use std::process::Command;

use crate::support::files::{format, nw_ok};
use crate::support::mount::Mounted;

/// Runs fsx for `ops` operations on a new 2-way mirror, then checks.
fn fsx_on_a_mirror(ops: u64, seed: u64) {
    let t = tempfile::tempdir().unwrap();
    let imgs = format(&t, &["a.img", "b.img"], "256M", &["--mirror"]);
    let m = Mounted::new(&imgs, "SYS", &t.path().join("mnt"), &[]);
    let o = Command::new("fsx")
        .args(["-N", &ops.to_string(), "-S", &seed.to_string(), "-P"])
        .arg(t.path())
        .arg(m.path("fsx.dat"))
        .output()
        .expect("run fsx (cargo install --locked fsx)");
    let out = String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "fsx failed:\n{out}");
    m.umount();
    nw_ok(&imgs, &["verify"]);
    let alone: Vec<Vec<u8>> = imgs
        .iter()
        .enumerate()
        .map(|(k, img)| {
            let one = Mounted::new(
                std::slice::from_ref(img),
                "SYS",
                &t.path().join(format!("one{k}")),
                &["-o", "ro"],
            );
            let d = std::fs::read(one.path("fsx.dat")).unwrap();
            one.umount();
            d
        })
        .collect();
    assert!(alone[0] == alone[1], "the members hold different files");
    // fsx keeps its own copy of what the file must hold.
    let good = std::fs::read(Path::new(t.path()).join("fsx.dat.fsxgood")).ok();
    if let Some(g) = good {
        assert!(g == alone[0], "the file differs from fsx's model");
    }
}

#[test]
fn fsx_ten_thousand_operations_on_a_mounted_mirror() {
    fsx_on_a_mirror(10_000, 1);
}

/// The campaign: a million operations.
#[test]
#[ignore]
fn fsx_a_million_operations_on_a_mounted_mirror() {
    fsx_on_a_mirror(1_000_000, 2);
}
