//! `nwvol rm`: deleting files (salvageably, as NetWare did) and
//! directories.

use anyhow::Result;
use clap::Args;

use super::Session;
use super::nwpath::{item_error, open_one_volume};
use super::{DeviceArgs, EXIT_FAILURE, EXIT_OK, Output};

/// Options of `nwvol rm`.
#[derive(Debug, Args)]
pub struct RmArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// Remove directories and everything in them.
    #[arg(short, long)]
    pub recursive: bool,
    /// Free the files' space at once instead of keeping them salvageable.
    #[arg(long)]
    pub purge: bool,
    /// Print one line per path removed, as rm -v does: removed 'PATH'.
    /// Not with -q.
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Files or directories: VOLUME:/DIR/FILE.
    #[arg(required = true, value_name = "VOLUME:/PATH")]
    pub paths: Vec<String>,
}

/// Runs `nwvol rm`.
pub fn run(a: RmArgs, out: &Output, session: &Session) -> Result<i32> {
    let (paths, _sys, mut v) = open_one_volume(&a.paths, &a.dev, session, true)?;
    let mut failed = false;
    for p in &paths {
        let r = v.resolve(p).and_then(|t| v.remove(t, a.recursive, a.purge));
        match r {
            Ok(_) => out.verbose(a.verbose, format!("removed '{p}'"))?,
            Err(e) => {
                item_error(p, &e.into());
                failed = true;
            }
        }
    }
    v.sync()?;
    Ok(if failed { EXIT_FAILURE } else { EXIT_OK })
}
