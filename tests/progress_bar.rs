//! The progress bar of the cargo feature `progress` (run with `cargo test --features progress`):
//! what it draws, `par_comp!`'s `progress` option, and bars of concurrent and nested calls.
#![cfg(feature = "progress")]

use std::io;
use std::sync::{Arc, Mutex};

use parallelize::indicatif::{ProgressBar, ProgressDrawTarget, TermLike};
use parallelize::{Jobs, par_comp, par_map};

/// A terminal that keeps what is written to it.
#[derive(Clone, Debug, Default)]
struct Screen(Arc<Mutex<String>>);

impl Screen {
    fn text(&self) -> String {
        self.0.lock().unwrap().clone()
    }
}

impl TermLike for Screen {
    fn width(&self) -> u16 {
        80
    }
    fn move_cursor_up(&self, _: usize) -> io::Result<()> {
        Ok(())
    }
    fn move_cursor_down(&self, _: usize) -> io::Result<()> {
        Ok(())
    }
    fn move_cursor_right(&self, _: usize) -> io::Result<()> {
        Ok(())
    }
    fn move_cursor_left(&self, _: usize) -> io::Result<()> {
        Ok(())
    }
    fn write_line(&self, line: &str) -> io::Result<()> {
        let mut text = self.0.lock().unwrap();
        text.push_str(line);
        text.push('\n');
        Ok(())
    }
    fn write_str(&self, s: &str) -> io::Result<()> {
        self.0.lock().unwrap().push_str(s);
        Ok(())
    }
    fn clear_line(&self) -> io::Result<()> {
        Ok(())
    }
    fn flush(&self) -> io::Result<()> {
        Ok(())
    }
}

/// A bar drawing on `screen`, styled to show the position and the length.
fn bar_on(screen: &Screen) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(
        None,
        ProgressDrawTarget::term_like(Box::new(screen.clone())),
    );
    bar.set_style(
        parallelize::indicatif::ProgressStyle::with_template("{pos}/{len} items").unwrap(),
    );
    bar
}

#[test]
fn the_bar_counts_finished_items_to_the_total() {
    for workers in [1, 3] {
        let screen = Screen::default();
        let bar = bar_on(&screen);
        let jobs = Jobs::new(workers).progress_bar_with(bar.clone());
        let squares = par_map(0..2_000_u64, jobs, |x| x * x);
        assert_eq!(squares.len(), 2_000);
        assert!(bar.is_finished());
        assert_eq!((bar.position(), bar.length()), (2_000, Some(2_000)));
        let text = screen.text();
        assert!(
            text.contains("2000/2000 items"),
            "{workers} workers drew {text:?}"
        );
    }
}

#[test]
fn one_bar_serves_several_calls_each_from_zero() {
    let screen = Screen::default();
    let bar = bar_on(&screen);
    let jobs = Jobs::new(2).progress_bar_with(bar.clone());
    assert_eq!(par_map(0..10_u32, &jobs, |x| x).len(), 10);
    assert_eq!(par_map(0..7_u32, &jobs, |x| x).len(), 7);
    assert_eq!((bar.position(), bar.length()), (7, Some(7)));
    assert!(screen.text().contains("7/7 items"), "{:?}", screen.text());
}

#[test]
fn par_comp_takes_the_bar_as_an_option() {
    let xs: Vec<u64> = (0..1_000).collect();
    let squares = par_comp![x * x for x in &xs if x % 2 == 0; njobs = 2, progress];
    assert_eq!(
        squares,
        xs.iter()
            .filter(|x| *x % 2 == 0)
            .map(|x| x * x)
            .collect::<Vec<_>>()
    );
    // The option alone: every core.
    assert_eq!(par_comp![x for x in 0..10; progress].len(), 10);
}

#[test]
fn concurrent_and_nested_calls_with_bars_give_their_answers() {
    // The crate's own bars (on stderr, hidden when it is not a terminal, as under `cargo
    // test`): concurrent calls and calls nested in them run to the right answer.
    let threads: Vec<_> = (0..3_u64)
        .map(|t| {
            std::thread::spawn(move || {
                par_map(0..20_u64, Jobs::new(2).progress_bar(), |x| {
                    par_map(0..50_u64, Jobs::new(2).progress_bar(), move |y| x * y + t).len()
                })
            })
        })
        .collect();
    for thread in threads {
        assert_eq!(thread.join().unwrap(), vec![50; 20]);
    }
}
