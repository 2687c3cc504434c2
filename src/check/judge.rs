//! Which copy of a block is good, when the members of a mirror group hold
//! it differently or its checksum disagrees. A pure function of the
//! copies, the checksums on record and the write-intent bit, so every rule
//! is tested on its own.

use crate::layout::checksum::block_crc;

/// What a block's copies and checksums say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every copy is the same and no checksum disagrees.
    Clean,
    /// Every copy is the same and none matches the checksum on record, with
    /// no write in flight there: the data is damaged on every member.
    Corrupt {
        /// The copies' CRC.
        crc: u32,
        /// The checksum on record.
        expected: u32,
    },
    /// Every copy is the same, the checksum disagrees, and the write-intent
    /// bit is set: a write was cut short; the checksum is rewritten.
    StaleChecksum {
        /// The copies' CRC, the new checksum.
        crc: u32,
    },
    /// The copies differ (or one failed to read) and one of them is known
    /// good.
    Repair {
        /// Index of the good copy.
        good: usize,
        /// Indexes of the copies to rewrite from it.
        bad: Vec<usize>,
        /// How the good copy was told.
        why: Why,
        /// The checksum to record, when it must change.
        new_checksum: Option<u32>,
    },
    /// The copies differ and nothing tells which is good.
    Undecided,
}

/// How the good copy was told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Why {
    /// Its CRC matches the checksum on record.
    Checksum,
    /// More than half the members hold it.
    Majority,
    /// A write was cut short there (write-intent bit set): any copy is a
    /// state the volume was in; the first in-sync member's is taken.
    Interrupted,
    /// The block is free space: no data to lose.
    Free,
    /// The other copies could not be read.
    OnlyReadable,
    /// The structure holding it (a volume table copy) decodes and passes
    /// its own CRCs on this member, and not on the others.
    Validates,
}

impl Why {
    /// Words for a finding.
    pub fn describe(self) -> &'static str {
        match self {
            Why::Checksum => "its checksum matches",
            Why::Majority => "most members hold it",
            Why::Interrupted => {
                "a write was cut short there (write-intent bit set); the first in-sync member's copy is kept"
            }
            Why::Free => "the block is free space",
            Why::OnlyReadable => "it is the copy that reads",
            Why::Validates => "its volume table copy decodes and passes its CRCs",
        }
    }
}

/// Judges one block. `copies[i]` is member i's copy (None when it failed
/// to read), `checksums[i]` the checksum member i records for the block (0
/// when none), `intent` whether the write-intent bit covers it, `free`
/// whether the block is free space.
pub fn judge(copies: &[Option<&[u8]>], checksums: &[u32], intent: bool, free: bool) -> Verdict {
    let readable: Vec<usize> = (0..copies.len()).filter(|&i| copies[i].is_some()).collect();
    let Some(&first) = readable.first() else {
        return Verdict::Undecided;
    };
    let data = |i: usize| copies[i].expect("readable copy");
    let recorded: Vec<u32> = checksums.iter().copied().filter(|&c| c != 0).collect();
    let all_same = readable.iter().all(|&i| data(i) == data(first));
    let unreadable: Vec<usize> = (0..copies.len()).filter(|&i| copies[i].is_none()).collect();

    if all_same {
        let crc = if recorded.is_empty() {
            0
        } else {
            block_crc(data(first))
        };
        let sum_ok = recorded.is_empty() || recorded.contains(&crc);
        if !unreadable.is_empty() && sum_ok {
            return Verdict::Repair {
                good: first,
                bad: unreadable,
                why: if recorded.is_empty() {
                    Why::OnlyReadable
                } else {
                    Why::Checksum
                },
                new_checksum: None,
            };
        }
        if sum_ok {
            return Verdict::Clean;
        }
        if intent {
            return Verdict::StaleChecksum { crc };
        }
        return Verdict::Corrupt {
            crc,
            expected: recorded[0],
        };
    }

    let bad_from = |good: usize| -> Vec<usize> {
        (0..copies.len())
            .filter(|&i| copies[i].is_none_or(|c| c != data(good)))
            .collect()
    };
    if !recorded.is_empty()
        && let Some(&good) = readable
            .iter()
            .find(|&&i| recorded.contains(&block_crc(data(i))))
    {
        return Verdict::Repair {
            good,
            bad: bad_from(good),
            why: Why::Checksum,
            new_checksum: None,
        };
    }
    let new_checksum = |good: usize| (!recorded.is_empty()).then(|| block_crc(data(good)));
    if copies.len() >= 3 {
        for &i in &readable {
            let n = readable.iter().filter(|&&j| data(j) == data(i)).count();
            if n * 2 > copies.len() {
                return Verdict::Repair {
                    good: i,
                    bad: bad_from(i),
                    why: Why::Majority,
                    new_checksum: if intent { new_checksum(i) } else { None },
                };
            }
        }
    }
    if intent {
        return Verdict::Repair {
            good: first,
            bad: bad_from(first),
            why: Why::Interrupted,
            new_checksum: new_checksum(first),
        };
    }
    if free {
        return Verdict::Repair {
            good: first,
            bad: bad_from(first),
            why: Why::Free,
            new_checksum: None,
        };
    }
    Verdict::Undecided
}

