use parallelize::parallelized;

#[parallelized(associated)]
fn helper(x: u8) -> u8 {
    x + 1
}

fn main() {
    let _ = helper_par([1_u8], 2);
}
