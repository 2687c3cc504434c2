//! Deleting as NetWare did (salvage, purge, rm --purge), purging under
//! space pressure, and a full volume.

use crate::support::files::*;

fn n(v: &serde_json::Value) -> u64 {
    v.as_u64().unwrap()
}

#[test]
fn rm_salvage_and_purge() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d.img"], "16M", &[]);
    let empty = df(&imgs, "SYS");
    let data = bytes(3, 100_000);
    assert!(
        nw_stdin(&imgs, &["put", "-", "SYS:/Old Report.doc"], &data)
            .status
            .success()
    );
    let with = df(&imgs, "SYS");
    let file_blocks = n(&with["used_blocks"]) - n(&empty["used_blocks"]);
    assert!(file_blocks >= 25, "{with}");
    nw_ok(&imgs, &["rm", "SYS:/old report.DOC"]);
    // Gone from ls, listed as deleted, space still held.
    assert!(!nw_ok(&imgs, &["ls", "SYS:/"]).contains("Old Report.doc"));
    let del = nw_ok(&imgs, &["ls", "--deleted", "SYS:/"]);
    assert!(
        del.contains("Old Report.doc") && del.contains("deleted 2"),
        "{del}"
    );
    assert!(nw_ok(&imgs, &["salvage", "SYS:/"]).contains("SYS:/Old Report.doc"));
    let d = df(&imgs, "SYS");
    assert_eq!(d["deleted_files"], 1);
    assert_eq!(d["files"], 0);
    assert_eq!(d["used_blocks"], with["used_blocks"]);
    nw_fails(&imgs, &["cat", "SYS:/Old Report.doc"], 1, &["not found"]);
    // Salvage restores it under its long name.
    let s = nw_ok(&imgs, &["salvage", "SYS:/Old Report.doc"]);
    assert!(s.contains("salvaged SYS:/Old Report.doc"), "{s}");
    assert!(nw(&imgs, &["cat", "SYS:/OLD REPORT.DOC"]).stdout == data);
    // Deleted again, and a new file of that name: salvage refuses.
    nw_ok(&imgs, &["rm", "SYS:/Old Report.doc"]);
    assert!(
        nw_stdin(&imgs, &["put", "-", "SYS:/Old Report.doc"], b"new")
            .status
            .success()
    );
    nw_fails(
        &imgs,
        &["salvage", "SYS:/Old Report.doc"],
        1,
        &["exists now"],
    );
    // The alias of the new file differs from the deleted one's.
    let j: serde_json::Value =
        serde_json::from_str(&nw_ok(&imgs, &["ls", "--json", "--deleted", "SYS:/"])).unwrap();
    let old_alias = j["entries"][0]["dos_name"].as_str().unwrap().to_string();
    let j: serde_json::Value =
        serde_json::from_str(&nw_ok(&imgs, &["ls", "--json", "SYS:/"])).unwrap();
    assert_ne!(j["entries"][0]["dos_name"].as_str().unwrap(), old_alias);
    // purge frees the deleted file's blocks.
    let o = nw_ok(&imgs, &["purge", "SYS:"]);
    assert!(o.contains("purged 1 file"), "{o}");
    let d = df(&imgs, "SYS");
    assert_eq!(d["deleted_files"], 0);
    assert_eq!(n(&d["used_blocks"]), n(&empty["used_blocks"]) + 1);
    // rm --purge frees at once.
    nw_ok(&imgs, &["rm", "--purge", "SYS:/Old Report.doc"]);
    let d = df(&imgs, "SYS");
    assert_eq!(d["used_blocks"], empty["used_blocks"]);
    assert_eq!(d["deleted_files"], 0);
    // Purging one deleted file by its name.
    assert!(
        nw_stdin(&imgs, &["put", "-", "SYS:/A.TXT"], b"a")
            .status
            .success()
    );
    nw_ok(&imgs, &["rm", "SYS:/A.TXT"]);
    nw_ok(&imgs, &["purge", "SYS:/A.TXT"]);
    assert_eq!(df(&imgs, "SYS")["deleted_files"], 0);
    copies_equal(&imgs);
}

