//! Long runs (issue 12): progress reports, deadlines and cancellation on every entry point,
//! nested calls, and how soon a stopped call returns.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use parallelize::{
    CancelHandle, Jobs, Progress, StopCause, Stoppable, Stopped, delayed, par_comp, par_comp_iter,
    par_map, par_map_iter, par_map_reduce, par_map_reduce_checked, par_map_unordered, parallelized,
    pool_parallelize, pool_parallelize_iter, try_par_map,
};

/// What the items of a test share: counters, and a handle an item may cancel.
#[derive(Default)]
struct Probe {
    started: AtomicUsize,
    /// Items started after `cancel` was cancelled.
    late: AtomicUsize,
    cancel: CancelHandle,
    /// The item that cancels `cancel` when it runs, if any.
    trigger: Option<u64>,
    /// How long each item works.
    work: Duration,
}

impl Probe {
    fn cancelling_at(trigger: u64) -> Arc<Probe> {
        Arc::new(Probe {
            trigger: Some(trigger),
            ..Probe::default()
        })
    }

    fn started(&self) -> usize {
        self.started.load(Ordering::Relaxed)
    }
}

#[parallelized]
fn probe(x: u64, p: &Probe) -> u64 {
    if p.cancel.is_cancelled() {
        p.late.fetch_add(1, Ordering::Relaxed);
    }
    p.started.fetch_add(1, Ordering::Relaxed);
    if p.trigger == Some(x) {
        p.cancel.cancel();
    }
    if !p.work.is_zero() {
        std::thread::sleep(p.work);
    }
    x * 2
}

#[parallelized]
fn try_probe(x: u64, p: &Probe) -> Result<u64, String> {
    if x == u64::MAX {
        return Err("no such item".to_owned());
    }
    Ok(probe(x, p))
}

/// Every entry point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Entry {
    NamePar,
    NameTryPar,
    NameParIter,
    ParMap,
    TryParMap,
    ParMapIter,
    Unordered,
    Reduce,
    ReduceChecked,
    Comp,
    CompIter,
    Pool,
    PoolIter,
}

const ENTRIES: [Entry; 13] = [
    Entry::NamePar,
    Entry::NameTryPar,
    Entry::NameParIter,
    Entry::ParMap,
    Entry::TryParMap,
    Entry::ParMapIter,
    Entry::Unordered,
    Entry::Reduce,
    Entry::ReduceChecked,
    Entry::Comp,
    Entry::CompIter,
    Entry::Pool,
    Entry::PoolIter,
];

/// How a call ended.
#[derive(Debug)]
enum Ended {
    /// Every item: the sum of the results (and, for streams, the results before the end).
    All(u64),
    /// Stopped, as a `Stopped` (checked forms), after `yielded` results.
    Stopped { stopped: Stopped, yielded: Vec<u64> },
    /// Stopped, as a panic with this message (the forms that return every result).
    Panicked(String),
}

impl Ended {
    /// The stop's message, however it came.
    fn message(&self) -> String {
        match self {
            Ended::All(sum) => panic!("not stopped: the call ended with the sum {sum}"),
            Ended::Stopped { stopped, .. } => stopped.to_string(),
            Ended::Panicked(message) => message.clone(),
        }
    }
}

/// A stream's results until its end or its stop.
fn drain(stream: impl Stoppable<Item = u64>) -> Ended {
    let mut yielded = Vec::new();
    for result in stream.checked() {
        match result {
            Ok(value) => yielded.push(value),
            Err(stopped) => return Ended::Stopped { stopped, yielded },
        }
    }
    Ended::All(yielded.iter().sum())
}

/// Runs `entry` over `0..n` (from a `Vec`, so that every form knows the total) with `jobs`.
fn run(entry: Entry, n: usize, jobs: &Jobs, p: &Arc<Probe>) -> Ended {
    run_on(entry, n, jobs, p, false)
}

