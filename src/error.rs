//! The library's typed errors. Only the CLI turns them into messages and
//! exit codes (and adds the hints that name its flags).
//!
//! Kinds are kept apart: damage on disk ([`Error::Corrupt`] for a
//! structure that does not decode, [`Error::Damaged`] with a
//! [`CorruptKind`] for structures that decode but do not agree), what nwvol
//! does not write ([`Error::PlainNetWare`], [`Error::Unsupported`]), what
//! the calling program asked wrongly ([`Error::Invalid`] and the specific
//! usage variants), and failures of nwvol itself ([`Error::Panicked`],
//! [`Error::Internal`]).

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
    /// Damage found above the layout layer: structures that each decode
    /// but do not agree (a FAT chain, a file's length, a table and its
    /// copy).
    #[error("{0}")]
    Damaged(CorruptKind),
    /// The device holds something nwvol does not understand as NetWare.
    #[error("{device}: {reason}")]
    NotNetWare { device: String, reason: String },
    /// A valid structure that nwvol cannot (yet) handle.
    #[error("{device}: unsupported: {reason}")]
    Unsupported { device: String, reason: String },
    /// A plain NetWare partition (no nwvol extension): nwvol reads it and
    /// never writes it.
    #[error("{device}: plain NetWare partition (no nwvol extension): nwvol only reads it")]
    PlainNetWare {
        /// The partition's device, or the mirror group's name.
        device: String,
    },
    /// A volume whose blocks are of a size nwvol reads but does not write.
    #[error("volume {volume} has {block_size} byte blocks, which nwvol only reads")]
    ReadOnlyBlockSize {
        /// The volume.
        volume: String,
        /// Its block size in bytes.
        block_size: u32,
    },
    /// A volume asked for without a size that is not the last one asked
    /// for (only the last takes the rest).
    #[error("volume {0} has no size")]
    VolumeWithoutSize(String),
    /// A volume that would have more blocks than a FAT can number.
    #[error("volume {volume} would have more than 2^32 - 1 blocks")]
    TooManyBlocks {
        /// The volume.
        volume: String,
        /// True when its block size is being chosen (a larger one helps).
        block_size_chosen: bool,
    },
    /// A destructive command found data on the device.
    #[error("{device}: holds {found}; refusing to overwrite it")]
    WouldOverwrite { device: String, found: String },
    /// A usage error with no variant of its own: the request is not valid
    /// (bad size, too many members, a member that cannot be removed...).
    #[error("{0}")]
    Invalid(String),
    /// A volume, file or device named by the user does not exist.
    #[error("{0}: not found")]
    NotFound(String),
    /// A name NetWare cannot hold (too long, a forbidden character, no
    /// DOS alias left for it).
    #[error("name \"{name}\": {reason}")]
    BadName {
        /// The name as a message shows it (`volume::names::shown`).
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// Text that is not a NetWare path (`VOLUME:/DIR/FILE`).
    #[error("{path:?} is not a NetWare path: {reason}")]
    BadPath {
        /// The text as given.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A partition that the group's mirror table does not list.
    #[error("{device}: partition {partition:#010x} is not in the group's mirror table")]
    NotInMirrorTable {
        /// The partition's device.
        device: String,
        /// Its partition ID.
        partition: u32,
    },
    /// A path names a directory where a file is needed.
    #[error("{0}: is a directory")]
    IsDirectory(String),
    /// A path names something else where a directory is needed.
    #[error("{0}: not a directory")]
    NotDirectory(String),
    /// A path, or a volume (`volume NAME`), that is to be created exists.
    #[error("{0}: already exists")]
    AlreadyExists(String),
    /// A directory to be removed still holds entries.
    #[error("{0}: directory not empty")]
    NotEmpty(String),
    /// Something opened for reading was asked to write.
    #[error("{0} is open read-only")]
    ReadOnly(String),
    /// A volume with segments on devices that were not given.
    #[error("volume {volume} is incomplete: segment(s) {missing:?} missing")]
    VolumeIncomplete {
        /// The volume.
        volume: String,
        /// The numbers of the segments not found.
        missing: Vec<u16>,
    },
    /// A logical range outside a group's or partition's logical partition.
    #[error(
        "{device}: logical range {offset}+{len} is outside the logical partition ({size} bytes)"
    )]
    OutOfRange {
        /// The partition or group.
        device: String,
        /// First byte asked for.
        offset: u64,
        /// Bytes asked for.
        len: u64,
        /// Bytes of the logical partition.
        size: u64,
    },
    /// A device that is not a member of the mirror groups given.
    #[error("{0}: not a member of the groups given")]
    NotAMember(String),
    /// The last in-sync member of a group, which a removal would leave
    /// without a good copy.
    #[error("{0}: the last in-sync member of its group; removing it would leave no good copy")]
    LastInSyncMember(String),
    /// A member that is not in sync where only an in-sync one will do.
    #[error("{device}: {state}; only an in-sync member is a good copy to split off")]
    NotInSync {
        /// The member's device.
        device: String,
        /// Its state ("out of sync", "remirroring", ...).
        state: String,
    },
    /// Two devices that hold the same partition: one disk given twice, or
    /// a copy of one.
    #[error(
        "{first} and {second}: both hold partition ID {partition:#010x}: the same disk given twice, or a copy of one; give each member once"
    )]
    SamePartition {
        /// The device met first.
        first: String,
        /// The device met second.
        second: String,
        /// The partition ID both hold.
        partition: u32,
    },
    /// A volume that keeps no block checksums, asked for them.
    #[error("volume {0} keeps no block checksums")]
    NoChecksums(String),
    /// A mirror group that already has the most members it can hold.
    #[error("{group}: the group already has {members} members, the most a mirror group holds")]
    GroupFull {
        /// The group's name.
        group: String,
        /// The members it lists.
        members: usize,
    },
    /// A device too small to take the group's partition as a new member.
    #[error(
        "{device}: too small for the group: its partition would hold {holds} of logical partition, the group's is {group}"
    )]
    TooSmallForGroup {
        /// The device.
        device: String,
        /// The logical partition it would hold, as a size.
        holds: String,
        /// The group's logical partition, as a size.
        group: String,
        /// True when it is an image file (a length can be given to it).
        image: bool,
    },
    /// No space left.
    #[error("no space left on {0}")]
    NoSpace(String),
    /// A volume could not be mounted (or served) through FUSE.
    #[error("{mountpoint}: cannot mount: {reason}")]
    Mount {
        /// The mount point.
        mountpoint: String,
        /// Why, as the kernel or fusermount3 said.
        reason: String,
    },
    /// A file longer than NetWare's 32-bit lengths hold (4 GiB - 1).
    #[error("{0}")]
    FileTooBig(String),
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
    /// A step of a longer operation failed (a copy, writing a new
    /// partition); `source` is why.
    #[error("{what}: {source}")]
    Failed {
        /// The step, and what its failure leaves behind.
        what: String,
        /// The error that stopped it.
        #[source]
        source: Box<Error>,
    },
    /// Reading the data to be written (a local file, standard input)
    /// failed.
    #[error("{what}: reading: {source}")]
    ReadSource {
        /// What was being read.
        what: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A worker thread of nwvol panicked or stopped early (a bug in nwvol).
    #[error("{0}")]
    Panicked(String),
    /// An invariant of nwvol did not hold (a bug in nwvol, or memory that
    /// could not be had).
    #[error("{0}")]
    Internal(String),
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

/// What is damaged, and where: on-disk damage found above the layout
/// layer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CorruptKind {
    /// A FAT chain that loops, runs into a free block or counts its
    /// sequence numbers wrongly.
    #[error("volume {volume}: damaged FAT chain from block {first}: {problem}")]
    FatChain {
        /// The volume.
        volume: String,
        /// The chain's first block.
        first: u32,
        /// What is wrong with it.
        problem: ChainProblem,
    },
    /// A file whose length needs more blocks than its chain has.
    #[error("{path}: damaged: {length} bytes need {need} blocks but the chain has {have}")]
    FileLength {
        /// The file.
        path: String,
        /// Its length in bytes.
        length: u32,
        /// Blocks the length needs.
        need: u64,
        /// Blocks its chain has.
        have: usize,
    },
    /// A directory table whose copy has another number of blocks.
    #[error(
        "volume {volume}: the directory table has {blocks} blocks but its copy {copy_blocks}; \
         nwvol will not write to it until they agree"
    )]
    DirTableCopy {
        /// The volume.
        volume: String,
        /// Blocks of the directory table.
        blocks: usize,
        /// Blocks of its copy.
        copy_blocks: usize,
    },
    /// A directory entry number past the end of the directory table.
    #[error("volume {volume}: directory entry {entry} is past the table")]
    DirEntryPastTable {
        /// The volume.
        volume: String,
        /// The entry number.
        entry: u32,
    },
    /// A volume block outside every segment present.
    #[error(
        "volume {volume}: block {block} is outside every segment present (total {total} blocks)"
    )]
    BlockOutside {
        /// The volume.
        volume: String,
        /// The block.
        block: u32,
        /// The volume's blocks.
        total: u32,
    },
    /// Members whose mirror tables do not list themselves.
    #[error(
        "{devices}: not listed in its own mirror table (mirror header damaged?); nothing to assemble"
    )]
    NotInOwnTable {
        /// The members, comma-separated.
        devices: String,
    },
    /// Bytes of a member past the end of a truncated image.
    #[error("the image was truncated here")]
    Truncated,
}

/// What is wrong with a FAT chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainProblem {
    /// Longer than the volume has blocks.
    #[error("it loops")]
    Loops,
    /// Back to a block met before.
    #[error("it loops back to block {0}")]
    LoopsBackTo(u32),
    /// Into a block the FAT marks free.
    #[error("it runs into free block {0}")]
    RunsIntoFree(u32),
    /// A block whose sequence number is not its place in the chain.
    #[error("block {block} has sequence number {seq}, expected {expected}")]
    Sequence {
        /// The block.
        block: u32,
        /// Its sequence number.
        seq: u32,
        /// Its place in the chain.
        expected: usize,
    },
}

impl From<CorruptKind> for Error {
    fn from(k: CorruptKind) -> Error {
        Error::Damaged(k)
    }
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
