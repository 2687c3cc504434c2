//! Files on a volume through the real binary: tar through put - and cat,
//! trees with times and per-file errors, long names and aliases, mv, and
//! writes refused on plain NetWare.

use std::process::{Command, Stdio};

use crate::support::files::*;
use crate::support::*;

#[test]
fn tar_round_trips_through_put_stdin_and_cat() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d0.img", "d1.img"], "64M", &["--mirror"]);
    let src = dir.path().join("src");
    std::fs::create_dir_all(src.join("sub")).unwrap();
    for i in 0..20 {
        std::fs::write(
            src.join(format!("f{i}.bin")),
            bytes(i, 1000 + i as usize * 7919),
        )
        .unwrap();
    }
    std::fs::write(src.join("sub/big.bin"), bytes(99, 3 << 20)).unwrap();
    let tar = Command::new("tar")
        .args(["c", "-C"])
        .arg(&src)
        .arg(".")
        .output()
        .unwrap();
    assert!(tar.status.success());
    let o = nw_stdin(&imgs, &["put", "-", "SYS:/A.TAR"], &tar.stdout);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // cat gives back the same bytes, and tar x of them the same tree.
    let cat = nw(&imgs, &["cat", "SYS:/a.tar"]);
    assert!(cat.status.success());
    assert!(cat.stdout == tar.stdout, "cat differs from what was put");
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let mut cat = nwvol()
        .args(with_devs(&imgs, &["cat", "SYS:/A.TAR"]))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut x = Command::new("tar")
        .args(["x", "-C"])
        .arg(&out)
        .stdin(Stdio::from(cat.stdout.take().unwrap()))
        .spawn()
        .unwrap();
    // tar may stop reading before the archive's zero padding: the closed
    // pipe still ends cat with success.
    assert!(cat.wait().unwrap().success());
    assert!(x.wait().unwrap().success());
    assert_eq!(
        std::fs::read(out.join("sub/big.bin")).unwrap(),
        bytes(99, 3 << 20)
    );
    for i in 0..20 {
        assert_eq!(
            std::fs::read(out.join(format!("f{i}.bin"))).unwrap(),
            bytes(i, 1000 + i as usize * 7919)
        );
    }
    // get - is the same stream.
    let get = nw(&imgs, &["get", "SYS:/A.TAR", "-"]);
    assert!(get.stdout == tar.stdout);
    // The second member holds the same bytes: reading it alone works.
    let cat1 = nw(&imgs[1..], &["cat", "SYS:/A.TAR"]);
    assert!(cat1.stdout == tar.stdout);
    copies_equal(&imgs);
}

#[test]
fn a_closed_pipe_ends_cat_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d.img"], "64M", &[]);
    let o = nw_stdin(&imgs, &["put", "-", "SYS:/BIG"], &bytes(1, 8 << 20));
    assert!(o.status.success());
    let sh = format!(
        "{} cat -d {} SYS:/BIG | head -c 10 >/dev/null; echo ${{PIPESTATUS[0]}}",
        env!("CARGO_BIN_EXE_nwvol"),
        imgs[0].display()
    );
    let o = Command::new("bash").args(["-c", &sh]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&o.stdout).trim(), "0");
    assert!(
        o.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn trees_keep_times_and_a_failing_file_does_not_stop_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d.img"], "64M", &[]);
    let src = dir.path().join("tree");
    std::fs::create_dir_all(src.join("docs/old")).unwrap();
    let files = [
        ("README", 10usize, 1_000_000_001u64),
        ("docs/Guide for Users.txt", 70_000, 1_200_000_003),
        ("docs/old/NOTES.TXT", 0, 1_300_000_000),
        ("z.bin", 200_000, 1_400_000_007),
    ];
    for (i, (p, len, t)) in files.iter().enumerate() {
        let f = src.join(p);
        std::fs::write(&f, bytes(i as u64, *len)).unwrap();
        set_mtime(&f, *t);
    }
    std::os::unix::fs::symlink(dir.path().join("nowhere"), src.join("docs/broken-link")).unwrap();
    let o = nw(&imgs, &["put", "-r", src.to_str().unwrap(), "SYS:/TREE"]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("nwvol: ") && err.contains("broken-link"),
        "{err}"
    );
    // Everything else arrived.
    let out = dir.path().join("back");
    nw_ok(&imgs, &["get", "-r", "SYS:/TREE", out.to_str().unwrap()]);
    for (i, (p, len, t)) in files.iter().enumerate() {
        let f = out.join(p);
        assert_eq!(std::fs::read(&f).unwrap(), bytes(i as u64, *len), "{p}");
        assert_eq!(mtime(&f), (*t - t % 2) as i64, "{p}: 2-second DOS time");
    }
    assert!(!out.join("docs/broken-link").exists());
    // ls shows the long name with the size.
    let ls = nw_ok(&imgs, &["ls", "SYS:/TREE/DOCS"]);
    assert!(
        ls.contains("70000") && ls.contains("Guide for Users.txt"),
        "{ls}"
    );
    // put of several files into a directory, and get of one into a dir.
    let a = dir.path().join("a.txt");
    let b = dir.path().join("b.txt");
    std::fs::write(&a, b"A").unwrap();
    std::fs::write(&b, b"B").unwrap();
    nw_ok(&imgs, &["mkdir", "SYS:/TWO"]);
    nw_ok(
        &imgs,
        &["put", a.to_str().unwrap(), b.to_str().unwrap(), "SYS:/TWO"],
    );
    assert_eq!(
        nw_ok(&imgs, &["cat", "SYS:/TWO/A.TXT", "SYS:/TWO/b.txt"]),
        "AB"
    );
    // Replacing a file keeps one entry with the new contents.
    std::fs::write(&a, b"AAA").unwrap();
    nw_ok(&imgs, &["put", a.to_str().unwrap(), "SYS:/TWO/a.txt"]);
    assert_eq!(nw_ok(&imgs, &["cat", "SYS:/TWO/A.TXT"]), "AAA");
    assert_eq!(nw_ok(&imgs, &["ls", "SYS:/TWO"]).lines().count(), 2);
    // A directory without -r is a per-item error.
    nw_fails(
        &imgs,
        &["put", src.to_str().unwrap(), "SYS:/X"],
        1,
        &["use -r"],
    );
    copies_equal(&imgs);
}

