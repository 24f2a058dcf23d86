//! The training demo: `nn.Linear(n, 1)` fitted with `MSELoss` and SGD, Adam or AdamW while a
//! schedule sets the learning rate (and, for `CyclicLR` and `OneCycleLR`, the momentum), in
//! `f32` arithmetic that reproduces PyTorch's losses.
//!
//! Each step does what the PyTorch loop does:
//!
//! ```python
//! for step in range(steps):
//!     loss = criterion(model(inputs), targets)   # the row's loss
//!     optimizer.zero_grad(); loss.backward()
//!     optimizer.step()                           # uses the row's lr
//!     scheduler.step()                           # the lr of the next row
//! ```
//!
//! [`Training`] runs it one step at a time, yielding a [`Row`] per step, and stops with a
//! [`Diverged`] when the loss or the weights stop being finite.
//!
//! ```
//! use lrsched::description::Partial;
//! use lrsched::train::{Dataset, Linear, Optimizer, Training};
//!
//! let description = Partial { warmup: Some(5), steps: Some(10), ..Partial::default() }.resolve()?;
//! let data = Dataset::torch_seed0()?;
//! let mut training = Training::new(&data, Linear::torch_seed0()?, Optimizer::Sgd, description.schedule(), 10)?;
//! for row in &mut training {
//!     let row = row?;
//!     println!("{:4} | {:.4} | {:.4}", row.step, row.lr, row.loss);
//! }
//! println!("bias {}", training.model().bias);
//! # Ok::<(), lrsched::Error>(())
//! ```

pub mod data;
pub mod model;
pub mod optim;
pub mod report;

use std::fmt;

pub use data::{DataSource, Dataset, Seeded};
pub use model::{Gradients, InitSource, Linear};
pub use optim::{Optimizer, Settings};

use crate::description::{DEFAULT_SCHEDULE, Partial};
use crate::error::{Error, Result};
use crate::format::py_repr;
use crate::schedule::registry::{self, Library};
use crate::schedule::{Point, Schedule};

use optim::State;

/// The demo's number of steps (`lrsched train`'s default `--steps`).
pub const DEMO_STEPS: u64 = 10;
/// The demo's warmup (`lrsched train`'s default `--warmup`).
pub const DEMO_WARMUP: u64 = 5;
/// The demo's number of samples.
pub const DEMO_SAMPLES: usize = 10;
/// The demo's number of features (`nn.Linear(10, 1)`).
pub const DEMO_FEATURES: usize = 10;

/// `partial` with the demo's steps and warmup where it gives none, so that no flags at
/// all describe the demo's run. A built-in that takes no warmup (`constant`) keeps none, and
/// neither does one of a library whose `--warmup` is its own warmup parameter (timm's
/// `warmup_t`): that parameter's default is the library's.
pub fn demo_defaults(mut partial: Partial) -> Partial {
    partial.steps = partial.steps.or(Some(DEMO_STEPS));
    if partial.warmup.is_none() {
        let takes_warmup = partial.expr.is_some()
            || registry::find(partial.schedule.as_deref().unwrap_or(DEFAULT_SCHEDULE)).map_or(
                true,
                |entry| {
                    entry.takes_warmup
                        && matches!(entry.library, Library::Transformers | Library::Torch)
                },
            );
        if takes_warmup {
            partial.warmup = Some(DEMO_WARMUP);
        }
    }
    partial
}

/// One training step.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Row {
    /// The step, counting from 0.
    pub step: u64,
    /// The learning rate this step's update used (the schedule at `step`).
    pub lr: f64,
    /// The learning rate after `scheduler.step()`, which the PyTorch loop prints: the
    /// schedule at `step + 1`. `None` where the schedule is not defined there
    /// (`OneCycleLR` past `total_steps`, where torch raises).
    pub next_lr: Option<f64>,
    /// The loss of this step's forward pass, before its update.
    pub loss: f32,
}

/// Why a run stopped early: the loss or the parameters stopped being finite.
#[derive(Clone, Debug, PartialEq)]
pub struct Diverged {
    /// The step at which it was noticed.
    pub step: u64,
    /// That step's learning rate.
    pub lr: f64,
    /// What stopped being finite.
    pub what: Divergence,
}

