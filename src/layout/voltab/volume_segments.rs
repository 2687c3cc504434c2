//! The rule across logical partitions: the segments of one volume, each
//! from the table of the partition holding it, must fit together.

use super::super::LayoutError;
use super::super::bytes::corrupt;
use super::SegmentEntry;

/// Checks the segments of one volume, gathered from every logical partition
/// holding one (in any order): one name; the same total blocks, block-size
/// code and directory blocks; segment numbers 0..k-1 without gaps or
/// repeats; first blocks that continue each other without gap or overlap
/// from block 0; and the last segment ending at the volume's total blocks
/// (fewer means a segment is missing).
pub fn check_volume_segments(entries: &[&SegmentEntry]) -> Result<(), LayoutError> {
    let Some(first) = entries.first() else {
        return Err(corrupt("volume", "segments", "none"));
    };
    let s = format!("volume {}", first.name);
    let mut sorted: Vec<&SegmentEntry> = entries.to_vec();
    sorted.sort_by_key(|e| e.segment);
    for e in &sorted {
        let seg = || format!("volume {} segment {}", first.name, e.segment);
        if e.name != first.name {
            return Err(corrupt(
                &*s,
                "name",
                format!("segment {} is of volume {}", e.segment, e.name),
            ));
        }
        let same = [
            ("total blocks", e.total_blocks, first.total_blocks),
            ("block-size code", e.block_code, first.block_code),
            ("directory block", e.dir_block, first.dir_block),
            (
                "directory copy block",
                e.dir_copy_block,
                first.dir_copy_block,
            ),
        ];
        for (field, got, want) in same {
            if got != want {
                return Err(corrupt(
                    seg(),
                    field,
                    format!("{got}, but segment {} has {want}", first.segment),
                ));
            }
        }
    }
    let mut next_block: u64 = 0;
    for (i, e) in sorted.iter().enumerate() {
        let seg = format!("volume {} segment {}", first.name, e.segment);
        if usize::from(e.segment) != i {
            let why = if i > 0 && sorted[i - 1].segment == e.segment {
                format!("segment {} appears twice", e.segment)
            } else {
                format!("segment {i} is missing")
            };
            return Err(corrupt(seg, "segment number", why));
        }
        if u64::from(e.first_block) != next_block {
            return Err(corrupt(
                seg,
                "first block",
                format!(
                    "{}, expected {next_block} (where the previous segment ends)",
                    e.first_block
                ),
            ));
        }
        next_block += u64::from(e.blocks());
    }
    let total = u64::from(first.total_blocks);
    if next_block != total {
        let why = if next_block < total {
            format!("the segments hold blocks 0..{next_block} of {total}: a segment is missing")
        } else {
            format!("the segments hold {next_block} blocks, more than the volume's {total}")
        };
        return Err(corrupt(s, "total blocks", why));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::tests::sys;
    use super::*;

    #[test]
    fn volume_segments() {
        let a = sys(0, 160, 800, 0, 250);
        let b = sys(1, 160, 1200, 100, 250);
        assert!(check_volume_segments(&[&a, &b]).is_ok());
        assert!(check_volume_segments(&[&b, &a]).is_ok(), "any order");
        assert_eq!(check_volume_segments(&[]).unwrap_err().field(), "segments");
        let e = check_volume_segments(&[&a]).unwrap_err();
        assert_eq!((e.field(), e.structure()), ("total blocks", "volume SYS"));
        assert!(e.to_string().contains("missing"), "{e}");
        let e = check_volume_segments(&[&b]).unwrap_err();
        assert_eq!(e.field(), "segment number");
        assert!(e.to_string().contains("segment 0 is missing"), "{e}");
        let e = check_volume_segments(&[&a, &a]).unwrap_err();
        assert!(e.to_string().contains("twice"), "{e}");
        let gap = SegmentEntry {
            first_block: 101,
            ..b.clone()
        };
        assert_eq!(
            check_volume_segments(&[&a, &gap]).unwrap_err().field(),
            "first block"
        );
        let overlap = SegmentEntry {
            first_block: 99,
            ..b.clone()
        };
        assert_eq!(
            check_volume_segments(&[&a, &overlap]).unwrap_err().field(),
            "first block"
        );
        let too_big = SegmentEntry {
            sectors: 1208,
            ..b.clone()
        };
        assert_eq!(
            check_volume_segments(&[&a, &too_big]).unwrap_err().field(),
            "total blocks"
        );
        for (field, edit) in [
            (
                "total blocks",
                (|e: &mut SegmentEntry| e.total_blocks = 251) as fn(&mut SegmentEntry),
            ),
            ("block-size code", |e| e.block_code = 32),
            ("directory block", |e| e.dir_block = 9),
            ("directory copy block", |e| e.dir_copy_block = 9),
            ("name", |e| e.name = "VOL1".into()),
        ] {
            let mut c = b.clone();
            edit(&mut c);
            assert_eq!(check_volume_segments(&[&a, &c]).unwrap_err().field(), field);
        }
    }
}
