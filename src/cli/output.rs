//! Printing: quiet mode, broken pipes, one-line errors.

use std::io::Write;

/// Where command output goes.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// Print nothing but errors.
    pub quiet: bool,
}

impl Output {
    /// New output settings.
    pub fn new(quiet: bool) -> Output {
        Output { quiet }
    }

    /// Prints a line of the command's result (even when quiet is off).
    pub fn line(&self, s: impl AsRef<str>) -> std::io::Result<()> {
        let mut o = std::io::stdout().lock();
        writeln!(o, "{}", s.as_ref())
    }

    /// Prints an informational line, unless quiet.
    pub fn info(&self, s: impl AsRef<str>) -> std::io::Result<()> {
        if self.quiet { Ok(()) } else { self.line(s) }
    }

    /// Prints a warning to stderr, unless quiet.
    pub fn warn(&self, s: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("nwvol: warning: {}", s.as_ref());
        }
    }

    /// Prints a JSON value as one line.
    pub fn json(&self, v: &serde_json::Value) -> std::io::Result<()> {
        let mut o = std::io::stdout().lock();
        serde_json::to_writer(&mut o, v)?;
        writeln!(o)
    }
}

/// True when the error is a write to a closed pipe (`nwvol ... | head`).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The error and its causes on one line, without repeating a cause that
/// the message already contains.
pub fn one_line(e: &anyhow::Error) -> String {
    let mut s = String::new();
    for c in e.chain() {
        let m = c.to_string();
        if s.contains(&m) {
            continue;
        }
        if !s.is_empty() {
            s.push_str(": ");
        }
        s.push_str(&m);
    }
    s.replace('\n', " ")
}
