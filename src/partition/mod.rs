//! Layer 3: one NetWare partition on one device: its headers, its hot-fix
//! redirection and the map from a logical sector to a physical offset.

pub mod create;
pub mod hotfix;
pub mod plan;
pub mod probe;
pub mod wib;

pub use crate::device::slice_range;
use std::collections::{BTreeMap, BTreeSet};
use std::io::IoSlice;
use std::sync::{Arc, Mutex, RwLock};

use crate::device::Device;
use crate::error::{Error, Result};
use crate::layout::LayoutError;
use crate::layout::ext::ExtHeader;
use crate::layout::hotfix::{
    HOTFIX_COPIES, HOTFIX_COPY_SECTORS, HOTFIX_FIRST_SECTOR, HotfixHeader, HotfixTableHeader,
    PoolGeometry, Redirect, UNIT_BYTES, UNIT_SECTORS,
};
use crate::layout::marker::PartitionMarker;
use crate::layout::mbr::{Mbr, PART_TYPE_NETWARE286};
use crate::layout::mirror::MirrorHeader;
use crate::lock::Recover;

/// The sector size (`units::SECTOR`) as u64, for the byte offsets this
/// layer computes.
pub(crate) const SECTOR: u64 = crate::units::SECTOR as u64;

/// How one of the four hot-fix/mirror header copies read back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CopyStatus {
    /// Valid and equal to the copy in use.
    Good,
    /// Valid but different from the copy in use (stale).
    Stale,
    /// Did not decode; the reason.
    Damaged(String),
}

/// A contiguous piece of a logical range on one member's device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extent {
    /// Logical byte where the piece starts.
    pub logical: u64,
    /// Device byte where it is stored.
    pub device_offset: u64,
    /// Length in bytes.
    pub len: u64,
}

/// One NetWare partition, opened and validated.
#[derive(Debug)]
pub struct Partition {
    /// The device holding it.
    pub device: Arc<dyn Device>,
    /// The MBR (None for a bare partition device without MBR).
    pub mbr: Option<Mbr>,
    /// First device byte of the partition.
    pub start_byte: u64,
    /// Sectors in the partition.
    pub sectors: u64,
    /// The hot-fix header in use.
    pub hotfix: HotfixHeader,
    /// This member's copy of the mirror table (changes when a member
    /// fails; see [`Partition::mirror`]).
    mirror: RwLock<MirrorHeader>,
    /// nwvol's extension header; None on a plain NetWare partition.
    pub ext: Option<ExtHeader>,
    /// Where the pool's table regions and slots are.
    pub pool: PoolGeometry,
    /// The hot-fix table header in use when opened (None on a plain NetWare
    /// partition); its slot count is the pool's capacity.
    pub table: Option<HotfixTableHeader>,
    /// Status of the four header copies when opened.
    pub copies: Vec<CopyStatus>,
    /// Problems that did not stop the open (marker, extension, hot-fix
    /// table); damaged or stale header copies are in `copies`.
    pub warnings: Vec<String>,
    /// Redirected units: logical sector of the unit -> pool slot.
    redirects: RwLock<BTreeMap<u32, u32>>,
    /// Serialises rewrites of the header copies (hot-fix and mirror tables
    /// share each copy's first 4 KiB) and remembers pool slots that failed.
    header_lock: Mutex<BTreeSet<u32>>,
}

fn corrupt(dev: &dyn Device, what: impl Into<String>, source: LayoutError) -> Error {
    Error::Corrupt {
        device: dev.name().to_string(),
        what: what.into(),
        source,
    }
}

fn sector(buf: &[u8], i: usize) -> &[u8; SECTOR as usize] {
    buf[i * SECTOR as usize..(i + 1) * SECTOR as usize]
        .try_into()
        .expect("sector slice is 512 bytes")
}

/// One decoded copy of the hot-fix/mirror headers (with its hot-fix table
/// header on an nwvol partition).
struct HeaderCopy {
    hotfix: HotfixHeader,
    mirror: MirrorHeader,
    table: Option<HotfixTableHeader>,
    /// The bytes that must agree between copies, for the vote.
    raw: Vec<u8>,
}

