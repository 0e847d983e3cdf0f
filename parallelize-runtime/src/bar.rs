//! The ready-made progress bar (cargo feature `progress`), on indicatif: a progress report
//! that draws a bar per call, all of them in one `MultiProgress` so that the bars of
//! concurrent and nested calls take a line each instead of drawing over each other.

use std::sync::OnceLock;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

use crate::watch::Progress;

/// Which bar a `Jobs` asks for.
#[derive(Clone, Debug)]
pub(crate) enum BarSpec {
    /// The crate's own, on stderr (hidden when stderr is not a terminal).
    Default,
    /// The user's.
    Given(ProgressBar),
}

/// One call's bar.
pub(crate) struct Bar {
    bar: ProgressBar,
    /// The crate's own: restyled once the total is known, removed when the call ends.
    own: bool,
}

/// The bars of every call of the process.
fn bars() -> &'static MultiProgress {
    static BARS: OnceLock<MultiProgress> = OnceLock::new();
    BARS.get_or_init(MultiProgress::new)
}

impl BarSpec {
    /// The bar of a call of `total` items (if known yet).
    pub(crate) fn start(&self, total: Option<usize>) -> Bar {
        match self {
            BarSpec::Given(bar) => {
                bar.reset();
                // A total not known yet (until the input is read) leaves the bar's own
                // length: a length of 0 would draw 0/0 until the first report.
                if let Some(total) = total {
                    bar.set_length(length(Some(total)));
                }
                Bar {
                    bar: bar.clone(),
                    own: false,
                }
            }
            BarSpec::Default => {
                let bar = match total {
                    Some(total) => ProgressBar::new(length(Some(total))).with_style(bar_style()),
                    None => ProgressBar::no_length().with_style(counter_style()),
                };
                Bar {
                    bar: bars().add(bar),
                    own: true,
                }
            }
        }
    }
}

impl Bar {
    /// Shows `progress`; the last report ends the bar (`cut_short`: the call was stopped).
    pub(crate) fn show(&self, progress: &Progress, cut_short: bool) {
        if let Some(total) = progress.total()
            && self.bar.length() != Some(length(Some(total)))
        {
            if self.own && self.bar.length().is_none() {
                // A counter until the total was known (read from the input once it started).
                self.bar.set_style(bar_style());
            }
            self.bar.set_length(length(Some(total)));
        }
        self.bar.set_position(as_u64(progress.finished()));
        if progress.is_last() {
            self.end(cut_short);
        }
    }

    /// The call is over: the crate's own bar is cleared and removed (so that a program making
    /// many calls does not pile up lines); a bar of the user's is finished, or abandoned where
    /// it stopped if the call did not run to its end.
    pub(crate) fn end(&self, cut_short: bool) {
        if self.own {
            self.bar.finish_and_clear();
            bars().remove(&self.bar);
        } else if cut_short {
            self.bar.abandon();
        } else {
            self.bar.finish();
        }
    }
}

/// The crate's bar, once the total is known: the bar, the count, the rate and the time left.
fn bar_style() -> ProgressStyle {
    style("{wide_bar} {human_pos}/{human_len} ({rate}, {eta} left)")
        .unwrap_or_else(ProgressStyle::default_bar)
}

/// The crate's counter, while the total is not known.
fn counter_style() -> ProgressStyle {
    style("{spinner} {human_pos} items ({rate}, {elapsed})")
        .unwrap_or_else(ProgressStyle::default_spinner)
}

/// `template`, with `{rate}` the items per second, whole.
fn style(template: &str) -> Option<ProgressStyle> {
    let style = ProgressStyle::with_template(template).ok()?;
    Some(style.with_key(
        "rate",
        |state: &indicatif::ProgressState, out: &mut dyn std::fmt::Write| {
            let _ = write!(out, "{:.0} items/s", state.per_sec());
        },
    ))
}

fn length(total: Option<usize>) -> u64 {
    total.map_or(0, as_u64)
}

fn as_u64(count: usize) -> u64 {
    u64::try_from(count).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use std::io::IsTerminal;

    use super::BarSpec;

    #[test]
    fn the_default_bar_hides_itself_when_stderr_is_not_a_terminal() {
        let bar = BarSpec::Default.start(Some(10));
        assert_eq!(bar.bar.is_hidden(), !std::io::stderr().is_terminal());
        let counter = BarSpec::Default.start(None);
        assert_eq!(counter.bar.is_hidden(), !std::io::stderr().is_terminal());
    }

    #[test]
    fn a_given_bar_keeps_its_length_until_the_total_is_known() {
        let given = indicatif::ProgressBar::hidden();
        given.set_length(5);
        let _bar = BarSpec::Given(given.clone()).start(None);
        // Not `Some(0)`, which draws 0/0 until the first report.
        assert_eq!(given.length(), Some(5));
        let _bar = BarSpec::Given(given.clone()).start(Some(3));
        assert_eq!(given.length(), Some(3));
    }
}