/// What stopped being finite.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Divergence {
    /// The step's loss (computed before its update) is this non-finite value.
    Loss(f32),
    /// The step's update left a weight or the bias non-finite.
    Parameters,
}

impl fmt::Display for Diverged {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "training diverged at step {} (lr {}): ",
            self.step,
            py_repr(self.lr)
        )?;
        match self.what {
            Divergence::Loss(loss) => write!(f, "the loss is {}", py_repr(f64::from(loss))),
            Divergence::Parameters => write!(f, "its update left the weights non-finite"),
        }
    }
}

impl std::error::Error for Diverged {}

impl From<Diverged> for Error {
    fn from(d: Diverged) -> Self {
        Error::Failed(d.to_string())
    }
}

/// A training run in progress: an iterator of rows, one per step, that ends after `steps`
/// rows or with one `Err(Diverged)`.
pub struct Training<'a> {
    data: &'a Dataset,
    model: Linear,
    state: State,
    grads: Gradients,
    schedule: &'a dyn Schedule,
    points: Box<dyn Iterator<Item = Point> + Send + 'a>,
    /// The schedule's point for the step about to run (looked ahead for `next_lr`).
    current: Option<Point>,
    last_defined: Option<u64>,
    step: u64,
    steps: u64,
    pending: Option<Diverged>,
    stopped: bool,
}

impl<'a> Training<'a> {
    /// A run of `steps` steps from `model` over `data`, with `optimizer` (an [`Optimizer`]
    /// with torch's defaults, or [`Settings`]). The error is [`Error::Input`] when the model's
    /// weights do not match the data's features.
    pub fn new(
        data: &'a Dataset,
        model: Linear,
        optimizer: impl Into<Settings>,
        schedule: &'a dyn Schedule,
        steps: u64,
    ) -> Result<Self> {
        if model.features() != data.features() {
            return Err(Error::input(format!(
                "the model has {} weights, but the data has {} features",
                model.features(),
                data.features()
            )));
        }
        let mut points = schedule.points(0);
        let current = points.next();
        Ok(Training {
            data,
            state: State::new(optimizer.into(), model.features()),
            schedule,
            grads: Gradients::default(),
            model,
            points,
            current,
            last_defined: schedule.last_defined_step(),
            step: 0,
            steps,
            pending: None,
            stopped: false,
        })
    }

    /// The parameters now: the initial ones before the first row, the trained ones after
    /// the last.
    pub fn model(&self) -> &Linear {
        &self.model
    }

    /// Takes the parameters out.
    pub fn into_model(self) -> Linear {
        self.model
    }
}

