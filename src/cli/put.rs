//! `nwvol put`: local files, directory trees or standard input onto a
//! volume, keeping modification times.

use std::cell::RefCell;
use std::io::Read;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;

use nwvol::layout::time::DosTime;
use nwvol::volume::file::{FileTimes, MAX_FILE_BYTES, too_big};
use nwvol::volume::{OpenMode, OpenVolume};

use super::Session;
use super::nwpath::{
    base_name, check_new, dir_path, is_no_member, item_error, names_directory, open_system, parse,
    unix_mtime,
};
use super::read_ahead::each_read_ahead;
use super::transfer::{Counting, Transfer, grouped};
use super::{DeviceArgs, EXIT_FAILURE, EXIT_OK, Output};

/// Options of `nwvol put`.
#[derive(Debug, Args)]
pub struct PutArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// Copy directories with everything in them.
    #[arg(short, long)]
    pub recursive: bool,
    /// Print one line per file or directory copied, as cp -v does:
    /// 'SOURCE' -> 'DEST'.
    /// Not with -q.
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Local files or directories, or - for standard input.
    #[arg(required = true, value_name = "SOURCE")]
    pub sources: Vec<PathBuf>,
    /// Where to: VOLUME:/DIR (an existing directory) or VOLUME:/DIR/FILE.
    #[arg(value_name = "VOLUME:/DEST")]
    pub dest: String,
    /// Print a summary record (JSON) on standard output at the end.
    #[arg(long)]
    pub json: bool,
}

struct Putter<'t> {
    v: OpenVolume,
    failed: u64,
    now: DosTime,
    recursive_ok: bool,
    t: &'t RefCell<Transfer>,
    /// The first "no space" error: nothing more is tried after it.
    full: Option<anyhow::Error>,
    /// Files not tried, or not written, once the volume was full.
    not_written: u64,
    verbose: bool,
    out: Output,
}

/// True when the error says the volume is full.
fn is_no_space(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(
            c.downcast_ref::<nwvol::Error>(),
            Some(nwvol::Error::NoSpace(_))
        )
    })
}

/// Files and bytes `put` would copy from `src`: regular files (and links
/// to them), and with `recursive` what directories hold. What cannot be
/// read counts as nothing; the copy reports it.
fn local_totals(src: &Path, recursive: bool) -> (u64, u64) {
    let Ok(m) = std::fs::metadata(src) else {
        return (0, 0);
    };
    if m.is_file() {
        return (1, m.len());
    }
    if !m.is_dir() || !recursive {
        return (0, 0);
    }
    // A link to a directory is skipped by the copy.
    if std::fs::symlink_metadata(src).is_ok_and(|l| l.file_type().is_symlink()) {
        return (0, 0);
    }
    let mut total = (0, 0);
    if let Ok(entries) = std::fs::read_dir(src) {
        for e in entries.flatten() {
            let (f, b) = local_totals(&e.path(), true);
            total.0 += f;
            total.1 += b;
        }
    }
    total
}

