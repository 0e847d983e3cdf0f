use std::rc::Rc;

use parallelize::parallelized;

#[parallelized]
fn share(x: u64) -> Rc<u64> {
    Rc::new(x)
}

fn main() {}
