//! What the commands of one run share: the settings built from the global
//! options, and the mirror groups opened for writing (whose failed members
//! `main` reports at the end, since a write survives a member's failure).

use std::sync::{Arc, Mutex};

use nwvol::Settings;
use nwvol::mirror::MirrorGroup;

/// One run of `nwvol`.
#[derive(Debug, Default)]
pub struct Session {
    /// How devices are opened and the system assembled.
    pub settings: Settings,
    /// The groups opened for writing in this run.
    written: Mutex<Vec<Arc<MirrorGroup>>>,
}

impl Session {
    /// A run with these settings.
    pub fn new(settings: Settings) -> Session {
        Session {
            settings,
            written: Mutex::new(Vec::new()),
        }
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
