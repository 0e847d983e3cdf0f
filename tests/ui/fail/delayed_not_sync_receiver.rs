use std::cell::Cell;

use parallelize::{delayed, pool_parallelize};

fn main() {
    let counter = Cell::new(1);
    // The task would read `counter` through a reference, from another thread.
    let _ = pool_parallelize([delayed!(counter.get())], 2);
}