/// [`run`], the input read through an iterator that hides its length if `hidden` (the
/// pipeline's path, where pieces may stop half-way).
fn run_on(entry: Entry, n: usize, jobs: &Jobs, p: &Arc<Probe>, hidden: bool) -> Ended {
    let xs: Vec<u64> = (0..).take(n).collect();
    // Filtered (keeping every item) when hidden: the iterator then says nothing of its length.
    let args = || -> Box<dyn Iterator<Item = (u64, &Probe)> + '_> {
        let args = xs.iter().map(|&x| (x, &**p));
        if hidden {
            Box::new(args.filter(|_| true))
        } else {
            Box::new(args)
        }
    };
    let owned = || -> Box<dyn Iterator<Item = u64> + Send> {
        let owned = xs.clone().into_iter();
        if hidden {
            Box::new(owned.filter(|_| true))
        } else {
            Box::new(owned)
        }
    };
    let f = |x: u64| probe(x, p);
    let outcome = catch_unwind(AssertUnwindSafe(|| match entry {
        Entry::NamePar => Ended::All(probe_par(args(), jobs).iter().sum()),
        Entry::NameTryPar => Ended::All(try_probe_try_par(args(), jobs).unwrap().iter().sum()),
        Entry::NameParIter => drain(probe_par_iter(args(), jobs)),
        Entry::ParMap => Ended::All(par_map(owned(), jobs, f).iter().sum()),
        Entry::TryParMap => Ended::All(
            try_par_map(owned(), jobs, |x| Ok::<_, ()>(f(x)))
                .unwrap()
                .iter()
                .sum(),
        ),
        Entry::ParMapIter => drain(par_map_iter(owned(), jobs, f)),
        Entry::Unordered => {
            let shared = Arc::clone(p);
            let stream = par_map_unordered(owned(), jobs, move |x| probe(x, &shared));
            let mut yielded = Vec::new();
            for result in stream.checked() {
                match result {
                    Ok((index, value)) => {
                        assert_eq!(
                            value,
                            index as u64 * 2,
                            "{entry:?}: a result under another index"
                        );
                        yielded.push(value);
                    }
                    Err(stopped) => return Ended::Stopped { stopped, yielded },
                }
            }
            Ended::All(yielded.iter().sum())
        }
        Entry::Reduce => Ended::All(par_map_reduce(owned(), jobs, f, |a, b| a + b).unwrap_or(0)),
        Entry::ReduceChecked => match par_map_reduce_checked(owned(), jobs, f, |a, b| a + b) {
            Ok(sum) => Ended::All(sum.unwrap_or(0)),
            Err(stopped) => Ended::Stopped {
                stopped,
                yielded: Vec::new(),
            },
        },
        Entry::Comp => Ended::All(par_comp![f(x) for x in owned(); njobs = jobs].iter().sum()),
        Entry::CompIter => drain(par_comp_iter![f(x) for x in owned(); njobs = jobs]),
        Entry::Pool => Ended::All(
            pool_parallelize(owned().map(|x| delayed!(probe(x, p))), jobs)
                .iter()
                .sum(),
        ),
        Entry::PoolIter => drain(pool_parallelize_iter(
            owned().map(|x| delayed!(probe(x, p))),
            jobs,
        )),
    }));
    match outcome {
        Ok(ended) => ended,
        Err(payload) => Ended::Panicked(
            payload
                .downcast_ref::<String>()
                .cloned()
                .unwrap_or_else(|| panic!("{entry:?}: a panic payload that is not a String")),
        ),
    }
}

