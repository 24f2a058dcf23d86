//! The pass, its failures and warnings, on one thread and on several.

use std::fmt;

use super::summary::Neumaier;
use super::*;
use crate::format::py_repr;
use crate::schedule::Point;

/// A schedule given by a closure of the step, with optional hooks.
struct ByStep<F> {
    f: F,
    base_lr: f64,
    horizon: Option<u64>,
    last: Option<u64>,
}

impl<F> fmt::Debug for ByStep<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ByStep")
    }
}

impl<F: Fn(u64) -> f64 + Send + Sync> Schedule for ByStep<F> {
    fn at(&self, step: u64) -> Point {
        Point::from_lr(step, (self.f)(step), self.base_lr)
    }
    fn horizon(&self) -> Option<u64> {
        self.horizon
    }
    fn last_defined_step(&self) -> Option<u64> {
        self.last
    }
}

fn lrs<F: Fn(u64) -> f64 + Send + Sync>(f: F) -> ByStep<F> {
    ByStep {
        f,
        base_lr: 1.0,
        horizon: None,
        last: None,
    }
}

fn ctx(steps: u64, warmup: u64) -> Context {
    Context {
        steps,
        base_lr: 1.0,
        warmup,
    }
}

#[test]
fn summary_of_a_warmup() {
    let schedule = lrs(|s| {
        if s < 4 {
            s as f64 / 4.0
        } else {
            1.0 - (s - 4) as f64 / 8.0
        }
    });
    let report = evaluate(&Engine::new(), &schedule, &ctx(10, 4), &[], false);
    assert_eq!(
        report.summary,
        Summary {
            first_lr: 0.0,
            peak_lr: 1.0,
            peak_step: 4,
            final_lr: 0.375,
            min_lr: 0.0,
            mean_lr: 0.5625,
            sum_lr: 5.625,
        }
    );
    assert_eq!(report.warnings, [Warning::ZeroFirstLr]);
    assert!(report.passed());
}

/// Chunks meet inside the run: what spans a boundary (the warmup's hand-over, a rise
/// past the horizon, the first peak, a failure) is found as in one pass.
#[test]
fn chunk_boundaries_are_seamless() {
    let w = Grain::Reduce.chunk_rows();
    let mut schedule = lrs(move |s| match s {
        s if s < w => s as f64 / w as f64,
        s if s == w => 0.01,
        s if s == 2 * w + 3 => -0.001,
        _ => 0.02,
    });
    schedule.horizon = Some(w + 1);
    let report = evaluate(
        &Engine::single(),
        &schedule,
        &ctx(2 * w + 10, w),
        &[],
        false,
    );
    // Three threads give the same report, to the bit.
    let threaded = evaluate(
        &Engine::with_threads(3),
        &schedule,
        &ctx(2 * w + 10, w),
        &[],
        false,
    );
    assert_eq!(report, threaded);
    assert_eq!(
        report.summary.sum_lr.to_bits(),
        threaded.summary.sum_lr.to_bits()
    );
    assert_eq!(report.summary.peak_step, w - 1);
    assert_eq!(report.summary.final_lr, 0.02);
    assert_eq!(report.summary.min_lr, -0.001);
    assert_eq!(
        report.failures,
        [Fault::Negative {
            step: 2 * w + 3,
            lr: -0.001
        }]
    );
    assert_eq!(
        report.warnings,
        [
            Warning::ZeroFirstLr,
            Warning::RisesPastHorizon {
                horizon: w + 1,
                step: w + 1,
                from: 0.01,
                to: 0.02
            },
            Warning::WarmupJump {
                step: w,
                from: (w - 1) as f64 / w as f64,
                to: 0.01,
                expected: 0.021
            },
        ]
    );
    // The sum is that of one sequential pass, to the bit.
    let mut sum = Neumaier::default();
    (0..2 * w + 10).for_each(|s| sum.add((schedule.f)(s)));
    let expected = sum.total();
    assert!(
        (report.summary.sum_lr - expected).abs() <= expected.abs() * 1e-15,
        "{} vs {expected}",
        report.summary.sum_lr
    );
}

/// Where the home library raises, the pass ends there and the check fails naming the
/// step, on one thread as on several.
#[test]
fn a_raising_step_is_a_failure() {
    use crate::engine::tests::Raising;
    let w = Grain::Reduce.chunk_rows();
    for nan_at in [3, w + 3] {
        for seekable in [true, false] {
            let raising = Raising {
                nan_at,
                raises: true,
                seekable,
            };
            let report = evaluate(&Engine::single(), &raising, &ctx(2 * w, 0), &[], false);
            assert_eq!(
                report,
                evaluate(
                    &Engine::with_threads(3),
                    &raising,
                    &ctx(2 * w, 0),
                    &[],
                    false
                )
            );
            let message = format!("float division by zero (step {nan_at})");
            assert_eq!(
                report.failures,
                [Fault::Raises {
                    step: nan_at,
                    message: message.clone()
                }]
            );
            assert_eq!(report.summary.final_lr, raising.at(nan_at - 1).lr);
            assert_eq!(
                report.failure_message(),
                Some(format!("the schedule raises at step {nan_at}: {message}"))
            );
            let mut text = Vec::new();
            let description = crate::description::Partial {
                expr: Some("1".into()),
                ..crate::description::Partial::default()
            }
            .resolve()
            .map_err(|e| e.to_string())
            .expect("valid");
            report
                .write_text(&description, false, &mut text)
                .map_err(|e| e.to_string())
                .expect("writes to a Vec");
            let text = String::from_utf8_lossy(&text);
            assert!(
                text.contains(&format!(
                    "FAILED  lr is defined  (step {nan_at} raises: {message})\n"
                )),
                "{text}"
            );
            assert!(
                text.ends_with(&format!("FAILED: the schedule raises at step {nan_at}\n")),
                "{text}"
            );
        }
    }
}

