use std::fmt::Display;
use std::rc::Rc;

use parallelize::parallelized;

#[parallelized]
fn show(x: impl Display) -> String {
    x.to_string()
}

fn main() {
    // `Rc<u8>` is `Display` but not `Send`: refused where the companion is called.
    let _ = show_par([Rc::new(1_u8)], 2);
}
