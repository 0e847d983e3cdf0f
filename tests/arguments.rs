//! Companions take the items that a plain call takes (issue 10): every form of the table in
//! `parallelize::Argument`, each checked against the plain loop, and the generic cases that
//! must still infer their parameters from exact items.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parallelize::{Jobs, parallelized};

/// Four workers that never run a call inline: the items then cross to the pool's threads.
fn on_workers() -> Jobs {
    Jobs::new(4).adaptive(false)
}

#[parallelized]
fn sqrt(x: f64) -> f64 {
    x.sqrt()
}

#[parallelized]
fn word_len(w: &str) -> usize {
    w.chars().count()
}

#[parallelized]
fn mean(pixels: &[f32]) -> f32 {
    pixels.iter().sum::<f32>() / f32::from(u16::try_from(pixels.len().max(1)).unwrap())
}

#[derive(Debug, PartialEq)]
struct Img {
    width: usize,
    pixels: Vec<u8>,
}

#[parallelized]
fn brightest(img: &Img) -> u8 {
    img.pixels.iter().copied().max().unwrap_or(0) + u8::from(img.width > 2)
}

#[parallelized]
fn pow(x: f64, y: f64) -> f64 {
    x.powf(y)
}

#[parallelized]
fn head(xs: &[u8]) -> &u8 {
    &xs[0]
}

#[parallelized]
fn label(name: &str, count: u32, scale: f64) -> String {
    format!("{name}:{count}:{scale}")
}

#[parallelized]
fn checked_sqrt(x: f64) -> Result<f64, String> {
    if x < 0.0 {
        Err(format!("negative: {x}"))
    } else {
        Ok(x.sqrt())
    }
}

#[parallelized]
fn extension(path: &Path) -> Option<String> {
    path.extension().map(|e| e.to_string_lossy().into_owned())
}

fn plain_map<T, R>(items: impl IntoIterator<Item = T>, f: impl FnMut(T) -> R) -> Vec<R> {
    items.into_iter().map(f).collect()
}

#[test]
fn copy_parameter_takes_references_to_its_type() {
    let xs: Vec<f64> = (0..1000).map(f64::from).collect();
    let expected = plain_map(&xs, |x| sqrt(*x));
    assert_eq!(sqrt_par(&xs, 4), expected);
    assert_eq!(sqrt_par(xs.iter(), 4), expected);
    assert_eq!(sqrt_par(&xs[..], 3), expected);
    assert_eq!(sqrt_par(&xs, on_workers()), expected);
    assert_eq!(sqrt_par(xs.clone(), 2), expected);
    let refs: Vec<&f64> = xs.iter().collect();
    assert_eq!(sqrt_par(refs.iter().copied(), 4), expected);
}

#[test]
fn str_parameter_takes_strings_and_their_owners() {
    let words: Vec<String> = ["naïve", "café", "", "parallel"]
        .iter()
        .map(ToString::to_string)
        .collect();
    let expected = plain_map(&words, |w| word_len(w));
    assert_eq!(word_len_par(&words, 4), expected);
    assert_eq!(word_len_par(words.iter(), 2), expected);
    assert_eq!(word_len_par(&words, on_workers()), expected);
    let literals: Vec<&str> = words.iter().map(String::as_str).collect();
    assert_eq!(word_len_par(&literals, 4), expected, "`&&str` copied");
    assert_eq!(word_len_par(literals.clone(), 4), expected);
    let boxed: Vec<Box<str>> = words.iter().map(|w| w.as_str().into()).collect();
    assert_eq!(word_len_par(&boxed, 4), expected);
    let shared: Vec<Arc<str>> = words.iter().map(|w| w.as_str().into()).collect();
    assert_eq!(word_len_par(&shared, 4), expected);
    let cows: Vec<Cow<'_, str>> = words.iter().map(|w| Cow::Borrowed(w.as_str())).collect();
    assert_eq!(word_len_par(&cows, 4), expected);
    let mut owned = words.clone();
    assert_eq!(word_len_par(owned.iter_mut(), 4), expected, "`&mut String`");
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (word, len) in words.iter().zip(word_len_par(&words, 3)) {
        counts.insert(word, len);
    }
    assert_eq!(counts["café"], 4);
}

