//! Shared by the file commands: opening the devices and a volume for a
//! NetWare path, per-item error reporting, and how entries are shown
//! (NetWare attribute letters, times, JSON).

use std::path::Path;

use anyhow::{Result, bail};
use serde_json::{Value, json};

use nwvol::assembly::Assembly;
use nwvol::layout::dirent::{
    ATTR_ARCHIVE, ATTR_COPY_INHIBIT, ATTR_DELETE_INHIBIT, ATTR_HIDDEN, ATTR_PURGE, ATTR_READ_ONLY,
    ATTR_RENAME_INHIBIT, ATTR_SHAREABLE, ATTR_SYSTEM, ATTR_TRANSACTIONAL,
};
use nwvol::layout::time::DosTime;
use nwvol::volume::index::Node;
use nwvol::volume::{NwPath, OpenMode, OpenVolume};

use super::{DeviceArgs, Session, devices};

/// Version of the JSON shapes of the file commands (docs/JSON.md).
pub const FILES_JSON_VERSION: u32 = 2;

/// Assembles the devices: read-only, or for writing (exclusive locks;
/// the session remembers the groups, to report members that fail).
pub fn open_system(dev: &DeviceArgs, session: &Session, write: bool) -> Result<Assembly> {
    let paths = devices::device_paths(&dev.devices)?;
    let access = if write {
        devices::Access::Write
    } else {
        devices::Access::Read
    };
    let (sys, left_out) = devices::assemble(&paths, access, dev.direct, &session.settings)?;
    if let Some((a, b)) = sys.groups.iter().find_map(|g| g.split_brain()) {
        bail!("{}", super::mirror::split_choices(&a, &b));
    }
    if write {
        session.wrote(&sys.groups);
        // The write lock is held: a read that finds a bad copy rewrites it.
        for g in &sys.groups {
            g.set_heal(true);
        }
        warn_degraded_writes(&sys, &left_out);
    }
    session.opened(&sys);
    Ok(sys)
}

/// Parses `paths`, which must all be on one volume, assembles the devices
/// (for writing or not, as [`open_system`]) and opens that volume. The
/// assembly comes back too: the volume is used while it is held.
pub fn open_one_volume(
    paths: &[String],
    dev: &DeviceArgs,
    session: &Session,
    write: bool,
) -> Result<(Vec<NwPath>, Assembly, OpenVolume)> {
    let paths: Vec<NwPath> = paths.iter().map(|p| parse(p)).collect::<Result<_>>()?;
    let vol = one_volume(&paths)?.to_string();
    let sys = open_system(dev, session, write)?;
    let mode = if write {
        OpenMode::Write
    } else {
        OpenMode::ReadOnly
    };
    let v = OpenVolume::from_assembly(&sys, &vol, mode)?;
    Ok((paths, sys, v))
}

/// The volume `name`, read-only, for a command that walks paths: `open`
/// keeps the last volume opened, and serves again while the paths stay on
/// it.
pub fn volume_of<'a>(
    open: &'a mut Option<OpenVolume>,
    sys: &Assembly,
    name: &str,
) -> Result<&'a OpenVolume> {
    if open.as_ref().is_none_or(|v| v.name() != name) {
        *open = Some(OpenVolume::from_assembly(sys, name, OpenMode::ReadOnly)?);
    }
    Ok(open.as_ref().expect("opened above"))
}

/// One warning per group that writes go to degraded: a member missing or
/// out of sync misses them until `nwvol mirror resume`.
pub fn warn_degraded_writes(sys: &Assembly, left_out: &[String]) {
    for g in &sys.groups {
        let stale = g.absent_or_stale();
        if stale.is_empty() || g.split.is_some() {
            continue;
        }
        let left: Vec<&str> = left_out
            .iter()
            .filter_map(|l| l.split(": ").next())
            .collect();
        let given = if g.missing.is_empty() || left.is_empty() {
            String::new()
        } else {
            format!("; left out: {}", left.join(", "))
        };
        eprintln!(
            "nwvol: warning: group {:08x} is degraded: writes miss {}{given}; once every member is back, run nwvol mirror resume",
            g.group_id,
            stale.join(", ")
        );
    }
}

/// True when the error is a mirror group without an in-sync member left:
/// nothing more can be written, so the command stops there.
pub fn is_no_member(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(
            c.downcast_ref::<nwvol::Error>(),
            Some(nwvol::Error::NoInSyncMember { .. })
        )
    })
}

/// True when the error is blocks no member holds a good copy of.
pub fn is_bad_blocks(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        matches!(
            c.downcast_ref::<nwvol::Error>(),
            Some(nwvol::Error::BadBlocks { .. })
        ) || c
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|i| i.downcast_ref::<nwvol::Error>())
            .is_some_and(|e| matches!(e, nwvol::Error::BadBlocks { .. }))
    })
}

/// Parses a `VOLUME:/PATH` argument.
pub fn parse(arg: &str) -> Result<NwPath> {
    Ok(NwPath::parse(arg)?)
}

/// Refuses a path whose last name NetWare cannot hold, as the one line
/// `SYS:/A*B: '*' cannot be part of a NetWare name`: for a name about to
/// be made (put, mkdir, mv), before anything is written. Names already on
/// disk are not checked: they read whatever they hold.
pub fn check_new(path: &NwPath) -> Result<()> {
    if let Some(name) = path.name()
        && let Err(reason) = nwvol::layout::longname::check_new_name(name)
    {
        bail!("{}: {reason}", path.shown());
    }
    Ok(())
}

