//! Distributed calls over MPI (cargo feature `mpi`): `cargo test --features mpi --test
//! distributed`.
//!
//! A program of its own (`harness = false`): MPI starts once per process, and the serving
//! ranks must not run a test harness. Run directly, it checks every distributed companion in a
//! one-rank world, then starts itself under `mpirun -np 3` (MPICH's `mpirun.mpich`, else
//! `mpiexec`) three times: the same checks spread over three ranks, again with messages cut
//! to 64 bytes (`PARALLELIZE_MPI_MESSAGE_BYTES`), and a run whose serving ranks panic, which
//! must end the whole job with a non-zero status and a message naming the rank and the item.
//! Without a launcher the MPI runs are skipped, unless `PARALLELIZE_REQUIRE_MPIRUN` is set
//! (CI sets it).

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use parallelize::{CancelHandle, Jobs, parallelized};
use serde::{Deserialize, Serialize};

/// The Collatz chain length of `n`, and the rank that worked it out.
#[parallelized(distributed)]
fn collatz(n: u64) -> (u64, usize) {
    let (mut n, mut steps) = (n.max(1), 0);
    while n != 1 {
        n = if n % 2 == 0 { n / 2 } else { 3 * n + 1 };
        steps += 1;
    }
    (steps, parallelize::mpi::rank())
}

fn collatz_steps(n: u64) -> u64 {
    collatz(n).0
}