/// Each of the four copies decoded, or the reason it did not decode.
type DecodedCopies = Vec<std::result::Result<HeaderCopy, String>>;

/// The hot-fix redirections read from the table, and the table header used.
type HotfixTable = (BTreeMap<u32, u32>, Option<HotfixTableHeader>);

/// Finds the NetWare partition from sector 0: the MBR entry, or the device
/// itself when it starts with the marker. Returns (MBR, first sector,
/// sector count).
fn locate_partition(
    dev: &dyn Device,
    s0: &[u8; SECTOR as usize],
    dev_sectors: u64,
) -> Result<(Option<Mbr>, u64, u64)> {
    let name = dev.name().to_string();
    // A device that is itself the partition (e.g. /dev/sdb1) starts
    // with the marker instead of an MBR.
    if let Ok(m) = PartitionMarker::decode(s0) {
        return Ok((None, 0u64, (m.sectors as u64).min(dev_sectors)));
    }
    let mbr = Mbr::decode(s0).map_err(|e| {
        if s0.iter().all(|&b| b == 0) {
            Error::NotNetWare {
                device: name.clone(),
                reason: "no partition table (sector 0 is all zeros); not a NetWare disk, or never formatted".into(),
            }
        } else {
            corrupt(dev, "MBR (sector 0)", e)
        }
    })?;
    let Some((idx, entry)) = mbr.netware() else {
        return Err(Error::NotNetWare {
            device: name,
            reason: "the MBR has no NetWare partition (type 0x65)".into(),
        });
    };
    if entry.kind == PART_TYPE_NETWARE286 {
        return Err(Error::Unsupported {
            device: name,
            reason: format!(
                "MBR entry {} is a NetWare 286 partition (type 0x64); only NetWare 386 (0x65) is read",
                idx + 1
            ),
        });
    }
    crate::layout::mbr::validate_entry(entry, dev_sectors)
        .map_err(|e| corrupt(dev, format!("MBR partition entry {}", idx + 1), e))?;
    let (start, count) = (entry.start_lba as u64, entry.sectors as u64);
    Ok((Some(mbr), start, count))
}

/// Reads the partition's first sectors (marker, extension, write-intent,
/// the hot-fix copies), after checking the partition holds them; warns
/// when the marker behind an MBR is damaged.
fn read_head(
    dev: &dyn Device,
    has_mbr: bool,
    start_byte: u64,
    sectors: u64,
    warnings: &mut Vec<String>,
) -> Result<Vec<u8>> {
    let min_sectors = (HOTFIX_FIRST_SECTOR + HOTFIX_COPY_SECTORS * HOTFIX_COPIES as u32) as u64;
    if sectors < min_sectors {
        return Err(Error::NotNetWare {
            device: dev.name().to_string(),
            reason: format!(
                "the NetWare partition has only {sectors} sectors, too few for its headers"
            ),
        });
    }
    // Sectors 0..160: marker, extension, write-intent, hot-fix copies.
    let mut head = vec![0u8; min_sectors as usize * SECTOR as usize];
    dev.read_at(&mut head, start_byte)?;
    if has_mbr && let Err(e) = PartitionMarker::decode(sector(&head, 0)) {
        warnings.push(format!(
            "partition marker damaged ({e}); the headers are read anyway"
        ));
    }
    Ok(head)
}

/// The extension header against the headers in use: both or neither
/// carry nwvol's extension (a warning otherwise), and the partition IDs
/// agree (an error otherwise).
fn check_ext_agrees(
    dev: &dyn Device,
    ext: Option<&ExtHeader>,
    hotfix: &HotfixHeader,
    mirror: &MirrorHeader,
    warnings: &mut Vec<String>,
) -> Result<()> {
    if ext.is_some() != mirror.ext.is_some() {
        warnings.push(
            "nwvol extension present in only one of the extension header and the mirror header"
                .into(),
        );
    }
    if let Some(x) = ext
        && x.partition_id != hotfix.partition_id
    {
        return Err(corrupt(
            dev,
            "nwvol extension header",
            LayoutError::Corrupt {
                structure: "nwvol extension header".into(),
                field: "partition ID",
                reason: format!(
                    "{:#010x} differs from the hot-fix header's {:#010x}",
                    x.partition_id, hotfix.partition_id
                ),
            },
        ));
    }
    Ok(())
}