/// Judges a unit of a structure that carries its own CRCs (a volume
/// table copy): `valid[i]` tells whether member i's whole structure
/// decodes. Where the members whose copy is valid all hold the same bytes
/// and another member's differ, theirs is good; otherwise None (and
/// [`judge`] decides).
pub fn judge_by_validity(copies: &[Option<&[u8]>], valid: &[bool]) -> Option<Verdict> {
    let good = (0..copies.len()).find(|&i| valid[i] && copies[i].is_some())?;
    if (0..copies.len()).any(|i| valid[i] && copies[i] != copies[good]) {
        return None;
    }
    let bad: Vec<usize> = (0..copies.len())
        .filter(|&i| copies[i] != copies[good])
        .collect();
    if bad.is_empty() {
        return None;
    }
    Some(Verdict::Repair {
        good,
        bad,
        why: Why::Validates,
        new_checksum: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &[u8] = &[1u8; 64];
    const B: &[u8] = &[2u8; 64];

    #[test]
    fn same_copies_no_checksum_are_clean() {
        assert_eq!(
            judge(&[Some(A), Some(A)], &[0, 0], false, false),
            Verdict::Clean
        );
    }

    #[test]
    fn checksum_picks_the_good_copy_of_two() {
        let c = block_crc(B);
        let v = judge(&[Some(A), Some(B)], &[c, c], false, false);
        assert_eq!(
            v,
            Verdict::Repair {
                good: 1,
                bad: vec![0],
                why: Why::Checksum,
                new_checksum: None
            }
        );
    }

    #[test]
    fn two_copies_without_checksum_are_undecided() {
        assert_eq!(
            judge(&[Some(A), Some(B)], &[0, 0], false, false),
            Verdict::Undecided
        );
    }

    #[test]
    fn majority_of_three_decides() {
        let v = judge(&[Some(B), Some(A), Some(A)], &[0, 0, 0], false, false);
        assert_eq!(
            v,
            Verdict::Repair {
                good: 1,
                bad: vec![0],
                why: Why::Majority,
                new_checksum: None
            }
        );
    }

    #[test]
    fn silent_corruption_of_a_single_copy_is_found() {
        let v = judge(&[Some(A)], &[block_crc(B)], false, false);
        assert_eq!(
            v,
            Verdict::Corrupt {
                crc: block_crc(A),
                expected: block_crc(B)
            }
        );
    }

    #[test]
    fn interrupted_write_is_not_corruption() {
        assert_eq!(
            judge(&[Some(A)], &[block_crc(B)], true, false),
            Verdict::StaleChecksum { crc: block_crc(A) }
        );
        let v = judge(&[Some(A), Some(B)], &[block_crc(B) ^ 1, 0], true, false);
        assert_eq!(
            v,
            Verdict::Repair {
                good: 0,
                bad: vec![1],
                why: Why::Interrupted,
                new_checksum: Some(block_crc(A))
            }
        );
    }

    #[test]
    fn either_members_checksum_may_vouch() {
        // The checksum blocks differ too: member 1's entry is the right one.
        let v = judge(&[Some(A), Some(B)], &[7, block_crc(A)], false, false);
        assert!(matches!(
            v,
            Verdict::Repair {
                good: 0,
                why: Why::Checksum,
                ..
            }
        ));
    }

    #[test]
    fn unreadable_copy_is_rewritten_from_a_readable_one() {
        let v = judge(&[None, Some(A)], &[0, 0], false, false);
        assert_eq!(
            v,
            Verdict::Repair {
                good: 1,
                bad: vec![0],
                why: Why::OnlyReadable,
                new_checksum: None
            }
        );
        // ... but not when the readable one fails its checksum.
        let v = judge(
            &[None, Some(A)],
            &[block_crc(B), block_crc(B)],
            false,
            false,
        );
        assert!(matches!(v, Verdict::Corrupt { .. }));
    }

    #[test]
    fn the_copy_whose_structure_validates_is_good() {
        let v = judge_by_validity(&[Some(A), Some(B)], &[false, true]);
        assert_eq!(
            v,
            Some(Verdict::Repair {
                good: 1,
                bad: vec![0],
                why: Why::Validates,
                new_checksum: None,
            })
        );
        // Valid copies that disagree, or none valid: not decided here.
        assert_eq!(judge_by_validity(&[Some(A), Some(B)], &[true, true]), None);
        assert_eq!(
            judge_by_validity(&[Some(A), Some(B)], &[false, false]),
            None
        );
    }

    #[test]
    fn free_space_may_be_copied_from_any_member() {
        let v = judge(&[Some(A), Some(B)], &[0, 0], false, true);
        assert!(matches!(
            v,
            Verdict::Repair {
                good: 0,
                why: Why::Free,
                ..
            }
        ));
    }
}
