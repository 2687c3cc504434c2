//! Directory table entries (FORMAT.md "Directory table"): 128 bytes each,
//! told apart by their first u32 (the parent directory ID or a marker).

use super::LayoutError;
use super::bytes::{be32, corrupt, le16, le32, need, put16, put32, put32_be};
// Defined below both entries and long-name records, which share them.
pub use super::dirslot::{
    DIRENT_BYTES, MAX_DOS_NAME, PARENT_RESERVED_FIRST, PARENT_RESERVED_LAST, valid_dos_name,
};
use super::longname::{LongNameRecord, PARENT_LONG_NAME};
use super::time::DosTime;

/// First u32 of a free entry.
pub const PARENT_FREE: u32 = 0xFFFF_FFFF;
/// First u32 of a grant list.
pub const PARENT_GRANT_LIST: u32 = 0xFFFF_FFFE;
/// First u32 of the volume information entry.
pub const PARENT_VOLUME_INFO: u32 = 0xFFFF_FFFD;
/// Directory ID of the root.
pub const ROOT_ID: u32 = 0;
/// First block of an empty file.
pub const NO_BLOCK: u32 = 0xFFFF_FFFF;

/// Attribute: read-only.
pub const ATTR_READ_ONLY: u32 = 1 << 0;
/// Attribute: hidden.
pub const ATTR_HIDDEN: u32 = 1 << 1;
/// Attribute: system.
pub const ATTR_SYSTEM: u32 = 1 << 2;
/// Attribute: directory (decides file vs directory entry).
pub const ATTR_DIRECTORY: u32 = 1 << 4;
/// Attribute: archive (changed since the last backup).
pub const ATTR_ARCHIVE: u32 = 1 << 5;
/// Attribute: shareable.
pub const ATTR_SHAREABLE: u32 = 1 << 7;
/// Attribute: transactional (TTS).
pub const ATTR_TRANSACTIONAL: u32 = 1 << 12;
/// Attribute: purge on delete.
pub const ATTR_PURGE: u32 = 1 << 16;
/// Attribute: rename inhibit.
pub const ATTR_RENAME_INHIBIT: u32 = 1 << 17;
/// Attribute: delete inhibit.
pub const ATTR_DELETE_INHIBIT: u32 = 1 << 18;
/// Attribute: copy inhibit.
pub const ATTR_COPY_INHIBIT: u32 = 1 << 19;

/// Right: read.
pub const RIGHT_READ: u16 = 1 << 0;
/// Right: write.
pub const RIGHT_WRITE: u16 = 1 << 1;
/// Right: create.
pub const RIGHT_CREATE: u16 = 1 << 3;
/// Right: erase.
pub const RIGHT_ERASE: u16 = 1 << 4;
/// Right: access control.
pub const RIGHT_ACCESS_CONTROL: u16 = 1 << 5;
/// Right: file scan.
pub const RIGHT_FILE_SCAN: u16 = 1 << 6;
/// Right: modify.
pub const RIGHT_MODIFY: u16 = 1 << 7;
/// Right: supervisory.
pub const RIGHT_SUPERVISOR: u16 = 1 << 8;

/// Bytes of one trustee.
pub const TRUSTEE_BYTES: usize = 6;

// Offsets.
const O_PARENT: usize = 0;
const O_ATTRIBUTES: usize = 4;
const O_NAME_LEN: usize = 11;
const O_NAME: usize = 12;
const O_CREATED: usize = 24;
const O_OWNER: usize = 28;
const O_MODIFIED: usize = 40;
const O_GRANT_TRUSTEES: usize = 24;
const O_VI_TRUSTEES: usize = 48;
// File entry.
const F_MODIFIER: usize = 44;
const F_LENGTH: usize = 48;
const F_FIRST_BLOCK: usize = 52;
const F_TRUSTEES: usize = 60;
const F_DELETED: usize = 104;
const F_DELETER: usize = 108;
// Directory entry.
const D_TRUSTEES: usize = 48;
const D_INHERITED: usize = 100;
const D_ID: usize = 120;

/// A trustee: an object and its rights.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Default, Hash, serde::Serialize)]
pub struct Trustee {
    /// Object ID (stored big-endian); 0 = unused.
    pub object_id: u32,
    /// Rights bits (`RIGHT_*`).
    pub rights: u16,
}

