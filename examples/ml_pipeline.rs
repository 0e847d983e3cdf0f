//! The original post's real-life case, a machine-learning pipeline, as three chained
//! `#[parallelized]` stages:
//!
//! ```text
//! preprocessed = map(preprocess, image_sets)     blur, then normalise each image
//! feats        = map(feat_extract, preprocessed) histograms of gradient orientations
//! models       = map(train, feats)               a logistic regression per set
//! ```
//!
//! ```text
//! cargo run --release --example ml_pipeline                       # 96 sets of 32 images
//! cargo run --release --example ml_pipeline --features progress   # with a bar per stage
//! cargo run --release --example ml_pipeline -- --sets 8 --jobs 2  # smaller, on 2 workers
//! ```
//!
//! The images are generated, deterministically, so nothing is downloaded: each set holds
//! 64x64 pictures of noisy stripes, half of them running closer to horizontal and half closer
//! to vertical, and each set's model learns to tell which from the orientation histograms.
//! The whole pipeline then runs again as a sequential loop; the last line compares the times
//! and checks that both runs trained the very same models (the program exits non-zero if not).

// Pixel arithmetic is in `f32`, and counts and bins convert to and from it; every count here
// is far below 2^23, and every angle is in [0, pi).
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

use std::f32::consts::PI;
use std::process::ExitCode;
use std::time::Instant;

use parallelize::{Jobs, parallelized};

/// Width and height of every image, in pixels.
const SIDE: usize = 64;
/// Cells per side for the orientation histograms (each cell is `SIDE / CELLS` pixels square).
const CELLS: usize = 4;
/// Orientation bins per cell, over [0, pi).
const BINS: usize = 9;
/// Features per image: one histogram per cell.
const FEATURES: usize = CELLS * CELLS * BINS;
/// Gradient-descent steps per model.
const EPOCHS: usize = 400;

/// A grey-level image, `SIDE` x `SIDE` pixels row by row, and what it shows.
#[derive(Clone)]
struct Image {
    pixels: Vec<f32>,
    /// `true` for stripes closer to vertical than to horizontal.
    vertical: bool,
}

/// One set of images: a model is trained per set.
struct ImageSet {
    id: usize,
    images: Vec<Image>,
}

/// Each image's features and label.
struct Features {
    id: usize,
    rows: Vec<([f32; FEATURES], bool)>,
}

/// A trained logistic regression, and how well it does on the set's held-out quarter.
#[derive(Debug, PartialEq)]
struct Model {
    id: usize,
    weights: Vec<f32>,
    bias: f32,
    held_out_accuracy: f32,
}

/// Stage 1: a 5x5 Gaussian blur (separable, edges clamped), then each image scaled to mean 0
/// and standard deviation 1.
#[parallelized]
fn preprocess(set: &ImageSet) -> ImageSet {
    const KERNEL: [f32; 5] = [1.0 / 16.0, 4.0 / 16.0, 6.0 / 16.0, 4.0 / 16.0, 1.0 / 16.0];
    let blur = |pixels: &[f32], step: usize, across: usize| -> Vec<f32> {
        let mut out = vec![0.0; pixels.len()];
        for (index, value) in out.iter_mut().enumerate() {
            let (row, column) = (index / SIDE, index % SIDE);
            let along = if step == 1 { column } else { row };
            *value = KERNEL
                .iter()
                .enumerate()
                .map(|(k, weight)| {
                    let at = (along + k).saturating_sub(2).min(SIDE - 1);
                    let source = if step == 1 {
                        row * across + at
                    } else {
                        at * across + column
                    };
                    weight * pixels[source]
                })
                .sum();
        }
        out
    };
    let images = set
        .images
        .iter()
        .map(|image| {
            let blurred = blur(&blur(&image.pixels, 1, SIDE), SIDE, SIDE);
            let count = blurred.len() as f32;
            let mean = blurred.iter().sum::<f32>() / count;
            let variance = blurred.iter().map(|p| (p - mean).powi(2)).sum::<f32>() / count;
            let scale = 1.0 / variance.sqrt().max(1e-6);
            Image {
                pixels: blurred.iter().map(|p| (p - mean) * scale).collect(),
                vertical: image.vertical,
            }
        })
        .collect();
    ImageSet { id: set.id, images }
}

