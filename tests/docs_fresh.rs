//! The checked-in manual pages (man/) and shell completions (completions/)
//! must match the clap definitions. Regenerate with
//! `NWVOL_UPDATE_DOCS=1 cargo test --test docs_fresh`.

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn generated() -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let cmd = nwvol::cli::Cli::command();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .render(&mut buf)
        .expect("render nwvol.1");
    out.push((root().join("man/nwvol.1"), buf));
    for sub in cmd.get_subcommands() {
        let name = format!("nwvol-{}", sub.get_name());
        // clap names are &'static str; a test may leak a few bytes.
        let static_name: &'static str = Box::leak(name.clone().into_boxed_str());
        let sub = sub
            .clone()
            .name(static_name)
            .bin_name(format!("nwvol {}", sub.get_name()));
        let mut buf = Vec::new();
        clap_mangen::Man::new(sub)
            .render(&mut buf)
            .expect("render subcommand page");
        out.push((root().join(format!("man/{name}.1")), buf));
    }
    for (shell, file) in [
        (Shell::Bash, "nwvol.bash"),
        (Shell::Zsh, "_nwvol"),
        (Shell::Fish, "nwvol.fish"),
    ] {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut nwvol::cli::Cli::command(), "nwvol", &mut buf);
        out.push((root().join("completions").join(file), buf));
    }
    out
}

fn rel(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

#[test]
fn man_pages_and_completions_are_fresh() {
    let update = std::env::var_os("NWVOL_UPDATE_DOCS").is_some();
    let mut stale = Vec::new();
    for (path, content) in generated() {
        let current = std::fs::read(&path).ok();
        if current.as_deref() != Some(&content[..]) {
            if update {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &content).unwrap();
            } else {
                stale.push(rel(&path));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale or missing: {stale:?}; run NWVOL_UPDATE_DOCS=1 cargo test --test docs_fresh"
    );
}

#[test]
fn every_subcommand_help_has_an_example() {
    let cmd = nwvol::cli::Cli::command();
    for sub in cmd.get_subcommands() {
        let help = sub
            .get_after_help()
            .map(|h| h.to_string())
            .unwrap_or_default();
        assert!(
            help.contains("nwvol "),
            "{} --help has no example",
            sub.get_name()
        );
    }
}
