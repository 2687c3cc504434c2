//! The library's typed errors. Only the CLI turns them into messages and
//! exit codes.

use crate::device::DeviceError;
use crate::layout::LayoutError;

/// Every error the nwvol library returns.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A device could not be opened, read or written.
    #[error(transparent)]
    Device(#[from] DeviceError),
    /// An on-disk structure on a device is damaged or not what was expected.
    #[error("{device}: {what}: {source}")]
    Corrupt {
        device: String,
        what: String,
        #[source]
        source: LayoutError,
    },
    /// The device holds something nwvol does not understand as NetWare.
    #[error("{device}: {reason}")]
    NotNetWare { device: String, reason: String },
    /// A valid structure that nwvol cannot (yet) handle.
    #[error("{device}: unsupported: {reason}")]
    Unsupported { device: String, reason: String },
    /// A destructive command found data on the device.
    #[error("{device}: holds {found}; refusing to overwrite it (use --force to format anyway)")]
    WouldOverwrite { device: String, found: String },
    /// The request is not valid (bad size, bad name, too many members...).
    #[error("{0}")]
    Invalid(String),
    /// A volume, file or device named by the user does not exist.
    #[error("{0}: not found")]
    NotFound(String),
    /// No space left.
    #[error("no space left on {0}")]
    NoSpace(String),
    /// Every member of a mirror group has failed: the data stays in the
    /// cache, nothing more can be written.
    #[error("{group}: no in-sync member left to write to; the unwritten data stays in the cache")]
    NoInSyncMember {
        /// The group's name (its first member's device).
        group: String,
    },
    /// A member's hot-fix pool has no free slot left.
    #[error("{device}: hot-fix pool full ({slots} slots in use); the disk is failing")]
    HotfixPoolFull {
        /// The member's device.
        device: String,
        /// Slots in the pool.
        slots: u32,
    },
    /// No member holds a copy of some blocks that matches its checksum:
    /// the bytes there are lost. Never returned with the bad bytes.
    #[error("{}", bad_blocks_message(.device, *.logical, *.len, .volume, .file))]
    BadBlocks {
        /// The devices whose copies were tried.
        device: String,
        /// First logical byte of the group that failed.
        logical: u64,
        /// Bytes that failed.
        len: u64,
        /// The volume and its block range (first, last), when known.
        volume: Option<(String, u64, u64)>,
        /// The file the blocks belong to, when known.
        file: Option<String>,
    },
}

fn bad_blocks_message(
    device: &str,
    logical: u64,
    len: u64,
    volume: &Option<(String, u64, u64)>,
    file: &Option<String>,
) -> String {
    let place = match volume {
        Some((v, a, b)) if a == b => format!("volume {v} block {a}"),
        Some((v, a, b)) => format!("volume {v} blocks {a}-{b}"),
        None => format!("logical bytes {logical}..{}", logical + len),
    };
    let file = file
        .as_deref()
        .map(|f| format!("{f}: "))
        .unwrap_or_default();
    format!("{file}{place}: no copy matches its checksum ({device}); the data there is lost")
}

/// Result alias for the library.
pub type Result<T> = std::result::Result<T, Error>;
