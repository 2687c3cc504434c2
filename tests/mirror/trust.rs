//! Trust (issue 15): a device that cannot serve is left out with one
//! warning and the others assemble degraded; strangers are told apart;
//! members written apart (split) are never resynced over each other
//! without the user's choice; writes to a degraded group say so.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::support::files::*;
use crate::support::*;

/// `mirror SUB -d IMG... REST`.
fn mirror(imgs: &[PathBuf], args: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = vec!["mirror".into(), args[0].into()];
    for i in imgs {
        v.push("-d".into());
        v.push(s(i));
    }
    v.extend(args[1..].iter().map(|a| a.to_string()));
    v
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(|x| x.as_str()).collect()
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn warnings(o: &std::process::Output) -> Vec<String> {
    stderr(o)
        .lines()
        .filter(|l| l.starts_with("nwvol: warning:"))
        .map(String::from)
        .collect()
}

/// A mirror of two with KEEP.BIN on it; returns the images and the data.
fn mirror_with_keep(dir: &tempfile::TempDir, size: &str) -> (Vec<PathBuf>, Vec<u8>) {
    let imgs = format(dir, &["a.img", "b.img"], size, &["--mirror"]);
    let data = bytes(11, 1 << 20);
    let o = nw_stdin(&imgs, &["put", "-", "SYS:/KEEP.BIN"], &data);
    assert!(o.status.success(), "{}", stderr(&o));
    (imgs, data)
}

/// cat of KEEP.BIN succeeds with the data and exactly one warning naming
/// `bad` and `why`.
fn reads_degraded(imgs: &[PathBuf], data: &[u8], bad: &Path, why: &str) {
    let o = nw(imgs, &["cat", "SYS:/KEEP.BIN"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout == data, "KEEP.BIN reads back");
    let w = warnings(&o);
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(w[0].contains(&s(bad)) && w[0].contains(why), "{w:?}");
    assert!(w[0].contains("left out"), "{w:?}");
}

#[test]
fn truncated_member_is_left_out_and_the_survivor_serves() {
    let dir = tempfile::tempdir().unwrap();
    let (imgs, data) = mirror_with_keep(&dir, "64M");
    std::fs::OpenOptions::new()
        .write(true)
        .open(&imgs[1])
        .unwrap()
        .set_len(10 << 20)
        .unwrap();
    reads_degraded(&imgs, &data, &imgs[1], "past the end of the device");
    // Every command works on the survivor, ls and df included.
    nw_ok(&imgs, &["ls", "SYS:/"]);
    nw_ok(&imgs, &["df"]);
}

#[test]
fn emptied_zeroed_garbage_and_missing_members_are_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let (imgs, data) = mirror_with_keep(&dir, "64M");
    let b = imgs[1].clone();
    // Emptied (zeros, the right size).
    std::fs::write(&b, b"").unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&b)
        .unwrap()
        .set_len(64 << 20)
        .unwrap();
    reads_degraded(&imgs, &data, &b, "no partition table");
    // Garbage.
    std::fs::write(&b, bytes(5, 1 << 20)).unwrap();
    reads_degraded(&imgs, &data, &b, "boot signature");
    // A zero-length file.
    std::fs::write(&b, b"").unwrap();
    reads_degraded(&imgs, &data, &b, "empty device");
    // Missing.
    std::fs::remove_file(&b).unwrap();
    reads_degraded(&imgs, &data, &b, "no such file");
    // verify --repair repairs what it can, names the unusable device and
    // what to do, and says (exit 4) that something was left.
    std::fs::write(&b, b"").unwrap();
    let o = nw(&imgs, &["verify", "--repair"]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains(&format!("{}: not verified", s(&b))) && e.contains("nwvol mirror add"),
        "{e}"
    );
    // A command naming only bad devices keeps its error.
    nw_fails(&imgs[1..], &["ls", "SYS:/"], 1, &[&s(&b), "empty device"]);
    // Writes on the survivor warn once that the group is degraded.
    let o = nw_stdin(&imgs, &["put", "-", "SYS:/NEW.TXT"], b"new");
    assert!(o.status.success(), "{}", stderr(&o));
    let w = warnings(&o);
    assert_eq!(
        w.iter()
            .filter(|l| l.contains("degraded") && l.contains("nwvol mirror resume"))
            .count(),
        1,
        "{w:?}"
    );
}