/// Stage 2: histograms of gradient orientations (the core of HOG): Sobel gradients, each
/// pixel's orientation binned in its cell and weighted by its magnitude, each cell's
/// histogram scaled to unit length.
#[parallelized]
fn feat_extract(set: &ImageSet) -> Features {
    let rows = set
        .images
        .iter()
        .map(|image| {
            let at = |row: usize, column: usize| image.pixels[row * SIDE + column];
            let mut histogram = [0.0_f32; FEATURES];
            for row in 1..SIDE - 1 {
                for column in 1..SIDE - 1 {
                    let gx = at(row - 1, column + 1)
                        + 2.0 * at(row, column + 1)
                        + at(row + 1, column + 1)
                        - at(row - 1, column - 1)
                        - 2.0 * at(row, column - 1)
                        - at(row + 1, column - 1);
                    let gy = at(row + 1, column - 1)
                        + 2.0 * at(row + 1, column)
                        + at(row + 1, column + 1)
                        - at(row - 1, column - 1)
                        - 2.0 * at(row - 1, column)
                        - at(row - 1, column + 1);
                    let angle = gy.atan2(gx).rem_euclid(PI);
                    let bin = ((angle / PI * BINS as f32) as usize).min(BINS - 1);
                    let cell = (row * CELLS / SIDE) * CELLS + column * CELLS / SIDE;
                    histogram[cell * BINS + bin] += gx.hypot(gy);
                }
            }
            for cell in histogram.chunks_mut(BINS) {
                let norm = cell.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-6);
                for value in cell {
                    *value /= norm;
                }
            }
            (histogram, image.vertical)
        })
        .collect();
    Features { id: set.id, rows }
}

/// Stage 3: a logistic regression trained by full-batch gradient descent on the first three
/// quarters of the set, scored on the last quarter.
#[parallelized]
fn train(features: &Features) -> Model {
    let split = features.rows.len() * 3 / 4;
    let (training, held_out) = features.rows.split_at(split);
    let score = |weights: &[f32], bias: f32, x: &[f32; FEATURES]| {
        bias + weights.iter().zip(x).map(|(w, v)| w * v).sum::<f32>()
    };
    let mut weights = vec![0.0_f32; FEATURES];
    let mut bias = 0.0_f32;
    let rate = 0.5 / training.len() as f32;
    for _ in 0..EPOCHS {
        let mut gradient = vec![0.0_f32; FEATURES];
        let mut bias_gradient = 0.0;
        for (x, vertical) in training {
            let predicted = 1.0 / (1.0 + (-score(&weights, bias, x)).exp());
            let error = predicted - f32::from(u8::from(*vertical));
            gradient
                .iter_mut()
                .zip(x)
                .for_each(|(g, v)| *g += error * v);
            bias_gradient += error;
        }
        for (w, g) in weights.iter_mut().zip(&gradient) {
            *w -= rate * (g + 1e-3 * *w);
        }
        bias -= rate * bias_gradient;
    }
    let correct = held_out
        .iter()
        .filter(|(x, vertical)| (score(&weights, bias, x) > 0.0) == *vertical)
        .count();
    Model {
        id: features.id,
        weights,
        bias,
        held_out_accuracy: correct as f32 / held_out.len().max(1) as f32,
    }
}

/// `SplitMix64`: a small, fast, deterministic generator, so every run sees the same images.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1_u64 << 24) as f32
    }
}

/// `count` sets of `per_set` images each: stripes at an angle within 40 degrees of
/// horizontal or of vertical, of random frequency and phase, under noise.
fn image_sets(count: usize, per_set: usize) -> Vec<ImageSet> {
    (0..count)
        .map(|id| {
            let mut random = Random(id as u64);
            let images = (0..per_set)
                .map(|index| {
                    let vertical = index % 2 == 1;
                    let tilt = (random.unit() - 0.5) * 80.0_f32.to_radians();
                    let angle = if vertical { PI / 2.0 + tilt } else { tilt };
                    let frequency = 0.15 + 0.35 * random.unit();
                    let phase = 2.0 * PI * random.unit();
                    let (sin, cos) = angle.sin_cos();
                    let pixels = (0..SIDE * SIDE)
                        .map(|at| {
                            let (row, column) = ((at / SIDE) as f32, (at % SIDE) as f32);
                            let across = row * cos - column * sin;
                            (frequency * across + phase).sin() + 1.5 * (random.unit() - 0.5)
                        })
                        .collect();
                    Image { pixels, vertical }
                })
                .collect();
            ImageSet { id, images }
        })
        .collect()
}

