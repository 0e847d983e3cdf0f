// Row 4 of issue 10's table: owned `Img`s for a `&Img` parameter.
use parallelize::parallelized;

struct Img {
    pixels: Vec<u8>,
}

#[parallelized]
fn brightest(img: &Img) -> u8 {
    img.pixels.iter().copied().max().unwrap_or(0)
}

fn main() {
    let imgs = vec![Img { pixels: vec![1, 2] }];
    let _ = brightest_par(imgs, 2);
}
