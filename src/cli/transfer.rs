//! Progress and summary of the file commands that copy (`put`, `get`): a
//! bar on a terminal once the copy has taken a second (files, bytes, rate,
//! ETA), a one-line summary on a terminal at the end, and with `--json` a
//! summary record on standard output.

use std::cell::RefCell;
use std::io::{IsTerminal, Read, Write};
use std::time::{Duration, Instant};

use serde_json::json;

use nwvol::units::format_size_tenths;

use super::Output;
use super::nwpath::FILES_JSON_VERSION;

/// Work shorter than this shows no bar.
const BAR_AFTER: Duration = Duration::from_secs(1);

/// How long the copy runs before its bar shows. Test builds take
/// `NWVOL_TEST_PROGRESS_AFTER_MS`, so that a terminal test needs no second
/// of work.
fn bar_after() -> Duration {
    #[cfg(feature = "testing")]
    if let Some(ms) = std::env::var("NWVOL_TEST_PROGRESS_AFTER_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return Duration::from_millis(ms);
    }
    BAR_AFTER
}

/// Counts and shows one copying command's progress.
pub struct Transfer {
    command: &'static str,
    json: bool,
    /// A bar and a summary line on standard error.
    terminal: bool,
    started: Instant,
    total_files: u64,
    total_bytes: u64,
    files: u64,
    bytes: u64,
    bar: Option<indicatif::ProgressBar>,
    last_draw: Option<Instant>,
}

impl Transfer {
    /// A transfer of `total_files` files of `total_bytes` bytes in all;
    /// `no_bar`: other output shows the progress (no bar, no summary
    /// line); `json`: a summary record at the end.
    pub fn new(
        command: &'static str,
        out: &Output,
        no_bar: bool,
        json: bool,
        total_files: u64,
        total_bytes: u64,
    ) -> Transfer {
        Transfer {
            command,
            json,
            terminal: !no_bar && !out.quiet && std::io::stderr().is_terminal(),
            started: Instant::now(),
            total_files,
            total_bytes,
            files: 0,
            bytes: 0,
            bar: None,
            last_draw: None,
        }
    }

    /// True when the totals are shown (a bar may show): a caller that
    /// must walk a tree to count them can skip that otherwise.
    pub fn wants_totals(&self) -> bool {
        self.terminal
    }

    /// Sets the files and bytes the transfer copies in all.
    pub fn set_totals(&mut self, files: u64, bytes: u64) {
        self.total_files = files;
        self.total_bytes = bytes;
    }

    /// Adds `n` bytes copied.
    pub fn add_bytes(&mut self, n: u64) {
        self.bytes += n;
        self.draw();
    }

    /// Counts a file done.
    pub fn file_done(&mut self) {
        self.files += 1;
        self.draw();
    }

    /// Files done so far.
    pub fn files(&self) -> u64 {
        self.files
    }

    fn draw(&mut self) {
        if !self.terminal {
            return;
        }
        if self.bar.is_none() {
            if self.started.elapsed() < bar_after() {
                return;
            }
            let b = indicatif::ProgressBar::new(self.total_bytes.max(self.bytes));
            b.set_style(
                indicatif::ProgressStyle::with_template(&format!(
                    "{} {{bar:30}} {{msg}} {{bytes}}/{{total_bytes}} {{binary_bytes_per_sec}} ETA {{eta}}",
                    self.command
                ))
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            self.bar = Some(b);
        }
        // Per file of a large tree, a redraw would cost more than the copy.
        let due = self
            .last_draw
            .is_none_or(|t| t.elapsed() >= Duration::from_millis(50));
        if let (Some(b), true) = (&self.bar, due) {
            self.last_draw = Some(Instant::now());
            b.set_length(self.total_bytes.max(self.bytes));
            b.set_position(self.bytes);
            b.set_message(format!(
                "{}/{} files",
                grouped(self.files),
                grouped(self.total_files.max(self.files))
            ));
        }
    }

    /// Clears the bar and prints the summary: a line on a terminal, a
    /// record with `--json`. `failed` files were not copied; `full`: the
    /// copy stopped when the volume was full (its own line said so).
    pub fn finish(&mut self, out: &Output, failed: u64, full: bool) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
        let secs = self.started.elapsed().as_secs_f64();
        if self.json {
            let _ = out.json(&json!({
                "nwvol_json": FILES_JSON_VERSION,
                "command": self.command,
                "type": "summary",
                "files": self.files,
                "copied_bytes": self.bytes,
                "failed": failed,
                "stopped_full": full,
                "seconds": secs,
                "rate_bytes_per_sec": if secs > 0.0 { self.bytes as f64 / secs } else { 0.0 },
            }));
        } else if self.terminal && !full {
            let mut line = format!(
                "{} {} file{}, {} in {secs:.1} s",
                self.command,
                grouped(self.files),
                if self.files == 1 { "" } else { "s" },
                format_size_tenths(self.bytes)
            );
            if failed > 0 {
                line.push_str(&format!("; {} failed", grouped(failed)));
            }
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    }
}

/// A reader that counts what goes through it into a [`Transfer`].
pub struct Counting<'a, R> {
    inner: R,
    t: &'a RefCell<Transfer>,
}

impl<'a, R> Counting<'a, R> {
    /// Counts the bytes read from `inner` into `t`.
    pub fn new(inner: R, t: &'a RefCell<Transfer>) -> Self {
        Counting { inner, t }
    }
}

impl<R: Read> Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.t.borrow_mut().add_bytes(n as u64);
        Ok(n)
    }
}

/// `n` with thousands separated by commas: 10,000.
pub fn grouped(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_in_the_summary() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(10_000), "10,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }
}
