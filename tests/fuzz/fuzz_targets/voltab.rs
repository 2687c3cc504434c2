#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| nwvol_fuzz::targets::voltab(data));
