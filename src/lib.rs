//! Data-parallel work as easy to write as a list comprehension, at the speed of hand-written
//! [rayon](https://docs.rs/rayon), checked at compile time.
//!
//! The ideas are the ones Python users learned with `multiprocessing` and then joblib: map a
//! function over a list on a pool of workers, in order; wrap a function so that it takes a list
//! of argument tuples; size the pool with `njobs`. Here they are checked by the compiler: data
//! that cannot cross threads is refused with an error on your own type, not discovered at run
//! time.
//!
//! This page is the guide: the entry points, then [`njobs`](#njobs-how-many-workers),
//! [the cost model](#the-cost-model-when-going-parallel-pays-off),
//! [ordering](#ordering-guarantees), [nested calls](#nested-calls), streams and MapReduce,
//! long runs, MPI, [errors and panics](#errors-and-panics), and
//! [what the macros expand to](#what-the-macros-expand-to). The examples in `examples/` are
//! whole programs: `quickstart`, `comprehensions`, `ml_pipeline` (a three-stage pipeline),
//! `mapreduce` (a word count), `progress` and `distributed`
//! (`cargo run --release --example ml_pipeline`).
//!
//! # Which entry point for which job
//!
//! | job | entry point | returns |
//! | --- | --- | --- |
//! | one function over a list of argument tuples (`pool.map`, joblib's `Parallel(delayed(f)(x) for x in xs)`) | `#[parallelized]` on the function, then `NAME_par(args, njobs)` | `Vec<R>`, in input order |
//! | the same, for a function that returns `Result` | `NAME_try_par(args, njobs)` | the sequential `collect::<Result<Vec<_>, _>>()`: the lowest failing item's error |
//! | a closure over a list | [`par_map`], [`try_par_map`] | as above |
//! | a comprehension, `[f(x) for x in xs if p(x)]`, nested `for`s included | [`par_comp!`] | `Vec`, in the sequential order |
//! | calls of different functions in one batch, coarse and uneven | [`delayed!`] and [`pool_parallelize`] | `Vec<R>`, in task order |
//! | results one by one, memory bounded (long or endless inputs) | `NAME_par_iter`, [`par_map_iter`], [`par_comp_iter!`], [`pool_parallelize_iter`] | a lazy iterator, in input order |
//! | results as soon as each is done | [`par_map_unordered`] | a lazy iterator of `(index, result)` |
//! | many tiny items combined into one value (MapReduce) | [`par_map_reduce`] | the sequential left fold, without a `Vec` of results |
//! | items already in a rayon parallel iterator | any of the above on [`from_par_iter`]`(iter)` | read in place by the workers |
//! | more cores than one machine has (feature `mpi`) | `#[parallelized(distributed)]` and `Jobs::new(-1).distributed()` | as `NAME_par`, on rank 0 |
//!
//! Every entry point takes `njobs` as an integer or a [`Jobs`], which also carries the options:
//! progress, a deadline, a cancel handle, the in-flight bound of streams.
//!
//! # `#[parallelized]`: a parallel companion beside a function
//!
//! ```
//! use parallelize::parallelized;
//!
//! #[parallelized]
//! fn pow(x: f64, y: f64) -> f64 {
//!     x.powf(y)
//! }
//!
//! // `pow` is untouched; `pow_par` takes the argument tuples and `njobs`.
//! let roots: Vec<f64> = pow_par(vec![(1.0, 0.5), (4.0, 0.5), (9.0, 0.5)], 4);
//! assert_eq!(roots, [1.0, 2.0, 3.0]);
//! ```
//!
//! `NAME_par(args, njobs)` returns one result per item, **in input order**. Each item is `()`
//! for a function without arguments, the argument itself for one, and a tuple for more. A
//! function that returns a `Result` also gets `NAME_try_par`, which returns exactly what the
//! sequential `collect::<Result<Vec<_>, _>>()` would: the error of the lowest failing item, or
//! every success.
//!
//! ```
//! use parallelize::parallelized;
//!
//! #[parallelized]
//! fn parse(s: &str) -> Result<u16, std::num::ParseIntError> {
//!     s.parse()
//! }
//!
//! assert_eq!(parse_try_par(["1", "20", "300"], 2), Ok(vec![1, 20, 300]));
//! assert!(parse_try_par(["1", "x", "300"], 2).is_err());
//! ```
//!
//! The items are what a plain call takes: `&xs` over a `Vec<f64>` for an `f64` parameter,
//! `&words` over a `Vec<String>` for a `&str` one, `xs.iter().zip(&ys)` for two parameters
//! ([`Argument`] lists the forms).
//!
//! See [`parallelized`] for every supported signature (generics, borrowed arguments and
//! results, patterns, `impl Trait`, `unsafe fn`, `&self` methods) and the code it generates.
//!
//! # `par_comp!`: a parallel list comprehension
//!
//! ```
//! use parallelize::par_comp;
//!
//! let inputs = vec![3_u64, 1, 4, 1, 5];
//! let squares = par_comp![x * x for x in &inputs if x % 2 == 1];
//! assert_eq!(squares, [9, 1, 1, 25]);
//!
//! let pairs = par_comp![(x, y) for x in 0..3 for y in 0..x; njobs = 4];
//! assert_eq!(pairs, [(1, 0), (2, 0), (2, 1)]);
//! ```
//!
//! The result is in the order of the sequential comprehension, and every worker is kept busy
//! even when the leftmost iterable is short: see [`par_comp!`] for the grammar and how the
//! iteration space is split.
//!
//! # `delayed!` and `pool_parallelize`: calls of any functions in one batch
//!
//! ```
//! use parallelize::{Delayed, delayed, pool_parallelize};
//!
//! fn pow(x: f64, y: f64) -> f64 {
//!     x.powf(y)
//! }
//!
//! let x = 16.0_f64;
//! let tasks: Vec<Delayed<'_, f64>> = vec![delayed!(pow(2.0, 0.5)), delayed!(x.sqrt())];
//! assert_eq!(pool_parallelize(tasks, 4), [2_f64.sqrt(), 4.0]);
//! ```
//!
//! Tasks are treated as coarse and uneven: each is its own unit of work, and every worker
//! takes the next waiting task as soon as it is free.
//!
//! # `par_map`: the same engine for a closure
//!
//! ```
//! let lengths = parallelize::par_map(["a", "bb", "ccc"], -1, str::len);
//! assert_eq!(lengths, [1, 2, 3]);
//! ```
//!
//! # Ordering guarantees
//!
//! - **Results** come back in input order from every entry point but [`par_map_unordered`]:
//!   `NAME_par(xs)[i]` is `NAME(xs[i])`, and a comprehension's `Vec` is in the order of the
//!   sequential loops, whatever order the workers finished in.
//! - **Answers** are the sequential ones: `NAME_try_par` returns the error of the lowest
//!   failing index (not the first to fail in time); [`par_map_reduce`] returns the left fold
//!   in input order, so `reduce` must be associative but need not be commutative; a panic
//!   reaches you as the one of its item (`item 7 panicked: ..`).
//! - **Side effects** happen in no particular order: items run at the same time on different
//!   workers, and a worker may run item 900 before item 3. Printing, writing to a shared file
//!   or pushing to a `Mutex<Vec<_>>` from items interleaves. Return values instead, and act
//!   on them in order afterwards (or stream them with `NAME_par_iter`, which yields in order
//!   while the rest run).
//! - **Evaluation**: each item's function runs exactly once when the call completes (never
//!   twice, never speculatively); a call cut short by a panic, an error, a deadline or a
//!   cancel starts no new item, so some items never run.
//!
//! ```
//! use std::sync::Mutex;
//!
//! let started = Mutex::new(Vec::new());
//! let doubled = parallelize::par_map(0..100_u32, 4, |x| {
//!     started.lock().unwrap().push(x); // in whatever order the workers take the items
//!     x * 2
//! });
//! assert_eq!(doubled, (0..100).map(|x| x * 2).collect::<Vec<_>>()); // always in input order
//! assert_eq!(started.into_inner().unwrap().len(), 100); // each item ran exactly once
//! ```
//!
//! # `njobs`: how many workers
//!
//! Every entry point takes `njobs: impl Into<`[`Jobs`]`>`, so an integer works: `4` is four
//! workers (also more than the machine has cores), `-1` every core, `-k` all cores but
//! `k - 1` (joblib's rule), and `0` is refused with a panic that names `njobs`
//! ([`Jobs::try_new`] checks a value read from configuration). With one worker the calls run
//! inline on the calling thread, in order, with no thread hop.
//!
//! | `njobs` | joblib (`n_jobs`) | `parallelize` (on 8 cores) |
//! | --- | --- | --- |
//! | `4` | 4 worker processes (or threads) | 4 worker threads |
//! | `16` | 16 workers | 16 threads, more than the cores |
//! | `1` | runs sequentially in the caller | runs inline on the caller's thread, in order |
//! | `-1` | every CPU | every core: 8 |
//! | `-2` | every CPU but one | 7 |
//! | `-k` | `cpus + 1 - k` | `max(cores + 1 - k, 1)`: `-8` and below give 1 |
//! | `0` | an error | a panic naming `njobs`; [`Jobs::try_new`] returns [`JobsError`] |
//! | `None` | 1 (or the `parallel_config` context's) | no such value: write `-1` or `1` |
//!
//! ```
//! use parallelize::Jobs;
//!
//! let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
//! assert_eq!(Jobs::new(4).workers(), 4);
//! assert_eq!(Jobs::new(-1).workers(), cores);
//! assert_eq!(Jobs::new(-2).workers(), (cores - 1).max(1));
//! assert!(Jobs::try_new(0).is_err());
//! ```
//!
//! A pool is built once per size and serves every call of that size; one that no call has used
//! for 5 s is released (its threads end) and built again by the next call of its size, so a
//! program that goes through many sizes does not keep a thread per size ever used (with
//! `njobs` 1..=64, 2,080 threads before, see the note of issue 9). A call from outside any pool
//! whose size matches rayon's global pool uses that (rayon's, never released). Never more than
//! `n` calls run at once.
//!
//! # Nested calls
//!
//! A parallel call made inside another one's task (nesting) runs on the workers of the pool it
//! is in, at most `n` of them: it never blocks a worker waiting on another pool, so nesting
//! never deadlocks, builds no pool, and the thread count stays the sum of the distinct sizes of
//! the top-level calls. While a worker waits for its nested call it may start another item of
//! the outer call (that is how rayon keeps every worker busy), so more outer items can be *in
//! progress* than `n`, though never more than `n` *run* at once.
//!
//! One exception: a nested call that turned the adaptive path off (`Jobs::new(n)
//! .adaptive(false)`, for items that wait for each other) and asks for more workers than its
//! pool has would wait forever there, so it runs on a pool of its own size, from a thread
//! started for it (one per such call), while the worker that made it waits without taking
//! other work (so it cannot take a sibling item that waits for this one).
//!
//! # The cost model: when going parallel pays off
//!
//! A parallel call pays a fixed cost (waking workers and joining them: a few microseconds) and
//! a small cost per item (a few nanoseconds: the item and its result cross threads in runs,
//! not one by one). It pays off when the work per call is well above the fixed cost: tens of
//! microseconds and up. Measured on two cores against hand-written rayon and a sequential loop
//! (`BENCHMARKS.md`, `cargo bench -p parallelize-benches --bench workloads`):
//!
//! | items | what you get |
//! | --- | --- |
//! | 20 us each, 20,000 | rayon's speed (0.99-1.03 of it), 1.9-2x the loop on 2 cores |
//! | 100 ns each, 1,000,000 | rayon's speed (1.02-1.03) |
//! | a few ns each (memory bound) | rayon's speed given a parallel source; an iterator input is bounded by the serial read |
//! | 10 trivial items | runs inline: 1.1-1.3x the loop, no pool touched |
//!
//! You do not choose between the paths: the adaptive path does.
//!
//! # Small work runs inline; big inputs need not be gathered
//!
//! Going parallel costs microseconds. Each companion (and each one-`for` `par_comp!`, and each
//! call site of `par_map`) learns what its items cost: the first call goes parallel and its
//! workers time their runs of items; a later call whose whole work is predicted under 5 us
//! runs inline on the calling thread with no clock read, so a `_par` call on a hundred numbers
//! costs about what the loop costs; up to 20 us it runs inline with the clock watching and
//! hands the rest to the workers if the prediction was wrong. One inline call in 1024 has the
//! next call measure again: until then, a function whose items suddenly became far more
//! expensive (their cost depends on their input) keeps running inline. A call with fewer than two items per worker,
//! or of unknown length, always goes to the workers: its items may wait for each other. A call
//! that must stay parallel whatever it costs can say so: `Jobs::new(8).adaptive(false)`.
//!
//! `par_comp!` reads its leftmost iterable where it lies when rayon can split it there: a
//! `Vec`, a slice or an array (owned or borrowed), a slice iterator (`v.iter()`), an integer
//! range. Inline, that is the plain loop over it (an owned `Vec` mapped in its own buffer);
//! parallel, the workers read it in place. Any other iterable is pulled as a companion's
//! iterator is (below). The choice is made at compile time from the iterable's type.
//!
//! A companion (`NAME_par`, `NAME_try_par`) or `par_map` takes any `IntoIterator`. When the
//! call goes parallel, the calling thread pulls its items in pieces and hands each piece to
//! the workers while it pulls the next, so the first items are being computed long before the
//! last are pulled; pieces are sized from what the items cost (one item until that is known,
//! then about 1 ms of work each), and at most four per worker are out at once. Results are
//! written straight into their places when the iterator knows its length. Pulling is still a
//! serial pass on one thread, which bounds a call whose items cost about what pulling them
//! does (a few nanoseconds: `BENCHMARKS.md`, W1 and W6). Hand such a call a rayon parallel
//! iterator with [`from_par_iter`] instead, and the workers read the items in place:
//!
//! ```
//! use parallelize::rayon::prelude::*;
//! use parallelize::{from_par_iter, parallelized};
//!
//! #[parallelized]
//! fn distance(a: f64, b: f64) -> f64 {
//!     (a - b).abs()
//! }
//!
//! let xs = vec![1.0, 5.0, 2.0];
//! let ys = vec![4.0, 1.0, 2.0];
//! let d = distance_par(from_par_iter(xs.par_iter().copied().zip(ys.par_iter().copied())), -1);
//! assert_eq!(d, [3.0, 4.0, 0.0]);
//! ```
//!
//! `BENCHMARKS.md` has the figures against hand-written rayon and a sequential loop.
//!
//! # Streams and MapReduce: memory that stays flat
//!
//! The entry points above return a `Vec` of every result. For inputs too long to hold, or
//! results wanted as they come, use a stream; to combine the results rather than keep them,
//! a map-reduce:
//!
//! | job | entry point | order | memory |
//! | --- | --- | --- | --- |
//! | every result, as a `Vec` | `NAME_par`, [`par_map`], [`par_comp!`], [`pool_parallelize`] | input order | all items' results |
//! | results one by one, lazily | `NAME_par_iter`, [`par_map_iter`], [`par_comp_iter!`], [`pool_parallelize_iter`] | input order | at most the in-flight bound of items |
//! | results as they complete, in the background | [`par_map_unordered`] (`'static` items) | completion order, with each input's index | at most the in-flight bound of items |
//! | one combined value | [`par_map_reduce`] | the sequential left fold | O(workers) values, at most the bound of items |
//!
//! ```
//! use parallelize::{Jobs, par_map_reduce, parallelized};
//!
//! #[parallelized]
//! fn words(line: &str) -> usize {
//!     line.split_whitespace().count()
//! }
//!
//! let text = "a b c\nd e\nf";
//! // Lazily, in order, at most 2 lines in flight: the lines borrow from `text`.
//! let counts: Vec<usize> = words_par_iter(text.lines(), Jobs::new(2).in_flight(2)).collect();
//! assert_eq!(counts, [3, 2, 1]);
//! // Mapped and summed, with no `Vec` of counts.
//! assert_eq!(par_map_reduce(text.lines(), 2, words, |a, b| a + b), Some(6));
//! ```
//!
//! **The in-flight bound** ([`Jobs::in_flight`], default [`Jobs::DEFAULT_IN_FLIGHT`], 262,144
//! items) is the most items a stream or a reduction holds at once: pulled from the input and
//! not yet taken by the consumer (or folded into a value), whether waiting, running or done. The input
//! is never read further ahead, so 20 million 64-byte items stream through a cheap function in
//! 13 MiB (collecting them first takes 1.4 GiB: `BENCHMARKS.md`). Set it lower for big items
//! (images, files); `0` is refused with an error naming `in_flight`.
//!
//! **Ordered streams** work inside `next`: when the consumer has taken every result they hold,
//! `next` pulls the next batch (at most the bound; fewer for coarse items, so the first
//! results come soon), runs it on the workers while it pulls, and returns once the batch is
//! done. Nothing runs between calls of `next`, which is what lets items and results borrow
//! from the caller (`fn f(s: &str) -> usize` over `text.lines()`), and what makes dropping a
//! stream early stop its work at once (the batch's results not yet taken are dropped with
//! it). The price is that the workers wait while the consumer works: with a slow consumer,
//! prefer [`par_map_unordered`], whose workers go on in the background up to the bound. That
//! is also why it needs `'static` items, results and function: a stream may be dropped or
//! forgotten (`mem::forget`) at any time, and nothing could then stop background work from
//! outliving what it borrowed. It yields `(index, result)` pairs, `index` being the item's
//! position in the input.
//!
//! **Panics in streams.** If item `N` panics, the results before it come out first, then
//! `next` panics with `item N panicked: {message}`, as the sequential `map` would have panicked
//! at that item; no item after it starts once the panic is caught (items already running, or
//! run before it, finish), and the stream is over. An unordered stream panics
//! when it reaches that result, and no new item starts from then.
//!
//! **Map-reduce.** [`par_map_reduce`]`(items, njobs, map, reduce)` folds runs of consecutive
//! items on the workers and combines the runs' values in input order as they finish, so
//! `reduce` must be associative but need not be commutative: the answer is exactly
//! `items.into_iter().map(map).reduce(reduce)` (string concatenation and merging ordered maps
//! included). Given a rayon parallel iterator ([`from_par_iter`]) it is rayon's own ordered
//! `map().reduce()`.
//!
//! # Long runs: progress, deadlines, cancellation
//!
//! Three options on [`Jobs`] serve every entry point (`NAME_par`, `NAME_try_par`,
//! `NAME_par_iter`, [`par_comp!`], [`pool_parallelize`], the streams, MapReduce):
//!
//! - [`Jobs::on_progress`]`(|p: Progress| ..)`: a report of the finished items (and the total,
//!   when the input says it), at most every [`REPORT_EVERY`] (100 ms), never two at once, from
//!   whichever thread finishes work, and once more when the call ends
//!   ([`Progress::is_last`]). With the cargo feature `progress`, `Jobs::progress_bar()` draws
//!   an [indicatif](https://docs.rs/indicatif) bar instead (rate and time left; hidden when
//!   stderr is not a terminal; concurrent and nested calls get a line each), and `par_comp!`
//!   takes it as an option: `par_comp![f(x) for x in xs; njobs = 4, progress]`. Without the
//!   feature nothing of indicatif is built.
//! - [`Jobs::deadline`]`(instant)` / [`Jobs::timeout`]`(duration)`: items not started by then
//!   are skipped.
//! - [`Jobs::cancel_on`]`(&handle)`: a [`CancelHandle`] that another thread (a Ctrl-C handler,
//!   a UI's cancel button) triggers; the call then starts no new item.
//!
//! Running items are never interrupted (Rust has no safe way to stop a running closure): a
//! stopped call starts no new item, lets the running ones finish, and ends with a [`Stopped`]
//! error, which says why, how many items finished and which did not
//! ([`Stopped::unfinished`]). With 1 ms items on 4 workers a cancelled call returns about 1 ms
//! after the cancel (`BENCHMARKS.md`). How the error reaches you:
//!
//! | entry point | cut short |
//! | --- | --- |
//! | streams (`NAME_par_iter`, [`par_map_iter`], [`par_comp_iter!`], [`pool_parallelize_iter`], [`par_map_unordered`]) | the results that finished come out, then [`Stoppable::checked`] yields `Err(Stopped)` (plain iteration panics with its message) |
//! | [`par_map_reduce_checked`] | `Err(Stopped)` |
//! | `NAME_par`, `NAME_try_par`, [`par_comp!`], [`pool_parallelize`], [`par_map`], [`par_map_reduce`] | a panic with the [`Stopped`] message, as `Result::expect` would: a `Vec` with holes is no answer |
//!
//! So the `Result`-returning form of any call is its stream, checked and collected:
//!
//! ```
//! use std::time::Duration;
//! use parallelize::{Jobs, Stoppable, Stopped, parallelized};
//!
//! #[parallelized]
//! fn slow_square(x: u64) -> u64 {
//!     std::thread::sleep(Duration::from_millis(2));
//!     x * x
//! }
//!
//! let jobs = Jobs::new(4).timeout(Duration::from_millis(50));
//! let outcome: Result<Vec<u64>, Stopped> = slow_square_par_iter(0..10_000, jobs).checked().collect();
//! let stopped = outcome.unwrap_err();
//! assert!(stopped.finished() < 10_000);
//! println!("{stopped}"); // the call was stopped by its deadline: 96 of 10000 items finished; not finished: 96..10000
//! ```
//!
//! **Nested calls** inherit the stop of the call they run in: cancelling (or timing out) an
//! outer call stops the calls its items make from starting items too, whatever `Jobs` those
//! were given; an item whose inner call was stopped so counts as unfinished. Progress is
//! reported per call: only the calls given a report or a bar report.
//!
//! **Cost.** A call with none of these set pays one branch and a thread-local read (W2 and W5
//! in `BENCHMARKS.md`), and a thread-local read per job of the engine (per item where items
//! run one at a time: a task of [`pool_parallelize`], an outer item of [`par_comp!`]). A
//! watched call counts finished items by runs (about 10 µs of work each, or one item when
//! items are slower) and, with a deadline, reads the clock between runs; so items go on
//! starting for about one run after the deadline. A call nested in a call that can be stopped
//! is watched too, and so never takes the inline path that a tiny call takes otherwise.
//!
//! # Beyond one machine: MPI
//!
//! With the cargo feature `mpi`, a function marked `#[parallelized(distributed)]` can spread
//! its items over every rank of an MPI world (processes started by `mpirun` or Slurm's
//! `srun`, on one machine or many), each rank running its share on its own threads. The
//! program stays an ordinary program: one call at the top of `main`, and a `Jobs` option.
//!
//! ```ignore
//! use parallelize::{Jobs, parallelized};
//!
//! #[parallelized(distributed)]
//! fn simulate(seed: u64, steps: u32) -> f64 { /* minutes of work */ }
//!
//! fn main() {
//!     let world = parallelize::mpi::init(); // ranks 1.. serve here and never return
//!     let seeds: Vec<(u64, u32)> = (0..10_000).map(|seed| (seed, 1_000_000)).collect();
//!     // On rank 0: every rank works, results in input order.
//!     let results = simulate_par(&seeds, Jobs::new(-1).distributed());
//!     println!("{} results from {} ranks", results.len(), world.size());
//! }
//! ```
//!
//! (A full program: `examples/distributed.rs`; the API: `parallelize::mpi`, with the
//! feature.)
//!
//! - **Arguments and results travel with serde** (`Serialize` + `Deserialize`, derive them).
//!   A `&T` argument is sent as `T` and lent to the call on the other rank (`&str` is fine);
//!   a result must own its data. Types that cannot travel, generic functions, methods and
//!   `unsafe fn`s are refused at compile time, on your token.
//! - **`Jobs::distributed()`** makes `NAME_par` and `NAME_try_par` spread (same answers as
//!   locally: results in order; the error of the lowest failing item); `njobs` is each
//!   rank's thread count (`-1`: all cores of each machine). Chunks of about 2 ms of a rank's
//!   threads (at least an item per thread) go to the ranks as they ask, three queued per
//!   rank, so a slow rank takes fewer; `Jobs::distributed_chunk(n)` fixes the items per
//!   chunk. A chunk's message ends once it passes `PARALLELIZE_MPI_MESSAGE_BYTES` (16 MiB),
//!   by at most one item. Progress reports, deadlines and cancel handles act between chunks:
//!   a stopped call lets the running chunks finish and the ranks skip the ones they hold.
//!   `NAME_par_iter` and every other entry point run on rank 0's threads, as do distributed
//!   calls made inside an item or while another distributed call runs.
//! - **Panics.** A panic on another rank ends the whole job (`MPI_Abort`) at once, with a line
//!   naming the rank and the input index: `parallelize: rank 2 of a distributed call: item
//!   1234 panicked: ...`; also a panic that the function itself would catch, and also in a
//!   `_try_par` whose earlier item failed (return an error instead). The index is the item
//!   whose code the panicking thread was running; an item that makes a parallel call of its
//!   own may have its inner work run by a thread that waits in another item's parallel call,
//!   and a panic there names that other item. On rank 0 an item's panic
//!   reaches the caller as in a local call (after the chunks still out come back); if it
//!   unwinds out of `main` in a world of several ranks, the `World`'s drop aborts the job,
//!   so no rank is left waiting (in a one-rank world it is an ordinary panic).
//! - **Without `mpirun`** the program is a one-rank world and everything runs locally.
//!
//! **Running it.** Build against the MPI library the launcher belongs to (rsmpi finds it
//! through `mpicc`; set `MPICC` when several are installed, and give each library its own
//! target directory, since the build does not notice a changed `MPICC`), and launch as usual:
//!
//! ```text
//! # MPICH (Debian: apt install mpich libmpich-dev libclang-dev)
//! MPICC=mpicc.mpich cargo build --release --features parallelize/mpi
//! mpirun.mpich -np 8 target/release/my-program
//! # Open MPI: its default binding pins each rank to one core, which leaves rayon one
//! # thread; give the ranks their cores back (and allow root in containers)
//! mpirun --bind-to none -np 8 target/release/my-program
//! # Slurm: one rank per node, every core of it for the rank's threads
//! srun --nodes=4 --ntasks-per-node=1 --cpus-per-task=64 target/release/my-program
//! ```
//!
//! A program started by a launcher of another MPI library runs N one-rank worlds, each doing
//! all the work; `World::size` tells (`examples/distributed.rs` checks it).
//!
//! **Rank 0 hands out chunks between its own**, which last about 1 ms once the cost is
//! known; with items whose cost varies widely, or large fixed chunks, the other ranks may
//! wait for it. Messages above MPI's eager size (tens of KiB) move only while both ends are
//! in MPI: a serving rank waits for its results to be taken before its next chunk, and a chunk
//! of large items waits for rank 0 to finish its own chunk. Items of many KiB are better read
//! where they run (a path, an index into a file every rank can read).
//!
//! **When it pays off.** When one machine's cores are not enough, and items are worth
//! shipping: each costs its serialization both ways and a share of a message (on one machine,
//! 3-16 ns per cheap item beyond a local call, depending on the machine; between machines,
//! the network's). On one machine two ranks of one thread run 20 us items within 1-2% of one
//! rank with two threads (`BENCHMARKS.md`), so ranks bring nothing there but the ability to
//! add machines. Items of microseconds or more, or chunks of many cheap ones, distribute well;
//! items that carry megabytes for microseconds of work do not.
//!
//! # Thread safety, checked by the compiler
//!
//! Arguments are moved to worker threads and results moved back, so both must be [`Send`];
//! a `&self` method is called from every worker at once, so `Self` must be [`Sync`]. Unlike a
//! sequential loop, a parallel call asks this, and `#[parallelized]` says so at your type:
//!
//! ```text
//! error[E0277]: `Rc<Vec<u64>>` cannot be sent to another thread, so `#[parallelized]` cannot hand it to a parallel call
//!  --> src/main.rs:6:18
//!   |
//! 6 | fn total(values: Rc<Vec<u64>>, scale: u64) -> u64 {
//!   |                  ^^^^^^^^^^^^ this argument type is not `Send`
//!   |
//!   = note: every item is moved to a worker thread: take a thread-safe type instead (`Arc` for `Rc`, ...)
//! ```
//!
//! # Errors and panics
//!
//! Errors are values: a function that returns `Result` gets `NAME_try_par`, which returns the
//! sequential answer (every success, or the lowest failing item's error) and skips the items
//! that can no longer change it ([`try_par_map`] for closures). Streams of `Result`s are
//! plain iterators: collect them into a `Result`. The crate's own errors name what went
//! wrong: [`JobsError`] for a bad `njobs` or bound from configuration ("`njobs` must not be
//! 0 ..."), and [`Stopped`] for a call cut short by its deadline or a cancel, with how many
//! items finished and which did not ("Long runs" above).
//!
//! ```
//! use parallelize::parallelized;
//!
//! #[parallelized]
//! fn parse(s: &str) -> Result<i32, String> {
//!     s.parse().map_err(|e| format!("{s:?}: {e}"))
//! }
//!
//! // Items 1 and 3 both fail; the answer is item 1's error, as a loop would give.
//! let outcome = parse_try_par(["4", "x", "2", "y"], 2);
//! assert_eq!(outcome, Err("\"x\": invalid digit found in string".to_string()));
//! ```
//!
//! ## Panics
//!
//! If a call panics, no new item starts, and the panic reaches the caller with a `String`
//! payload that keeps the message and names the item: `item 7 panicked: boom`. The pools stay
//! usable. A panic in a nested call names both items, outer first:
//! `item 2 panicked: item 1 panicked: boom`. A panic of the input itself (an iterator's own
//! `next`, run on the calling thread, or the adaptors of a parallel source given with
//! `from_par_iter`, or rayon's own checks of it) is not an item's: it reaches the caller
//! unchanged, as from a `collect`, and stops the call as an item's panic does.
//!
//! "No new item starts" counts from the moment the panic is caught, after the panic hook has
//! reported it (with a backtrace, when `RUST_BACKTRACE` asks for one, that takes milliseconds,
//! in which other workers go on). From then it is exact for items that run one at a time;
//! cheap items run in blocks between looks at the stop flag, so each other worker may still
//! finish the block it is in: at most 4,096 items, and since a block grows only while it takes
//! under 10 us, about 20 us of their work (tested:
//! `a_panic_stops_other_workers_within_one_block`).
//!
//! A payload that is not a string (`panic_any(42)`) reaches the caller as
//! `item 3 panicked: a panic payload that is not a string`: the contract fixes the payload as a
//! `String` naming the item, which cannot carry the original value. Panic with a message (or
//! keep the value in your own error type and return a `Result`, with `NAME_try_par`).
//!
//! The panic hook reports the item's own panic where it happened (`boom`, at its line). A call
//! that went parallel raises the named panic on the caller's thread as a new panic, which the
//! hook reports too, at the call; a call that ran inline passes it on without a second report
//! (`resume_unwind`), so that a tiny call's path stays free of the code that reports it.
//!
//! ```
//! use std::panic::catch_unwind;
//!
//! let payload = catch_unwind(|| {
//!     parallelize::par_map(0..10, 2, |i| if i == 7 { panic!("boom") } else { i })
//! })
//! .unwrap_err();
//! assert_eq!(payload.downcast_ref::<String>().unwrap(), "item 7 panicked: boom");
//! ```
//!
//! # What the macros expand to
//!
//! Each macro writes a call of the same engine you could call by hand, and nothing else: no
//! hidden threads, no globals but one cost counter per call site. Simplified (the real
//! expansions spell paths out in full, `::parallelize::...`, and name their locals so that
//! they cannot clash with yours):
//!
//! ```ignore
//! // #[parallelized] fn pow(x: f64, y: f64) -> f64 { .. }  keeps `pow` and adds:
//! fn pow_par(args: impl IntoItems<Item: Arguments<(f64, f64)>>, njobs: impl Into<Jobs>) -> Vec<f64>
//! where f64: SendArgument + SendResult, // `Send`, with an error that names your type
//! {
//!     static COST: Cost = Cost::new(); // what an item costs, learned across calls
//!     expansion::map_items(args, njobs, Some(&COST), |item| {
//!         let (x, y) = Arguments::into_arguments(item);
//!         pow(x, y)
//!     })
//! }
//! fn pow_par_iter(args: .., njobs: ..) -> impl Iterator<Item = f64> { expansion::map_iter(..) }
//! // and, for a function returning `Result`, `NAME_try_par`: `expansion::try_map_items(..)`.
//!
//! // par_comp![f(x) for x in &xs]  (one `for`, no `if`):
//! { static COST: Cost = Cost::new(); expansion::map_items(&xs, Jobs::all(), Some(&COST), |x| f(x)) }
//!
//! // par_comp![(x, y) for x in 0..n for y in 0..x if p(x, y); njobs = 4]: a parallel loop
//! // per `for`, each returning its items' results in order, concatenated:
//! expansion::comprehension(0..n, 4, |level, x| {
//!     level.nested(0..x, |_, y| if p(x, y) { Some((x, y)) } else { None })
//! })
//!
//! // delayed!(pow(a, b)): the arguments evaluated now, the call later, behind one type:
//! { let (a, b) = (a, b); Delayed::new(move || pow(a, b)) }
//! ```
//!
//! So a companion costs what [`par_map`] costs, and `rustc`'s errors name the engine function
//! whose bound a call broke (`required by a bound in parallelize::expansion::map_items`);
//! [`expansion`] documents each. [`parallelized`] lists the signatures the attribute takes
//! and the companions' exact forms; [`par_comp!`] how a comprehension's loops are split.
//!
//! # Limits
//!
//! - **Stack.** Items run on rayon's worker threads, whose stacks are rayon's default size
//!   (2 MiB, or `RUST_MIN_STACK`). A recursive `#[parallelized]` function whose every level
//!   calls its companion nests one parallel call per level on those stacks, which holds about a
//!   hundred levels in a debug build and several hundred in release (a stress run overflowed
//!   at about 700; hand-written rayon `collect` at 1,000-2,000), and large items passed by
//!   value take stack too (1 MiB items overflow a debug build's worker). `Jobs` has no stack-size option: pools are shared per worker
//!   count, and one size per pool is what keeps their number bounded. Recurse sequentially
//!   below some depth, pass large items by reference or in a `Box`, or raise
//!   `RUST_MIN_STACK` before the first call.
//! - **`fork`.** A pool started before `fork` has no threads in the child, and a call there
//!   waits for them forever, as rayon's own pools do. Fork before the first parallel call, or
//!   `exec` in the child.
//!
#![cfg_attr(docsrs, feature(doc_cfg))]

