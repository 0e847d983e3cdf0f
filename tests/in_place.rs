//! `par_comp!` reads its leftmost iterable where it lies when rayon can split it there (a
//! `Vec`, a slice, an array, a slice iterator, an integer range), and gathers anything else;
//! either way the answer is the sequential comprehension's. And the tiny path takes the plain
//! loop's shape whatever the input.

use std::collections::{BTreeSet, HashSet};
use std::panic::{AssertUnwindSafe, catch_unwind, panic_any};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use parallelize::__private::serial_gathers;
use parallelize::{Jobs, par_comp, par_map, parallelized};

/// Every worker count and path: inline (one worker), adaptive, and always on the workers.
fn every_jobs() -> [Jobs; 4] {
    [
        Jobs::new(1),
        Jobs::new(2),
        Jobs::new(3).adaptive(false),
        Jobs::all().adaptive(false),
    ]
}

#[test]
fn every_in_place_input_gives_the_sequential_answer() {
    let v: Vec<i64> = (0..1000).map(|i| i * 7 - 300).collect();
    let expected: Vec<i64> = v.iter().map(|x| x * 2).collect();
    let array: [i64; 5] = [3, -1, 4, -1, 5];
    let array_expected: Vec<i64> = array.iter().map(|x| x * 2).collect();
    for jobs in every_jobs() {
        assert_eq!(par_comp![x * 2 for x in v.clone(); njobs = jobs], expected);
        assert_eq!(par_comp![x * 2 for x in &v; njobs = jobs], expected);
        assert_eq!(
            par_comp![x * 2 for &x in v.as_slice(); njobs = jobs],
            expected
        );
        assert_eq!(par_comp![x * 2 for &x in &v[..]; njobs = jobs], expected);
        assert_eq!(par_comp![x * 2 for x in v.iter(); njobs = jobs], expected);
        assert_eq!(
            par_comp![x * 2 for x in array; njobs = jobs],
            array_expected
        );
        assert_eq!(
            par_comp![x * 2 for x in &array; njobs = jobs],
            array_expected
        );
        // A temporary borrowed by the iterable lives as long as the call.
        assert_eq!(
            par_comp![x * 2 for x in &vec![1, 2, 3]; njobs = jobs],
            [2, 4, 6]
        );
        // Mutable borrows: each item is the element itself.
        let mut w = v.clone();
        let doubled = par_comp![{ *x *= 2; *x } for x in &mut w; njobs = jobs];
        assert_eq!((&doubled, &w), (&expected, &expected));
        let mut w = v.clone();
        let _ = par_comp![{ *x += 1; } for x in w.as_mut_slice(); njobs = jobs];
        assert_eq!(w, v.iter().map(|x| x + 1).collect::<Vec<_>>());
    }
}

fn double(x: i64) -> i64 {
    x * 2
}

// Outside any other macro, where clippy looks at the expansion.
fn doubled(v: &[i64]) -> Vec<i64> {
    par_comp![double(x) for x in v.to_vec(); njobs = 2]
}

fn lengths(words: &[String]) -> Vec<usize> {
    par_comp![w.len() for w in words]
}

#[test]
fn element_closures_are_not_the_users_redundant_closures() {
    // CI runs clippy with `-D warnings` over this file: the closures that the elements become
    // must not be flagged as the user's.
    let v: Vec<i64> = (0..10).collect();
    assert_eq!(
        doubled(&v),
        v.iter().map(|&x| double(x)).collect::<Vec<_>>()
    );
    let words = vec![String::from("a"), String::from("bc")];
    assert_eq!(lengths(&words), [1, 2]);
}

