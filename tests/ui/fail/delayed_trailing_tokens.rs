fn main() {
    let _ = parallelize::delayed!(f64::sqrt(4.0), 2);
}