/// Decodes header copy `c`, whose hot-fix header is at sector `base` of
/// `head`, and checks each structure against the others as it is read: the
/// mirror table's checkpoints inside the logical partition, the hot-fix
/// table header where the pool's geometry puts copy `c`'s region. A copy
/// that fails counts as damaged, as one that does not decode.
fn decode_copy(
    head: &[u8],
    c: usize,
    base: usize,
    sectors: u64,
    has_ext: bool,
) -> std::result::Result<HeaderCopy, LayoutError> {
    let hotfix = HotfixHeader::decode(sector(head, base))?;
    hotfix.validate(sectors)?;
    let mirror = MirrorHeader::decode(sector(head, base + 1))?;
    mirror.validate(hotfix.data_sectors)?;
    let table = if has_ext {
        let t = HotfixTableHeader::decode(sector(head, base + 2))?;
        t.validate(&PoolGeometry::for_redir_sectors(hotfix.redir_sectors), c)?;
        Some(t)
    } else {
        None
    };
    // What must agree between copies: both headers, and the
    // table header but for where its own region is.
    let mut raw = head[base * SECTOR as usize..(base + 2) * SECTOR as usize].to_vec();
    if let Some(t) = &table {
        raw.extend_from_slice(
            &[
                t.unit_sectors,
                t.slots,
                t.used,
                t.region_sectors,
                t.entries_crc,
            ]
            .map(u32::to_le_bytes)
            .concat(),
        );
    }
    Ok(HeaderCopy {
        hotfix,
        mirror,
        table,
        raw,
    })
}

/// Decodes every copy; keeps the reason for each that fails.
fn decode_copies(head: &[u8], sectors: u64, has_ext: bool) -> DecodedCopies {
    (0..HOTFIX_COPIES)
        .map(|c| {
            let base = (HOTFIX_FIRST_SECTOR + c as u32 * HOTFIX_COPY_SECTORS) as usize;
            decode_copy(head, c, base, sectors, has_ext).map_err(|e| e.to_string())
        })
        .collect()
}

/// The copy in use: among the valid copies that carry the extension
/// header's partition ID, the one with the highest event counter (the
/// newest mirror table); on a tie the one most other copies agree with
/// (the hot-fix header has no checksum, so one damaged byte must be
/// outvoted), then the first. None when no copy is valid.
fn pick_copy(decoded: &DecodedCopies, ext: Option<&ExtHeader>) -> Option<usize> {
    let events = |c: &HeaderCopy| c.mirror.ext.as_ref().map(|x| x.events).unwrap_or(0);
    let agree = |c: &HeaderCopy| {
        decoded
            .iter()
            .filter(|r| r.as_ref().is_ok_and(|o| o.raw == c.raw))
            .count()
    };
    let valid: Vec<(usize, &HeaderCopy)> = decoded
        .iter()
        .enumerate()
        .filter_map(|(i, r)| r.as_ref().ok().map(|c| (i, c)))
        .collect();
    let matching: Vec<(usize, &HeaderCopy)> = valid
        .iter()
        .copied()
        .filter(|(_, c)| ext.is_none_or(|x| x.partition_id == c.hotfix.partition_id))
        .collect();
    let candidates = if matching.is_empty() { valid } else { matching };
    candidates
        .into_iter()
        .fold(None::<(usize, &HeaderCopy)>, |acc, (i, c)| match acc {
            Some((_, b)) if (events(b), agree(b)) >= (events(c), agree(c)) => acc,
            _ => Some((i, c)),
        })
        .map(|(i, _)| i)
}

