//! Compile-time behaviour of the macros, through trybuild: `tests/ui/pass` must compile,
//! `tests/ui/fail` must fail with the `.stderr` beside each case (and `tests/ui/without_progress`
//! too, without the cargo feature `progress`; `tests/ui/without_mpi` without the cargo feature
//! `mpi`, `tests/ui/distributed` with it).
//!
//! The goldens were made with Rust 1.95, the compiler named in `rust-version` (Cargo.toml),
//! and are checked only there: another compiler words its errors differently, which is not a
//! failure of this crate, so on it `ui_fail` is ignored with a message that says why (run it
//! anyway with `cargo test --test ui -- --ignored`). Regenerate the goldens with
//! `TRYBUILD=overwrite cargo test --test ui` and read every one you commit.

#[test]
fn ui_pass() {
    trybuild::TestCases::new().pass("tests/ui/pass/*.rs");
}

#[rustversion::attr(
    not(stable(1.95)),
    ignore = "the compile-fail goldens were made with Rust 1.95; other compilers word errors differently"
)]
#[test]
fn ui_fail() {
    trybuild::TestCases::new().compile_fail("tests/ui/fail/*.rs");
}

/// Without the cargo feature `progress`, `par_comp!`'s `progress` option is refused on the
/// option, with a message that names the feature (with it, `tests/long_runs.rs` runs it).
#[cfg(not(feature = "progress"))]
#[rustversion::attr(
    not(stable(1.95)),
    ignore = "the compile-fail goldens were made with Rust 1.95; other compilers word errors differently"
)]
#[test]
fn ui_fail_without_progress() {
    trybuild::TestCases::new().compile_fail("tests/ui/without_progress/*.rs");
}

/// Without the cargo feature `mpi`, `#[parallelized(distributed)]` is refused on the option,
/// with a message that names the feature.
#[cfg(not(feature = "mpi"))]
#[rustversion::attr(
    not(stable(1.95)),
    ignore = "the compile-fail goldens were made with Rust 1.95; other compilers word errors differently"
)]
#[test]
fn ui_fail_without_mpi() {
    trybuild::TestCases::new().compile_fail("tests/ui/without_mpi/*.rs");
}

/// With the cargo feature `mpi`: arguments and results that cannot travel are refused on the
/// user's types.
#[cfg(feature = "mpi")]
#[rustversion::attr(
    not(stable(1.95)),
    ignore = "the compile-fail goldens were made with Rust 1.95; other compilers word errors differently"
)]
#[test]
fn ui_fail_distributed() {
    trybuild::TestCases::new().compile_fail("tests/ui/distributed/*.rs");
}