/// Borrowed arguments travel as owned data.
#[parallelized(distributed)]
fn describe(name: &str, times: u32, scores: &[f64]) -> String {
    format!(
        "{}:{}",
        name.repeat(times as usize),
        scores.iter().sum::<f64>()
    )
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct Point {
    x: f64,
    y: f64,
}

/// A user type, by reference and by value.
#[allow(clippy::needless_pass_by_value)] // by value on purpose: it travels both ways
#[parallelized(distributed)]
fn midpoint(a: &Point, b: Point) -> Point {
    Point {
        x: f64::midpoint(a.x, b.x),
        y: f64::midpoint(a.y, b.y),
    }
}

#[parallelized(distributed)]
fn parse(text: &str) -> Result<i64, String> {
    text.parse().map_err(|_| format!("not a number: {text:?}"))
}

/// Items running at once on this process.
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// Sleeps (a slow item, not a synchronisation) and says on which rank, and how many items of
/// this process were running when it started.
#[parallelized(distributed)]
fn overlapping(_: u32) -> (usize, usize) {
    let running = RUNNING.fetch_add(1, Ordering::SeqCst) + 1;
    std::thread::sleep(Duration::from_millis(10));
    RUNNING.fetch_sub(1, Ordering::SeqCst);
    (parallelize::mpi::rank(), running)
}

/// Named like the helper its expansion defines: no clash.
#[parallelized(distributed)]
fn serve(x: u64) -> u64 {
    x + 1
}

/// No argument at all: where did the call run?
#[parallelized(distributed)]
fn whereabouts() -> usize {
    parallelize::mpi::rank()
}

/// A distributed call inside a distributed call's item runs on the item's rank.
#[parallelized(distributed)]
fn nested(n: u64) -> u64 {
    collatz_par(0..n, Jobs::new(1).distributed())
        .into_iter()
        .map(|(steps, _)| steps)
        .sum()
}

/// Slow on rank 1 only: on-demand chunks give that rank fewer items.
#[parallelized(distributed)]
fn uneven(_: u32) -> usize {
    let rank = parallelize::mpi::rank();
    if rank == 1 {
        // A slow machine's share of work, not a synchronisation.
        std::thread::sleep(Duration::from_millis(5));
    }
    rank
}

/// Panics on rank 0 only: a panic of rank 0's own chunk names the item by its input index.
#[parallelized(distributed)]
fn fragile_on_root(x: u64) -> u64 {
    assert!(parallelize::mpi::rank() != 0, "item value {x}");
    x
}

/// Fails on item 0; panics on rank 0 (which, in a world of several ranks, never runs item 0:
/// the first chunks go to the other ranks).
#[parallelized(distributed)]
fn fails_first(x: u64) -> Result<u64, String> {
    if x == 0 {
        return Err("item 0 fails".to_owned());
    }
    assert!(parallelize::mpi::rank() != 0 || parallelize::mpi::size() == 1);
    Ok(x)
}

/// Panics on the serving ranks, for odd items (the panic scenario).
#[parallelized(distributed)]
fn fragile_elsewhere(x: u64) -> u64 {
    assert!(
        parallelize::mpi::rank() == 0 || x.is_multiple_of(2),
        "odd item value {x}"
    );
    x
}

fn main() {
    let world = parallelize::mpi::init(); // the other ranks serve here and exit
    let scenario = std::env::var("PARALLELIZE_TEST_SCENARIO").unwrap_or_default();
    match scenario.as_str() {
        "checks" => checks(world.size()),
        "root-panic" => {
            // Rank 0 unwinds out of `main` with the world held: the job must end, not wait.
            assert_eq!(
                collatz_par(0..100_u64, Jobs::new(1).distributed()).len(),
                100
            );
            panic!("rank 0 gives up");
        }
        "panic" => {
            let results = fragile_elsewhere_par(0..2_000_u64, Jobs::new(1).distributed_chunk(5));
            eprintln!("the panic scenario returned {} results", results.len());
            std::process::exit(3);
        }
        _ => {
            checks(world.size());
            drop(world);
            under_mpirun();
        }
    }
}

/// Every check, on rank 0 of a world of `size` ranks.
fn checks(size: usize) {
    let ranks_used = spreads_in_input_order(size);
    a_slow_rank_takes_fewer_chunks(size);
    slow_items_keep_every_thread_busy(size);
    borrowed_and_user_types_travel();
    try_answers_as_sequentially();
    every_arity_and_nesting_work(size);
    panics_on_rank_0_name_the_input_index(size);
    long_run_options_apply_to_the_whole_call();
    local_jobs_stay_local();
    println!("ok: {size} rank(s), {ranks_used} took part");
}

fn spreads_in_input_order(size: usize) -> usize {
    let inputs: Vec<u64> = (0..3_000).collect();
    let expected: Vec<u64> = inputs.iter().map(|&n| collatz_steps(n)).collect();
    // A tiny chunk: many messages, every rank asked many times.
    let results = collatz_par(&inputs, Jobs::new(2).distributed_chunk(3));
    let steps: Vec<u64> = results.iter().map(|&(steps, _)| steps).collect();
    assert_eq!(steps, expected);
    let ranks: BTreeSet<usize> = results.iter().map(|&(_, rank)| rank).collect();
    assert_eq!(ranks.len(), size, "ranks that took part: {ranks:?}");
    // Chunks sized by the measured cost.
    let results = collatz_par(0..20_000_u64, Jobs::new(-1).distributed());
    let steps: Vec<u64> = results.iter().map(|&(steps, _)| steps).collect();
    assert_eq!(steps, (0..20_000).map(collatz_steps).collect::<Vec<_>>());
    // An iterator of unknown length, and a parallel source.
    let odd = collatz_par(
        (0..5_000_u64).filter(|n| n % 2 == 1),
        Jobs::new(1).distributed(),
    );
    assert_eq!(odd.len(), 2_500);
    assert_eq!(odd[10].0, collatz_steps(21));
    let from_par = collatz_par(
        parallelize::from_par_iter(vec![7_u64; 100]),
        Jobs::new(1).distributed_chunk(9),
    );
    assert!(from_par.iter().all(|&(steps, _)| steps == 16));
    ranks.len()
}

fn a_slow_rank_takes_fewer_chunks(size: usize) {
    let ranks = uneven_par(0..400_u32, Jobs::new(1).distributed_chunk(1));
    let count = |rank| ranks.iter().filter(|&&r| r == rank).count();
    if size >= 2 {
        // Rank 1 spends 5 ms per item, the others nothing: handed out on demand, rank 1 gets
        // its first chunks and few more (a third of the items, had they been split evenly,
        // would keep the call waiting 670 ms for it).
        assert!(count(1) < 40, "rank 1 ran {} of 400 items", count(1));
    }
    assert_eq!(ranks.len(), 400);
}

fn slow_items_keep_every_thread_busy(size: usize) {
    // Once the items are known to take 10 ms, a chunk of "2 ms of work" would hold less than
    // one item: chunks keep at least an item per thread, so the items still overlap.
    let seen = overlapping_par(0..240_u32, Jobs::new(4).distributed());
    if std::env::var_os("PARALLELIZE_MPI_MESSAGE_BYTES").is_some() {
        return; // tiny messages hold one item each: nothing to overlap with
    }
    for rank in 0..size {
        let late = seen[120..].iter().filter(|&&(on, _)| on == rank);
        let most = late.map(|&(_, running)| running).max().unwrap_or(0);
        assert!(
            most >= 2,
            "rank {rank} ran its late items one at a time: {seen:?}"
        );
    }
}

fn borrowed_and_user_types_travel() {
    let names: Vec<String> = (0..400).map(|i| format!("n{i}")).collect();
    let scores: Vec<Vec<f64>> = (0..400).map(|i| vec![f64::from(i); 3]).collect();
    let args: Vec<(&String, u32, &Vec<f64>)> = names
        .iter()
        .zip(&scores)
        .zip((0..4).cycle())
        .map(|((name, scores), times)| (name, times, scores))
        .collect();
    let expected: Vec<String> = args
        .iter()
        .map(|&(name, times, scores)| describe(name, times, scores))
        .collect();
    assert_eq!(
        describe_par(args.clone(), Jobs::new(2).distributed_chunk(7)),
        expected
    );
    // Long results: with a small message limit they come back in several parts.
    let long: Vec<(&str, u32, &[f64])> = vec![("abcdefgh", 50, &[1.5]); 64];
    let results = describe_par(long, Jobs::new(1).distributed_chunk(16));
    assert!(results.iter().all(|text| text.len() == 404), "{results:?}");

    let points: Vec<(Point, Point)> = (0..300)
        .map(|i| {
            let i = f64::from(i);
            (Point { x: i, y: -i }, Point { x: 3.0 * i, y: i })
        })
        .collect();
    let pairs: Vec<(&Point, Point)> = points.iter().map(|(a, b)| (a, b.clone())).collect();
    let expected: Vec<Point> = points.iter().map(|(a, b)| midpoint(a, b.clone())).collect();
    assert_eq!(
        midpoint_par(pairs, Jobs::new(1).distributed_chunk(11)),
        expected
    );
}

fn try_answers_as_sequentially() {
    let texts: Vec<String> = (0..2_000).map(|i| i.to_string()).collect();
    assert_eq!(
        parse_try_par(&texts, Jobs::new(2).distributed_chunk(13)),
        Ok((0..2_000).collect())
    );
    let mut broken = texts.clone();
    "x1500".clone_into(&mut broken[1_500]);
    "x700".clone_into(&mut broken[700]);
    assert_eq!(
        parse_try_par(&broken, Jobs::new(2).distributed_chunk(13)),
        Err("not a number: \"x700\"".to_owned())
    );
    // A panic of rank 0's own chunk after an earlier item's error: the error is the
    // sequential answer, as in a local call.
    assert_eq!(
        fails_first_try_par(0..60_u64, Jobs::new(1).distributed_chunk(1)),
        Err("item 0 fails".to_owned())
    );
    // `_par` of the same function returns every result.
    let all = parse_par(&broken, Jobs::new(1).distributed_chunk(50));
    assert_eq!(all.iter().filter(|result| result.is_err()).count(), 2);
    assert_eq!(all[699], Ok(699));
}

fn every_arity_and_nesting_work(size: usize) {
    let ranks = whereabouts_par(vec![(); 90], Jobs::new(1).distributed_chunk(2));
    assert_eq!(ranks.len(), 90);
    assert!(ranks.iter().all(|&rank| rank < size));
    let sums = nested_par(0..40_u64, Jobs::new(1).distributed_chunk(1));
    let expected: Vec<u64> = (0..40_u64)
        .map(|n| (0..n).map(collatz_steps).sum())
        .collect();
    assert_eq!(sums, expected);
}

fn panics_on_rank_0_name_the_input_index(size: usize) {
    let caught = catch_unwind(AssertUnwindSafe(|| {
        fragile_on_root_par(0..500_u64, Jobs::new(1).distributed_chunk(4))
    }));
    let payload = caught.expect_err("rank 0 runs chunks of its own, and they panic");
    let message = payload.downcast_ref::<String>().expect("a String payload");
    // "item N panicked: item value N": the index is the input's, not the chunk's.
    let (index, value) = message
        .strip_prefix("item ")
        .and_then(|rest| rest.split_once(" panicked: item value "))
        .unwrap_or_else(|| panic!("unexpected message: {message}"));
    assert_eq!(index, value, "{message}");
    // The ranks are idle again, and the next call spreads over them all.
    let after = collatz_par(0..3_000_u64, Jobs::new(1).distributed_chunk(3));
    let ranks: BTreeSet<usize> = after.iter().map(|&(_, rank)| rank).collect();
    assert_eq!(ranks.len(), size, "ranks after a caught panic: {ranks:?}");
    assert_eq!(
        serve_par(0..10_u64, Jobs::new(1).distributed()),
        (1..11).collect::<Vec<_>>()
    );
}

fn long_run_options_apply_to_the_whole_call() {
    let reports = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&reports);
    let jobs = Jobs::new(1)
        .distributed_chunk(25)
        .on_progress(move |progress| log.lock().unwrap().push(progress));
    assert_eq!(collatz_par(0..1_000_u64, jobs).len(), 1_000);
    let reports = reports.lock().unwrap();
    let last = reports.last().expect("at least the last report");
    assert!(last.is_last());
    assert_eq!((last.finished(), last.total()), (1_000, Some(1_000)));

    let cancel = CancelHandle::new();
    cancel.cancel();
    let stopped = catch_unwind(AssertUnwindSafe(|| {
        collatz_par(0..1_000_u64, Jobs::new(1).distributed().cancel_on(&cancel))
    }));
    let message = stopped.expect_err("a cancelled call panics with the stop");
    let message = message.downcast_ref::<String>().unwrap();
    assert!(
        message.contains("stopped by its cancel handle"),
        "{message}"
    );

    // A deadline in the middle: the ranks skip the chunks they hold, and the next call finds
    // them idle.
    let stopped = catch_unwind(AssertUnwindSafe(|| {
        overlapping_par(
            0..3_000_u32,
            Jobs::new(2)
                .distributed()
                .timeout(Duration::from_millis(60)),
        )
    }));
    let message = stopped.expect_err("a call past its deadline panics with the stop");
    let message = message.downcast_ref::<String>().unwrap();
    assert!(message.contains("stopped by its deadline"), "{message}");
    assert!(!message.contains("3000 of 3000"), "{message}");
    let ranks: BTreeSet<usize> = collatz_par(0..3_000_u64, Jobs::new(1).distributed_chunk(3))
        .iter()
        .map(|&(_, rank)| rank)
        .collect();
    assert_eq!(ranks.len(), parallelize::mpi::size());

    // `_par_iter` is not spread: it runs on rank 0's threads.
    let streamed: Vec<(u64, usize)> =
        collatz_par_iter(0..300_u64, Jobs::new(1).distributed()).collect();
    assert_eq!(streamed.len(), 300);
    assert!(streamed.iter().all(|&(_, rank)| rank == 0));
}

