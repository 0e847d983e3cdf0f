// A companion called without `njobs`: rustc's suggestion names the parameter as documented.
use parallelize::parallelized;

#[parallelized]
fn sqrt(x: f64) -> f64 {
    x.sqrt()
}

fn main() {
    let _ = sqrt_par(vec![1.0, 4.0]);
}
