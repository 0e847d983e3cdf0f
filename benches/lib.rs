//! The benchmarks of `parallelize` live in this package's bench targets and examples
//! (`cargo bench -p parallelize-benches`, `cargo run --release -p parallelize-benches --example
//! tiny_calls`); see `BENCHMARKS.md`. The library itself is empty.