#[test]
fn long_names_get_unique_aliases_visible_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d.img"], "64M", &[]);
    let o = nw_stdin(&imgs, &["put", "-", "SYS:/My Report 2024.pdf"], b"pdf");
    assert!(o.status.success());
    let ls = nw_ok(&imgs, &["ls", "SYS:/"]);
    assert!(ls.contains("My Report 2024.pdf"), "{ls}");
    let dos = nw_ok(&imgs, &["ls", "--dos", "SYS:/"]);
    assert!(dos.contains("MYREPO~1.PDF"), "{dos}");
    assert_eq!(nw_ok(&imgs, &["cat", "SYS:/myrepo~1.pdf"]), "pdf");
    assert_eq!(nw_ok(&imgs, &["cat", "SYS:/MY REPORT 2024.PDF"]), "pdf");
    for i in 0..30 {
        let o = nw_stdin(
            &imgs,
            &["put", "-", &format!("SYS:/D/Long name {i}.txt")],
            b"x",
        );
        if i == 0 {
            // The directory does not exist yet.
            assert_eq!(o.status.code(), Some(1));
            nw_ok(&imgs, &["mkdir", "SYS:/D"]);
            let o = nw_stdin(&imgs, &["put", "-", "SYS:/D/Long name 0.txt"], b"x");
            assert!(o.status.success());
        } else {
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        }
    }
    let j: serde_json::Value =
        serde_json::from_str(&nw_ok(&imgs, &["ls", "--json", "SYS:/D"])).unwrap();
    let entries = j["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 30);
    let mut aliases: Vec<String> = entries
        .iter()
        .map(|e| e["dos_name"].as_str().unwrap().to_string())
        .collect();
    let first = entries
        .iter()
        .find(|e| e["name"] == "Long name 0.txt")
        .unwrap();
    assert_eq!(first["dos_name"], "LONGNA~1.TXT");
    aliases.sort();
    aliases.dedup();
    assert_eq!(aliases.len(), 30, "aliases are unique");
    // The raw entry on disk holds the alias as a plain DOS entry, which a
    // NetWare-era reader sees; the long name is in nwvol's own records.
    let sys = system(&imgs);
    let v =
        nwvol::volume::OpenVolume::from_assembly(&sys, "SYS", nwvol::volume::OpenMode::ReadOnly)
            .unwrap();
    let idx = first["entry"].as_u64().unwrap() as u32;
    let (raw, _) = v.raw_entry(idx).unwrap();
    assert_eq!(raw[11], 12);
    assert_eq!(&raw[12..24], b"LONGNA~1.TXT");
    let st: serde_json::Value =
        serde_json::from_str(&nw_ok(&imgs, &["stat", "--json", "SYS:/D/LONGNA~1.TXT"])).unwrap();
    let slot = st["entries"][0]["long_name_entries"][0].as_u64().unwrap() as u32;
    let (rec, _) = v.raw_entry(slot).unwrap();
    assert_eq!(&rec[0..4], &0xFFFF_FFFCu32.to_le_bytes());
    assert_eq!(&rec[4..8], &idx.to_le_bytes());
    // Lower case that fits 8.3 keeps its case through a long-name record.
    let o = nw_stdin(&imgs, &["put", "-", "SYS:/readme.txt"], b"r");
    assert!(o.status.success());
    assert!(nw_ok(&imgs, &["ls", "SYS:/"]).contains(" readme.txt"));
    assert!(nw_ok(&imgs, &["ls", "--dos", "SYS:/"]).contains(" README.TXT"));
    // Names NetWare cannot hold.
    let long = "x".repeat(256);
    for (bad, word) in [
        ("SYS:/tab\there", "control"),
        (&format!("SYS:/{long}") as &str, "255"),
    ] {
        let o = nw_stdin(&imgs, &["put", "-", bad], b"x");
        assert_eq!(o.status.code(), Some(1));
        let e = String::from_utf8_lossy(&o.stderr);
        assert!(e.contains("NetWare name") && e.contains(word), "{e}");
    }
    nw_fails(
        &imgs,
        &["mkdir", "SYS:/a\u{1}b"],
        1,
        &["SYS:/a\\u{1}b: ", "U+0001", "NetWare name"],
    );
    copies_equal(&imgs);
}

