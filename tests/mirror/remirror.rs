//! `nwvol mirror` (issue 5): add with the remirror engine, dry run, limits,
//! a remirror killed at random moments and resumed from its checkpoint,
//! fast resync from the write-intent record, remove, and an add onto a
//! loop device of another size.

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};

use crate::support::files::*;
use crate::support::*;
use serde_json::Value;

fn with(imgs: &[&Path], args: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = vec!["mirror".into(), args[0].into()];
    for i in imgs {
        v.push("-d".into());
        v.push(i.display().to_string());
    }
    v.extend(args[1..].iter().map(|s| s.to_string()));
    v
}

fn mirror_ok(imgs: &[&Path], args: &[&str]) -> String {
    let v = with(imgs, args);
    let a: Vec<&str> = v.iter().map(|s| s.as_str()).collect();
    ok(&a)
}

fn mirror_fails(imgs: &[&Path], args: &[&str], words: &[&str]) -> String {
    let v = with(imgs, args);
    let a: Vec<&str> = v.iter().map(|s| s.as_str()).collect();
    fails(&a, 1, words)
}

/// The last JSON line of the output (the summary).
fn summary(out: &str) -> Value {
    let last = out.lines().last().expect("some output");
    let v: Value = serde_json::from_str(last).unwrap();
    assert_eq!(v["event"], "done", "{last}");
    v
}

fn status(imgs: &[&Path]) -> Value {
    serde_json::from_str(&mirror_ok(imgs, &["status", "--json"])).unwrap()
}

fn states(imgs: &[&Path]) -> Vec<String> {
    status(imgs)["groups"][0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["state"].as_str().unwrap().to_string())
        .collect()
}

fn put(imgs: &[PathBuf], name: &str, data: &[u8]) {
    let o = nw_stdin(imgs, &["put", "-", name], data);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn add_copies_the_allocated_blocks_and_the_member_is_in_sync() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d0.img", "d1.img"], "128M", &["--mirror"]);
    let data = bytes(1, 8 << 20);
    put(&imgs, "SYS:/F.BIN", &data);
    let new = img(&dir, "d2.img");
    sparse(&new, 160 << 20);
    let out = mirror_ok(
        &[&imgs[0], &imgs[1]],
        &["add", "--json", new.to_str().unwrap()],
    );
    let s = summary(&out);
    let lb = part(&imgs[0]).logical_bytes();
    let copied = s["copied_bytes"].as_u64().unwrap();
    assert!(copied >= data.len() as u64, "{s}");
    assert!(copied < lb / 4, "only what is allocated: {copied} of {lb}");
    for l in out.lines() {
        let v: Value = serde_json::from_str(l).unwrap();
        assert_eq!(v["command"], "mirror add");
    }
    let all = [imgs[0].as_path(), imgs[1].as_path(), new.as_path()];
    assert_eq!(states(&all), vec!["in sync"; 3]);
    // Every copy of every member's table says so.
    for p in &all {
        let t = part(p).mirror().ext.unwrap();
        assert_eq!(t.members.len(), 3);
        assert!(t.members.iter().all(|m| m.state.to_string() == "in sync"));
        assert!(
            part(p)
                .copies
                .iter()
                .all(|c| *c == nwvol::partition::CopyStatus::Good)
        );
    }
    same_logical(&imgs[0], &new);
    // The new member alone holds the volume.
    let cat = nw(std::slice::from_ref(&new), &["cat", "SYS:/F.BIN"]);
    assert!(cat.stdout == data);
    // Human output of status names the three members.
    let txt = mirror_ok(&all, &["status"]);
    assert_eq!(txt.matches("in sync").count(), 3, "{txt}");
}

#[test]
fn dry_run_writes_nothing_and_limits_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d0.img"], "64M", &[]);
    put(&imgs, "SYS:/F.BIN", &bytes(2, 3 << 20));
    let new = img(&dir, "n.img");
    sparse(&new, 64 << 20);
    let before = std::fs::read(&imgs[0]).unwrap();
    let out = mirror_ok(
        &[&imgs[0]],
        &["add", "--dry-run", "--json", new.to_str().unwrap()],
    );
    let v: Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["event"], "plan");
    assert!(v["bytes"].as_u64().unwrap() >= 3 << 20);
    assert!(!v["ranges"].as_array().unwrap().is_empty());
    assert!(
        std::fs::read(&new).unwrap().iter().all(|&b| b == 0),
        "dry run wrote"
    );
    assert!(std::fs::read(&imgs[0]).unwrap() == before, "dry run wrote");
    let txt = mirror_ok(&[&imgs[0]], &["add", "--dry-run", new.to_str().unwrap()]);
    assert!(txt.contains("would copy"), "{txt}");
    // Too small: both sizes named.
    let small = img(&dir, "small.img");
    sparse(&small, 16 << 20);
    mirror_fails(
        &[&imgs[0]],
        &["add", small.to_str().unwrap()],
        &["small.img", "too small", "MiB"],
    );
    // A device holding something is refused without --force.
    mirror_fails(
        &[&imgs[0]],
        &["add", imgs[0].to_str().unwrap()],
        &["already given"],
    );
}

