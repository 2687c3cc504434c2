//! `nwvol purge`: freeing the space of deleted files for good.

use anyhow::Result;
use clap::Args;

use super::Session;
use super::nwpath::{item_error, open_one_volume};
use super::{DeviceArgs, EXIT_FAILURE, EXIT_OK, Output};

/// Options of `nwvol purge`.
#[derive(Debug, Args)]
pub struct PurgeArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// A volume (`SYS:`: every deleted file), a directory (the deleted files
    /// in and below it) or a deleted file's path.
    #[arg(required = true, value_name = "VOLUME:/PATH")]
    pub paths: Vec<String>,
}

/// Runs `nwvol purge`.
pub fn run(a: PurgeArgs, out: &Output, session: &Session) -> Result<i32> {
    let (paths, _sys, mut v) = open_one_volume(&a.paths, &a.dev, session, true)?;
    let mut failed = false;
    let mut done = false;
    let (mut files, mut blocks) = (0u64, 0u64);
    for p in &paths {
        let r = (|| -> nwvol::Result<nwvol::volume::ops::Removed> {
            if p.is_root() {
                return v.purge(None);
            }
            match v.resolve(p) {
                Ok(t) => v.purge(Some(t)),
                Err(e) => {
                    let (dir, name) = v.resolve_parent(p).map_err(|_| e)?;
                    let named = v.index().deleted_named(dir, name);
                    if named.is_empty() {
                        return Err(nwvol::Error::NotFound(p.to_string()));
                    }
                    v.purge_deleted(&named)
                }
            }
        })();
        match r {
            Ok(r) => {
                done = true;
                files += r.purged;
                blocks += r.blocks;
            }
            Err(e) => {
                item_error(p, &e.into());
                failed = true;
            }
        }
    }
    v.sync()?;
    // When every path failed, the errors are all there is to say.
    if done {
        out.info(format!(
            "purged {files} file(s), {} freed",
            nwvol::units::format_size(blocks * u64::from(v.vol.block_size))
        ))?;
    }
    Ok(if failed { EXIT_FAILURE } else { EXIT_OK })
}