#[test]
fn mv_renames_and_moves() {
    let dir = tempfile::tempdir().unwrap();
    let imgs = format(&dir, &["d.img"], "64M", &[]);
    nw_ok(&imgs, &["mkdir", "-p", "SYS:/A/B", "SYS:/C"]);
    assert!(
        nw_stdin(&imgs, &["put", "-", "SYS:/A/B/F.TXT"], b"f")
            .status
            .success()
    );
    nw_ok(
        &imgs,
        &["mv", "SYS:/A/B/F.TXT", "SYS:/A/B/A much longer name.txt"],
    );
    assert_eq!(
        nw_ok(&imgs, &["cat", "SYS:/A/B/a much longer NAME.txt"]),
        "f"
    );
    nw_ok(&imgs, &["mv", "SYS:/A/B", "SYS:/C"]);
    assert_eq!(
        nw_ok(&imgs, &["cat", "SYS:/C/B/A much longer name.txt"]),
        "f"
    );
    nw_fails(&imgs, &["mv", "SYS:/C", "SYS:/C/B"], 1, &["into itself"]);
    nw_fails(&imgs, &["ls", "SYS:/A/B"], 1, &["SYS:/A/B", "not found"]);
    // A file of the new name is replaced and stays salvageable.
    assert!(
        nw_stdin(&imgs, &["put", "-", "SYS:/C/G.TXT"], b"g")
            .status
            .success()
    );
    nw_ok(
        &imgs,
        &["mv", "SYS:/C/B/A much longer name.txt", "SYS:/C/G.TXT"],
    );
    assert_eq!(nw_ok(&imgs, &["cat", "SYS:/C/G.TXT"]), "f");
    assert!(nw_ok(&imgs, &["ls", "--deleted", "SYS:/C"]).contains("G.TXT"));
    copies_equal(&imgs);
}

