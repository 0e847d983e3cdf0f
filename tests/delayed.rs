//! `delayed!` and `pool_parallelize`: calls of any functions in one batch, results in order.

// The values compared are exact (small integers and their square roots).
#![allow(clippy::float_cmp)]

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
    // Callee and receiver were borrowed, not moved: still usable.
    assert_eq!(model.score(&x), 2.0);
    assert_eq!(double(1.0), 2.0);
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
fn closure_arguments_keep_their_types_from_the_callee() {
    fn apply(f: impl Fn(i32) -> i32, x: i32) -> i32 {
        f(x)
    }
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
