//! Throughput of the CSV path: lrsched's library against the floor, a hand-written
//! closure + itoa + ryu loop doing the same work. Run with `cargo bench --bench throughput`;
//! BENCHMARKS.md records the figures. Each measurement is the best of several runs.

use std::hint::black_box;
use std::io::{self, Write};
use std::time::{Duration, Instant};

use lrsched::description::Partial;
use lrsched::engine::Engine;
use lrsched::output;
use lrsched::output::Steps;
use lrsched::output::csv::Csv;

const STEPS: u64 = 10_000_000;
const EXPR: &str = "0.5*(1+cos(pi*step/steps))";
const LAMBDA: &str = "lambda step: 0.5*(1+math.cos(math.pi*step/steps))";
const CHECK_STEPS: u64 = 50_000_000;
const RUNS: usize = 5;

/// Counts bytes and throws them away, so the measurement is formatting, not the disk.
struct Sink(u64);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0 += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn best(mut run: impl FnMut() -> u64) -> (Duration, u64) {
    let mut best = Duration::MAX;
    let mut bytes = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        bytes = black_box(run());
        best = best.min(start.elapsed());
    }
    (best, bytes)
}

/// The floor: the cosine as a Rust closure, formatted with itoa and ryu into a 64 KiB buffer.
fn floor() -> u64 {
    let f = |step: f64| 0.5 * (1.0 + (std::f64::consts::PI * step / STEPS as f64).cos());
    let base_lr = 0.1;
    let mut sink = Sink(0);
    let mut buf = Vec::with_capacity(1 << 17);
    buf.extend_from_slice(b"step,multiplier,lr\n");
    let mut int = itoa::Buffer::new();
    let mut float = ryu::Buffer::new();
    for step in 0..STEPS {
        let m = f(step as f64);
        buf.extend_from_slice(int.format(step).as_bytes());
        buf.push(b',');
        buf.extend_from_slice(float.format(m).as_bytes());
        buf.push(b',');
        buf.extend_from_slice(float.format(base_lr * m).as_bytes());
        buf.push(b'\n');
        if buf.len() >= 1 << 16 {
            let _ = sink.write_all(&buf);
            buf.clear();
        }
    }
    let _ = sink.write_all(&buf);
    sink.0
}

fn library(args: Partial, threads: usize) -> u64 {
    let description = match args.resolve() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("cannot benchmark: {e}");
            return 0;
        }
    };
    let mut sink = Sink(0);
    if output::write(
        &Engine::with_threads(threads),
        description.schedule(),
        Steps::all(STEPS),
        &Csv::default(),
        &mut sink,
    )
    .is_err()
    {
        return 0;
    }
    sink.0
}

fn report(name: &str, (time, bytes): (Duration, u64), floor: Duration) {
    let rows_per_s = STEPS as f64 / time.as_secs_f64();
    println!(
        "{name:<54} {:>8.3} s  {:>6.1} M rows/s  {:>5.2}x floor  ({:.0} MB)",
        time.as_secs_f64(),
        rows_per_s / 1e6,
        time.as_secs_f64() / floor.as_secs_f64(),
        bytes as f64 / 1e6
    );
}

fn main() {
    // `cargo bench` passes `--bench`; a name filter may follow.
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let wanted = |name: &str| filter.as_deref().is_none_or(|f| name.contains(f));
    println!("{STEPS} rows of `csv`, best of {RUNS} runs");
    let floor_time = best(floor);
    report(
        "floor: Rust closure + itoa + ryu, 1 thread",
        floor_time,
        floor_time.0,
    );
    let cases: [(&str, Partial); 5] = [
        (
            "--expr \"lambda step: 0.5*(1+math.cos(math.pi*step/steps))\"",
            Partial {
                expr: Some(LAMBDA.into()),
                steps: Some(STEPS),
                ..Partial::default()
            },
        ),
        (
            "--schedule cosine",
            Partial {
                schedule: Some("cosine".into()),
                steps: Some(STEPS),
                ..Partial::default()
            },
        ),
        (
            "--expr \"0.5*(1+cos(pi*step/steps))\"",
            Partial {
                expr: Some(EXPR.into()),
                steps: Some(STEPS),
                ..Partial::default()
            },
        ),
        (
            "--schedule cosine --warmup 1000",
            Partial {
                schedule: Some("cosine".into()),
                warmup: Some(1000),
                steps: Some(STEPS),
                ..Partial::default()
            },
        ),
        (
            "--schedule CosineAnnealingLR (recursive)",
            Partial {
                schedule: Some("CosineAnnealingLR".into()),
                steps: Some(STEPS),
                params: vec![(
                    "T_max".into(),
                    lrsched::schedule::params::Raw::Text(STEPS.to_string()),
                )],
                ..Partial::default()
            },
        ),
    ];
    let cores = Engine::new().threads();
    for threads in [1, cores] {
        for (name, args) in &cases {
            let label = format!(
                "{name}, {threads} thread{}",
                if threads == 1 { "" } else { "s" }
            );
            if wanted(&label) {
                report(
                    &label,
                    best(|| library(args.clone(), threads)),
                    floor_time.0,
                );
            }
        }
        if cores == 1 {
            break;
        }
    }
    check_section(&wanted);
    fill_section(&wanted);
}

