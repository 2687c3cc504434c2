//! `nwvol ls`: directory listings in long form, recursive, or as JSON.

use std::collections::HashMap;
use std::io::Write;

use anyhow::Result;
use clap::Args;
use serde_json::{Value, json};

use nwvol::volume::index::Node;
use nwvol::volume::open::Target;
use nwvol::volume::{NwPath, OpenMode, OpenVolume};

use super::Session;
use super::nwpath::{
    FILES_JSON_VERSION, attr_letters, deleted_at, entry_json, item_error, open_system, parse,
};
use super::{DeviceArgs, EXIT_FAILURE, EXIT_OK, Output};

/// Options of `nwvol ls`.
#[derive(Debug, Args)]
pub struct LsArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// List the directories below too.
    #[arg(short = 'R', long)]
    pub recursive: bool,
    /// Show the DOS 8.3 names (aliases) instead of long names.
    #[arg(long)]
    pub dos: bool,
    /// List deleted (salvageable) files instead of live entries.
    #[arg(long)]
    pub deleted: bool,
    /// One JSON object instead of lines (shape in docs/JSON.md).
    #[arg(long)]
    pub json: bool,
    /// Directories or files to list: VOLUME:/DIR or VOLUME:/DIR/FILE.
    #[arg(required = true, value_name = "VOLUME:/PATH")]
    pub paths: Vec<String>,
}

struct Lister<'a> {
    a: &'a LsArgs,
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
    json: Vec<Value>,
}

impl Lister<'_> {
    fn line(&mut self, v: &OpenVolume, n: &Node) -> Result<()> {
        if self.a.json {
            self.json.push(entry_json(v, n));
            return Ok(());
        }
        let name = if self.a.dos { n.dos_name() } else { n.name() };
        let size = if n.is_dir() {
            "<DIR>".to_string()
        } else {
            n.length().to_string()
        };
        let slash = if n.is_dir() { "/" } else { "" };
        if self.a.deleted {
            writeln!(
                self.out,
                "{} {:>10}  {}  deleted {}  {name}{slash}",
                attr_letters(n.attributes()),
                size,
                n.modified(),
                deleted_at(n)
            )?;
        } else {
            writeln!(
                self.out,
                "{} {:>10}  {}  {name}{slash}",
                attr_letters(n.attributes()),
                size,
                n.modified()
            )?;
        }
        Ok(())
    }

    fn dir(&mut self, v: &OpenVolume, dir_id: u32, path: &NwPath, header: bool) -> Result<()> {
        if header && !self.a.json {
            writeln!(self.out, "{path}:")?;
        }
        let entries: Vec<&Node> = if self.a.deleted {
            v.list_deleted(dir_id)
        } else {
            v.list(dir_id)
        };
        for n in &entries {
            self.line(v, n)?;
        }
        if self.a.recursive {
            for n in v.list(dir_id) {
                if let Some(id) = n.dir_id() {
                    let sub = path.join(n.name());
                    if !self.a.json {
                        writeln!(self.out)?;
                    }
                    self.dir(v, id, &sub, true)?;
                }
            }
        }
        Ok(())
    }
}

/// Runs `nwvol ls`.
pub fn run(a: LsArgs, _out: &Output, session: &Session) -> Result<i32> {
    let paths: Vec<NwPath> = a.paths.iter().map(|p| parse(p)).collect::<Result<_>>()?;
    let sys = open_system(&a.dev, session, false)?;
    let mut vols: HashMap<String, OpenVolume> = HashMap::new();
    let mut failed = false;
    let mut l = Lister {
        a: &a,
        out: std::io::BufWriter::new(std::io::stdout().lock()),
        json: Vec::new(),
    };
    let many = paths.len() > 1 || a.recursive;
    for (i, p) in paths.iter().enumerate() {
        if !vols.contains_key(&p.volume) {
            let v = OpenVolume::from_assembly(&sys, &p.volume, OpenMode::ReadOnly)?;
            vols.insert(p.volume.clone(), v);
        }
        let v = &vols[&p.volume];
        let r = (|| -> Result<()> {
            let t = match v.resolve(p) {
                Ok(t) => t,
                Err(e) if a.deleted => {
                    // A deleted file's own name does not resolve: list the
                    // deleted files of that name.
                    let (dir, name) = v.resolve_parent(p).map_err(|_| e)?;
                    for i in v.index().deleted_named(dir, name) {
                        if let Some(n) = v.index().get(i) {
                            l.line(v, n)?;
                        }
                    }
                    return Ok(());
                }
                Err(e) => return Err(e.into()),
            };
            match v.dir_id_of(t) {
                Some(id) => {
                    if many && i > 0 && !a.json {
                        writeln!(l.out)?;
                    }
                    l.dir(v, id, p, many)
                }
                None => {
                    let Target::Entry(idx) = t else {
                        return Ok(());
                    };
                    if let Some(n) = v.index().get(idx) {
                        l.line(v, n)?;
                    }
                    Ok(())
                }
            }
        })();
        if let Err(e) = r {
            if super::output::is_broken_pipe(&e) {
                return Err(e);
            }
            item_error(p, &e);
            failed = true;
        }
    }
    if a.json && !failed {
        // A failing command prints no JSON: the errors are on stderr.
        let v = json!({
            "nwvol_json": FILES_JSON_VERSION,
            "command": "ls",
            "entries": l.json,
        });
        serde_json::to_writer(&mut l.out, &v)?;
        writeln!(l.out)?;
    }
    l.out.flush()?;
    for v in vols.values() {
        for w in v.warnings() {
            _out.warn(format!("volume {}: {w}", v.name()));
        }
    }
    Ok(if failed { EXIT_FAILURE } else { EXIT_OK })
}
