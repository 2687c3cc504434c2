//! Comparing one piece of the pass across the members: unit by unit
//! outside volumes, block by block in volume segments (against the blocks'
//! checksums where the volume keeps them, skipping free blocks when the
//! members agree on the FAT), and judging each that differs.

use crate::error::Result;
use crate::layout::checksum::block_crc;
use crate::layout::fat::{FAT_ENTRY_BYTES, fat_blocks};
use crate::layout::voltab::{VOLTAB_COPIES, VOLTAB_COPY_BYTES, VolumeTable};
use crate::volume::Volume;

use super::super::judge::{Verdict, judge, judge_by_validity};
use super::super::owners::Owner;
use super::scan::{Piece, RegionKind};
use super::{FatCopy, GroupCheck};

/// Unit compared outside volumes (volume tables, unused space).
const OTHER_UNIT: u64 = 4096;

/// For each volume table copy the piece holds whole (the tables start at
/// logical byte 0): whether each member's copy decodes, CRCs included.
/// A copy the piece cuts is None.
fn voltab_validity(p: &Piece, copies: &[Option<&[u8]>]) -> Vec<Option<Vec<bool>>> {
    let size = VOLTAB_COPY_BYTES as u64;
    (0..VOLTAB_COPIES as u64)
        .map(|k| {
            let start = k * size;
            if start < p.start || start + size > p.start + p.len {
                return None;
            }
            let rel = (start - p.start) as usize;
            Some(
                copies
                    .iter()
                    .map(|c| {
                        c.is_some_and(|c| {
                            VolumeTable::decode(&c[rel..rel + VOLTAB_COPY_BYTES]).is_ok()
                        })
                    })
                    .collect(),
            )
        })
        .collect()
}

impl GroupCheck<'_, '_> {
    /// Compares one piece; judges every unit that differs or fails its
    /// checksum.
    pub(super) fn check_piece(
        &mut self,
        p: &Piece,
        copies: &[Option<&[u8]>],
        errors: &[Option<String>],
    ) -> Result<()> {
        let region = self.regions[p.region];
        let readable: Vec<&[u8]> = copies.iter().flatten().copied().collect();
        let all_same =
            errors.iter().all(|e| e.is_none()) && readable.iter().all(|c| *c == readable[0]);
        match region.kind {
            RegionKind::Other(what) => {
                if !all_same {
                    self.check_other_piece(p, what, copies);
                }
                Ok(())
            }
            RegionKind::Volume { vol, seg } => {
                self.check_segment_piece(p, (vol, seg), copies, all_same)
            }
        }
    }

    /// A piece outside the volumes whose copies differ: judged unit by
    /// unit, the volume tables by whether each copy decodes.
    fn check_other_piece(&mut self, p: &Piece, what: &'static str, copies: &[Option<&[u8]>]) {
        let tables = if what == "volume tables" {
            voltab_validity(p, copies)
        } else {
            Vec::new()
        };
        let mut off = 0u64;
        while off < p.len {
            let n = OTHER_UNIT.min(p.len - off);
            let unit: Vec<Option<&[u8]>> = copies
                .iter()
                .map(|c| c.map(|c| &c[off as usize..(off + n) as usize]))
                .collect();
            if !unit_same(&unit) {
                let logical = p.start + off;
                let intent = self.intent(logical, n);
                let free = what == "unused space";
                let copy = (logical / VOLTAB_COPY_BYTES as u64) as usize;
                let v = tables
                    .get(copy)
                    .and_then(|valid| valid.as_deref())
                    .and_then(|valid| judge_by_validity(&unit, valid))
                    .unwrap_or_else(|| judge(&unit, &vec![0; unit.len()], intent, free));
                self.act(v, &unit, logical, None, what.to_string(), None, n);
            }
            off += n;
        }
    }

