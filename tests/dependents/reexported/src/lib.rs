//! A crate that reaches `parallelize` only through another crate that re-exports it
//! (`dependents_renamed::engine`): it has no dependency of its own on the facade, under any
//! name, and every macro must still expand.

use dependents_renamed::engine::parallelized;

/// `#[parallelized]` is told where the crate is with `crate = ...`.
#[parallelized(crate = dependents_renamed::engine)]
pub fn cube(x: i32) -> i32 {
    x * x * x
}

#[cfg(test)]
mod tests {
    use super::*;
    use dependents_renamed::engine::{Delayed, delayed, par_comp, pool_parallelize};

    #[test]
    fn every_macro_expands_through_the_re_export() {
        assert_eq!(cube_par(vec![1, 2, 3], 2), [1, 8, 27]);
        assert_eq!(
            par_comp![x - 1 for x in [1, 2, 3] if x != 2; njobs = 2],
            [0, 2]
        );
        let tasks: Vec<Delayed<'_, i32>> = vec![delayed!(cube(2)), delayed!(i32::abs(-4))];
        assert_eq!(pool_parallelize(tasks, 2), [8, 4]);
        // The same macros by their full path, without a `use`.
        let squares = dependents_renamed::engine::par_comp![x * x for x in 0..4];
        assert_eq!(squares, [0, 1, 4, 9]);
    }
}
