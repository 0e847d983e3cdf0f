//! Draws the scaling chart of the README (`benches/scaling.svg`) from the medians that the
//! `workloads` benchmark writes to `target/workloads.csv`: the speedup over the sequential
//! loop against the number of workers, on W2-W4, for this crate, hand-written rayon and the
//! loop itself.
//!
//! ```sh
//! PARALLELIZE_BENCH_THREADS=1,2,3,4 cargo bench -p parallelize-benches --bench workloads -- "W2|W3|W4"
//! cargo run -p parallelize-benches --example scaling_chart    # [CSV [SVG]]
//! ```
//!
//! The SVG is written by hand (a few lines and labels), so that drawing it needs no plotting
//! stack. It marks the machine's core count, read where the chart is drawn (`--cores N` to
//! say otherwise), since workers beyond the cores cannot add speed.

// Chart coordinates come from small counts (threads, panels, speedups), far below 2^52.
#![allow(
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The series: name, colour, and contender in the CSV (this crate's is chosen per workload
/// in `speedups`: `NAME_par`, and `light_par(par source)` on W2).
const SERIES: [(&str, &str, &str); 3] = [
    ("parallelize", "#d9480f", ""),
    ("rayon", "#1c7ed6", "rayon"),
    ("sequential loop", "#495057", "sequential"),
];

/// The panels: the workload's name in the CSV, and its title.
const PANELS: [(&str, &str); 3] = [
    ("W2 ~100 ns x 1M", "W2: 1M items of ~100 ns"),
    ("W3 ~20 us x 20k", "W3: 20k items of ~20 us"),
    ("W4 imbalanced (i % 1000) x 20k", "W4: 20k uneven items"),
];

/// (workload, contender) -> threads -> median seconds.
type Medians = BTreeMap<(String, String), BTreeMap<usize, f64>>;

fn read(csv: &str) -> Result<Medians, String> {
    let mut medians = Medians::new();
    for (number, line) in csv.lines().enumerate().skip(1) {
        // workload,threads,"contender",median: the contender's name may hold commas.
        let fields = line.split_once(',').and_then(|(workload, rest)| {
            let (threads, rest) = rest.split_once(',')?;
            let (contender, median) = rest.rsplit_once(',')?;
            Some((workload, threads, contender.trim_matches('"'), median))
        });
        let Some((workload, threads, contender, median)) = fields else {
            return Err(format!("line {}: expected 4 fields: {line}", number + 1));
        };
        let threads: usize = threads
            .parse()
            .map_err(|_| format!("line {}: bad thread count {threads:?}", number + 1))?;
        let median: f64 = median
            .parse()
            .map_err(|_| format!("line {}: bad median {median:?}", number + 1))?;
        medians
            .entry((workload.to_owned(), contender.to_owned()))
            .or_default()
            .insert(threads, median);
    }
    Ok(medians)
}

/// The speedups of one series in one workload: sequential median / contender median, per
/// thread count (the sequential loop is timed at each count too, so noise shows as such).
fn speedups(medians: &Medians, workload: &str, series: usize) -> Vec<(usize, f64)> {
    let contender = match (series, workload.starts_with("W2")) {
        (0, true) => "light_par(par source)",
        (0, false) => "NAME_par",
        (index, _) => SERIES[index].2,
    };
    let (Some(sequential), Some(times)) = (
        medians.get(&(workload.to_owned(), "sequential".to_owned())),
        medians.get(&(workload.to_owned(), contender.to_owned())),
    ) else {
        return Vec::new();
    };
    times
        .iter()
        .filter_map(|(&threads, &time)| Some((threads, sequential.get(&threads)? / time)))
        .collect()
}

fn draw(medians: &Medians, cores: usize) -> Result<String, String> {
    let (width, height) = (300.0, 250.0);
    let (left, right, top, bottom) = (44.0, 14.0, 30.0, 40.0);
    let max_threads = medians
        .values()
        .flat_map(|times| times.keys())
        .copied()
        .max()
        .ok_or("the CSV holds no medians")?;
    let mut svg = String::new();
    let total_width = width * PANELS.len() as f64;
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{total_width}" height="{}" font-family="sans-serif" font-size="12">"#,
        height + 40.0
    );
    let _ = writeln!(
        svg,
        r#"<rect width="100%" height="100%" fill="white"/><text x="{}" y="18" text-anchor="middle" font-size="14">Speedup over the sequential loop against workers ({cores}-core machine; dashed: ideal)</text>"#,
        total_width / 2.0
    );
    for (panel, (workload, title)) in PANELS.iter().enumerate() {
        let geometry = Panel {
            x0: panel as f64 * width + left,
            y_top: 20.0 + top,
            plot_width: width - left - right,
            plot_height: height - top - bottom,
            max_threads,
        };
        draw_panel(&mut svg, medians, workload, title, &geometry, cores)?;
    }
    for (index, (name, colour, _)) in SERIES.iter().enumerate() {
        let at = total_width / 2.0 - 210.0 + index as f64 * 150.0;
        let _ = writeln!(
            svg,
            r#"<line x1="{at}" y1="{y}" x2="{}" y2="{y}" stroke="{colour}" stroke-width="3"/><text x="{}" y="{}">{name}</text>"#,
            at + 20.0,
            at + 26.0,
            height + 30.0,
            y = height + 26.0
        );
    }
    svg.push_str("</svg>\n");
    Ok(svg)
}

