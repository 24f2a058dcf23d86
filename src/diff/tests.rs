//! Tests of `diff`: the findings against a plain loop over both schedules, the same on one
//! thread and on several, and a raising schedule that never cuts the other short.

use std::fmt;

use super::*;
use crate::check;
use crate::engine::tests::Raising;
use crate::schedule::Context;

/// A schedule given by a closure of the step (lr = multiplier, base lr 1).
struct ByStep<F>(F);

impl<F> fmt::Debug for ByStep<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ByStep")
    }
}

impl<F: Fn(u64) -> f64 + Send + Sync> Schedule for ByStep<F> {
    fn at(&self, step: u64) -> Point {
        Point::from_lr(step, (self.0)(step), 1.0)
    }
}

fn side<'a>(name: &'a str, schedule: &'a dyn Schedule, steps: u64) -> Side<'a> {
    Side {
        name,
        text: name,
        schedule,
        steps,
    }
}

fn engines() -> [Engine; 2] {
    [Engine::single(), Engine::with_threads(3)]
}

fn run(old: &Side<'_>, new: &Side<'_>, options: &Options) -> Report {
    let reports: Vec<Report> = engines()
        .iter()
        .map(|engine| diff(engine, old, new, options).unwrap())
        .collect();
    // The same findings, to the bit, on one thread and on three.
    let json = |r: &Report| serde_json::to_string(r).unwrap();
    assert_eq!(json(&reports[0]), json(&reports[1]));
    reports.into_iter().next().unwrap()
}

/// The lr budget `check` reports for `schedule` over `steps`.
fn check_sum(schedule: &dyn Schedule, steps: u64) -> f64 {
    let ctx = Context {
        steps,
        base_lr: 1.0,
        warmup: 0,
    };
    check::evaluate(&Engine::single(), schedule, &ctx, &[], false)
        .summary
        .sum_lr
}

#[test]
fn a_schedule_and_itself_are_identical_with_check_s_summary() {
    let n = 3 * Grain::Reduce.chunk_rows() + 17;
    let cosine =
        ByStep(move |s: u64| 0.5 * (1.0 + (std::f64::consts::PI * s as f64 / n as f64).cos()));
    let report = run(
        &side("a", &cosine, n),
        &side("b", &cosine, n),
        &Options::default(),
    );
    assert!(report.equal);
    assert_eq!((report.steps_compared, report.steps_differing), (n, 0));
    assert_eq!(report.first_difference, None);
    assert_eq!(report.largest_abs, None);
    assert_eq!(report.old.peak_lr, 1.0);
    assert_eq!(report.old.peak_step, 0);
    assert_eq!(report.old.final_step, n - 1);
    assert_eq!(report.old.final_lr, cosine.at(n - 1).lr);
    assert_eq!(report.old.sum_lr.to_bits(), check_sum(&cosine, n).to_bits());
    assert_eq!(report.sum_ratio, 1.0);
    assert_eq!(report.verdict(), format!("identical: {n} steps compared"));
}

#[test]
fn findings_are_those_of_a_plain_loop() {
    let n = 2 * Grain::Reduce.chunk_rows() + 1000;
    let old = ByStep(|s: u64| (s % 1000) as f64 / 1000.0);
    // Differs at a few steps, most at 1_500_000, and its tail is scaled.
    let new = ByStep(move |s: u64| {
        let base = (s % 1000) as f64 / 1000.0;
        match s {
            7 | 1_048_577 => base + 1e-3,
            1_500_000 => base + 0.5,
            s if s >= n - 10 => base * 1.25,
            _ => base,
        }
    });
    let report = run(
        &side("old", &old, n),
        &side("new", &new, n),
        &Options::default(),
    );
    let (mut differing, mut first, mut abs, mut rel) = (0, None, (0.0, 0), (0.0, 0));
    for s in 0..n {
        let (a, b) = (old.at(s).lr, new.at(s).lr);
        if a != b {
            differing += 1;
            first.get_or_insert(s);
            let d = (a - b).abs();
            if d > abs.0 {
                abs = (d, s);
            }
            let r = d / a.abs().max(b.abs());
            if r > rel.0 {
                rel = (r, s);
            }
        }
    }
    assert!(!report.equal);
    assert_eq!(report.steps_differing, differing);
    assert_eq!(report.first_difference.map(|d| d.step), first);
    let first = report.first_difference.unwrap();
    assert_eq!((first.old, first.new), (old.at(7).lr, new.at(7).lr));
    let largest = report.largest_abs.unwrap();
    assert_eq!((largest.abs, largest.step), abs);
    assert_eq!(largest.step, 1_500_000);
    let largest = report.largest_rel.unwrap();
    assert_eq!((largest.rel, largest.step), rel);
    assert_eq!(report.new.sum_lr.to_bits(), check_sum(&new, n).to_bits());
    assert_eq!(report.sum_ratio, report.new.sum_lr / report.old.sum_lr);
    assert_eq!(
        report.verdict(),
        format!("different: {differing} of {n} steps differ")
    );
}

