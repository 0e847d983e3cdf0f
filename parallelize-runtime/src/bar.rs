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
    /// Cleared when the call ends (a nested call's bar), rather than left finished.
    clear: bool,
}

/// The bars of every call of the process.
fn bars() -> &'static MultiProgress {
    static BARS: OnceLock<MultiProgress> = OnceLock::new();
    BARS.get_or_init(MultiProgress::new)
}

impl BarSpec {
    /// The bar of a call of `total` items (if known); `nested`: made by an item of another
    /// watched call.
    pub(crate) fn start(&self, total: Option<usize>, nested: bool) -> Bar {
        match self {
            BarSpec::Given(bar) => {
                bar.reset();
                bar.set_length(length(total));
                Bar {
                    bar: bar.clone(),
                    clear: false,
                }
            }
            BarSpec::Default => {
                let bar = match total {
                    Some(total) => ProgressBar::new(length(Some(total))).with_style(
                        ProgressStyle::with_template(
                            "{wide_bar} {human_pos}/{human_len} items ({per_sec}, {eta} left)",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_bar()),
                    ),
                    None => ProgressBar::no_length().with_style(
                        ProgressStyle::with_template(
                            "{spinner} {human_pos} items ({per_sec}, {elapsed})",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    ),
                };
                Bar {
                    bar: bars().add(bar),
                    clear: nested,
                }
            }
        }
    }
}

impl Bar {
    /// Shows `progress`; the last report finishes the bar.
    pub(crate) fn show(&self, progress: &Progress) {
        if let Some(total) = progress.total() {
            self.bar.set_length(length(Some(total)));
        }
        self.bar.set_position(as_u64(progress.finished()));
        if progress.is_last() {
            if self.clear {
                self.bar.finish_and_clear();
            } else {
                self.bar.finish();
            }
        }
    }

    /// The call was stopped: the bar stays where it was.
    pub(crate) fn abandon(&self) {
        if self.clear {
            self.bar.finish_and_clear();
        } else {
            self.bar.abandon();
        }
    }
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
        let bar = BarSpec::Default.start(Some(10), false);
        assert_eq!(bar.bar.is_hidden(), !std::io::stderr().is_terminal());
        let counter = BarSpec::Default.start(None, true);
        assert_eq!(counter.bar.is_hidden(), !std::io::stderr().is_terminal());
    }
}