#[test]
fn slice_parameter_takes_vecs_arrays_and_boxes() {
    let images: Vec<Vec<f32>> = (0..50)
        .map(|i: u16| (0..=i % 7).map(|p| f32::from(p * i)).collect())
        .collect();
    let expected = plain_map(&images, |image| mean(image));
    assert_eq!(mean_par(&images, 4), expected);
    assert_eq!(mean_par(images.iter(), 4), expected);
    let arrays = [[1.0_f32, 2.0], [3.0, 5.0]];
    assert_eq!(mean_par(&arrays, 2), [1.5, 4.0]);
    let boxed: Vec<Box<[f32]>> = images.iter().map(|i| i.clone().into()).collect();
    assert_eq!(mean_par(&boxed, 4), expected);
}

#[test]
fn reference_parameter_takes_borrowed_and_boxed_items() {
    let imgs: Vec<Img> = (0_u8..40)
        .map(|i| Img {
            width: usize::from(i % 5),
            pixels: vec![i, i * 3],
        })
        .collect();
    let expected = plain_map(&imgs, brightest);
    assert_eq!(brightest_par(&imgs, 4), expected);
    assert_eq!(brightest_par(imgs.iter(), 4), expected);
    let boxed: Vec<Box<Img>> = imgs
        .iter()
        .map(|img| {
            Box::new(Img {
                width: img.width,
                pixels: img.pixels.clone(),
            })
        })
        .collect();
    assert_eq!(brightest_par(&boxed, 4), expected);
    assert_eq!(brightest_par(&boxed, on_workers()), expected);
    let paths: Vec<PathBuf> = ["a.rs", "b.toml", "c"].iter().map(PathBuf::from).collect();
    assert_eq!(
        extension_par(&paths, 2),
        [Some("rs".to_owned()), Some("toml".to_owned()), None]
    );
}

#[test]
fn tuples_convert_position_by_position() {
    let xs: Vec<f64> = (1..200).map(f64::from).collect();
    let ys: Vec<f64> = (1..200).map(|i| f64::from(i % 3) * 0.5).collect();
    let expected: Vec<f64> = xs.iter().zip(&ys).map(|(x, y)| pow(*x, *y)).collect();
    assert_eq!(pow_par(xs.iter().zip(ys.iter()), 4), expected);
    assert_eq!(pow_par(xs.iter().zip(&ys), 4), expected);
    assert_eq!(pow_par(xs.iter().zip(&ys), on_workers()), expected);
    assert_eq!(pow_par(xs.iter().copied().zip(ys.clone()), 4), expected);
    let pairs: Vec<(f64, f64)> = xs.iter().copied().zip(ys.iter().copied()).collect();
    assert_eq!(pow_par(&pairs, 4), expected, "`&(f64, f64)`, copied whole");
    assert_eq!(pow_par(&pairs, on_workers()), expected);
    assert_eq!(pow_par(pairs, 4), expected);

    let names: Vec<String> = vec!["a".into(), "b".into()];
    let counts = [3_u32, 4];
    let labels = label_par(
        names
            .iter()
            .zip(&counts)
            .map(|(name, count)| (name, count, 0.5)),
        2,
    );
    assert_eq!(labels, ["a:3:0.5", "b:4:0.5"]);
}

#[test]
fn results_that_borrow_from_converted_items_keep_working() {
    let rows: Vec<Vec<u8>> = vec![vec![7, 1], vec![9], vec![4, 4, 4]];
    assert_eq!(head_par(&rows, on_workers()), [&7, &9, &4]);
    let heads: Vec<&u8> = head_par(&rows, 2);
    assert_eq!(heads, [&7, &9, &4]);
    assert!(
        std::ptr::eq(heads[1], &raw const rows[1][0]),
        "borrowed from the caller's rows"
    );
}

#[test]
fn try_companion_converts_too() {
    let xs = vec![4.0, 9.0, -1.0, -4.0];
    assert_eq!(checked_sqrt_try_par(&xs[..2], 2), Ok(vec![2.0, 3.0]));
    let sequential: Result<Vec<f64>, String> = xs.iter().map(|x| checked_sqrt(*x)).collect();
    assert_eq!(checked_sqrt_try_par(&xs, 4), sequential);
    assert_eq!(checked_sqrt_try_par(&xs, on_workers()), sequential);
    assert_eq!(sequential, Err("negative: -1".to_owned()));
}

