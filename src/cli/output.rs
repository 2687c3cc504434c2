//! Printing: quiet mode, verbose lines, tables, broken pipes, one-line
//! errors.
//!
//! What `-q` silences, for every command: progress bars, notices of what
//! was done ("created volume ...", "purged ..."), summaries and warnings
//! that are not errors. The answer a command was asked for (a listing, a
//! table, file bytes, `--json` output) goes to standard output either way,
//! and errors to standard error.

use std::io::Write;

use comfy_table::{ContentArrangement, Table};

/// Where command output goes.
#[derive(Debug, Clone, Copy)]
pub struct Output {
    /// Silence progress, notices, summaries and warnings (not answers, not
    /// errors).
    pub quiet: bool,
    /// Tables as tab-separated rows without a header (`-H`).
    pub headerless: bool,
}

impl Output {
    /// New output settings.
    pub fn new(quiet: bool) -> Output {
        Output {
            quiet,
            headerless: false,
        }
    }

    /// The same settings, with tables headerless and tab-separated when
    /// `headerless` (a command's `-H`).
    pub fn headerless(self, headerless: bool) -> Output {
        Output { headerless, ..self }
    }

    /// Prints a table: bordered (UTF-8 lines, or plain ASCII when the
    /// locale is not UTF-8) and fitted to the terminal's width (or
    /// $COLUMNS), or with `-H` one line per row, cells separated by tabs,
    /// no header.
    pub fn table(&self, header: &[&str], rows: &[Vec<String>]) -> std::io::Result<()> {
        self.named_table(None, header, rows)
    }

    /// Like [`Output::named_table`], under a title line (which `-H` leaves
    /// out, as it does headers).
    pub fn titled_table(
        &self,
        title: impl AsRef<str>,
        name: &str,
        header: &[&str],
        rows: &[Vec<String>],
    ) -> std::io::Result<()> {
        if !self.headerless {
            self.line(title)?;
        }
        self.named_table(Some(name), header, rows)
    }

    /// Like [`Output::table`], for a command that prints several kinds of
    /// table: with `-H` each row starts with `name`, the table's kind.
    pub fn named_table(
        &self,
        name: Option<&str>,
        header: &[&str],
        rows: &[Vec<String>],
    ) -> std::io::Result<()> {
        if self.headerless {
            let mut o = std::io::stdout().lock();
            for r in rows {
                let cells: Vec<String> = name
                    .into_iter()
                    .map(str::to_string)
                    .chain(r.iter().map(|c| headerless_cell(c)))
                    .collect();
                writeln!(o, "{}", cells.join("\t"))?;
            }
            return Ok(());
        }
        let mut t = Table::new();
        t.load_style(if utf8_locale() {
            comfy_table::presets::UTF8_FULL_CONDENSED
        } else {
            comfy_table::presets::ASCII_FULL_CONDENSED
        });
        t.set_content_arrangement(ContentArrangement::Dynamic);
        if let Some(w) = columns() {
            t.set_width(w);
        }
        t.set_header(header.to_vec());
        for r in rows {
            t.add_row(r.clone());
        }
        self.line(t.to_string())
    }

    /// Prints a line of a verbose listing (`-v`), when asked for.
    pub fn verbose(&self, on: bool, s: impl AsRef<str>) -> std::io::Result<()> {
        if on { self.line(s) } else { Ok(()) }
    }

    /// Prints a line of the command's answer (even when quiet).
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

    /// Prints a JSON value as one line (the answer: even when quiet).
    pub fn json(&self, v: &serde_json::Value) -> std::io::Result<()> {
        let mut o = std::io::stdout().lock();
        serde_json::to_writer(&mut o, v)?;
        writeln!(o)
    }

    /// Prints the JSON answer of a command that answers with one list:
    /// the shape's version, the command and the list under `field`.
    pub fn json_list(
        &self,
        version: u32,
        command: &str,
        field: &str,
        list: impl Into<serde_json::Value>,
    ) -> std::io::Result<()> {
        let mut doc = serde_json::Map::new();
        doc.insert("nwvol_json".into(), version.into());
        doc.insert("command".into(), command.into());
        doc.insert(field.into(), list.into());
        self.json(&doc.into())
    }
}

/// A table cell of one line per item of the JSON list `list`, each made
/// by `line` (a volume's segments, one a line).
pub fn list_cell(list: &serde_json::Value, line: impl Fn(&serde_json::Value) -> String) -> String {
    let lines: Vec<String> = list.as_array().into_iter().flatten().map(line).collect();
    lines.join("\n")
}

/// A cell of a `-H` row: one line, no tab inside.
fn headerless_cell(c: &str) -> String {
    c.replace('\t', " ").replace('\n', ", ")
}

/// True when the locale (LC_ALL, else LC_CTYPE, else LANG, the first one
/// set) names UTF-8; tables then use line-drawing characters.
pub fn utf8_locale() -> bool {
    // Each name spelled out: the docs test finds the variables read here.
    let set = |v: Result<String, std::env::VarError>| v.ok().filter(|v| !v.is_empty());
    let Some(loc) = set(std::env::var("LC_ALL"))
        .or_else(|| set(std::env::var("LC_CTYPE")))
        .or_else(|| set(std::env::var("LANG")))
    else {
        return false;
    };
    let l = loc.to_ascii_lowercase();
    l.contains("utf-8") || l.contains("utf8")
}

/// The width tables must fit in from $COLUMNS, when set to a number (else
/// the terminal's own width when standard output is one).
fn columns() -> Option<u16> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|&w| w > 0)
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
        let m = super::hints::say(c);
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
