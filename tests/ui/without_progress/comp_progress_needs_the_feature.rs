use parallelize::par_comp;

fn main() {
    let _ = par_comp![x * 2 for x in 0..4; njobs = 2, progress];
}
