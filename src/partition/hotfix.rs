//! Rewriting a partition's own headers while it is in use: the mirror table
//! (when a member fails) and the hot-fix table (when a unit is redirected
//! to a spare slot of the pool).
//!
//! Each of the four header copies starts with the hot-fix header, the
//! mirror header and the hot-fix table header in its first three sectors,
//! so every update rewrites that first 4 KiB of a copy whole, one copy at a
//! time with a sync after each: a crash leaves at most one copy half
//! written, and `Partition::open` takes another.

use std::io::IoSlice;

use crate::device::AlignedBuf;
use crate::error::{Error, Result};
use crate::layout::hotfix::{
    HOTFIX_COPIES, HotfixTableHeader, REDIRECT_BYTES, Redirect, copy_first_sector, encode_table,
};
use crate::layout::mirror::MirrorHeader;
use crate::lock::Recover;

use super::{Partition, SECTOR};
use crate::layout::hotfix::UNIT_BYTES;

/// I/O alignment for header and pool writes: a page, so that they work on
/// devices opened with O_DIRECT.
const ALIGN: u64 = 4096;

/// A pool slot write that fails is tried on this many slots before the
/// member is given up.
const SLOT_TRIES: usize = 3;

impl Partition {
    pub(crate) fn check_writable(&self) -> Result<()> {
        if self.writable() {
            Ok(())
        } else {
            Err(Error::PlainNetWare {
                device: self.name().to_string(),
            })
        }
    }

    pub(crate) fn aligned_buf(&self, len: usize) -> Result<AlignedBuf> {
        let align = (self.device.alignment() as u64).max(ALIGN) as usize;
        AlignedBuf::new(len, align).map_err(|e| {
            Error::from(crate::device::DeviceError::Io {
                device: self.name().to_string(),
                op: "write",
                offset: 0,
                source: e,
            })
        })
    }

    /// Writes `bytes` at device byte `offset`, reading and rewriting the
    /// surrounding aligned span when `offset` or the length is not aligned
    /// (O_DIRECT devices refuse unaligned writes).
    pub(crate) fn patch_write(&self, offset: u64, bytes: &[u8]) -> Result<()> {
        let (buf, start) = self.patched(offset, bytes)?;
        self.device.write_at(&buf, start)?;
        Ok(())
    }

    /// The aligned sectors around `bytes` at `offset`, with `bytes` in
    /// them (the rest read from the device), and where they start.
    fn patched(&self, offset: u64, bytes: &[u8]) -> Result<(AlignedBuf, u64)> {
        let align = (self.device.alignment() as u64).max(ALIGN);
        let start = offset / align * align;
        let end = (offset + bytes.len() as u64).div_ceil(align) * align;
        let mut buf = self.aligned_buf((end - start) as usize)?;
        if start != offset || end != offset + bytes.len() as u64 {
            self.device.read_at(&mut buf, start)?;
        }
        let at = (offset - start) as usize;
        buf[at..at + bytes.len()].copy_from_slice(bytes);
        Ok((buf, start))
    }

    /// Like `patch_write`, as one durable write ([`Device::write_durable_at`]).
    pub(crate) fn patch_write_durable(&self, offset: u64, bytes: &[u8]) -> Result<()> {
        let (buf, start) = self.patched(offset, bytes)?;
        self.device.write_durable_at(&buf, start)?;
        Ok(())
    }

    /// Writes the first 4 KiB of header copy `copy`: hot-fix header, mirror
    /// header and the table header for `entries`, zeros after them.
    fn write_header_copy(
        &self,
        copy: usize,
        mirror: &MirrorHeader,
        entries: &[Redirect],
    ) -> Result<()> {
        let mut table = HotfixTableHeader::new(&self.pool, copy, entries);
        table.slots = self.pool_slots();
        let mut buf = self.aligned_buf(ALIGN as usize)?;
        buf[..SECTOR as usize].copy_from_slice(&self.hotfix.encode());
        buf[SECTOR as usize..2 * SECTOR as usize].copy_from_slice(&mirror.encode());
        buf[1024..1536].copy_from_slice(&table.encode());
        let at = self.start_byte + copy_first_sector(copy) as u64 * SECTOR;
        self.device.write_vectored_at(&[IoSlice::new(&buf)], at)?;
        Ok(())
    }

