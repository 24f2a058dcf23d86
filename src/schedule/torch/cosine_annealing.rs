//! `CosineAnnealingLR`: cosine annealing by torch's recursion, including the steps where
//! that recursion divides by zero.

use std::f64::consts::PI;

use super::chainable::{Chainable, Recurrence};
use super::{ETA_MIN, Raise, Start};
use crate::error::Result;
use crate::format::py_repr;
use crate::schedule::params::{ParamDefault, ParamKind, ParamSpec, Params};
use crate::schedule::registry::{Entry, Library};
use crate::schedule::{Context, Schedule};

/// `CosineAnnealingLR(optimizer, T_max, eta_min=0.0)`.
///
/// torch's recursion: `lr_0 = base_lr`; at step `k >= 1`, when `(k - 1 - T_max) % (2 *
/// T_max) == 0` (the step after a minimum, where the ratio below would be 0/0),
/// `lr_k = lr_(k-1) + (base_lr - eta_min) * (1 - cos(pi / T_max)) / 2`, otherwise
/// `lr_k = (1 + cos(pi * k / T_max)) / (1 + cos(pi * (k - 1) / T_max)) * (lr_(k-1) -
/// eta_min) + eta_min`. It approximates `eta_min + (base_lr - eta_min) * (1 + cos(pi * k /
/// T_max)) / 2`, is not clamped (the lr rises again after `T_max`, period `2 * T_max`), and
/// takes a non-integer `T_max`. `T_max=0` makes torch raise `ZeroDivisionError` at step 1,
/// and so does a fractional `T_max` at the step after one of its odd multiples lands on a
/// whole step (`T_max=100/3`: step 101), where the ratio's denominator is exactly 0.
#[derive(Debug)]
struct CosineAnnealingLr {
    t_max: f64,
    eta_min: f64,
    base_lr: f64,
}

impl Recurrence for CosineAnnealingLr {
    #[inline]
    fn next(&self, lr: f64, step: u64) -> f64 {
        let (t_max, eta_min) = (self.t_max, self.eta_min);
        let previous = (step - 1) as f64;
        // Python's `%` is zero exactly when C's `fmod` is, whatever the signs.
        if (previous - t_max) % (2.0 * t_max) == 0.0 {
            lr + (self.base_lr - eta_min) * (1.0 - (PI / t_max).cos()) / 2.0
        } else {
            (1.0 + (PI * step as f64 / t_max).cos()) / (1.0 + (PI * previous / t_max).cos())
                * (lr - eta_min)
                + eta_min
        }
    }

    /// `T_max`, where the cosine reaches `eta_min` before rising again.
    fn horizon(&self) -> Option<u64> {
        (self.t_max > 0.0).then(|| self.t_max.ceil() as u64)
    }
}

impl CosineAnnealingLr {
    /// The first step `k` in `1 .. evaluated` where [`Recurrence::next`] divides by zero:
    /// `1 + cos(pi * (k - 1) / T_max)` is exactly 0, yet `(k - 1 - T_max) % (2 * T_max)` is
    /// not, so the special case after a minimum misses it. That happens when an odd multiple
    /// of a fractional `T_max` rounds onto a whole step (`T_max=100/3` at step 101), and
    /// torch raises `ZeroDivisionError` there.
    fn first_zero_division(&self, evaluated: u64) -> Option<u64> {
        let t_max = self.t_max;
        // A whole T_max puts its odd multiples on whole steps, where `%` is exactly 0, and
        // keeps every other step at least pi / T_max from them, far more than the cosine
        // needs to round to -1 (below 1e8); skipping the scan keeps the common case free.
        if t_max == 0.0 || !t_max.is_finite() || (t_max.fract() == 0.0 && t_max.abs() < 1e8) {
            return None;
        }
        let divides_by_zero = |previous: u64| {
            let previous = previous as f64;
            (previous - t_max) % (2.0 * t_max) != 0.0 && 1.0 + (PI * previous / t_max).cos() == 0.0
        };
        // `1 + cos(x)` rounds to 0 only within about 1.5e-8 of an odd multiple of pi, so
        // `previous / T_max` must be within 5e-9 of an odd integer m: only the whole steps
        // near `m * |T_max|` are candidates, a handful per half-period instead of a cosine
        // for every step.
        let period = t_max.abs();
        if period < 4.0 {
            // Odd multiples closer than the windows around them: every step is a
            // candidate, and a plain scan is the cheaper walk.
            return (1..evaluated).find(|&step| divides_by_zero(step - 1));
        }
        let window = (5e-9 * period).ceil() + 1.0;
        if evaluated < 2 {
            return None;
        }
        // Steps `1 .. evaluated` look back at `previous = step - 1`.
        let last = (evaluated - 2) as f64;
        let mut checked_up_to = None::<u64>;
        let mut m = 1.0f64;
        while m * period - window <= last {
            let centre = m * period;
            let low = (centre - window).max(0.0).ceil() as u64;
            let high = (centre + window).min(last).floor() as u64;
            let low = checked_up_to.map_or(low, |c| low.max(c + 1));
            if let Some(previous) = (low..=high).find(|&p| divides_by_zero(p)) {
                return Some(previous + 1);
            }
            if high >= low {
                checked_up_to = Some(high);
            }
            m += 2.0;
        }
        None
    }
}