/// Checks what a stopped call reported against what its items saw.
fn check_stopped(entry: Entry, ended: &Ended, n: usize, cause: StopCause, p: &Probe) {
    assert!(
        !matches!(ended, Ended::All(_)),
        "{entry:?}: not stopped: {ended:?}"
    );
    let message = ended.message();
    let said = match cause {
        StopCause::Deadline => "stopped by its deadline",
        _ => "stopped by its cancel handle",
    };
    assert!(message.contains(said), "{entry:?}: {message}");
    assert!(p.started() < n, "{entry:?}: every item started");
    let Ended::Stopped { stopped, yielded } = ended else {
        return;
    };
    assert_eq!(stopped.cause(), cause, "{entry:?}");
    assert!(stopped.finished() <= p.started(), "{entry:?}: {stopped}");
    let unfinished: usize = stopped
        .unfinished()
        .iter()
        .map(|range| range.end.min(n) - range.start)
        .sum();
    assert_eq!(stopped.finished() + unfinished, n, "{entry:?}: {stopped}");
    for pair in stopped.unfinished().windows(2) {
        assert!(pair[0].end < pair[1].start, "{entry:?}: {stopped}");
    }
    if matches!(
        entry,
        Entry::NameParIter | Entry::ParMapIter | Entry::CompIter | Entry::PoolIter
    ) {
        // An ordered stream hands out every result before the first item that did not finish,
        // and counts those as finished, the rest as not.
        assert_eq!(stopped.unfinished().len(), 1, "{entry:?}: {stopped}");
        let expected: Vec<u64> = (0..stopped.finished() as u64).map(|x| x * 2).collect();
        assert_eq!(*yielded, expected, "{entry:?}: {stopped}");
    }
    if entry == Entry::Unordered {
        assert_eq!(yielded.len(), stopped.finished(), "{entry:?}: {stopped}");
    }
}

#[test]
fn a_call_cancelled_before_it_starts_starts_no_item_on_every_entry_point() {
    for entry in ENTRIES {
        for workers in [1, 3] {
            let p = Arc::new(Probe::default());
            p.cancel.cancel();
            let jobs = Jobs::new(workers).cancel_on(&p.cancel);
            let ended = run(entry, 1_000, &jobs, &p);
            check_stopped(entry, &ended, 1_000, StopCause::Cancelled, &p);
            assert_eq!(p.started(), 0, "{entry:?} on {workers}: {ended:?}");
            if let Ended::Stopped { stopped, .. } = &ended {
                assert_eq!(
                    stopped.unfinished(),
                    vec![0..1_000],
                    "{entry:?} on {workers}"
                );
                assert_eq!(stopped.total(), Some(1_000), "{entry:?} on {workers}");
            }
        }
    }
}

#[test]
fn a_passed_deadline_starts_no_item_on_every_entry_point() {
    for entry in ENTRIES {
        for workers in [1, 3] {
            let p = Arc::new(Probe::default());
            let jobs = Jobs::new(workers).deadline(Instant::now());
            let ended = run(entry, 500, &jobs, &p);
            check_stopped(entry, &ended, 500, StopCause::Deadline, &p);
            assert_eq!(p.started(), 0, "{entry:?} on {workers}: {ended:?}");
        }
    }
}

#[test]
fn a_call_cancelled_by_an_item_stops_on_every_entry_point() {
    for hidden in [false, true] {
        for entry in ENTRIES {
            for workers in [1, 2, 4] {
                let p = Probe::cancelling_at(300);
                let jobs = Jobs::new(workers).cancel_on(&p.cancel);
                let ended = run_on(entry, 200_000, &jobs, &p, hidden);
                check_stopped(entry, &ended, 200_000, StopCause::Cancelled, &p);
            }
        }
    }
}

/// Cancelled while its input is read to its end: pieces stop half-way in the tail of the call,
/// which must still end with the stop, never with a short or shifted answer.
#[test]
fn a_call_cancelled_in_its_tail_never_returns_a_short_answer() {
    for entry in ENTRIES {
        for workers in [2, 4] {
            for trigger in [5_000, 9_000, 9_990] {
                let p = Probe::cancelling_at(trigger);
                let jobs = Jobs::new(workers).cancel_on(&p.cancel);
                match run_on(entry, 10_000, &jobs, &p, true) {
                    // Every item finished before the stop took effect: the whole answer.
                    Ended::All(sum) => assert_eq!(sum, 9_999 * 10_000, "{entry:?} on {workers}"),
                    ended => check_stopped(entry, &ended, 10_000, StopCause::Cancelled, &p),
                }
            }
        }
    }
}

