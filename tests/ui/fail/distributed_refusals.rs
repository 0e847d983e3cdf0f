// What `distributed` refuses, each on the offending token.
use parallelize::parallelized;

#[parallelized(distributed)]
fn generic<T: Clone>(x: T) -> T {
    x
}

#[parallelized(distributed)]
fn takes_impl(x: impl Into<u64>) -> u64 {
    x.into()
}

#[parallelized(distributed)]
unsafe fn unchecked(x: u64) -> u64 {
    x
}

#[parallelized(distributed)]
fn borrowed(x: &str) -> &str {
    x
}

#[parallelized(distributed)]
fn borrowed_inside(x: &str) -> std::borrow::Cow<'_, str> {
    std::borrow::Cow::Borrowed(x)
}

#[parallelized(distributed)]
fn forever(x: &'static str) -> usize {
    x.len()
}

struct Model;

impl Model {
    #[parallelized(distributed)]
    fn score(&self, x: u64) -> u64 {
        x
    }
}

#[parallelized(distributed = true)]
fn with_value(x: u64) -> u64 {
    x
}

fn main() {}
