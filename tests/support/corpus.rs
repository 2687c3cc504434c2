//! The text encoding of the damaged-image corpora (tests/corpus/README.md):
//! sparse images as `OFFSET HEX` lines, and the small helpers both
//! generators use to damage bytes.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::Path;

use super::{poke, sparse};

/// Shorter zero runs than this stay inside a span of a corpus file.
const ZERO_GAP: usize = 16;

/// The `OFFSET HEX` lines of an image: one line per run of non-zero bytes
/// inside a 512-byte sector (zero runs shorter than `ZERO_GAP` stay inside
/// the run), never across a sector boundary.
pub fn encode_spans(bytes: &[u8]) -> String {
    let mut t = String::new();
    for (si, sector) in bytes.chunks(512).enumerate() {
        let mut i = 0;
        while i < sector.len() {
            if sector[i] == 0 {
                i += 1;
                continue;
            }
            let start = i;
            let mut end = i + 1;
            let mut j = end;
            while j < sector.len() && j < end + ZERO_GAP {
                if sector[j] != 0 {
                    end = j + 1;
                }
                j += 1;
            }
            write!(t, "{:08x} ", si * 512 + start).unwrap();
            for b in &sector[start..end] {
                write!(t, "{b:02x}").unwrap();
            }
            t.push('\n');
            i = end;
        }
    }
    t
}

/// One `OFFSET HEX` line, decoded; `what` names it in a panic.
pub fn parse_span(line: &str, what: &str) -> (u64, Vec<u8>) {
    let (off, hex) = line
        .split_once(' ')
        .unwrap_or_else(|| panic!("{what}: not `OFFSET HEX`: {line:?}"));
    let off = u64::from_str_radix(off, 16).unwrap_or_else(|_| panic!("{what}: hex offset"));
    assert!(hex.len() % 2 == 0, "{what}: odd hex length");
    let bytes = (0..hex.len())
        .step_by(2)
        .map(|j| u8::from_str_radix(&hex[j..j + 2], 16).expect("hex byte"))
        .collect();
    (off, bytes)
}

/// Writes a sparse image of `size` bytes holding the spans.
pub fn write_spans(path: &Path, size: u64, spans: &[(u64, Vec<u8>)]) {
    sparse(path, size);
    for (off, b) in spans {
        poke(path, *off, b);
    }
}

/// The u32 at byte `o`.
pub fn le32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}

/// Sets the u32 at byte `o`.
pub fn put32(b: &mut [u8], o: usize, v: u32) {
    b[o..o + 4].copy_from_slice(&v.to_le_bytes());
}

/// A small deterministic generator (xorshift64*).
pub struct Rng(pub u64);

impl Rng {
    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A number below `n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}
