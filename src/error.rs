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
    /// Two devices hold different volume sets with a volume of the same
    /// name, and nothing tells which set the others belong to.
    #[error(
        "{first} and {second} hold different volume sets that both have volume {volume}; name the devices of one set only (leave out {second}, or {first})"
    )]
    SetClash {
        /// One device.
        first: String,
        /// The other.
        second: String,
        /// The volume both sets have.
        volume: String,
    },
    /// Two members of a mirror group were each written while the other
    /// was away: neither is resynced over the other without a choice.
    #[error("split: {first} and {second} were written apart")]
    SplitBrain {
        /// One member's device.
        first: String,
        /// The other's.
        second: String,
    },
}

/// Result alias for the library.
pub type Result<T> = std::result::Result<T, Error>;
