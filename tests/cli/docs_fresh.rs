//! The checked-in manual pages (man/) and shell completions (completions/)
//! must match the clap definitions. Regenerate with
//! `NWVOL_UPDATE_DOCS=1 cargo test --test cli docs_fresh`.

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;

// The command line is part of the binary, not of the library's API: the
// test compiles the same definitions to render them.
#[allow(dead_code)]
#[path = "../../src/cli/mod.rs"]
mod cli;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Roff text: a backslash and a hyphen printed as such, a line that would
/// start with a control character made plain.
fn roff_text(s: &str) -> String {
    let s = s.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}

/// One manual page: clap_mangen's sections, with EXIT STATUS (from
/// `cli::exit_status`) before VERSION, as man-pages(7) orders them.
fn page(cmd: clap::Command, command: Option<&str>) -> Vec<u8> {
    let man = clap_mangen::Man::new(cmd.clone());
    let mut buf = Vec::new();
    man.render_title(&mut buf).expect("title");
    man.render_name_section(&mut buf).expect("name");
    man.render_synopsis_section(&mut buf).expect("synopsis");
    man.render_description_section(&mut buf)
        .expect("description");
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut buf).expect("options");
    }
    if cmd.has_subcommands() {
        man.render_subcommands_section(&mut buf)
            .expect("subcommands");
    }
    if cmd.get_after_help().is_some() || cmd.get_after_long_help().is_some() {
        man.render_extra_section(&mut buf).expect("extra");
    }
    buf.extend_from_slice(b".SH \"EXIT STATUS\"\n");
    for (code, what) in cli::exit_status(command) {
        buf.extend_from_slice(format!(".TP\n\\fB{code}\\fR\n{}\n", roff_text(what)).as_bytes());
    }
    if cmd.get_version().is_some() {
        man.render_version_section(&mut buf).expect("version");
    }
    buf
}

fn generated() -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let cmd = cli::Cli::command();
    out.push((root().join("man/nwvol.1"), page(cmd.clone(), None)));
    for sub in cmd.get_subcommands() {
        let name = format!("nwvol-{}", sub.get_name());
        // clap names are &'static str; a test may leak a few bytes.
        let static_name: &'static str = Box::leak(name.clone().into_boxed_str());
        let sub = sub
            .clone()
            .name(static_name)
            .bin_name(format!("nwvol {}", sub.get_name()));
        let exit_of = sub.get_name().strip_prefix("nwvol-").map(str::to_string);
        out.push((
            root().join(format!("man/{name}.1")),
            page(sub, exit_of.as_deref()),
        ));
    }
    for (shell, file) in [
        (Shell::Bash, "nwvol.bash"),
        (Shell::Zsh, "_nwvol"),
        (Shell::Fish, "nwvol.fish"),
    ] {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut cli::Cli::command(), "nwvol", &mut buf);
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
        "stale or missing: {stale:?}; run NWVOL_UPDATE_DOCS=1 cargo test --test cli docs_fresh"
    );
}

#[test]
fn every_subcommand_help_has_an_example() {
    let cmd = cli::Cli::command();
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