/// A plain NetWare 3.x partition (no nwvol structures) laid out by hand:
/// SYS with PUBLIC/LOGIN.EXE of 5000 bytes in blocks 4 and 5.
fn plain_netware_disk() -> Vec<u8> {
    fn le32(b: &mut [u8], off: usize, v: u32) {
        b[off..off + 4].copy_from_slice(&v.to_le_bytes());
    }
    const START: usize = 63;
    let size = 16 << 20;
    let mut d = vec![0u8; size];
    let part_sectors = (size / 512 - START) as u32;
    d[446 + 4] = 0x65;
    le32(&mut d, 446 + 8, START as u32);
    le32(&mut d, 446 + 12, part_sectors);
    d[510] = 0x55;
    d[511] = 0xAA;
    let p = START * 512;
    d[p + 1..p + 13].copy_from_slice(b"Nw_PaRtItIoN");
    le32(&mut d, p + 0x14, part_sectors);
    let redir: u32 = 128 + 64;
    let data_sectors = part_sectors - 32 - redir;
    for c in 0..4 {
        let h = p + (32 + 32 * c) * 512;
        d[h..h + 8].copy_from_slice(b"HOTFIX00");
        le32(&mut d, h + 8, 0x0102_0304);
        le32(&mut d, h + 20, data_sectors);
        le32(&mut d, h + 24, redir);
        let m = h + 512;
        d[m..m + 8].copy_from_slice(b"MIRROR00");
        le32(&mut d, m + 12, 0x90000);
        le32(&mut d, m + 32, 0x0102_0304);
    }
    let vt = p + 0x4000 + redir as usize * 512;
    for c in 0..4 {
        let t = vt + c * 16384;
        d[t..t + 16].copy_from_slice(b"NetWare Volumes\0");
        le32(&mut d, t + 16, 1);
        let e = t + 32;
        d[e] = 3;
        d[e + 1..e + 4].copy_from_slice(b"SYS");
        le32(&mut d, e + 24, 160);
        le32(&mut d, e + 28, 1000 * 8);
        le32(&mut d, e + 32, 1000);
        le32(&mut d, e + 44, 64);
        le32(&mut d, e + 48, 2);
        le32(&mut d, e + 52, 3);
    }
    let data = p + (32 + redir as usize + 128) * 512;
    for (b, seq, next) in [
        (0, 0, 1),
        (1, 1, 0xFFFF_FFFF),
        (2, 0, 0xFFFF_FFFF),
        (3, 0, 0xFFFF_FFFF),
        (4, 0, 5),
        (5, 1, 0xFFFF_FFFF),
    ] {
        le32(&mut d, data + b * 8, seq);
        le32(&mut d, data + b * 8 + 4, next);
    }
    for dir_block in [2usize, 3] {
        let b = data + dir_block * 4096;
        for i in 0..32 {
            le32(&mut d, b + i * 128, 0xFFFF_FFFF);
        }
        le32(&mut d, b, 0xFFFF_FFFD);
        let e = b + 128;
        le32(&mut d, e, 0);
        le32(&mut d, e + 4, 0x10);
        d[e + 11] = 6;
        d[e + 12..e + 18].copy_from_slice(b"PUBLIC");
        le32(&mut d, e + 120, 1);
        let f = b + 256;
        le32(&mut d, f, 1);
        le32(&mut d, f + 4, 0x20);
        d[f + 11] = 9;
        d[f + 12..f + 21].copy_from_slice(b"LOGIN.EXE");
        le32(&mut d, f + 40, 0x1B65_4800);
        le32(&mut d, f + 48, 5000);
        le32(&mut d, f + 52, 4);
    }
    let content = bytes(7, 5000);
    d[data + 4 * 4096..data + 4 * 4096 + 5000].copy_from_slice(&content);
    d
}

#[test]
fn plain_netware_volumes_are_read_but_never_written() {
    let dir = tempfile::tempdir().unwrap();
    let path = img(&dir, "nw312.img");
    std::fs::write(&path, plain_netware_disk()).unwrap();
    let imgs = vec![path.clone()];
    let ls = nw_ok(&imgs, &["ls", "-R", "SYS:/"]);
    assert!(
        ls.contains("PUBLIC/") && ls.contains("LOGIN.EXE") && ls.contains("5000"),
        "{ls}"
    );
    let cat = nw(&imgs, &["cat", "sys:/public/login.exe"]);
    assert!(cat.status.success());
    assert_eq!(cat.stdout, bytes(7, 5000));
    let out = dir.path().join("login.exe");
    nw_ok(
        &imgs,
        &["get", "SYS:/PUBLIC/LOGIN.EXE", out.to_str().unwrap()],
    );
    assert_eq!(std::fs::read(&out).unwrap(), bytes(7, 5000));
    let before = std::fs::read(&path).unwrap();
    let o = nw_stdin(&imgs, &["put", "-", "SYS:/NEW.TXT"], b"x");
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("plain NetWare"));
    nw_fails(&imgs, &["mkdir", "SYS:/X"], 1, &["plain NetWare"]);
    nw_fails(
        &imgs,
        &["rm", "SYS:/PUBLIC/LOGIN.EXE"],
        1,
        &["plain NetWare"],
    );
    nw_fails(
        &imgs,
        &["volume", "rename", "SYS", "NEW"],
        1,
        &["plain NetWare"],
    );
    nw_fails(&imgs, &["volume", "create", "VOL1"], 1, &["plain NetWare"]);
    assert!(std::fs::read(&path).unwrap() == before, "nothing written");
}
