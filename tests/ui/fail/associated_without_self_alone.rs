use parallelize::parallelized;

struct Shapes;

impl Shapes {
    // No `self` and no `Self`: the macro cannot tell that this is inside an impl.
    #[parallelized]
    fn helper(x: u8) -> u8 {
        x + 1
    }
}

fn main() {

    let _ = Shapes::helper_par([1_u8], 2);
}
