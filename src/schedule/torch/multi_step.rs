//! `MultiStepLR`: the lr decays by `gamma` at each milestone, counted as torch's `Counter`
//! counts them.

use std::collections::BTreeMap;

use super::chainable::{Chainable, Recurrence};
use super::{DECAY_GAMMA, Start};
use crate::error::Result;
use crate::schedule::params::{ParamDefault, ParamKind, ParamSpec, Params};
use crate::schedule::registry::{Entry, Library};
use crate::schedule::{Context, Schedule};

/// `MultiStepLR(optimizer, milestones, gamma=0.1)`.
///
/// torch keeps the milestones as a `Counter`: at step `k` (including step 0) that appears
/// `c` times among them, `lr_k = lr_(k-1) * gamma ** c`; other steps keep the lr. So repeated
/// milestones decay once per repeat, unsorted ones work, negative ones never apply (except
/// in the closed form used behind a warmup, which counts every milestone `<= 0`).
#[derive(Debug)]
struct MultiStepLr {
    gamma: f64,
    /// The milestones `>= 1` with their multiplicity, in order.
    counts: Vec<(u64, u32)>,
}

impl MultiStepLr {
    #[inline]
    fn decay(&self, lr: f64, count: u32) -> f64 {
        lr * self.gamma.powf(f64::from(count))
    }
}

impl Recurrence for MultiStepLr {
    #[inline]
    fn next(&self, lr: f64, step: u64) -> f64 {
        match self.counts.binary_search_by_key(&step, |&(m, _)| m) {
            Ok(i) => self.decay(lr, self.counts[i].1),
            Err(_) => lr,
        }
    }

    /// The decays of the milestones in `from + 1 ..= to`, in order.
    fn advance(&self, lr: f64, from: u64, to: u64) -> f64 {
        let start = self.counts.partition_point(|&(m, _)| m <= from);
        self.counts[start..]
            .iter()
            .take_while(|&&(m, _)| m <= to)
            .fold(lr, |lr, &(_, count)| self.decay(lr, count))
    }
}

fn build_multi_step_lr(ctx: &Context, params: &Params) -> Result<Box<dyn Schedule>> {
    let milestones = params.int_list("milestones")?;
    let gamma = params.float("gamma")?;
    let mut counter: BTreeMap<i64, u32> = BTreeMap::new();
    for &m in milestones {
        *counter.entry(m).or_default() += 1;
    }
    let counts: Vec<(u64, u32)> = counter
        .iter()
        .filter_map(|(&m, &c)| u64::try_from(m).ok().filter(|&m| m >= 1).map(|m| (m, c)))
        .collect();
    let recurrence = MultiStepLr { gamma, counts };
    let first = match Start::of(ctx) {
        // `get_lr()` at step 0 decays only if 0 is a milestone.
        Start::Fresh => match counter.get(&0) {
            Some(&c) => recurrence.decay(ctx.base_lr, c),
            None => ctx.base_lr,
        },
        // `base_lr * gamma ** bisect_right(sorted(milestones), 0)`.
        Start::ClosedForm => {
            let at_or_below_zero: u32 = counter.range(..=0).map(|(_, &c)| c).sum();
            recurrence.decay(ctx.base_lr, at_or_below_zero)
        }
    };
    Chainable::boxed("MultiStepLR", ctx, recurrence, first, None)
}

pub(super) const MULTI_STEP_LR: Entry = Entry {
    name: "MultiStepLR",
    library: Library::Torch,
    upstream: "torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones, gamma=0.1)",
    summary: "decays the lr by gamma at each milestone step",
    formula: "lr_0 = base_lr * gamma^c(0); lr_k = lr_(k-1) * gamma^c(k), c(k) = how often k \
              appears in milestones (torch's Counter recursion, replayed); closed form \
              base_lr * gamma^(number of milestones <= k)",
    horizon: "no horizon: constant after the last milestone",
    params: &[
        ParamSpec {
            name: "milestones",
            kind: ParamKind::IntList,
            default: ParamDefault::Required,
            doc: "steps at which the lr decays (repeats decay once per repeat; order free)",
        },
        DECAY_GAMMA,
    ],
    takes_warmup: true,
    build: build_multi_step_lr,
};
