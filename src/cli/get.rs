//! `nwvol get`: files and directory trees from a volume to local files,
//! keeping modification times.

use std::cell::RefCell;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use clap::Args;

use nwvol::layout::time::DosTime;
use nwvol::volume::open::Target;
use nwvol::volume::{NwPath, OpenMode, OpenVolume};

use super::Session;
use super::nwpath::{item_error, one_volume, open_system, parse};
use super::transfer::{Counting, Transfer};
use super::{DeviceArgs, EXIT_FAILURE, EXIT_OK, Output};

/// Options of `nwvol get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// Copy directories with everything in them.
    #[arg(short, long)]
    pub recursive: bool,
    /// Print one line per file or directory copied, as cp -v does:
    /// 'SOURCE' -> 'DEST' (not when DEST is standard output).
    /// Not with -q.
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,
    /// What to copy: VOLUME:/DIR/FILE (several go into the directory DEST).
    #[arg(required = true, value_name = "VOLUME:/SOURCE")]
    pub sources: Vec<String>,
    /// Where to: a local file or directory, or - for standard output.
    #[arg(value_name = "DEST")]
    pub dest: PathBuf,
    /// Print a summary record (JSON) on standard output at the end (not
    /// with - as DEST).
    #[arg(long)]
    pub json: bool,
}

/// Largest read and write of a file's contents.
const COPY_BYTES: usize = 1 << 20;

/// Files and bytes under directory `dir_id`, all the way down.
fn tree_totals(v: &OpenVolume, dir_id: u32) -> (u64, u64) {
    let mut total = (0, 0);
    for n in v.list(dir_id) {
        let (f, b) = match n.dir_id() {
            Some(id) => tree_totals(v, id),
            None => (1, n.length() as u64),
        };
        total.0 += f;
        total.1 += b;
    }
    total
}

/// The local time of a NetWare time, when it has one.
fn local_time(t: DosTime) -> Option<SystemTime> {
    let secs = t.to_unix()?;
    Some(if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs as u64)
    } else {
        UNIX_EPOCH
    })
}

fn set_mtime(path: &Path, t: DosTime) -> Result<()> {
    let Some(when) = local_time(t) else {
        return Ok(());
    };
    let f = std::fs::File::open(path)?;
    f.set_modified(when)
        .with_context(|| format!("{}: setting the modification time", path.display()))?;
    Ok(())
}

