//! `nwvol mkdir`: directories.

use anyhow::Result;
use clap::Args;

use nwvol::layout::time::DosTime;
use nwvol::volume::file::FileTimes;
use nwvol::volume::{NwPath, OpenMode, OpenVolume};

use super::Session;
use super::nwpath::{check_new, item_error, one_volume, open_system, parse};
use super::{DeviceArgs, EXIT_FAILURE, EXIT_OK, Output};

/// Options of `nwvol mkdir`.
#[derive(Debug, Args)]
pub struct MkdirArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// Make missing parents too; an existing directory is no error.
    #[arg(short, long)]
    pub parents: bool,
    /// Directories to make: VOLUME:/DIR.
    #[arg(required = true, value_name = "VOLUME:/DIR")]
    pub paths: Vec<String>,
}

/// Runs `nwvol mkdir`.
pub fn run(a: MkdirArgs, _out: &Output, session: &Session) -> Result<i32> {
    let paths: Vec<NwPath> = a.paths.iter().map(|p| parse(p)).collect::<Result<_>>()?;
    let vol = one_volume(&paths)?.to_string();
    let sys = open_system(&a.dev, session, true)?;
    let mut v = OpenVolume::from_assembly(&sys, &vol, OpenMode::Write)?;
    let now = DosTime::now();
    let times = FileTimes {
        modified: now,
        created: now,
    };
    let mut failed = false;
    for p in &paths {
        let r = if v.resolve(p).is_err()
            && let Err(e) = check_new(p)
        {
            Err(e)
        } else if a.parents {
            v.mkdir_p(p, times).map(|_| ()).map_err(Into::into)
        } else {
            v.resolve_parent(p)
                .and_then(|(dir, name)| v.mkdir(dir, name, times).map(|_| ()))
                .map_err(Into::into)
        };
        if let Err(e) = r {
            item_error(p, &e);
            failed = true;
        }
    }
    v.sync()?;
    Ok(if failed { EXIT_FAILURE } else { EXIT_OK })
}
