// Row 1 of issue 10's table, refused form: `&T` items for a `T` parameter that is not `Copy`.
use parallelize::parallelized;

#[derive(Clone)]
struct Vec3(f64, f64, f64);

#[parallelized]
fn norm(v: Vec3) -> f64 {
    (v.0 * v.0 + v.1 * v.1 + v.2 * v.2).sqrt()
}

fn main() {
    let vs = vec![Vec3(1.0, 2.0, 2.0)];
    let _ = norm_par(&vs, 2);
}
