//! Sizes and numbers as people read them, through the real binary: decimal
//! and binary units, sizes past what the format addresses, devices too
//! small, option ranges, sizes in messages.

use crate::support::*;

#[test]
fn gb_is_decimal_and_g_binary() {
    let dir = tempfile::tempdir().unwrap();
    for (size, bytes) in [
        ("64M", 64u64 << 20),
        ("64MiB", 64 << 20),
        ("1GB", 1_000_000_000),
        // Not a whole number of sectors: rounded down to one.
        ("100MB", 100_000_000 / 512 * 512),
    ] {
        let p = img(&dir, &format!("{size}.img"));
        ok(&["format", "--size", size, p.to_str().unwrap()]);
        assert_eq!(std::fs::metadata(&p).unwrap().len(), bytes, "{size}");
    }
    let help = ok(&["format", "--help"]);
    assert!(help.contains("1GB = 10^9 bytes"), "{help}");
    assert!(help.contains("binary"), "{help}");
}

#[test]
fn a_size_past_the_mbr_limit_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let p = img(&dir, "huge.img");
    for size in ["1E", "3T", "2199024304128"] {
        fails(
            &["format", "--size", size, p.to_str().unwrap()],
            1,
            &[
                "--size",
                "larger than a NetWare disk can use",
                "2^32 sectors",
                "2T",
            ],
        );
        assert!(!p.exists(), "nothing created for {size}");
    }
}

#[test]
fn a_device_too_small_gives_its_size_and_what_is_needed() {
    let dir = tempfile::tempdir().unwrap();
    let p = img(&dir, "tiny.img");
    std::fs::write(&p, vec![0u8; 511]).unwrap();
    let path = p.to_str().unwrap();
    fails(
        &["format", path],
        1,
        &["tiny.img: too small (511 bytes; ", "at least 2.2 MiB"],
    );
    fails(
        &["inspect", "-d", path],
        1,
        &["tiny.img: too small (511 bytes; at least 512 needed"],
    );
    std::fs::write(&p, vec![0u8; 1 << 20]).unwrap();
    fails(
        &["format", path],
        1,
        &["too small (1.0 MiB; a NetWare partition needs at least 2.2 MiB)"],
    );
}

#[test]
fn nbd_timeout_zero_gives_the_real_range() {
    let o = run(&["--nbd-timeout", "0", "inspect", "-d", "x.img"]);
    assert_eq!(o.status.code(), Some(2));
    let e = String::from_utf8_lossy(&o.stderr);
    assert!(e.contains("more than 0 and at most 86400"), "{e}");
    assert!(!e.contains("between 0 and"), "{e}");
}

#[test]
fn a_volume_too_large_is_said_in_human_units() {
    let dir = tempfile::tempdir().unwrap();
    let p = img(&dir, "v.img");
    fails(
        &[
            "format",
            "--size",
            "64M",
            "--volume",
            "SYS:1G",
            p.to_str().unwrap(),
        ],
        1,
        &["volume SYS asks for 1.0 GiB but only ", " MiB are left"],
    );
}