impl Putter<'_> {
    fn times(&self, m: &std::fs::Metadata) -> FileTimes {
        FileTimes {
            modified: DosTime::from_unix(unix_mtime(m)),
            created: self.now,
        }
    }

    /// Copies file `src`, from `data` when it was read ahead and still
    /// has the length `m` gives (else from the file).
    fn file(
        &mut self,
        src: &Path,
        m: &std::fs::Metadata,
        dir: u32,
        name: &str,
        data: Option<Vec<u8>>,
    ) -> Result<()> {
        if m.len() > MAX_FILE_BYTES {
            return Err(too_big(&src.display().to_string(), Some(m.len())).into());
        }
        let times = self.times(m);
        let mut from: Box<dyn Read> = match data {
            Some(d) if d.len() as u64 == m.len() => Box::new(std::io::Cursor::new(d)),
            _ => Box::new(std::fs::File::open(src).with_context(|| src.display().to_string())?),
        };
        self.v
            .write_file(
                dir,
                name,
                &mut Counting::new(&mut from, self.t),
                Some(m.len()),
                times,
            )
            .with_context(|| src.display().to_string())?;
        self.t.borrow_mut().file_done();
        self.copied(src, dir, name)
    }

    /// The -v line of a file or directory just copied to `name` in `dir`.
    fn copied(&self, src: &Path, dir: u32, name: &str) -> Result<()> {
        if self.verbose
            && let Some(i) = self.v.index().lookup(dir, name)
        {
            self.out
                .line(format!("'{}' -> '{}'", src.display(), self.v.path_of(i)))?;
        }
        Ok(())
    }

    /// The ID of directory `name` in `parent`, made when missing.
    fn dir(&mut self, parent: u32, name: &str, times: FileTimes) -> Result<u32> {
        match self.v.index().lookup(parent, name) {
            Some(i) => {
                let n = self.v.index().get(i);
                match n.and_then(|n| n.dir_id()) {
                    Some(id) => Ok(id),
                    None => bail!("{}: exists and is not a directory", self.v.path_of(i)),
                }
            }
            None => Ok(self.v.mkdir(parent, name, times)?),
        }
    }

    fn tree(&mut self, src: &Path, dir: u32) {
        let entries = match std::fs::read_dir(src) {
            Ok(e) => e,
            Err(e) => {
                item_error(src.display(), &e.into());
                self.failed += 1;
                return;
            }
        };
        let mut list: Vec<PathBuf> = Vec::new();
        for e in entries {
            match e {
                Ok(e) => list.push(e.path()),
                Err(e) => {
                    item_error(src.display(), &e.into());
                    self.failed += 1;
                }
            }
        }
        list.sort();
        each_read_ahead(&list, |p, data| {
            if let Err(e) = self.one(p, dir, None, data) {
                item_error(p.display(), &e);
                self.failed += 1;
            }
            self.full.is_none()
        });
    }

    /// Copies `src` into directory `dir` under `name` (default: its own).
    /// Once the volume is full, only counts what is not written.
    fn one(
        &mut self,
        src: &Path,
        dir: u32,
        name: Option<&str>,
        data: Option<Vec<u8>>,
    ) -> Result<()> {
        if self.full.is_some() {
            self.not_written += local_totals(src, self.recursive_ok).0;
            return Ok(());
        }
        match self.copy(src, dir, name, data) {
            Err(e) if is_no_space(&e) => {
                // What failed: the file, or every file of the directory
                // that could not be made.
                self.not_written += local_totals(src, self.recursive_ok).0;
                self.full = Some(e);
                Ok(())
            }
            r => r,
        }
    }

    /// `data`: the file's contents, when read ahead.
    fn copy(
        &mut self,
        src: &Path,
        dir: u32,
        name: Option<&str>,
        data: Option<Vec<u8>>,
    ) -> Result<()> {
        let lm = std::fs::symlink_metadata(src).with_context(|| src.display().to_string())?;
        let m = if lm.file_type().is_symlink() {
            let m = std::fs::metadata(src)
                .with_context(|| format!("{}: dangling symbolic link", src.display()))?;
            if m.is_dir() {
                bail!(
                    "{}: symbolic link to a directory: skipped (NetWare volumes hold no links)",
                    src.display()
                );
            }
            m
        } else {
            lm
        };
        let own;
        let name = match name {
            Some(n) => n,
            None => {
                own = base_name(src)?;
                &own
            }
        };
        if self.v.index().lookup(dir, name).is_none() {
            check_new(&dir_path(&self.v, dir).join(name))?;
        }
        if m.is_dir() {
            if !self.recursive_ok {
                bail!("{}: is a directory (use -r)", src.display());
            }
            let times = self.times(&m);
            let id = self.dir(dir, name, times)?;
            self.copied(src, dir, name)?;
            self.tree(src, id);
            Ok(())
        } else if m.is_file() {
            self.file(src, &m, dir, name, data)
        } else {
            bail!("{}: not a regular file: skipped", src.display())
        }
    }
}