#[test]
fn directories_need_r_and_go_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d.img"], "16M", &[]);
    let empty = df(&imgs, "SYS");
    nw_ok(&imgs, &["mkdir", "-p", "SYS:/A/B/C"]);
    assert!(
        nw_stdin(&imgs, &["put", "-", "SYS:/A/B/F.TXT"], &bytes(1, 50_000))
            .status
            .success()
    );
    nw_fails(&imgs, &["rm", "SYS:/A"], 1, &["SYS:/A", "not empty", "-r"]);
    nw_fails(&imgs, &["rm", "SYS:/"], 1, &["root"]);
    nw_ok(&imgs, &["rm", "SYS:/A/B/C"]);
    nw_ok(&imgs, &["rm", "-r", "SYS:/A"]);
    let d = df(&imgs, "SYS");
    assert_eq!(d["directories"], 0);
    assert_eq!(d["files"], 0);
    assert_eq!(d["deleted_files"], 0);
    assert_eq!(d["used_blocks"], empty["used_blocks"]);
    assert_eq!(nw_ok(&imgs, &["ls", "SYS:/"]), "");
    copies_equal(&imgs);
}

#[test]
fn deleted_files_are_purged_oldest_first_when_space_runs_out() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d.img"], "16M", &[]);
    let free = n(&df(&imgs, "SYS")["free_bytes"]);
    let third = (free / 3) as usize;
    for name in ["ONE", "TWO"] {
        let o = nw_stdin(
            &imgs,
            &["put", "-", &format!("SYS:/{name}")],
            &bytes(1, third),
        );
        assert!(o.status.success());
        nw_ok(&imgs, &["rm", &format!("SYS:/{name}")]);
        // Deletion times have 2-second resolution: keep ONE older.
        std::thread::sleep(std::time::Duration::from_millis(2100));
    }
    // Two thirds are held by deleted files: a file of half the space needs
    // ONE's blocks, but not TWO's.
    let o = nw_stdin(
        &imgs,
        &["put", "-", "SYS:/HALF"],
        &bytes(2, (free / 2) as usize),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let del = nw_ok(&imgs, &["ls", "--deleted", "SYS:/"]);
    assert!(!del.contains("ONE") && del.contains("TWO"), "{del}");
    assert!(nw(&imgs, &["cat", "SYS:/HALF"]).stdout == bytes(2, (free / 2) as usize));
    copies_equal(&imgs);
}

