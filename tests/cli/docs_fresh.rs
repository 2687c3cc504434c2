//! The checked-in manual pages (man/) and shell completions (completions/)
//! must match the clap definitions: one page per command at every depth
//! (nwvol-mirror-add(1) and so on), every page a page names exists, every
//! environment variable the source reads is documented. Regenerate with
//! `NWVOL_UPDATE_DOCS=1 cargo test --test cli docs_fresh`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use clap::{Arg, ArgAction, CommandFactory};
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

/// A page's name: `nwvol` and the command path joined by hyphens.
fn page_name(path: &[&str]) -> String {
    std::iter::once("nwvol")
        .chain(path.iter().copied())
        .collect::<Vec<_>>()
        .join("-")
}

/// The commands below `cmd` that get pages (clap's own `help` does not:
/// `nwvol help COMMAND` prints what --help prints).
fn children(cmd: &clap::Command) -> Vec<&clap::Command> {
    cmd.get_subcommands()
        .filter(|s| s.get_name() != "help" && !s.is_hide_set())
        .collect()
}

/// An option or argument in SYNOPSIS form, with its argument:
/// `[-d|--device DEVICE]...`, `--max-rate RATE`, `<VOLUME:/PATH>...`.
fn synopsis_arg(a: &Arg) -> String {
    let takes_value = matches!(a.get_action(), ArgAction::Set | ArgAction::Append);
    let repeat = matches!(a.get_action(), ArgAction::Append);
    let values: Vec<String> = a
        .get_value_names()
        .map(|v| v.iter().map(|s| s.to_string()).collect())
        .unwrap_or_else(|| vec![a.get_id().to_string().to_uppercase()]);
    let value = values
        .iter()
        .map(|v| format!("\\fI{}\\fR", roff_text(v)))
        .collect::<Vec<_>>()
        .join(" ");
    let s = if a.is_positional() {
        value
    } else {
        let mut names = Vec::new();
        if let Some(c) = a.get_short() {
            names.push(format!("\\fB\\-{}\\fR", roff_text(&c.to_string())));
        }
        if let Some(l) = a.get_long() {
            names.push(format!("\\fB\\-\\-{}\\fR", roff_text(l)));
        }
        let names = names.join("|");
        if takes_value {
            format!("{names} {value}")
        } else {
            names
        }
    };
    let s = if a.is_required_set() {
        if a.is_positional() {
            format!("<{s}>")
        } else {
            s
        }
    } else {
        format!("[{s}]")
    };
    if repeat { format!("{s}...") } else { s }
}

/// SYNOPSIS: the command path, every option with its argument, then the
/// operands; for a group, its commands.
fn synopsis(cmd: &clap::Command, path: &[&str]) -> String {
    let mut line = String::from("\\fBnwvol\\fR");
    if !path.is_empty() {
        line.push_str(" [\\fIGLOBAL OPTIONS\\fR]");
    }
    for p in path {
        line.push_str(&format!(" \\fB{}\\fR", roff_text(p)));
    }
    let args: Vec<&Arg> = cmd.get_arguments().filter(|a| !a.is_hide_set()).collect();
    for a in args.iter().filter(|a| !a.is_positional()) {
        line.push(' ');
        line.push_str(&synopsis_arg(a));
    }
    line.push_str(" [\\fB\\-h\\fR|\\fB\\-\\-help\\fR]");
    if path.is_empty() {
        line.push_str(" [\\fB\\-V\\fR|\\fB\\-\\-version\\fR]");
    }
    for a in args.iter().filter(|a| a.is_positional()) {
        line.push(' ');
        line.push_str(&synopsis_arg(a));
    }
    if cmd.has_subcommands() {
        line.push_str(" \\fICOMMAND\\fR [\\fIOPTIONS\\fR]");
    }
    if !path.is_empty() {
        // The global options are nwvol's own: named here, described there.
        let globals: Vec<String> = cli::Cli::command()
            .get_arguments()
            .filter(|a| a.is_global_set() && !a.is_hide_set())
            .map(synopsis_arg)
            .collect();
        line.push_str(&format!(
            "\n.PP\n\\fIGLOBAL OPTIONS\\fR, described in \\fBnwvol\\fR(1), may come before or after the command: {}.",
            globals.join(" ")
        ));
    }
    format!(".SH SYNOPSIS\n{line}\n")
}