#[test]
fn a_deadline_in_the_middle_stops_every_entry_point() {
    for entry in ENTRIES {
        let p = Arc::new(Probe {
            work: Duration::from_millis(1),
            ..Probe::default()
        });
        let jobs = Jobs::new(2).timeout(Duration::from_millis(30));
        // 2,000 items of 1 ms on 2 workers: a second of work, cut at 30 ms.
        let ended = run(entry, 2_000, &jobs, &p);
        check_stopped(entry, &ended, 2_000, StopCause::Deadline, &p);
    }
}

#[test]
fn a_call_that_is_not_stopped_gives_every_result_with_controls_set() {
    for entry in ENTRIES {
        for workers in [1, 3] {
            let p = Arc::new(Probe::default());
            let jobs = Jobs::new(workers)
                .cancel_on(&p.cancel)
                .timeout(Duration::from_hours(1))
                .on_progress(|_| {});
            match run(entry, 10_000, &jobs, &p) {
                Ended::All(sum) => assert_eq!(sum, 9_999 * 10_000, "{entry:?} on {workers}"),
                other => panic!("{entry:?} on {workers}: {other:?}"),
            }
        }
    }
}

/// The reports of a call, in the order they were made.
fn recorder() -> (
    Arc<Mutex<Vec<Progress>>>,
    impl Fn(Progress) + Send + Sync + 'static,
) {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&reports);
    (reports, move |progress| log.lock().unwrap().push(progress))
}

#[test]
fn every_entry_point_reports_progress_to_the_final_count() {
    for entry in ENTRIES {
        for workers in [1, 3] {
            let p = Arc::new(Probe::default());
            let (reports, report) = recorder();
            let jobs = Jobs::new(workers).on_progress(report);
            assert!(
                matches!(run(entry, 5_000, &jobs, &p), Ended::All(_)),
                "{entry:?}"
            );
            let reports = reports.lock().unwrap();
            let last = reports
                .last()
                .unwrap_or_else(|| panic!("{entry:?}: no report"));
            assert!(last.is_last(), "{entry:?} on {workers}: {reports:?}");
            assert_eq!(last.finished(), 5_000, "{entry:?} on {workers}");
            assert_eq!(last.total(), Some(5_000), "{entry:?} on {workers}");
            assert_eq!(reports.iter().filter(|report| report.is_last()).count(), 1);
            for pair in reports.windows(2) {
                assert!(
                    pair[0].finished() <= pair[1].finished(),
                    "{entry:?}: {reports:?}"
                );
            }
        }
    }
}

#[test]
fn reports_come_at_a_bounded_rate_not_per_item() {
    // 600 items of 1 ms on 2 workers: about 300 ms, so a few reports, never one per item.
    let (reports, report) = recorder();
    let jobs = Jobs::new(2).on_progress(report);
    let p = Arc::new(Probe {
        work: Duration::from_millis(1),
        ..Probe::default()
    });
    let started = Instant::now();
    let results = par_map(0..600_u64, jobs, |x| probe(x, &p));
    let elapsed = started.elapsed();
    assert_eq!(results.len(), 600);
    let reports = reports.lock().unwrap();
    let during: Vec<&Progress> = reports.iter().filter(|report| !report.is_last()).collect();
    assert!(!during.is_empty(), "no report while the call ran");
    for pair in during.windows(2) {
        let gap = pair[1].elapsed().saturating_sub(pair[0].elapsed());
        // `REPORT_EVERY` apart, less the time between deciding a report and reading the clock.
        assert!(
            gap >= Duration::from_millis(95),
            "reports {gap:?} apart: {reports:?}"
        );
    }
    let most = usize::try_from(elapsed.as_millis() / 100).unwrap() + 2;
    assert!(
        reports.len() <= most,
        "{} reports in {elapsed:?}",
        reports.len()
    );
}