#[test]
fn a_full_volume_says_so_and_stays_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d.img"], "16M", &[]);
    let before = df(&imgs, "SYS");
    let too_much = bytes(4, n(&before["free_bytes"]) as usize + 4096);
    let o = nw_stdin(&imgs, &["put", "-", "SYS:/TOO BIG.BIN"], &too_much);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("no space left on SYS"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // The partial file is gone and its blocks are free again.
    assert_eq!(nw_ok(&imgs, &["ls", "SYS:/"]), "");
    let after = df(&imgs, "SYS");
    assert_eq!(after["used_blocks"], before["used_blocks"]);
    assert_eq!(after["files"], 0);
    copies_equal(&imgs);
    // A local file too large for the volume: the same, from put of a file.
    let big = dir.path().join("big.bin");
    std::fs::write(&big, &too_much).unwrap();
    nw_fails(
        &imgs,
        &["put", big.to_str().unwrap(), "SYS:/BIG.BIN"],
        1,
        &["no space left on SYS"],
    );
    // The next put works.
    assert!(
        nw_stdin(&imgs, &["put", "-", "SYS:/SMALL"], b"small")
            .status
            .success()
    );
    assert_eq!(nw_ok(&imgs, &["cat", "SYS:/SMALL"]), "small");
    // Filling the volume exactly works too, with many files.
    let free = n(&df(&imgs, "SYS")["free_bytes"]);
    let src = dir.path().join("fill");
    std::fs::create_dir(&src).unwrap();
    let each = 64 * 1024;
    let count = free / each as u64 + 3;
    for i in 0..count {
        std::fs::write(src.join(format!("F{i:04}")), bytes(i, each)).unwrap();
    }
    let o = nw(&imgs, &["put", "-r", src.to_str().unwrap(), "SYS:/FILL"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    // One line for every file that did not fit: "...; N not written".
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("no space left on SYS"), "{err}");
    let not_written: u64 = err
        .trim_end()
        .strip_suffix(" not written")
        .and_then(|h| h.rsplit(' ').next())
        .map(|w| w.replace(',', "").parse().unwrap())
        .unwrap_or_else(|| panic!("{err}"));
    copies_equal(&imgs);
    let d = df(&imgs, "SYS");
    assert!(n(&d["free_bytes"]) < each as u64, "{d}");
    assert_eq!(n(&d["files"]), 1 + count - not_written);
}

/// One volume kept open for writing through many operations (as `nwvol
/// mount` keeps it): a tree removed before its free-space bitmap was
/// built (an open builds it only when first needed) and one removed after
/// both give their blocks back to that same open volume, and a file
/// written next reuses them and reads back.
#[test]
fn trees_removed_in_an_open_volume_give_their_space_back_to_it() {
    use nwvol::device::Device;
    use nwvol::device::file::{FileDevice, OpenOptions};
    use nwvol::volume::file::FileTimes;
    use nwvol::volume::path::NwPath;
    use nwvol::volume::{OpenMode, OpenVolume};
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["a.img", "b.img"], "32M", &["--mirror"]);
    let src = dir.path().join("src");
    for d in 0..3 {
        std::fs::create_dir_all(src.join(format!("D{d}"))).unwrap();
        for f in 0..20u64 {
            let len = 1024 + (f as usize * 797) % 15_000;
            std::fs::write(src.join(format!("D{d}/F{f}.BIN")), bytes(f + 10 * d, len)).unwrap();
        }
    }
    for t in ["T1", "T2"] {
        nw_ok(
            &imgs,
            &[
                "put",
                "-q",
                "-r",
                src.to_str().unwrap(),
                &format!("SYS:/{t}"),
            ],
        );
    }
    let full = n(&df(&imgs, "SYS")["used_blocks"]);
    let want = {
        let devs: Vec<Arc<dyn Device>> = imgs
            .iter()
            .map(|p| {
                Arc::new(FileDevice::open(p, &OpenOptions::read_write()).unwrap())
                    as Arc<dyn Device>
            })
            .collect();
        let sys = nwvol::assembly::Assembly::open(devs).unwrap();
        let mut v = OpenVolume::from_assembly(&sys, "SYS", OpenMode::Write).unwrap();
        let t1 = v.resolve(&NwPath::parse("SYS:/T1").unwrap()).unwrap();
        let r1 = v.remove(t1, true, false).unwrap();
        assert_eq!((r1.purged, r1.dirs), (60, 4), "{r1:?}");
        assert!(r1.blocks >= 60, "{r1:?}");
        // The bitmap is built now, after T1's blocks were freed on disk.
        assert_eq!(v.stats().unwrap().used_blocks, full - r1.blocks);
        let t2 = v.resolve(&NwPath::parse("SYS:/T2").unwrap()).unwrap();
        let r2 = v.remove(t2, true, false).unwrap();
        assert_eq!(r2.blocks, r1.blocks, "the same tree twice");
        assert_eq!(v.stats().unwrap().used_blocks, full - r1.blocks - r2.blocks);
        // A file as large as both trees fits only in their blocks' room
        // counted right; it is written and committed in this open volume.
        let free = v.stats().unwrap().free_blocks * u64::from(v.vol.block_size);
        let data = bytes(99, (free - 64 * 1024) as usize);
        let t = FileTimes {
            modified: nwvol::layout::time::DosTime(0x5A21_6000),
            created: nwvol::layout::time::DosTime(0x5A21_6000),
        };
        v.write_file(
            nwvol::layout::dirent::ROOT_ID,
            "BIG.BIN",
            &mut &data[..],
            None,
            t,
        )
        .unwrap();
        v.sync().unwrap();
        data
    };
    assert_eq!(nw(&imgs, &["cat", "SYS:/BIG.BIN"]).stdout, want);
    let ls = nw_ok(&imgs, &["ls", "SYS:/"]);
    assert!(
        ls.lines().count() == 1 && ls.trim_end().ends_with(" BIG.BIN"),
        "{ls}"
    );
    nw_ok(&imgs, &["verify", "-q"]);
    copies_equal(&imgs);
}

