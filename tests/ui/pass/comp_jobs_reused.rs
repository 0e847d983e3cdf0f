//! A `Jobs` given by name to `par_comp!` stays usable: the macro borrows it (`Jobs` is not
//! `Copy`, since it may hold a progress report).
use parallelize::{Jobs, par_comp};

fn main() {
    let jobs = Jobs::new(2).on_progress(|_| {});
    let a = par_comp![x + 1 for x in 0..4; njobs = jobs];
    let b = par_comp![x * 2 for x in 0..4; njobs = jobs];
    let c = par_comp![x for x in 0..4; njobs = &jobs];
    assert_eq!((a, b, c), (vec![1, 2, 3, 4], vec![0, 2, 4, 6], vec![0, 1, 2, 3]));
}