#[test]
// Empty and reversed ranges are among the cases on purpose.
#[allow(clippy::reversed_empty_ranges)]
fn every_integer_range_gives_the_sequential_answer() {
    macro_rules! ranges {
        ($jobs:expr; $($range:expr),* $(,)?) => {$(
            let expected: Vec<_> = ($range).map(|x| (x, 1)).collect();
            assert_eq!(par_comp![(x, 1) for x in $range; njobs = $jobs], expected, "{}", stringify!($range));
        )*};
    }
    for jobs in every_jobs() {
        ranges!(jobs;
            0..1000, 5..2, 3..3, 0..=0, 1..=0, -500_i32..500,
            i8::MIN..i8::MAX, i8::MIN..=i8::MAX, 0..=u8::MAX, u16::MAX - 300..=u16::MAX,
            u32::MAX - 99..u32::MAX, i64::MIN..i64::MIN + 300, i64::MAX - 3..=i64::MAX,
            u64::MAX - 700..=u64::MAX, usize::MAX - 10..usize::MAX, isize::MIN..=isize::MIN + 9,
            -3_i16..=3, 0..300_u128, -5_i128..=5,
        );
    }
}

#[test]
fn in_place_inputs_are_not_gathered_serially() {
    let v: Vec<u64> = (0..10_000).collect();
    let array = [1_u64; 64];
    // Always on the workers, so that a gather would happen.
    let jobs = Jobs::new(2).adaptive(false);
    let before = serial_gathers();
    let _ = par_comp![x + 1 for x in &v; njobs = jobs];
    let _ = par_comp![x + 1 for x in v.as_slice(); njobs = jobs];
    let _ = par_comp![x + 1 for x in v.iter(); njobs = jobs];
    let _ = par_comp![x + 1 for x in v.clone(); njobs = jobs];
    let _ = par_comp![x + 1 for x in array; njobs = jobs];
    let _ = par_comp![x + 1 for x in 0..10_000_u64; njobs = jobs];
    let _ = par_comp![x + 1 for x in 0..=9_999_u32; njobs = jobs];
    // Several clauses: the leftmost is read in place too.
    let _ = par_comp![x + y for x in &v if x % 2 == 0 for y in 0..2; njobs = 2];
    let _ = par_comp![x for x in 0..10_000_u64 if x % 3 == 0; njobs = 2];
    assert_eq!(serial_gathers(), before, "an in-place input was gathered");

    // What cannot be split where it lies is gathered: the counter sees it.
    let set: BTreeSet<u64> = v.iter().copied().collect();
    let _ = par_comp![x + 1 for x in &set; njobs = jobs];
    let _ = par_comp![x + 1 for x in v.iter().filter(|x| *x % 2 == 0); njobs = jobs];
    let _ = par_comp![x for x in &set if x % 3 == 0; njobs = 2];
    assert_eq!(serial_gathers(), before + 3);
}