#[test]
fn a_plain_call_cut_short_panics_with_the_stop_and_its_counts() {
    let p = Probe::cancelling_at(10);
    let payload = catch_unwind(AssertUnwindSafe(|| {
        par_map(0..100_000_u64, Jobs::new(2).cancel_on(&p.cancel), |x| {
            probe(x, &p)
        })
    }))
    .unwrap_err();
    let message = payload.downcast_ref::<String>().unwrap();
    assert!(
        message.starts_with("the call was stopped by its cancel handle: "),
        "{message}"
    );
    assert!(
        message.contains(" of 100000 items finished; not finished: "),
        "{message}"
    );
    // The pools stay usable.
    assert_eq!(par_map(0..4_u64, 2, |x| x + 1), [1, 2, 3, 4]);
}

#[test]
fn a_stream_of_unknown_length_reports_the_rest_as_not_finished() {
    let p = Probe::cancelling_at(50);
    let jobs = Jobs::new(2).cancel_on(&p.cancel);
    // `filter` hides the length: the stop's last range is open.
    let stream = par_map_iter((0..u64::MAX).filter(|_| true), jobs, |x| probe(x, &p));
    let Ended::Stopped { stopped, yielded } = drain(stream) else {
        panic!("not stopped");
    };
    assert_eq!(stopped.total(), None);
    assert_eq!(stopped.unfinished().last().unwrap().end, usize::MAX);
    assert!(stopped.to_string().ends_with(".."), "{stopped}");
    assert_eq!(yielded.len(), stopped.unfinished()[0].start);
}

/// Outer items each make an inner call of 1 ms items; outer item 2 cancels the outer call.
#[test]
fn cancelling_an_outer_call_stops_the_calls_nested_in_it() {
    for (outer_workers, inner_workers) in [(2_usize, 2_usize), (3, 1), (2, 4)] {
        let cancel = CancelHandle::new();
        let inner_late = AtomicUsize::new(0);
        let inner_started = AtomicUsize::new(0);
        let jobs = Jobs::from(outer_workers).cancel_on(&cancel);
        let outer = par_map_iter(0..40_u64, jobs, |x| {
            if x == 2 {
                cancel.cancel();
            }
            // A plain inner call: its stop is the outer call's, which stops it.
            par_map(0..200_u64, inner_workers, |y| {
                if cancel.is_cancelled() {
                    inner_late.fetch_add(1, Ordering::Relaxed);
                }
                inner_started.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(1));
                y
            })
            .len() as u64
        });
        let Ended::Stopped { stopped, .. } = drain(outer) else {
            panic!("the outer call was not stopped");
        };
        assert_eq!(stopped.cause(), StopCause::Cancelled);
        // Not `item 2 panicked`: the inner calls' stop is the outer call's own.
        assert!(stopped.finished() < 40, "{stopped}");
        let late = inner_late.load(Ordering::Relaxed);
        // Every worker may start one more inner item once it is cancelled (the one it had
        // decided on); far fewer than the 200 each inner call would run otherwise.
        assert!(
            late <= 8 * outer_workers * inner_workers,
            "{late} inner items started after the cancel ({outer_workers} x {inner_workers})"
        );
    }
}

