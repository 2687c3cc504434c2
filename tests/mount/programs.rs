//! Ordinary programs on a mounted mirror: tar, diff, rsync, git.

use std::path::Path;

use crate::support::files::{format, nw_ok};
use crate::support::mount::{Mounted, sh};

/// A source tree to copy: this crate's own src/ and tests/.
fn source_tar(dir: &Path) -> std::path::PathBuf {
    let tar = dir.join("src.tar");
    let root = env!("CARGO_MANIFEST_DIR");
    sh(
        "tar",
        &["cf", tar.to_str().unwrap(), "src", "tests", "Cargo.toml"],
        Path::new(root),
    );
    tar
}

#[test]
fn tar_rsync_and_git_work_in_the_mount() {
    let t = tempfile::tempdir().unwrap();
    let imgs = format(&t, &["a.img", "b.img"], "256M", &["--mirror"]);
    let m = Mounted::new(&imgs, "SYS", &t.path().join("mnt"), &[]);
    let tar = source_tar(t.path());
    let orig = t.path().join("orig");
    std::fs::create_dir(&orig).unwrap();
    sh("tar", &["xf", tar.to_str().unwrap()], &orig);

    // tar x into the mount, then diff -r against the original.
    std::fs::create_dir(m.path("untarred")).unwrap();
    sh("tar", &["xf", tar.to_str().unwrap()], &m.path("untarred"));
    sh(
        "diff",
        &[
            "-r",
            orig.to_str().unwrap(),
            m.path("untarred").to_str().unwrap(),
        ],
        t.path(),
    );

    // rsync -a in and back out.
    let into = m.path("rsynced");
    sh(
        "rsync",
        &[
            "-a",
            &format!("{}/", orig.display()),
            into.to_str().unwrap(),
        ],
        t.path(),
    );
    let out = t.path().join("back");
    sh(
        "rsync",
        &["-a", &format!("{}/", into.display()), out.to_str().unwrap()],
        t.path(),
    );
    sh(
        "diff",
        &["-r", orig.to_str().unwrap(), out.to_str().unwrap()],
        t.path(),
    );

    // git init and a commit inside the mount.
    let repo = m.path("repo");
    std::fs::create_dir(&repo).unwrap();
    sh("git", &["init", "-q"], &repo);
    std::fs::write(repo.join("README.txt"), b"a NetWare volume\n").unwrap();
    sh("git", &["add", "README.txt"], &repo);
    sh(
        "git",
        &[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "commit",
            "-q",
            "-m",
            "first",
        ],
        &repo,
    );
    let log = sh("git", &["log", "--oneline"], &repo);
    assert!(log.contains("first"), "{log}");
    sh("git", &["fsck", "--no-progress"], &repo);
    m.umount();
    nw_ok(&imgs, &["verify"]);
}
