use parallelize::par_comp;

fn main() {
    let xs = [Some(1), None]; let _ = par_comp![x for Some(x) in xs];
}
