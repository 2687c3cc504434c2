//! Replays the inputs kept in tests/fuzz/regressions/TARGET/ (inputs that
//! crashed a fuzz target before the fix, and seeds) through the fuzz
//! targets' own code, so the default test run keeps them fixed. A panic
//! anywhere in a target fails the test naming the input.

#[path = "../fuzz/src/targets.rs"]
mod targets;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nwvol::assembly::Assembly;
use nwvol::check::{CheckOptions, check_structures};
use nwvol::device::Device;
use nwvol::device::testing::MemDevice;

fn inputs(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz/regressions")
        .join(target);
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    v.sort();
    v
}

/// Feeds every kept input of `target` to it; returns how many there were.
fn replay(target: &str) -> usize {
    let (_, run) = targets::TARGETS
        .iter()
        .find(|(n, _)| *n == target)
        .expect("a target of that name");
    let files = inputs(target);
    for f in &files {
        let data = std::fs::read(f).expect("read input");
        let r = std::panic::catch_unwind(|| run(&data));
        assert!(r.is_ok(), "{target}: {} panics", f.display());
    }
    files.len()
}

/// One test per target, named after it.
macro_rules! replays {
    ($($name:ident),*) => {$(
        #[test]
        fn $name() {
            assert!(
                replay(stringify!($name)) > 0,
                "tests/fuzz/regressions/{}/ holds no input",
                stringify!($name)
            );
        }
    )*};
}

replays!(
    open_image,
    voltab,
    hotfix_table,
    mirror_header,
    dirent,
    longname,
    sectors,
    fat_checksum,
    nbd
);

#[test]
fn every_target_has_a_test() {
    let tested = [
        "open_image",
        "voltab",
        "hotfix_table",
        "mirror_header",
        "dirent",
        "longname",
        "sectors",
        "fat_checksum",
        "nbd",
    ];
    let all: Vec<&str> = targets::TARGETS.iter().map(|(n, _)| *n).collect();
    assert_eq!(all, tested);
}

#[test]
fn fuzz_base_image_is_a_clean_formatted_image() {
    // The whole-image target edits this image: it must be what format
    // and put write today, or the fuzzer starts from an image nwvol
    // rejects and never gets deep.
    let dev: Arc<dyn Device> = Arc::new(MemDevice::from_bytes(targets::build_image(&[])));
    let sys = Assembly::open(vec![dev]).expect("the base image opens");
    let names: Vec<&str> = sys.volumes.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["SYS", "DATA"]);
    let mut findings = Vec::new();
    let opts = CheckOptions {
        repair: false,
        dry_run: false,
    };
    check_structures(&sys, &opts, &mut |f| findings.push(f)).expect("check runs");
    assert!(findings.is_empty(), "{findings:?}");
}