impl Iterator for Training<'_> {
    type Item = std::result::Result<Row, Diverged>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(diverged) = self.pending.take() {
            self.stopped = true;
            return Some(Err(diverged));
        }
        if self.stopped || self.step >= self.steps {
            return None;
        }
        let step = self.step;
        let point = self.current.take()?;
        let lr = point.lr;
        let loss = self.model.loss_and_gradients(self.data, &mut self.grads);
        if !loss.is_finite() {
            self.stopped = true;
            return Some(Err(Diverged {
                step,
                lr,
                what: Divergence::Loss(loss),
            }));
        }
        let momentum = self.schedule.momentum(step);
        self.state.step(&mut self.model, &self.grads, lr, momentum);
        if !self.model.is_finite() {
            self.pending = Some(Diverged {
                step,
                lr,
                what: Divergence::Parameters,
            });
        }
        self.current = if self.last_defined.is_some_and(|last| step >= last) {
            None
        } else {
            self.points.next()
        };
        self.step += 1;
        Some(Ok(Row {
            step,
            lr,
            next_lr: self.current.map(|p| p.lr),
            loss,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::description::Partial;

    fn warmup(steps: u64, warmup: u64, base_lr: f64) -> std::sync::Arc<dyn Schedule> {
        Partial {
            steps: Some(steps),
            warmup: Some(warmup),
            base_lr: Some(base_lr),
            ..Partial::default()
        }
        .resolve()
        .map(crate::Description::into_schedule)
        .unwrap()
    }

    #[test]
    fn rows_carry_the_used_and_the_next_lr() -> Result<()> {
        let schedule = warmup(10, 5, 0.1);
        let data = Dataset::torch_seed0()?;
        let rows: Vec<Row> = Training::new(
            &data,
            Linear::torch_seed0()?,
            Optimizer::Sgd,
            schedule.as_ref(),
            10,
        )?
        .collect::<std::result::Result<_, _>>()?;
        assert_eq!(rows.len(), 10);
        assert_eq!(rows[0].lr, 0.0);
        assert_eq!(rows[0].next_lr, Some(0.1 * (1.0 / 5.0)));
        assert_eq!(rows[1].lr, rows[0].next_lr.unwrap());
        // lr 0 at step 0 leaves SGD's weights alone: the same loss twice.
        assert_eq!(rows[0].loss, rows[1].loss);
        assert!(rows[9].loss < rows[0].loss);
        Ok(())
    }

    #[test]
    fn a_huge_lr_diverges_with_the_step_and_lr() -> Result<()> {
        let schedule = warmup(10, 5, 1e30);
        let data = Dataset::torch_seed0()?;
        let mut training = Training::new(
            &data,
            Linear::torch_seed0()?,
            Optimizer::Sgd,
            schedule.as_ref(),
            10,
        )?;
        let rows: Vec<_> = training.by_ref().collect();
        let Some(Err(diverged)) = rows.last() else {
            panic!("no divergence: {rows:?}")
        };
        assert_eq!(rows.len() as u64, diverged.step + 1);
        assert!(rows[..rows.len() - 1].iter().all(|r| r.is_ok()));
        assert_eq!(diverged.lr, 1e30 * (diverged.step as f64 / 5.0));
        assert!(
            diverged
                .to_string()
                .starts_with(&format!("training diverged at step {} (lr ", diverged.step)),
            "{diverged}"
        );
        assert!(training.next().is_none());
        Ok(())
    }

    /// A schedule that, like `OneCycleLR`, is defined up to a last step only.
    #[derive(Debug)]
    struct Ends(u64);

    impl Schedule for Ends {
        fn at(&self, step: u64) -> Point {
            Point::from_lr(step, 0.01, 0.01)
        }

        fn last_defined_step(&self) -> Option<u64> {
            Some(self.0)
        }
    }

    #[test]
    fn no_next_lr_past_the_schedules_last_step() -> Result<()> {
        let data = Dataset::torch_seed0()?;
        let rows: Vec<Row> =
            Training::new(&data, Linear::torch_seed0()?, Optimizer::Adam, &Ends(2), 3)?
                .collect::<std::result::Result<_, _>>()?;
        let next: Vec<Option<f64>> = rows.iter().map(|r| r.next_lr).collect();
        assert_eq!(next, vec![Some(0.01), Some(0.01), None]);
        Ok(())
    }

    #[test]
    fn demo_defaults_fill_only_what_is_missing() {
        let given = |partial: Partial| {
            let p = demo_defaults(partial);
            (p.steps, p.warmup)
        };
        assert_eq!(given(Partial::default()), (Some(10), Some(5)));
        assert_eq!(
            given(Partial {
                steps: Some(50),
                warmup: Some(0),
                ..Partial::default()
            }),
            (Some(50), Some(0))
        );
        assert_eq!(
            given(Partial {
                schedule: Some("constant".into()),
                ..Partial::default()
            }),
            (Some(10), None)
        );
        assert_eq!(
            given(Partial {
                expr: Some("1".into()),
                ..Partial::default()
            }),
            (Some(10), Some(5))
        );
    }

    #[test]
    fn weights_must_match_the_features() -> Result<()> {
        let schedule = warmup(10, 5, 0.1);
        let data = Dataset::torch_seed0()?;
        let model = Linear {
            weight: vec![0.0; 3],
            bias: 0.0,
        };
        assert!(Training::new(&data, model, Optimizer::Sgd, schedule.as_ref(), 10).is_err());
        Ok(())
    }
}