/// The README's example, run as a doctest so that it stays true.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

// Lets the macros' absolute paths (`::parallelize::...`) resolve in this crate's own tests.
extern crate self as parallelize;

pub use parallelize_macros::parallelized;
/// indicatif, re-exported for [`Jobs::progress_bar_with`]'s bars (cargo feature `progress`).
#[cfg(feature = "progress")]
pub use parallelize_runtime::indicatif;
pub use parallelize_runtime::{
    Argument, Arguments, CancelHandle, Checked, Delayed, Exact, Indexed, IntoItems, Jobs,
    JobsError, One, ParItems, Progress, REPORT_EVERY, SendArgument, SendComponents, SendHeld,
    SendItem, SendResult, StopCause, Stoppable, Stopped, TryOutput, Tuple, from_par_iter, par_map,
    par_map_iter, par_map_reduce, par_map_reduce_checked, par_map_unordered, pool_parallelize,
    pool_parallelize_iter, rayon, try_par_map,
};

/// A parallel list comprehension: Python's `[f(x) for x in xs if p(x)]`, run on a pool, in
/// order.
///
/// ```
/// use parallelize::par_comp;
///
/// let v = par_comp![x * y for x in 0..10 for y in x..x + 10 if (x + y) % 3 == 0];
///
/// // The same, sequentially:
/// let mut expected = Vec::new();
/// for x in 0..10 {
///     for y in x..x + 10 {
///         if (x + y) % 3 == 0 {
///             expected.push(x * y);
///         }
///     }
/// }
/// assert_eq!(v, expected);
///
/// let words = ["apple", "kiwi", "fig"];
/// let long = par_comp![w.to_uppercase() for w in &words if w.len() > 3; njobs = 2];
/// assert_eq!(long, ["APPLE", "KIWI"]);
/// ```
///
/// Grammar: `par_comp![EXPR for PAT in ITER (for PAT in ITER | if COND)* (; OPTION (, OPTION)*)?]`,
/// where an option is `njobs = JOBS` or `progress`.
///
/// - The result is a `Vec`, **in the order the sequential comprehension gives**: clauses nest
///   left to right, as in Python. Only the leftmost iterable is evaluated before the loop;
///   each later iterable is evaluated once per binding of the clauses before it, and may use
///   those bindings (`for y in 0..x`). An `if` may be an `if let PAT = EXPR`, whose bindings
///   the later clauses and the element can use.
/// - `EXPR` is any expression (`if`/`else`, blocks, closures, method chains, macros, another
///   `par_comp!`); `PAT` any irrefutable pattern.
/// - Every part may borrow local data, no `'static` needed. Unlike a sequential loop, the
///   items of the iterables must be `Send` (they move to workers), the elements `Send` (they
///   move back), and what the clauses use from outside or from earlier bindings `Sync` (every
///   worker reads it).
/// - The element, the conditions and the later iterables run in closures on the workers, so
///   they cannot `return` from the caller's function, use `?` on it, or `.await` (each is a
///   compile error that says so), nor assign to the caller's variables (rustc refuses that:
///   compute values, or use atomics or a `Mutex`). The leftmost iterable and `njobs` are
///   evaluated by the caller, where all of these work.
/// - `; njobs = JOBS` takes anything `Into<Jobs>` (`4`, `-1`, a `Jobs`, `&jobs`); without it,
///   all cores. It is borrowed, so a `Jobs` variable stays usable after the call.
/// - `; progress` draws a progress bar for the call (cargo feature `progress`; without it, a
///   compile error on the option says so): `; njobs = 4, progress`. A deadline, a cancel
///   handle or a progress report of your own go on the `Jobs`: see the crate's "Long runs".
///
/// # How the iteration space is split
///
/// Each `for` clause is a rayon parallel loop over its iterable, and the loops of inner clauses
/// run, nested, in the same pool. The leftmost iterable is read in place when rayon can split
/// it where it lies (a `Vec`, a slice or an array, owned or borrowed; `v.iter()`; an integer
/// range), and gathered into a `Vec` otherwise; inner iterables are gathered. rayon's work stealing then splits
/// whichever level has the work: `for x in 0..2 for y in 0..100_000` keeps every worker busy
/// though the outer loop has two items. A comprehension with one `for` and no `if` takes the
/// same path as `par_map` (one result per item, written straight into place).
///
/// # Panics
///
/// If the element or a clause panics, no new item of the leftmost iterable starts, and the
/// panic reaches the caller as `item {index} panicked: {message}`, with the index in the
/// leftmost iterable. Also if `njobs` is `0`.
///
/// (A declarative macro that hands its input, with this crate's path, to the procedural macro
/// that does the work: the expansion then finds this crate however your `Cargo.toml` names it,
/// and through any crate that re-exports it.)
#[macro_export]
macro_rules! par_comp {
    ($($comprehension:tt)*) => {
        $crate::__private::par_comp!($crate; $($comprehension)*)
    };
}