#[test]
fn a_ninth_member_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..8).map(|i| format!("m{i}.img")).collect();
    let n: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    let imgs = format(&dir, &n, "16M", &["--mirror"]);
    let ninth = img(&dir, "m8.img");
    sparse(&ninth, 16 << 20);
    let refs: Vec<&Path> = imgs.iter().map(|p| p.as_path()).collect();
    mirror_fails(&refs, &["add", ninth.to_str().unwrap()], &["8 members"]);
}

/// Kills `child` when dropped (a failing test leaves no process behind).
struct Killer(Child);

impl Drop for Killer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_killed_remirror_resumes_from_its_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d0.img", "d1.img"], "256M", &["--mirror"]);
    put(&imgs, "SYS:/BIG.BIN", &bytes(3, 200 << 20));
    let seed = std::process::id() as u64;
    for round in 0..2u64 {
        let new = img(&dir, &format!("n{round}.img"));
        // Killed at its Nth device write (the test hook), N growing from a
        // seed-dependent start until a checkpoint was saved before the
        // kill: exact, not a race against the clock.
        let mut k = 40 + (seed.wrapping_mul(31).wrapping_add(round * 7)) % 10;
        let mine = format!("n{round}.img");
        loop {
            sparse(&new, 300 << 20);
            let v = with(&[&imgs[0], &imgs[1]], &["add", new.to_str().unwrap()]);
            let child = nwvol()
                .args(&v)
                .env("NWVOL_TEST_KILL_AFTER_WRITES", k.to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let mut kd = Killer(child);
            let st = kd.0.wait().unwrap();
            assert!(!st.success(), "mirror add ran to the end before write {k}");
            let all = [imgs[0].as_path(), imgs[1].as_path(), new.as_path()];
            let st = status(&all);
            let cp = st["groups"][0]["members"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["device"].as_str().is_some_and(|d| d.ends_with(&mine)))
                .filter(|m| m["state"] == "remirroring")
                .and_then(|m| m["checkpoint_bytes"].as_u64())
                .unwrap_or(0);
            if cp > 0 {
                break;
            }
            // No checkpoint yet: start over, killed later.
            let _ = nwvol()
                .args(with(&all, &["remove", new.to_str().unwrap()]))
                .output();
            k += 10;
            assert!(k < 400, "no checkpoint before any kill point: {st}");
        }
        let all = [imgs[0].as_path(), imgs[1].as_path(), new.as_path()];
        let st = status(&all);
        let m = st["groups"][0]["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| {
                m["device"]
                    .as_str()
                    .is_some_and(|d| d.ends_with(&format!("n{round}.img")))
            })
            .cloned()
            .expect("new member listed");
        assert_eq!(m["state"], "remirroring", "{st}");
        let cp = m["checkpoint_bytes"].as_u64().unwrap();
        let total = m["total_bytes"].as_u64().unwrap();
        assert!(cp > 0, "{m}");
        assert!(total >= 200 << 20, "{m}");
        // Resume copies the rest, not everything.
        let dry: Value =
            serde_json::from_str(mirror_ok(&all, &["resume", "--dry-run", "--json"]).trim())
                .unwrap();
        assert!(dry["bytes"].as_u64().unwrap() < total, "{dry}");
        let s = summary(&mirror_ok(&all, &["resume", "--json"]));
        let copied = s["copied_bytes"].as_u64().unwrap();
        assert!(copied < total, "resume copied {copied} of {total}");
        assert_eq!(
            s["total_bytes"].as_u64().unwrap(),
            total,
            "the job's total survives"
        );
        assert_eq!(s["done_bytes"].as_u64().unwrap(), total, "{s}");
        assert_eq!(states(&all), vec!["in sync"; 3]);
        same_logical(&imgs[0], &new);
        // Detach it again for the next round.
        mirror_ok(&all, &["remove", new.to_str().unwrap()]);
    }
}

#[test]
fn resync_after_one_percent_written_with_a_member_absent_copies_about_that() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d0.img", "d1.img"], "1G", &["--mirror"]);
    let data = bytes(4, 10 << 20);
    put(&imgs[..1], "SYS:/AWAY.BIN", &data);
    let both = [imgs[0].as_path(), imgs[1].as_path()];
    let st = status(&both);
    let m1 = &st["groups"][0]["members"][1];
    assert_eq!(m1["state"], "out of sync");
    assert_eq!(m1["write_intent"], true);
    let dirty = st["groups"][0]["dirty_bytes"].as_u64().unwrap();
    assert!(dirty >= data.len() as u64, "{st}");
    let s = summary(&mirror_ok(&both, &["resume", "--json"]));
    let copied = s["copied_bytes"].as_u64().unwrap();
    let lb = part(&imgs[0]).logical_bytes();
    assert!(copied >= data.len() as u64, "{s}");
    assert!(copied < lb / 20, "resync copied {copied} of {lb}");
    assert_eq!(states(&both), vec!["in sync"; 2]);
    same_logical(&imgs[0], &imgs[1]);
    // The group is whole again: the bits are cleared.
    assert_eq!(status(&both)["groups"][0]["dirty_bytes"], 0);
    let cat = nw(&imgs[1..], &["cat", "SYS:/AWAY.BIN"]);
    assert!(cat.stdout == data);
}

