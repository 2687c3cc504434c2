//! `nwvol mkdir`: directories.

use anyhow::Result;
use clap::Args;

use nwvol::layout::time::DosTime;
use nwvol::volume::NwPath;
use nwvol::volume::file::FileTimes;

use super::Session;
use super::nwpath::{check_new, item_error, open_one_volume};
use super::{DeviceArgs, EXIT_FAILURE, EXIT_OK, Output};

/// Options of `nwvol mkdir`.
#[derive(Debug, Args)]
pub struct MkdirArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// Make missing parents too; an existing directory is no error.
    #[arg(short, long)]
    pub parents: bool,
    /// Print one line per directory made, as mkdir -v does: created
    /// directory 'PATH'.
    /// Not with -q.
    #[arg(short, long, conflicts_with = "quiet")]
    pub verbose: bool,
    /// Directories to make: VOLUME:/DIR.
    #[arg(required = true, value_name = "VOLUME:/DIR")]
    pub paths: Vec<String>,
}

/// Runs `nwvol mkdir`.
pub fn run(a: MkdirArgs, out: &Output, session: &Session) -> Result<i32> {
    let (paths, _sys, mut v) = open_one_volume(&a.paths, &a.dev, session, true)?;
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
            // The directories -p will make, for -v: the missing prefixes.
            let missing: Vec<NwPath> = (1..=p.components.len())
                .map(|k| NwPath {
                    volume: p.volume.clone(),
                    components: p.components[..k].to_vec(),
                })
                .filter(|sub| v.resolve(sub).is_err())
                .collect();
            v.mkdir_p(p, times).map(|_| missing).map_err(Into::into)
        } else {
            v.resolve_parent(p)
                .and_then(|(dir, name)| v.mkdir(dir, name, times).map(|_| vec![p.clone()]))
                .map_err(Into::into)
        };
        match r {
            Ok(made) => {
                for d in made {
                    out.verbose(a.verbose, format!("created directory '{d}'"))?;
                }
            }
            Err(e) => {
                item_error(p, &e);
                failed = true;
            }
        }
    }
    v.sync()?;
    Ok(if failed { EXIT_FAILURE } else { EXIT_OK })
}
