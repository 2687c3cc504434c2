//! `mirror add` killed at every device write (the NWVOL_TEST_KILL_AFTER_WRITES
//! test hook): the group never lists a new member that has no header, so
//! `mirror resume` finishes the job or the device is simply added again,
//! and verify --repair leaves it clean. Found by the fault campaign
//! (tests/faults/campaign.rs).

use std::path::Path;

use crate::support::*;

fn devs(imgs: &[&Path]) -> Vec<String> {
    imgs.iter()
        .flat_map(|p| ["-d".to_string(), p.display().to_string()])
        .collect()
}

fn run_s(args: &[String]) -> std::process::Output {
    let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    run(&a)
}

fn ok_s(args: &[String]) -> String {
    let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    ok(&a)
}

#[test]
fn mirror_add_killed_at_any_write_resumes_or_adds_again() {
    let base = tempfile::tempdir().unwrap();
    let (a0, b0) = (img(&base, "a.img"), img(&base, "b.img"));
    let s = |p: &Path| p.display().to_string();
    ok(&[
        "format",
        "-q",
        "--size",
        "16M",
        "--mirror",
        &s(&a0),
        &s(&b0),
    ]);
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 7 + i / 251) as u8).collect();
    let src = img(&base, "DATA.BIN");
    std::fs::write(&src, &data).unwrap();
    ok(&["put", "-q", "-d", &s(&a0), "-d", &s(&b0), &s(&src), "SYS:/"]);
    let mut n = 1;
    loop {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (img(&dir, "a.img"), img(&dir, "b.img"), img(&dir, "c.img"));
        std::fs::copy(&a0, &a).unwrap();
        std::fs::copy(&b0, &b).unwrap();
        sparse(&c, 16 << 20);
        let mut add = vec!["mirror".to_string(), "add".into(), "-q".into()];
        add.extend(devs(&[&a, &b]));
        add.push(s(&c));
        let st = nwvol()
            .args(&add)
            .env("NWVOL_TEST_KILL_AFTER_WRITES", n.to_string())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        if st.success() {
            break;
        }
        assert_eq!(st.code(), None, "killed, not failed, at write {n}");
        let all = devs(&[&a, &b, &c]);
        let mut status = vec!["mirror".to_string(), "status".into()];
        status.extend(all.clone());
        // A device without a header is left out (with a warning) since
        // degraded assembly: the new member counts only when it served.
        let st_out = run_s(&status);
        if st_out.status.success() && !String::from_utf8_lossy(&st_out.stderr).contains("left out")
        {
            let mut resume = vec!["mirror".to_string(), "resume".into(), "-q".into()];
            resume.extend(all.clone());
            ok_s(&resume);
        } else {
            // The new member never got its header: the survivors must not
            // list it, and adding it again works.
            let mut st2 = vec!["mirror".to_string(), "status".into()];
            st2.extend(devs(&[&a, &b]));
            let out = ok_s(&st2);
            assert!(!out.contains("missing"), "kill at write {n}: {out}");
            let mut again = add.clone();
            again.insert(3, "--force".into());
            ok_s(&again);
        }
        let out = ok_s(&status);
        assert_eq!(
            out.matches("in sync").count(),
            3,
            "kill at write {n}: {out}"
        );
        // A table write cut short leaves stale header copies: repaired.
        let mut rep = vec!["verify".to_string(), "-q".into(), "--repair".into()];
        rep.extend(all.clone());
        let code = run_s(&rep).status.code();
        assert!(matches!(code, Some(0 | 1)), "kill at write {n}: {code:?}");
        let mut v = vec!["verify".to_string(), "-q".into()];
        v.extend(all);
        ok_s(&v);
        let back = img(&dir, "back");
        ok(&["get", "-q", "-d", &s(&c), "SYS:/DATA.BIN", &s(&back)]);
        assert!(std::fs::read(&back).unwrap() == data, "kill at write {n}");
        n += 1;
    }
    assert!(n > 5, "mirror add made only {} writes", n - 1);
}