/// Why no copy could be used, for the error.
fn no_valid_copy_reason(head: &[u8], decoded: &DecodedCopies) -> String {
    let reasons: Vec<String> = decoded
        .iter()
        .enumerate()
        .map(|(i, r)| {
            format!(
                "copy {i}: {}",
                r.as_ref().err().cloned().unwrap_or_default()
            )
        })
        .collect();
    let first = decoded.first().and_then(|r| r.as_ref().err());
    if head.iter().all(|&b| b == 0) {
        "hot-fix/mirror headers are all zeros".to_string()
    } else if decoded.iter().all(|r| r.as_ref().err() == first) {
        format!(
            "no valid hot-fix/mirror header copy (all 4: {})",
            first.cloned().unwrap_or_default()
        )
    } else {
        format!(
            "no valid hot-fix/mirror header copy ({})",
            reasons.join("; ")
        )
    }
}

/// The status of each copy against the one in use.
fn copy_statuses(decoded: &DecodedCopies, best_idx: usize) -> Vec<CopyStatus> {
    let best_raw = &decoded[best_idx]
        .as_ref()
        .expect("the copy in use is valid")
        .raw;
    decoded
        .iter()
        .enumerate()
        .map(|(i, r)| match r {
            Err(e) => CopyStatus::Damaged(e.clone()),
            Ok(c) if i == best_idx || &c.raw == best_raw => CopyStatus::Good,
            Ok(_) => CopyStatus::Stale,
        })
        .collect()
}

/// Reads the hot-fix table of the copy in use; another copy's when it is
/// damaged.
fn read_hotfix_table(
    dev: &dyn Device,
    decoded: &DecodedCopies,
    best_idx: usize,
    start_byte: u64,
    sectors: u64,
    data_sectors: u32,
    warnings: &mut Vec<String>,
) -> Result<HotfixTable> {
    let mut redirects = BTreeMap::new();
    let mut order: Vec<usize> = vec![best_idx];
    order.extend((0..HOTFIX_COPIES).filter(|&i| i != best_idx));
    let mut last_err = None;
    for c in order {
        let Ok(copy) = &decoded[c] else { continue };
        let Some(hdr) = &copy.table else { continue };
        // Only the entries in use are read: a large pool's region is
        // megabytes long, and an open must stay fast.
        let used_bytes = (hdr.used as u64 * 8).div_ceil(SECTOR) * SECTOR;
        let region_bytes = used_bytes.min(hdr.region_sectors as u64 * SECTOR);
        let region_start = start_byte + hdr.region_first_sector as u64 * SECTOR;
        if hdr.region_first_sector as u64 + hdr.region_sectors as u64 > sectors {
            last_err = Some(LayoutError::Corrupt {
                structure: format!("hot-fix table header copy {c}"),
                field: "table region",
                reason: "runs past the end of the partition".into(),
            });
            continue;
        }
        let mut region = vec![0u8; region_bytes as usize];
        dev.read_at(&mut region, region_start)?;
        match crate::layout::hotfix::decode_table(&region, hdr, data_sectors) {
            Ok(entries) => {
                if c != best_idx {
                    warnings.push(format!(
                        "hot-fix table copy {best_idx} is damaged; copy {c} is used"
                    ));
                }
                for Redirect {
                    logical_sector,
                    slot,
                } in entries
                {
                    redirects.insert(logical_sector, slot);
                }
                return Ok((redirects, Some(hdr.clone())));
            }
            Err(e) => last_err = Some(e),
        }
    }
    if let Some(e) = last_err {
        return Err(corrupt(dev, "hot-fix table (every copy)", e));
    }
    Ok((redirects, None))
}

