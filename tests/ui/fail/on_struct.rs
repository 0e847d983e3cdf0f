use parallelize::parallelized;

#[parallelized]
struct Point {
    x: f64,
}

fn main() {}
