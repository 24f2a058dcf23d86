//! DeepSpeed's cyclic policies: `OneCycle` and `LRRangeTest`, evaluated at the batch index
//! (not shifted like the warmup family).

use super::{Iteration, LAST_BATCH_ITERATION, Start, positive_int, rejected};
use crate::error::Result;
use crate::format::py_repr;
use crate::schedule::params::{ParamDefault, ParamKind, ParamSpec, Params};
use crate::schedule::registry::{Entry, Library};
use crate::schedule::{Context, Point, Schedule};

/// Python's float `%`: C `fmod`, moved into the divisor's sign.
#[inline]
fn py_mod(a: f64, b: f64) -> f64 {
    let m = a % b;
    if m != 0.0 {
        if (b < 0.0) != (m < 0.0) { m + b } else { m }
    } else {
        0.0f64.copysign(b)
    }
}

/// `OneCycle(optimizer, cycle_min_lr, cycle_max_lr, decay_lr_rate=0.0,
/// cycle_first_step_size=2000, cycle_second_step_size=None, cycle_first_stair_count=0,
/// cycle_second_stair_count=None, decay_step_size=0, cycle_momentum=True, cycle_min_mom=0.8,
/// cycle_max_mom=0.9, decay_mom_rate=0.0)`.
///
/// At batch `b` while `b - 1 < total` (`total = first + second`, both as floats): `cycle =
/// floor(1 + b / total)`, `x = 1 + b / total - cycle`, `s = x / r` if `x <= r` else `(x - 1)
/// / (r - 1)` with `r = first / total`; with a stair count `n > 0` for that half, `s =
/// floor(p) / n`, `p = c * n / first` if `c <= first` else `(total - c) * n / second`, `c =
/// b % total`; `lr = cycle_min_lr + (cycle_max_lr - cycle_min_lr) * s`. After the cycle, `lr
/// = cycle_min_lr / (1 + decay_lr_rate * ((b - 1 - total + 1) / decay_step_size))`, or
/// `cycle_min_lr` when either is 0 (`math.isclose(x, 0)`). Absolute: `--base-lr` only
/// enters the multiplier column; the momentum arguments never change the lr.
#[derive(Debug)]
struct OneCycle {
    min_lr: f64,
    max_lr: f64,
    first_step_size: f64,
    second_step_size: f64,
    total_size: f64,
    step_ratio: f64,
    first_stair_count: f64,
    second_stair_count: f64,
    decay_step_size: f64,
    decay_lr_rate: f64,
    skip_lr_decay: bool,
    start: Start,
    optimizer_lr: f64,
}

impl OneCycle {
    fn scale_factor(&self, batch_iteration: f64) -> f64 {
        let cycle = (1.0 + batch_iteration / self.total_size).floor();
        let x = 1.0 + batch_iteration / self.total_size - cycle;
        let (scale_factor, stair_count) = if x <= self.step_ratio {
            (x / self.step_ratio, self.first_stair_count)
        } else {
            ((x - 1.0) / (self.step_ratio - 1.0), self.second_stair_count)
        };
        if stair_count > 0.0 {
            let cycle_iteration = py_mod(batch_iteration, self.total_size);
            let stair_position = if cycle_iteration <= self.first_step_size {
                cycle_iteration * stair_count / self.first_step_size
            } else {
                (self.total_size - cycle_iteration) * stair_count / self.second_step_size
            };
            return stair_position.floor() / stair_count;
        }
        scale_factor
    }
}

impl Schedule for OneCycle {
    #[inline]
    fn at(&self, step: u64) -> Point {
        let lr = match self.start.iteration(step) {
            Iteration::Optimizer => self.optimizer_lr,
            // The constructor sets `cycle_min_lr`.
            Iteration::Constructor => self.min_lr,
            Iteration::At(last) if last < self.total_size => {
                let base_height = (self.max_lr - self.min_lr) * self.scale_factor(last + 1.0);
                self.min_lr + base_height
            }
            Iteration::At(_) if self.skip_lr_decay => self.min_lr,
            Iteration::At(last) => {
                let decay_batch_iteration = last - self.total_size + 1.0;
                let decay_interval = decay_batch_iteration / self.decay_step_size;
                self.min_lr / (1.0 + self.decay_lr_rate * decay_interval)
            }
        };
        Point::from_lr(step, lr, self.optimizer_lr)
    }

    fn absolute(&self) -> bool {
        self.start.sets_every_lr()
    }
}

