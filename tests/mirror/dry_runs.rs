//! Consistent flags and dry runs of the membership commands, and a group's
//! health when a removed member is named again (issue 18 points 6 and 7).

use std::path::PathBuf;

use crate::support::files::*;
use crate::support::*;
use serde_json::Value;

fn mirror(imgs: &[PathBuf], sub: &str, rest: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = vec!["mirror".into(), sub.into()];
    for i in imgs {
        v.push("-d".into());
        v.push(i.display().to_string());
    }
    v.extend(rest.iter().map(|s| s.to_string()));
    v
}

fn mirror_ok(imgs: &[PathBuf], sub: &str, rest: &[&str]) -> String {
    let v = mirror(imgs, sub, rest);
    ok(&v.iter().map(|s| s.as_str()).collect::<Vec<_>>())
}

fn status(imgs: &[PathBuf]) -> Value {
    serde_json::from_str(&mirror_ok(imgs, "status", &["--json"])).unwrap()
}

fn zeros(imgs: &[PathBuf]) -> Vec<Vec<u8>> {
    imgs.iter().map(|p| std::fs::read(p).unwrap()).collect()
}

#[test]
fn add_dry_run_reports_what_needs_force_and_f_forces() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d0.img"], "32M", &[]);
    // Another nwvol disk: a device that holds something.
    let other = format(&dir, &["other.img"], "32M", &[]);
    let before = zeros(&other);
    let o = mirror_ok(&imgs, "add", &["--dry-run", other[0].to_str().unwrap()]);
    assert!(o.contains("would copy"), "{o}");
    assert!(
        o.contains("other.img holds an MBR partition table")
            && o.contains("NetWare partition: it would be overwritten only with --force (-f)"),
        "{o}"
    );
    let j: Value = serde_json::from_str(
        mirror_ok(&imgs, "add", &["-n", "--json", other[0].to_str().unwrap()]).trim(),
    )
    .unwrap();
    assert_eq!(j["event"], "plan");
    assert_eq!(j["needs_force"], true);
    assert!(j["holds"].as_str().unwrap().contains("NetWare"), "{j}");
    assert!(zeros(&other) == before, "a dry run wrote");
    // Without a dry run it is refused; -f takes it, as --force does.
    let v = mirror(&imgs, "add", &[other[0].to_str().unwrap()]);
    fails(
        &v.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        1,
        &["other.img", "refusing"],
    );
    mirror_ok(&imgs, "add", &["-f", other[0].to_str().unwrap()]);
    let all = [imgs[0].clone(), other[0].clone()];
    let st = status(&all);
    assert_eq!(st["groups"][0]["members"].as_array().unwrap().len(), 2);
    // An empty device needs nothing forced.
    let fresh = img(&dir, "fresh.img");
    sparse(&fresh, 32 << 20);
    let j: Value = serde_json::from_str(
        mirror_ok(&all, "add", &["-n", "--json", fresh.to_str().unwrap()]).trim(),
    )
    .unwrap();
    assert_eq!(j["needs_force"], false);
}

#[test]
fn remove_and_split_dry_runs_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d0.img", "d1.img"], "32M", &["--mirror"]);
    let before = zeros(&imgs);
    let o = mirror_ok(&imgs, "remove", &["--dry-run", imgs[1].to_str().unwrap()]);
    assert!(
        o.contains("d1.img (in sync, partition")
            && o.contains("would be removed from group")
            && o.contains("keeps 1 member(s), 1 in sync; nothing written"),
        "{o}"
    );
    let o = mirror_ok(&imgs, "split", &["-n", imgs[1].to_str().unwrap()]);
    assert!(o.contains("would be split off from group"), "{o}");
    assert!(zeros(&imgs) == before, "a dry run wrote");
    assert_eq!(
        status(&imgs)["groups"][0]["members"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // A dry run refuses what the real one refuses.
    mirror_ok(&imgs, "remove", &[imgs[1].to_str().unwrap()]);
    let v = mirror(&imgs[..1], "remove", &["-n", imgs[0].to_str().unwrap()]);
    fails(
        &v.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        1,
        &["last in-sync member"],
    );
}

#[test]
fn a_removed_member_named_again_leaves_the_group_whole() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["m1.img", "m2.img"], "32M", &["--mirror"]);
    mirror_ok(&imgs, "remove", &[imgs[1].to_str().unwrap()]);
    // m2.img still named: the group is whole, m2 listed as not a member.
    let text = mirror_ok(&imgs, "status", &[]);
    assert!(text.lines().next().unwrap().contains(", whole;"), "{text}");
    assert!(
        text.contains("m2.img: removed from the group; not a member"),
        "{text}"
    );
    assert!(!text.contains("copied"), "{text}");
    let g = &status(&imgs)["groups"][0];
    assert_eq!(g["degraded"], false, "{g}");
    assert_eq!(g["members"].as_array().unwrap().len(), 1, "{g}");
    assert_eq!(g["removed"][0]["device"], imgs[1].display().to_string());
    // The same in inspect, without a warning.
    let o = nw(&imgs, &["inspect"]);
    assert!(o.status.success());
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!out.contains("DEGRADED"), "{out}");
    assert!(
        out.contains("m2.img: removed from the group; not a member"),
        "{out}"
    );
    assert_eq!(String::from_utf8_lossy(&o.stderr), "");
    let paths: Vec<&std::path::Path> = imgs.iter().map(|p| p.as_path()).collect();
    let j = inspect(&paths);
    assert_eq!(j["groups"][0]["degraded"], false);
    assert_eq!(j["groups"][0]["removed"].as_array().unwrap().len(), 1);
    // Given in the other order too.
    let rev = [imgs[1].clone(), imgs[0].clone()];
    assert_eq!(status(&rev)["groups"][0]["degraded"], false);
}
