use parallelize::parallelized;
use std::borrow::Cow;
use std::fmt::Display;

#[parallelized]
fn pow(x: f64, y: f64) -> f64 {
    x.powf(y)
}

#[parallelized]
fn zero() -> u8 {
    7
}

#[parallelized]
fn one(x: u32) -> u32 {
    x + 1
}

#[parallelized]
fn same(a: &str, b: &str) -> usize {
    a.len() + b.len()
}

#[parallelized]
fn head(xs: &[u8]) -> &u8 {
    &xs[0]
}

#[parallelized]
fn cow(s: Cow<'_, str>) -> Cow<'_, str> {
    s
}

#[parallelized]
fn named<'a, 'b: 'a>(a: &'a str, _b: &'b str) -> &'a str {
    a
}

#[parallelized]
fn generic<T: Clone + Default>(x: T) -> (T, T)
where
    T: std::fmt::Debug,
{
    (x.clone(), T::default())
}

#[parallelized]
fn only_out<T: Default>() -> T {
    T::default()
}

#[parallelized]
fn pats((a, b): (u8, u16), mut c: u32) -> u32 {
    c += a as u32 + b as u32;
    c
}

#[parallelized]
fn show(x: impl Display, y: impl Into<String>) -> String {
    format!("{x}{}", y.into())
}

#[parallelized]
unsafe fn danger(x: &u8) -> u8 {
    *x
}

#[parallelized]
fn parse(s: &str) -> Result<u8, std::num::ParseIntError> {
    s.parse()
}

#[parallelized]
fn io_res(s: &str) -> std::io::Result<usize> {
    Ok(s.len())
}

#[parallelized]
fn consts<const N: usize>(x: [u8; N]) -> usize {
    x.len()
}

#[parallelized]
fn generic_ref<T: Sync + ?Sized + std::fmt::Debug>(a: &T, b: &T) -> String {
    format!("{a:?}{b:?}")
}

struct Model {
    k: f64,
}
impl Model {
    #[parallelized]
    pub fn score(&self, x: f64) -> f64 {
        x * self.k
    }
    #[parallelized]
    fn pick(&self, xs: &[f64]) -> &f64 {
        let _ = xs;
        &self.k
    }
}

#[test]
fn scratch() {
    assert_eq!(pow_par(vec![(1.0, 0.5), (4.0, 0.5)], 4), [1.0, 2.0]);
    assert_eq!(zero_par(vec![(), ()], 2), [7, 7]);
    assert_eq!(one_par(0..5, -1), [1, 2, 3, 4, 5]);
    assert_eq!(same_par([("a", "bb"), ("ccc", "")], 2), [3, 3]);
    let data = vec![vec![1u8], vec![2u8]];
    let r: Vec<&u8> = head_par(data.iter().map(|v| v.as_slice()), 2);
    assert_eq!(r, [&1, &2]);
    let _ = cow_par([Cow::Borrowed("x")], 2);
    let _ = named_par([("x", "y")], 2);
    assert_eq!(generic_par([1, 2], 2), [(1, 0), (2, 0)]);
    let v: Vec<u32> = only_out_par([(), ()], 2);
    assert_eq!(v, [0, 0]);
    assert_eq!(pats_par([((1, 2), 3)], 2), [6]);
    assert_eq!(show_par([(1, "a")], 2), ["1a"]);
    let x = 5u8;
    struct P(*const u8);
    let _ = P(&x);
    assert_eq!(parse_par(["1", "2"], 2), [Ok(1), Ok(2)]);
    assert_eq!(parse_try_par(["1", "2"], 2).unwrap(), [1, 2]);
    assert!(parse_try_par(["1", "x"], 2).is_err());
    assert_eq!(io_res_try_par(["ab"], 2).unwrap(), [2]);
    assert_eq!(consts_par([[1u8, 2, 3]], 2), [3]);
    assert_eq!(generic_ref_par([("a", "b")], 2), ["\"a\"\"b\""]);
    let m = Model { k: 2.0 };
    assert_eq!(m.score_par([1.0, 2.0], 2), [2.0, 4.0]);
    let d = [1.0];
    assert_eq!(m.pick_par([&d[..]], 2), [&2.0]);
}
