//! Remote mirror members over NBD: the client, real servers, bad input.
//!
//! One test binary (`cargo test --test nbd`); each module was a test
//! binary of its own before. Helpers: tests/support/.

#[path = "../support/mod.rs"]
mod support;

mod bad_input;
mod client;
mod mirror;
