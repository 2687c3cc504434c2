//! `nwvol cat`: files to standard output.

use std::io::Write;

use anyhow::{Result, bail};
use clap::Args;

use nwvol::volume::open::Target;
use nwvol::volume::{NwPath, OpenVolume};

use super::Session;
use super::nwpath::{item_error, open_system, parse, volume_of};
use super::{DeviceArgs, EXIT_FAILURE, EXIT_OK, Output};

/// Options of `nwvol cat`.
#[derive(Debug, Args)]
pub struct CatArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// Files to print, in order: VOLUME:/DIR/FILE.
    #[arg(required = true, value_name = "VOLUME:/PATH")]
    pub paths: Vec<String>,
}

/// Copies one file of the volume to `out`.
pub fn copy_out(v: &OpenVolume, p: &NwPath, out: &mut dyn Write) -> Result<u64> {
    let Target::Entry(idx) = v.resolve(p)? else {
        bail!("{p}: is a directory");
    };
    let mut r = v.open_file(idx)?;
    Ok(std::io::copy(&mut r, out)?)
}

/// Runs `nwvol cat`.
pub fn run(a: CatArgs, _out: &Output, session: &Session) -> Result<i32> {
    let paths: Vec<NwPath> = a.paths.iter().map(|p| parse(p)).collect::<Result<_>>()?;
    let sys = open_system(&a.dev, session, false)?;
    let mut vol: Option<OpenVolume> = None;
    let mut failed = false;
    let stdout = std::io::stdout();
    let mut o = stdout.lock();
    for p in &paths {
        let v = volume_of(&mut vol, &sys, &p.volume)?;
        if let Err(e) = copy_out(v, p, &mut o) {
            if super::output::is_broken_pipe(&e) {
                return Err(e);
            }
            item_error(p, &e);
            failed = true;
        }
    }
    o.flush()?;
    Ok(if failed { EXIT_FAILURE } else { EXIT_OK })
}