fn get_trustees<const N: usize>(b: &[u8], off: usize) -> [Trustee; N] {
    std::array::from_fn(|i| {
        let o = off + i * TRUSTEE_BYTES;
        Trustee {
            object_id: be32(b, o),
            rights: le16(b, o + 4),
        }
    })
}

fn put_trustees(b: &mut [u8], off: usize, t: &[Trustee]) {
    for (i, t) in t.iter().enumerate() {
        let o = off + i * TRUSTEE_BYTES;
        put32_be(b, o, t.object_id);
        put16(b, o + 4, t.rights);
    }
}

/// The volume information entry (always entry 0: the root directory).
#[derive(Clone, Debug, PartialEq, Eq, Default, serde::Serialize)]
pub struct VolumeInfo {
    /// When the volume was created.
    pub created: DosTime,
    /// Owner object ID (byte order not settled; read little-endian, nwvol
    /// writes 0).
    pub owner: u32,
    /// Last modification.
    pub modified: DosTime,
    /// The root directory's trustees.
    pub trustees: [Trustee; 8],
}

/// A file entry.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FileEntry {
    /// Parent directory ID.
    pub parent: u32,
    /// Attributes (`ATTR_*`, without `ATTR_DIRECTORY`).
    pub attributes: u32,
    /// DOS 8.3 name, upper case.
    pub name: String,
    /// Creation time.
    pub created: DosTime,
    /// Owner object ID.
    pub owner: u32,
    /// Last modification time.
    pub modified: DosTime,
    /// Last modifier object ID.
    pub modifier: u32,
    /// Length in bytes.
    pub length: u32,
    /// First block of the file's chain (`NO_BLOCK` when empty).
    pub first_block: u32,
    /// Trustees.
    pub trustees: [Trustee; 6],
    /// Deletion time; non-zero = deleted, salvageable.
    pub deleted: DosTime,
    /// Deleter object ID.
    pub deleter: u32,
}

/// A directory entry.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DirectoryEntry {
    /// Parent directory ID.
    pub parent: u32,
    /// Attributes (`ATTR_*`; `ATTR_DIRECTORY` is always set on disk).
    pub attributes: u32,
    /// DOS 8.3 name, upper case.
    pub name: String,
    /// Creation time.
    pub created: DosTime,
    /// Owner object ID.
    pub owner: u32,
    /// Last modification time.
    pub modified: DosTime,
    /// Trustees.
    pub trustees: [Trustee; 8],
    /// Inherited rights mask.
    pub inherited_rights: u16,
    /// This directory's ID (what its children carry as parent).
    pub id: u32,
}

#[cfg(test)]
impl FileEntry {
    /// An empty file `name` in `parent`: no attributes, times, owners or
    /// trustees (the tests' starting point).
    pub(crate) fn blank(parent: u32, name: &str) -> FileEntry {
        FileEntry {
            parent,
            attributes: 0,
            name: name.into(),
            created: DosTime(0),
            owner: 0,
            modified: DosTime(0),
            modifier: 0,
            length: 0,
            first_block: NO_BLOCK,
            trustees: [Trustee::default(); 6],
            deleted: DosTime(0),
            deleter: 0,
        }
    }
}

#[cfg(test)]
impl DirectoryEntry {
    /// Directory `id` named `name` in `parent`: no times, owner, trustees
    /// or inherited rights (the tests' starting point).
    pub(crate) fn blank(parent: u32, name: &str, id: u32) -> DirectoryEntry {
        DirectoryEntry {
            parent,
            attributes: ATTR_DIRECTORY,
            name: name.into(),
            created: DosTime(0),
            owner: 0,
            modified: DosTime(0),
            trustees: [Trustee::default(); 8],
            inherited_rights: 0,
            id,
        }
    }
}

/// One 128-byte entry of the directory table.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DirEntry {
    /// A free entry.
    Free,
    /// A grant list: 16 more trustees.
    GrantList {
        /// The trustees.
        trustees: [Trustee; 16],
    },
    /// The volume information entry.
    VolumeInfo(VolumeInfo),
    /// A file.
    File(FileEntry),
    /// A directory.
    Directory(DirectoryEntry),
    /// nwvol's long-name record (parent ID `0xFFFFFFFC`): a piece of the
    /// long name of another entry.
    LongName(LongNameRecord),
    /// An nwvol record kind this version does not know (skipped).
    Reserved {
        /// The first u32 (0xFFFFFFF0..=0xFFFFFFFC).
        kind: u32,
        /// The whole entry, kept so that it can be written back unchanged.
        #[serde(skip)]
        raw: Box<[u8; DIRENT_BYTES]>,
    },
}

