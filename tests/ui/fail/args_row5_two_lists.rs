// Row 5 of issue 10's table: the two lists of a two-parameter function as two arguments.
use parallelize::parallelized;

#[parallelized]
fn pow(x: f64, y: f64) -> f64 {
    x.powf(y)
}

fn main() {
    let xs = vec![1.0, 2.0];
    let ys = vec![0.5, 3.0];
    let _ = pow_par(xs, ys, 2);
}
