//! Member damage campaign (issue 15): not in the default run.
//!
//!     cargo test --release --test faults -- --ignored --nocapture campaign::member_damage
//!
//! A 2-way mirror of image files; while a put streams a file through
//! standard input, one member is damaged at a random point: truncated,
//! emptied (zeros, same size), or replaced by a stranger (another formatted
//! image). Afterwards the files committed before the fault read back with
//! both devices named and from the survivor alone; `verify --repair`, then
//! `mirror resume` (truncated: the image gets its length back) or `mirror
//! add` of the replaced disk, and a second verify must end with exit 0 and
//! the files intact. Kind `split`: the two members are written apart, and
//! `mirror resume` must refuse until `--from` chooses. One `campaign:` line
//! per kind; `FAULT_SEED=<seed>` reruns one trial, `FAULT_TRIALS=<n>` sets
//! the trials per kind (default 8).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

use crate::support::campaign::{Outcome, Rng, Tally, env_u64, only_seed};
use crate::support::nwvol;

fn arg(p: &Path) -> String {
    p.display().to_string()
}

fn run(args: &[String]) -> std::process::Output {
    nwvol().args(args).output().expect("run nwvol")
}

fn with(cmd: &[&str], imgs: &[&PathBuf], rest: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = cmd.iter().map(|s| s.to_string()).collect();
    for i in imgs {
        v.push("-d".into());
        v.push(arg(i));
    }
    v.extend(rest.iter().map(|s| s.to_string()));
    v
}

fn brief(o: &std::process::Output) -> String {
    let e = String::from_utf8_lossy(&o.stderr);
    format!(
        "exit {:?}: {}",
        o.status.code(),
        e.lines().last().unwrap_or("")
    )
}

#[derive(Clone, Copy, Debug)]
enum Damage {
    Truncated,
    Emptied,
    Stranger,
    Split,
}

fn damage(kind: Damage, b: &Path, dir: &Path) {
    match kind {
        Damage::Truncated => {
            let f = std::fs::OpenOptions::new().write(true).open(b).unwrap();
            f.set_len(4 << 20).unwrap();
        }
        Damage::Emptied => {
            let f = std::fs::OpenOptions::new().write(true).open(b).unwrap();
            let len = f.metadata().unwrap().len();
            f.set_len(0).unwrap();
            f.set_len(len).unwrap();
        }
        Damage::Stranger | Damage::Split => {
            let st = dir.join("stranger.img");
            let o = run(&["format".into(), "--size".into(), "32M".into(), arg(&st)]);
            assert!(o.status.success(), "{}", brief(&o));
            std::fs::rename(&st, b).unwrap();
        }
    }
}

/// One trial: returns what went wrong.
fn trial(kind: Damage, seed: u64) -> Outcome {
    let mut out = Outcome::default();
    let mut rng = Rng(seed);
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a.img"), dir.path().join("b.img"));
    let o = run(&[
        "format".into(),
        "--size".into(),
        "32M".into(),
        "--mirror".into(),
        arg(&a),
        arg(&b),
    ]);
    assert!(o.status.success(), "{}", brief(&o));
    let both = [&a, &b];
    let len = rng.range(1, 2 << 20) as usize;
    let committed = rng.bytes(len);
    let mut put = nwvol()
        .args(with(&["put"], &both, &["-", "SYS:/KEEP.BIN"]))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    put.stdin.take().unwrap().write_all(&committed).unwrap();
    if !put.wait().unwrap().success() {
        out.fail("the committed put failed");
        return out;
    }
    if let Damage::Split = kind {
        // Written apart: a.img alone, then b.img alone.
        for (img, name) in [(&a, "SYS:/A.TXT"), (&b, "SYS:/B.TXT")] {
            let mut p = nwvol()
                .args(with(&["put"], &[img], &["-", name]))
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            p.stdin.take().unwrap().write_all(name.as_bytes()).unwrap();
            p.wait().unwrap();
        }
        let o = run(&with(&["mirror", "resume"], &both, &[]));
        if o.status.success() {
            out.lose("mirror resume resynced members written apart");
        }
        let o = run(&with(&["mirror", "resume"], &both, &["--from", &arg(&a)]));
        if !o.status.success() {
            out.fail(format!("resume --from: {}", brief(&o)));
        }
    } else {
        // The streamed put, damaged after `at` of `mib` MiB.
        let mib = rng.range(4, 16) as usize;
        let at = rng.range(0, mib as u64 - 1) as usize;
        let mut p = nwvol()
            .args(with(&["put"], &both, &["-", "SYS:/BIG.BIN"]))
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut input = p.stdin.take().unwrap();
        let chunk = rng.bytes(1 << 20);
        for i in 0..mib {
            if i == at {
                input.flush().unwrap();
                damage(kind, &b, dir.path());
            }
            if input.write_all(&chunk).is_err() {
                break;
            }
        }
        drop(input);
        let _ = p.wait();
    }
    // The committed file, with both named and from the survivor alone.
    for set in [&both[..], &both[..1]] {
        let o = run(&with(&["cat"], set, &["SYS:/KEEP.BIN"]));
        if !o.status.success() || o.stdout != committed {
            out.lose(format!(
                "KEEP.BIN from {} device(s): {}",
                set.len(),
                brief(&o)
            ));
        }
    }
    if let Damage::Split = kind {
        let o = run(&with(&["cat"], &both, &["SYS:/A.TXT"]));
        if o.stdout != b"SYS:/A.TXT" {
            out.lose(format!("A.TXT after --from a.img: {}", brief(&o)));
        }
    } else {
        let o = run(&with(&["verify", "--repair", "-q"], &both, &[]));
        if !matches!(o.status.code(), Some(0 | 1 | 4)) {
            out.fail(format!("verify --repair: {}", brief(&o)));
        }
        if o.status.code() == Some(1) {
            out.repaired = Some("verify --repair corrected".into());
        }
        let o = match kind {
            Damage::Truncated => run(&with(&["mirror", "resume", "-q"], &both, &[])),
            _ => run(&with(
                &["mirror", "add", "-q", "--force"],
                &both[..1],
                &[&arg(&b)],
            )),
        };
        if !o.status.success() {
            out.fail(format!("resume/add: {}", brief(&o)));
        }
    }
    let o = run(&with(&["verify", "-q"], &both, &[]));
    if o.status.code() != Some(0) {
        out.fail(format!("second verify: {}", brief(&o)));
    }
    let o = run(&with(&["cat"], &both[1..], &["SYS:/KEEP.BIN"]));
    if o.stdout != committed {
        out.lose(format!(
            "KEEP.BIN from b.img alone after repair: {}",
            brief(&o)
        ));
    }
    out
}

#[test]
#[ignore = "fault campaign: run with --ignored (tests/fault_campaign.sh)"]
fn member_damage_campaign() {
    let trials = env_u64("FAULT_TRIALS", 8);
    let mut all = Tally::default();
    for kind in [
        Damage::Truncated,
        Damage::Emptied,
        Damage::Stranger,
        Damage::Split,
    ] {
        let started = Instant::now();
        let mut tally = Tally::default();
        let seeds: Vec<u64> = match only_seed() {
            Some(s) => vec![s],
            None => (0..trials).map(|i| 0x15_0000 + i).collect(),
        };
        for seed in seeds {
            trial(kind, seed).record(&mut tally, &format!("{kind:?} seed {seed}"));
        }
        let name = format!("{kind:?}").to_lowercase();
        tally.print(&name, started);
        all.lost += tally.lost;
        all.failures += tally.failures;
    }
    assert_eq!(all.lost + all.failures, 0, "see the lines above");
}
