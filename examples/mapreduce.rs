//! MapReduce, the original post's answer for many small tasks: a word count over a directory
//! of text files, mapped per file and reduced by merging the counts, on [`par_map_reduce`]
//! (which never holds every file's counts at once: only the workers' running merges).
//!
//! ```text
//! cargo run --release --example mapreduce                      # this repository's sources
//! cargo run --release --example mapreduce -- ~/src /etc/hosts  # any files and directories
//! cargo run --release --example mapreduce -- --top 5 --jobs 2 src
//! ```
//!
//! Directories are walked recursively, skipping hidden ones and any named `target`. A file
//! that cannot be read, or is not UTF-8 text, is reported on stderr and skipped. The program
//! prints the top words, then the time against the same count run sequentially (both after a
//! first pass that brings the files into the page cache), and checks that the counts agree
//! (it exits non-zero if not).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use parallelize::{Jobs, par_map_reduce};

/// What counting some files found.
#[derive(Debug, Default, PartialEq)]
struct Tally {
    /// Each word (a run of letters, lowercased) and how often it occurs.
    words: HashMap<String, u64>,
    /// Files counted, and their bytes.
    files: usize,
    bytes: u64,
    /// Files skipped, and why.
    skipped: Vec<(PathBuf, String)>,
}

impl Tally {
    /// The map step: one file's words.
    fn of_file(path: &PathBuf) -> Tally {
        let text = match std::fs::read(path) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => text,
                Err(_) => return Tally::skipped(path, "not UTF-8 text".to_owned()),
            },
            Err(error) => return Tally::skipped(path, error.to_string()),
        };
        let mut words = HashMap::new();
        for word in text.split(|c: char| !c.is_alphabetic()) {
            if !word.is_empty() {
                *words.entry(word.to_lowercase()).or_insert(0) += 1;
            }
        }
        Tally {
            words,
            files: 1,
            bytes: text.len() as u64,
            skipped: Vec::new(),
        }
    }

    fn skipped(path: &Path, why: String) -> Tally {
        Tally {
            skipped: vec![(path.to_owned(), why)],
            ..Tally::default()
        }
    }

    /// The reduce step: two tallies merged, the smaller map into the larger. Associative, so
    /// the parallel answer is the sequential one (`skipped` keeps the input order too).
    fn merge(mut self, mut other: Tally) -> Tally {
        if self.words.len() < other.words.len() {
            std::mem::swap(&mut self.words, &mut other.words);
        }
        for (word, count) in other.words {
            *self.words.entry(word).or_insert(0) += count;
        }
        self.files += other.files;
        self.bytes += other.bytes;
        self.skipped.append(&mut other.skipped);
        self
    }

    /// The `count` most frequent words, the most frequent first (ties alphabetically).
    fn top(&self, count: usize) -> Vec<(&str, u64)> {
        let mut words: Vec<(&str, u64)> = self
            .words
            .iter()
            .map(|(word, &n)| (word.as_str(), n))
            .collect();
        words.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
        words.truncate(count);
        words
    }
}

/// Every file under `roots` (a root may be a file), in a stable order; a directory that
/// cannot be listed is reported in `skipped`.
fn files_under(roots: &[PathBuf], skipped: &mut Vec<(PathBuf, String)>) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending: Vec<PathBuf> = roots.iter().rev().cloned().collect();
    while let Some(path) = pending.pop() {
        if !path.is_dir() {
            // A missing or unreadable file is reported when it is read.
            files.push(path);
            continue;
        }
        let listing = std::fs::read_dir(&path).and_then(|entries| {
            entries
                .map(|entry| entry.map(|entry| entry.path()))
                .collect::<Result<Vec<_>, _>>()
        });
        match listing {
            Ok(mut entries) => {
                entries.retain(|entry| {
                    let name = entry.file_name().unwrap_or_default().to_string_lossy();
                    !(entry.is_dir() && (name.starts_with('.') || name == "target"))
                });
                entries.sort();
                pending.extend(entries.into_iter().rev());
            }
            Err(error) => skipped.push((path, error.to_string())),
        }
    }
    files
}