struct Scaler {
    factor: f64,
}

impl Scaler {
    #[parallelized]
    fn scale(&self, x: f64, name: &str) -> String {
        format!("{name}={}", x * self.factor)
    }
}

#[test]
fn methods_convert_their_arguments() {
    let scaler = Scaler { factor: 2.0 };
    let xs = [1.0, 2.5];
    let names = vec!["a".to_owned(), "b".to_owned()];
    assert_eq!(scaler.scale_par(xs.iter().zip(&names), 2), ["a=2", "b=5"]);
}

// Generic parameters match their items exactly, so rustc still infers them from the items.

#[parallelized]
fn identity<T: Clone>(x: T) -> T {
    x
}

#[parallelized]
// By value on purpose: the items are `Vec`s, and `T` is inferred from them.
#[allow(clippy::needless_pass_by_value)]
fn first<T: Clone>(items: Vec<T>) -> T {
    items[0].clone()
}

#[parallelized]
fn repeat<T: Clone>(x: T, times: usize) -> Vec<T> {
    vec![x; times]
}

#[parallelized]
fn describe(x: impl std::fmt::Display, width: usize) -> String {
    format!("{x:>width$}")
}

#[parallelized]
fn largest<T: PartialOrd + Copy, const N: usize>(xs: [T; N]) -> T {
    xs.into_iter()
        .fold(xs[0], |best, x| if x > best { x } else { best })
}

#[test]
fn generic_parameters_still_infer_from_exact_items() {
    let xs = vec![3_u16, 1, 2];
    // `T = &u16`, inferred from the items (taken as they are, not copied).
    let refs = identity_par(&xs, 2);
    let _: &&u16 = &refs[0];
    assert_eq!(refs, [&3, &1, &2]);
    let owned: Vec<u16> = identity_par(xs.clone(), 2);
    assert_eq!(owned, xs);
    let none: Vec<u8> = identity_par(Vec::new(), 2);
    assert!(none.is_empty());
    assert_eq!(first_par(vec![vec!["a", "b"], vec!["c"]], 2), ["a", "c"]);
    assert_eq!(first_par([vec![1.5]], 2), [1.5]);
    // Mixed: `T` exact (`&str`), `times` converted from `&usize`.
    let times = [2_usize, 1];
    assert_eq!(
        repeat_par(["x", "y"].into_iter().zip(&times), 2),
        [vec!["x", "x"], vec!["y"]]
    );
    assert_eq!(
        repeat_par(vec![(1_u8, 3)], 2),
        [vec![1, 1, 1]],
        "`T` and the integer literal both inferred"
    );
    assert_eq!(describe_par(vec![(7, 3), (42, 3)], 2), ["  7", " 42"]);
    assert_eq!(largest_par([[1, 9, 3], [4, 2, 8]], 2), [9, 8]);
}

#[test]
fn literals_infer_through_conversions() {
    // Float and integer literals cannot be references, so the identity is the only reading.
    assert_eq!(sqrt_par(vec![1.0, 4.0], 2), [1.0, 2.0]);
    assert_eq!(pow_par(vec![(1.0, 0.5), (4.0, 0.5)], 4), [1.0, 2.0]);
    assert_eq!(label_par([("n", 1, 2.0)], 2), ["n:1:2"]);
    // An empty collection needs its type written (see the `empty_items_need_a_type` UI case).
    assert!(sqrt_par(Vec::<f64>::new(), 2).is_empty());
}

// The companion names elided lifetimes `'arg`, `'arg1`, ...: never one the signature uses.
#[parallelized]
fn pick<'arg>(keep: &'arg str, _other: &str, also: &'_ str) -> &'arg str {
    let _ = also;
    keep
}

#[test]
fn fresh_lifetime_names_skip_the_users() {
    let keep = ["k1".to_owned(), "k2".to_owned()];
    let other = ["o".to_owned(), "p".to_owned()];
    let picked = pick_par(
        keep.iter().zip(&other).map(|(k, o)| (k, o, "x")),
        on_workers(),
    );
    assert_eq!(picked, ["k1", "k2"]);
}
