use parallelize::parallelized;

/// A free function with the name of the associated one below, with companions of its own.
#[parallelized]
fn helper(x: u8) -> u8 {
    x + 100
}

struct Shapes;

impl Shapes {
    // No `self` and no `Self`: the macro cannot tell that this is inside an impl.
    #[parallelized]
    fn helper(x: u8) -> u8 {
        x + 1
    }
}

fn main() {
    let _ = helper_par([1_u8], 2);
    let _ = Shapes::helper_par([1_u8], 2);
}
