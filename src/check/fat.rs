//! The FAT of one volume as the structure check sees it: both copies read
//! whole into memory, the entries where they differ decided by the chains
//! that run through them, and chains walked over the decided entries.

use std::collections::{HashMap, HashSet};

use crate::cache::BlockIo;
use crate::error::Result;
use crate::layout::LayoutError;
use crate::layout::fat::{FAT_ENTRY_BYTES, FatEntry, fat_blocks};
use crate::volume::Volume;

/// Raw 8-byte FAT entry.
pub(super) type Raw = [u8; FAT_ENTRY_BYTES];

/// Both copies of a volume's FAT, indexed by volume block.
#[derive(Debug)]
pub(super) struct FatImage {
    /// Blocks of the volume.
    pub total: u32,
    /// The primary FAT's entries.
    pub prim: Vec<Raw>,
    /// The FAT copy's entries.
    pub copy: Vec<Raw>,
}

impl FatImage {
    /// Reads every segment's FAT fragment and its copy. Without `copies`
    /// (a plain NetWare volume, whose FAT copy's place is not known) the
    /// copy is taken to be the FAT.
    pub fn load(vol: &Volume, io: &dyn BlockIo, copies: bool) -> Result<FatImage> {
        let n = vol.total_blocks as usize;
        let mut prim = vec![[0u8; FAT_ENTRY_BYTES]; n];
        let mut copy = vec![[0u8; FAT_ENTRY_BYTES]; n];
        const CHUNK: usize = 1 << 20;
        let mut buf = vec![0u8; CHUNK];
        for s in &vol.segments {
            let f = u64::from(fat_blocks(s.blocks(), vol.block_size)) * u64::from(vol.block_size);
            let mut parts = vec![(&mut prim, s.logical_start())];
            if copies {
                parts.push((&mut copy, s.logical_start() + f));
            }
            for (dest, base) in parts {
                let mut block = s.entry.first_block as usize;
                let mut left = u64::from(s.blocks()) * FAT_ENTRY_BYTES as u64;
                let mut off = base;
                while left > 0 {
                    let len = left.min(CHUNK as u64) as usize;
                    io.read(s.group, vol.block_size, off, &mut buf[..len])?;
                    for e in buf[..len].chunks_exact(FAT_ENTRY_BYTES) {
                        if block < n {
                            dest[block].copy_from_slice(e);
                        }
                        block += 1;
                    }
                    off += len as u64;
                    left -= len as u64;
                }
            }
        }
        if !copies {
            copy = prim.clone();
        }
        Ok(FatImage {
            total: vol.total_blocks,
            prim,
            copy,
        })
    }

    /// Decodes a raw entry.
    pub fn decode(&self, raw: &Raw) -> std::result::Result<FatEntry, LayoutError> {
        FatEntry::decode(raw, self.total)
    }

    /// True when the two copies differ at block `b`.
    pub fn differs(&self, b: u32) -> bool {
        self.prim[b as usize] != self.copy[b as usize]
    }
}

/// Which copy's entry a block gets where the copies differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Pick {
    /// The primary FAT's entry.
    Primary,
    /// The FAT copy's entry.
    Copy,
    /// Free: neither copy's entry belongs to a chain.
    Free,
    /// The good copy cannot be told.
    Undecided,
}

/// Decides the differing entries by walking chains over them.
#[derive(Debug)]
pub(super) struct Resolver<'f> {
    /// The FAT.
    pub fat: &'f FatImage,
    /// Decisions made so far, by block.
    pub picks: HashMap<u32, Pick>,
}

