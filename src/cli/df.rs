//! `nwvol df`: size, used and free space and entry counts per volume.

use anyhow::Result;
use clap::Args;
use serde_json::json;

use nwvol::layout::voltab::validate_volume_name;
use nwvol::units::format_size;
use nwvol::volume::{OpenMode, OpenVolume};

use super::Session;
use super::nwpath::{FILES_JSON_VERSION, item_error, open_system};
use super::{DeviceArgs, EXIT_FAILURE, EXIT_OK, Output};

/// Options of `nwvol df`.
#[derive(Debug, Args)]
pub struct DfArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// One JSON object instead of a table (shape in docs/JSON.md).
    #[arg(long)]
    pub json: bool,
    /// Scripted mode: no header, one tab-separated line per volume.
    #[arg(short = 'H')]
    pub no_header: bool,
    /// Volumes to show (default: all), as NAME or NAME:.
    #[arg(value_name = "VOLUME")]
    pub volumes: Vec<String>,
}

/// Runs `nwvol df`.
pub fn run(a: DfArgs, out: &Output, session: &Session) -> Result<i32> {
    let out = &out.headerless(a.no_header);
    let sys = open_system(&a.dev, session, false)?;
    let names: Vec<String> = if a.volumes.is_empty() {
        sys.volumes.iter().map(|v| v.name.clone()).collect()
    } else {
        a.volumes
            .iter()
            .map(|n| validate_volume_name(n.trim_end_matches(':').trim_end_matches('/')))
            .collect::<std::result::Result<_, _>>()?
    };
    let mut failed = false;
    let mut rows = Vec::new();
    for name in &names {
        let r = (|| -> Result<serde_json::Value> {
            let mut v = OpenVolume::from_assembly(&sys, name, OpenMode::ReadOnly)?;
            let st = v.stats()?;
            let bs = u64::from(v.vol.block_size);
            let deleted_bytes: u64 = v
                .index()
                .nodes()
                .filter(|n| n.is_deleted())
                .map(|n| u64::from(n.length()))
                .sum();
            Ok(json!({
                "name": v.name(),
                "block_size": bs,
                "size_bytes": u64::from(v.vol.total_blocks) * bs,
                "used_bytes": st.used_blocks * bs,
                "free_bytes": st.free_blocks * bs,
                "used_blocks": st.used_blocks,
                "free_blocks": st.free_blocks,
                "files": st.files,
                "directories": st.directories,
                "deleted_files": st.deleted_files,
                "deleted_bytes": deleted_bytes,
                "dir_entries": st.dir_entries,
                "segments": v.vol.segments.len(),
            }))
        })();
        match r {
            Ok(row) => rows.push(row),
            Err(e) => {
                item_error(name, &e);
                failed = true;
            }
        }
    }
    if a.json {
        // A failing command prints no JSON: the errors are on stderr.
        if !failed {
            out.json_list(FILES_JSON_VERSION, "df", "volumes", rows)?;
        }
    } else {
        let n = |v: &serde_json::Value| v.as_u64().unwrap_or(0);
        let mut t = Vec::new();
        for r in &rows {
            let size = n(&r["size_bytes"]);
            t.push(vec![
                r["name"].as_str().unwrap_or("").to_string(),
                format_size(size),
                format_size(n(&r["used_bytes"])),
                format_size(n(&r["free_bytes"])),
                format!(
                    "{}%",
                    (n(&r["used_bytes"]) * 100).checked_div(size).unwrap_or(0)
                ),
                n(&r["files"]).to_string(),
                n(&r["directories"]).to_string(),
                format!(
                    "{} ({})",
                    n(&r["deleted_files"]),
                    format_size(n(&r["deleted_bytes"]))
                ),
            ]);
        }
        out.table(
            &[
                "volume", "size", "used", "free", "use%", "files", "dirs", "deleted",
            ],
            &t,
        )?;
    }
    Ok(if failed { EXIT_FAILURE } else { EXIT_OK })
}