fn put_name(b: &mut [u8], name: &str) {
    debug_assert!(valid_dos_name(name), "invalid DOS name {name:?}");
    let n = name.len().min(MAX_DOS_NAME);
    b[O_NAME_LEN] = n as u8;
    b[O_NAME..O_NAME + n].copy_from_slice(&name.as_bytes()[..n]);
}

fn get_name(b: &[u8]) -> Result<String, LayoutError> {
    let s = "directory entry";
    let len = usize::from(b[O_NAME_LEN]);
    if !(1..=MAX_DOS_NAME).contains(&len) {
        return Err(corrupt(s, "name length", format!("{len}, expected 1-12")));
    }
    let raw = &b[O_NAME..O_NAME + len];
    let name: String = raw.iter().map(|&c| char::from(c)).collect();
    if !raw.is_ascii() || !valid_dos_name(&name) {
        return Err(corrupt(
            s,
            "name",
            format!("{:?} is not a DOS 8.3 name", String::from_utf8_lossy(raw)),
        ));
    }
    Ok(name)
}

impl DirEntry {
    /// The entry's 128 bytes.
    pub fn encode(&self) -> [u8; DIRENT_BYTES] {
        let mut b = [0u8; DIRENT_BYTES];
        match self {
            DirEntry::Free => put32(&mut b, O_PARENT, PARENT_FREE),
            DirEntry::GrantList { trustees } => {
                put32(&mut b, O_PARENT, PARENT_GRANT_LIST);
                put_trustees(&mut b, O_GRANT_TRUSTEES, trustees);
            }
            DirEntry::VolumeInfo(v) => {
                put32(&mut b, O_PARENT, PARENT_VOLUME_INFO);
                put32(&mut b, O_CREATED, v.created.0);
                put32(&mut b, O_OWNER, v.owner);
                put32(&mut b, O_MODIFIED, v.modified.0);
                put_trustees(&mut b, O_VI_TRUSTEES, &v.trustees);
            }
            DirEntry::File(f) => {
                debug_assert!(
                    f.parent < PARENT_RESERVED_FIRST,
                    "file parent {:#x}",
                    f.parent
                );
                put32(&mut b, O_PARENT, f.parent);
                // The directory bit is what makes an entry a directory.
                put32(&mut b, O_ATTRIBUTES, f.attributes & !ATTR_DIRECTORY);
                put_name(&mut b, &f.name);
                put32(&mut b, O_CREATED, f.created.0);
                put32_be(&mut b, O_OWNER, f.owner);
                put32(&mut b, O_MODIFIED, f.modified.0);
                put32_be(&mut b, F_MODIFIER, f.modifier);
                put32(&mut b, F_LENGTH, f.length);
                put32(&mut b, F_FIRST_BLOCK, f.first_block);
                put_trustees(&mut b, F_TRUSTEES, &f.trustees);
                put32(&mut b, F_DELETED, f.deleted.0);
                put32_be(&mut b, F_DELETER, f.deleter);
            }
            DirEntry::Directory(d) => {
                debug_assert!(
                    d.parent < PARENT_RESERVED_FIRST,
                    "dir parent {:#x}",
                    d.parent
                );
                put32(&mut b, O_PARENT, d.parent);
                put32(&mut b, O_ATTRIBUTES, d.attributes | ATTR_DIRECTORY);
                put_name(&mut b, &d.name);
                put32(&mut b, O_CREATED, d.created.0);
                put32_be(&mut b, O_OWNER, d.owner);
                put32(&mut b, O_MODIFIED, d.modified.0);
                put_trustees(&mut b, D_TRUSTEES, &d.trustees);
                put16(&mut b, D_INHERITED, d.inherited_rights);
                put32(&mut b, D_ID, d.id);
            }
            DirEntry::LongName(r) => b = r.encode(),
            DirEntry::Reserved { kind, raw } => {
                b = **raw;
                put32(&mut b, O_PARENT, *kind);
            }
        }
        b
    }

