use std::rc::Rc;

use parallelize::parallelized;

#[parallelized]
fn first<T: Clone>(items: Vec<T>) -> Option<T> {
    items.first().cloned()
}

fn main() {
    // Fine sequentially; refused in parallel, since `Rc<u8>` cannot be sent to a worker.
    let _ = first(vec![Rc::new(1_u8)]);
    let _ = first_par([vec![Rc::new(1_u8)]], 2);
}