/// Where a panel's plot lies, and the largest worker count on its x axis.
struct Panel {
    x0: f64,
    y_top: f64,
    plot_width: f64,
    plot_height: f64,
    max_threads: usize,
}

/// One workload's panel: axes, the ideal line, the cores mark and one line per series.
fn draw_panel(
    svg: &mut String,
    medians: &Medians,
    workload: &str,
    title: &str,
    geometry: &Panel,
    cores: usize,
) -> Result<(), String> {
    let &Panel {
        x0,
        y_top,
        plot_width,
        plot_height,
        max_threads,
    } = geometry;
    let series: Vec<Vec<(usize, f64)>> = (0..SERIES.len())
        .map(|index| speedups(medians, workload, index))
        .collect();
    if series.iter().all(Vec::is_empty) {
        return Err(format!("no medians for {workload} in the CSV"));
    }
    let max_speedup = series
        .iter()
        .flatten()
        .map(|&(_, speedup)| speedup)
        .fold(max_threads as f64, f64::max)
        .ceil();
    let x = |threads: f64| x0 + (threads - 1.0) / (max_threads as f64 - 1.0).max(1.0) * plot_width;
    let y = |speedup: f64| y_top + plot_height - speedup / max_speedup * plot_height;
    let _ = writeln!(
        svg,
        r#"<text x="{}" y="{}" text-anchor="middle">{title}</text>"#,
        x0 + plot_width / 2.0,
        y_top - 8.0
    );
    // Axes, ticks and grid.
    for threads in 1..=max_threads {
        let at = x(threads as f64);
        let _ = writeln!(
            svg,
            r##"<line x1="{at}" y1="{}" x2="{at}" y2="{}" stroke="#eee"/><text x="{at}" y="{}" text-anchor="middle">{threads}</text>"##,
            y_top,
            y_top + plot_height,
            y_top + plot_height + 15.0
        );
    }
    for speedup in 0..=max_speedup as usize {
        let at = y(speedup as f64);
        let _ = writeln!(
            svg,
            r##"<line x1="{x0}" y1="{at}" x2="{}" y2="{at}" stroke="#eee"/><text x="{}" y="{}" text-anchor="end">{speedup}x</text>"##,
            x0 + plot_width,
            x0 - 6.0,
            at + 4.0
        );
    }
    let _ = writeln!(
        svg,
        r##"<rect x="{x0}" y="{y_top}" width="{plot_width}" height="{plot_height}" fill="none" stroke="#888"/><text x="{}" y="{}" text-anchor="middle">workers</text>"##,
        x0 + plot_width / 2.0,
        y_top + plot_height + 32.0
    );
    if cores < max_threads {
        let at = x(cores as f64);
        let _ = writeln!(
            svg,
            r##"<line x1="{at}" y1="{y_top}" x2="{at}" y2="{}" stroke="#aaa" stroke-dasharray="2,3"/><text x="{}" y="{}" fill="#888">cores</text>"##,
            y_top + plot_height,
            at + 4.0,
            y_top + 14.0
        );
    }
    let _ = writeln!(
        svg,
        r##"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#bbb" stroke-dasharray="6,4"/>"##,
        x(1.0),
        y(1.0),
        x(max_threads as f64),
        y(max_threads as f64)
    );
    for (points, (_, colour, _)) in series.iter().zip(SERIES) {
        let path: Vec<String> = points
            .iter()
            .map(|&(threads, speedup)| format!("{:.1},{:.1}", x(threads as f64), y(speedup)))
            .collect();
        let _ = writeln!(
            svg,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2"/>"#,
            path.join(" ")
        );
        for point in &path {
            let (cx, cy) = point.split_once(',').unwrap_or_default();
            let _ = writeln!(
                svg,
                r#"<circle cx="{cx}" cy="{cy}" r="3" fill="{colour}"/>"#
            );
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    // The workspace's root: this package is its `benches/`.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest.parent().unwrap_or(manifest);
    let mut args = std::env::args_os().skip(1);
    let mut cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mut paths = Vec::new();
    while let Some(arg) = args.next() {
        if arg == "--cores" {
            let Some(n) = args.next().and_then(|n| n.to_str()?.parse().ok()) else {
                eprintln!("scaling_chart: --cores takes a whole number");
                return ExitCode::from(2);
            };
            cores = n;
        } else {
            paths.push(PathBuf::from(arg));
        }
    }
    let csv = paths
        .first()
        .cloned()
        .unwrap_or_else(|| root.join("target/workloads.csv"));
    let svg_path = paths
        .get(1)
        .cloned()
        .unwrap_or_else(|| root.join("benches/scaling.svg"));
    let drawn = std::fs::read_to_string(&csv)
        .map_err(|error| {
            format!(
                "cannot read {}: {error} (run the workloads benchmark first, see this file's docs)",
                csv.display()
            )
        })
        .and_then(|text| read(&text))
        .and_then(|medians| draw(&medians, cores))
        .and_then(|svg| {
            std::fs::write(&svg_path, svg)
                .map_err(|error| format!("cannot write {}: {error}", svg_path.display()))
        });
    match drawn {
        Ok(()) => {
            println!("drew {} from {}", svg_path.display(), csv.display());
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("scaling_chart: {message}");
            ExitCode::FAILURE
        }
    }
}
