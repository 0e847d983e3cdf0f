use parallelize::par_comp;

fn small_or_nothing() -> Vec<i32> {
    par_comp![if x > 3 { return Vec::new() } else { x } for x in 0..10]
}

fn main() {
    let _ = small_or_nothing();
}
