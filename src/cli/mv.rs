//! `nwvol mv`: renaming and moving within a volume.

use anyhow::{Result, bail};
use clap::Args;

use nwvol::volume::open::Target;
use nwvol::volume::{NwPath, OpenMode, OpenVolume};

use super::Session;
use super::nwpath::{check_new, item_error, names_directory, one_volume, open_system, parse};
use super::{DeviceArgs, EXIT_FAILURE, EXIT_OK, Output};

/// Options of `nwvol mv`.
#[derive(Debug, Args)]
pub struct MvArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// Print one line per file or directory moved, as mv -v does:
    /// renamed 'SOURCE' -> 'DEST'.
    /// Not with -q.
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,
    /// What to move: VOLUME:/DIR/FILE.
    #[arg(required = true, value_name = "VOLUME:/SOURCE")]
    pub sources: Vec<String>,
    /// The new name, or an existing directory to move into (same volume).
    #[arg(value_name = "VOLUME:/DEST")]
    pub dest: String,
}

/// Moves `src`; returns where it went.
fn move_one(v: &mut OpenVolume, src: &NwPath, dest: &NwPath, into: Option<u32>) -> Result<String> {
    let Target::Entry(idx) = v.resolve(src)? else {
        bail!("{src}: the root directory cannot be moved");
    };
    let name = v
        .index()
        .get(idx)
        .map(|n| n.name().to_string())
        .unwrap_or_default();
    // The destination is the source itself under another case
    // (`mv SYS:/P SYS:/p`): a rename in place, not a move into itself.
    let same = matches!(v.resolve(dest), Ok(Target::Entry(d)) if d == idx);
    let (dir, new_name) = match into {
        Some(dir) if !same => (dir, name),
        _ => {
            let (dir, n) = v.resolve_parent(dest)?;
            if n != name {
                check_new(dest)?;
            }
            (dir, n.to_string())
        }
    };
    // Like mv: a file of the new name is replaced (it is deleted, so it
    // stays salvageable).
    if let Some(other) = v.index().lookup(dir, &new_name)
        && other != idx
    {
        let other_dir = v.index().get(other).is_some_and(|n| n.is_dir());
        let src_dir = v.index().get(idx).is_some_and(|n| n.is_dir());
        if other_dir || src_dir {
            bail!("{}: already exists", v.path_of(other));
        }
        v.remove(Target::Entry(other), false, false)?;
    }
    v.rename(idx, dir, &new_name)?;
    Ok(v.path_of(idx).to_string())
}

/// Runs `nwvol mv`.
pub fn run(a: MvArgs, out: &Output, session: &Session) -> Result<i32> {
    let mut paths: Vec<NwPath> = a.sources.iter().map(|p| parse(p)).collect::<Result<_>>()?;
    let dest = parse(&a.dest)?;
    paths.push(dest.clone());
    let vol = one_volume(&paths)?.to_string();
    paths.pop();
    let sys = open_system(&a.dev, session, true)?;
    let mut v = OpenVolume::from_assembly(&sys, &vol, OpenMode::Write)?;
    let into = match v.resolve(&dest) {
        Ok(t) => v.dir_id_of(t),
        Err(nwvol::Error::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    if names_directory(&a.dest) && into.is_none() {
        let why = if v.resolve(&dest).is_ok() {
            "not a directory"
        } else {
            "no such directory"
        };
        bail!("{}/: {why}", dest.shown());
    }
    if paths.len() > 1 && into.is_none() {
        bail!("{dest}: not a directory (several sources go into a directory)");
    }
    let mut failed = false;
    for p in &paths {
        match move_one(&mut v, p, &dest, into) {
            Ok(to) => out.verbose(a.verbose, format!("renamed '{p}' -> '{to}'"))?,
            Err(e) => {
                item_error(p, &e);
                failed = true;
            }
        }
    }
    v.sync()?;
    Ok(if failed { EXIT_FAILURE } else { EXIT_OK })
}
