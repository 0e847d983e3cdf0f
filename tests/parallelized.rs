//! `#[parallelized]` companions: every supported signature shape, order, `Result` semantics.

// The functions have the shapes under test, not the shapes clippy would choose.
#![allow(
    clippy::needless_pass_by_value,
    clippy::trivially_copy_pass_by_ref,
    clippy::multiple_bound_locations,
    clippy::float_cmp,
    clippy::useless_vec
)]

use std::borrow::Cow;
use std::fmt::Display;
use std::sync::atomic::{AtomicUsize, Ordering};

use parallelize::parallelized;

mod support;

#[parallelized]
fn pow(x: f64, y: f64) -> f64 {
    x.powf(y)
}

#[parallelized]
fn seven() -> u8 {
    7
}

#[parallelized]
fn successor(x: u64) -> u64 {
    x + 1
}

#[parallelized]
fn total_len(a: &str, b: &str) -> usize {
    a.len() + b.len()
}

#[parallelized]
fn head(xs: &[u8]) -> &u8 {
    &xs[0]
}

#[parallelized]
fn shout(s: Cow<'_, str>) -> Cow<'_, str> {
    if s.ends_with('!') {
        s
    } else {
        Cow::Owned(format!("{s}!"))
    }
}

#[parallelized]
fn longest<'a>(a: &'a str, b: &'a str) -> &'a str {
    if b.len() > a.len() { b } else { a }
}

#[parallelized]
fn first_of<'a, 'b: 'a>(a: &'a str, _b: &'b str) -> &'a str {
    a
}

#[parallelized]
fn pair<T: Clone + Default>(x: T) -> (T, T)
where
    T: std::fmt::Debug,
{
    (x.clone(), T::default())
}

#[parallelized]
fn made<T: Default>() -> T {
    T::default()
}

#[parallelized]
fn describe<T: Sync + ?Sized + std::fmt::Debug>(a: &T, b: &T) -> String {
    format!("{a:?}/{b:?}")
}

#[parallelized]
fn length<const N: usize>(x: [u8; N]) -> usize {
    x.len() + usize::from(x[0])
}

#[parallelized]
fn sum_parts((a, b): (u8, u16), mut c: u32) -> u32 {
    c += u32::from(a) + u32::from(b);
    c
}

#[parallelized]
fn render(x: impl Display, suffix: impl Into<String>) -> String {
    format!("{x}{}", suffix.into())
}

#[parallelized]
fn apply(f: fn(&str) -> usize, s: &str) -> usize {
    f(s)
}

/// Reads the byte behind `p`.
///
/// # Safety
///
/// `p` must point to a live byte.
#[parallelized]
unsafe fn read_byte(p: &u8) -> u8 {
    // A stand-in for a real unsafe contract: the companion must be `unsafe` too.
    *p
}

#[parallelized]
fn parse(s: &str) -> Result<u8, std::num::ParseIntError> {
    s.parse()
}

#[parallelized]
fn file_len(s: &str) -> std::io::Result<usize> {
    if s.is_empty() {
        Err(std::io::Error::other("empty name"))
    } else {
        Ok(s.len())
    }
}

mod own_result {
    use parallelize::parallelized;

    /// A type that is not `std::result::Result`, yet named `Result`.
    #[derive(Debug, PartialEq)]
    pub struct Result(pub u8);

    #[parallelized(no_try_par)]
    pub fn wrap(x: u8) -> Result {
        Result(x)
    }
}

mod visibility {
    use parallelize::parallelized;

    #[parallelized]
    pub fn double(x: i32) -> i32 {
        x * 2
    }

    #[parallelized]
    #[cfg(any())]
    pub fn never_compiled(x: NoSuchType) -> i32 {
        x
    }
}

struct Model {
    weight: f64,
}

impl Model {
    #[parallelized]
    pub fn score(&self, x: f64) -> f64 {
        x * self.weight
    }

    #[parallelized]
    fn weight_of(&self, _xs: &[f64]) -> &f64 {
        &self.weight
    }

    #[parallelized]
    fn checked(&'_ self, x: f64) -> Result<f64, String> {
        if x < 0.0 {
            Err(format!("negative: {x}"))
        } else {
            Ok(x * self.weight)
        }
    }
}

struct Wrapper<T>(T);

impl<T: Clone + Send + Sync> Wrapper<T> {
    #[parallelized]
    fn with(&self, n: usize) -> Vec<T> {
        vec![self.0.clone(); n]
    }

    // Associated functions without `self`: seen from `Self` in the signature or the body, or
    // declared with the `associated` option.
    #[parallelized]
    fn new(x: T) -> Self {
        Wrapper(x)
    }

    #[parallelized]
    fn repeated(x: T, n: usize) -> Vec<T> {
        Self::new(x).with(n)
    }

    #[parallelized(associated)]
    fn plus_one(x: u8) -> u8 {
        x + 1
    }
}

/// Shares its name with `Wrapper::plus_one`, which must not call it.
fn plus_one(x: u8) -> u8 {
    x + 100
}

struct Text<'a>(&'a str);

