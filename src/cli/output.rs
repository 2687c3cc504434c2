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

    /// Prints an error line to stderr, even when quiet: `nwvol: <s>`.
    pub fn error(&self, s: impl AsRef<str>) {
        eprintln!("nwvol: {}", tidy(s.as_ref()));
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
    tidy(&s)
}

/// One line, without a context repeated by the part after it: in
/// "x.img: MBR partition entry 1: MBR partition entry: sector count: ..."
/// the second "MBR partition entry" says nothing the first did not.
pub fn tidy(s: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in s.split(": ") {
        let repeats = parts.last().is_some_and(|prev| {
            !p.is_empty() && (*prev == p || prev.starts_with(&format!("{p} ")))
        });
        if !repeats {
            parts.push(p);
        }
    }
    parts.join(": ").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_drops_repeated_context_only() {
        assert_eq!(
            tidy("d.img: MBR partition entry 1: MBR partition entry: sector count: 0"),
            "d.img: MBR partition entry 1: sector count: 0"
        );
        assert_eq!(
            tidy("d.img: nwvol extension header: nwvol extension header: CRC: bad"),
            "d.img: nwvol extension header: CRC: bad"
        );
        assert_eq!(
            tidy("d.img: MBR (sector 0): MBR: boot signature: 00 00"),
            "d.img: MBR (sector 0): boot signature: 00 00"
        );
        let keep = "d.img: volume SYS FAT entry 8: FAT entry: next block: 5";
        assert_eq!(tidy(keep), keep);
        assert_eq!(tidy("a\nb"), "a b");
    }
}