    /// A piece of volume segment `key`: its blocks checked against their
    /// checksums and each other.
    fn check_segment_piece(
        &mut self,
        p: &Piece,
        key: (usize, usize),
        copies: &[Option<&[u8]>],
        all_same: bool,
    ) -> Result<()> {
        let (vol, seg) = key;
        let sys = self.sys;
        let volume = &sys.volumes[vol];
        let bs = volume.block_size as u64;
        let s = &volume.segments[seg];
        let first_block = s.entry.first_block + ((p.start - s.logical_start()) / bs) as u32;
        let nblocks = (p.len / bs) as u32;
        let sums = self.read_checksums(volume, first_block, nblocks)?;
        // The segment's FAT fragment comes first: where every
        // member's copy of it is clean, it tells which blocks are
        // free, and free blocks are not compared (a new member got
        // none of them, and their old bytes matter to no one).
        let rel0 = first_block - s.entry.first_block;
        let fat_len = fat_blocks(s.blocks(), volume.block_size);
        if rel0 == 0 {
            self.fat = Some(FatCopy {
                key,
                bytes: vec![0u8; (fat_len as u64 * bs) as usize],
                clean: true,
            });
        }
        let fat_done = rel0 >= fat_len;
        if all_same && sums.is_none() && !fat_done {
            self.keep_fat(key, rel0, fat_len, bs, copies, None);
            return Ok(());
        }
        if all_same && sums.is_none() {
            return Ok(());
        }
        let crcs = agreed_crcs(copies, all_same, sums.is_some(), nblocks, bs);
        let sp = SegmentPiece {
            key,
            start: p.start,
            first_block,
            rel0,
            fat_len,
            bs,
            all_same,
            copies,
            sums,
            crcs,
        };
        for i in 0..nblocks {
            self.check_block(&sp, i);
        }
        Ok(())
    }

    /// True when block `i` of the piece passes its checksum on every member
    /// by the CRCs computed for the whole piece, or keeps none: nothing more
    /// to check.
    fn checksum_passes(&mut self, sp: &SegmentPiece<'_>, i: u32) -> bool {
        let (Some(crcs), Some(per_member)) = (&sp.crcs, &sp.sums) else {
            return false;
        };
        let crc = crcs[i as usize];
        let mut any = false;
        let mut ok = false;
        for m in per_member {
            let e = m[i as usize];
            any |= e != 0;
            ok |= e != 0 && e == crc;
        }
        if any {
            self.stats.blocks_checksummed += sp.copies.iter().flatten().count() as u64;
        }
        ok || !any
    }

    /// Checks block `i` of a segment piece: skips it when free or good,
    /// judges it otherwise and acts on the verdict.
    fn check_block(&mut self, sp: &SegmentPiece<'_>, i: u32) {
        let (vol, _) = sp.key;
        let sys = self.sys;
        let volume = &sys.volumes[vol];
        let (bs, fat_len) = (sp.bs, sp.fat_len);
        let b = sp.first_block + i;
        let rel = sp.rel0 + i;
        let off = i as u64 * bs;
        if rel >= fat_len && self.is_free(sp.key, rel) {
            return;
        }
        if rel >= fat_len && self.checksum_passes(sp, i) {
            return;
        }
        let unit: Vec<Option<&[u8]>> = sp
            .copies
            .iter()
            .map(|c| c.map(|c| &c[off as usize..(off + bs) as usize]))
            .collect();
        let entries: Vec<u32> = match &sp.sums {
            Some(per_member) => per_member.iter().map(|m| m[i as usize]).collect(),
            None => vec![0; unit.len()],
        };
        if entries.iter().any(|&e| e != 0) {
            self.stats.blocks_checksummed += unit.iter().flatten().count() as u64;
        }
        let same = sp.all_same || unit_same(&unit);
        if same && entries.iter().all(|&e| e == 0) {
            if rel < fat_len {
                self.keep_fat(sp.key, rel, fat_len, bs, &unit, Some(true));
            }
            return;
        }
        let logical = sp.start + off;
        let entry = volume.checksum_entry(b);
        if !same && volume.is_checksum_block(b) {
            self.sum_blocks.push((vol, b, logical));
            return;
        }
        let mut intent = self.intent(logical, bs);
        if let Some((_, eoff)) = entry {
            intent |= self.intent(eoff, 4);
        }
        // Free volume blocks are not copied over each other
        // here: the judge is not told, only the FAT above
        // (when clean) skips them.
        let v = judge(&unit, &entries, intent, false);
        if rel < fat_len {
            let clean = v == Verdict::Clean;
            self.keep_fat(sp.key, rel, fat_len, bs, &unit, Some(clean));
        }
        if v == Verdict::Clean {
            return;
        }
        let owner = self.owner(vol, b);
        let (structure, path) = match owner {
            Owner::Structure(s) => (s, None),
            Owner::File(p) => ("data".to_string(), Some(p)),
            Owner::Free => ("free space".to_string(), None),
        };
        self.act(v, &unit, logical, Some((vol, b)), structure, path, bs);
    }