#[test]
fn peak_step_is_the_first_at_the_peak() {
    let report = evaluate(
        &Engine::new(),
        &lrs(|s| (s % 3) as f64),
        &ctx(9, 0),
        &[],
        false,
    );
    assert_eq!((report.summary.peak_lr, report.summary.peak_step), (2.0, 2));
}

#[test]
fn compensated_sum_is_exact_where_naive_drifts() {
    let mut sum = Neumaier::default();
    let mut naive = 0.0;
    for _ in 0..10_000_000 {
        sum.add(0.1);
        naive += 0.1;
    }
    assert_eq!(sum.total(), 1_000_000.0);
    assert_ne!(naive, 1_000_000.0);
    let mut big = Neumaier::default();
    for x in [1e100, 1.0, -1e100] {
        big.add(x);
    }
    assert_eq!(big.total(), 1.0);
    let mut inf = Neumaier::default();
    inf.add(f64::INFINITY);
    inf.add(1.0);
    assert_eq!(inf.total(), f64::INFINITY);
}

#[test]
fn nan_infinite_and_negative_lrs_fail_at_their_first_step() {
    let report = evaluate(
        &Engine::new(),
        &lrs(|s| match s {
            3 => -0.5,
            5 => f64::NAN,
            6 => f64::INFINITY,
            7 => -1.0,
            _ => 1.0,
        }),
        &ctx(10, 0),
        &[],
        false,
    );
    assert!(!report.passed());
    let found: Vec<(&str, u64, String)> = report
        .failures
        .iter()
        .map(|f| (f.kind(), f.at().0, py_repr(f.at().1)))
        .collect();
    assert_eq!(
        found,
        [
            ("non_finite", 5, "nan".to_string()),
            ("negative", 3, "-0.5".to_string())
        ]
    );
    assert_eq!(
        report.failure_message().as_deref(),
        Some("lr is nan at step 5; lr is negative at step 3: -0.5")
    );
    // NaN is never the peak or the minimum; the infinity is.
    assert_eq!(report.summary.peak_lr, f64::INFINITY);
    assert_eq!(report.summary.min_lr, -1.0);
    let negative_zero = evaluate(&Engine::new(), &lrs(|_| -0.0), &ctx(3, 0), &[], false);
    assert!(negative_zero.failures.is_empty());
}

#[test]
fn rises_past_the_horizon_only() {
    // A cosine with T_max = 10 evaluated for 30 steps.
    let cosine = |s: u64| 0.5 * (1.0 + (std::f64::consts::PI * s as f64 / 10.0).cos());
    let mut schedule = lrs(cosine);
    schedule.horizon = Some(10);
    let report = evaluate(&Engine::new(), &schedule, &ctx(30, 0), &[], false);
    assert_eq!(
        report.warnings,
        [
            Warning::RisesPastHorizon {
                horizon: 10,
                step: 11,
                from: cosine(10),
                to: cosine(11)
            },
            // The bottom of the cosine is exactly 0.
            Warning::ZeroLr {
                count: 1,
                of: 30,
                runs: vec![(10, 10)],
                more: false,
                unit: "step",
                why: None
            }
        ]
    );
    assert_eq!(
        report.warnings[0].to_string(),
        "the lr rises again past the schedule's horizon at step 10: 0.0 at step 10 -> \
         0.024471741852423123 at step 11"
    );
    let kinds = |report: Report| {
        report
            .warnings
            .iter()
            .map(Warning::kind)
            .collect::<Vec<_>>()
    };
    let within = evaluate(&Engine::new(), &schedule, &ctx(11, 0), &[], false);
    assert_eq!(kinds(within), [Kind::ZeroLr]);
    schedule.horizon = None;
    assert_eq!(
        kinds(evaluate(&Engine::new(), &schedule, &ctx(30, 0), &[], false)),
        [Kind::ZeroLr]
    );
}