/// The path of the directory with ID `dir_id` (the root for 0).
pub fn dir_path(v: &OpenVolume, dir_id: u32) -> NwPath {
    match v.index().dir_index(dir_id) {
        Some(i) => v.path_of(i),
        None => NwPath {
            volume: v.vol.name.clone(),
            components: Vec::new(),
        },
    }
}

/// True when a path argument ends in a separator (`SYS:/DIR/`): like
/// `cp f dir/`, it must name a directory that exists.
pub fn names_directory(arg: &str) -> bool {
    arg.split_once(':')
        .is_some_and(|(_, rest)| !rest.is_empty() && rest.ends_with(['/', '\\']))
}

/// Checks that every path names the same volume and returns it.
pub fn one_volume(paths: &[NwPath]) -> Result<&str> {
    let Some(first) = paths.first() else {
        bail!("no NetWare path given (VOLUME:/DIR/FILE)");
    };
    if let Some(p) = paths.iter().find(|p| p.volume != first.volume) {
        bail!(
            "{p}: every path of one command must be on one volume ({} and {})",
            first.volume,
            p.volume
        );
    }
    Ok(&first.volume)
}

/// Prints a per-item error line `nwvol: <what>: <why>` (the rest of the
/// work goes on; the command exits 1 at the end).
pub fn item_error(what: impl std::fmt::Display, e: &anyhow::Error) {
    let mut msg = super::output::one_line(e);
    if is_bad_blocks(e) {
        msg.push_str("; run nwvol verify to see all damage");
    }
    let what = shown(&what.to_string());
    if msg.starts_with(&what) {
        eprintln!("nwvol: {msg}");
    } else {
        eprintln!("nwvol: {what}: {msg}");
    }
}

/// A path for a message: each name over 64 characters shortened to its
/// first 60 and "…".
pub fn shown(path: &str) -> String {
    path.split('/')
        .map(nwvol::volume::names::shown)
        .collect::<Vec<_>>()
        .join("/")
}

/// NetWare attribute letters in fixed places: `Ro`/`Rw`, then S
/// (shareable), A (archive), H (hidden), Y (system), T (transactional), P
/// (purge), N (rename inhibit), D (delete inhibit), C (copy inhibit); `-`
/// where a bit is clear: `[Rw-A-------]` is a file with only the archive
/// bit.
pub fn attr_letters(a: u32) -> String {
    let bit = |m: u32, c: char| if a & m != 0 { c } else { '-' };
    let mut s = String::from("[");
    s.push_str(if a & ATTR_READ_ONLY != 0 { "Ro" } else { "Rw" });
    for (m, c) in [
        (ATTR_SHAREABLE, 'S'),
        (ATTR_ARCHIVE, 'A'),
        (ATTR_HIDDEN, 'H'),
        (ATTR_SYSTEM, 'Y'),
        (ATTR_TRANSACTIONAL, 'T'),
        (ATTR_PURGE, 'P'),
        (ATTR_RENAME_INHIBIT, 'N'),
        (ATTR_DELETE_INHIBIT, 'D'),
        (ATTR_COPY_INHIBIT, 'C'),
    ] {
        s.push(bit(m, c));
    }
    s.push(']');
    s
}

/// Attribute names for JSON.
pub fn attr_names(a: u32) -> Vec<&'static str> {
    [
        (ATTR_READ_ONLY, "read_only"),
        (ATTR_HIDDEN, "hidden"),
        (ATTR_SYSTEM, "system"),
        (nwvol::layout::dirent::ATTR_DIRECTORY, "directory"),
        (ATTR_ARCHIVE, "archive"),
        (ATTR_SHAREABLE, "shareable"),
        (ATTR_TRANSACTIONAL, "transactional"),
        (ATTR_PURGE, "purge"),
        (ATTR_RENAME_INHIBIT, "rename_inhibit"),
        (ATTR_DELETE_INHIBIT, "delete_inhibit"),
        (ATTR_COPY_INHIBIT, "copy_inhibit"),
    ]
    .into_iter()
    .filter(|(m, _)| a & m != 0)
    .map(|(_, n)| n)
    .collect()
}

/// A time for JSON: "YYYY-MM-DD HH:MM:SS" (UTC), null when not set.
pub fn time_json(t: DosTime) -> Value {
    if t.0 == 0 {
        Value::Null
    } else {
        Value::String(t.to_string())
    }
}

/// A deleted file's deletion time.
pub fn deleted_at(n: &Node) -> DosTime {
    match &n.item {
        nwvol::volume::index::Item::File(f) => f.deleted,
        nwvol::volume::index::Item::Dir(_) => DosTime(0),
    }
}

/// One entry as JSON (the `ls --json` entry shape).
pub fn entry_json(v: &OpenVolume, n: &Node) -> Value {
    json!({
        "path": v.path_of(n.index).to_string(),
        "name": n.name(),
        "dos_name": n.dos_name(),
        "long_name": n.long_name,
        "type": if n.is_dir() { "directory" } else { "file" },
        "size_bytes": n.length(),
        "modified": time_json(n.modified()),
        "created": time_json(n.created()),
        "deleted": time_json(deleted_at(n)),
        "attributes": attr_names(n.attributes()),
        "entry": n.index,
    })
}

/// The file name of a local path (for `put` into a directory).
pub fn base_name(p: &Path) -> Result<String> {
    match p.file_name().and_then(|s| s.to_str()) {
        Some(s) => Ok(s.to_string()),
        None => bail!("{}: has no usable file name (not UTF-8?)", p.display()),
    }
}

/// Seconds since 1970 of a local file's modification time.
pub fn unix_mtime(m: &std::fs::Metadata) -> i64 {
    use std::os::unix::fs::MetadataExt;
    m.mtime()
}