    /// Decodes one entry (the first 128 bytes of `b`). File and directory
    /// entries need a valid DOS 8.3 name of 1-12 characters; the directory
    /// attribute bit decides which of the two an entry is. Long-name
    /// records are checked by [`LongNameRecord::decode`].
    pub fn decode(b: &[u8]) -> Result<DirEntry, LayoutError> {
        let b = need(b, DIRENT_BYTES, "directory entry")?;
        let parent = le32(b, O_PARENT);
        Ok(match parent {
            PARENT_FREE => DirEntry::Free,
            PARENT_GRANT_LIST => DirEntry::GrantList {
                trustees: get_trustees(b, O_GRANT_TRUSTEES),
            },
            PARENT_VOLUME_INFO => DirEntry::VolumeInfo(VolumeInfo {
                created: DosTime(le32(b, O_CREATED)),
                owner: le32(b, O_OWNER),
                modified: DosTime(le32(b, O_MODIFIED)),
                trustees: get_trustees(b, O_VI_TRUSTEES),
            }),
            PARENT_LONG_NAME => DirEntry::LongName(LongNameRecord::decode(b)?),
            PARENT_RESERVED_FIRST..=PARENT_RESERVED_LAST => DirEntry::Reserved {
                kind: parent,
                raw: Box::new(b.try_into().expect("128 bytes")),
            },
            _ => {
                let attributes = le32(b, O_ATTRIBUTES);
                let name = get_name(b)?;
                if attributes & ATTR_DIRECTORY != 0 {
                    DirEntry::Directory(DirectoryEntry {
                        parent,
                        attributes,
                        name,
                        created: DosTime(le32(b, O_CREATED)),
                        owner: be32(b, O_OWNER),
                        modified: DosTime(le32(b, O_MODIFIED)),
                        trustees: get_trustees(b, D_TRUSTEES),
                        inherited_rights: le16(b, D_INHERITED),
                        id: le32(b, D_ID),
                    })
                } else {
                    DirEntry::File(FileEntry {
                        parent,
                        attributes,
                        name,
                        created: DosTime(le32(b, O_CREATED)),
                        owner: be32(b, O_OWNER),
                        modified: DosTime(le32(b, O_MODIFIED)),
                        modifier: be32(b, F_MODIFIER),
                        length: le32(b, F_LENGTH),
                        first_block: le32(b, F_FIRST_BLOCK),
                        trustees: get_trustees(b, F_TRUSTEES),
                        deleted: DosTime(le32(b, F_DELETED)),
                        deleter: be32(b, F_DELETER),
                    })
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn trustee() -> impl Strategy<Value = Trustee> {
        (any::<u32>(), any::<u16>()).prop_map(|(object_id, rights)| Trustee { object_id, rights })
    }

    fn dos_name() -> impl Strategy<Value = String> {
        let c = "[A-Z0-9!#$%&'()@^_`{}~-]";
        let re = format!("{c}{{1,8}}(\\.{c}{{1,3}})?");
        proptest::string::string_regex(&re).expect("valid regex")
    }

    fn parent() -> impl Strategy<Value = u32> {
        0u32..PARENT_RESERVED_FIRST
    }

    fn file() -> impl Strategy<Value = FileEntry> {
        (
            (
                parent(),
                any::<u32>(),
                dos_name(),
                any::<u32>(),
                any::<u32>(),
                any::<u32>(),
            ),
            (
                any::<u32>(),
                any::<u32>(),
                any::<u32>(),
                proptest::array::uniform6(trustee()),
            ),
            (any::<u32>(), any::<u32>()),
        )
            .prop_map(
                |(
                    (parent, attr, name, c, owner, m),
                    (modifier, length, first_block, trustees),
                    (d, deleter),
                )| {
                    FileEntry {
                        parent,
                        attributes: attr & !ATTR_DIRECTORY,
                        name,
                        created: DosTime(c),
                        owner,
                        modified: DosTime(m),
                        modifier,
                        length,
                        first_block,
                        trustees,
                        deleted: DosTime(d),
                        deleter,
                    }
                },
            )
    }

    fn directory() -> impl Strategy<Value = DirectoryEntry> {
        (
            (
                parent(),
                any::<u32>(),
                dos_name(),
                any::<u32>(),
                any::<u32>(),
                any::<u32>(),
            ),
            (
                proptest::array::uniform8(trustee()),
                any::<u16>(),
                any::<u32>(),
            ),
        )
            .prop_map(
                |((parent, attr, name, c, owner, m), (trustees, inherited_rights, id))| {
                    DirectoryEntry {
                        parent,
                        attributes: attr | ATTR_DIRECTORY,
                        name,
                        created: DosTime(c),
                        owner,
                        modified: DosTime(m),
                        trustees,
                        inherited_rights,
                        id,
                    }
                },
            )
    }

    fn entry() -> impl Strategy<Value = DirEntry> {
        prop_oneof![
            Just(DirEntry::Free),
            proptest::array::uniform16(trustee())
                .prop_map(|trustees| DirEntry::GrantList { trustees }),
            (
                any::<u32>(),
                any::<u32>(),
                any::<u32>(),
                proptest::array::uniform8(trustee())
            )
                .prop_map(|(c, owner, m, trustees)| DirEntry::VolumeInfo(VolumeInfo {
                    created: DosTime(c),
                    owner,
                    modified: DosTime(m),
                    trustees,
                })),
            file().prop_map(DirEntry::File),
            directory().prop_map(DirEntry::Directory),
            (
                1u32..PARENT_RESERVED_FIRST,
                "[^/\\x00-\\x1f\\x7f-\\x9f]{1,30}"
            )
                .prop_filter("not . or ..", |(_, n)| n != "." && n != "..")
                .prop_map(|(entry, n)| DirEntry::LongName(
                    LongNameRecord::split(entry, "LONGNA~1.TXT", &n)
                        .unwrap()
                        .remove(0)
                )),
            (
                PARENT_RESERVED_FIRST..PARENT_LONG_NAME,
                proptest::collection::vec(any::<u8>(), 128)
            )
                .prop_map(|(kind, v)| {
                    let mut raw: [u8; 128] = v.try_into().unwrap();
                    raw[..4].copy_from_slice(&kind.to_le_bytes());
                    DirEntry::Reserved {
                        kind,
                        raw: Box::new(raw),
                    }
                }),
        ]
    }

    proptest! {
        #[test]
        fn round_trip(e in entry()) {
            prop_assert_eq!(DirEntry::decode(&e.encode()).unwrap(), e);
        }

        #[test]
        fn random_bytes_never_panic(v in proptest::collection::vec(any::<u8>(), 0..140)) {
            if let Ok(e) = DirEntry::decode(&v) {
                if let DirEntry::File(f) = &e {
                    prop_assert!(valid_dos_name(&f.name));
                }
                if let DirEntry::Directory(d) = &e {
                    prop_assert!(valid_dos_name(&d.name));
                }
            }
        }

        #[test]
        fn random_names(v in proptest::collection::vec(any::<u8>(), 1..=12)) {
            let mut b = [0u8; 128];
            b[11] = v.len() as u8;
            b[12..12 + v.len()].copy_from_slice(&v);
            match DirEntry::decode(&b) {
                Ok(DirEntry::File(f)) => prop_assert_eq!(f.name.as_bytes(), &v[..]),
                Ok(other) => prop_assert!(false, "{:?}", other),
                Err(e) => prop_assert_eq!(e.field(), "name"),
            }
        }
    }

    fn t(object_id: u32, rights: u16) -> Trustee {
        Trustee { object_id, rights }
    }

    #[test]
    fn golden_file() {
        let mut b = [0u8; 128];
        b[0..4].copy_from_slice(&7u32.to_le_bytes());
        b[4..8].copy_from_slice(&(ATTR_ARCHIVE | ATTR_READ_ONLY).to_le_bytes());
        b[11] = 9;
        b[12..21].copy_from_slice(b"LOGIN.EXE");
        b[24..28].copy_from_slice(&0x5A21_6000u32.to_le_bytes());
        b[28..32].copy_from_slice(&0x0100_0001u32.to_be_bytes());
        b[40..44].copy_from_slice(&0x5A22_6000u32.to_le_bytes());
        b[44..48].copy_from_slice(&0x0200_0002u32.to_be_bytes());
        b[48..52].copy_from_slice(&123_456u32.to_le_bytes());
        b[52..56].copy_from_slice(&42u32.to_le_bytes());
        b[60..64].copy_from_slice(&0x0300_0003u32.to_be_bytes());
        b[64..66].copy_from_slice(&0x01FBu16.to_le_bytes());
        b[90..94].copy_from_slice(&0x0400_0004u32.to_be_bytes()); // trustee 5
        b[94..96].copy_from_slice(&1u16.to_le_bytes());
        b[104..108].copy_from_slice(&0x5A23_0000u32.to_le_bytes());
        b[108..112].copy_from_slice(&0x0500_0005u32.to_be_bytes());
        let mut trustees = [Trustee::default(); 6];
        trustees[0] = t(0x0300_0003, 0x01FB);
        trustees[5] = t(0x0400_0004, 1);
        let f = FileEntry {
            parent: 7,
            attributes: ATTR_ARCHIVE | ATTR_READ_ONLY,
            name: "LOGIN.EXE".into(),
            created: DosTime(0x5A21_6000),
            owner: 0x0100_0001,
            modified: DosTime(0x5A22_6000),
            modifier: 0x0200_0002,
            length: 123_456,
            first_block: 42,
            trustees,
            deleted: DosTime(0x5A23_0000),
            deleter: 0x0500_0005,
        };
        assert_eq!(DirEntry::decode(&b).unwrap(), DirEntry::File(f.clone()));
        assert_eq!(DirEntry::File(f).encode(), b);
    }

    #[test]
    fn golden_directory() {
        let mut b = [0u8; 128];
        b[0..4].copy_from_slice(&0u32.to_le_bytes());
        b[4..8].copy_from_slice(&(ATTR_DIRECTORY | ATTR_HIDDEN).to_le_bytes());
        b[11] = 6;
        b[12..18].copy_from_slice(b"PUBLIC");
        b[24..28].copy_from_slice(&0x5A21_6000u32.to_le_bytes());
        b[28..32].copy_from_slice(&0x0100_0001u32.to_be_bytes());
        b[40..44].copy_from_slice(&0x5A22_6000u32.to_le_bytes());
        b[48..52].copy_from_slice(&0x0300_0003u32.to_be_bytes());
        b[52..54].copy_from_slice(&0x0041u16.to_le_bytes());
        b[90..94].copy_from_slice(&0x0900_0009u32.to_be_bytes()); // trustee 7
        b[94..96].copy_from_slice(&0x0100u16.to_le_bytes());
        b[100..102].copy_from_slice(&0x01FFu16.to_le_bytes());
        b[120..124].copy_from_slice(&17u32.to_le_bytes());
        let mut trustees = [Trustee::default(); 8];
        trustees[0] = t(0x0300_0003, RIGHT_READ | RIGHT_FILE_SCAN);
        trustees[7] = t(0x0900_0009, RIGHT_SUPERVISOR);
        let d = DirectoryEntry {
            parent: ROOT_ID,
            attributes: ATTR_DIRECTORY | ATTR_HIDDEN,
            name: "PUBLIC".into(),
            created: DosTime(0x5A21_6000),
            owner: 0x0100_0001,
            modified: DosTime(0x5A22_6000),
            trustees,
            inherited_rights: 0x01FF,
            id: 17,
        };
        assert_eq!(
            DirEntry::decode(&b).unwrap(),
            DirEntry::Directory(d.clone())
        );
        assert_eq!(DirEntry::Directory(d).encode(), b);
    }

    #[test]
    fn golden_special_entries() {
        let mut b = [0u8; 128];
        b[0..4].copy_from_slice(&0xFFFF_FFFFu32.to_le_bytes());
        assert_eq!(DirEntry::decode(&b).unwrap(), DirEntry::Free);
        assert_eq!(DirEntry::Free.encode(), b);
        b[50] = 9; // ignored in a free entry
        assert_eq!(DirEntry::decode(&b).unwrap(), DirEntry::Free);

        let mut b = [0u8; 128];
        b[0..4].copy_from_slice(&0xFFFF_FFFEu32.to_le_bytes());
        b[24..28].copy_from_slice(&0x0A0B_0C0Du32.to_be_bytes());
        b[28..30].copy_from_slice(&3u16.to_le_bytes());
        b[114..118].copy_from_slice(&0x0E0Fu32.to_be_bytes()); // trustee 15
        b[118..120].copy_from_slice(&0x80u16.to_le_bytes());
        let mut trustees = [Trustee::default(); 16];
        trustees[0] = t(0x0A0B_0C0D, 3);
        trustees[15] = t(0x0E0F, RIGHT_MODIFY);
        let g = DirEntry::GrantList { trustees };
        assert_eq!(DirEntry::decode(&b).unwrap(), g);
        assert_eq!(g.encode(), b);

        let mut b = [0u8; 128];
        b[0..4].copy_from_slice(&0xFFFF_FFFDu32.to_le_bytes());
        b[24..28].copy_from_slice(&0x5A21_6000u32.to_le_bytes());
        b[28..32].copy_from_slice(&0x1234u32.to_le_bytes());
        b[40..44].copy_from_slice(&0x5A22_6000u32.to_le_bytes());
        b[48..52].copy_from_slice(&1u32.to_be_bytes());
        b[52..54].copy_from_slice(&0x1FFu16.to_le_bytes());
        let mut trustees = [Trustee::default(); 8];
        trustees[0] = t(1, 0x1FF);
        let v = DirEntry::VolumeInfo(VolumeInfo {
            created: DosTime(0x5A21_6000),
            owner: 0x1234,
            modified: DosTime(0x5A22_6000),
            trustees,
        });
        assert_eq!(DirEntry::decode(&b).unwrap(), v);
        assert_eq!(v.encode(), b);

        let mut b = [0xAAu8; 128];
        b[0..4].copy_from_slice(&0xFFFF_FFF0u32.to_le_bytes());
        let r = DirEntry::decode(&b).unwrap();
        assert!(matches!(
            &r,
            DirEntry::Reserved {
                kind: 0xFFFF_FFF0,
                ..
            }
        ));
        assert_eq!(r.encode(), b, "kept unchanged");

        let rec = LongNameRecord::split(3, "LONGNA~1.TXT", "Long name.txt")
            .unwrap()
            .remove(0);
        let b = rec.encode();
        assert_eq!(DirEntry::decode(&b).unwrap(), DirEntry::LongName(rec));
        let mut bad = b;
        bad[20] ^= 1;
        assert_eq!(DirEntry::decode(&bad).unwrap_err().field(), "CRC");
    }

    #[test]
    fn name_corruption() {
        let f = FileEntry::blank(0, "A.TXT");
        let good = DirEntry::File(f).encode();
        let with = |edit: &dyn Fn(&mut [u8; 128])| {
            let mut b = good;
            edit(&mut b);
            DirEntry::decode(&b).unwrap_err().field()
        };
        assert_eq!(with(&|b| b[11] = 0), "name length");
        assert_eq!(with(&|b| b[11] = 13), "name length");
        assert_eq!(with(&|b| b[11] = 6), "name", "a NUL inside the name");
        assert_eq!(with(&|b| b[12] = b'a'), "name", "lower case");
        assert_eq!(with(&|b| b[12] = b' '), "name");
        assert_eq!(with(&|b| b[12] = 0xE9), "name", "not ASCII");
        assert_eq!(with(&|b| b[14] = b'*'), "name");
        assert_eq!(
            DirEntry::decode(&good[..127]).unwrap_err().field(),
            "length"
        );
    }

    #[test]
    fn dos_names() {
        for ok in [
            "A",
            "LOGIN.EXE",
            "12345678.123",
            "A.B",
            "$$$.@@@",
            "A~1",
            "{X}.`'^",
        ] {
            assert!(valid_dos_name(ok), "{ok}");
        }
        for bad in [
            "",
            ".",
            "..",
            ".EXE",
            "A.",
            "123456789",
            "A.1234",
            "A.B.C",
            "a",
            "LOGIN.exe",
            "A B",
            "A\"",
            "A*",
            "A+",
            "A,",
            "A/",
            "A:",
            "A;",
            "A<",
            "A=",
            "A>",
            "A?",
            "A[",
            "A\\",
            "A]",
            "A|",
            "A\u{7f}",
            "A\u{1}",
            "É",
            "123456789012",
        ] {
            assert!(!valid_dos_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn directory_bit_decides_the_kind() {
        let d = DirectoryEntry::blank(0, "X", 1);
        let mut b = DirEntry::Directory(d).encode();
        assert!(matches!(
            DirEntry::decode(&b).unwrap(),
            DirEntry::Directory(_)
        ));
        b[4] &= !(ATTR_DIRECTORY as u8);
        assert!(matches!(DirEntry::decode(&b).unwrap(), DirEntry::File(_)));
    }
}
