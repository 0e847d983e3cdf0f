//! Compile-time behaviour of the macros, through trybuild: `tests/ui/pass` must compile,
//! `tests/ui/fail` must fail with the `.stderr` beside each case.
//!
//! The goldens were made with the compiler named in `rust-version` (Cargo.toml); regenerate
//! them with `TRYBUILD=overwrite cargo test --test ui` and read every one you commit.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    cases.compile_fail("tests/ui/fail/*.rs");
}