/// The lazy form of [`par_comp!`]: Python's generator comprehension `(f(x) for x in xs if
/// p(x))`, run on a pool. The same grammar; the result is an iterator that yields the
/// elements in the order of the sequential comprehension, while at most
/// [`Jobs::in_flight`] items of the leftmost iterable are held at once, so memory stays flat
/// however long it is.
///
/// ```
/// use parallelize::par_comp_iter;
///
/// let lines = "3\n1\n4\n1\n5";
/// let odd_squares = par_comp_iter![n * n for n in lines.lines().map(|l| l.parse::<u64>().unwrap()) if n % 2 == 1; njobs = 2];
/// assert_eq!(odd_squares.collect::<Vec<_>>(), [9, 1, 1, 25]);
///
/// // Pulled lazily: an endless iterable is fine when the consumer stops.
/// let first: Vec<u64> = par_comp_iter![x * 3 for x in (0_u64..) if x % 2 == 0; njobs = 2].take(4).collect();
/// assert_eq!(first, [0, 6, 12, 18]);
/// ```
///
/// The leftmost iterable is pulled a batch at a time inside the iterator's `next`, and the
/// batch runs on the workers before `next` returns (see [`par_map_iter`], which this is for a
/// comprehension): nothing runs between calls, so every part may borrow local data. Each item
/// of the leftmost iterable runs on one worker with its inner clauses (split over the pool
/// when it has room): parallelism comes from the leftmost iterable, so `for x in 0..2 for y in
/// 0..n` has two items to share out per batch. Without `; njobs = ..` it uses all cores; the
/// in-flight bound is set with `; njobs = Jobs::new(4).in_flight(1000)`.
///
/// # Panics
///
/// If the element or a clause panics on item `N` of the leftmost iterable, the elements of the
/// items before it come out first, then `next` panics with `item N panicked: {message}`.
#[macro_export]
macro_rules! par_comp_iter {
    ($($comprehension:tt)*) => {
        $crate::__private::par_comp_iter!($crate; $($comprehension)*)
    };
}

