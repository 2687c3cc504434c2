//! Layer 2: pure encode/decode of every on-disk structure (docs/FORMAT.md).
//! No I/O. Every decoder validates and rejects garbage with a typed error.

/// A sector is 512 bytes everywhere in the format.
pub use crate::units::SECTOR;

/// Why an on-disk structure was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LayoutError {
    /// A structure's bytes are damaged or inconsistent.
    #[error("{structure}: {field}: {reason}")]
    Corrupt {
        /// Which structure ("hot-fix header", "volume table entry 3", ...).
        structure: String,
        /// Which field ("signature", "data sectors", ...).
        field: &'static str,
        /// What is wrong, with the value found.
        reason: String,
    },
    /// A valid structure of a kind or version nwvol does not support.
    #[error("{structure}: unsupported {field}: {reason}")]
    Unsupported {
        /// Which structure.
        structure: String,
        /// Which field.
        field: &'static str,
        /// What was found.
        reason: String,
    },
}

mod bytes;
pub mod checksum;
pub mod dirent;
mod dirslot;
pub mod ext;
pub mod fat;
pub mod hotfix;
pub mod longname;
pub mod marker;
pub mod mbr;
pub mod mirror;
pub mod time;
pub mod voltab;
pub mod wib;

impl LayoutError {
    /// The field the error is about, for callers and tests that match on it.
    pub fn field(&self) -> &'static str {
        match self {
            LayoutError::Corrupt { field, .. } | LayoutError::Unsupported { field, .. } => field,
        }
    }

    /// The structure the error is about.
    pub fn structure(&self) -> &str {
        match self {
            LayoutError::Corrupt { structure, .. } | LayoutError::Unsupported { structure, .. } => {
                structure
            }
        }
    }

    /// The same error said of a more precise structure name, such as one
    /// with an index the decoder could not know ("FAT entry of block 7").
    pub fn in_structure(self, name: impl Into<String>) -> LayoutError {
        match self {
            LayoutError::Corrupt { field, reason, .. } => LayoutError::Corrupt {
                structure: name.into(),
                field,
                reason,
            },
            LayoutError::Unsupported { field, reason, .. } => LayoutError::Unsupported {
                structure: name.into(),
                field,
                reason,
            },
        }
    }
}