impl<'a> Text<'a> {
    // Uses the impl's lifetime and names `Self` only in a standard macro.
    #[parallelized]
    fn words(s: &'a str) -> Vec<Self> {
        vec![Self(s)]
    }

    #[parallelized(associated)]
    fn first_word(s: &'a str) -> &'a str {
        s.split(' ').next().unwrap_or(s)
    }
}

/// Writes `Self` only as text: still a free function.
#[parallelized]
fn self_as_text(x: u8) -> String {
    format!("{x}: {}", stringify!(Self))
}

/// Defines a type with an impl that names `Self`: still a free function.
#[parallelized]
fn doubled_by_a_local_type(x: u8) -> u8 {
    struct Local(u8);
    impl Local {
        fn double(self) -> Self {
            Local(self.0 * 2)
        }
    }
    Local(x).double().0
}

#[test]
fn the_original_example() {
    assert_eq!(pow_par(vec![(1.0, 0.5), (4.0, 0.5)], 4), [1.0, 2.0]);
}

#[test]
fn the_original_function_is_kept_as_written() {
    assert_eq!(pow(4.0, 0.5), 2.0);
    assert_eq!(successor(1), 2);
    assert_eq!(Model { weight: 2.0 }.score(3.0), 6.0);
}

#[test]
fn results_come_in_input_order_for_every_worker_count() {
    let expected: Vec<u64> = (1..=10_000).collect();
    for njobs in [1, 2, 3, 7, 16, -1, -2] {
        assert_eq!(successor_par(0..10_000, njobs), expected, "njobs = {njobs}");
    }
}

#[test]
fn arity_zero_takes_units_and_arity_one_the_argument_itself() {
    assert_eq!(seven_par(vec![(); 3], 2), [7, 7, 7]);
    assert_eq!(seven_par(std::iter::empty(), 2), Vec::<u8>::new());
    assert_eq!(successor_par([41], 2), [42]);
    assert_eq!(successor_par(Vec::<u64>::new(), 2), Vec::<u64>::new());
}

#[test]
fn borrowed_arguments_and_results() {
    let words = vec![String::from("ab"), String::from("cde")];
    let pairs: Vec<(&str, &str)> = words.iter().map(|w| (w.as_str(), "x")).collect();
    assert_eq!(total_len_par(pairs, 2), [3, 4]);

    let rows = vec![vec![1_u8, 2], vec![3]];
    let heads: Vec<&u8> = head_par(rows.iter().map(Vec::as_slice), 2);
    assert_eq!(heads, [&1, &3]);

    let shouted = shout_par([Cow::Borrowed("hi"), Cow::Borrowed("ok!")], 2);
    assert_eq!(shouted, ["hi!", "ok!"]);
    assert!(matches!(shouted[1], Cow::Borrowed(_)));

    assert_eq!(longest_par([("a", "bc"), ("def", "g")], 2), ["bc", "def"]);
    assert_eq!(first_of_par([("a", "b")], 2), ["a"]);
}

#[test]
fn generic_functions() {
    assert_eq!(pair_par([1, 2], 2), [(1, 0), (2, 0)]);
    assert_eq!(
        pair_par(["x".to_owned()], 2),
        [("x".to_owned(), String::new())]
    );
    let zeros: Vec<u32> = made_par([(), ()], 2);
    assert_eq!(zeros, [0, 0]);
    assert_eq!(describe_par([("a", "b")], 2), ["\"a\"/\"b\""]);
    assert_eq!(describe_par([(&[1][..], &[2, 3][..])], 2), ["[1]/[2, 3]"]);
    assert_eq!(length_par([[1_u8, 0, 0], [5, 0, 0]], 2), [4, 8]);
}

#[test]
fn patterns_mut_parameters_impl_trait_and_fn_pointers() {
    assert_eq!(sum_parts_par([((1, 2), 3), ((0, 0), 1)], 2), [6, 1]);
    assert_eq!(render_par([(1, "a"), (2, "b")], 2), ["1a", "2b"]);
    assert_eq!(apply_par([(str::len as fn(&str) -> usize, "four")], 2), [4]);
}

#[test]
fn unsafe_functions_get_unsafe_companions() {
    let bytes = [1_u8, 2, 3];
    // SAFETY: every reference points into `bytes`, which outlives the call.
    let read = unsafe { read_byte_par(bytes.iter(), 2) };
    assert_eq!(read, bytes);
}

#[test]
fn visibility_and_cfg_are_carried() {
    assert_eq!(visibility::double_par([1, 2], 2), [2, 4]);
}

#[test]
fn methods_taking_self_by_reference() {
    let model = Model { weight: 2.0 };
    assert_eq!(model.score_par([1.0, 2.0, 3.0], 2), [2.0, 4.0, 6.0]);
    let data = [1.0];
    assert_eq!(model.weight_of_par([&data[..]], 2), [&2.0]);
    assert_eq!(model.checked_try_par([1.0, 2.0], 2), Ok(vec![2.0, 4.0]));
    assert_eq!(
        model.checked_try_par([1.0, -1.0, -2.0], 2),
        Err("negative: -1".to_owned())
    );
    assert_eq!(
        Wrapper('x').with_par([1, 2], 2),
        [vec!['x'], vec!['x', 'x']]
    );
}

#[test]
fn associated_functions_without_self() {
    let made: Vec<Wrapper<char>> = Wrapper::new_par(['a', 'b'], 2);
    assert_eq!(made.iter().map(|w| w.0).collect::<String>(), "ab");
    assert_eq!(
        Wrapper::<char>::repeated_par([('x', 1), ('y', 2)], 2),
        [vec!['x'], vec!['y', 'y']]
    );
    assert_eq!(Wrapper::<()>::plus_one_par([1, 2], 2), [2, 3]);
    assert_eq!(plus_one(1), 101);
    assert_eq!(doubled_by_a_local_type_par([1, 2, 3], 2), [2, 4, 6]);
    let words = Text::words_par(["a", "b"], 2);
    assert_eq!(words.iter().map(|w| w[0].0).collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(Text::first_word_par(["x y", "z"], 2), ["x", "z"]);
    assert_eq!(self_as_text_par([1], 2), ["1: Self"]);
}

#[test]
fn the_par_companion_of_a_result_function_returns_every_result() {
    let parsed = parse_par(["1", "x", "3"], 2);
    assert_eq!(parsed[0], Ok(1));
    assert!(parsed[1].is_err());
    assert_eq!(parsed[2], Ok(3));
}

#[test]
fn try_par_returns_what_the_sequential_collect_returns() {
    for njobs in [1, 2, 3, -1] {
        let inputs = ["1", "2", "300", "x", ""];
        let sequential: Result<Vec<u8>, _> = inputs.iter().map(|s| parse(s)).collect();
        assert_eq!(parse_try_par(inputs, njobs), sequential, "njobs = {njobs}");
        assert_eq!(parse_try_par(["7", "8"], njobs), Ok(vec![7, 8]));
        assert_eq!(parse_try_par(Vec::<&str>::new(), njobs), Ok(vec![]));
    }
    assert_eq!(file_len_try_par(["ab", "c"], 2).unwrap(), [2, 1]);
    assert_eq!(
        file_len_try_par(["ab", ""], 2).unwrap_err().to_string(),
        "empty name"
    );
}

/// The lowest failing index wins even when a later item fails first in time.
#[parallelized]
fn fail_at(index: usize, slow: bool) -> Result<usize, usize> {
    if slow {
        // Some real work, so that the faster failure is recorded first.
        support::spin(2_000_000);
    }
    if index == 2 || index == 7 {
        Err(index)
    } else {
        Ok(index)
    }
}

#[test]
fn try_par_reports_the_lowest_failing_index_not_the_first_in_time() {
    let items: Vec<(usize, bool)> = (0..10).map(|i| (i, i == 2)).collect();
    for njobs in [2, 3, 4] {
        assert_eq!(
            fail_at_try_par(items.clone(), njobs),
            Err(2),
            "njobs = {njobs}"
        );
    }
}

static CALLS: AtomicUsize = AtomicUsize::new(0);

#[parallelized]
fn counted(index: usize) -> Result<usize, String> {
    CALLS.fetch_add(1, Ordering::SeqCst);
    if index == 0 {
        return Err("item 0 is bad".to_owned());
    }
    support::spin(20_000);
    Ok(index)
}

#[test]
fn try_par_skips_work_past_a_known_failure() {
    let total = 10_000;
    assert_eq!(
        counted_try_par(0..total, 2),
        Err("item 0 is bad".to_owned())
    );
    let calls = CALLS.load(Ordering::SeqCst);
    assert!(
        calls < total / 2,
        "{calls} of {total} items ran after item 0 failed"
    );
}

#[test]
fn a_function_returning_another_type_named_result_can_opt_out() {
    use own_result::{Result, wrap_par};
    assert_eq!(wrap_par([1, 2], 2), [Result(1), Result(2)]);
}

#[test]
fn integer_njobs_of_any_width_and_a_jobs_value_work() {
    let expected = vec![1, 2];
    assert_eq!(successor_par([0, 1], 2_u8), expected);
    assert_eq!(successor_par([0, 1], -1_i64), expected);
    assert_eq!(successor_par([0, 1], parallelize::Jobs::new(3)), expected);
}

/// A result whose `Drop` panics, for item 50.
struct Fragile(u64);

impl Drop for Fragile {
    fn drop(&mut self) {
        assert!(self.0 != 50, "drop of 50");
    }
}

#[test]
fn try_par_returns_the_sequential_error_even_if_a_result_past_it_panics_when_dropped() {
    use parallelize::Jobs;
    use std::sync::atomic::AtomicBool;
    use std::time::{Duration, Instant};
    // Item 10 fails only once item 50 (on the other half of the range, the other worker's)
    // has made its result, so that result exists and must be dropped. The sequential loop
    // would stop at 10 and never make it: the answer is `Err(10)`, not item 50's drop panic
    // (found by a stress run: 3 of 36 runs). The deadline only keeps a stalled run finite.
    let made_50 = AtomicBool::new(false);
    let f = |x: u64| -> Result<Fragile, u64> {
        if x == 10 {
            let deadline = Instant::now() + Duration::from_secs(10);
            while !made_50.load(Ordering::SeqCst) && Instant::now() < deadline {
                std::hint::spin_loop();
            }
            return Err(x);
        }
        if x == 50 {
            made_50.store(true, Ordering::SeqCst);
        }
        Ok(Fragile(x))
    };
    let outcome = parallelize::try_par_map(0..100_u64, Jobs::new(2).adaptive(false), f);
    assert!(
        made_50.load(Ordering::SeqCst),
        "item 50 never ran: the case was not tested"
    );
    assert_eq!(outcome.err(), Some(10));
}

/// Depth of a recursion that calls its own companion at every level.
#[parallelized]
fn depth(level: u32) -> u32 {
    if level == 0 {
        0
    } else {
        // Two items, so that each level goes to the workers (one item would run inline).
        depth_par([level - 1, 0], parallelize::Jobs::new(2).adaptive(false))[0] + 1
    }
}

#[test]
fn a_recursive_function_nests_dozens_of_levels_on_the_workers() {
    // The documented limit (crate docs, Limits): each level nests one parallel call on a
    // worker's stack; about a hundred levels fit rayon's default stack in a debug build (this
    // one: 100 did, 200 overflowed), several hundred in release.
    let deep = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(|| depth_par([64_u32, 0], parallelize::Jobs::new(2).adaptive(false)))
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(deep, [64, 0]);
}

#[test]
fn try_par_sets_aside_two_panicking_drops_past_the_answer() {
    use parallelize::Jobs;
    // Two results past the first error whose drops panic: each is dropped on its own (the
    // second during the first's unwinding would abort the process).
    struct Twice(u64);
    impl Drop for Twice {
        fn drop(&mut self) {
            assert!(self.0 != 50 && self.0 != 60, "drop of {}", self.0);
        }
    }
    // Item 10 fails only once items 50 and 60 (the other worker's half) have made their
    // results, so that both exist past the answer; the deadline only keeps a stall finite.
    let made = std::sync::atomic::AtomicUsize::new(0);
    let outcome = parallelize::try_par_map(0..100_u64, Jobs::new(2).adaptive(false), |x| {
        if x == 10 {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while made.load(Ordering::SeqCst) < 2 && std::time::Instant::now() < deadline {
                std::hint::spin_loop();
            }
            return Err(x);
        }
        if x == 50 || x == 60 {
            made.fetch_add(1, Ordering::SeqCst);
        }
        Ok(Twice(x))
    });
    assert_eq!(
        made.load(Ordering::SeqCst),
        2,
        "items 50 and 60 did not both run"
    );
    assert_eq!(outcome.err(), Some(10));
}
