use parallelize::{delayed, pool_parallelize};

fn main() {
    let mut numbers = [3, 1, 2];
    // A sequential `numbers.sort()` sorts `numbers`; the task could only sort a copy.
    let _ = pool_parallelize([delayed!(numbers.sort())], 2);
    println!("{numbers:?}");
}
