use std::cell::Cell;

use parallelize::parallelized;

#[parallelized]
fn read(x: &Cell<u8>) -> u8 {
    x.get()
}

fn main() {}