/// Runs `nwvol put`.
pub fn run(a: PutArgs, out: &Output, session: &Session) -> Result<i32> {
    let dest = parse(&a.dest)?;
    let sys = open_system(&a.dev, session, true)?;
    let v = OpenVolume::from_assembly(&sys, &dest.volume, OpenMode::Write)?;
    let (into, exists) = match v.resolve(&dest) {
        Ok(t) => (v.dir_id_of(t), true),
        Err(nwvol::Error::NotFound(_)) => (None, false),
        Err(e) => return Err(e.into()),
    };
    // Like `cp f dir/`: a destination ending in a separator must be a
    // directory that exists.
    if names_directory(&a.dest) && into.is_none() {
        if exists {
            bail!("{}/: not a directory", dest.shown());
        }
        bail!("{}/: no such directory", dest.shown());
    }
    if !exists {
        check_new(&dest)?;
    }
    if a.sources.len() > 1 && into.is_none() {
        bail!("{dest}: not a directory (several sources go into a directory)");
    }
    // With -v, a line per file shows the progress.
    let t = RefCell::new(Transfer::new("put", out, a.json || a.verbose, a.json, 0, 0));
    if t.borrow().wants_totals() {
        // A walk of the sources (a stat per file) only for a bar.
        let (mut files, mut bytes) = (0, 0);
        for src in &a.sources {
            let (f, b) = local_totals(src, a.recursive);
            files += f;
            bytes += b;
        }
        t.borrow_mut().set_totals(files, bytes);
    }
    let mut p = Putter {
        v,
        failed: 0,
        now: DosTime::now(),
        recursive_ok: a.recursive,
        t: &t,
        full: None,
        not_written: 0,
        verbose: a.verbose,
        out: *out,
    };
    for src in &a.sources {
        if src.as_os_str() != "-" && p.full.is_some() {
            p.not_written += local_totals(src, a.recursive).0;
            continue;
        }
        let r = (|| -> Result<()> {
            if src.as_os_str() == "-" {
                let Some(name) = dest.name().filter(|_| into.is_none()) else {
                    bail!(
                        "{dest}: is a directory; standard input needs a file name, e.g. {}",
                        dest.join("FILE")
                    );
                };
                let (dir, _) = p.v.resolve_parent(&dest)?;
                let stdin = std::io::stdin();
                let times = FileTimes {
                    modified: p.now,
                    created: p.now,
                };
                p.v.write_file(
                    dir,
                    name,
                    &mut Counting::new(stdin.lock(), p.t),
                    None,
                    times,
                )
                .with_context(|| dest.to_string())?;
                p.t.borrow_mut().file_done();
                return p.copied(src, dir, name);
            }
            match into {
                Some(dir) => p.one(src, dir, None, None),
                None => {
                    let (dir, name) = p.v.resolve_parent(&dest)?;
                    let name = name.to_string();
                    p.one(src, dir, Some(&name), None)
                }
            }
        })();
        if let Err(e) = r {
            if is_no_space(&e) {
                p.not_written += 1;
                p.full = Some(e);
                continue;
            }
            if is_no_member(&e) {
                // Every member failed: the rest would fail the same way.
                return Err(e.context(src.display().to_string()));
            }
            item_error(src.display(), &e);
            p.failed += 1;
        }
    }
    p.v.sync()?;
    let failed = p.failed + p.not_written;
    if let Some(e) = &p.full {
        // One line for all that did not fit, not one per file.
        let why = e
            .chain()
            .find_map(|c| match c.downcast_ref::<nwvol::Error>() {
                Some(nwvol::Error::NoSpace(_)) => Some(c.to_string()),
                _ => None,
            })
            .unwrap_or_else(|| e.to_string());
        let files = t.borrow().files();
        out.error(format!(
            "{why}: stopped after {} file{} written; {} not written",
            grouped(files),
            if files == 1 { "" } else { "s" },
            grouped(p.not_written)
        ));
    }
    t.borrow_mut().finish(out, failed, p.full.is_some());
    Ok(if failed > 0 { EXIT_FAILURE } else { EXIT_OK })
}