/// With 1 ms items on 4 workers, a call stops within a few item times of the cancel, however
/// it is cancelled: here from another thread, as a Ctrl-C handler would.
#[test]
fn a_cancelled_call_returns_within_a_few_item_times() {
    for entry in [
        Entry::ParMap,
        Entry::NamePar,
        Entry::ParMapIter,
        Entry::Unordered,
        Entry::Pool,
    ] {
        let p = Arc::new(Probe {
            work: Duration::from_millis(1),
            ..Probe::default()
        });
        let (tell, told) = mpsc::channel::<()>();
        let handler = {
            let cancel = p.cancel.clone();
            std::thread::spawn(move || {
                told.recv().unwrap();
                cancel.cancel();
                Instant::now()
            })
        };
        let jobs = Jobs::new(4)
            .cancel_on(&p.cancel)
            .on_progress(move |progress| {
                if progress.finished() >= 50 {
                    let _ = tell.send(());
                }
            });
        let ended = run(entry, 10_000, &jobs, &p);
        let returned = Instant::now();
        let cancelled = handler.join().unwrap();
        check_stopped(entry, &ended, 10_000, StopCause::Cancelled, &p);
        let late = p.late.load(Ordering::Relaxed);
        let took = returned.saturating_duration_since(cancelled);
        // A few item times: each worker finishes the item it runs and may start one it had
        // decided on. Bounds generous for a loaded 2-core machine.
        assert!(
            late <= 16,
            "{entry:?}: {late} items started after the cancel"
        );
        assert!(
            took < Duration::from_millis(500),
            "{entry:?}: returned {took:?} after the cancel"
        );
    }
}

/// An outer call whose items make inner calls, stopped: every kind of outer call ends with the
/// stop, never with `item N panicked`, whichever path runs its items.
#[test]
fn a_nested_call_stopped_by_its_outer_call_is_an_unfinished_item_on_every_outer_path() {
    fn inner(cancel: &CancelHandle, x: u64) -> u64 {
        if x == 3 {
            cancel.cancel();
        }
        let done = par_map(0..100_u64, 2, |y| {
            std::thread::sleep(Duration::from_micros(200));
            y
        });
        done.len() as u64
    }
    for workers in [1, 3] {
        let xs: Vec<u64> = (0..40).collect();
        for name in [
            "try_par_map",
            "par_map_reduce",
            "par_comp!",
            "pool_parallelize",
        ] {
            let cancel = CancelHandle::new();
            let jobs = Jobs::new(workers).cancel_on(&cancel);
            let payload = catch_unwind(AssertUnwindSafe(|| match name {
                "try_par_map" => {
                    drop(try_par_map(xs.clone(), &jobs, |x| {
                        Ok::<_, ()>(inner(&cancel, x))
                    }));
                }
                "par_map_reduce" => {
                    let _ = par_map_reduce(xs.clone(), &jobs, |x| inner(&cancel, x), |a, b| a + b);
                }
                "par_comp!" => drop(par_comp![inner(&cancel, x) for &x in &xs; njobs = &jobs]),
                _ => drop(pool_parallelize(
                    xs.iter().map(|&x| delayed!(inner(&cancel, x))),
                    &jobs,
                )),
            }))
            .expect_err(name);
            let message = payload
                .downcast_ref::<String>()
                .unwrap_or_else(|| panic!("{name}: a payload that is not a String"));
            assert!(
                message.starts_with("the call was stopped by its cancel handle"),
                "{name} on {workers}: {message}"
            );
        }
    }
}

/// A watched call on one worker reads its input on the caller's thread: a panic of the input
/// itself still reaches the caller unchanged, not as an item's.
#[test]
fn a_panic_of_the_input_passes_through_a_watched_call_unchanged() {
    for workers in [1, 3] {
        let payload = catch_unwind(|| {
            let input = (0..10_000_u64).map(|x| {
                if x == 5_000 {
                    panic!("the input failed")
                } else {
                    x
                }
            });
            par_map(input, Jobs::new(workers).on_progress(|_| {}), |x| x + 1)
        })
        .unwrap_err();
        assert_eq!(
            payload.downcast_ref::<&str>(),
            Some(&"the input failed"),
            "{workers} workers"
        );
    }
}
