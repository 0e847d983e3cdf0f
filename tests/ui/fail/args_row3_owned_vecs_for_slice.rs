// Row 3 of issue 10's table, refused form: owned `Vec<f32>`s for a `&[f32]` parameter.
use parallelize::parallelized;

#[parallelized]
fn mean(pixels: &[f32]) -> f32 {
    pixels.iter().sum::<f32>() / pixels.len() as f32
}

fn main() {
    let images = vec![vec![1.0_f32, 2.0], vec![3.0]];
    let _ = mean_par(images, 2);
}
