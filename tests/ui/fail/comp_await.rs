use parallelize::par_comp;

async fn double(x: i32) -> i32 {
    x * 2
}

async fn doubled() -> Vec<i32> {
    par_comp![double(x).await for x in 0..3]
}

fn main() {
    let _ = doubled();
}