    /// Keeps the bytes of FAT blocks `rel..` (segment-relative) of segment
    /// `key` from `copies` (a piece or one block); `clean` says whether the
    /// members agreed and passed their checksums (None: a piece that was
    /// all the same with no checksums, so clean).
    fn keep_fat(
        &mut self,
        key: (usize, usize),
        rel: u32,
        fat_len: u32,
        bs: u64,
        copies: &[Option<&[u8]>],
        clean: Option<bool>,
    ) {
        let Some(f) = self.fat.as_mut().filter(|f| f.key == key) else {
            return;
        };
        if clean == Some(false) {
            f.clean = false;
            return;
        }
        let Some(src) = copies.iter().flatten().next() else {
            f.clean = false;
            return;
        };
        let at = (rel as u64 * bs) as usize;
        let room = ((fat_len - rel.min(fat_len)) as u64 * bs) as usize;
        let n = src.len().min(room);
        f.bytes[at..at + n].copy_from_slice(&src[..n]);
    }

    /// True when the segment's clean FAT says block `rel` is free.
    fn is_free(&self, key: (usize, usize), rel: u32) -> bool {
        let Some(f) = self.fat.as_ref().filter(|f| f.key == key && f.clean) else {
            return false;
        };
        let at = rel as usize * FAT_ENTRY_BYTES;
        f.bytes
            .get(at..at + FAT_ENTRY_BYTES)
            .is_some_and(|e| e.iter().all(|&x| x == 0))
    }

    /// Each compared member's checksum entries for blocks `first..first+n`
    /// (None when the volume keeps none there).
    fn read_checksums(&self, vol: &Volume, first: u32, n: u32) -> Result<Option<Vec<Vec<u32>>>> {
        let mut any = false;
        let mut per_member = vec![vec![0u32; n as usize]; self.members.len()];
        let mut i = 0u32;
        while i < n {
            let Some((g, off)) = vol.checksum_entry(first + i) else {
                i += 1;
                continue;
            };
            // Entries of consecutive blocks of one segment are consecutive.
            let mut run = 1u32;
            while i + run < n
                && vol.checksum_entry(first + i + run) == Some((g, off + 4 * run as u64))
            {
                run += 1;
            }
            any = true;
            let mut buf = vec![0u8; run as usize * 4];
            for (k, &mi) in self.members.iter().enumerate() {
                let m = &self.sys.groups[g].members[mi];
                // An unreadable entry counts as none: the data is then
                // judged by comparing members.
                if m.partition.read_logical(&mut buf, off).is_ok() {
                    for (j, e) in buf.chunks_exact(4).enumerate() {
                        per_member[k][(i as usize) + j] =
                            u32::from_le_bytes(e.try_into().expect("4 bytes"));
                    }
                }
            }
            i += run;
        }
        Ok(any.then_some(per_member))
    }
}

/// One piece of a volume segment, as the check of each of its blocks
/// needs it.
struct SegmentPiece<'p> {
    /// (volume, segment).
    key: (usize, usize),
    /// Logical byte where the piece starts.
    start: u64,
    /// Volume block of the piece's first byte.
    first_block: u32,
    /// The same block, relative to the segment.
    rel0: u32,
    /// Blocks of the segment's FAT fragment.
    fat_len: u32,
    /// Block size in bytes.
    bs: u64,
    /// Every member's copy was read and all are the same.
    all_same: bool,
    /// Each member's copy of the piece (None: unreadable).
    copies: &'p [Option<&'p [u8]>],
    /// Each member's checksum entries of the piece's blocks.
    sums: Option<Vec<Vec<u32>>>,
    /// The blocks' CRCs, when the members agree and keep checksums.
    crcs: Option<Vec<u32>>,
}

/// Where the members agree and the blocks keep checksums, the blocks' CRCs,
/// computed on both cores at once; only a block whose CRC is not on record
/// goes to the judge.
fn agreed_crcs(
    copies: &[Option<&[u8]>],
    all_same: bool,
    has_sums: bool,
    nblocks: u32,
    bs: u64,
) -> Option<Vec<u32>> {
    match copies.iter().flatten().next() {
        Some(c) if has_sums && all_same => {
            use rayon::prelude::*;
            Some(
                c[..(nblocks as u64 * bs) as usize]
                    .par_chunks(bs as usize)
                    .map(block_crc)
                    .collect(),
            )
        }
        _ => None,
    }
}

/// True when every readable copy is the same and none failed.
fn unit_same(unit: &[Option<&[u8]>]) -> bool {
    let mut it = unit.iter();
    let Some(Some(first)) = it.next() else {
        return false;
    };
    it.all(|c| c.is_some_and(|c| c == *first))
}