impl<'f> Resolver<'f> {
    /// A resolver with nothing decided.
    pub fn new(fat: &'f FatImage) -> Resolver<'f> {
        Resolver {
            fat,
            picks: HashMap::new(),
        }
    }

    fn set(&mut self, b: u32, p: Pick) {
        let e = self.picks.entry(b).or_insert(p);
        if *e != p {
            // Two chains want different entries here: neither wins.
            *e = Pick::Undecided;
        }
    }

    /// The entry at `b` as decided so far (the primary's where nothing is
    /// decided yet).
    fn current(&self, b: u32) -> std::result::Result<FatEntry, LayoutError> {
        let f = self.fat;
        match self.picks.get(&b) {
            Some(Pick::Copy) => f.decode(&f.copy[b as usize]),
            Some(Pick::Free) => Ok(FatEntry::Free),
            _ => f.decode(&f.prim[b as usize]),
        }
    }

    /// Either candidate at `n` is the used block `seq` of a chain.
    fn continues(&self, n: u32, seq: u32) -> bool {
        let f = self.fat;
        [&f.prim[n as usize], &f.copy[n as usize]]
            .into_iter()
            .any(|r| matches!(f.decode(r), Ok(FatEntry::Used { seq: s, .. }) if s == seq))
    }

    /// Walks the chain from `start`, deciding each differing entry on the
    /// way: the candidate that is the used block of the expected sequence
    /// number, pointing at a block that continues the chain (or ending it
    /// where `need`, the blocks the owner's size needs, says it ends).
    pub fn walk(&mut self, start: u32, need: Option<u64>) {
        let f = self.fat;
        let mut seen = HashSet::new();
        let mut b = start;
        let mut seq: u32 = 0;
        while b < f.total && seen.insert(b) {
            let e = if f.differs(b) {
                let p = f.decode(&f.prim[b as usize]);
                let c = f.decode(&f.copy[b as usize]);
                let fits = |e: &std::result::Result<FatEntry, LayoutError>| {
                    matches!(e, Ok(FatEntry::Used { seq: s, next })
                        if *s == seq && next.is_none_or(|n| !seen.contains(&n)))
                };
                let ahead = |e: &std::result::Result<FatEntry, LayoutError>| match e {
                    Ok(FatEntry::Used { next: None, .. }) => {
                        need.is_none_or(|l| u64::from(seq) + 1 == l)
                    }
                    Ok(FatEntry::Used { next: Some(n), .. }) => {
                        need.is_none_or(|l| u64::from(seq) + 1 < l) && self.continues(*n, seq + 1)
                    }
                    _ => false,
                };
                let pick = match (fits(&p), fits(&c)) {
                    (true, false) => Pick::Primary,
                    (false, true) => Pick::Copy,
                    (true, true) => match (ahead(&p), ahead(&c)) {
                        (true, false) => Pick::Primary,
                        (false, true) => Pick::Copy,
                        _ => Pick::Undecided,
                    },
                    (false, false) => Pick::Undecided,
                };
                self.set(b, pick);
                match self.picks[&b] {
                    Pick::Undecided => return,
                    _ => self.current(b),
                }
            } else {
                f.decode(&f.prim[b as usize])
            };
            match e {
                Ok(FatEntry::Used { next: Some(n), .. }) => {
                    b = n;
                    seq = seq.wrapping_add(1);
                }
                _ => return,
            }
        }
    }

    /// Decides the differing entries no chain reached: the free one where
    /// one copy says free (a used entry there belongs to no chain), free
    /// when both are used (both would be lost blocks). With `cautious` (a
    /// damaged directory entry may own them) they stay undecided.
    pub fn finish(&mut self, cautious: bool) {
        let f = self.fat;
        for b in 0..f.total {
            if !f.differs(b) || self.picks.contains_key(&b) {
                continue;
            }
            let free = |r: &Raw| *r == [0u8; FAT_ENTRY_BYTES];
            let pick = if cautious {
                // A damaged directory entry may own the used candidate.
                Pick::Undecided
            } else if free(&f.prim[b as usize]) {
                Pick::Primary
            } else if free(&f.copy[b as usize]) {
                Pick::Copy
            } else {
                Pick::Free
            };
            self.picks.insert(b, pick);
        }
    }
}

/// The FAT after the differing entries are decided: what the chain checks
/// walk. Entries are decoded when asked for, so that a large volume costs
/// no more memory than its two FAT copies.
#[derive(Debug)]
pub(super) struct Effective<'f> {
    /// Blocks of the volume.
    pub total: u32,
    fat: &'f FatImage,
    picks: HashMap<u32, Pick>,
    /// Blocks whose entry could not be decided.
    pub undecided: HashSet<u32>,
}

impl<'f> Effective<'f> {
    /// The decided FAT.
    pub fn new(fat: &'f FatImage, picks: &HashMap<u32, Pick>) -> Effective<'f> {
        let undecided = picks
            .iter()
            .filter(|&(_, p)| *p == Pick::Undecided)
            .map(|(&b, _)| b)
            .collect();
        Effective {
            total: fat.total,
            fat,
            picks: picks.clone(),
            undecided,
        }
    }

    /// The decided entry of block `b` (the primary's where undecided);
    /// Err: corrupt, why.
    pub fn entry(&self, b: u32) -> std::result::Result<FatEntry, String> {
        let f = self.fat;
        let raw = match self.picks.get(&b) {
            Some(Pick::Copy) => &f.copy[b as usize],
            Some(Pick::Free) => return Ok(FatEntry::Free),
            _ => &f.prim[b as usize],
        };
        f.decode(raw).map_err(|e| e.to_string())
    }

    /// Walks the chain from `start`.
    pub fn walk(&self, start: u32) -> Walk {
        let mut w = Walk {
            blocks: Vec::new(),
            stop: Stop::End,
            bad_seq: None,
        };
        if start >= self.total {
            w.stop = Stop::OutOfRange(start);
            return w;
        }
        let mut seen = HashSet::new();
        let mut b = start;
        loop {
            if !seen.insert(b) {
                w.stop = Stop::Loop(b);
                return w;
            }
            if self.undecided.contains(&b) {
                w.blocks.push(b);
                w.stop = Stop::Undecided(b);
                return w;
            }
            match &self.entry(b) {
                Ok(FatEntry::Free) => {
                    w.stop = Stop::Free(b);
                    return w;
                }
                Err(why) => {
                    w.blocks.push(b);
                    w.stop = Stop::Bad(b, why.clone());
                    return w;
                }
                Ok(FatEntry::Used { seq, next }) => {
                    if w.bad_seq.is_none() && *seq as usize != w.blocks.len() {
                        w.bad_seq = Some(w.blocks.len());
                    }
                    w.blocks.push(b);
                    match next {
                        None => return w,
                        Some(n) => b = *n,
                    }
                }
            }
        }
    }
}

/// Why a chain walk stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Stop {
    /// At an end-of-chain entry.
    End,
    /// The chain's first block is past the volume.
    OutOfRange(u32),
    /// The last block points back at this block of the chain.
    Loop(u32),
    /// The last block points at this free block.
    Free(u32),
    /// This block (the last one kept) has a corrupt entry.
    Bad(u32, String),
    /// This block's entry differs between the copies and is undecided.
    Undecided(u32),
}