#[test]
fn remove_detaches_a_member_but_never_the_last_in_sync_one() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d0.img", "d1.img"], "32M", &["--mirror"]);
    let both = [imgs[0].as_path(), imgs[1].as_path()];
    mirror_ok(&both, &["remove", imgs[1].to_str().unwrap()]);
    let st = status(&[&imgs[0]]);
    assert_eq!(st["groups"][0]["members"].as_array().unwrap().len(), 1);
    assert_eq!(st["groups"][0]["degraded"], false);
    mirror_fails(
        &[&imgs[0]],
        &["remove", imgs[0].to_str().unwrap()],
        &["last in-sync member"],
    );
    // Given again, the removed member is ignored.
    nw_ok(&imgs, &["ls", "SYS:/"]);
}

#[test]
fn add_onto_a_loop_device_of_another_size() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d0.img"], "64M", &[]);
    let data = bytes(5, 5 << 20);
    put(&imgs, "SYS:/F.BIN", &data);
    let back = img(&dir, "loop.img");
    sparse(&back, 100 << 20);
    let Some(lo) = LoopDev::attach(&back) else {
        return;
    };
    let s = summary(&mirror_ok(
        &[&imgs[0]],
        &["add", "--json", "--force", lo.path.to_str().unwrap()],
    ));
    assert!(s["copied_bytes"].as_u64().unwrap() >= data.len() as u64);
    let both = [imgs[0].as_path(), lo.path.as_path()];
    assert_eq!(states(&both), vec!["in sync"; 2]);
    same_logical(&imgs[0], &lo.path);
    let p0 = part(&imgs[0]);
    let p1 = part(&lo.path);
    // Another size: its partition differs, the logical partition is the same.
    assert_ne!(p0.sectors, p1.sectors);
}

#[test]
fn split_gives_an_independent_point_in_time_copy() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d0.img", "d1.img"], "64M", &["--mirror"]);
    let data = bytes(6, 2 << 20);
    put(&imgs, "SYS:/F.BIN", &data);
    let old = part(&imgs[1]);
    let both = [imgs[0].as_path(), imgs[1].as_path()];
    mirror_ok(&both, &["split", imgs[1].to_str().unwrap()]);
    let new = part(&imgs[1]);
    assert_ne!(new.id(), old.id());
    let (g0, g1) = (
        part(&imgs[0]).mirror().ext.unwrap(),
        new.mirror().ext.unwrap(),
    );
    assert_ne!(g0.group_id, g1.group_id);
    assert_eq!(g0.members.len(), 1);
    assert_eq!(g1.members.len(), 1);
    // Each side assembles and mounts by itself.
    let st = status(&[&imgs[1]]);
    assert_eq!(st["groups"][0]["members"][0]["state"], "in sync");
    assert!(nw(&imgs[1..], &["cat", "SYS:/F.BIN"]).stdout == data);
    put(&imgs[..1], "SYS:/AFTER.BIN", &bytes(7, 1000));
    let ls1 = nw_ok(&imgs[1..], &["ls", "SYS:/"]);
    assert!(!ls1.contains("AFTER"), "{ls1}");
    let ls0 = nw_ok(&imgs[..1], &["ls", "SYS:/"]);
    assert!(ls0.contains("AFTER"), "{ls0}");
    // Given together they are two groups (each with its own SYS).
    let st = status(&both);
    assert_eq!(st["groups"].as_array().unwrap().len(), 2);
}

/// A former member whose MBR was zeroed still holds a NetWare partition:
/// `mirror add` refuses it without --force, and takes it with.
#[test]
fn add_refuses_a_netware_partition_whose_mbr_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d0.img", "d1.img"], "32M", &["--mirror"]);
    let both = [imgs[0].as_path(), imgs[1].as_path()];
    mirror_ok(&both, &["remove", imgs[1].to_str().unwrap()]);
    let mut old = std::fs::read(&imgs[1]).unwrap();
    old[..512].fill(0);
    std::fs::write(&imgs[1], &old).unwrap();
    mirror_fails(
        &[&imgs[0]],
        &["add", imgs[1].to_str().unwrap()],
        &["d1.img", "NetWare partition", "--force"],
    );
    assert!(
        std::fs::read(&imgs[1]).unwrap() == old,
        "refused, yet written"
    );
    mirror_ok(&[&imgs[0]], &["add", "--force", imgs[1].to_str().unwrap()]);
    assert_eq!(states(&both), vec!["in sync", "in sync"]);
}