/// Evaluation alone (`Schedule::fill`, batches of 1024, one thread), the built-in and the
/// pasted cosines interleaved round by round, so that a busy machine slows all alike; the
/// best round of each.
fn fill_section(wanted: &dyn Fn(&str) -> bool) {
    const FILL_STEPS: u64 = 20_000_000;
    const ROUNDS: usize = 9;
    if !wanted("fill") {
        return;
    }
    println!(
        "\n{FILL_STEPS} steps of `Schedule::fill`, 1 thread, best of {ROUNDS} interleaved rounds"
    );
    let cases = [
        ("fill --schedule cosine", Some("cosine"), None),
        (
            "fill --expr \"0.5*(1+cos(pi*step/steps))\"",
            None,
            Some(EXPR),
        ),
        (
            "fill --expr \"lambda step: 0.5*(1+math.cos(math.pi*step/steps))\"",
            None,
            Some(LAMBDA),
        ),
    ];
    let schedules: Vec<_> = cases
        .iter()
        .filter_map(|(name, schedule, expr)| {
            let partial = Partial {
                schedule: schedule.map(str::to_string),
                expr: expr.map(str::to_string),
                steps: Some(FILL_STEPS),
                ..Partial::default()
            };
            Some((*name, partial.resolve().ok()?.into_schedule()))
        })
        .collect();
    let mut best = vec![Duration::MAX; schedules.len()];
    let blank = lrsched::Point {
        step: 0,
        multiplier: 0.0,
        lr: 0.0,
    };
    let mut batch = vec![blank; 1024];
    for _ in 0..ROUNDS {
        for (i, (_, schedule)) in schedules.iter().enumerate() {
            let start = Instant::now();
            let mut sum = 0.0;
            let mut from = 0;
            while from < FILL_STEPS {
                schedule.fill(from, &mut batch);
                sum += batch[0].lr;
                from += batch.len() as u64;
            }
            black_box(sum);
            best[i] = best[i].min(start.elapsed());
        }
    }
    for ((name, _), time) in schedules.iter().zip(&best) {
        println!(
            "{name:<72} {:>8.3} s  {:>5.1} ns/step  {:>5.2}x the built-in",
            time.as_secs_f64(),
            time.as_secs_f64() * 1e9 / FILL_STEPS as f64,
            time.as_secs_f64() / best[0].as_secs_f64()
        );
    }
}

/// `lrsched check` of the cosine, built in and pasted: evaluation and the reduction, no
/// formatting.
fn check_section(wanted: &dyn Fn(&str) -> bool) {
    println!("\n{CHECK_STEPS} steps of `check`, best of {RUNS} runs, all cores");
    let cases = [
        ("check --schedule cosine", Some("cosine"), None),
        (
            "check --expr \"0.5*(1+cos(pi*step/steps))\"",
            None,
            Some(EXPR),
        ),
        (
            "check --expr \"lambda step: 0.5*(1+math.cos(math.pi*step/steps))\"",
            None,
            Some(LAMBDA),
        ),
    ];
    let mut first = None;
    for (name, schedule, expr) in cases {
        if !wanted(name) {
            continue;
        }
        let partial = Partial {
            schedule: schedule.map(str::to_string),
            expr: expr.map(str::to_string),
            steps: Some(CHECK_STEPS),
            ..Partial::default()
        };
        let Ok(description) = partial.resolve() else {
            continue;
        };
        let (time, _) = best(|| {
            lrsched::check::check(&lrsched::engine::Engine::new(), &description, &[], false)
                .map_or(0, |r| u64::from(r.passed()))
        });
        let base = *first.get_or_insert(time);
        println!(
            "{name:<72} {:>8.3} s  {:>5.2}x the built-in",
            time.as_secs_f64(),
            time.as_secs_f64() / base.as_secs_f64()
        );
    }
}
