use std::rc::Rc;

use parallelize::parallelized;

#[parallelized]
// The result is `T` itself: an error that went through a standard type (`Option<T>`) would
// cite that type's source, which rustc prints only where the `rust-src` component is installed.
fn first<T: Clone>(items: Vec<T>) -> T {
    items[0].clone()
}

fn main() {
    // Fine sequentially; refused in parallel, since `Rc<u8>` cannot be sent to a worker.
    let _ = first(vec![Rc::new(1_u8)]);
    let _ = first_par([vec![Rc::new(1_u8)]], 2);
}
