//! The warnings of `check`: what is legal but usually a mistake.

use std::fmt;

use crate::format::py_repr;

/// Something that is legal but usually a mistake. Each is checked over the evaluated steps
/// `0 .. steps` only.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Warning {
    /// The lr at step 0 is 0, so the first optimizer step changes nothing: a linear warmup
    /// starts at 0 in transformers and in torch's `LambdaLR` example.
    ZeroFirstLr,
    /// At `step`, at or past the schedule's [`Schedule::horizon`](crate::Schedule::horizon), the lr rises above the
    /// previous step's: a cosine evaluated past its `T_max` comes back up.
    RisesPastHorizon {
        /// The horizon.
        horizon: u64,
        /// The first step at or past the horizon whose lr is above the previous step's.
        step: u64,
        /// The lr at `step - 1`.
        from: f64,
        /// The lr at `step`.
        to: f64,
    },
    /// With `--warmup W`, the change from step `W - 1` to step `W`, where the warmup hands
    /// over to the schedule, is larger than both one warmup step (`base_lr / W`) and every
    /// step-to-step change of the schedule after it: torch's `CyclicLR` and `OneCycleLR`
    /// start at their own absolute lr, whatever the warmup reached.
    WarmupJump {
        /// `W`.
        step: u64,
        /// The lr at `W - 1`.
        from: f64,
        /// The lr at `W`.
        to: f64,
        /// The larger of one warmup step and the largest later change.
        expected: f64,
    },
    /// Steps `step ..` lie past the last step the home library defines
    /// ([`Schedule::last_defined_step`](crate::Schedule::last_defined_step)): torch's `OneCycleLR` raises there.
    PastDefinedEnd {
        /// The first step past the end.
        step: u64,
        /// The last defined step.
        last: u64,
    },
}

impl Warning {
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Warning::ZeroFirstLr => "zero_first_lr",
            Warning::RisesPastHorizon { .. } => "rises_past_horizon",
            Warning::WarmupJump { .. } => "warmup_jump",
            Warning::PastDefinedEnd { .. } => "past_defined_end",
        }
    }

    pub(super) fn step(&self) -> u64 {
        match *self {
            Warning::ZeroFirstLr => 0,
            Warning::RisesPastHorizon { step, .. }
            | Warning::WarmupJump { step, .. }
            | Warning::PastDefinedEnd { step, .. } => step,
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Warning::ZeroFirstLr => f.write_str(
                "the lr at step 0 is 0.0, so the first optimizer step changes nothing \
                 (a linear warmup starts at 0)",
            ),
            Warning::RisesPastHorizon {
                horizon,
                step,
                from,
                to,
            } => write!(
                f,
                "the lr rises again past the schedule's horizon at step {horizon}: \
                 {} at step {} -> {} at step {step}",
                py_repr(from),
                step - 1,
                py_repr(to)
            ),
            Warning::WarmupJump {
                step,
                from,
                to,
                expected,
            } => write!(
                f,
                "the lr jumps from {} at step {} to {} at step {step}, where the warmup \
                 hands over; no other step changes it by more than {}",
                py_repr(from),
                step - 1,
                py_repr(to),
                py_repr(expected)
            ),
            Warning::PastDefinedEnd { step, last } => write!(
                f,
                "steps {step} and later are past the schedule's last defined step {last}; \
                 its home library raises an error there"
            ),
        }
    }
}