/// The options: `--sets N` (default 96), `--images N` per set (default 32), `--jobs N`
/// (default -1, every core).
fn options() -> Result<(usize, usize, Jobs), String> {
    let (mut sets, mut images, mut jobs) = (96, 32, -1);
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |_| format!("{flag} takes a whole number, not {value:?}");
        match flag.as_str() {
            "--sets" => sets = value.parse().map_err(bad)?,
            "--images" => images = value.parse().map_err(bad)?,
            "--jobs" => jobs = value.parse().map_err(bad)?,
            _ => {
                return Err(format!(
                    "unknown option {flag}: try --sets, --images, --jobs"
                ));
            }
        }
    }
    if images < 4 {
        return Err("--images must be at least 4: a quarter of each set is held out".into());
    }
    let jobs = Jobs::try_new(jobs).map_err(|error| error.to_string())?;
    Ok((sets, images, jobs))
}

/// The `Jobs` of one stage over `sets` sets: with the `progress` feature, a bar named after
/// the stage.
fn stage(jobs: &Jobs, name: &'static str, sets: usize) -> Jobs {
    let jobs = jobs.clone();
    #[cfg(feature = "progress")]
    let jobs = {
        let style = parallelize::indicatif::ProgressStyle::with_template(
            "{prefix:>12} [{bar:30}] {pos}/{len} sets {elapsed}",
        )
        .expect("the template is valid")
        .progress_chars("=> ");
        let bar = parallelize::indicatif::ProgressBar::new(sets as u64)
            .with_style(style)
            .with_prefix(name);
        jobs.progress_bar_with(bar)
    };
    #[cfg(not(feature = "progress"))]
    let _ = (name, sets);
    jobs
}

fn main() -> ExitCode {
    let (sets, images, jobs) = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("ml_pipeline: {message}");
            return ExitCode::from(2);
        }
    };
    let image_sets = image_sets(sets, images);
    println!("{sets} sets of {images} images, {SIDE}x{SIDE} pixels");

    let started = Instant::now();
    let preprocessed = preprocess_par(&image_sets, stage(&jobs, "preprocess", sets));
    let feats = feat_extract_par(&preprocessed, stage(&jobs, "feat_extract", sets));
    let models = train_par(&feats, stage(&jobs, "train", sets));
    let parallel = started.elapsed();

    let started = Instant::now();
    let preprocessed: Vec<ImageSet> = image_sets.iter().map(preprocess).collect();
    let feats: Vec<Features> = preprocessed.iter().map(feat_extract).collect();
    let sequential_models: Vec<Model> = feats.iter().map(train).collect();
    let sequential = started.elapsed();

    let accuracy =
        models.iter().map(|m| m.held_out_accuracy).sum::<f32>() / models.len().max(1) as f32;
    println!(
        "mean held-out accuracy of the {} models: {:.1}%",
        models.len(),
        accuracy * 100.0
    );
    let workers = jobs.workers();
    let same = models == sequential_models;
    println!(
        "pipeline on {workers} workers: {parallel:.2?}; sequential: {sequential:.2?} \
         ({:.2}x); models {}",
        sequential.as_secs_f64() / parallel.as_secs_f64(),
        if same {
            "identical"
        } else {
            "DIFFER from the sequential run"
        }
    );
    if same {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::{Model, feat_extract, feat_extract_par, image_sets, preprocess, preprocess_par};
    use super::{train, train_par};

    #[test]
    fn the_parallel_pipeline_trains_the_sequential_models_and_they_work() {
        let sets = image_sets(4, 16);
        let models = train_par(&feat_extract_par(&preprocess_par(&sets, 2), 2), 2);
        let sequential: Vec<Model> = sets
            .iter()
            .map(|set| train(&feat_extract(&preprocess(set))))
            .collect();
        assert_eq!(models, sequential);
        let ids: Vec<usize> = models.iter().map(|model| model.id).collect();
        assert_eq!(ids, [0, 1, 2, 3]);
        let accuracy = models.iter().map(|m| m.held_out_accuracy).sum::<f32>() / 4.0;
        assert!(
            accuracy > 0.8,
            "the models tell the stripes apart: {accuracy}"
        );
    }
}