impl Partition {
    /// Opens the NetWare partition on `device`: MBR, marker, extension,
    /// the four header copies (reconciled) and the hot-fix table.
    pub fn open(device: Arc<dyn Device>) -> Result<Partition> {
        let dev = device.as_ref();
        let name = dev.name().to_string();
        let dev_sectors = dev.size() / SECTOR;
        if dev_sectors < 1 {
            let reason = match dev.bytes() {
                0 => "empty device (0 bytes)".to_string(),
                b => {
                    format!("too small ({b} bytes; at least {SECTOR} needed for a partition table)")
                }
            };
            return Err(Error::NotNetWare {
                device: name,
                reason,
            });
        }
        let mut s0 = [0u8; SECTOR as usize];
        dev.read_at(&mut s0, 0)?;
        let mut warnings = Vec::new();
        let (mbr, start_sector, sectors) = locate_partition(dev, &s0, dev_sectors)?;
        let start_byte = start_sector * SECTOR;
        let head = read_head(dev, mbr.is_some(), start_byte, sectors, &mut warnings)?;
        let ext = ExtHeader::decode_opt(sector(&head, 1))
            .map_err(|e| corrupt(dev, "nwvol extension header (partition sector 1)", e))?;

        let decoded = decode_copies(&head, sectors, ext.is_some());
        let Some(best_idx) = pick_copy(&decoded, ext.as_ref()) else {
            return Err(Error::NotNetWare {
                device: name,
                reason: no_valid_copy_reason(&head, &decoded),
            });
        };
        let copies = copy_statuses(&decoded, best_idx);
        let best = decoded[best_idx]
            .as_ref()
            .expect("the copy in use is valid");
        let hotfix = best.hotfix.clone();
        let mirror = best.mirror.clone();
        check_ext_agrees(dev, ext.as_ref(), &hotfix, &mirror, &mut warnings)?;
        let pool = PoolGeometry::for_redir_sectors(hotfix.redir_sectors);
        let (redirects, table) = if ext.is_some() {
            read_hotfix_table(
                dev,
                &decoded,
                best_idx,
                start_byte,
                sectors,
                hotfix.data_sectors,
                &mut warnings,
            )?
        } else {
            warnings.push("plain NetWare partition (no nwvol extension): read-only, hot-fix redirections unknown".into());
            (BTreeMap::new(), None)
        };
        Ok(Partition {
            device,
            mbr,
            start_byte,
            sectors,
            hotfix,
            mirror: RwLock::new(mirror),
            ext,
            pool,
            table,
            copies,
            warnings,
            redirects: RwLock::new(redirects),
            header_lock: Mutex::new(BTreeSet::new()),
        })
    }

    /// The device's name.
    pub fn name(&self) -> &str {
        self.device.name()
    }

    /// This partition's ID (its identity in a mirror group).
    pub fn id(&self) -> u32 {
        self.hotfix.partition_id
    }

    /// True when nwvol may write to it (it carries nwvol's extension).
    pub fn writable(&self) -> bool {
        self.ext.is_some()
    }

    /// Size of the logical partition in bytes.
    pub fn logical_bytes(&self) -> u64 {
        self.hotfix.data_sectors as u64 * SECTOR
    }

    /// Device byte of logical byte 0.
    pub fn logical_start_byte(&self) -> u64 {
        self.start_byte + (HOTFIX_FIRST_SECTOR as u64 + self.hotfix.redir_sectors as u64) * SECTOR
    }

    /// Number of redirected units.
    pub fn redirected_units(&self) -> usize {
        self.redirects.read().recover().len()
    }

    /// The redirected units: (logical sector, pool slot), sorted.
    pub fn redirects(&self) -> Vec<Redirect> {
        self.redirects
            .read()
            .recover()
            .iter()
            .map(|(&logical_sector, &slot)| Redirect {
                logical_sector,
                slot,
            })
            .collect()
    }

    /// Usable pool slots (bounded by the pool and by the table).
    pub fn pool_slots(&self) -> u32 {
        self.table
            .as_ref()
            .map(|t| t.slots)
            .unwrap_or(self.pool.slots)
    }

    /// Device byte of a pool slot.
    pub fn slot_device_offset(&self, slot: u32) -> u64 {
        self.start_byte + self.pool.slot_first_sector(slot) as u64 * SECTOR
    }