#[test]
fn a_tolerance_forgives_small_relative_differences() {
    let old = ByStep(|s: u64| 1.0 + s as f64);
    let new = ByStep(|s: u64| (1.0 + s as f64) * (1.0 + 1e-9));
    let (a, b) = (side("old", &old, 100), side("new", &new, 100));
    let exact = run(&a, &b, &Options::default());
    assert_eq!(exact.steps_differing, 100);
    let loose = run(
        &a,
        &b,
        &Options {
            tolerance: 1e-8,
            ..Options::default()
        },
    );
    assert!(loose.equal);
    assert_eq!(loose.first_difference, None);
    // The largest differences are still reported, within the tolerance.
    assert!(loose.largest_rel.unwrap().rel < 1e-8);
    assert_eq!(
        loose.verdict(),
        "equal within relative 1e-08: 100 steps compared"
    );
}

#[test]
fn different_lengths_compare_the_common_steps_and_differ() {
    let lrs = ByStep(|s: u64| s as f64);
    let report = run(
        &side("old", &lrs, 100),
        &side("new", &lrs, 120),
        &Options::default(),
    );
    assert!(!report.equal);
    assert_eq!((report.steps_compared, report.steps_differing), (100, 0));
    // Each summary covers its own steps.
    assert_eq!((report.old.final_step, report.new.final_step), (99, 119));
    assert_eq!(report.new.peak_lr, 119.0);
    assert_eq!(report.new.sum_lr, (0..120).sum::<u64>() as f64);
    assert_eq!(report.verdict(), "different: the lengths differ");
    assert!(report.to_text().contains(
        "lengths differ    old has 100 steps, new 120; compared the 100 steps both have\n"
    ));
}

#[test]
fn a_raising_schedule_does_not_cut_the_other_short() {
    let n = 3 * Grain::Reduce.chunk_rows();
    let nan_at = Grain::Reduce.chunk_rows() + 12_345;
    for seekable in [true, false] {
        let raising = Raising {
            nan_at,
            raises: true,
            seekable,
        };
        let fine = Raising {
            nan_at: u64::MAX,
            raises: false,
            seekable,
        };
        for (old, new, which) in [
            (&raising as &dyn Schedule, &fine as &dyn Schedule, "old"),
            (&fine, &raising, "new"),
        ] {
            let report = run(
                &side("old", old, n),
                &side("new", new, n),
                &Options::default(),
            );
            let (stopped, went_on) = match which {
                "old" => (&report.old, &report.new),
                _ => (&report.new, &report.old),
            };
            assert_eq!(stopped.raises.as_ref().map(|r| r.step), Some(nan_at));
            assert_eq!(
                stopped.final_step,
                nan_at - 1,
                "{which}, seekable {seekable}"
            );
            assert_eq!(went_on.raises, None);
            assert_eq!(went_on.final_step, n - 1, "{which}, seekable {seekable}");
            assert_eq!(went_on.sum_lr, check_sum(&fine, n));
            assert_eq!(report.steps_compared, nan_at);
            assert_eq!(report.steps_differing, 0);
            assert!(!report.equal);
            let other = if which == "old" { "new" } else { "old" };
            assert_eq!(
                report.verdict(),
                format!("different: {which} raises at step {nan_at}, {other} does not")
            );
        }
        // Both raise at the same step, the same way: equal.
        let report = run(
            &side("old", &raising, n),
            &side("new", &raising, n),
            &Options::default(),
        );
        assert!(report.equal);
        assert_eq!(report.steps_compared, nan_at);
    }
}

#[test]
fn from_gives_the_jump_and_compares_from_there() {
    let old = ByStep(|s: u64| 100.0 - s as f64);
    let new = ByStep(|s: u64| 50.0 - s as f64 / 2.0);
    let report = run(
        &side("old", &old, 100),
        &side("new", &new, 100),
        &Options {
            from: 40,
            ..Options::default()
        },
    );
    assert_eq!(
        report.jump,
        Some(Jump {
            step: 40,
            old_before: 61.0,
            new_at: 30.0,
            old_at: 60.0,
        })
    );
    assert_eq!(report.steps_compared, 60);
    assert_eq!(report.first_difference.unwrap().step, 40);
    assert_eq!((report.old.peak_lr, report.old.peak_step), (60.0, 40));
    assert_eq!(report.old.sum_lr, (1..=60).sum::<u64>() as f64);
    let past = diff(
        &Engine::single(),
        &side("old", &old, 100),
        &side("new", &new, 30),
        &Options {
            from: 30,
            ..Options::default()
        },
    )
    .unwrap_err();
    assert_eq!(
        past.to_string(),
        "--from 30 is past the last step of NEW (new), 29 (it has 30 steps)"
    );
}

#[test]
fn plot_marks_the_columns_that_differ() {
    let old = ByStep(|s: u64| s as f64);
    let new = ByStep(|s: u64| if (50..60).contains(&s) { 0.0 } else { s as f64 });
    let report = run(
        &side("old", &old, 100),
        &side("new", &new, 100),
        &Options {
            plot_columns: Some(10),
            ..Options::default()
        },
    );
    let plot = report.plot.unwrap();
    assert_eq!(plot.series.len(), 2);
    // Steps 50..60 are column 5 of ten over 0..100.
    let marked: Vec<usize> = (0..10).filter(|&c| plot.marks.is_marked(c)).collect();
    assert_eq!(marked, [5]);
}
