//! The streaming pass over a schedule's steps: the summary (first, peak, final, min, mean
//! and sum of the lr) and the built-in failures ([`Fault`]) and warnings it finds, one
//! chunk at a time, merged in step order.

use std::fmt;

use super::warnings::Warning;
use crate::format::py_repr;
use crate::schedule::{Context, Point};

/// The summary names, in the order they are printed.
pub const SUMMARY_NAMES: [&str; 7] = [
    "first_lr",
    "peak_lr",
    "peak_step",
    "final_lr",
    "min_lr",
    "mean_lr",
    "sum_lr",
];

/// What one pass over steps `0 .. steps` found.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// The lr at step 0.
    pub first_lr: f64,
    /// The largest lr.
    pub peak_lr: f64,
    /// The first step at which the lr is `peak_lr`.
    pub peak_step: u64,
    /// The lr at the last step, `steps - 1`.
    pub final_lr: f64,
    /// The smallest lr.
    pub min_lr: f64,
    /// `sum_lr / steps`.
    pub mean_lr: f64,
    /// The sum of the lr over all steps (the lr budget), compensated so that 10^9 steps
    /// keep their precision.
    pub sum_lr: f64,
}

impl Summary {
    /// The values of [`SUMMARY_NAMES`], in order.
    pub fn values(&self) -> [f64; 7] {
        [
            self.first_lr,
            self.peak_lr,
            self.peak_step as f64,
            self.final_lr,
            self.min_lr,
            self.mean_lr,
            self.sum_lr,
        ]
    }
}

/// A built-in failure: the schedule gives an lr no optimizer should get, or its home
/// library cannot evaluate a step.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// The first step whose lr is NaN or infinite.
    NonFinite {
        /// The step.
        step: u64,
        /// The lr there.
        lr: f64,
    },
    /// The first step whose lr is below zero.
    Negative {
        /// The step.
        step: u64,
        /// The lr there.
        lr: f64,
    },
    /// The home library raises at `step` ([`Schedule::error_at`](crate::Schedule::error_at)); the summary covers the
    /// steps before it.
    Raises {
        /// The step.
        step: u64,
        /// What the library raises.
        message: String,
    },
}

/// The kinds of [`Fault`], which `--allow` cannot silence.
pub const FAULT_KINDS: [&str; 3] = ["non_finite", "negative", "raises"];

impl Fault {
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Fault::NonFinite { .. } => "non_finite",
            Fault::Negative { .. } => "negative",
            Fault::Raises { .. } => "raises",
        }
    }

    /// The step, and the lr there (NaN where the library raises).
    pub(super) fn at(&self) -> (u64, f64) {
        match *self {
            Fault::NonFinite { step, lr } | Fault::Negative { step, lr } => (step, lr),
            Fault::Raises { step, .. } => (step, f64::NAN),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::NonFinite { step, lr } => write!(f, "lr is {} at step {step}", py_repr(*lr)),
            Fault::Negative { step, lr } => {
                write!(f, "lr is negative at step {step}: {}", py_repr(*lr))
            }
            Fault::Raises { step, message } => {
                write!(f, "the schedule raises at step {step}: {message}")
            }
        }
    }
}

/// Neumaier's compensated sum: the error of each addition is kept aside and added back at
/// the end, so a sum of 10^9 terms is as accurate as one of ten.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Neumaier {
    sum: f64,
    compensation: f64,
}

impl Neumaier {
    #[inline]
    pub(crate) fn add(&mut self, x: f64) {
        let t = self.sum + x;
        if self.sum.abs() >= x.abs() {
            self.compensation += (self.sum - t) + x;
        } else {
            self.compensation += (x - t) + self.sum;
        }
        self.sum = t;
    }

    /// Adds another compensated sum (of the terms that follow this one's).
    pub(crate) fn merge(&mut self, other: Neumaier) {
        self.add(other.sum);
        self.compensation += other.compensation;
    }

    pub(crate) fn total(&self) -> f64 {
        if self.sum.is_finite() {
            self.sum + self.compensation
        } else {
            // inf + (inf - inf) would turn an infinite sum into NaN.
            self.sum
        }
    }
}

/// The steps whose lr is exactly 0: how many, and the first runs of them.
#[derive(Clone, Debug, Default, PartialEq)]
pub(super) struct Zeros {
    /// How many steps.
    pub(super) count: u64,
    /// The first [`Zeros::RUNS`] runs of consecutive steps, `(first, last)`.
    pub(super) runs: Vec<(u64, u64)>,
    /// Whether runs after those were left out.
    pub(super) more: bool,
}

impl Zeros {
    /// Runs kept for the message; a count says the rest.
    const RUNS: usize = 4;

    fn add(&mut self, step: u64) {
        self.count += 1;
        self.push((step, step));
    }

    /// Adds the run `(first, last)`, which follows every run so far.
    fn push(&mut self, (first, last): (u64, u64)) {
        if self.more {
            return;
        }
        let full = self.runs.len() == Self::RUNS;
        match self.runs.last_mut() {
            Some(run) if run.1 + 1 == first => run.1 = last,
            _ if full => self.more = true,
            _ => self.runs.push((first, last)),
        }
    }

    /// Takes in the zeros of the steps that follow these.
    fn merge(&mut self, next: Zeros) {
        self.count += next.count;
        for run in next.runs {
            self.push(run);
        }
        self.more |= next.more;
    }

    /// True when the only step at lr 0 is step 0, which every linear warmup gives and
    /// [`Warning::ZeroFirstLr`] reports.
    pub(super) fn only_first(&self) -> bool {
        self.count == 1 && self.runs.first() == Some(&(0, 0))
    }
}

