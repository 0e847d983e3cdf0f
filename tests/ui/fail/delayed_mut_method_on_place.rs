use parallelize::{delayed, pool_parallelize};

fn main() {
    let mut stack = vec![1, 2, 3];
    let _ = pool_parallelize([delayed!(stack.pop())], 2);
}