/// Copies a file's contents in reads of up to `len` bytes (a small file:
/// one read, one write).
fn copy_out(src: &mut dyn Read, to: &mut std::fs::File, len: usize) -> std::io::Result<()> {
    let mut buf = vec![0u8; len.clamp(1, COPY_BYTES)];
    loop {
        match src.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(k) => to.write_all(&buf[..k])?,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Prints the -v line of a copy, when `verbose` holds the output.
fn copied(verbose: Option<&Output>, from: &NwPath, to: &Path) -> Result<()> {
    if let Some(out) = verbose {
        out.line(format!("'{from}' -> '{}'", to.display()))?;
    }
    Ok(())
}

fn get_file(v: &OpenVolume, idx: u32, dest: &Path, t: &RefCell<Transfer>) -> Result<()> {
    let n = v
        .index()
        .get(idx)
        .ok_or_else(|| anyhow::anyhow!("entry {idx} vanished"))?;
    let modified = n.modified();
    let len = n.length() as usize;
    let r = v.open_file(idx)?;
    let mut f = std::fs::File::create(dest).with_context(|| format!("{}", dest.display()))?;
    copy_out(&mut Counting::new(r, t), &mut f, len)
        .with_context(|| format!("{}", dest.display()))?;
    // Through the handle open already: no second open per file.
    if let Some(when) = local_time(modified) {
        f.set_modified(when)
            .with_context(|| format!("{}: setting the modification time", dest.display()))?;
    }
    drop(f);
    t.borrow_mut().file_done();
    Ok(())
}

fn get_tree(
    v: &OpenVolume,
    dir_id: u32,
    from: &NwPath,
    dest: &Path,
    failed: &mut u64,
    verbose: Option<&Output>,
    t: &RefCell<Transfer>,
) -> Result<()> {
    // Like `cp -r dir file`: a directory does not go over something else.
    if std::fs::metadata(dest).is_ok_and(|m| !m.is_dir()) {
        item_error(
            dest.display(),
            &anyhow::anyhow!("not a directory (cannot copy directory {from} over it)"),
        );
        *failed += 1;
        return Ok(());
    }
    if let Err(e) = std::fs::create_dir_all(dest) {
        item_error(dest.display(), &e.into());
        *failed += 1;
        return Ok(());
    }
    copied(verbose, from, dest)?;
    for n in v.list(dir_id) {
        let src = from.join(n.name());
        let to = dest.join(n.name());
        match n.dir_id() {
            Some(id) => get_tree(v, id, &src, &to, failed, verbose, t)?,
            None => match get_file(v, n.index, &to, t) {
                Ok(()) => copied(verbose, &src, &to)?,
                Err(e) => {
                    item_error(&src, &e);
                    *failed += 1;
                }
            },
        }
    }
    let t = match v.index().dir_index(dir_id).and_then(|i| v.index().get(i)) {
        Some(n) => n.modified(),
        None => v.root_times().1,
    };
    let _ = set_mtime(dest, t);
    Ok(())
}

/// Runs `nwvol get`.
pub fn run(a: GetArgs, out: &Output, session: &Session) -> Result<i32> {
    let verbose = a.verbose.then_some(out);
    let paths: Vec<NwPath> = a.sources.iter().map(|p| parse(p)).collect::<Result<_>>()?;
    if a.json && a.dest.as_os_str() == "-" {
        bail!(
            "the summary record and the data cannot both go to standard output: give a DEST or leave out --json"
        );
    }
    let vol = one_volume(&paths)?.to_string();
    let sys = open_system(&a.dev, session, false)?;
    let v = OpenVolume::from_assembly(&sys, &vol, OpenMode::ReadOnly)?;
    let to_stdout = a.dest.as_os_str() == "-";
    let into_dir = !to_stdout && (paths.len() > 1 || a.dest.is_dir());
    if paths.len() > 1 && !to_stdout && !a.dest.is_dir() {
        bail!(
            "{}: not a directory (several sources go into a directory)",
            a.dest.display()
        );
    }
    let (mut files, mut bytes) = (0, 0);
    for p in &paths {
        let (f, b) = match v.resolve(p) {
            Ok(t) => match v.dir_id_of(t) {
                Some(id) if a.recursive => tree_totals(&v, id),
                Some(_) => (0, 0),
                None => match t {
                    Target::Entry(i) => (1, v.index().get(i).map_or(0, |n| n.length() as u64)),
                    Target::Root => (0, 0),
                },
            },
            Err(_) => (0, 0),
        };
        files += f;
        bytes += b;
    }
    // With -v, a line per file shows the progress.
    let tr = RefCell::new(Transfer::new(
        "get",
        out,
        a.json || a.verbose,
        a.json,
        files,
        bytes,
    ));
    let mut failed = 0u64;
    let stdout = std::io::stdout();
    for p in &paths {
        let r = (|| -> Result<()> {
            let t = v.resolve(p)?;
            let name = p.name().map(str::to_string);
            let node_name = match t {
                Target::Entry(i) => v.index().get(i).map(|n| n.name().to_string()),
                Target::Root => None,
            };
            let dest = if into_dir {
                a.dest
                    .join(node_name.or(name).unwrap_or_else(|| p.volume.clone()))
            } else {
                a.dest.clone()
            };
            match v.dir_id_of(t) {
                Some(id) => {
                    if to_stdout {
                        bail!("{p}: is a directory; it cannot go to standard output");
                    }
                    if !a.recursive {
                        bail!("{p}: is a directory (use -r)");
                    }
                    get_tree(&v, id, p, &dest, &mut failed, verbose, &tr)
                }
                None => {
                    let Target::Entry(idx) = t else { return Ok(()) };
                    if to_stdout {
                        let mut o = stdout.lock();
                        let r = v.open_file(idx)?;
                        std::io::copy(&mut Counting::new(r, &tr), &mut o)?;
                        std::io::Write::flush(&mut o)?;
                        tr.borrow_mut().file_done();
                        Ok(())
                    } else {
                        get_file(&v, idx, &dest, &tr)?;
                        copied(verbose, p, &dest)
                    }
                }
            }
        })();
        if let Err(e) = r {
            if super::output::is_broken_pipe(&e) {
                return Err(e);
            }
            item_error(p, &e);
            failed += 1;
        }
    }
    tr.borrow_mut().finish(out, failed, false);
    Ok(if failed > 0 { EXIT_FAILURE } else { EXIT_OK })
}
