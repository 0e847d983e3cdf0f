#![deny(warnings, missing_docs)]
//! Companions are like hand-written items: visibility and `cfg` are carried, a doc comment is
//! generated (so `missing_docs` is satisfied), and `crate = path` finds a re-exported runtime.

/// A module with public functions.
pub mod geometry {
    use parallelize::parallelized;

    /// Length of a vector.
    #[parallelized]
    pub fn norm(x: f64, y: f64) -> f64 {
        x.hypot(y)
    }

    /// Only in crates that never set this cfg: the companion is compiled out with it.
    #[parallelized]
    #[cfg(not(any()))]
    pub(crate) fn area(w: f64, h: f64) -> f64 {
        w * h
    }

    /// Never compiled, and neither is its companion (which would not type-check).
    #[parallelized]
    #[cfg(any())]
    pub fn broken(x: NoSuchType) -> AlsoMissing {
        x
    }
}

mod reexported {
    /// A crate that re-exports `parallelize` under another name.
    pub use parallelize as engine;
}

/// Uses the runtime through the re-export.
#[parallelize::parallelized(crate = crate::reexported::engine)]
pub fn cube(x: i64) -> i64 {
    x * x * x
}

/// Uses `std::io::Result`, an alias: `cube_io_try_par` still exists.
#[parallelize::parallelized]
pub fn checked_cube(x: i64) -> std::io::Result<i64> {
    x.checked_mul(x * x).ok_or_else(|| std::io::Error::other("overflow"))
}

fn main() {
    let _: Vec<f64> = geometry::norm_par([(3.0, 4.0)], 2);
    let _: Vec<f64> = geometry::area_par([(3.0, 4.0)], 2);
    let _: Vec<i64> = cube_par(1..4, 2);
    let _: std::io::Result<Vec<i64>> = checked_cube_try_par(1..4, 2);
}
