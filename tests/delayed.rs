//! `delayed!` and `pool_parallelize`: calls of any functions in one batch, results in order.

// The values compared are exact (small integers and their square roots).
#![allow(clippy::float_cmp)]

use std::io::Read as _;
use std::panic::catch_unwind;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use parallelize::{Delayed, delayed, pool_parallelize};

mod support;
use support::Rendezvous;

fn pow(x: f64, y: f64) -> f64 {
    x.powf(y)
}

fn sqrt(x: f64) -> f64 {
    x.sqrt()
}

struct Model {
    weight: f64,
}

impl Model {
    fn score(&self, x: &[f64]) -> f64 {
        x.iter().sum::<f64>() * self.weight
    }
}

#[test]
fn calls_of_different_functions_go_in_one_batch_in_order() {
    let model = Model { weight: 0.5 };
    let x = vec![1.0, 3.0];
    let double = |v: f64| v * 2.0;
    let tasks = || -> Vec<Delayed<'_, f64>> {
        vec![
            delayed!(pow(2.0, 0.5)),
            delayed!(sqrt(16.0)),
            delayed!(model.score(&x)),
            delayed!(double(21.0)),
            delayed!((|v: f64| v + 1.0)(1.0)),
            delayed!(f64::max(1.0, 7.0)),
            delayed!(f64::powi(x[1], 2)),
        ]
    };
    let expected = vec![2_f64.sqrt(), 4.0, 2.0, 42.0, 2.0, 7.0, 9.0];
    for njobs in [1, 2, 4, -1] {
        assert_eq!(
            pool_parallelize(tasks(), njobs),
            expected,
            "njobs = {njobs}"
        );
    }
    // The receiver was borrowed, not moved: still usable.
    assert_eq!(model.score(&x), 2.0);
    assert_eq!(
        tasks().into_iter().map(Delayed::run).collect::<Vec<_>>(),
        expected
    );
}

#[test]
fn arguments_are_evaluated_when_delayed_runs_not_when_the_task_does() {
    let order = Mutex::new(Vec::new());
    let note = |what: &'static str, value: u32| {
        order.lock().unwrap().push(what);
        value
    };
    let task = delayed!(u32::checked_add(note("first", 1), note("second", 2)));
    assert_eq!(*order.lock().unwrap(), ["first", "second"]);
    order.lock().unwrap().push("before running");
    assert_eq!(pool_parallelize([task], 2), [Some(3)]);
    assert_eq!(
        *order.lock().unwrap(),
        ["first", "second", "before running"]
    );

    // A value moved into the task is the value at `delayed!` time.
    let mut counter = 1;
    let task = delayed!(u32::pow(counter, 2));
    counter += 10;
    assert_eq!((task.run(), counter), (1, 11));
}

#[test]
fn closure_arguments_keep_their_types_and_borrow_what_they_use() {
    fn apply(f: impl Fn(i32) -> i32, x: i32) -> i32 {
        f(x)
    }
    let data = String::from("abc");
    // Two tasks whose closures use the same non-`Copy` local, which stays usable after.
    let tasks = vec![
        delayed!(apply(|v| v + i32::try_from(data.len()).unwrap(), 1)),
        delayed!(apply(|v| v * i32::from(data.as_bytes()[2] - b'a'), 2)),
    ];
    assert_eq!(pool_parallelize(tasks, 2), [4, 4]);
    assert_eq!(data, "abc");
    let offset = 5;
    let results = pool_parallelize(
        vec![
            delayed!(apply(|v| v + offset, 1)),
            delayed!(apply(|v| v * 2, 4)),
        ],
        2,
    );
    assert_eq!(results, [6, 8]);
}

#[test]
fn each_task_is_its_own_unit_of_work() {
    // Four neighbouring tasks that must run at once, then many quick ones: rayon's default
    // splitting would hand the first four to one worker as one run.
    let meeting = Rendezvous::new(4);
    let mut tasks: Vec<Delayed<'_, usize>> = (0..4).map(|_| delayed!(meeting.arrive())).collect();
    tasks.extend((0..60).map(|i| delayed!(usize::min(i, 100))));
    let results = pool_parallelize(tasks, 4);
    assert_eq!(
        results[..4],
        [4, 4, 4, 4],
        "the first four tasks did not all run at once"
    );
    assert_eq!(results[4..], (0..60).collect::<Vec<_>>()[..]);
}

#[test]
fn a_panicking_task_is_named_and_stops_new_tasks() {
    let started = AtomicUsize::new(0);
    let work = |i: usize| {
        started.fetch_add(1, Ordering::SeqCst);
        assert!(i != 2, "task two failed");
        thread::sleep(Duration::from_millis(2));
        i
    };
    for njobs in [1, 2] {
        started.store(0, Ordering::SeqCst);
        let tasks: Vec<Delayed<'_, usize>> = (0..200).map(|i| delayed!(work(i))).collect();
        let payload = catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool_parallelize(tasks, njobs)
        }))
        .unwrap_err();
        assert_eq!(
            payload.downcast_ref::<String>().unwrap(),
            "item 2 panicked: task two failed"
        );
        let started = started.load(Ordering::SeqCst);
        assert!(
            started < 50,
            "{started} of 200 tasks started after the panic (njobs = {njobs})"
        );
    }
}

