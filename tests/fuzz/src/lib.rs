//! nwvol's fuzz targets (see README.md "Fuzzing"); each binary in
//! fuzz_targets/ hands libFuzzer's bytes to one function of [`targets`].

pub mod targets;
