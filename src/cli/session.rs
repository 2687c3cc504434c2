//! What the commands of one run share: the settings built from the global
//! options, and the mirror groups opened for writing (whose failed members
//! `main` reports at the end, since a write survives a member's failure).

use std::sync::{Arc, Mutex};

use nwvol::Settings;
use nwvol::assembly::Assembly;
use nwvol::mirror::MirrorGroup;
use nwvol::volume::ChecksumIo;

/// An assembly's groups and the checksum layer that places their logical
/// bytes in volumes.
type Opened = (Vec<Arc<MirrorGroup>>, Arc<ChecksumIo>);

/// One run of `nwvol`.
#[derive(Debug, Default)]
pub struct Session {
    /// How devices are opened and the system assembled.
    pub settings: Settings,
    /// The groups opened for writing in this run.
    written: Mutex<Vec<Arc<MirrorGroup>>>,
    /// The groups opened for reading or writing, with the checksum layer
    /// that places their logical bytes in volumes: for the warnings about
    /// bad copies found while reading.
    read: Mutex<Vec<Opened>>,
}

impl Session {
    /// A run with these settings.
    pub fn new(settings: Settings) -> Session {
        Session {
            settings,
            written: Mutex::new(Vec::new()),
            read: Mutex::new(Vec::new()),
        }
    }

    /// Remembers an assembly whose reads may find bad copies.
    pub fn opened(&self, sys: &Assembly) {
        self.read
            .lock()
            .expect("opened groups lock")
            .push((sys.groups.clone(), sys.checksums.clone()));
    }

    /// One line per member whose copy of some blocks failed its checksum
    /// on a read in this run: which blocks, and whether the copy was
    /// rewritten from a good one.
    pub fn bad_copy_warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (groups, csum) in self.read.lock().expect("opened groups lock").iter() {
            for (gi, g) in groups.iter().enumerate() {
                // A copy no member could replace is data loss: the read
                // failed and said so.
                let bad: Vec<_> = g
                    .bad_copies()
                    .into_iter()
                    .filter(|b| b.from.is_some())
                    .collect();
                for (mi, m) in g.members.iter().enumerate() {
                    let mine: Vec<_> = bad.iter().filter(|b| b.member == mi).collect();
                    if mine.is_empty() {
                        continue;
                    }
                    let places: Vec<String> = mine
                        .iter()
                        .map(|b| match csum.locate(gi, b.logical, b.len) {
                            Some((v, a, z)) if a == z => format!("volume {v} block {a}"),
                            Some((v, a, z)) => format!("volume {v} blocks {a}-{z}"),
                            None => format!("logical bytes {}..{}", b.logical, b.logical + b.len),
                        })
                        .collect();
                    let shown = if places.len() > 4 {
                        format!(
                            "{} and {} more ranges",
                            places[..4].join(", "),
                            places.len() - 4
                        )
                    } else {
                        places.join(", ")
                    };
                    let dev = m.partition.name();
                    let healed = mine.iter().all(|b| b.healed);
                    let from: Vec<&str> = mine
                        .iter()
                        .filter_map(|b| b.from)
                        .map(|j| g.members[j].partition.name())
                        .collect::<std::collections::BTreeSet<_>>()
                        .into_iter()
                        .collect();
                    let src = if from.is_empty() {
                        String::new()
                    } else {
                        format!("; read from {}", from.join(", "))
                    };
                    out.push(if healed {
                        format!(
                            "{dev}: {shown}: the copy failed its checksum; rewritten from {}", from.join(", ")
                        )
                    } else {
                        format!(
                            "{dev}: {shown}: the copy failed its checksum{src}; run nwvol verify --repair"
                        )
                    });
                }
            }
        }
        out
    }

    /// Remembers groups opened for writing.
    pub fn wrote(&self, groups: &[Arc<MirrorGroup>]) {
        self.written
            .lock()
            .expect("written groups lock")
            .extend(groups.iter().cloned());
    }

    /// The members given up while this run wrote, one message each.
    pub fn member_failures(&self) -> Vec<String> {
        self.written
            .lock()
            .expect("written groups lock")
            .iter()
            .flat_map(|g| g.failures())
            .collect()
    }
}
