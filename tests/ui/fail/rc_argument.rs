use std::rc::Rc;

use parallelize::parallelized;

#[parallelized]
fn total(values: Rc<Vec<u64>>, scale: u64) -> u64 {
    values.iter().sum::<u64>() * scale
}

fn main() {}
