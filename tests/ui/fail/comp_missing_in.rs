use parallelize::par_comp;

fn main() {
    let xs = [1, 2]; let _ = par_comp![x * 2 for x xs];
}