/// COMMANDS: each command below with its page and what it does.
fn commands(cmd: &clap::Command, path: &[&str]) -> String {
    let mut s = String::from(".SH COMMANDS\n");
    for c in children(cmd) {
        let mut p = path.to_vec();
        p.push(c.get_name());
        s.push_str(&format!(
            ".TP\n\\fB{}\\fR(1)\n{}\n",
            roff_text(&page_name(&p)),
            roff_text(&c.get_about().map(|a| a.to_string()).unwrap_or_default())
        ));
    }
    s.push_str(&format!(
        ".PP\n\\fBnwvol{} help\\fR \\fICOMMAND\\fR prints a command's \\fB\\-\\-help\\fR.\n",
        path.iter().map(|p| format!(" {p}")).collect::<String>()
    ));
    s
}

/// NOTES and EXAMPLES from the command's after_help: the text before
/// "Examples:" and the examples after it, kept as typed.
fn notes_and_examples(cmd: &clap::Command) -> String {
    let Some(h) = cmd.get_after_help().map(|h| h.to_string()) else {
        return String::new();
    };
    let (notes, examples) = match h.find("Examples:") {
        Some(i) => (&h[..i], Some(&h[i + "Examples:".len()..])),
        None if h.trim_start().starts_with("Example:") => {
            ("", Some(&h[h.find("Example:").unwrap() + 8..]))
        }
        None => match h.find("Example:") {
            Some(i) => (&h[..i], Some(&h[i + 8..])),
            None => (&h[..], None),
        },
    };
    let mut s = String::new();
    if !notes.trim().is_empty() {
        s.push_str(".SH NOTES\n");
        for para in notes.trim().split("\n\n") {
            s.push_str(&format!(".PP\n{}\n", roff_text(para.trim())));
        }
    }
    if let Some(ex) = examples.filter(|e| !e.trim().is_empty()) {
        s.push_str(".SH EXAMPLES\n.nf\n");
        for l in ex.trim_matches('\n').lines() {
            s.push_str(&format!("{}\n", roff_text(l)));
        }
        s.push_str(".fi\n");
    }
    s
}

/// ENVIRONMENT: the variables this command reads.
fn environment(cmd: &clap::Command, top: bool) -> String {
    let has = |id: &str| cmd.get_arguments().any(|a| a.get_id() == id);
    let mut s = String::new();
    for (name, scope, what) in cli::environment() {
        let shown = top
            || match scope {
                cli::EnvScope::Devices => has("devices"),
                cli::EnvScope::Tables => has("no_header"),
                cli::EnvScope::Top => false,
            };
        if shown {
            s.push_str(&format!(
                ".TP\n\\fB{}\\fR\n{}\n",
                roff_text(name),
                roff_text(what)
            ));
        }
    }
    if s.is_empty() {
        s.push_str(".PP\nNone is read by this command.\n");
    }
    format!(".SH ENVIRONMENT\n{s}")
}

/// SEE ALSO: nwvol(1), the parent group's page and the pages below.
fn see_also(cmd: &clap::Command, path: &[&str]) -> String {
    let mut pages = Vec::new();
    if !path.is_empty() {
        pages.push("nwvol".to_string());
        if path.len() > 1 {
            pages.push(page_name(&path[..path.len() - 1]));
        }
    }
    for c in children(cmd) {
        let mut p = path.to_vec();
        p.push(c.get_name());
        pages.push(page_name(&p));
    }
    let mut s = String::from(".SH \"SEE ALSO\"\n");
    let named: Vec<String> = pages
        .iter()
        .map(|p| format!("\\fB{}\\fR(1)", roff_text(p)))
        .collect();
    if !named.is_empty() {
        s.push_str(&named.join(",\n"));
        s.push('\n');
    }
    s.push_str(".PP\nThe README, docs/JSON.md (the \\fB\\-\\-json\\fR shapes), docs/FORMAT.md (the on\\-disk layout) and docs/VERIFY.md in the source tree.\n");
    s
}

