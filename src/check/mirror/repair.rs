//! Acting on a verdict: the findings it makes, and with `--repair` the
//! good copy written over the bad members, checksums recorded, and
//! checksum blocks rebuilt from the data blocks they cover.

use std::io::IoSlice;

use crate::error::Result;
use crate::layout::checksum::block_crc;

use super::super::judge::{Verdict, Why};
use super::super::{Action, BlockRange, ByteRange, Finding};
use super::GroupCheck;

impl GroupCheck<'_, '_> {
    /// Reports a verdict, repairing when asked.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn act(
        &mut self,
        v: Verdict,
        unit: &[Option<&[u8]>],
        logical: u64,
        block: Option<(usize, u32)>,
        structure: String,
        path: Option<String>,
        unit_len: u64,
    ) {
        let len = unit_len;
        let plain = !self.group.writable();
        let group_name = self.group.name();
        let volume_name = block.map(|(vol, _)| self.sys.volumes[vol].name.clone());
        let make = |code: &'static str, member: Option<String>, problem: String, action: Action| {
            let mut f = Finding::new(code, structure.clone(), problem);
            f.group = Some(group_name.clone());
            f.member = member;
            f.path = path.clone();
            f.volume = volume_name.clone();
            if let Some((_, b)) = block {
                f.blocks = Some(BlockRange { first: b, count: 1 });
            }
            f.logical = Some(ByteRange {
                offset: logical,
                len,
            });
            f.action = action;
            f
        };
        let mut out: Vec<Finding> = Vec::new();
        let table = super::super::owners::TABLES.contains(&structure.as_str());
        if is_lost(&v, unit, table) {
            // No member read it, or every copy reads as zeros under a
            // checksum that says otherwise (an image cut short and given
            // its length back): data loss, the same finding each verify.
            out.push(make(
                "lost",
                None,
                "no member holds the data (unreadable, or zeros where an image was cut short): it is lost".into(),
                Action::Unrepairable("no copy to rewrite it from; restore it from a backup".into()),
            ));
            for f in out {
                self.push_merged(f);
            }
            return;
        }
        match v {
            Verdict::Clean => {}
            Verdict::Corrupt { crc, expected } => out.push(make(
                "checksum-mismatch",
                None,
                format!(
                    "every member's copy has CRC {crc:#010x}, the checksum on record is {expected:#010x}: the data is damaged"
                ),
                Action::Unrepairable("no member holds a copy that matches its checksum".into()),
            )),
            Verdict::Undecided => out.push(make(
                "mirror-diverges",
                None,
                format!("the {} members hold different data", unit.len()),
                Action::Unrepairable(
                    "no checksum or majority tells which copy is good; the data is left as it is".into(),
                ),
            )),
            Verdict::StaleChecksum { crc } => {
                let action = if plain {
                    Action::Unrepairable("plain NetWare partition: nwvol does not write to it".into())
                } else if self.opts.dry_run {
                    Action::WouldRepair(format!("record checksum {crc:#010x}"))
                } else if self.opts.repair {
                    match self.write_checksum(block, crc) {
                        Ok(()) => Action::Repaired(format!("recorded checksum {crc:#010x}")),
                        Err(e) => Action::RepairFailed(e.to_string()),
                    }
                } else {
                    Action::None
                };
                out.push(make(
                    "checksum-stale",
                    None,
                    "the checksum does not match; a write was cut short there (write-intent bit set), so the data the members agree on is kept".into(),
                    action,
                ))
            }
            Verdict::Repair {
                good,
                bad,
                why,
                new_checksum,
            } => {
                let good_name = self.member_name(good);
                for k in bad {
                    let code = if unit[k].is_none() {
                        "member-read-error"
                    } else if why == Why::Checksum {
                        "checksum-mismatch"
                    } else {
                        "mirror-diverges"
                    };
                    let problem = if unit[k].is_none() {
                        "this member's copy cannot be read".to_string()
                    } else {
                        format!("differs from {good_name}'s copy, which is good: {}", why.describe())
                    };
                    let action = if plain {
                        Action::Unrepairable("plain NetWare partition: nwvol does not write to it".into())
                    } else if self.opts.dry_run {
                        Action::WouldRepair(format!("rewrite from {good_name}"))
                    } else if self.opts.repair {
                        let data = unit[good].expect("good copy readable");
                        match self.write_member(k, data, logical) {
                            Ok(()) => Action::Repaired(format!("rewrote from {good_name}")),
                            Err(e) => Action::RepairFailed(e.to_string()),
                        }
                    } else {
                        Action::None
                    };
                    if !matches!(action, Action::Repaired(_)) {
                        // Left bad: whatever reads these bytes next (the
                        // structure check) reads the good copy.
                        self.group.distrust(self.members[k], logical, len);
                    }
                    let name = self.member_name(k);
                    out.push(make(code, Some(name), problem, action));
                }
                if let Some(crc) = new_checksum
                    && self.opts.writes()
                    && !plain
                {
                    let _ = self.write_checksum(block, crc);
                }
            }
        }
        for f in out {
            self.push_merged(f);
        }
    }

    /// Writes `data` at `logical` on compared member `k`.
    fn write_member(&mut self, k: usize, data: &[u8], logical: u64) -> Result<()> {
        let mi = self.members[k];
        self.group.members[mi].write_run(&[IoSlice::new(data)], logical)?;
        self.written[mi] = true;
        Ok(())
    }

    /// Records `crc` as block's checksum on every compared member.
    fn write_checksum(&mut self, block: Option<(usize, u32)>, crc: u32) -> Result<()> {
        let Some((vol, b)) = block else { return Ok(()) };
        let Some((g, off)) = self.sys.volumes[vol].checksum_entry(b) else {
            return Ok(());
        };
        let bytes = crc.to_le_bytes();
        for k in 0..self.members.len() {
            let mi = self.members[k];
            self.sys.groups[g].members[mi].write_run(&[IoSlice::new(&bytes)], off)?;
            self.written[mi] = true;
        }
        Ok(())
    }

    /// Checksum blocks whose copies differ: after the data pass (the data
    /// now agrees), each is rebuilt from the data blocks it covers.
    pub(super) fn fix_checksum_blocks(&mut self) -> Result<()> {
        let todo = std::mem::take(&mut self.sum_blocks);
        for (vol, b, logical) in todo {
            let volume = &self.sys.volumes[vol];
            let bs = volume.block_size as usize;
            let mut copies: Vec<Vec<u8>> = Vec::new();
            for &mi in &self.members {
                let mut buf = vec![0u8; bs];
                self.group.members[mi]
                    .partition
                    .read_logical(&mut buf, logical)?;
                copies.push(buf);
            }
            // The data blocks this checksum block covers: those whose entry
            // lies in it.
            let seg = volume
                .segments
                .iter()
                .find(|s| s.holds(b))
                .expect("block in a segment");
            let first = seg.entry.first_block;
            let mut rebuilt = copies[0].clone();
            let mut data = vec![0u8; bs];
            for d in first..first + seg.blocks() {
                let Some((_, eoff)) = volume.checksum_entry(d) else {
                    continue;
                };
                if eoff < logical || eoff >= logical + bs as u64 {
                    continue;
                }
                let at = (eoff - logical) as usize;
                let (_, doff) = volume.block_location(d)?;
                self.group.members[self.members[0]]
                    .partition
                    .read_logical(&mut data, doff)?;
                let crc = block_crc(&data);
                let held: Vec<u32> = copies
                    .iter()
                    .map(|c| u32::from_le_bytes(c[at..at + 4].try_into().expect("4 bytes")))
                    .collect();
                if held.contains(&crc) {
                    rebuilt[at..at + 4].copy_from_slice(&crc.to_le_bytes());
                }
            }
            let unit: Vec<Option<&[u8]>> = copies.iter().map(|c| Some(c.as_slice())).collect();
            let bad: Vec<usize> = (0..copies.len())
                .filter(|&k| copies[k] != rebuilt)
                .collect();
            for k in bad {
                let action = if !self.group.writable() {
                    Action::Unrepairable(
                        "plain NetWare partition: nwvol does not write to it".into(),
                    )
                } else if self.opts.dry_run {
                    Action::WouldRepair("rebuild from the data blocks it covers".into())
                } else if self.opts.repair {
                    match self.write_member(k, &rebuilt, logical) {
                        Ok(()) => Action::Repaired("rebuilt from the data blocks it covers".into()),
                        Err(e) => Action::RepairFailed(e.to_string()),
                    }
                } else {
                    Action::None
                };
                let mut f = self.base(
                    "mirror-diverges",
                    "checksums",
                    "the members' checksum blocks differ".into(),
                );
                f.member = Some(self.member_name(k));
                f.volume = Some(volume.name.clone());
                f.blocks = Some(BlockRange { first: b, count: 1 });
                f.logical = Some(ByteRange {
                    offset: logical,
                    len: bs as u64,
                });
                f.action = action;
                self.push_merged(f);
            }
            let _ = unit;
        }
        Ok(())
    }
}

/// True when a verdict means the data is gone on every member: no copy
/// read, or every copy is zeros and fails its checksum (not in a `table`
/// the structure repair rewrites from its other copy: that stays a
/// checksum mismatch, rechecked after it).
fn is_lost(v: &Verdict, unit: &[Option<&[u8]>], table: bool) -> bool {
    match v {
        Verdict::Undecided => unit.iter().all(|c| c.is_none()),
        Verdict::Corrupt { .. } if !table => {
            unit.iter().flatten().all(|c| c.iter().all(|&x| x == 0))
        }
        _ => false,
    }
}