/// Captures a call for `pool_parallelize`: the callee and its arguments are evaluated now, the
/// call runs later, on a worker.
///
/// ```
/// use parallelize::{Delayed, delayed, pool_parallelize};
///
/// fn pow(x: f64, y: f64) -> f64 { x.powf(y) }
/// struct Model { weight: f64 }
/// impl Model {
///     fn score(&self, x: &[f64]) -> f64 { x.iter().sum::<f64>() * self.weight }
/// }
///
/// let model = Model { weight: 0.5 };
/// let x = vec![1.0, 3.0];
/// let tasks: Vec<Delayed<'_, f64>> = vec![
///     delayed!(pow(2.0, 3.0)),          // a path call
///     delayed!(model.score(&x)),        // a method call: `model` is borrowed
///     delayed!((|v: f64| v + 1.0)(1.0)), // a closure call
/// ];
/// assert_eq!(pool_parallelize(tasks, 4), [8.0, 2.0, 2.0]);
/// ```
///
/// Every task has the one type `Delayed<'a, R>` whatever the callee, so calls of different
/// functions with one result type go in one batch; `'a` is the lifetime of what the call
/// borrows.
///
/// What is evaluated when `delayed!` runs, in order, and moved into the task:
///
/// - each argument (an argument `&temporary`, such as `&vec![1, 2]`, is held by the task and
///   lent to the call);
/// - a method's receiver: a place (`model`, `self.model`, `models[i]`) is held by copy when its
///   type is `Copy` (a `&Model` loop variable, a number) and by reference otherwise (an owned
///   `Model`, which many tasks can then share); any other receiver (`text.split(',')`) by value;
/// - a callee that is neither a path nor a closure (`make_f()(x)`, `(self.callback)(x)`).
///
/// A callee written as a path (`pow`, `f64::max`, a closure in a variable) or as a closure is
/// called as written, and closure arguments stay in the call (making a closure does nothing
/// observable, and there the callee gives it its parameter types): what they use from
/// outside, the task borrows. Method lookup happens in the task, on what it holds, so a place
/// receiver serves methods that take `&self` (and, when `Copy`, `self`). A method that takes
/// `&mut self` cannot be delayed on a place: the task holds a copy or a shared borrow, and
/// changing a copy where the sequential call changes the original would be a silent surprise,
/// so it does not compile (rustc: "cannot borrow ... as mutable"). Neither can one that
/// takes a non-`Copy` place by value ("cannot move out of a shared reference"). Write the
/// receiver as an argument instead: `delayed!(Vec::pop(&mut stack))` lends `stack` to the
/// task, `delayed!(String::into_bytes(s))` moves `s` into it, and for a handle whose `&mut
/// self` methods are implemented on `&T` (`Read for &File`), `delayed!((&file).read_to_end(&mut
/// buf))` gives the task the reference itself. Likewise a method that returns a
/// reference into a `Copy` receiver (`array.first()` on an array) would return it into the
/// task's copy: write `delayed!(<[u8]>::first(&array))`.
///
/// Arguments are evaluated into a value the task owns, like `let` bindings: one that borrows a
/// temporary (`vec![1, 2].as_slice()`, `words().split(' ')`) does not compile, for the
/// temporary is gone when the `delayed!` statement ends. Bind the temporary to a variable
/// first. Everything the task holds must be `Send`, and everything it borrows `Sync`.
///
/// (A declarative macro that hands its input, with this crate's path, to the procedural macro
/// that does the work, as [`par_comp!`] does.)
#[macro_export]
macro_rules! delayed {
    ($($call:tt)*) => {
        $crate::__private::delayed!($crate; $($call)*)
    };
}