/// One manual page. Sections in man-pages(7) order: NAME, SYNOPSIS,
/// DESCRIPTION, OPTIONS, COMMANDS, EXIT STATUS, ENVIRONMENT, NOTES,
/// EXAMPLES, SEE ALSO, VERSION (nwvol(1) only).
fn page(cmd: clap::Command, path: &[&str]) -> Vec<u8> {
    let name = page_name(path);
    // clap names are &'static str; a test may leak a few bytes.
    let static_name: &'static str = Box::leak(name.clone().into_boxed_str());
    let bin = std::iter::once("nwvol")
        .chain(path.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    let mut named = cmd.clone().name(static_name).bin_name(bin);
    // A page is rendered from its command alone: the global -q that -v
    // conflicts with is declared on nwvol itself, so stands in here, hidden.
    if !path.is_empty() && !named.get_arguments().any(|a| a.get_id() == "quiet") {
        named = named.arg(Arg::new("quiet").long("quiet").hide(true));
    }
    let man = clap_mangen::Man::new(named.clone());
    let mut buf = Vec::new();
    man.render_title(&mut buf).expect("title");
    man.render_name_section(&mut buf).expect("name");
    buf.extend_from_slice(synopsis(&cmd, path).as_bytes());
    man.render_description_section(&mut buf)
        .expect("description");
    if cmd.get_arguments().any(|a| !a.is_hide_set()) {
        man.render_options_section(&mut buf).expect("options");
    }
    if cmd.has_subcommands() {
        buf.extend_from_slice(commands(&cmd, path).as_bytes());
    }
    buf.extend_from_slice(b".SH \"EXIT STATUS\"\n");
    for (code, what) in cli::exit_status(path.first().copied()) {
        buf.extend_from_slice(format!(".TP\n\\fB{code}\\fR\n{}\n", roff_text(what)).as_bytes());
    }
    buf.extend_from_slice(environment(&cmd, path.is_empty()).as_bytes());
    buf.extend_from_slice(notes_and_examples(&cmd).as_bytes());
    buf.extend_from_slice(see_also(&cmd, path).as_bytes());
    if path.is_empty() && cmd.get_version().is_some() {
        man.render_version_section(&mut buf).expect("version");
    }
    buf
}

fn pages_below(cmd: &clap::Command, path: Vec<&str>, out: &mut Vec<(PathBuf, Vec<u8>)>) {
    out.push((
        root().join(format!("man/{}.1", page_name(&path))),
        page(cmd.clone(), &path),
    ));
    for c in children(cmd) {
        let mut p = path.clone();
        // Names of the definitions: they live as long as the test.
        let n: &'static str = Box::leak(c.get_name().to_string().into_boxed_str());
        p.push(n);
        pages_below(c, p, out);
    }
}

fn generated() -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let cmd = cli::Cli::command();
    pages_below(&cmd, Vec::new(), &mut out);
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
    let docs = generated();
    for (path, content) in &docs {
        let current = std::fs::read(path).ok();
        if current.as_deref() != Some(&content[..]) {
            if update {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(path, content).unwrap();
            } else {
                stale.push(rel(path));
            }
        }
    }
    // A page no command has any more.
    let wanted: BTreeSet<&PathBuf> = docs.iter().map(|(p, _)| p).collect();
    for e in std::fs::read_dir(root().join("man")).unwrap() {
        let p = e.unwrap().path();
        if !wanted.contains(&p) {
            if update {
                std::fs::remove_file(&p).unwrap();
            } else {
                stale.push(format!("{} (no such command)", rel(&p)));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "stale or missing: {stale:?}; run NWVOL_UPDATE_DOCS=1 cargo test --test cli docs_fresh"
    );
}

/// The pages a roff text names: `nwvol-mirror-add(1)`, `\fBnwvol\-ls\fR(1)`.
fn named_pages(text: &str) -> BTreeSet<String> {
    let plain = text
        .replace("\\-", "-")
        .replace("\\fB", "")
        .replace("\\fR", "")
        .replace("\\fI", "");
    let mut found = BTreeSet::new();
    let b = plain.as_bytes();
    let mut i = 0;
    while let Some(off) = plain[i..].find("(1)") {
        let end = i + off;
        let mut start = end;
        while start > 0 && (b[start - 1].is_ascii_alphanumeric() || b[start - 1] == b'-') {
            start -= 1;
        }
        let name = &plain[start..end];
        if name.starts_with("nwvol") {
            found.insert(name.to_string());
        }
        i = end + 3;
    }
    found
}

#[test]
fn every_page_named_exists_and_every_command_has_one() {
    let mut pages = BTreeSet::new();
    let mut texts = Vec::new();
    for e in std::fs::read_dir(root().join("man")).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_stem().unwrap().to_string_lossy().into_owned();
        texts.push((name.clone(), std::fs::read_to_string(&p).unwrap()));
        pages.insert(name);
    }
    for (name, text) in &texts {
        for named in named_pages(text) {
            assert!(
                pages.contains(&named),
                "man/{name}.1 names {named}(1), which does not exist"
            );
        }
        for section in ["SYNOPSIS", "DESCRIPTION", "ENVIRONMENT", "\"SEE ALSO\""] {
            assert!(
                text.contains(&format!(".SH {section}\n")),
                "man/{name}.1 has no {section} section"
            );
        }
    }
    // The README and the docs name only pages that exist, too.
    for doc in ["README.md", "docs/JSON.md"] {
        let text = std::fs::read_to_string(root().join(doc)).unwrap();
        for named in named_pages(&text) {
            assert!(pages.contains(&named), "{doc} names {named}(1)");
        }
    }
    // Every command at every depth, e.g. the ones the first pages named
    // without having them.
    for want in [
        "nwvol-mirror-add",
        "nwvol-mirror-resume",
        "nwvol-mirror-status",
        "nwvol-mirror-remove",
        "nwvol-mirror-split",
        "nwvol-volume-create",
        "nwvol-volume-extend",
        "nwvol-volume-rename",
        "nwvol-volume-list",
        "nwvol-hotfix-list",
    ] {
        assert!(pages.contains(want), "no page {want}(1)");
    }
    let add = &texts
        .iter()
        .find(|(n, _)| n == "nwvol-mirror-add")
        .unwrap()
        .1;
    assert!(
        add.contains("max\\-rate"),
        "mirror add's page lacks --max-rate"
    );
    // Option arguments in SYNOPSIS.
    let ls = &texts.iter().find(|(n, _)| n == "nwvol-ls").unwrap().1;
    let syn = ls.split(".SH SYNOPSIS\n").nth(1).unwrap();
    let syn = syn.lines().next().unwrap();
    assert!(
        syn.contains("\\fB\\-\\-device\\fR \\fIDEVICE\\fR"),
        "SYNOPSIS lacks the option argument: {syn}"
    );
    // A group is described as what it does, not as "Options of".
    for (name, text) in &texts {
        assert!(
            !text.contains("Options of"),
            "man/{name}.1 describes a group as \"Options of\""
        );
    }
}

/// Every variable the source reads with env::var / env::var_os, and every
/// clap `env = "..."`, is documented in nwvol(1)'s ENVIRONMENT.
#[test]
fn every_environment_variable_read_is_documented() {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = Vec::new();
    walk(&root().join("src"), &mut files);
    let documented: Vec<&str> = cli::environment().iter().map(|e| e.0).collect();
    let top = std::fs::read_to_string(root().join("man/nwvol.1")).unwrap();
    let env_section = top.split(".SH ENVIRONMENT\n").nth(1).unwrap_or("");
    let mut seen = 0;
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        for pat in ["env::var(\"", "env::var_os(\"", "env = \""] {
            for (i, _) in text.match_indices(pat) {
                let rest = &text[i + pat.len()..];
                let name = &rest[..rest.find('"').unwrap()];
                seen += 1;
                assert!(
                    documented.iter().any(|d| d.split(", ").any(|n| n == name)),
                    "{} reads {name}, which cli::environment() does not document",
                    rel(&f)
                );
                assert!(
                    env_section.contains(name),
                    "nwvol(1) ENVIRONMENT lacks {name}"
                );
            }
        }
    }
    assert!(seen >= 4, "the scan found only {seen} reads");
}

#[test]
fn every_subcommand_help_has_an_example() {
    fn check(cmd: &clap::Command, path: &str) {
        for sub in children(cmd) {
            let p = format!("{path} {}", sub.get_name());
            if !sub.has_subcommands() {
                let help = sub
                    .get_after_help()
                    .map(|h| h.to_string())
                    .unwrap_or_default();
                assert!(help.contains("nwvol "), "{p} --help has no example");
            }
            check(sub, &p);
        }
    }
    check(&cli::Cli::command(), "nwvol");
}