    /// Writes the table region of copy `copy` (only the sectors the entries
    /// use: readers read no further).
    fn write_table_region(&self, copy: usize, entries: &[Redirect]) -> Result<()> {
        let sectors = ((entries.len() * REDIRECT_BYTES) as u64)
            .div_ceil(SECTOR)
            .max(1) as u32;
        let region = encode_table(entries, sectors);
        let at = self.start_byte + self.pool.region_first_sector(copy) as u64 * SECTOR;
        self.patch_write(at, &region)
    }

    /// Writes this partition's copy of the mirror table into all four
    /// header copies (the hot-fix header and table unchanged), a sync after
    /// each half: copies 0 and 1, sync, copies 2 and 3, sync. A crash
    /// tears at most one half, and the other holds a whole table (old or
    /// new), which reconciliation picks by its event counter.
    pub fn write_mirror_header(&self, mirror: MirrorHeader) -> Result<()> {
        self.check_writable()?;
        let _guard = self.header_lock.lock().recover();
        let entries = self.redirects();
        for half in [0..HOTFIX_COPIES / 2, HOTFIX_COPIES / 2..HOTFIX_COPIES] {
            for c in half {
                self.write_header_copy(c, &mirror, &entries)?;
            }
            self.device.sync()?;
        }
        *self.mirror.write().recover() = mirror;
        Ok(())
    }

    /// Rewrites all four header copies and hot-fix table regions from the
    /// headers and table in use (what `verify --repair` does about a stale
    /// or damaged copy), a sync after each copy.
    pub fn rewrite_header_copies(&self) -> Result<()> {
        self.check_writable()?;
        let _guard = self.header_lock.lock().recover();
        let entries = self.redirects();
        let mirror = self.mirror();
        for c in 0..HOTFIX_COPIES {
            self.write_table_region(c, &entries)?;
            self.write_header_copy(c, &mirror, &entries)?;
            self.device.sync()?;
        }
        Ok(())
    }

    /// Redirects the 4 KiB unit at logical byte `unit_logical` (a multiple
    /// of 4 KiB) to a free pool slot: writes `data` (the unit's 4096 bytes)
    /// there, then records the redirection in the table of all four copies,
    /// durably. Returns the slot. Fails with [`Error::HotfixPoolFull`] when
    /// no slot is left, or with the device's error when the pool cannot be
    /// written.
    pub fn redirect_unit(&self, unit_logical: u64, data: &[u8]) -> Result<u32> {
        self.check_writable()?;
        if unit_logical & (UNIT_BYTES - 1) != 0 || data.len() as u64 != UNIT_BYTES {
            return Err(Error::Internal(format!(
                "{}: hot-fix redirect of {} bytes at logical byte {unit_logical}: not one 4 KiB unit",
                self.name(),
                data.len()
            )));
        }
        self.check_range(unit_logical, UNIT_BYTES)?;
        let logical_sector = (unit_logical / SECTOR) as u32;
        let mut bad = self.header_lock.lock().recover();
        let mut buf = self.aligned_buf(UNIT_BYTES as usize)?;
        buf.copy_from_slice(data);
        let mut last_err = None;
        let mut chosen = None;
        for _ in 0..SLOT_TRIES {
            let in_use: std::collections::BTreeSet<u32> = {
                let r = self.redirects.read().recover();
                r.values().copied().collect()
            };
            let Some(slot) =
                (0..self.pool_slots()).find(|s| !in_use.contains(s) && !bad.contains(s))
            else {
                return Err(Error::HotfixPoolFull {
                    device: self.name().to_string(),
                    slots: self.pool_slots(),
                });
            };
            match self.device.write_at(&buf, self.slot_device_offset(slot)) {
                Ok(()) => {
                    chosen = Some(slot);
                    break;
                }
                Err(e) => {
                    bad.insert(slot);
                    last_err = Some(e);
                }
            }
        }
        let Some(slot) = chosen else {
            return Err(last_err.map(Error::from).unwrap_or_else(|| {
                Error::Internal(format!("{}: no pool slot could be written", self.name()))
            }));
        };
        // The slot's data must be durable before any table names it.
        self.device.sync()?;
        let mut entries = self.redirects();
        match entries.binary_search_by_key(&logical_sector, |e| e.logical_sector) {
            Ok(i) => entries[i].slot = slot,
            Err(i) => entries.insert(
                i,
                Redirect {
                    logical_sector,
                    slot,
                },
            ),
        }
        let mirror = self.mirror();
        for c in 0..HOTFIX_COPIES {
            self.write_table_region(c, &entries)?;
            self.write_header_copy(c, &mirror, &entries)?;
            self.device.sync()?;
        }
        self.redirects
            .write()
            .recover()
            .insert(logical_sector, slot);
        Ok(slot)
    }
}