#[test]
fn a_warmup_handing_over_smoothly_is_no_jump() {
    // transformers-style: s / W, then 1.
    let smooth = lrs(|s| if s < 10 { s as f64 / 10.0 } else { 1.0 });
    assert_eq!(
        evaluate(&Engine::new(), &smooth, &ctx(50, 10), &[], false).warnings,
        [Warning::ZeroFirstLr]
    );
    // OneCycleLR-style: the warmup reaches 0.9, the scheduler starts at 0.04.
    let onecycle = lrs(|s| {
        if s < 10 {
            s as f64 / 10.0
        } else {
            0.04 + (s - 10) as f64 * 0.001
        }
    });
    let report = evaluate(&Engine::new(), &onecycle, &ctx(50, 10), &[], false);
    assert_eq!(report.warnings.len(), 2);
    let Warning::WarmupJump {
        step,
        from,
        to,
        expected,
    } = report.warnings[1]
    else {
        panic!("{:?}", report.warnings);
    };
    assert_eq!((step, from, to, expected), (10, 0.9, 0.04, 0.1));
    // A schedule that jumps more by itself later (StepLR) makes the handover ordinary.
    let step_lr = lrs(|s| match s {
        0..10 => s as f64 / 10.0,
        10..20 => 0.5,
        _ => 0.05,
    });
    assert_eq!(
        evaluate(&Engine::new(), &step_lr, &ctx(50, 10), &[], false)
            .warnings
            .len(),
        1
    );
}

#[test]
fn steps_past_the_defined_end_are_named() {
    let mut schedule = lrs(|_| 1.0);
    schedule.last = Some(99);
    assert_eq!(
        evaluate(&Engine::new(), &schedule, &ctx(100, 0), &[], false).warnings,
        []
    );
    let report = evaluate(&Engine::new(), &schedule, &ctx(102, 0), &[], true);
    assert_eq!(
        report.warnings,
        [Warning::PastDefinedEnd {
            step: 100,
            last: 99
        }]
    );
    assert!(!report.passed(), "--strict fails on warnings");
    assert_eq!(
        report.failure_message().as_deref(),
        Some(
            "warning (--strict): steps 100 and later are past the schedule's last \
             defined step 99; its home library raises an error there"
        )
    );
}

/// Zero-lr steps are counted and their runs joined across chunk boundaries, the same on one
/// thread and on several; only the first runs are kept, and a lone step 0 is no warning.
#[test]
fn zero_lr_steps_are_counted_across_chunks() {
    let w = Grain::Reduce.chunk_rows();
    // Zero on a run straddling the first chunk boundary, at w + 5, and on every step from
    // 2w on except the last.
    let zero =
        move |s: u64| (w - 2..w + 2).contains(&s) || s == w + 5 || (s >= 2 * w && s < 3 * w - 1);
    let schedule = lrs(move |s| if zero(s) { 0.0 } else { 1.0 });
    let steps = 3 * w;
    let single = evaluate(&Engine::single(), &schedule, &ctx(steps, 0), &[], false);
    let threaded = evaluate(
        &Engine::with_threads(3),
        &schedule,
        &ctx(steps, 0),
        &[],
        false,
    );
    assert_eq!(single, threaded);
    let count = (0..steps).filter(|&s| zero(s)).count() as u64;
    assert_eq!(
        single.warnings,
        [Warning::ZeroLr {
            count,
            of: steps,
            runs: vec![(w - 2, w + 1), (w + 5, w + 5), (2 * w, 3 * w - 2)],
            more: false,
            unit: "step",
            why: None,
        }]
    );
    assert_eq!(
        single.warnings[0].to_string(),
        format!(
            "{count} of {steps} steps get lr 0.0 and change nothing: steps {}-{}, {}, {}-{}",
            w - 2,
            w + 1,
            w + 5,
            2 * w,
            3 * w - 2
        )
    );
    // Every other step at 0: four runs are named, the rest counted.
    let alternate = evaluate(
        &Engine::with_threads(3),
        &lrs(|s| (s % 2) as f64),
        &ctx(20, 0),
        &[],
        false,
    );
    assert_eq!(
        alternate.warnings[1].to_string(),
        "10 of 20 steps get lr 0.0 and change nothing: steps 0, 2, 4, 6, ..."
    );
    // A linear warmup's step 0 alone is ZeroFirstLr's.
    let warmup = evaluate(&Engine::new(), &lrs(|s| s as f64), &ctx(5, 0), &[], false);
    assert_eq!(warmup.warnings, [Warning::ZeroFirstLr]);
}

#[test]
fn kinds_parse_by_name_and_refuse_failures() {
    for kind in Kind::ALL {
        assert_eq!(Kind::parse(kind.name()).ok(), Some(kind));
    }
    let message = |name: &str| Kind::parse(name).map_or_else(|e| e.to_string(), |k| k.to_string());
    let kinds = "zero_first_lr, zero_lr, warmup_too_long, warmup_ignored, rises_past_horizon, warmup_jump, \
                 horizon_mismatch, warmup_max_lr, accelerate_stepping, past_defined_end";
    assert_eq!(
        message("warmup_to_long"),
        format!(
            "unknown warning kind 'warmup_to_long' for --allow; did you mean \
             'warmup_too_long'? (the kinds are {kinds})"
        )
    );
    assert_eq!(
        message("negative"),
        format!(
            "--allow negative: 'negative' is a failure, not a warning, and cannot be allowed \
             (the warning kinds are {kinds})"
        )
    );
}