#[test]
fn the_same_file_named_twice_is_given_twice_in_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let (imgs, _) = mirror_with_keep(&dir, "64M");
    let a = s(&imgs[0]);
    let dotted = format!("{}/./a.img", dir.path().display());
    for cmd in [
        vec!["put", "-d", &a, "-d", &a, "/etc/hostname", "SYS:/H"],
        vec!["ls", "-d", &a, "-d", &a, "SYS:/"],
        vec!["inspect", "-d", &a, "-d", &a],
        vec!["mirror", "status", "-d", &a, "-d", &a],
        vec!["mirror", "resume", "-d", &a, "-d", &a],
    ] {
        fails(&cmd, 1, &["given twice"]);
    }
    // verify's operational error (fsck's 8).
    fails(&["verify", "-d", &a, "-d", &a], 8, &["given twice"]);
    fails(
        &["put", "-d", &a, "-d", &dotted, "/etc/hostname", "SYS:/H"],
        1,
        &["given twice", &dotted],
    );
}

#[test]
fn a_stranger_among_members_is_left_out_and_a_tie_names_both() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["a.img", "b.img", "c.img"], "64M", &["--mirror"]);
    let data = bytes(12, 1 << 20);
    let o = nw_stdin(&imgs, &["put", "-", "SYS:/KEEP.BIN"], &data);
    assert!(o.status.success(), "{}", stderr(&o));
    // c.img replaced by another formatted image with a volume SYS.
    std::fs::remove_file(&imgs[2]).unwrap();
    ok(&["format", "--size", "64M", &s(&imgs[2])]);
    reads_degraded(&imgs, &data, &imgs[2], "another volume set");
    // With one member left: the degraded set is the one the stranger
    // stands in for.
    reads_degraded(
        &[imgs[0].clone(), imgs[2].clone()],
        &data,
        &imgs[2],
        "another volume set",
    );
    // Two single-member sets, each whole: no way to tell.
    let x = img(&dir, "x.img");
    ok(&["format", "--size", "64M", &s(&x)]);
    nw_fails(
        &[x.clone(), imgs[2].clone()],
        &["ls", "SYS:/"],
        1,
        &[&s(&x), &s(&imgs[2]), "leave out"],
    );
}

