//! fsx, the file system exerciser (written elsewhere), on a mounted 2-way
//! mirror: no failure; then the mirror verifies clean and each member
//! alone holds every file byte for byte, as fsx's own model says.

use std::process::{Command, Stdio};

use crate::support::files::{format, nw_ok};
use crate::support::mount::Mounted;

/// Runs one fsx per seed at once, each on a file of its own, for `ops`
/// operations each, on a new 2-way mirror; then checks.
fn fsx_on_a_mirror(ops: u64, seeds: &[u64]) {
    let t = tempfile::tempdir().unwrap();
    let imgs = format(&t, &["a.img", "b.img"], "512M", &["--mirror"]);
    let m = Mounted::new(&imgs, "SYS", &t.path().join("mnt"), &[]);
    let runs: Vec<_> = seeds
        .iter()
        .map(|s| {
            let name = format!("fsx{s}.dat");
            let child = Command::new("fsx")
                .args(["-q", "-N", &ops.to_string(), "-S", &s.to_string(), "-P"])
                .arg(t.path())
                .arg(m.path(&name))
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("run fsx (cargo install --locked fsx)");
            (name, child)
        })
        .collect();
    for (name, child) in runs {
        let o = child.wait_with_output().expect("wait for fsx");
        let out =
            String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
        assert!(o.status.success(), "fsx on {name} failed:\n{out}");
    }
    m.umount();
    nw_ok(&imgs, &["verify"]);
    let alone: Vec<Vec<Vec<u8>>> = imgs
        .iter()
        .enumerate()
        .map(|(k, img)| {
            let one = Mounted::new(
                std::slice::from_ref(img),
                "SYS",
                &t.path().join(format!("one{k}")),
                &["-o", "ro"],
            );
            let files = seeds
                .iter()
                .map(|s| std::fs::read(one.path(&format!("fsx{s}.dat"))).unwrap())
                .collect();
            one.umount();
            files
        })
        .collect();
    for (i, s) in seeds.iter().enumerate() {
        assert!(
            alone[0][i] == alone[1][i],
            "the members hold different fsx{s}.dat"
        );
        // fsx keeps its own copy of what the file must hold.
        if let Ok(good) = std::fs::read(t.path().join(format!("fsx{s}.dat.fsxgood"))) {
            assert!(good == alone[0][i], "fsx{s}.dat differs from fsx's model");
        }
    }
}

#[test]
fn fsx_ten_thousand_operations_on_a_mounted_mirror() {
    fsx_on_a_mirror(10_000, &[1]);
}

/// The campaign: a million operations (about 15 minutes in a release
/// build on 2 idle cores: every msync of fsx's mapped writes is an fsync,
/// a commit made durable on both members).
#[test]
#[ignore]
fn fsx_a_million_operations_on_a_mounted_mirror() {
    fsx_on_a_mirror(1_000_000, &[2]);
}

/// Eight fsx at once on one mount (the server's lock and commits shared).
#[test]
fn fsx_eight_at_once_on_a_mounted_mirror() {
    fsx_on_a_mirror(1_000, &[11, 12, 13, 14, 15, 16, 17, 18]);
}
