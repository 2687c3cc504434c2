//! The write-intent record of one partition (partition sectors 2-31,
//! FORMAT.md "Write-intent record"): its header and bitmap, read and
//! written whole. Not mirrored: each member has its own.

use crate::error::{Error, Result};
use crate::layout::wib::{WIB_BITMAP_BYTES, WIB_FIRST_SECTOR, WIB_SECTORS, WibHeader};

use super::{Partition, SECTOR};

/// A write-intent record: the header and the bitmap's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WibRecord {
    /// The header.
    pub header: WibHeader,
    /// The bitmap (`WIB_BITMAP_BYTES`), bit `i` at byte `i / 8`, LSB first.
    pub bitmap: Vec<u8>,
}

impl WibRecord {
    /// An empty record for this partition's logical size.
    pub fn empty(logical_bytes: u64) -> WibRecord {
        WibRecord {
            header: WibHeader::for_logical_bytes(logical_bytes),
            bitmap: vec![0u8; WIB_BITMAP_BYTES],
        }
    }

    /// True when bit `i` is set.
    pub fn get(&self, i: u32) -> bool {
        self.bitmap[(i / 8) as usize] & (1 << (i % 8)) != 0
    }

    /// Sets bit `i`; true when it was clear.
    pub fn set(&mut self, i: u32) -> bool {
        let (b, m) = ((i / 8) as usize, 1u8 << (i % 8));
        let was = self.bitmap[b] & m != 0;
        self.bitmap[b] |= m;
        !was
    }

    /// The bits set, ascending.
    pub fn set_bits(&self) -> Vec<u32> {
        (0..self.header.bits).filter(|&i| self.get(i)).collect()
    }

    /// Number of bits set.
    pub fn count(&self) -> u32 {
        self.bitmap.iter().map(|b| b.count_ones()).sum()
    }

    /// Clears every bit.
    pub fn clear(&mut self) {
        self.bitmap.iter_mut().for_each(|b| *b = 0);
    }

    /// Logical byte ranges of the set bits, adjacent bits merged, clamped
    /// to `logical_bytes`.
    pub fn ranges(&self, logical_bytes: u64) -> Vec<(u64, u64)> {
        let c = self.header.chunk_bytes();
        let mut out: Vec<(u64, u64)> = Vec::new();
        for i in self.set_bits() {
            let s = u64::from(i) * c;
            let e = (s + c).min(logical_bytes);
            if s >= e {
                continue;
            }
            match out.last_mut() {
                Some(last) if last.1 == s => last.1 = e,
                _ => out.push((s, e)),
            }
        }
        out
    }
}

impl Partition {
    /// Reads this partition's write-intent record. A missing or damaged
    /// header (or one for another size) is an error naming the device.
    pub fn read_wib(&self) -> Result<WibRecord> {
        let len = ((WIB_FIRST_SECTOR + WIB_SECTORS) as u64 * SECTOR) as usize;
        let mut buf = self.aligned_buf(len)?;
        self.device.read_at(&mut buf, self.start_byte)?;
        let at = (WIB_FIRST_SECTOR as u64 * SECTOR) as usize;
        let corrupt = |e| Error::Corrupt {
            device: self.name().to_string(),
            what: "write-intent record (partition sector 2)".into(),
            source: e,
        };
        let header = WibHeader::decode(&buf[at..at + SECTOR as usize]).map_err(corrupt)?;
        header.validate(self.logical_bytes()).map_err(corrupt)?;
        Ok(WibRecord {
            header,
            bitmap: buf[at + SECTOR as usize..at + SECTOR as usize + WIB_BITMAP_BYTES].to_vec(),
        })
    }

    /// Writes this partition's write-intent record (header with the bits
    /// set counted, and `events`) as one durable write (O_DSYNC: only the
    /// record is written back, not the data streaming to the device); a
    /// failure is not retried.
    pub fn write_wib(&self, rec: &WibRecord, events: u64) -> Result<()> {
        self.check_writable()?;
        let (at, bytes) = self.wib_bytes(rec, events);
        // Not retried: the write and its sync are one call, and a failed
        // sync is a failed member (the kernel may have dropped the pages).
        self.patch_write_durable(at, &bytes)
    }

    /// Writes the record as [`Partition::write_wib`] does, but not as a
    /// durable write: for a record that only clears bits after a sync,
    /// whose loss to a power cut leaves bits set (a longer resync), never
    /// too few. A command's end then costs no durable write of its own.
    pub fn write_wib_lazy(&self, rec: &WibRecord, events: u64) -> Result<()> {
        self.check_writable()?;
        let (at, bytes) = self.wib_bytes(rec, events);
        self.patch_write(at, &bytes)
    }

    /// Where the record goes and its bytes.
    fn wib_bytes(&self, rec: &WibRecord, events: u64) -> (u64, Vec<u8>) {
        let mut h = rec.header;
        h.bits_set = rec.count().min(h.bits);
        h.events = events;
        let mut bytes = Vec::with_capacity(WIB_SECTORS as usize * SECTOR as usize);
        bytes.extend_from_slice(&h.encode());
        bytes.extend_from_slice(&rec.bitmap);
        (self.start_byte + WIB_FIRST_SECTOR as u64 * SECTOR, bytes)
    }
}

impl Partition {
    /// Gives this partition a new identity (for a mirror split): partition
    /// ID `new_id` in the nwvol extension header and in the hot-fix header
    /// of all four copies, with `mirror` as its table; synced. The hot-fix
    /// table is kept. The open `Partition` still shows the old identity;
    /// open it again to see the new one.
    pub fn write_new_identity(
        &self,
        new_id: u32,
        mirror: &crate::layout::mirror::MirrorHeader,
    ) -> Result<()> {
        use crate::layout::hotfix::{HOTFIX_COPIES, HotfixTableHeader, copy_first_sector};
        self.check_writable()?;
        let Some(mut ext) = self.ext else {
            return Ok(());
        };
        ext.partition_id = new_id;
        self.patch_write(self.start_byte + SECTOR, &ext.encode())?;
        let mut hotfix = self.hotfix.clone();
        hotfix.partition_id = new_id;
        let entries = self.redirects();
        for c in 0..HOTFIX_COPIES {
            let mut table = HotfixTableHeader::new(&self.pool, c, &entries);
            table.slots = self.pool_slots();
            let mut b = Vec::with_capacity(1536);
            b.extend_from_slice(&hotfix.encode());
            b.extend_from_slice(&mirror.encode());
            b.extend_from_slice(&table.encode());
            self.patch_write(self.start_byte + copy_first_sector(c) as u64 * SECTOR, &b)?;
            self.device.sync()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_and_ranges() {
        let mut r = WibRecord::empty(10 << 16);
        assert!(r.set(1));
        assert!(!r.set(1));
        r.set(2);
        r.set(9);
        assert_eq!(r.count(), 3);
        assert_eq!(r.set_bits(), vec![1, 2, 9]);
        assert_eq!(
            r.ranges((10 << 16) - 100),
            vec![(1 << 16, 3 << 16), (9 << 16, (10 << 16) - 100)]
        );
        r.clear();
        assert_eq!(r.count(), 0);
    }
}