fn put_alone(img: &Path, name: &str, data: &[u8]) {
    let o = nw_stdin(&[img.to_path_buf()], &["put", "-", name], data);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// The split-brain repro: A.TXT written on a.img alone, B.TXT on b.img.
fn written_apart(dir: &tempfile::TempDir) -> Vec<PathBuf> {
    let (imgs, _) = mirror_with_keep(dir, "64M");
    put_alone(&imgs[0], "SYS:/A.TXT", b"on a\n");
    put_alone(&imgs[1], "SYS:/B.TXT", b"on b\n");
    imgs
}

#[test]
fn split_brain_is_refused_and_resume_from_keeps_the_chosen_member() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = written_apart(&dir);
    let (a, b) = (s(&imgs[0]), s(&imgs[1]));
    let split = format!("split: {a} and {b} were written apart");
    // Reads and writes with both named refuse, naming the choices.
    for args in [
        vec!["ls", "SYS:/"],
        vec!["cat", "SYS:/A.TXT"],
        vec!["mkdir", "SYS:/D"],
    ] {
        nw_fails(&imgs, &args, 1, &[&split, "--from", "nwvol mirror split"]);
    }
    fails(&strs(&mirror(&imgs, &["resume"])), 1, &[&split]);
    // inspect, mirror status and verify say so.
    let o = nw(&imgs, &["inspect"]);
    assert!(stderr(&o).contains(&split), "{}", stderr(&o));
    assert!(ok(&strs(&mirror(&imgs, &["status"]))).contains(&split));
    let o = nw(&imgs, &["verify"]);
    assert_eq!(o.status.code(), Some(4));
    assert!(stderr(&o).contains(&split), "{}", stderr(&o));
    // Nothing was copied: each still reads its own file alone.
    assert_eq!(nw_ok(&imgs[..1], &["cat", "SYS:/A.TXT"]), "on a\n");
    assert_eq!(nw_ok(&imgs[1..], &["cat", "SYS:/B.TXT"]), "on b\n");

    // The dry run names what b.img would lose, and only that.
    let dry = ok(&strs(&mirror(
        &imgs,
        &["resume", "--dry-run", "--from", &a],
    )));
    let lost: Vec<&str> = dry
        .lines()
        .filter(|l| l.starts_with("would lose"))
        .collect();
    assert_eq!(lost.len(), 1, "{dry}");
    assert!(lost[0].contains("SYS:/B.TXT"), "{dry}");
    assert!(dry.contains("nothing written"), "{dry}");
    assert_eq!(nw_ok(&imgs[1..], &["cat", "SYS:/B.TXT"]), "on b\n");

    ok(&strs(&mirror(&imgs, &["resume", "--from", &a])));
    let ls = nw_ok(&imgs, &["ls", "SYS:/"]);
    assert!(ls.contains("A.TXT") && ls.contains("KEEP.BIN"), "{ls}");
    assert!(!ls.contains("B.TXT"), "{ls}");
    // b.img alone now holds a.img's files.
    assert_eq!(nw_ok(&imgs[1..], &["cat", "SYS:/A.TXT"]), "on a\n");
    let o = nw(&imgs, &["verify"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

#[test]
fn split_brain_split_gives_two_sets_that_each_read_their_file() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = written_apart(&dir);
    ok(&strs(&mirror(&imgs, &["split", &s(&imgs[1])])));
    assert_eq!(nw_ok(&imgs[..1], &["cat", "SYS:/A.TXT"]), "on a\n");
    assert_eq!(nw_ok(&imgs[1..], &["cat", "SYS:/B.TXT"]), "on b\n");
    for i in 0..2 {
        let o = nw(&imgs[i..i + 1], &["verify"]);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(warnings(&o).is_empty(), "{}", stderr(&o));
    }
    // Named together they are told apart: one line naming both.
    let e = nw_fails(&imgs, &["ls", "SYS:/"], 1, &["leave out"]);
    assert!(!e.contains("appears twice"), "{e}");
}

#[test]
fn degraded_member_wording_names_the_member_and_state() {
    let dir = tempfile::tempdir().unwrap();
    let (imgs, _) = mirror_with_keep(&dir, "64M");
    put_alone(&imgs[0], "SYS:/A.TXT", b"a");
    let o = nw(&imgs, &["inspect"]);
    let e = stderr(&o);
    assert!(!e.contains("member(s)  missing"), "{e}");
    // Names the stale member's device and what to run.
    assert!(
        e.contains(&s(&imgs[1])) && e.contains("in sync") && e.contains("nwvol mirror resume"),
        "{e}"
    );
    let o = nw(&imgs, &["verify"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!out.contains("outofsync"), "{out}");
}

#[test]
fn status_of_a_remirror_stopped_by_sigint_says_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["a.img"], "128M", &[]);
    let o = nw_stdin(&imgs, &["put", "-", "SYS:/BIG.BIN"], &bytes(3, 48 << 20));
    assert!(o.status.success(), "{}", stderr(&o));
    let b = img(&dir, "b.img");
    std::fs::File::create(&b)
        .unwrap()
        .set_len(128 << 20)
        .unwrap();
    let mut child = nwvol()
        .args([
            "mirror",
            "add",
            "--json",
            "--max-rate",
            "4M",
            "-d",
            &s(&imgs[0]),
            &s(&b),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The first progress line: copying has started.
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let _ = child.wait();
    let st = ok(&["mirror", "status", "-d", &s(&imgs[0]), "-d", &s(&b)]);
    assert!(
        st.contains("interrupted") && st.contains("nwvol mirror resume"),
        "{st}"
    );
    assert!(!st.contains("ETA"), "{st}");
}

/// A put of `mib` MiB (`mib` copies of `bytes(9, 1 MiB)`) through standard
/// input, damaged by `damage` half way; the put's output.
fn put_with_fault(imgs: &[PathBuf], mib: usize, damage: impl FnOnce()) -> std::process::Output {
    let args = with_devs(imgs, &["put", "-", "SYS:/BIG.BIN"]);
    let mut child = nwvol()
        .args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let chunk = bytes(9, 1 << 20);
    let mut damage = Some(damage);
    for i in 0..mib {
        if i == mib / 2 {
            input.flush().unwrap();
            (damage.take().unwrap())();
        }
        if input.write_all(&chunk).is_err() {
            break;
        }
    }
    drop(input);
    child.wait_with_output().unwrap()
}

fn fault_case(kind: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (imgs, data) = mirror_with_keep(&dir, "256M");
    let b = imgs[1].clone();
    let stranger = img(&dir, "stranger.img");
    put_with_fault(&imgs, 96, || match kind {
        "truncated" => std::fs::OpenOptions::new()
            .write(true)
            .open(&b)
            .unwrap()
            .set_len(10 << 20)
            .unwrap(),
        "emptied" => {
            let f = std::fs::OpenOptions::new().write(true).open(&b).unwrap();
            f.set_len(0).unwrap();
            f.set_len(256 << 20).unwrap();
        }
        _ => {
            ok(&["format", "--size", "256M", &s(&stranger)]);
            std::fs::rename(&stranger, &b).unwrap();
        }
    });
    // What was committed before the fault reads back with every device
    // named and from the survivor alone.
    for set in [&imgs[..], &imgs[..1]] {
        let o = nw(set, &["cat", "SYS:/KEEP.BIN"]);
        assert!(o.status.success(), "{kind}: {}", stderr(&o));
        assert!(o.stdout == data, "{kind}: KEEP.BIN differs");
    }
    let o = nw(&imgs, &["verify", "--repair"]);
    assert!(
        matches!(o.status.code(), Some(0 | 1 | 4)),
        "{kind}: {:?} {}",
        o.status.code(),
        stderr(&o)
    );
    if kind == "truncated" {
        ok(&strs(&mirror(&imgs, &["resume"])));
    } else {
        // The replaced disk is added again; it takes the missing slot.
        let o = run(&strs(&mirror(&imgs[..1], &["add", "--force", &s(&b)])));
        assert!(o.status.success(), "{kind}: {}", stderr(&o));
    }
    let o = nw(&imgs, &["verify"]);
    assert_eq!(o.status.code(), Some(0), "{kind}: {}", stderr(&o));
    assert!(warnings(&o).is_empty(), "{kind}: {}", stderr(&o));
    let o = nw(&imgs, &["cat", "SYS:/KEEP.BIN"]);
    assert!(o.stdout == data, "{kind}: KEEP.BIN after the repair");
}

#[test]
fn fault_member_truncated_during_a_large_put() {
    fault_case("truncated");
}

#[test]
fn fault_member_emptied_during_a_large_put() {
    fault_case("emptied");
}

#[test]
fn fault_member_replaced_by_a_stranger_during_a_large_put() {
    fault_case("stranger");
}

#[test]
fn member_cut_short_during_a_put_is_given_up_and_resume_copies_it_whole() {
    let dir = tempfile::tempdir().unwrap();
    let (imgs, data) = mirror_with_keep(&dir, "64M");
    let b = imgs[1].clone();
    let o = put_with_fault(&imgs, 24, || {
        std::fs::OpenOptions::new()
            .write(true)
            .open(&b)
            .unwrap()
            .set_len(4 << 20)
            .unwrap()
    });
    // The put noticed: it succeeded on a.img and said b.img was given up.
    assert!(o.status.success(), "{}", stderr(&o));
    let w = warnings(&o);
    assert!(
        w.iter().any(|l| l.contains(&s(&b))
            && l.contains("shrank")
            && l.contains("nwvol mirror resume")),
        "{w:?}"
    );
    let big: Vec<u8> = bytes(9, 1 << 20).repeat(24);
    for set in [&imgs[..], &imgs[..1]] {
        let o = nw(set, &["cat", "SYS:/BIG.BIN"]);
        assert!(o.status.success() && o.stdout == big, "{}", stderr(&o));
    }
    // Out of sync for a full copy: its write-intent bits do not name what
    // the cut took.
    let st = ok(&strs(&mirror(&imgs, &["status"])));
    let line = st.lines().find(|l| l.contains("slot 1")).unwrap();
    assert!(line.contains("out of sync"), "{st}");
    assert!(!line.contains("write-intent"), "{st}");
    // Resume gives the image its length back and copies it whole.
    let o = run(&strs(&mirror(&imgs, &["resume"])));
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("copied whole"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let o = nw(&imgs, &["verify"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = nw(&imgs[1..], &["cat", "SYS:/BIG.BIN"]);
    assert!(o.stdout == big, "BIG.BIN from b.img alone: {}", stderr(&o));
    let o = nw(&imgs[1..], &["cat", "SYS:/KEEP.BIN"]);
    assert!(
        o.stdout == data,
        "KEEP.BIN from b.img alone: {}",
        stderr(&o)
    );
}

#[test]
fn resume_that_leaves_a_device_out_fails_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let (imgs, _) = mirror_with_keep(&dir, "64M");
    let stranger = img(&dir, "stranger.img");
    ok(&["format", "--size", "64M", &s(&stranger)]);
    std::fs::rename(&stranger, &imgs[1]).unwrap();
    let o = run(&strs(&mirror(&imgs, &["resume"])));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let e = stderr(&o);
    let last = e.lines().last().unwrap_or("");
    assert!(
        last.contains("not resumed")
            && last.contains(&s(&imgs[1]))
            && last.contains("nwvol mirror add"),
        "{e}"
    );
    assert!(!String::from_utf8_lossy(&o.stdout).contains("nothing to do"));
}

#[test]
fn degraded_assembly_on_loop_devices() {
    let dir = tempfile::tempdir().unwrap();
    let (imgs, data) = mirror_with_keep(&dir, "64M");
    let (Some(la), Some(lb)) = (LoopDev::attach(&imgs[0]), LoopDev::attach(&imgs[1])) else {
        return;
    };
    let loops = vec![la.path.clone(), lb.path.clone()];
    // The same device under its loop name twice.
    let o = nw(&[la.path.clone(), la.path.clone()], &["ls", "SYS:/"]);
    assert!(stderr(&o).contains("given twice"), "{}", stderr(&o));
    // b's device zeroed at the start: left out, a serves.
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .open(&lb.path)
        .unwrap();
    f.write_all(&vec![0u8; 1 << 20]).unwrap();
    f.sync_all().unwrap();
    drop(f);
    reads_degraded(&loops, &data, &lb.path, "no partition table");
}

/// `mirror add --force` of member 1 (`f`, cut short) beside member 0:
/// refused as too small, naming `truncate -s`; once `f` has member 0's
/// length, the add succeeds.
fn add_once_given_its_length(imgs: &[PathBuf], f: &std::fs::File) {
    let b = imgs[1].clone();
    let add = mirror(&imgs[..1], &["add", "--force", &s(&b)]);
    let o = run(&strs(&add));
    assert!(!o.status.success(), "add of a short image");
    let e = stderr(&o);
    assert!(e.contains("too small") && e.contains("truncate -s"), "{e}");
    f.set_len(std::fs::metadata(&imgs[0]).unwrap().len())
        .unwrap();
    ok(&strs(&add));
}

/// An image emptied (cut to 0 bytes) while a put wrote it is left shorter
/// than the members, its partition table gone: resume names `nwvol mirror
/// add`, the add refuses it as too small and says how to give it its
/// length; given it, the add makes the set whole.
#[test]
fn an_emptied_image_is_added_again_once_given_its_length() {
    let dir = tempfile::tempdir().unwrap();
    let (imgs, data) = mirror_with_keep(&dir, "64M");
    let b = imgs[1].clone();
    let f = std::fs::OpenOptions::new().write(true).open(&b).unwrap();
    f.set_len(0).unwrap();
    // What the put wrote after the cut: the file grew again, short.
    std::os::unix::fs::FileExt::write_all_at(&f, &bytes(5, 1 << 20), 20 << 20).unwrap();
    let o = run(&strs(&mirror(&imgs, &["resume"])));
    assert!(!o.status.success(), "resume of an emptied member");
    assert!(stderr(&o).contains("nwvol mirror add"), "{}", stderr(&o));
    add_once_given_its_length(&imgs, &f);
    let o = nw(&imgs, &["verify"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = nw(&imgs[1..], &["cat", "SYS:/KEEP.BIN"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(o.stdout == data, "KEEP.BIN from the added member alone");
}

/// A member's image renamed over by a stranger while a put writes it: the
/// put's writes go to the file replaced, which no later command opens, so
/// the put gives the member up and says so (it used to say nothing).
#[test]
fn a_member_replaced_during_a_put_is_given_up_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let (imgs, data) = mirror_with_keep(&dir, "256M");
    let b = imgs[1].clone();
    let stranger = img(&dir, "stranger.img");
    let o = put_with_fault(&imgs, 48, || {
        ok(&["format", "--size", "256M", &s(&stranger)]);
        std::fs::rename(&stranger, &b).unwrap();
    });
    assert!(o.status.success(), "{}", stderr(&o));
    let w = warnings(&o);
    assert!(
        w.iter()
            .any(|l| l.contains(&s(&b)) && l.contains("replaced") && l.contains("out of sync")),
        "{w:?}"
    );
    let o = nw(&imgs[..1], &["cat", "SYS:/KEEP.BIN"]);
    assert!(o.stdout == data, "KEEP.BIN from the survivor");
    let o = nw(&imgs[..1], &["cat", "SYS:/BIG.BIN"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(o.stdout.len(), 48 << 20);
}

/// The same with the image left at 0 bytes (the put wrote nothing to it
/// after the cut): too small for any partition, the add still says how
/// to give it the members' length.
#[test]
fn an_image_left_empty_is_told_how_to_get_its_length() {
    let dir = tempfile::tempdir().unwrap();
    let (imgs, data) = mirror_with_keep(&dir, "64M");
    let b = imgs[1].clone();
    let f = std::fs::OpenOptions::new().write(true).open(&b).unwrap();
    f.set_len(0).unwrap();
    add_once_given_its_length(&imgs, &f);
    let o = nw(&imgs[1..], &["cat", "SYS:/KEEP.BIN"]);
    assert!(o.stdout == data, "KEEP.BIN from the added member alone");
}
