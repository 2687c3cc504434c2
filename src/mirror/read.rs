//! Reads of the logical partition: spread over the in-sync members, with
//! fallback to another member and read repair of the one that failed.

use std::io::IoSlice;
use std::sync::atomic::Ordering;

use crate::error::{Error, Result};
use crate::layout::hotfix::UNIT_BYTES;
use crate::lock::Recover;

use super::MirrorGroup;
use super::member::bump;

/// Reads are spread over members in stretches of this many bytes, so that
/// a sequential read alternates between members yet each member still sees
/// long sequential stretches.
pub const READ_STRETCH: u64 = 1 << 20;

impl MirrorGroup {
    /// The member a read at `logical` goes to first: (offset / 1 MiB)
    /// modulo the in-sync members.
    pub fn read_member(&self, logical: u64) -> Option<usize> {
        let ins = self.in_sync_members();
        if ins.is_empty() {
            return None;
        }
        Some(ins[((logical / READ_STRETCH) % ins.len() as u64) as usize])
    }

    /// Marks member `i`'s copy of logical bytes `[logical, logical + len)`
    /// as bad (verify found it so and did not rewrite it): from now on in
    /// this process, reads of those bytes go to the other members first,
    /// so that what reads the volume afterwards (verify's structure
    /// check) sees the good copy. Nothing is written.
    pub fn distrust(&self, i: usize, logical: u64, len: u64) {
        self.distrusted.lock().recover().push((i, logical, len));
    }

    /// True when member `i`'s copy of any of `[logical, logical + len)` is
    /// distrusted.
    fn distrusted(&self, i: usize, logical: u64, len: u64) -> bool {
        let d = self.distrusted.lock().recover();
        d.iter()
            .any(|&(m, start, n)| m == i && start < logical + len && logical < start + n)
    }

    /// Reads logical bytes from one in-sync member (chosen by offset, so
    /// that sequential reads use every member; a distrusted copy last).
    /// When it fails or reads short, the next member is tried, and the
    /// good data is written back to the member that failed (read repair);
    /// what still does not read back there is redirected through its
    /// hot-fix pool. A member that cannot be repaired is given up.
    pub fn read_logical(&self, buf: &mut [u8], logical: u64) -> Result<()> {
        self.check_range(logical, buf.len() as u64)?;
        let ins = self.in_sync_members();
        if ins.is_empty() {
            return Err(Error::NoInSyncMember { group: self.name() });
        }
        let first = ((logical / READ_STRETCH) % ins.len() as u64) as usize;
        let mut order: Vec<usize> = (0..ins.len())
            .map(|k| ins[(first + k) % ins.len()])
            .collect();
        // Stable: trusted members first, in the usual order.
        order.sort_by_key(|&i| self.distrusted(i, logical, buf.len() as u64));
        let mut bad: Vec<usize> = Vec::new();
        let mut last = None;
        let mut good = None;
        for i in order {
            match self.members[i].read(buf, logical) {
                Ok(()) => {
                    good = Some(i);
                    break;
                }
                Err(e) => {
                    bad.push(i);
                    last = Some(e);
                }
            }
        }
        let Some(good) = good else {
            return Err(last.unwrap_or_else(|| Error::NoInSyncMember { group: self.name() }));
        };
        if self.writable() {
            for i in bad {
                self.repair(i, good, buf, logical);
            }
        }
        Ok(())
    }

    /// Writes `data` (read from member `good`) back to member `i` at
    /// `logical`, and redirects each unit that still does not read back.
    fn repair(&self, i: usize, good: usize, data: &[u8], logical: u64) {
        let m = &self.members[i];
        bump(&m.stats.repairs, 1);
        self.unsynced.store(true, Ordering::SeqCst);
        if let Err(e) = m.write_run(&[IoSlice::new(data)], logical) {
            self.fail_member(i, &e);
            return;
        }
        // A sector can take a write and still not read (a medium error the
        // disk does not remap on write): check unit by unit.
        let end = logical + data.len() as u64;
        let mut unit = vec![0u8; UNIT_BYTES as usize];
        let mut ustart = logical / UNIT_BYTES * UNIT_BYTES;
        while ustart < end {
            let uend = (ustart + UNIT_BYTES).min(self.logical_bytes);
            let len = (uend - ustart) as usize;
            let lo = ustart.max(logical);
            let hi = uend.min(end);
            let want = &data[(lo - logical) as usize..(hi - logical) as usize];
            let ok = match m.partition.read_logical(&mut unit[..len], ustart) {
                Ok(()) => &unit[(lo - ustart) as usize..(hi - ustart) as usize] == want,
                Err(_) => false,
            };
            if !ok {
                bump(&m.stats.read_errors, 1);
                let r = (|| -> Result<()> {
                    if len as u64 != UNIT_BYTES {
                        return Err(Error::Unsupported {
                            device: m.partition.name().to_string(),
                            reason: "a hot-fix redirection of the partial unit at the end of the logical partition".into(),
                        });
                    }
                    // The whole unit from the good member, this read's
                    // bytes on top (they are the newest).
                    self.members[good].read(&mut unit, ustart)?;
                    unit[(lo - ustart) as usize..(hi - ustart) as usize].copy_from_slice(want);
                    m.partition.redirect_unit(ustart, &unit)?;
                    bump(&m.stats.redirects, 1);
                    Ok(())
                })();
                if let Err(e) = r {
                    self.fail_member(i, &e);
                    return;
                }
            }
            ustart += UNIT_BYTES;
        }
    }
}