fn total(values: &[u32]) -> u32 {
    values.iter().sum()
}

struct Scorer {
    weight: u32,
}

impl Scorer {
    fn score(&self, x: u32) -> u32 {
        x * self.weight
    }
}

#[test]
fn receivers_are_held_as_the_method_call_would_use_them() {
    // A reference in a loop variable is copied into the task, not borrowed from the loop.
    let scorers = vec![Scorer { weight: 2 }, Scorer { weight: 3 }];
    let mut tasks = Vec::new();
    for scorer in &scorers {
        tasks.push(delayed!(scorer.score(10)));
    }
    tasks.extend(scorers.iter().map(|scorer| delayed!(scorer.score(1))));
    assert_eq!(pool_parallelize(tasks, 2), [20, 30, 2, 3]);

    // Method lookup is the call's own: `&String` clones to a `String`, `u32::max` takes `u32`s.
    let name = String::from("ada");
    let borrowed: &String = &name;
    let clones: Vec<String> =
        pool_parallelize([delayed!(borrowed.clone()), delayed!(name.clone())], 2);
    assert_eq!(clones, ["ada", "ada"]);
    let (a, b) = (3_u32, 9_u32);
    assert_eq!(
        pool_parallelize([delayed!(a.max(b)), delayed!(b.min(a))], 2),
        [9, 3]
    );

    // A temporary receiver is moved into the task, and may be mutated there.
    let text = String::from("x,y");
    assert_eq!(
        pool_parallelize([delayed!(text.split(',').next())], 2),
        [Some("x")]
    );

    assert_eq!(pool_parallelize([delayed!(vec![1, 2].pop())], 2), [Some(2)]);

    // A borrowed temporary argument is held by the task and lent to the call; a `&mut`
    // argument lends the caller's value, which the call changes.
    assert_eq!(pool_parallelize([delayed!(total(&vec![1, 2, 3]))], 2), [6]);
    // Parentheses and braces the user needs there do not read as unused (clippy's -D warnings
    // run checks this file).
    let base = 4;
    assert_eq!(
        pool_parallelize(
            [
                delayed!(u32::clone(&(base + 1))),
                delayed!(u32::clone(&{ base - 1 }))
            ],
            2
        ),
        [5_u32, 3]
    );
    let mut stack = vec![1, 2, 3];
    assert_eq!(
        pool_parallelize([delayed!(Vec::pop(&mut stack))], 2),
        [Some(3)]
    );
    assert_eq!(stack, [1, 2]);
    // A handle whose `&mut self` methods are implemented on `&T` (`Read for &File`): write the
    // `&`, so that the task holds the reference by value.
    let file = std::fs::File::open("Cargo.toml").unwrap();
    let mut text = String::new();
    let read = pool_parallelize([delayed!((&file).read_to_string(&mut text))], 2);
    assert!(read[0].as_ref().is_ok_and(|bytes| *bytes > 0));
    assert!(text.contains("[package]"));
    let array = [7_u8, 8];
    assert_eq!(
        pool_parallelize([delayed!(<[u8]>::first(&array))], 2),
        [Some(&7)]
    );
}

#[test]
fn a_closure_in_a_variable_is_borrowed_not_moved() {
    let suffix = String::from("!");
    let shout = move |s: &str| format!("{s}{suffix}");
    let tasks = vec![delayed!(shout("a")), delayed!(shout("b"))];
    assert_eq!(pool_parallelize(tasks, 2), ["a!", "b!"]);
    assert_eq!(shout("c"), "c!");
}

#[test]
fn one_worker_runs_the_tasks_on_the_callers_thread_in_order() {
    let caller = thread::current().id();
    let seen = Mutex::new(Vec::new());
    let note = |i: usize| {
        seen.lock().unwrap().push((i, thread::current().id()));
        i
    };
    let tasks: Vec<Delayed<'_, usize>> = (0..20).map(|i| delayed!(note(i))).collect();
    assert_eq!(pool_parallelize(tasks, 1), (0..20).collect::<Vec<_>>());
    let seen = seen.into_inner().unwrap();
    assert!(seen.iter().map(|&(i, _)| i).eq(0..20));
    assert!(seen.iter().all(|&(_, id)| id == caller));
}

#[test]
fn pool_parallelize_nests_inside_a_task() {
    fn inner(n: u64) -> u64 {
        let tasks: Vec<Delayed<'_, u64>> = (0..n).map(|i| delayed!(u64::pow(i, 2))).collect();
        pool_parallelize(tasks, 3).into_iter().sum()
    }
    let tasks: Vec<Delayed<'_, u64>> = (1..=6).map(|n| delayed!(inner(n * 10))).collect();
    let expected: Vec<u64> = (1..=6).map(|n| (0..n * 10).map(|i| i * i).sum()).collect();
    assert_eq!(pool_parallelize(tasks, 2), expected);
}