/// A chain as walked.
#[derive(Debug, Clone)]
pub(super) struct Walk {
    /// Its blocks, in order.
    pub blocks: Vec<u32>,
    /// Why the walk stopped.
    pub stop: Stop,
    /// First position whose sequence number is not its position.
    pub bad_seq: Option<usize>,
}

/// Compact ranges of block numbers, for findings: `[(first, count)]`.
pub(super) fn ranges(blocks: &[u32]) -> Vec<(u32, u32)> {
    let mut v: Vec<u32> = blocks.to_vec();
    v.sort_unstable();
    v.dedup();
    let mut out: Vec<(u32, u32)> = Vec::new();
    for b in v {
        match out.last_mut() {
            Some((f, c)) if *f + *c == b => *c += 1,
            _ => out.push((b, 1)),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(e: FatEntry) -> Raw {
        e.encode()
    }

    fn used(seq: u32, next: Option<u32>) -> FatEntry {
        FatEntry::Used { seq, next }
    }

    /// A FAT of 16 blocks with a chain 4 -> 5 -> 6 in both copies.
    fn image() -> FatImage {
        let mut prim = vec![[0u8; 8]; 16];
        prim[4] = raw(used(0, Some(5)));
        prim[5] = raw(used(1, Some(6)));
        prim[6] = raw(used(2, None));
        FatImage {
            total: 16,
            copy: prim.clone(),
            prim,
        }
    }

    #[test]
    fn a_flipped_entry_loses_to_the_copy_that_continues_the_chain() {
        let mut f = image();
        f.prim[5] = raw(used(1, Some(9)));
        let mut r = Resolver::new(&f);
        r.walk(4, Some(3));
        r.finish(false);
        assert_eq!(r.picks[&5], Pick::Copy);
        let eff = Effective::new(&f, &r.picks);
        assert_eq!(eff.walk(4).blocks, vec![4, 5, 6]);
    }

    #[test]
    fn a_stale_copy_loses_to_the_chain_and_unreached_blocks_go_free() {
        let mut f = image();
        for b in [4, 5, 6] {
            f.copy[b] = [0; 8];
        }
        f.copy[10] = raw(used(0, None));
        let mut r = Resolver::new(&f);
        r.walk(4, Some(3));
        r.finish(false);
        assert_eq!(r.picks[&4], Pick::Primary);
        assert_eq!(r.picks[&6], Pick::Primary);
        assert_eq!(r.picks[&10], Pick::Primary, "the free one");
        let mut r = Resolver::new(&f);
        r.finish(true);
        assert_eq!(r.picks[&10], Pick::Undecided, "cautious");
    }

    #[test]
    fn two_plausible_ends_are_undecided_without_a_size() {
        let mut f = image();
        f.prim[6] = raw(used(2, Some(7)));
        f.prim[7] = raw(used(3, None));
        f.copy[7] = raw(used(3, None));
        let mut r = Resolver::new(&f);
        r.walk(4, None);
        assert_eq!(r.picks[&6], Pick::Undecided);
        let mut r = Resolver::new(&f);
        r.walk(4, Some(3));
        assert_eq!(r.picks[&6], Pick::Copy, "the size says 3 blocks");
    }

    #[test]
    fn walks_find_loops_free_blocks_and_sequence_errors() {
        let mut f = image();
        f.prim[6] = raw(used(2, Some(5)));
        f.copy = f.prim.clone();
        let eff = Effective::new(&f, &HashMap::new());
        let w = eff.walk(4);
        assert_eq!(w.stop, Stop::Loop(5));
        assert_eq!(w.blocks, vec![4, 5, 6]);
        f.prim[6] = raw(used(7, Some(8)));
        let eff = Effective::new(&f, &HashMap::new());
        let w = eff.walk(4);
        assert_eq!(w.stop, Stop::Free(8));
        assert_eq!(w.bad_seq, Some(2));
        assert_eq!(eff.walk(99).stop, Stop::OutOfRange(99));
        assert_eq!(ranges(&[7, 3, 4, 5, 9]), vec![(3, 3), (7, 1), (9, 1)]);
    }
}