fn build_one_cycle(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    const CLASS: &str = "OneCycle";
    let first = params.float("cycle_first_step_size")?;
    let second = params.opt_float("cycle_second_step_size")?.unwrap_or(first);
    if first <= 0.0 {
        return Err(rejected(
            CLASS,
            "cycle_first_step_size",
            py_repr(first),
            &format!(
                "cycle_first_step_size must be positive, got {}",
                py_repr(first)
            ),
        ));
    }
    if second < 0.0 {
        return Err(rejected(
            CLASS,
            "cycle_second_step_size",
            py_repr(second),
            &format!(
                "cycle_second_step_size must be non-negative, got {}",
                py_repr(second)
            ),
        ));
    }
    let first_stair_count = params.float("cycle_first_stair_count")?;
    let total_size = first + second;
    let decay_step_size = params.float("decay_step_size")?;
    let decay_lr_rate = params.float("decay_lr_rate")?;
    // Accepted as DeepSpeed accepts them; none of them changes the lr.
    params.bool("cycle_momentum")?;
    params.float("cycle_min_mom")?;
    params.float("cycle_max_mom")?;
    params.float("decay_mom_rate")?;
    Ok(Box::new(OneCycle {
        min_lr: params.float("cycle_min_lr")?,
        max_lr: params.float("cycle_max_lr")?,
        first_step_size: first,
        second_step_size: second,
        total_size,
        step_ratio: first / total_size,
        first_stair_count,
        second_stair_count: params
            .opt_float("cycle_second_stair_count")?
            .unwrap_or(first_stair_count),
        decay_step_size,
        decay_lr_rate,
        // `math.isclose(x, 0)` with the default tolerances holds only for 0 itself.
        skip_lr_decay: decay_step_size == 0.0 || decay_lr_rate == 0.0,
        start: Start::of(params)?,
        optimizer_lr: ctx.base_lr,
    }))
}

/// `LRRangeTest(optimizer, lr_range_test_min_lr=0.001, lr_range_test_step_size=2000,
/// lr_range_test_step_rate=1.0, lr_range_test_staircase=False)`.
///
/// `lr[k] = lr_range_test_min_lr * (1 + lr_range_test_step_rate * i)` with `i = k /
/// step_size`, or `floor(k / step_size)` with the staircase; `lr[0]` is
/// `lr_range_test_min_lr`, which the constructor sets. Absolute: `--base-lr` only enters the
/// multiplier column.
#[derive(Debug)]
struct LrRangeTest {
    min_lr: f64,
    step_size: f64,
    step_rate: f64,
    staircase: bool,
    start: Start,
    optimizer_lr: f64,
}

impl Schedule for LrRangeTest {
    #[inline]
    fn at(&self, step: u64) -> Point {
        let lr = match self.start.iteration(step) {
            Iteration::Optimizer => self.optimizer_lr,
            // The constructor sets `lr_range_test_min_lr`.
            Iteration::Constructor => self.min_lr,
            Iteration::At(last) => self.lr(last),
        };
        Point::from_lr(step, lr, self.optimizer_lr)
    }

    fn absolute(&self) -> bool {
        self.start.sets_every_lr()
    }
}

impl LrRangeTest {
    #[inline]
    fn lr(&self, last_batch_iteration: f64) -> f64 {
        let interval = (last_batch_iteration + 1.0) / self.step_size;
        let interval = if self.staircase {
            interval.floor()
        } else {
            interval
        };
        self.min_lr * (1.0 + self.step_rate * interval)
    }
}

fn build_lr_range_test(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let step_size = positive_int(
        "LRRangeTest",
        "lr_range_test_step_size",
        params.value("lr_range_test_step_size"),
    )?;
    Ok(Box::new(LrRangeTest {
        min_lr: params.float("lr_range_test_min_lr")?,
        step_size: step_size as f64,
        step_rate: params.float("lr_range_test_step_rate")?,
        staircase: params.bool("lr_range_test_staircase")?,
        start: Start::of(params)?,
        optimizer_lr: ctx.base_lr,
    }))
}

pub(super) const LR_RANGE_TEST: Entry = Entry {
    name: "LRRangeTest",
    library: Library::DeepSpeed,
    upstream: "deepspeed.runtime.lr_schedules.LRRangeTest(optimizer, \
               lr_range_test_min_lr=0.001, lr_range_test_step_size=2000, \
               lr_range_test_step_rate=1.0, lr_range_test_staircase=False, \
               last_batch_iteration=-1)",
    summary: "raises the lr linearly (or in stairs) from lr_range_test_min_lr, for an lr \
              range test (absolute)",
    formula: "lr = lr_range_test_min_lr * (1 + lr_range_test_step_rate * i), i = k / \
              lr_range_test_step_size, floor(k / lr_range_test_step_size) with the staircase",
    horizon: "no horizon: it grows for ever; --steps is only the steps evaluated",
    params: &[
        ParamSpec {
            name: "lr_range_test_min_lr",
            kind: ParamKind::Float,
            default: ParamDefault::Float(0.001),
            doc: "lr at step 0 (absolute)",
        },
        ParamSpec {
            name: "lr_range_test_step_size",
            kind: ParamKind::Number,
            default: ParamDefault::Int(2000),
            doc: "steps per unit of increase: a positive int (DeepSpeed rejects 0, \
                  negatives and floats)",
        },
        ParamSpec {
            name: "lr_range_test_step_rate",
            kind: ParamKind::Float,
            default: ParamDefault::Float(1.0),
            doc: "increase of the multiplier per lr_range_test_step_size steps",
        },
        ParamSpec {
            name: "lr_range_test_staircase",
            kind: ParamKind::Bool,
            default: ParamDefault::Bool(false),
            doc: "increase in stairs every lr_range_test_step_size steps",
        },
        LAST_BATCH_ITERATION,
    ],
    takes_warmup: false,
    build: build_lr_range_test,
};