/// Counts its drops, so that a panic that drops an item twice or leaks one is seen.
struct Counted(u64, &'static AtomicUsize);

impl Drop for Counted {
    fn drop(&mut self) {
        self.1.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn an_item_panic_on_the_inline_path_drops_every_input_and_result_once() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let input: Vec<Counted> = (0..20).map(|i| Counted(i, &DROPS)).collect();
    let result = catch_unwind(AssertUnwindSafe(|| {
        // One worker: inline, mapping the `Vec` in its own buffer.
        par_map(input, 1, |c: Counted| {
            assert!(c.0 != 5, "five");
            Counted(c.0 * 10, c.1)
        })
    }));
    let Err(payload) = result else {
        panic!("the call should panic");
    };
    assert_eq!(
        *payload.downcast::<String>().unwrap(),
        "item 5 panicked: five"
    );
    // 20 inputs (each dropped once, consumed or not) and the 5 results made before the panic.
    assert_eq!(DROPS.load(Ordering::Relaxed), 25);
}

#[test]
fn an_owned_vec_is_mapped_in_its_own_buffer_and_dropped_exactly_once_on_a_panic() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let counted = |n: u64| -> Vec<Counted> { (0..n).map(|i| Counted(i, &DROPS)).collect() };
    // One worker: inline. Results of the items' size and alignment are written over them.
    let input = counted(20);
    let buffer = input.as_ptr() as usize;
    let results = par_comp![Counted(c.0 * 10, c.1) for c in input; njobs = 1];
    assert_eq!(
        results.as_ptr() as usize,
        buffer,
        "the Vec was not mapped in place"
    );
    assert_eq!(
        results.iter().map(|c| c.0).collect::<Vec<_>>(),
        (0..20).map(|i| i * 10).collect::<Vec<_>>()
    );
    assert_eq!(DROPS.load(Ordering::Relaxed), 20, "each input dropped once");
    drop(results);
    assert_eq!(DROPS.load(Ordering::Relaxed), 40);

    // A panic at item 5: the 5 results made, the item in the call and the 14 after it are
    // each dropped once, and the buffer freed.
    DROPS.store(0, Ordering::Relaxed);
    let input = counted(20);
    let result = catch_unwind(AssertUnwindSafe(
        || par_comp![{ assert!(c.0 != 5, "five"); Counted(c.0 * 10, c.1) } for c in input; njobs = 1],
    ));
    let Err(payload) = result else {
        panic!("the call should panic");
    };
    assert_eq!(
        *payload.downcast::<String>().unwrap(),
        "item 5 panicked: five"
    );
    assert_eq!(DROPS.load(Ordering::Relaxed), 25);

    // Heap-owning items and results of another size take the ordinary path; zero-sized ones
    // too. Every result is right.
    let words: Vec<String> = (0..50).map(|i| format!("w{i}")).collect();
    let expected: Vec<String> = words.iter().map(|w| w.to_uppercase()).collect();
    assert_eq!(
        par_comp![w.to_uppercase() for w in words.clone(); njobs = 1],
        expected
    );
    assert_eq!(
        par_comp![w.as_bytes()[0] for w in words.clone(); njobs = 1],
        words.iter().map(|w| w.as_bytes()[0]).collect::<Vec<_>>()
    );
    assert_eq!(
        par_comp![(w, 1_u128) for w in words.clone(); njobs = 1].len(),
        50
    );
    assert_eq!(par_comp![() for _u in vec![(); 7]; njobs = 1], vec![(); 7]);
    assert_eq!(
        par_comp![7_u8 for _u in vec![(); 7]; njobs = 1],
        vec![7_u8; 7]
    );
}

#[test]
fn an_element_panic_in_an_in_place_comprehension_names_its_item() {
    for jobs in every_jobs() {
        let payload = catch_unwind(|| {
            par_comp![if x == 7 { panic!("seven") } else { x } for x in 0..100_u32; njobs = jobs]
        })
        .unwrap_err();
        assert_eq!(
            *payload.downcast::<String>().unwrap(),
            "item 7 panicked: seven"
        );
    }
}

#[parallelized]
fn sized_up(x: u64) -> u64 {
    x.wrapping_mul(3) ^ 1
}

#[test]
fn a_function_called_with_very_different_sizes_takes_the_right_path_each_time() {
    // A slice iterator is gathered when the call goes parallel, and read as it is inline: the
    // gather count tells which path a call took.
    let v: Vec<u64> = (0..100_000).collect();
    let call = |n: usize| {
        let before = serial_gathers();
        let results = sized_up_par(v[..n].iter().copied(), 2);
        assert_eq!(
            results,
            v[..n].iter().map(|&x| sized_up(x)).collect::<Vec<_>>()
        );
        serial_gathers() - before
    };
    // Unknown cost: parallel; 10 items then teach the cost, and so on.
    for _ in 0..3 {
        call(10);
        call(1000);
    }
    // 100,000 items are always worth the workers; 10 items after them never are (their cost
    // would have to be 2 us an item).
    assert_eq!(call(100_000), 1, "100,000 items ran inline");
    assert_eq!(call(10), 0, "10 items went to the workers after a big call");
    assert_eq!(
        call(100_000),
        1,
        "100,000 items ran inline after a small call"
    );
}

fn wide(x: u128) -> u128 {
    x * 3
}

#[test]
fn ranges_whose_integer_type_is_inferred_later_still_compile() {
    // The range's type is not known when `par_comp!` picks its source: `u128` and `i128`
    // (found by a review: these stopped compiling when only 64-bit ranges were in place).
    assert_eq!(par_comp![wide(x) for x in 0..4; njobs = 2], [0, 3, 6, 9]);
    assert_eq!(par_comp![x * 3_i128 for x in 0..4], [0, 3, 6, 9]);
}

#[test]
fn temporaries_of_a_one_for_iterable_end_with_the_comprehension() {
    // As before the in-place dispatch: the guard is gone by the end of the expression.
    let m = Mutex::new(vec![1, 2, 3]);
    let seen = par_comp![x + 1 for x in m.lock().unwrap().clone(); njobs = 2].len()
        + usize::from(m.try_lock().is_err());
    assert_eq!(seen, 3);
}

/// Spins for `micros` microseconds: work that cannot finish sooner.
fn spin(micros: u64) {
    let until = Instant::now() + Duration::from_micros(micros);
    while Instant::now() < until {}
}

fn timed_items(items: &[u64], micros: u64, threads: &Mutex<HashSet<thread::ThreadId>>) -> Vec<u64> {
    par_comp![{
        spin(micros);
        threads.lock().unwrap().insert(thread::current().id());
        x
    } for &x in items; njobs = 2]
}

#[test]
fn a_measured_in_place_call_hands_the_rest_to_the_workers_once_over_budget() {
    let threads = Mutex::new(HashSet::new());
    let items: Vec<u64> = (0..40).collect();
    // Learns at least 1 us an item (the first call goes parallel, and its items spin 1 us).
    assert_eq!(timed_items(&items, 1, &threads), items);
    // 10 items are then predicted at 10 us or more: never inline without the clock (that is
    // below 5 us), so measured inline, or parallel. They now take 2 ms each: the first one
    // spends the budget, and the rest must go to the workers.
    threads.lock().unwrap().clear();
    assert_eq!(timed_items(&items[..10], 2_000, &threads), &items[..10]);
    assert!(
        threads.lock().unwrap().len() >= 2,
        "all ten 2 ms items ran on one thread"
    );
}

struct Strange;

impl Drop for Strange {
    fn drop(&mut self) {
        panic!("the payload's own drop");
    }
}

#[test]
fn an_item_panicking_with_a_payload_whose_drop_panics_does_not_abort() {
    // Inline, one worker. (Dropping the payload while unwinding would abort the process.) The
    // drop's own panic is what reaches the caller, as from the sequential loop's frame.
    let payload =
        catch_unwind(|| par_map(0..4_u8, 1, |x| if x == 2 { panic_any(Strange) } else { x }))
            .unwrap_err();
    assert_eq!(
        payload.downcast_ref::<&str>(),
        Some(&"the payload's own drop")
    );
}

/// A result whose `Drop` panics when it holds 0; the size of [`Counted`], so that results
/// replace the items in their buffer.
struct Loud(u64, #[allow(dead_code)] &'static AtomicUsize);

impl Drop for Loud {
    fn drop(&mut self) {
        assert!(self.0 != 0, "loud drop");
    }
}

#[test]
fn items_left_in_the_buffer_are_dropped_even_if_a_result_drop_panics() {
    static DROPS: AtomicUsize = AtomicUsize::new(0);
    let input: Vec<Counted> = (0..4).map(|i| Counted(i, &DROPS)).collect();
    let result = catch_unwind(AssertUnwindSafe(
        || par_comp![{ assert!(c.0 != 1, "one"); Loud(c.0, c.1) } for c in input; njobs = 1],
    ));
    assert!(result.is_err());
    // Items 0 and 1 went into calls; 2 and 3 stayed in the buffer: all four are dropped.
    assert_eq!(DROPS.load(Ordering::Relaxed), 4);
}
