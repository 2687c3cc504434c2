//! The verify corpus cases: the damage each one does to a formatted and
//! filled base image (see `make_base`), and, written by hand from what the
//! damage is, what `nwvol verify` must find, what `--repair` must make of
//! it and what a second verify must say.
//!
//! Findings are `CODE; KEY=VALUE; ...` with the record's stable fields:
//! `structure`, `path`, `volume`, and `member=N` (image N's path).

use super::*;

/// Cases nwvol gets wrong today: stored as `bug-NAME.txt`, which the test
/// expects to fail (and reports when one passes).
pub const KNOWN_BUGS: &[&str] = &[];

pub const CASES: &[Damage] = &[
    // ---------------------------------------------------------------
    // Undamaged, one of each base: the corpus's own control.
    Damage {
        name: "clean-single",
        what: "no damage: the filled single image (two hot-fix redirections)",
        verify: 0,
        repair: 0,
        ..D
    },
    Damage {
        name: "clean-mirror",
        base: Base::Mirror,
        what: "no damage: the filled 2-way mirror",
        verify: 0,
        repair: 0,
        ..D
    },
    Damage {
        name: "clean-mirror-no-checksums",
        base: Base::MirrorPlain,
        what: "no damage: the filled 2-way mirror without block checksums",
        verify: 0,
        repair: 0,
        ..D
    },
    // ---------------------------------------------------------------
    // MBR entry: no second copy; the device cannot be read.
    Damage {
        name: "mbr-zeroed",
        what: "the MBR sector zeroed",
        error: &["partition table"],
        apply: |m, _| zero(&mut m[0], 0, 512),
        ..GONE
    },
    Damage {
        name: "mbr-start-lba-bitflip",
        what: "bit 11 of MBR entry 1's start LBA flipped: 2048 becomes 0",
        error: &["MBR partition entry 1", "start"],
        apply: |m, _| flip(&mut m[0], 446 + 9, 3),
        ..GONE
    },
    Damage {
        name: "mbr-count-out-of-range",
        what: "MBR entry 1's sector count 100000, past the end of the 8 MiB image",
        error: &["MBR partition entry 1", "past the end"],
        apply: |m, _| put32(&mut m[0], 446 + 12, 100_000),
        ..GONE
    },
    Damage {
        name: "mbr-type-zeroed",
        what: "MBR entry 1's type byte zeroed: no NetWare partition",
        error: &["no NetWare partition"],
        apply: |m, _| m[0][446 + 4] = 0,
        ..GONE
    },
    Damage {
        name: "image-truncated-to-mbr",
        what: "the image cut to its first 512 bytes",
        error: &["past the end"],
        apply: |m, _| m[0].truncate(512),
        ..GONE
    },
    Damage {
        name: "image-random-bytes",
        what: "16 KiB of random bytes (xorshift64*, seed 0xbad)",
        error: &["MBR"],
        apply: |m, _| {
            let mut r = Rng(0xbad);
            m[0] = (0..16 * 1024).map(|_| r.next() as u8).collect();
        },
        ..GONE
    },
    Damage {
        // Left out with a warning: member 0 serves, degraded (issue 15).
        name: "mirror-member1-mbr-zeroed",
        base: Base::Mirror,
        what: "member 1's MBR sector zeroed",
        findings: &["member-missing; structure=mirror table"],
        after_findings: &["member-missing; structure=mirror table"],
        apply: |m, _| zero(&mut m[1], 0, 512),
        ..LEFT
    },
    // ---------------------------------------------------------------
    // Partition marker: one copy, checked when the partition is opened.
    Damage {
        name: "marker-zeroed",
        what: "the partition marker sector (Nw_PaRtItIoN) zeroed",
        findings: &["marker-damaged; structure=partition marker; member=0"],
        apply: |m, g| zero(&mut m[0], g.part, 512),
        ..D
    },
    Damage {
        name: "marker-text-bitflip",
        what: "one bit of the marker text flipped (Nw_PaRtItIoN becomes Nw_PaRtItIoO)",
        findings: &["marker-damaged; structure=partition marker; member=0"],
        apply: |m, g| flip(&mut m[0], g.part + 12, 0),
        ..D
    },
    Damage {
        name: "marker-count-zeroed",
        what: "the marker's partition sector count zeroed",
        findings: &["marker-damaged; structure=partition marker; member=0"],
        apply: |m, g| zero(&mut m[0], g.part + 20, 4),
        ..D
    },
    Damage {
        name: "marker-count-bitflip",
        what: "bit 16 of the marker's partition sector count flipped: it no longer equals the MBR entry's",
        findings: &["marker-damaged; structure=partition marker; member=0"],
        apply: |m, g| flip(&mut m[0], g.part + 20 + 2, 0),
        ..D
    },
    Damage {
        name: "mirror-member1-marker-zeroed",
        base: Base::Mirror,
        what: "member 1's partition marker zeroed",
        findings: &["marker-damaged; structure=partition marker; member=1"],
        apply: |m, g| zero(&mut m[1], g.part, 512),
        ..D
    },
    // ---------------------------------------------------------------
    // NWVOLEXT: one copy.
    Damage {
        name: "ext-bitflip",
        what: "one bit of the partition ID in the NWVOLEXT header flipped (CRC left)",
        error: &["nwvol extension header", "CRC"],
        apply: |m, g| flip(&mut m[0], g.part + 512 + 24, 0),
        ..GONE
    },
    Damage {
        name: "ext-write-intent-out-of-range",
        what: "the NWVOLEXT header's write-intent record placed at partition sector 9999 (CRC resealed)",
        error: &["nwvol extension header", "write-intent"],
        apply: |m, g| {
            put32(&mut m[0], g.part + 512 + 28, 9999);
            seal_sector(&mut m[0], g.part + 512);
        },
        ..GONE
    },
    Damage {
        name: "ext-version-zeroed",
        what: "the NWVOLEXT header's format version zeroed (CRC resealed)",
        error: &["nwvol extension header", "version"],
        apply: |m, g| {
            zero(&mut m[0], g.part + 512 + 8, 2);
            seal_sector(&mut m[0], g.part + 512);
        },
        ..GONE
    },
    // ---------------------------------------------------------------
    // Write-intent record: one copy per member.
    Damage {
        name: "wib-zeroed",
        what: "the write-intent header sector zeroed",
        findings: &["wib-damaged; structure=write-intent record; member=0"],
        apply: |m, g| zero(&mut m[0], g.wib(), 512),
        ..D
    },
    Damage {
        name: "wib-bitflip",
        what: "one bit of the write-intent header's chunk shift flipped (CRC left)",
        findings: &["wib-damaged; structure=write-intent record; member=0"],
        apply: |m, g| flip(&mut m[0], g.wib() + 12, 2),
        ..D
    },
    Damage {
        name: "wib-bits-out-of-range",
        what: "the write-intent header's bits in use set to 200000, past the bitmap (CRC resealed)",
        findings: &["wib-damaged; structure=write-intent record; member=0"],
        apply: |m, g| {
            put32(&mut m[0], g.wib() + 16, 200_000);
            seal_sector(&mut m[0], g.wib());
        },
        ..D
    },
    Damage {
        name: "mirror-member1-wib-zeroed",
        base: Base::Mirror,
        what: "member 1's write-intent header sector zeroed",
        findings: &["wib-damaged; structure=write-intent record; member=1"],
        apply: |m, g| zero(&mut m[1], g.wib(), 512),
        ..D
    },
    Damage {
        name: "wib-bit-set-checksum-stale",
        base: Base::Mirror,
        what: "a write cut short: on both members the write-intent bit of BIG.BIN's second block is set\n\
               and that block's checksum entry is not its CRC (the members agree on the data)",
        findings: &["checksum-stale; structure=data; path=SYS:/SUB/BIG.BIN"],
        apply: |m, g| {
            let b1 = big(&m[0], g)[1];
            let logical = g.blk(b1) - g.logical;
            let shift = le32(&m[0], g.wib() + 12);
            let bit = logical >> shift;
            for b in m.iter_mut() {
                b[g.wib() + 512 + bit / 8] |= 1 << (bit % 8);
                put32(b, g.wib() + 20, 1);
                seal_sector(b, g.wib());
                flip(b, g.sum(b1), 5);
            }
        },
        ..D
    },
    // ---------------------------------------------------------------
    // Hot-fix header copies (4 per member).
    Damage {
        name: "hotfix-copy1-zeroed",
        what: "hot-fix area copy 1 (hot-fix, mirror and table headers) zeroed",
        findings: &["header-copy-damaged; structure=hot-fix header copy 1; member=0"],
        apply: |m, g| zero(&mut m[0], g.hf(1), 3 * 512),
        ..D
    },
    Damage {
        name: "hotfix-copy2-signature-bitflip",
        what: "one bit of HOTFIX00 in hot-fix header copy 2 flipped",
        findings: &["header-copy-damaged; structure=hot-fix header copy 2; member=0"],
        apply: |m, g| flip(&mut m[0], g.hf(2) + 3, 1),
        ..D
    },
    Damage {
        name: "hotfix-copy3-redir-out-of-range",
        what: "hot-fix header copy 3's redirection sectors set to 0x100000: the logical partition would run past the partition",
        findings: &["header-copy-damaged; structure=hot-fix header copy 3; member=0"],
        apply: |m, g| put32(&mut m[0], g.hf(3) + 24, 0x10_0000),
        ..D
    },
    Damage {
        name: "hotfix-copy0-data-sectors-disagree",
        what: "hot-fix header copy 0's data sectors lowered by 8 (still valid): copies 1-3 agree on the old value",
        findings: &["header-copy-stale; structure=hot-fix header copy 0; member=0"],
        apply: |m, g| {
            let d = le32(&m[0], g.hf(0) + 20);
            put32(&mut m[0], g.hf(0) + 20, d - 8);
        },
        ..D
    },
    Damage {
        name: "hotfix-all-copies-zeroed",
        what: "all four hot-fix headers zeroed",
        error: &["hot-fix"],
        apply: |m, g| {
            for c in 0..4 {
                zero(&mut m[0], g.hf(c), 512);
            }
        },
        ..GONE
    },
    Damage {
        name: "mirror-member1-hotfix-copy2-zeroed",
        base: Base::Mirror,
        what: "member 1's hot-fix header copy 2 zeroed",
        findings: &["header-copy-damaged; structure=hot-fix header copy 2; member=1"],
        apply: |m, g| zero(&mut m[1], g.hf(2), 512),
        ..D
    },
    // ---------------------------------------------------------------
    // Mirror header copies (sector +1 of each hot-fix area).
    Damage {
        name: "mirror-hdr-copy1-zeroed",
        what: "mirror header copy 1 zeroed",
        findings: &["header-copy-damaged; structure=hot-fix header copy 1; member=0"],
        apply: |m, g| zero(&mut m[0], g.mir(1), 512),
        ..D
    },
    Damage {
        name: "mirror-hdr-copy2-bitflip",
        what: "one bit of the group ID in mirror header copy 2 flipped (CRC left)",
        findings: &["header-copy-damaged; structure=hot-fix header copy 2; member=0"],
        apply: |m, g| flip(&mut m[0], g.mir(2) + 76, 4),
        ..D
    },
    Damage {
        name: "mirror-hdr-copy3-slots-out-of-range",
        what: "mirror header copy 3's slot count set to 9, past the 8 slots (CRC resealed)",
        findings: &["header-copy-damaged; structure=hot-fix header copy 3; member=0"],
        apply: |m, g| {
            put32(&mut m[0], g.mir(3) + 88, 9);
            seal_sector(&mut m[0], g.mir(3));
        },
        ..D
    },
    Damage {
        name: "mirror-hdr-copy3-event-older",
        what: "mirror header copy 3's event counter one lower than the other copies' (CRC resealed)",
        findings: &["header-copy-stale; structure=hot-fix header copy 3; member=0"],
        apply: |m, g| {
            let e = le32(&m[0], g.mir(3) + 80);
            put32(&mut m[0], g.mir(3) + 80, e - 1);
            seal_sector(&mut m[0], g.mir(3));
        },
        ..D
    },
    Damage {
        name: "mirror-member1-hdr-copy2-id-twice",
        base: Base::Mirror,
        what: "member 1's mirror header copy 2 lists member 0's partition ID in slot 1 too (at 36 and in\n\
               the slot's record; CRC resealed)",
        findings: &["header-copy-damaged; structure=hot-fix header copy 2; member=1"],
        apply: |m, g| {
            let b = &mut m[1];
            let id0 = le32(b, g.mir(2) + 32);
            put32(b, g.mir(2) + 36, id0);
            put32(b, g.mir(2) + 96 + 32, id0);
            seal_sector(b, g.mir(2));
        },
        ..D
    },
    Damage {
        name: "mirror-member0-hdr-copy0-zeroed",
        base: Base::Mirror,
        what: "member 0's mirror header copy 0 zeroed",
        findings: &["header-copy-damaged; structure=hot-fix header copy 0; member=0"],
        apply: |m, g| zero(&mut m[0], g.mir(0), 512),
        ..D
    },
    // ---------------------------------------------------------------
    // Hot-fix table (header sector +2 and the table regions); the single
    // image has two redirected units.
    Damage {
        name: "hotfix-table-copy1-region-zeroed",
        what: "hot-fix table region 1 (two entries) zeroed",
        findings: &["hotfix-table-bad; structure=hot-fix table copy 1; member=0"],
        apply: |m, g| zero(&mut m[0], g.region(1), 512),
        ..D
    },
    Damage {
        name: "hotfix-table-copy1-header-bitflip",
        what: "one bit of hot-fix table header copy 1's entry count flipped (CRC left): the table header\n\
               is sector +2 of hot-fix area copy 1, so the copy does not decode",
        findings: &["header-copy-damaged; structure=hot-fix header copy 1; member=0"],
        apply: |m, g| flip(&mut m[0], g.hft(1) + 20, 2),
        ..D
    },
    Damage {
        name: "hotfix-table-copy2-slot-out-of-range",
        what: "hot-fix table copy 2's first entry names pool slot 999, past the pool (CRCs resealed)\n\
               (the table header holds the entries' CRC, so the hot-fix area copy differs from the copy in use)",
        findings: &["header-copy-stale; structure=hot-fix header copy 2; member=0"],
        apply: |m, g| {
            put32(&mut m[0], g.region(2) + 4, 999);
            seal_table(&mut m[0], g, 2);
        },
        ..D
    },
    Damage {
        name: "hotfix-table-copy2-unit-out-of-range",
        what: "hot-fix table copy 2's last entry names a logical sector past the logical partition (CRCs resealed)\n\
               (the table header holds the entries' CRC, so the hot-fix area copy differs from the copy in use)",
        findings: &["header-copy-stale; structure=hot-fix header copy 2; member=0"],
        apply: |m, g| {
            put32(&mut m[0], g.region(2) + 8, g.data_sectors + 8);
            seal_table(&mut m[0], g, 2);
        },
        ..D
    },
    Damage {
        name: "hotfix-table-copy3-slot-twice",
        what: "hot-fix table copy 3's two entries name the same pool slot (cross-linked; CRCs resealed)\n\
               (the table header holds the entries' CRC, so the hot-fix area copy differs from the copy in use)",
        findings: &["header-copy-stale; structure=hot-fix header copy 3; member=0"],
        apply: |m, g| {
            let s = le32(&m[0], g.region(3) + 4);
            put32(&mut m[0], g.region(3) + 12, s);
            seal_table(&mut m[0], g, 3);
        },
        ..D
    },
    Damage {
        name: "hotfix-table-copy3-unit-twice",
        what: "hot-fix table copy 3's two entries name the same logical unit (looped; CRCs resealed)\n\
               (the table header holds the entries' CRC, so the hot-fix area copy differs from the copy in use)",
        findings: &["header-copy-stale; structure=hot-fix header copy 3; member=0"],
        apply: |m, g| {
            let u = le32(&m[0], g.region(3));
            put32(&mut m[0], g.region(3) + 8, u);
            seal_table(&mut m[0], g, 3);
        },
        ..D
    },
    Damage {
        name: "hotfix-table-copy1-truncated",
        what: "hot-fix table copy 1 cut to its first entry (count 1, second entry zeroed, CRCs resealed):\n\
               it disagrees with the table in use\n\
               (the table header holds the entries' CRC, so the hot-fix area copy differs from the copy in use)",
        findings: &["header-copy-stale; structure=hot-fix header copy 1; member=0"],
        apply: |m, g| {
            put32(&mut m[0], g.hft(1) + 20, 1);
            zero(&mut m[0], g.region(1) + 8, 8);
            seal_table(&mut m[0], g, 1);
        },
        ..D
    },
    Damage {
        name: "hotfix-table-copy0-region-zeroed",
        what: "hot-fix table region 0 (the copy read first) zeroed: copies 1-3 hold the table",
        findings: &["hotfix-table-bad; structure=hot-fix table copy 0; member=0"],
        apply: |m, g| zero(&mut m[0], g.region(0), 512),
        ..D
    },
    // ---------------------------------------------------------------
    // Volume table copies and the nwvol extension record.
    Damage {
        name: "voltab-copy1-zeroed",
        what: "volume table copy 1 (16 KiB) zeroed",
        findings: &["voltab-copy-damaged; structure=volume table copy 1"],
        apply: |m, g| zero(&mut m[0], g.vt(1), 16384),
        ..D
    },
    Damage {
        name: "voltab-copy2-bitflip",
        what: "one bit of segment entry 0's total blocks in volume table copy 2 flipped (CRC left)",
        findings: &["voltab-copy-damaged; structure=volume table copy 2"],
        apply: |m, g| flip(&mut m[0], g.vt(2) + 32 + 32, 6),
        ..D
    },
    Damage {
        name: "voltab-copy0-dir-out-of-range",
        what: "volume table copy 0's directory block set past the volume (CRCs resealed)",
        findings: &["voltab-copy-damaged; structure=volume table copy 0"],
        apply: |m, g| {
            put32(&mut m[0], g.vt(0) + 32 + 48, g.total + 100);
            seal_voltab(&mut m[0], g, 0);
        },
        ..D
    },
    Damage {
        name: "voltab-copy3-disagrees",
        what: "volume table copy 3's segment entry has its unknown u32 at 56 set to 1 (CRCs resealed):\n\
               valid, but copies 0-2 agree on 0",
        findings: &["voltab-copy-stale; structure=volume table copy 3"],
        apply: |m, g| {
            put32(&mut m[0], g.vt(3) + 32 + 56, 1);
            seal_voltab(&mut m[0], g, 3);
        },
        ..D
    },
    Damage {
        name: "voltab-copies-2-against-2",
        what: "volume table copies 0 and 1 have the segment entry's unknown u32 at 56 set to 1 (CRCs\n\
               resealed): two valid copies against two, no majority",
        findings: &["voltab-copy-stale"],
        apply: |m, g| {
            for c in [0, 1] {
                put32(&mut m[0], g.vt(c) + 32 + 56, 1);
                seal_voltab(&mut m[0], g, c);
            }
        },
        after_findings: &["voltab-copy-stale"],
        ..LEFT
    },
    Damage {
        name: "voltab-all-dir-out-of-range",
        what: "the directory block set past the volume in all four volume table copies (CRCs resealed)",
        error: &["directory block"],
        apply: |m, g| {
            for c in 0..4 {
                put32(&mut m[0], g.vt(c) + 32 + 48, g.total + 100);
                seal_voltab(&mut m[0], g, c);
            }
        },
        ..GONE
    },
    Damage {
        name: "voltab-ext-record-zeroed-copy1",
        what: "volume table copy 1's block-checksums extension record zeroed (CRCs resealed)",
        findings: &["voltab-copy-damaged; structure=volume table copy 1"],
        apply: |m, g| {
            zero(&mut m[0], g.vt(1) + 8224, 64);
            seal_voltab(&mut m[0], g, 1);
        },
        ..D
    },
    Damage {
        name: "voltab-ext-record-bitflip-copy2",
        what: "one bit of volume table copy 2's extension record (its kind) flipped (CRC left)",
        findings: &["voltab-copy-damaged; structure=volume table copy 2"],
        apply: |m, g| flip(&mut m[0], g.vt(2) + 8224 + 20, 1),
        ..D
    },
    Damage {
        name: "voltab-ext-record-twice-copy3",
        what: "volume table copy 3 holds its extension record twice (record count 2, CRCs resealed)",
        findings: &["voltab-copy-damaged; structure=volume table copy 3"],
        apply: |m, g| {
            let t = g.vt(3);
            let rec: Vec<u8> = m[0][t + 8224..t + 8288].to_vec();
            m[0][t + 8288..t + 8352].copy_from_slice(&rec);
            put32(&mut m[0], t + 8208, 2);
            seal_voltab(&mut m[0], g, 3);
        },
        ..D
    },
    Damage {
        name: "voltab-ext-record-unknown-volume-copy0",
        what: "volume table copy 0's extension record names volume SYX, which has no segment (CRCs resealed)",
        findings: &["voltab-copy-damaged; structure=volume table copy 0"],
        apply: |m, g| {
            m[0][g.vt(0) + 8224 + 3] = b'X';
            seal_voltab(&mut m[0], g, 0);
        },
        ..D
    },
    Damage {
        name: "voltab-ext-truncated-all",
        what: "the extension record dropped from all four copies (record count 0, version 1, CRCs\n\
               resealed): the volume no longer keeps checksums, so the checksum fragment's chain is\n\
               used blocks that belong to no structure",
        findings: &["lost-chain; structure=FAT"],
        apply: |m, g| {
            for c in 0..4 {
                let t = g.vt(c);
                put32(&mut m[0], t + 8200, 1);
                put32(&mut m[0], t + 8208, 0);
                zero(&mut m[0], t + 8224, 64);
                seal_voltab(&mut m[0], g, c);
            }
        },
        ..D
    },
    Damage {
        name: "mirror-member1-voltab-copy2-zeroed",
        base: Base::Mirror,
        what: "volume table copy 2 zeroed on member 1 only: the members diverge there, and copies 0, 1, 3\n\
               (on both) say what copy 2 must hold",
        findings: &["mirror-diverges; structure=volume tables"],
        apply: |m, g| zero(&mut m[1], g.vt(2), 16384),
        ..D
    },
    // ---------------------------------------------------------------
    // FAT and FAT copy.
    Damage {
        name: "fat-block0-zeroed",
        what: "the FAT's first block zeroed (bit rot: its checksum fails; the FAT copy is intact)",
        findings: &[
            "checksum-mismatch; structure=FAT",
            "fat-copy-differs; structure=FAT",
        ],
        apply: |m, g| zero(&mut m[0], g.blk(0), g.bs),
        ..D
    },
    Damage {
        name: "fat-copy-block0-zeroed",
        what: "the FAT copy's first block zeroed (bit rot: its checksum fails; the FAT is intact)",
        findings: &[
            "checksum-mismatch; structure=FAT copy",
            "fat-copy-differs; structure=FAT copy",
        ],
        apply: |m, g| zero(&mut m[0], g.blk(g.fat_blocks), g.bs),
        ..D
    },
    Damage {
        name: "fat-entry-bitflip-fat-only",
        what: "bit 0 of the next block in BIG.BIN's second FAT entry flipped in the FAT only (checksum resealed)",
        findings: &["fat-copy-differs; structure=FAT"],
        apply: |m, g| {
            let b1 = big(&m[0], g)[1];
            flip(&mut m[0], g.fat(b1) + 4, 0);
            reseal(&mut m[0], g, 0);
        },
        ..D
    },
    Damage {
        name: "fat-copy-lost-entry",
        what: "a free block's entry in the FAT copy only set to a used end of chain (checksum resealed):\n\
               no chain reaches it, so the FAT's free entry wins",
        findings: &["fat-copy-differs; structure=FAT copy"],
        apply: |m, g| {
            let f = g.free_block();
            put32(&mut m[0], g.fatc(f) + 4, u32::MAX);
            reseal(&mut m[0], g, g.fat_blocks);
        },
        ..D
    },
    Damage {
        name: "fat-chain-loop",
        what: "BIG.BIN's last block points back at its first, in both FAT copies (sealed)",
        findings: &["chain-loop; structure=FAT chain; path=SYS:/SUB/BIG.BIN"],
        apply: |m, g| {
            let c = big(&m[0], g);
            set_next(&mut m[0], g, c[2], c[0]);
        },
        ..D
    },
    Damage {
        name: "fat-chain-loop-self",
        what: "BIG.BIN's second block points at itself, in both FAT copies (sealed): the chain ends there,\n\
               one block short, and the third block is lost",
        findings: &[
            "chain-loop; structure=FAT chain; path=SYS:/SUB/BIG.BIN",
            "chain-short; structure=FAT chain; path=SYS:/SUB/BIG.BIN",
            "lost-chain; structure=FAT",
        ],
        apply: |m, g| {
            let c = big(&m[0], g);
            set_next(&mut m[0], g, c[1], c[1]);
        },
        ..D
    },
    Damage {
        name: "fat-next-out-of-range",
        what: "BIG.BIN's first block names block total+5 as next, in both FAT copies (sealed)",
        findings: &[
            "fat-entry-bad; structure=FAT chain; path=SYS:/SUB/BIG.BIN",
            "chain-short; structure=FAT chain; path=SYS:/SUB/BIG.BIN",
            "lost-chain; structure=FAT",
        ],
        apply: |m, g| {
            let c = big(&m[0], g);
            set_next(&mut m[0], g, c[0], g.total + 5);
        },
        ..D
    },
    Damage {
        name: "fat-next-free-block",
        what: "BIG.BIN's second block names a free block as next, in both FAT copies (sealed)",
        findings: &[
            "chain-free-block; structure=FAT chain; path=SYS:/SUB/BIG.BIN",
            "chain-short; structure=FAT chain; path=SYS:/SUB/BIG.BIN",
            "lost-chain; structure=FAT",
        ],
        apply: |m, g| {
            let c = big(&m[0], g);
            set_next(&mut m[0], g, c[1], g.free_block());
        },
        ..D
    },
    Damage {
        name: "fat-entry-zeroed",
        what: "BIG.BIN's second block's FAT entry zeroed (free) in both FAT copies (sealed)",
        findings: &[
            "chain-free-block; structure=FAT chain; path=SYS:/SUB/BIG.BIN",
            "chain-short; structure=FAT chain; path=SYS:/SUB/BIG.BIN",
            "lost-chain; structure=FAT",
        ],
        apply: |m, g| {
            let c = big(&m[0], g);
            set_fat(&mut m[0], g, c[1], 0, 0);
        },
        ..D
    },
    Damage {
        name: "fat-sequence-bitflip",
        what: "bit 2 of BIG.BIN's second block's sequence number flipped in both FAT copies (sealed)",
        findings: &["chain-sequence; structure=FAT chain; path=SYS:/SUB/BIG.BIN"],
        apply: |m, g| {
            let c = big(&m[0], g);
            set_fat(&mut m[0], g, c[1], 1 ^ 4, c[2]);
        },
        ..D
    },
    Damage {
        name: "fat-chain-truncated",
        what: "BIG.BIN's chain ends at its second block in both FAT copies (sealed): one block short,\n\
               the third block lost",
        findings: &[
            "chain-short; structure=FAT chain; path=SYS:/SUB/BIG.BIN",
            "lost-chain; structure=FAT",
        ],
        apply: |m, g| {
            let c = big(&m[0], g);
            set_next(&mut m[0], g, c[1], u32::MAX);
        },
        ..D
    },
    Damage {
        name: "fat-chain-too-long",
        what: "SMALL.TXT's one block continues into a free block (sequence 1, end), in both FAT copies (sealed)",
        findings: &["chain-long; structure=FAT chain; path=SYS:/SMALL.TXT"],
        apply: |m, g| {
            let s = small(&m[0], g);
            let f = g.free_block();
            set_fat(&mut m[0], g, f, 1, u32::MAX);
            set_next(&mut m[0], g, s, f);
        },
        ..D
    },
    Damage {
        name: "fat-cross-link-live-files",
        what: "the long-named file's one block continues into BIG.BIN's third block (both FAT copies,\n\
               sealed): two live files share a block; which one owns it cannot be told",
        findings: &["cross-link; structure=FAT"],
        after_findings: &["cross-link; structure=FAT"],
        apply: |m, g| {
            let l = longf(&m[0], g);
            let c = big(&m[0], g);
            set_next(&mut m[0], g, l, c[2]);
        },
        ..LEFT
    },
    Damage {
        name: "fat-cross-link-deleted-file",
        what: "the deleted DEL.TXT's entry names SMALL.TXT's block as its first (both directory copies,\n\
               sealed): the deleted file is dropped, its own old block is lost",
        findings: &["cross-link; structure=FAT", "lost-chain; structure=FAT"],
        apply: |m, g| {
            let s = small(&m[0], g);
            let i = g.idx("DEL.TXT");
            set_ent(&mut m[0], g, i, 52, &s.to_le_bytes(), 2);
        },
        ..D
    },
    Damage {
        name: "fat-first-block-out-of-range",
        what: "SMALL.TXT's first block set past the volume in both directory copies (sealed): the file\n\
               becomes empty, its block lost",
        findings: &[
            "chain-out-of-range; structure=FAT chain; path=SYS:/SMALL.TXT",
            "chain-short; structure=FAT chain; path=SYS:/SMALL.TXT",
            "lost-chain; structure=FAT",
        ],
        apply: |m, g| {
            let i = g.idx("SMALL.TXT");
            set_ent(&mut m[0], g, i, 52, &(g.total + 100).to_le_bytes(), 2);
        },
        ..D
    },
    Damage {
        name: "fat-lost-chain",
        what: "a free block marked used (sequence 0, end of chain) in both FAT copies (sealed)",
        findings: &["lost-chain; structure=FAT"],
        apply: |m, g| {
            let f = g.free_block();
            set_fat(&mut m[0], g, f, 0, u32::MAX);
        },
        ..D
    },
    Damage {
        name: "fat-fragment-chain-entry-zeroed",
        what: "the FAT entry of the FAT fragment's second block zeroed in both copies (sealed): the\n\
               fragment is not recorded as its chain",
        findings: &["fat-chain-bad; structure=FAT of segment 0"],
        apply: |m, g| set_fat(&mut m[0], g, 1, 0, 0),
        ..D
    },
    Damage {
        name: "fat-copy-fragment-chain-loop",
        what: "the FAT copy fragment's second block points back at its first, in both FAT copies (sealed)",
        findings: &["fat-chain-bad; structure=FAT copy of segment 0"],
        apply: |m, g| {
            let f = g.fat_blocks;
            set_next(&mut m[0], g, f + 1, f);
        },
        ..D
    },
    Damage {
        name: "mirror-member1-fat-block0-zeroed",
        base: Base::Mirror,
        what: "the FAT's first block zeroed on member 1 only: its checksum fails there, member 0's passes",
        findings: &["checksum-mismatch; structure=FAT; member=1"],
        apply: |m, g| zero(&mut m[1], g.blk(0), g.bs),
        ..D
    },
    Damage {
        name: "mirror-plain-member1-fat-entry-bitflip",
        base: Base::MirrorPlain,
        what: "one bit of BIG.BIN's first FAT entry flipped on member 1 only, no checksums: a 2-way\n\
               divergence nothing decides",
        findings: &["mirror-diverges; structure=FAT"],
        after_findings: &["mirror-diverges; structure=FAT"],
        apply: |m, g| {
            let c = big(&m[0], g);
            flip(&mut m[1], g.fat(c[0]) + 4, 0);
        },
        ..LEFT
    },
    // ---------------------------------------------------------------
    // Checksum fragment.
    Damage {
        name: "checksum-fragment-zeroed",
        what: "the checksum fragment's blocks zeroed: every entry reads \"no checksum recorded\", which\n\
               the format allows; nothing is left to find",
        verify: 0,
        repair: 0,
        apply: |m, g| {
            let at = g.blk(2 * g.fat_blocks);
            zero(&mut m[0], at, g.sum_blocks as usize * g.bs);
        },
        ..D
    },
    Damage {
        name: "checksum-entry-bitflip",
        what: "one bit of BIG.BIN's second block's checksum entry flipped: the data no longer matches\n\
               it, and with one copy nothing says which is wrong",
        findings: &["checksum-mismatch; structure=data; path=SYS:/SUB/BIG.BIN"],
        after_findings: &["checksum-mismatch; structure=data; path=SYS:/SUB/BIG.BIN"],
        apply: |m, g| {
            let c = big(&m[0], g);
            flip(&mut m[0], g.sum(c[1]), 3);
        },
        ..LEFT
    },
    Damage {
        name: "checksum-fragment-chain-bad",
        what: "bit 0 of the checksum fragment's first block's sequence number set, in both FAT copies (sealed)",
        findings: &["fat-chain-bad; structure=checksums of segment 0"],
        apply: |m, g| {
            let b = 2 * g.fat_blocks;
            let next = le32(&m[0], g.fat(b) + 4);
            set_fat(&mut m[0], g, b, 1, next);
        },
        ..D
    },
    Damage {
        name: "mirror-member1-checksum-entry-bitflip",
        base: Base::Mirror,
        what: "one bit of BIG.BIN's second block's checksum entry flipped on member 1 only",
        findings: &["mirror-diverges; structure=checksums"],
        apply: |m, g| {
            let c = big(&m[0], g);
            flip(&mut m[1], g.sum(c[1]), 3);
        },
        ..D
    },
    // ---------------------------------------------------------------
    // Directory table and its copy.
    Damage {
        name: "dir-block-zeroed",
        what: "the directory table's block zeroed (bit rot: its checksum fails; the copy is intact)",
        findings: &[
            "checksum-mismatch; structure=directory table",
            "dir-copy-differs; structure=directory table",
        ],
        apply: |m, g| zero(&mut m[0], g.blk(g.dir), g.bs),
        ..D
    },
    Damage {
        name: "dir-copy-block-zeroed",
        what: "the directory table copy's block zeroed (bit rot: its checksum fails; the table is intact)",
        findings: &[
            "checksum-mismatch; structure=directory table copy",
            "dir-copy-differs; structure=directory table copy",
        ],
        apply: |m, g| zero(&mut m[0], g.blk(g.dircopy), g.bs),
        ..D
    },
    Damage {
        name: "dir-copy-entry-bitflip",
        what: "bit 5 of BIG.BIN's name in the directory copy flipped (B becomes b: not a DOS name; sealed)",
        findings: &["dir-copy-differs; structure=directory table copy; path=SYS:/SUB/BIG.BIN"],
        apply: |m, g| {
            let i = g.idx("BIG.BIN");
            let c = m[0][g.entc(i) + 12] ^ 0x20;
            set_ent(&mut m[0], g, i, 12, &[c], 1);
        },
        ..D
    },
    Damage {
        name: "dir-copies-disagree-timestamp",
        what: "SMALL.TXT's modification time one step later in the directory copy (sealed): both\n\
               entries are consistent, nothing says which is right",
        findings: &["dir-copy-differs"],
        after_findings: &["dir-copy-differs"],
        apply: |m, g| {
            let i = g.idx("SMALL.TXT");
            let t = le32(&m[0], g.entc(i) + 40) + 1;
            set_ent(&mut m[0], g, i, 40, &t.to_le_bytes(), 1);
        },
        ..LEFT
    },
    Damage {
        name: "dir-copy-chain-longer",
        what: "the directory copy's chain continues into a second block of free entries (both FAT\n\
               copies, sealed): table and copy differ in length",
        findings: &["dir-copy-length; structure=directory table copy"],
        after_findings: &["dir-copy-length; structure=directory table copy"],
        apply: |m, g| {
            let f = g.free_block();
            let at = g.blk(f);
            for i in 0..g.bs / 128 {
                put32(&mut m[0], at + 128 * i, u32::MAX);
            }
            reseal(&mut m[0], g, f);
            set_fat(&mut m[0], g, f, 1, u32::MAX);
            set_next(&mut m[0], g, g.dircopy, f);
        },
        ..LEFT
    },
    Damage {
        name: "dir-chain-loop",
        what: "the directory table's block points at itself in both FAT copies (sealed)",
        findings: &["chain-loop; structure=directory table"],
        apply: |m, g| set_next(&mut m[0], g, g.dir, g.dir),
        ..D
    },
    Damage {
        name: "dir-chain-next-out-of-range",
        what: "the directory copy's block names block total+5 as next, in both FAT copies (sealed)",
        findings: &["fat-entry-bad; structure=directory table copy"],
        apply: |m, g| set_next(&mut m[0], g, g.dircopy, g.total + 5),
        ..D
    },
    Damage {
        name: "dir-orphan",
        what: "BIG.BIN's parent directory ID set to 999, no directory (both copies, sealed)",
        findings: &["orphan-entry; structure=directory table"],
        apply: |m, g| {
            let i = g.idx("BIG.BIN");
            set_ent(&mut m[0], g, i, 0, &999u32.to_le_bytes(), 2);
        },
        ..D
    },
    Damage {
        name: "dir-cycle",
        what: "SUB's parent set to SUB itself (both copies, sealed): a directory that does not reach the root",
        findings: &["dir-cycle; structure=directory table"],
        apply: |m, g| {
            let i = g.idx("SUB");
            set_ent(&mut m[0], g, i, 0, &(i as u32).to_le_bytes(), 2);
        },
        ..D
    },
    Damage {
        name: "dir-duplicate-name",
        what: "directory SUB renamed SMALL.TXT in both copies (sealed): two live entries of the root\n\
               with one name",
        findings: &["duplicate-name; structure=directory table"],
        apply: |m, g| {
            let i = g.idx("SUB");
            let mut name = [0u8; 13];
            name[0] = 9;
            name[1..10].copy_from_slice(b"SMALL.TXT");
            set_ent(&mut m[0], g, i, 11, &name, 2);
        },
        ..D
    },
    Damage {
        name: "dir-id-zero",
        what: "SUB's directory ID set to 0, the root's (both copies, sealed)",
        findings: &[
            "dir-id-bad; structure=directory table; path=SYS:/SUB",
            "orphan-entry; structure=directory table",
        ],
        after_findings: &["dir-id-bad; structure=directory table; path=SYS:/SUB"],
        apply: |m, g| {
            let i = g.idx("SUB");
            set_ent(&mut m[0], g, i, 120, &0u32.to_le_bytes(), 2);
        },
        ..LEFT
    },
    Damage {
        name: "dir-entry-damaged-both",
        what: "SMALL.TXT's name length zeroed in both copies (sealed): the entry decodes in neither, and\n\
               its block, which may be its, is not reclaimed",
        findings: &[
            "dir-entry-damaged; structure=directory table",
            "lost-chain; structure=FAT",
        ],
        after_findings: &[
            "dir-entry-damaged; structure=directory table",
            "lost-chain; structure=FAT",
        ],
        apply: |m, g| {
            let i = g.idx("SMALL.TXT");
            set_ent(&mut m[0], g, i, 11, &[0], 2);
        },
        ..LEFT
    },
    Damage {
        name: "dir-entry0-zeroed",
        what: "entry 0 (the volume information entry) zeroed in both copies (sealed)",
        findings: &["dir-entry-damaged; structure=directory table"],
        after_findings: &["dir-entry-damaged; structure=directory table"],
        apply: |m, g| set_ent(&mut m[0], g, 0, 0, &[0; 128], 2),
        ..LEFT
    },
    Damage {
        name: "mirror-member0-dir-entry-bitflip",
        base: Base::Mirror,
        what: "one bit of BIG.BIN's size in the directory table flipped on member 0 only",
        findings: &["checksum-mismatch; structure=directory table; member=0"],
        apply: |m, g| {
            let i = g.idx("BIG.BIN");
            flip(&mut m[0], g.ent(i) + 49, 0);
        },
        ..D
    },
    // ---------------------------------------------------------------
    // Long-name records.
    Damage {
        name: "long-name-record-bitflip",
        what: "one bit of the long name's first record's name piece flipped in both copies (its CRC\n\
               fails; checksums resealed): the record is freed, and so the name's other record",
        findings: &[
            "dir-entry-damaged; structure=directory table",
            "long-name-bad; structure=directory table",
        ],
        apply: |m, g| {
            let r = g.long[0];
            flip(&mut m[0], g.ent(r) + 40, 1);
            flip(&mut m[0], g.entc(r) + 40, 1);
            reseal(&mut m[0], g, g.dir);
            reseal(&mut m[0], g, g.dircopy);
        },
        ..D
    },
    Damage {
        name: "long-name-points-out-of-range",
        what: "both long-name records name entry 9999, past the table (CRCs sealed)",
        findings: &["long-name-stale; structure=directory table"],
        apply: |m, g| {
            for &r in &g.long {
                put32(&mut m[0], g.ent(r) + 4, 9999);
                put32(&mut m[0], g.entc(r) + 4, 9999);
                seal_long(&mut m[0], g, r);
            }
        },
        ..D
    },
    Damage {
        name: "long-name-alias-disagrees",
        what: "both long-name records' alias changed to OTHER.TXT (CRCs sealed): they no longer name\n\
               their entry",
        findings: &["long-name-stale; structure=directory table"],
        apply: |m, g| {
            for &r in &g.long {
                for at in [g.ent(r), g.entc(r)] {
                    m[0][at + 12..at + 24].fill(0);
                    m[0][at + 12..at + 21].copy_from_slice(b"OTHER.TXT");
                }
                seal_long(&mut m[0], g, r);
            }
        },
        ..D
    },
    Damage {
        name: "long-name-sequence-twice",
        what: "the long name's second record says it is record 0 too (CRCs sealed): a piece repeated,\n\
               one missing; record 0 must hold 96 bytes of the name, so the record itself does not decode",
        findings: &[
            "dir-entry-damaged; structure=directory table",
            "long-name-bad; structure=directory table",
        ],
        apply: |m, g| {
            let r = g.long[1];
            m[0][g.ent(r) + 8] = 0;
            m[0][g.entc(r) + 8] = 0;
            seal_long(&mut m[0], g, r);
        },
        ..D
    },
    Damage {
        name: "long-name-record-zeroed",
        what: "the long name's second record zeroed in both copies (sealed): a zero entry is a root\n\
               file with no name, damaged; the first record alone is not a name",
        findings: &[
            "dir-entry-damaged; structure=directory table",
            "long-name-bad; structure=directory table",
        ],
        repair: 4,
        after: 4,
        after_findings: &["dir-entry-damaged; structure=directory table"],
        apply: |m, g| {
            let r = g.long[1];
            set_ent(&mut m[0], g, r, 0, &[0; 128], 2);
        },
        ..D
    },
    Damage {
        name: "long-name-copy-differs",
        what: "one bit of the long name's first record flipped in the directory copy only (sealed checksums)",
        findings: &["dir-copy-differs; structure=directory table copy"],
        apply: |m, g| {
            let r = g.long[0];
            flip(&mut m[0], g.entc(r) + 40, 1);
            reseal(&mut m[0], g, g.dircopy);
        },
        ..D
    },
    // ---------------------------------------------------------------
    // Data blocks.
    Damage {
        name: "data-bitflip-single",
        what: "one bit of BIG.BIN's second block flipped: its checksum fails and there is no other copy",
        findings: &["checksum-mismatch; structure=data; path=SYS:/SUB/BIG.BIN"],
        after_findings: &["checksum-mismatch; structure=data; path=SYS:/SUB/BIG.BIN"],
        apply: |m, g| {
            let c = big(&m[0], g);
            flip(&mut m[0], g.blk(c[1]) + 700, 0);
        },
        ..LEFT
    },
    Damage {
        name: "data-zeroed-single",
        what: "SMALL.TXT's block zeroed: its checksum fails and there is no other copy: lost",
        findings: &["lost; structure=data; path=SYS:/SMALL.TXT"],
        after_findings: &["lost; structure=data; path=SYS:/SMALL.TXT"],
        apply: |m, g| {
            let s = small(&m[0], g);
            zero(&mut m[0], g.blk(s), g.bs);
        },
        ..LEFT
    },
    Damage {
        name: "mirror-member1-data-bitflip",
        base: Base::Mirror,
        what: "one bit of BIG.BIN's second block flipped on member 1",
        findings: &["checksum-mismatch; structure=data; path=SYS:/SUB/BIG.BIN; member=1"],
        apply: |m, g| {
            let c = big(&m[0], g);
            flip(&mut m[1], g.blk(c[1]) + 700, 0);
        },
        ..D
    },
    Damage {
        name: "mirror-member0-data-zeroed",
        base: Base::Mirror,
        what: "BIG.BIN's first block zeroed on member 0",
        findings: &["checksum-mismatch; structure=data; path=SYS:/SUB/BIG.BIN; member=0"],
        apply: |m, g| {
            let c = big(&m[0], g);
            zero(&mut m[0], g.blk(c[0]), g.bs);
        },
        ..D
    },
    Damage {
        name: "mirror-both-members-data-bitflip",
        base: Base::Mirror,
        what: "BIG.BIN's third block damaged differently on each member: neither copy passes the checksum",
        findings: &["mirror-diverges; structure=data; path=SYS:/SUB/BIG.BIN"],
        after_findings: &["mirror-diverges; structure=data; path=SYS:/SUB/BIG.BIN"],
        apply: |m, g| {
            let c = big(&m[0], g);
            flip(&mut m[0], g.blk(c[2]) + 10, 0);
            flip(&mut m[1], g.blk(c[2]) + 20, 0);
        },
        ..LEFT
    },
    Damage {
        name: "mirror-plain-member1-data-bitflip",
        base: Base::MirrorPlain,
        what: "one bit of BIG.BIN's second block flipped on member 1, no checksums: a 2-way divergence\n\
               nothing decides",
        findings: &["mirror-diverges; structure=data; path=SYS:/SUB/BIG.BIN"],
        after_findings: &["mirror-diverges; structure=data; path=SYS:/SUB/BIG.BIN"],
        apply: |m, g| {
            let c = big(&m[0], g);
            flip(&mut m[1], g.blk(c[1]) + 700, 0);
        },
        ..LEFT
    },
    // ---------------------------------------------------------------
    // Truncated images.
    Damage {
        name: "mirror-member1-truncated",
        base: Base::Mirror,
        what: "member 1's image cut to 6 MiB (free volume blocks at its end lost)",
        findings: &["member-truncated; member=1"],
        apply: |m, _| m[1].truncate(6 << 20),
        ..D
    },
    Damage {
        name: "single-truncated",
        what: "the single image cut to 4 MiB: the volume's free blocks past that are lost, the files\n\
               and structures are before it; verify cannot open it until --repair gives the length back",
        verify: 8,
        error: &["truncated", "--repair"],
        findings: &["member-truncated; member=0"],
        apply: |m, _| m[0].truncate(4 << 20),
        ..D
    },
];
