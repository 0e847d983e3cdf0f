use parallelize::par_comp;

fn main() {
    let xs = [1, 2]; let _ = par_comp![for x in xs];
}