/// Everything a user of the crate needs: `use parallelize::prelude::*;`.
///
/// ```
/// use parallelize::prelude::*;
///
/// #[parallelized]
/// fn double(x: u32) -> u32 {
///     x * 2
/// }
///
/// let jobs = Jobs::new(2);
/// assert_eq!(double_par(0..3_u32, &jobs), [0, 2, 4]);
/// assert_eq!(par_comp![x + 1 for x in 0..3_u32; njobs = &jobs], [1, 2, 3]);
/// ```
pub mod prelude {
    pub use crate::{
        CancelHandle, Delayed, Jobs, Stoppable, delayed, from_par_iter, par_comp, par_comp_iter,
        par_map, par_map_iter, par_map_reduce, par_map_reduce_checked, par_map_unordered,
        parallelized, pool_parallelize, pool_parallelize_iter, try_par_map,
    };
}

/// The engine functions that `par_comp!` and the companions of `#[parallelized]` expand to.
///
/// Public so that the guide and rustc's errors can name them ("required by a bound in
/// `parallelize::expansion::map_items`" says which rule a comprehension broke); write the
/// macros rather than calling these, whose signatures follow the macros' needs.
///
/// - A companion `NAME_par(args, njobs)` is `map_items(args, njobs, Some(&COST), |item| NAME(..))`,
///   with a `static COST` per companion that learns the function's cost per item (small calls
///   then run inline); `NAME_try_par` is `try_map_items(args, njobs, |item| NAME(..))`.
/// - `par_comp![f(x) for x in xs]` is `map_items(xs, njobs, Some(&COST), |x| f(x))`, and a
///   comprehension with more clauses `comprehension(xs, njobs, |level, x| ..)`, whose inner
///   clauses run through [`Level::nested`](expansion::Level::nested).
///
/// ```
/// use parallelize::expansion::comprehension;
///
/// // What `par_comp![x * x for x in 0..4 if x != 2; njobs = 2]` runs:
/// let squares = comprehension(0..4_u32, 2, |_, x| (x != 2).then(|| x * x));
/// assert_eq!(squares, [0, 1, 9]);
/// ```
pub mod expansion {
    /// The companions of a `#[parallelized(distributed)]` function (cargo feature `mpi`).
    #[cfg(feature = "mpi")]
    pub use parallelize_runtime::distributed::{map_items_distributed, try_map_items_distributed};
    pub use parallelize_runtime::{
        Cost, Level, comprehension, comprehension_iter, map_items, map_iter, try_map_items,
    };
}