/// The options: `--top N` (default 20), `--jobs N` (default -1, every core), then the files
/// and directories (default: this repository).
fn options() -> Result<(usize, isize, Vec<PathBuf>), String> {
    let (mut top, mut jobs, mut roots) = (20, -1, Vec::new());
    let mut args = std::env::args_os().skip(1);
    while let Some(arg) = args.next() {
        let flag = arg.to_string_lossy().into_owned();
        if flag == "--top" || flag == "--jobs" {
            let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
            let value = value.to_string_lossy();
            let bad = |_| format!("{flag} takes a whole number, not {value:?}");
            if flag == "--top" {
                top = value.parse().map_err(bad)?;
            } else {
                jobs = value.parse().map_err(bad)?;
            }
        } else if flag.starts_with("--") {
            return Err(format!("unknown option {flag}: try --top, --jobs"));
        } else {
            roots.push(PathBuf::from(arg));
        }
    }
    if roots.is_empty() {
        roots.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    }
    Ok((top, jobs, roots))
}

fn main() -> ExitCode {
    let (top, jobs, roots) = match options() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("mapreduce: {message}");
            return ExitCode::from(2);
        }
    };
    let jobs = match Jobs::try_new(jobs) {
        Ok(jobs) => jobs,
        Err(error) => {
            eprintln!("mapreduce: {error}");
            return ExitCode::from(2);
        }
    };
    let mut unlisted = Vec::new();
    let files = files_under(&roots, &mut unlisted);

    // A first, untimed pass brings the files into the page cache, so that neither timed run
    // pays for the disk.
    par_map_reduce(&files, jobs.clone(), Tally::of_file, Tally::merge);

    let started = Instant::now();
    let tally =
        par_map_reduce(&files, jobs.clone(), Tally::of_file, Tally::merge).unwrap_or_default();
    let parallel = started.elapsed();

    let started = Instant::now();
    let sequential_tally = files
        .iter()
        .map(Tally::of_file)
        .reduce(Tally::merge)
        .unwrap_or_default();
    let sequential = started.elapsed();

    for (path, why) in unlisted.iter().chain(&tally.skipped) {
        eprintln!("skipped {}: {why}", path.display());
    }
    println!(
        "{} files, {} KiB, {} distinct words; the top {}:",
        tally.files,
        tally.bytes / 1024,
        tally.words.len(),
        top.min(tally.words.len())
    );
    for (rank, (word, count)) in tally.top(top).into_iter().enumerate() {
        println!("{:>4}. {word:<20} {count}", rank + 1);
    }
    let same = tally == sequential_tally;
    println!(
        "map-reduce on {} workers: {parallel:.2?}; sequential: {sequential:.2?} ({:.2}x); \
         counts {}",
        jobs.workers(),
        sequential.as_secs_f64() / parallel.as_secs_f64(),
        if same {
            "identical"
        } else {
            "DIFFER from the sequential run"
        }
    );
    if same {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use parallelize::par_map_reduce;

    use super::{Tally, files_under};

    /// A fresh directory of its own under the system's temporary directory.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "parallelize-mapreduce-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("nested")).unwrap();
        dir
    }

    #[test]
    fn unreadable_files_are_reported_and_skipped() {
        let dir = scratch("unreadable");
        std::fs::write(dir.join("a.txt"), "the cat and the hat").unwrap();
        std::fs::write(dir.join("nested/b.txt"), "The end.").unwrap();
        std::fs::write(dir.join("binary.bin"), [0xff, 0xfe, 0x00]).unwrap();
        let missing = dir.join("missing.txt");
        let files = files_under(&[dir.clone(), missing.clone()], &mut Vec::new());
        let tally = par_map_reduce(&files, 2, Tally::of_file, Tally::merge).unwrap();
        assert_eq!(tally.files, 2);
        assert_eq!(tally.top(2), [("the", 3), ("and", 1)]);
        let skipped: Vec<&PathBuf> = tally.skipped.iter().map(|(path, _)| path).collect();
        assert_eq!(skipped, [&dir.join("binary.bin"), &missing]);
        assert_eq!(tally.skipped[0].1, "not UTF-8 text");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_parallel_count_is_the_sequential_one() {
        let files = files_under(
            &[PathBuf::from(env!("CARGO_MANIFEST_DIR"))],
            &mut Vec::new(),
        );
        assert!(files.len() > 20, "the repository's files are found");
        let parallel = par_map_reduce(&files, 2, Tally::of_file, Tally::merge).unwrap();
        let sequential = files
            .iter()
            .map(Tally::of_file)
            .reduce(Tally::merge)
            .unwrap();
        assert_eq!(parallel, sequential);
        assert!(parallel.words["fn"] > 100);
    }
}
