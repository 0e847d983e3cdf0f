fn main() {
    let x = 2.0_f64; let _ = parallelize::delayed!(x * 2.0);
}