/// A tree removed and made again in the same open volume (as a mount
/// does): the new directories take the freed entries, and so the IDs the
/// old ones had; none of the old names shows through, in the directories
/// removed whole (forgotten at once, not name by name) or in the one the
/// tree sat in.
#[test]
fn a_tree_removed_and_made_again_in_one_open_volume_shows_only_the_new_names() {
    use nwvol::device::Device;
    use nwvol::device::file::{FileDevice, OpenOptions};
    use nwvol::volume::file::FileTimes;
    use nwvol::volume::open::Target;
    use nwvol::volume::path::NwPath;
    use nwvol::volume::{OpenMode, OpenVolume};
    use std::sync::Arc;

    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d.img"], "32M", &[]);
    let src = dir.path().join("T");
    for d in ["A", "A/B", "C"] {
        std::fs::create_dir_all(src.join(d)).unwrap();
    }
    for (i, f) in ["A/F1.TXT", "A/B/F2.TXT", "A/B/F3.TXT", "C/F4.TXT", "F5.TXT"]
        .iter()
        .enumerate()
    {
        std::fs::write(src.join(f), bytes(i as u64, 3000 + i)).unwrap();
    }
    nw_ok(&imgs, &["put", "-q", "-r", src.to_str().unwrap(), "SYS:/T"]);
    nw_ok(
        &imgs,
        &[
            "put",
            "-q",
            src.join("F5.TXT").to_str().unwrap(),
            "SYS:/KEEP.TXT",
        ],
    );
    let devs: Vec<Arc<dyn Device>> = imgs
        .iter()
        .map(|p| {
            Arc::new(FileDevice::open(p, &OpenOptions::read_write()).unwrap()) as Arc<dyn Device>
        })
        .collect();
    let sys = nwvol::assembly::Assembly::open(devs).unwrap();
    let mut v = OpenVolume::from_assembly(&sys, "SYS", OpenMode::Write).unwrap();
    let path = |p: &str| NwPath::parse(p).unwrap();
    let t = v.resolve(&path("SYS:/T")).unwrap();
    let r = v.remove(t, true, false).unwrap();
    assert_eq!((r.purged, r.dirs), (5, 4), "{r:?}");
    let times = FileTimes {
        modified: nwvol::layout::time::DosTime(0x5A21_6000),
        created: nwvol::layout::time::DosTime(0x5A21_6000),
    };
    let b = v.mkdir_p(&path("SYS:/T/A/B"), times).unwrap();
    v.write_file(b, "NEW.TXT", &mut &b"new"[..], None, times)
        .unwrap();
    let names = |v: &OpenVolume, p: &str| -> Vec<String> {
        let id = match v.resolve(&path(p)).unwrap() {
            Target::Entry(i) => v.index().get(i).unwrap().dir_id().unwrap(),
            Target::Root => nwvol::layout::dirent::ROOT_ID,
        };
        let mut n: Vec<String> = v.list(id).iter().map(|n| n.name().to_string()).collect();
        n.sort();
        n
    };
    assert_eq!(names(&v, "SYS:/"), ["KEEP.TXT", "T"]);
    assert_eq!(names(&v, "SYS:/T"), ["A"]);
    assert_eq!(names(&v, "SYS:/T/A"), ["B"]);
    assert_eq!(names(&v, "SYS:/T/A/B"), ["NEW.TXT"]);
    for gone in [
        "SYS:/T/C",
        "SYS:/T/F5.TXT",
        "SYS:/T/A/F1.TXT",
        "SYS:/T/A/B/F2.TXT",
    ] {
        assert!(v.resolve(&path(gone)).is_err(), "{gone} still resolves");
    }
    v.sync().unwrap();
    drop(v);
    drop(sys);
    // What the next command reads from the disk agrees.
    assert_eq!(nw(&imgs, &["cat", "SYS:/T/A/B/NEW.TXT"]).stdout, b"new");
    let ls = nw_ok(&imgs, &["ls", "-R", "SYS:/T"]);
    assert!(
        !ls.contains("F1.TXT") && !ls.contains("F4.TXT") && ls.contains("NEW.TXT"),
        "{ls}"
    );
    nw_ok(&imgs, &["verify", "-q"]);
}