#[cfg(feature = "mpi")]
#[doc(hidden)]
#[macro_export]
macro_rules! __parallelize_if_mpi {
    ({ $($with:tt)* } else { $($without:tt)* }) => { $($with)* };
}

#[cfg(not(feature = "mpi"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __parallelize_if_mpi {
    ({ $($with:tt)* } else { $($without:tt)* }) => { $($without)* };
}

/// Distributed calls over MPI (cargo feature `mpi`): see the crate's section "Beyond one
/// machine: MPI".
///
/// ```no_run
/// use parallelize::{Jobs, parallelized};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Serialize, Deserialize)]
/// struct Sample {
///     seed: u64,
///     mean: f64,
/// }
///
/// #[parallelized(distributed)]
/// fn simulate(seed: u64, label: &str) -> Sample {
///     let mut x = seed as f64;
///     for _ in 0..1_000_000 {
///         x = (x * 1.000_001).sin();
///     }
///     Sample { seed, mean: x + label.len() as f64 }
/// }
///
/// fn main() {
///     let world = parallelize::mpi::init(); // ranks 1.. serve here, then exit
///     let jobs: Vec<(u64, &str)> = (0..10_000).map(|seed| (seed, "run")).collect();
///     let samples = simulate_par(jobs, Jobs::new(-1).distributed());
///     println!("{} samples from {} ranks", samples.len(), world.size());
/// } // `world` dropped: the other ranks stop
/// ```
#[cfg(feature = "mpi")]
pub mod mpi {
    pub use parallelize_runtime::distributed::{
        RemoteArgument, RemoteReferent, RemoteResult, World, init, rank, size,
    };
}