/// The state of the streaming pass over a run of steps (a chunk of the whole, or all).
pub(super) struct Pass {
    /// The lr of the step before the first one added, where the run has one.
    previous: Option<f64>,
    warmup: u64,
    base_lr: f64,
    horizon: Option<u64>,
    count: u64,
    first: f64,
    peak: f64,
    peak_step: u64,
    min: f64,
    last: f64,
    sum: Neumaier,
    non_finite: Option<Fault>,
    negative: Option<Fault>,
    rise: Option<Warning>,
    /// The lr at `W - 1` and `W`.
    handover: Option<(f64, f64)>,
    /// The largest |change| between consecutive steps after `W`.
    later_change: f64,
    zeros: Zeros,
}

impl Pass {
    pub(super) fn new(ctx: &Context, horizon: Option<u64>, previous: Option<Point>) -> Self {
        Pass {
            previous: previous.map(|p| p.lr),
            warmup: ctx.warmup,
            base_lr: ctx.base_lr,
            horizon,
            count: 0,
            first: f64::NAN,
            peak: f64::NAN,
            peak_step: 0,
            min: f64::NAN,
            last: f64::NAN,
            sum: Neumaier::default(),
            non_finite: None,
            negative: None,
            rise: None,
            handover: None,
            later_change: 0.0,
            zeros: Zeros::default(),
        }
    }

    #[inline]
    pub(super) fn add(&mut self, p: &Point) {
        let (step, lr) = (p.step, p.lr);
        if self.count == 0 {
            self.first = lr;
        }
        let previous = if self.count == 0 {
            self.previous
        } else {
            Some(self.last)
        };
        if let Some(previous) = previous {
            if self.rise.is_none() && lr > previous && self.horizon.is_some_and(|h| step >= h) {
                self.rise = Some(Warning::RisesPastHorizon {
                    horizon: self.horizon.unwrap_or(step),
                    step,
                    from: previous,
                    to: lr,
                });
            }
            if self.warmup > 0 {
                if step == self.warmup {
                    self.handover = Some((previous, lr));
                } else if step > self.warmup {
                    let change = (lr - previous).abs();
                    if change > self.later_change {
                        self.later_change = change;
                    }
                }
            }
        }
        // NaN never becomes the peak or the minimum; it is reported as a failure instead.
        if lr > self.peak || (self.peak.is_nan() && !lr.is_nan()) {
            self.peak = lr;
            self.peak_step = step;
        }
        if lr < self.min || (self.min.is_nan() && !lr.is_nan()) {
            self.min = lr;
        }
        if !lr.is_finite() && self.non_finite.is_none() {
            self.non_finite = Some(Fault::NonFinite { step, lr });
        }
        if lr < 0.0 && self.negative.is_none() {
            self.negative = Some(Fault::Negative { step, lr });
        }
        if lr == 0.0 {
            self.zeros.add(step);
        }
        self.sum.add(lr);
        self.last = lr;
        self.count += 1;
    }

    /// Takes in the pass over the steps that directly follow this one's.
    pub(super) fn merge(&mut self, next: Pass) {
        if next.count == 0 {
            return;
        }
        if self.count == 0 {
            self.first = next.first;
        }
        // Ties keep the earlier step: `peak_step` is the first step at the peak.
        if next.peak > self.peak || (self.peak.is_nan() && !next.peak.is_nan()) {
            self.peak = next.peak;
            self.peak_step = next.peak_step;
        }
        if next.min < self.min || (self.min.is_nan() && !next.min.is_nan()) {
            self.min = next.min;
        }
        self.last = next.last;
        self.sum.merge(next.sum);
        self.non_finite = self.non_finite.take().or(next.non_finite);
        self.negative = self.negative.take().or(next.negative);
        self.rise = self.rise.take().or(next.rise);
        self.handover = self.handover.or(next.handover);
        self.later_change = self.later_change.max(next.later_change);
        self.zeros.merge(next.zeros);
        self.count += next.count;
    }

    /// The summary, the warnings and failures found, and the steps at lr 0 (which the
    /// caller turns into a warning knowing whether they are steps or updates).
    pub(super) fn finish(self) -> (Summary, Vec<Warning>, Vec<Fault>, Zeros) {
        let sum_lr = self.sum.total();
        let summary = Summary {
            first_lr: self.first,
            peak_lr: self.peak,
            peak_step: self.peak_step,
            final_lr: self.last,
            min_lr: self.min,
            mean_lr: sum_lr / self.count.max(1) as f64,
            sum_lr,
        };
        let mut warnings = Vec::new();
        if self.first == 0.0 {
            warnings.push(Warning::ZeroFirstLr);
        }
        warnings.extend(self.rise);
        if let Some((from, to)) = self.handover {
            let warmup_step = self.base_lr / self.warmup as f64;
            let expected = warmup_step.max(self.later_change);
            // The slack absorbs rounding: a transformers warmup hands over with a change
            // of exactly one warmup step, give or take an ulp.
            // A non-finite lr is a failure already; a jump to it says nothing more.
            let finite = from.is_finite() && to.is_finite();
            if finite && (to - from).abs() > expected * (1.0 + 1e-6) {
                warnings.push(Warning::WarmupJump {
                    step: self.warmup,
                    from,
                    to,
                    expected,
                });
            }
        }
        let failures = self.non_finite.into_iter().chain(self.negative).collect();
        (summary, warnings, failures, self.zeros)
    }
}