    /// Splits a logical range into device extents, at redirected units.
    pub fn map(&self, logical: u64, len: u64) -> Vec<Extent> {
        let base = self.logical_start_byte();
        let redirects = self.redirects.read().recover();
        let mut out: Vec<Extent> = Vec::new();
        let end = logical + len;
        let mut pos = logical;
        // Only units in the range can be redirected: walk the table's range.
        let first_unit = (logical / UNIT_BYTES * UNIT_SECTORS as u64) as u32;
        let mut redirected = redirects
            .range(first_unit..)
            .map(|(&l, &s)| (l as u64 * SECTOR, s))
            .take_while(|&(l, _)| l < end)
            .peekable();
        while pos < end {
            match redirected.peek().copied() {
                Some((ustart, slot)) if ustart <= pos => {
                    let in_unit = pos - ustart;
                    let n = (UNIT_BYTES - in_unit).min(end - pos);
                    out.push(Extent {
                        logical: pos,
                        device_offset: self.slot_device_offset(slot) + in_unit,
                        len: n,
                    });
                    pos += n;
                    redirected.next();
                }
                next => {
                    let stop = next.map(|(u, _)| u).unwrap_or(end).min(end);
                    let n = stop - pos;
                    match out.last_mut() {
                        Some(last) if last.device_offset + last.len == base + pos => last.len += n,
                        _ => out.push(Extent {
                            logical: pos,
                            device_offset: base + pos,
                            len: n,
                        }),
                    }
                    pos = stop;
                }
            }
        }
        out
    }

    fn check_range(&self, logical: u64, len: u64) -> Result<()> {
        if logical
            .checked_add(len)
            .is_none_or(|e| e > self.logical_bytes())
        {
            return Err(Error::OutOfRange {
                device: self.name().to_string(),
                offset: logical,
                len,
                size: self.logical_bytes(),
            });
        }
        Ok(())
    }

    /// Reads logical bytes (following hot-fix redirections).
    pub fn read_logical(&self, buf: &mut [u8], logical: u64) -> Result<()> {
        self.check_range(logical, buf.len() as u64)?;
        for e in self.map(logical, buf.len() as u64) {
            let off = (e.logical - logical) as usize;
            self.device
                .read_at(&mut buf[off..off + e.len as usize], e.device_offset)?;
        }
        Ok(())
    }

    /// Tells the device that logical bytes `[logical, logical + len)` were
    /// read by a scan and will not be read again soon (see
    /// [`Device::done_reading`]).
    pub fn done_reading_logical(&self, logical: u64, len: u64) {
        if self.check_range(logical, len).is_err() {
            return;
        }
        for e in self.map(logical, len) {
            self.device.done_reading(e.device_offset, e.len);
        }
    }

    /// Tells the device that logical bytes `[logical, logical + len)` will
    /// be read soon (see [`Device::will_read`]).
    pub fn will_read_logical(&self, logical: u64, len: u64) {
        if self.check_range(logical, len).is_err() {
            return;
        }
        for e in self.map(logical, len) {
            self.device.will_read(e.device_offset, e.len);
        }
    }

    /// Writes logical bytes given as slices, one vectored write per extent.
    pub fn write_logical(&self, bufs: &[IoSlice<'_>], logical: u64) -> Result<()> {
        let total: u64 = bufs.iter().map(|b| b.len() as u64).sum();
        self.check_range(logical, total)?;
        let extents = self.map(logical, total);
        if extents.len() == 1 {
            self.device
                .write_vectored_at(bufs, extents[0].device_offset)?;
            return Ok(());
        }
        for e in extents {
            let pieces = slice_range(bufs, e.logical - logical, e.len);
            self.device.write_vectored_at(&pieces, e.device_offset)?;
        }
        Ok(())
    }

    /// Makes a logical range read back as zeros.
    pub fn zero_logical(&self, logical: u64, len: u64) -> Result<()> {
        self.check_range(logical, len)?;
        for e in self.map(logical, len) {
            self.device.zero_range(e.device_offset, e.len)?;
        }
        Ok(())
    }

    /// This member's current copy of the mirror table.
    pub fn mirror(&self) -> MirrorHeader {
        self.mirror.read().recover().clone()
    }
}