/// What the macros' expansions call. Not public API: it may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use parallelize_macros::{delayed, par_comp, par_comp_iter};
    pub use parallelize_runtime::{
        Delayed, HoldCopy, HoldRef, Jobs, One, Owned, Receiver, SendArgument, SendResult,
        SharedReceiver, Stoppable, TryOutput, Tuple, held, kind, serial_gathers, set_idle_release,
    };

    #[cfg(feature = "mpi")]
    pub use parallelize_runtime::distributed::{
        Chunk, REMOTES, Remote, RemoteArgument, RemoteReferent, RemoteResult,
    };
    #[cfg(feature = "mpi")]
    pub use parallelize_runtime::{linkme, postcard::Error as WireError};

    /// `#[parallelized(distributed)]`'s tokens that need the cargo feature `mpi`: with it,
    /// the first group; without it, the second (which names the missing feature).
    pub use crate::__parallelize_if_mpi as if_mpi;

    /// What `#[parallelized(distributed)]` passes; held by [`DistributedOption`] only with
    /// the cargo feature `mpi`.
    pub struct DistributedOption;

    /// Refuses `#[parallelized(distributed)]` without the cargo feature `mpi`, on the option.
    #[diagnostic::on_unimplemented(
        message = "the `distributed` option of `#[parallelized]` needs the cargo feature `mpi` of `parallelize`",
        label = "needs `parallelize = {{ version = \"..\", features = [\"mpi\"] }}` in Cargo.toml",
        note = "the feature builds the MPI backend on rsmpi; it needs an MPI library (MPICH or Open MPI) and libclang"
    )]
    pub trait DistributedFeature {}

    #[cfg(feature = "mpi")]
    impl DistributedFeature for DistributedOption {}

    /// Checks that the cargo feature `mpi` is on, where the `distributed` option is written.
    pub fn distributed_feature<Option: DistributedFeature>(_: Option) {}

    /// `par_comp!`'s `njobs = JOBS`: borrowed and cloned, so that a `Jobs` given by name stays
    /// usable after the call (it is no longer `Copy`, since it can hold a progress report).
    #[inline]
    pub fn jobs_of<J: Clone + Into<Jobs>>(jobs: &J) -> Jobs {
        jobs.clone().into()
    }

    /// `par_comp!`'s `progress` option: the bar on the call's `Jobs`.
    #[cfg(feature = "progress")]
    pub fn with_bar(jobs: Jobs, _: ProgressOption) -> Jobs {
        jobs.progress_bar()
    }

    /// `par_comp!`'s `progress` option without the cargo feature: refused at compile time, on
    /// the option.
    #[cfg(not(feature = "progress"))]
    pub fn with_bar<Option: ProgressFeature>(jobs: Jobs, _: Option) -> Jobs {
        jobs
    }

    /// What the `progress` option passes (see [`with_bar`]).
    pub struct ProgressOption;

    /// Held by [`ProgressOption`] only with the cargo feature `progress`.
    #[diagnostic::on_unimplemented(
        message = "the `progress` option of `par_comp!` needs the cargo feature `progress` of `parallelize`",
        label = "needs `parallelize = {{ version = \"..\", features = [\"progress\"] }}` in Cargo.toml",
        note = "the feature builds the progress bar on indicatif; `Jobs::on_progress` needs no feature"
    )]
    pub trait ProgressFeature {}

    #[cfg(feature = "progress")]
    impl ProgressFeature for ProgressOption {}
}
