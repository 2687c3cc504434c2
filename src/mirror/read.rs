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
/// long sequential stretches. Far longer than a kernel's read-ahead window
/// (up to 8 MiB): over image files, 1 MiB stretches made each member's
/// read-ahead fetch the stretches the other member serves, and a cold
/// `get -r` of 100 MB read 250 MB from the disk.
pub const READ_STRETCH: u64 = 64 << 20;

/// A check of bytes read: given the logical offset and the bytes, the
/// logical ranges among them that fail (empty when all is well).
pub type BlockCheckFn<'a> = &'a dyn Fn(u64, &[u8]) -> Vec<std::ops::Range<u64>>;

/// A member's copy of logical bytes that failed its block check on a read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadCopy {
    /// The member (index in the group).
    pub member: usize,
    /// First logical byte.
    pub logical: u64,
    /// Bytes.
    pub len: u64,
    /// The member whose copy was good, if any.
    pub from: Option<usize>,
    /// The bad copy was rewritten from the good one.
    pub healed: bool,
}

impl MirrorGroup {
    /// The member a read at `logical` goes to first: (offset / [`READ_STRETCH`])
    /// modulo the in-sync members.
    pub fn read_member(&self, logical: u64) -> Option<usize> {
        let ins = self.in_sync_members();
        if ins.is_empty() {
            return None;
        }
        Some(ins[((logical / READ_STRETCH) % ins.len() as u64) as usize])
    }

    /// Tells the members that will serve logical bytes `[logical, logical +
    /// len)` (as [`MirrorGroup::read_member`] picks them) that the bytes
    /// will be read soon: a hint, never an error.
    pub fn will_read(&self, logical: u64, len: u64) {
        let end = logical.saturating_add(len);
        let mut at = logical;
        while at < end {
            let piece = (READ_STRETCH - at % READ_STRETCH).min(end - at);
            if let Some(i) = self.read_member(at) {
                self.members[i].partition.will_read_logical(at, piece);
            }
            at += piece;
        }
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
        self.read_serving(buf, logical).map(|_| ())
    }

    /// [`MirrorGroup::read_logical`], returning the member that served.
    fn read_serving(&self, buf: &mut [u8], logical: u64) -> Result<usize> {
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
        Ok(good)
    }

    /// Lets reads rewrite a copy that fails its block check with a good
    /// one: set when the command holds the write lock.
    pub fn set_heal(&self, on: bool) {
        self.heal.store(on, Ordering::SeqCst);
    }

    /// The copies that failed their block check on a read so far.
    pub fn bad_copies(&self) -> Vec<BadCopy> {
        self.bad_copies.lock().recover().clone()
    }

    /// Reads logical bytes as [`MirrorGroup::read_logical`] does, and
    /// checks them with `check`, which returns the logical ranges of the
    /// bytes given (read at the offset given) that fail. Each failing
    /// range is read from the other in-sync members in turn and checked
    /// again; the first good copy takes its place in `buf` and, when the
    /// group may heal, is written over the bad copy. When no member holds
    /// a good copy the read fails and `buf` is zeroed there, so that the
    /// bad bytes go nowhere.
    pub fn read_checked(
        &self,
        buf: &mut [u8],
        logical: u64,
        check: BlockCheckFn<'_>,
    ) -> Result<()> {
        let served = self.read_serving(buf, logical)?;
        let bad = check(logical, buf);
        if bad.is_empty() {
            return Ok(());
        }
        let mut lost: Option<(u64, u64)> = None;
        let mut tmp: Vec<u8> = Vec::new();
        for r in bad {
            let (lo, hi) = (r.start.max(logical), r.end.min(logical + buf.len() as u64));
            if lo >= hi {
                continue;
            }
            let part = (lo - logical) as usize..(hi - logical) as usize;
            let mut wrong = vec![served];
            let mut good = None;
            for j in self.in_sync_members() {
                if j == served {
                    continue;
                }
                tmp.resize((hi - lo) as usize, 0);
                if self.members[j].read(&mut tmp, lo).is_err() {
                    continue;
                }
                if check(lo, &tmp).is_empty() {
                    good = Some(j);
                    break;
                }
                wrong.push(j);
            }
            match good {
                Some(j) => {
                    buf[part].copy_from_slice(&tmp);
                    for i in wrong {
                        self.note_bad(i, Some(j), lo, hi - lo, &tmp);
                    }
                }
                None if self.intent_covers(lo, hi - lo) => {
                    // Every copy fails, but the write-intent record says a
                    // write of these blocks was in flight when the last
                    // writer stopped: a torn write, whose data and checksum
                    // entry did not both land. The checksum cannot judge
                    // it; the copy read stands (verify resolves the range
                    // by write intent).
                }
                None => {
                    buf[part].fill(0);
                    for i in wrong {
                        self.note_bad(i, None, lo, hi - lo, &[]);
                    }
                    if lost.is_none() {
                        lost = Some((lo, hi - lo));
                    }
                }
            }
        }
        if let Some((lo, len)) = lost {
            let names: Vec<String> = self
                .in_sync_members()
                .iter()
                .map(|&i| self.members[i].partition.name().to_string())
                .collect();
            return Err(Error::BadBlocks {
                device: names.join(", "),
                logical: lo,
                len,
                volume: None,
                file: None,
            });
        }
        Ok(())
    }

    /// Records member `i`'s bad copy of `[lo, lo + len)`; rewrites it with
    /// `good` (read from member `from`) when the group may heal, else
    /// reads go to the other members first from now on.
    fn note_bad(&self, i: usize, from: Option<usize>, lo: u64, len: u64, good: &[u8]) {
        let mut healed = false;
        if from.is_some() && self.heal.load(Ordering::SeqCst) && self.writable() {
            let m = &self.members[i];
            bump(&m.stats.repairs, 1);
            self.unsynced.store(true, Ordering::SeqCst);
            match m.write_run(&[IoSlice::new(good)], lo) {
                Ok(()) => healed = true,
                Err(e) => self.fail_member(i, &e),
            }
        }
        if !healed {
            self.distrust(i, lo, len);
        }
        self.bad_copies.lock().recover().push(BadCopy {
            member: i,
            logical: lo,
            len,
            from,
            healed,
        });
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