fn build_cosine_annealing_lr(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let t_max = params.float("T_max")?;
    let eta_min = params.float("eta_min")?;
    let start = Start::of(ctx);
    let failure = (t_max == 0.0).then(|| Raise {
        step: match start {
            Start::Fresh => 1,
            Start::ClosedForm => 0,
        },
        what: "ZeroDivisionError (T_max=0)".into(),
        fix: "use a T_max other than 0".into(),
    });
    let first = match start {
        Start::Fresh => ctx.base_lr,
        // `eta_min + (base_lr - eta_min) * (1 + cos(pi * 0 / T_max)) / 2`: with eta_min != 0
        // this can be an ulp away from base_lr, and the recursion carries it on.
        Start::ClosedForm => {
            eta_min + (ctx.base_lr - eta_min) * (1.0 + (PI * 0.0 / t_max).cos()) / 2.0
        }
    };
    let recurrence = CosineAnnealingLr {
        t_max,
        eta_min,
        base_lr: ctx.base_lr,
    };
    // Only the evaluated steps are scanned, as torch fails only if the run gets there; one
    // cosine a step, for a fractional T_max only, costs less than evaluating them.
    let failure = failure.or_else(|| {
        let evaluated = ctx.steps.saturating_sub(ctx.warmup);
        recurrence.first_zero_division(evaluated).map(|step| Raise {
            step,
            what: format!(
                "ZeroDivisionError (1 + cos(pi * {} / T_max) is 0.0 with T_max={})",
                step - 1,
                py_repr(t_max)
            ),
            fix: "round T_max (a whole T_max never divides by zero)".into(),
        })
    });
    Chainable::boxed("CosineAnnealingLR", ctx, recurrence, first, failure)
}

pub(super) const COSINE_ANNEALING_LR: Entry = Entry {
    name: "CosineAnnealingLR",
    library: Library::Torch,
    upstream: "torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max, eta_min=0.0)",
    summary: "cosine annealing from base_lr to eta_min over T_max steps",
    formula: "lr_0 = base_lr; lr_k = lr_(k-1) + (base_lr - eta_min) * (1 - cos(pi / T_max)) \
              / 2 if (k - 1 - T_max) % (2 * T_max) == 0, else (1 + cos(pi * k / T_max)) / (1 \
              + cos(pi * (k - 1) / T_max)) * (lr_(k-1) - eta_min) + eta_min (torch's \
              recursion, replayed); closed form eta_min + (base_lr - eta_min) * (1 + cos(pi * \
              k / T_max)) / 2",
    horizon: "not clamped: past T_max the lr rises again along the cosine, back to base_lr \
              at 2 * T_max (period 2 * T_max)",
    params: &[
        ParamSpec {
            name: "T_max",
            kind: ParamKind::Float,
            default: ParamDefault::Required,
            doc: "steps from base_lr down to eta_min (half the period; non-integers work)",
        },
        ETA_MIN,
    ],
    takes_warmup: true,
    build: build_cosine_annealing_lr,
};

#[cfg(test)]
mod tests {
    use super::*;

    /// The search near odd multiples of T_max finds what a scan of every step finds.
    #[test]
    fn zero_division_search_matches_a_full_scan() {
        let scan = |r: &CosineAnnealingLr, evaluated: u64| {
            (1..evaluated).find(|&step| {
                let previous = (step - 1) as f64;
                (previous - r.t_max) % (2.0 * r.t_max) != 0.0
                    && 1.0 + (PI * previous / r.t_max).cos() == 0.0
            })
        };
        let mut found = 0;
        for n in 1..400u32 {
            for d in [2.0, 3.0, 7.0, 9.0, 10.0] {
                for t_max in [f64::from(n) / d, -f64::from(n) / d] {
                    let r = CosineAnnealingLr {
                        t_max,
                        eta_min: 0.0,
                        base_lr: 1.0,
                    };
                    for evaluated in [1, 2, 50, 3000] {
                        let want = if t_max.fract() == 0.0 {
                            None
                        } else {
                            scan(&r, evaluated)
                        };
                        assert_eq!(
                            r.first_zero_division(evaluated),
                            want,
                            "T_max={t_max}, {evaluated} steps"
                        );
                        found += usize::from(want.is_some());
                    }
                }
            }
        }
        assert!(
            found > 0,
            "the cases include steps where torch divides by zero"
        );
    }
    /// A tiny T_max (found by fuzzing: `T_max=0.0001`, 49800 steps, which used to walk
    /// 2.5e8 half-periods) is searched by a plain scan of the steps.
    #[test]
    fn tiny_t_max_is_a_plain_scan() {
        let r = CosineAnnealingLr {
            t_max: 0.0001,
            eta_min: 0.0,
            base_lr: 1.0,
        };
        let scan = (1..49_800u64).find(|&step| {
            let previous = (step - 1) as f64;
            (previous - r.t_max) % (2.0 * r.t_max) != 0.0
                && 1.0 + (PI * previous / r.t_max).cos() == 0.0
        });
        assert_eq!(r.first_zero_division(49_800), scan);
    }
}