pub(super) const ONE_CYCLE: Entry = Entry {
    name: "OneCycle",
    library: Library::DeepSpeed,
    upstream: "deepspeed.runtime.lr_schedules.OneCycle(optimizer, cycle_min_lr, cycle_max_lr, \
               decay_lr_rate=0.0, cycle_first_step_size=2000, cycle_second_step_size=None, \
               cycle_first_stair_count=0, cycle_second_stair_count=None, decay_step_size=0, \
               cycle_momentum=True, cycle_min_mom=0.8, cycle_max_mom=0.9, decay_mom_rate=0.0, \
               last_batch_iteration=-1)",
    summary: "one triangular cycle cycle_min_lr -> cycle_max_lr -> cycle_min_lr, then an \
              inverse-time decay (absolute)",
    formula: "total = first + second, r = first / total, b = k; while b <= total: cycle = \
              floor(1 + b / total), x = 1 + b / total - cycle, s = x / r if x <= r else (x - \
              1) / (r - 1) (stairs: floor(p) / n), lr = cycle_min_lr + (cycle_max_lr - \
              cycle_min_lr) * s; then lr = cycle_min_lr / (1 + decay_lr_rate * (k - total) / \
              decay_step_size)",
    horizon: "after cycle_first_step_size + cycle_second_step_size the decay continues for \
              ever (cycle_min_lr held when decay_lr_rate or decay_step_size is 0); --steps \
              is only the steps evaluated; no warmup parameter (the first half-cycle is the \
              ramp)",
    params: &[
        ParamSpec {
            name: "cycle_min_lr",
            kind: ParamKind::Float,
            default: ParamDefault::Required,
            doc: "lower lr bound of the cycle, and the lr the decay starts from (absolute)",
        },
        ParamSpec {
            name: "cycle_max_lr",
            kind: ParamKind::Float,
            default: ParamDefault::Required,
            doc: "upper lr bound of the cycle (absolute)",
        },
        ParamSpec {
            name: "decay_lr_rate",
            kind: ParamKind::Float,
            default: ParamDefault::Float(0.0),
            doc: "rate of the inverse-time decay after the cycle",
        },
        ParamSpec {
            name: "cycle_first_step_size",
            kind: ParamKind::Float,
            default: ParamDefault::Float(2000.0),
            doc: "steps of the increasing half (DeepSpeed takes it as a float; must be \
                  positive)",
        },
        ParamSpec {
            name: "cycle_second_step_size",
            kind: ParamKind::Float,
            default: ParamDefault::Absent,
            doc: "steps of the decreasing half (None: cycle_first_step_size; must not be \
                  negative)",
        },
        ParamSpec {
            name: "cycle_first_stair_count",
            kind: ParamKind::Float,
            default: ParamDefault::Float(0.0),
            doc: "stairs in the increasing half (0: continuous)",
        },
        ParamSpec {
            name: "cycle_second_stair_count",
            kind: ParamKind::Float,
            default: ParamDefault::Absent,
            doc: "stairs in the decreasing half (None: cycle_first_stair_count)",
        },
        ParamSpec {
            name: "decay_step_size",
            kind: ParamKind::Float,
            default: ParamDefault::Float(0.0),
            doc: "steps per unit of decay after the cycle (0: no decay)",
        },
        ParamSpec {
            name: "cycle_momentum",
            kind: ParamKind::Bool,
            default: ParamDefault::Bool(true),
            doc: "cycles the optimizer's betas; does not change the lr",
        },
        ParamSpec {
            name: "cycle_min_mom",
            kind: ParamKind::Float,
            default: ParamDefault::Float(0.8),
            doc: "lower momentum bound; does not change the lr",
        },
        ParamSpec {
            name: "cycle_max_mom",
            kind: ParamKind::Float,
            default: ParamDefault::Float(0.9),
            doc: "upper momentum bound; does not change the lr",
        },
        ParamSpec {
            name: "decay_mom_rate",
            kind: ParamKind::Float,
            default: ParamDefault::Float(0.0),
            doc: "momentum decay rate; does not change the lr",
        },
        LAST_BATCH_ITERATION,
    ],
    takes_warmup: false,
    build: build_one_cycle,
};
