use parallelize::par_comp;

fn main() {
    let _ = par_comp![x for x];
}