fn local_jobs_stay_local() {
    let results = collatz_par(0..500_u64, 2);
    assert!(results.iter().all(|&(_, rank)| rank == 0));
}

/// Without `mpirun` no other rank waits: rank 0's panic through `main` must not abort MPI
/// (status 1, destructors skipped) but end the program as any panic does (status 101).
fn a_one_rank_panic_is_an_ordinary_panic() {
    let me = std::env::current_exe().expect("the test program's path");
    let output = Command::new(me)
        .env("PARALLELIZE_TEST_SCENARIO", "root-panic")
        .output()
        .expect("the test program starts again");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(101), "{stderr}");
    assert!(stderr.contains("rank 0 gives up"), "{stderr}");
    assert!(!stderr.contains("aborting the MPI job"), "{stderr}");
}

/// The launcher, if the machine has one: MPICH's, else whatever `mpiexec` is.
fn launcher() -> Option<&'static str> {
    ["mpirun.mpich", "mpiexec"].into_iter().find(|name| {
        Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|output| output.status.success())
    })
}

fn under_mpirun() {
    a_one_rank_panic_is_an_ordinary_panic();
    let Some(mpirun) = launcher() else {
        assert!(
            std::env::var_os("PARALLELIZE_REQUIRE_MPIRUN").is_none(),
            "PARALLELIZE_REQUIRE_MPIRUN is set, and no `mpirun.mpich` or `mpiexec` was found"
        );
        println!("skipped: no MPI launcher (`mpirun.mpich` or `mpiexec`) on this machine");
        return;
    };
    let me = std::env::current_exe().expect("the test program's path");
    let run = |scenario: &str, message_bytes: Option<&str>| {
        let mut command = Command::new("timeout");
        command
            .args(["120", mpirun, "-np", "3"])
            .arg(&me)
            .env("PARALLELIZE_TEST_SCENARIO", scenario);
        if let Some(bytes) = message_bytes {
            command.env("PARALLELIZE_MPI_MESSAGE_BYTES", bytes);
        }
        let started = Instant::now();
        let output = command.output().expect("`timeout` runs");
        let elapsed = started.elapsed();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
            elapsed,
        )
    };

    for bytes in [None, Some("64")] {
        let (code, stdout, stderr, _) = run("checks", bytes);
        assert_eq!(
            code,
            Some(0),
            "the checks under mpirun failed (message limit {bytes:?}):\n{stdout}\n{stderr}"
        );
        assert!(
            stdout.contains("ok: 3 rank(s), 3 took part"),
            "one world of three ranks was expected, not three one-rank worlds:\n{stdout}"
        );
        println!("{}", stdout.trim());
    }

    let (code, _, stderr, elapsed) = run("root-panic", None);
    assert!(
        code.is_some_and(|code| code != 0 && code != 124),
        "a panic on rank 0 must end the job with a failure, got {code:?}:\n{stderr}"
    );
    assert!(stderr.contains("rank 0 gives up"), "{stderr}");
    assert!(
        elapsed < Duration::from_mins(1),
        "the job took {elapsed:?} to end"
    );

    let (code, stdout, stderr, elapsed) = run("panic", None);
    assert_ne!(code, Some(124), "the job hung after a panic:\n{stderr}");
    assert!(
        code.is_some_and(|code| code != 0 && code != 3),
        "a panic on a serving rank must end the job with a failure, got {code:?}:\n{stdout}\n{stderr}"
    );
    // "parallelize: rank R of a distributed call: item N panicked: odd item value N; ..."
    let line = stderr
        .lines()
        .find_map(|line| line.find("parallelize: rank ").map(|at| &line[at..]))
        .unwrap_or_else(|| panic!("no line names the rank:\n{stderr}"));
    let rest = line
        .strip_prefix("parallelize: rank ")
        .and_then(|rest| rest.split_once(" of a distributed call: item "))
        .map(|(rank, rest)| (rank.to_owned(), rest.to_owned()));
    let (rank, rest) = rest.unwrap_or_else(|| panic!("unexpected line: {line}"));
    assert!(rank == "1" || rank == "2", "{line}");
    let (index, rest) = rest.split_once(" panicked: odd item value ").expect(line);
    assert!(
        rest.starts_with(index),
        "the input index and the item differ: {line}"
    );
    assert!(
        elapsed < Duration::from_mins(1),
        "the job took {elapsed:?} to end"
    );
    println!("a panic on rank {rank} ended the job: {line}");
}
