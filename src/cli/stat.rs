//! `nwvol stat`: every field of a file's or directory's entry.

use anyhow::Result;
use clap::Args;
use serde_json::{Value, json};

use nwvol::layout::dirent::{NO_BLOCK, Trustee};
use nwvol::volume::index::Item;
use nwvol::volume::open::Target;
use nwvol::volume::{NwPath, OpenVolume};

use super::Session;
use super::nwpath::{
    FILES_JSON_VERSION, attr_letters, attr_names, item_error, open_system, parse, time_json,
    volume_of,
};
use super::{DeviceArgs, EXIT_FAILURE, EXIT_OK, Output};

/// Options of `nwvol stat`.
#[derive(Debug, Args)]
pub struct StatArgs {
    #[command(flatten)]
    pub dev: DeviceArgs,
    /// One JSON object instead of lines (shape in docs/JSON.md).
    #[arg(long)]
    pub json: bool,
    /// Files or directories: VOLUME:/DIR/FILE.
    #[arg(required = true, value_name = "VOLUME:/PATH")]
    pub paths: Vec<String>,
}

fn trustees_json(t: &[Trustee]) -> Vec<Value> {
    t.iter()
        .filter(|t| t.object_id != 0)
        .map(|t| json!({"object_id": t.object_id, "rights": t.rights}))
        .collect()
}

fn stat_json(v: &OpenVolume, p: &NwPath) -> Result<Value> {
    let t = v.resolve(p)?;
    let Target::Entry(idx) = t else {
        let (created, modified) = v.root_times();
        return Ok(json!({
            "path": p.to_string(),
            "type": "directory",
            "entry": 0,
            "directory_id": 0,
            "created": time_json(created),
            "modified": time_json(modified),
            "trustees": trustees_json(&v.index().info.trustees),
        }));
    };
    let n = v
        .index()
        .get(idx)
        .ok_or_else(|| anyhow::anyhow!("entry {idx} vanished"))?;
    let mut o = json!({
        "path": v.path_of(idx).to_string(),
        "entry": idx,
        "parent_id": n.parent(),
        "dos_name": n.dos_name(),
        "long_name": n.long_name,
        "long_name_entries": n.long_slots,
        "type": if n.is_dir() { "directory" } else { "file" },
        "attributes": attr_names(n.attributes()),
        "attributes_raw": n.attributes(),
        "created": time_json(n.created()),
        "modified": time_json(n.modified()),
    });
    match &n.item {
        Item::File(f) => {
            let blocks = v.file_blocks(n)?;
            o["size_bytes"] = json!(f.length);
            o["owner"] = json!(f.owner);
            o["modifier"] = json!(f.modifier);
            o["first_block"] = if f.first_block == NO_BLOCK {
                Value::Null
            } else {
                json!(f.first_block)
            };
            o["blocks"] = json!(blocks.len());
            o["deleted"] = time_json(f.deleted);
            o["deleter"] = json!(f.deleter);
            o["trustees"] = json!(trustees_json(&f.trustees));
        }
        Item::Dir(d) => {
            o["directory_id"] = json!(d.id);
            o["owner"] = json!(d.owner);
            o["inherited_rights"] = json!(d.inherited_rights);
            o["trustees"] = json!(trustees_json(&d.trustees));
        }
    }
    Ok(o)
}

fn print(out: &Output, o: &Value) -> Result<()> {
    let s = |k: &str| match &o[k] {
        Value::Null => "-".to_string(),
        Value::String(s) => s.clone(),
        v => v.to_string(),
    };
    out.line(format!("  path: {}", s("path")))?;
    out.line(format!("  type: {}", s("type")))?;
    out.line(format!("  entry: {}", s("entry")))?;
    if o.get("dos_name").is_some() {
        out.line(format!("  parent ID: {}", s("parent_id")))?;
        out.line(format!("  DOS name: {}", s("dos_name")))?;
        out.line(format!(
            "  long name: {} (entries {})",
            s("long_name"),
            o["long_name_entries"]
                .as_array()
                .map(|a| a
                    .iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(", "))
                .filter(|x| !x.is_empty())
                .unwrap_or_else(|| "-".into())
        ))?;
        let raw = o["attributes_raw"].as_u64().unwrap_or(0) as u32;
        out.line(format!(
            "  attributes: {} {:#010x} {}",
            attr_letters(raw),
            raw,
            attr_names(raw).join(" ")
        ))?;
    }
    if o.get("directory_id").is_some() {
        out.line(format!("  directory ID: {}", s("directory_id")))?;
    }
    out.line(format!("  created: {}", s("created")))?;
    out.line(format!("  modified: {}", s("modified")))?;
    if o.get("size_bytes").is_some() {
        out.line(format!("  size: {} bytes", s("size_bytes")))?;
        out.line(format!("  first block: {}", s("first_block")))?;
        out.line(format!("  chain: {} blocks", s("blocks")))?;
        out.line(format!("  deleted: {} (by {})", s("deleted"), s("deleter")))?;
        out.line(format!(
            "  owner: {}  last modifier: {}",
            s("owner"),
            s("modifier")
        ))?;
    }
    if o.get("inherited_rights").is_some() {
        out.line(format!(
            "  owner: {}  inherited rights mask: {:#06x}",
            s("owner"),
            o["inherited_rights"].as_u64().unwrap_or(0)
        ))?;
    }
    let tr: Vec<String> = o["trustees"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            format!(
                "{}:{:#06x}",
                t["object_id"],
                t["rights"].as_u64().unwrap_or(0)
            )
        })
        .collect();
    out.line(format!(
        "  trustees: {}",
        if tr.is_empty() {
            "-".into()
        } else {
            tr.join(" ")
        }
    ))?;
    Ok(())
}

/// Runs `nwvol stat`.
pub fn run(a: StatArgs, out: &Output, session: &Session) -> Result<i32> {
    let paths: Vec<NwPath> = a.paths.iter().map(|p| parse(p)).collect::<Result<_>>()?;
    let sys = open_system(&a.dev, session, false)?;
    let mut failed = false;
    let mut all = Vec::new();
    let mut vol: Option<OpenVolume> = None;
    for p in &paths {
        let v = volume_of(&mut vol, &sys, &p.volume)?;
        match stat_json(v, p) {
            Ok(o) if a.json => all.push(o),
            Ok(o) => {
                out.line(format!("{p}"))?;
                print(out, &o)?;
            }
            Err(e) => {
                item_error(p, &e);
                failed = true;
            }
        }
    }
    // A failing command prints no JSON: the errors are on stderr.
    if a.json && !failed {
        out.json_list(FILES_JSON_VERSION, "stat", "entries", all)?;
    }
    Ok(if failed { EXIT_FAILURE } else { EXIT_OK })
}
