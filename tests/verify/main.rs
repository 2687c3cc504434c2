//! verify and repair: the verify corpus, mirror members compared, damaged
//! volume structures, damaged images given to inspect.
//!
//! One test binary (`cargo test --test verify`); each module was a test
//! binary of its own before. Helpers: tests/support/.

#[path = "../support/mod.rs"]
mod support;

mod check_structure;
mod corpus;
mod damaged;
mod mirror;
mod read_checks;
mod structure;
mod trust_regressions;
