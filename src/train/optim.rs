//! The optimizers, with torch's defaults and torch's `f32` arithmetic: `optim.SGD` (with
//! momentum, dampening 0, nesterov and weight decay), `optim.Adam` and `optim.AdamW` (their
//! single-tensor path, the one torch takes on CPU), and the momentum (`SGD`'s `momentum`,
//! Adam's `betas[0]`) that `CyclicLR` and `OneCycleLR` cycle each step.

use std::fmt;

use super::model::{Gradients, Linear};
use crate::error::{Error, Result};
use crate::format::py_repr;

/// Adam's `betas[0]`, torch's default.
pub const ADAM_BETA1: f64 = 0.9;
/// Adam's `betas[1]`, torch's default.
pub const ADAM_BETA2: f64 = 0.999;
/// Adam's `eps`, torch's default.
pub const ADAM_EPS: f64 = 1e-8;
/// AdamW's `weight_decay`, torch's default (Adam's is 0).
pub const ADAMW_WEIGHT_DECAY: f64 = 0.01;

/// Which optimizer trains the model.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Optimizer {
    /// `optim.SGD(params, lr, momentum=0, dampening=0, weight_decay=0, nesterov=False)`.
    #[default]
    Sgd,
    /// `optim.Adam(params, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0)`: weight decay
    /// added to the gradient, no amsgrad.
    Adam,
    /// `optim.AdamW(params, lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01)`: Adam with
    /// the weight decay applied to the parameters (`param *= 1 - lr * weight_decay`).
    AdamW,
}

impl Optimizer {
    /// The name used on the command line and in JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Optimizer::Sgd => "sgd",
            Optimizer::Adam => "adam",
            Optimizer::AdamW => "adamw",
        }
    }

    /// torch's class name.
    pub fn torch_class(self) -> &'static str {
        match self {
            Optimizer::Sgd => "SGD",
            Optimizer::Adam => "Adam",
            Optimizer::AdamW => "AdamW",
        }
    }
}

impl fmt::Display for Optimizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An optimizer with its constructor arguments, as `optim.SGD(params, lr, momentum=..,
/// nesterov=.., weight_decay=..)` or `optim.Adam[W](params, lr, betas=.., weight_decay=..)`
/// receives them. Built by [`Settings::new`], which refuses what torch's constructor refuses.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// The optimizer.
    pub optimizer: Optimizer,
    /// SGD's `momentum` (0 for Adam and AdamW, which have `betas`).
    pub momentum: f64,
    /// SGD's `nesterov`.
    pub nesterov: bool,
    /// `weight_decay`.
    pub weight_decay: f64,
    /// Adam's and AdamW's `betas`.
    pub betas: (f64, f64),
}

impl From<Optimizer> for Settings {
    /// The optimizer with torch's default arguments.
    fn from(optimizer: Optimizer) -> Self {
        Settings {
            optimizer,
            momentum: 0.0,
            nesterov: false,
            weight_decay: if optimizer == Optimizer::AdamW {
                ADAMW_WEIGHT_DECAY
            } else {
                0.0
            },
            betas: (ADAM_BETA1, ADAM_BETA2),
        }
    }
}

impl Settings {
    /// `optimizer` with the given arguments (`None` takes torch's default), checked as torch's
    /// constructor checks them: the same conditions and the same messages.
    pub fn new(
        optimizer: Optimizer,
        momentum: Option<f64>,
        nesterov: bool,
        weight_decay: Option<f64>,
        betas: Option<(f64, f64)>,
    ) -> Result<Self> {
        let mut settings = Settings::from(optimizer);
        let class = optimizer.torch_class();
        let refuse = |flag: &str, message: String| {
            Err(Error::input(format!(
                "{flag}: torch's optim.{class} raises ValueError: {message}"
            )))
        };
        match optimizer {
            Optimizer::Sgd => {
                if betas.is_some() {
                    return Err(Error::input(
                        "--betas is an argument of Adam and AdamW; optim.SGD takes --momentum",
                    ));
                }
                let momentum = momentum.unwrap_or(0.0);
                // torch's own comparisons, which let NaN through.
                if momentum < 0.0 {
                    return refuse(
                        "--momentum",
                        format!("Invalid momentum value: {}", py_repr(momentum)),
                    );
                }
                if nesterov && momentum <= 0.0 {
                    return refuse(
                        "--nesterov",
                        "Nesterov momentum requires a momentum and zero dampening (give \
                         --momentum above 0)"
                            .into(),
                    );
                }
                settings.momentum = momentum;
                settings.nesterov = nesterov;
            }
            Optimizer::Adam | Optimizer::AdamW => {
                if momentum.is_some() || nesterov {
                    let flag = if nesterov { "--nesterov" } else { "--momentum" };
                    return Err(Error::input(format!(
                        "{flag} is an argument of optim.SGD; optim.{class} takes --betas \
                         BETA1,BETA2 (betas[0] is its momentum)"
                    )));
                }
                if let Some((beta1, beta2)) = betas {
                    for (index, beta) in [(0, beta1), (1, beta2)] {
                        if !(0.0..1.0).contains(&beta) {
                            return refuse(
                                "--betas",
                                format!(
                                    "Invalid beta parameter at index {index}: {}",
                                    py_repr(beta)
                                ),
                            );
                        }
                    }
                    settings.betas = (beta1, beta2);
                }
            }
        }
        if let Some(weight_decay) = weight_decay {
            if weight_decay < 0.0 {
                return refuse(
                    "--weight-decay",
                    format!("Invalid weight_decay value: {}", py_repr(weight_decay)),
                );
            }
            settings.weight_decay = weight_decay;
        }
        Ok(settings)
    }

    /// The momentum the optimizer starts with: SGD's `momentum`, Adam's `betas[0]`.
    pub fn initial_momentum(&self) -> f64 {
        match self.optimizer {
            Optimizer::Sgd => self.momentum,
            Optimizer::Adam | Optimizer::AdamW => self.betas.0,
        }
    }

    /// The constructor's keyword arguments other than `lr`, as JSON: `{"momentum",
    /// "nesterov", "weight_decay"}` for SGD, `{"betas", "weight_decay"}` for Adam and AdamW.
    pub fn args_json(&self) -> serde_json::Value {
        match self.optimizer {
            Optimizer::Sgd => serde_json::json!({
                "momentum": self.momentum,
                "nesterov": self.nesterov,
                "weight_decay": self.weight_decay,
            }),
            Optimizer::Adam | Optimizer::AdamW => serde_json::json!({
                "betas": [self.betas.0, self.betas.1],
                "weight_decay": self.weight_decay,
            }),
        }
    }
}

/// An optimizer with its state (SGD's momentum buffers; Adam's step count and moments).
#[derive(Clone, Debug)]
pub(crate) struct State {
    settings: Settings,
    /// SGD's `momentum_buffer`s (weights first, then the bias), made by the first step
    /// with a non-zero momentum.
    buffers: Option<Vec<f32>>,
    adam: Adam,
}

impl State {
    pub(crate) fn new(settings: Settings, features: usize) -> Self {
        State {
            settings,
            buffers: None,
            adam: Adam {
                step: 0,
                exp_avg: vec![0.0; features + 1],
                exp_avg_sq: vec![0.0; features + 1],
            },
        }
    }

    /// One `optimizer.step()` with learning rate `lr` and, where a scheduler cycles it, the
    /// momentum `momentum` (SGD's `momentum`, Adam's `betas[0]`) in the param group.
    pub(crate) fn step(
        &mut self,
        model: &mut Linear,
        grads: &Gradients,
        lr: f64,
        momentum: Option<f64>,
    ) {
        let momentum = momentum.unwrap_or_else(|| self.settings.initial_momentum());
        match self.settings.optimizer {
            Optimizer::Sgd => self.sgd(model, grads, lr, momentum),
            Optimizer::Adam | Optimizer::AdamW => {
                self.adam.step(model, grads, lr, momentum, &self.settings)
            }
        }
    }

    /// torch's `_single_tensor_sgd`, operation by operation; Python-float scalars become
    /// f32 in the tensor ops, as the CPU kernels cast them.
    fn sgd(&mut self, model: &mut Linear, grads: &Gradients, lr: f64, momentum: f64) {
        let weight_decay = self.settings.weight_decay as f32;
        let nesterov = self.settings.nesterov;
        // `param.add_(grad, alpha=-lr)`: the Python float alpha becomes an f32.
        let alpha = (-lr) as f32;
        let mut grad: Vec<f32> = grads
            .weight
            .iter()
            .chain(std::iter::once(&grads.bias))
            .copied()
            .collect();
        let params = model.weight.iter().chain(std::iter::once(&model.bias));
        if self.settings.weight_decay != 0.0 {
            // grad = grad.add(param, alpha=weight_decay)
            for (g, &p) in grad.iter_mut().zip(params) {
                *g += weight_decay * p;
            }
        }
        if momentum != 0.0 {
            let m = momentum as f32;
            match &mut self.buffers {
                // buf = grad.detach().clone()
                None => self.buffers = Some(grad.clone()),
                // buf.mul_(momentum).add_(grad, alpha=1 - dampening), dampening 0
                Some(buf) => {
                    for (b, &g) in buf.iter_mut().zip(&grad) {
                        *b *= m;
                        *b += g;
                    }
                }
            }
            if let Some(buf) = &self.buffers {
                for (g, &b) in grad.iter_mut().zip(buf) {
                    if nesterov {
                        // grad = grad.add(buf, alpha=momentum)
                        *g += m * b;
                    } else {
                        // grad = buf
                        *g = b;
                    }
                }
            }
        }
        let params = model
            .weight
            .iter_mut()
            .chain(std::iter::once(&mut model.bias));
        for (p, g) in params.zip(grad) {
            *p += alpha * g;
        }
    }
}

/// Adam's state. The moments hold the weights first, then the bias.
#[derive(Clone, Debug)]
pub(crate) struct Adam {
    step: u64,
    exp_avg: Vec<f32>,
    exp_avg_sq: Vec<f32>,
}

impl Adam {
    /// torch's `_single_tensor_adam`, operation by operation, for Adam and AdamW
    /// (`decoupled_weight_decay`). Scalars are Python floats (f64) until a tensor op casts
    /// them to f32. With `lr == 0` the step count and the moments still advance, as in torch.
    fn step(
        &mut self,
        model: &mut Linear,
        grads: &Gradients,
        lr: f64,
        beta1: f64,
        settings: &Settings,
    ) {
        self.step += 1;
        let beta2_f64 = settings.betas.1;
        let weight_decay = settings.weight_decay;
        let decoupled = settings.optimizer == Optimizer::AdamW;
        // `step_t.item()` is a float; `beta ** step` is C's pow.
        let t = self.step as f64;
        let bias_correction1 = 1.0 - beta1.powf(t);
        let bias_correction2 = 1.0 - beta2_f64.powf(t);
        let step_size = lr / bias_correction1;
        let bias_correction2_sqrt = bias_correction2.sqrt();

        // Tensor-op scalars, cast to f32 as the CPU kernels do.
        let lerp_weight = (1.0 - beta1) as f32;
        let beta2 = beta2_f64 as f32;
        let one_minus_beta2 = (1.0 - beta2_f64) as f32;
        let divisor = bias_correction2_sqrt as f32;
        let eps = ADAM_EPS as f32;
        let value = (-step_size) as f32;
        // param.mul_(1 - lr * weight_decay), in Python floats
        let decay = (1.0 - lr * weight_decay) as f32;
        let coupled = weight_decay as f32;

        let params = model
            .weight
            .iter_mut()
            .chain(std::iter::once(&mut model.bias));
        let gradients = grads.weight.iter().chain(std::iter::once(&grads.bias));
        for (((p, &g), m), v) in params
            .zip(gradients)
            .zip(self.exp_avg.iter_mut())
            .zip(self.exp_avg_sq.iter_mut())
        {
            let mut g = g;
            if weight_decay != 0.0 {
                if decoupled {
                    *p *= decay;
                } else {
                    // grad = grad.add(param, alpha=weight_decay)
                    g += coupled * *p;
                }
            }
            // exp_avg.lerp_(grad, 1 - beta1): torch's lerp takes `self + weight * (end -
            // self)` below a weight of 0.5 and `end - (end - self) * (1 - weight)` from it.
            if lerp_weight.abs() < 0.5 {
                *m += lerp_weight * (g - *m);
            } else {
                *m = g - (g - *m) * (1.0 - lerp_weight);
            }
            // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
            *v *= beta2;
            *v += one_minus_beta2 * g * g;
            // denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
            let denom = v.sqrt() / divisor + eps;
            // param.addcdiv_(exp_avg, denom, value=-step_size)
            *p += value * *m / denom;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adam_first_step_moves_each_parameter_by_about_lr() {
        // Bias correction makes the first update lr * sign(grad), up to eps.
        let mut model = Linear {
            weight: vec![1.0, -1.0],
            bias: 0.5,
        };
        let grads = Gradients {
            weight: vec![3.0, -0.001],
            bias: 2.0,
        };
        let mut state = State::new(Optimizer::Adam.into(), 2);
        state.step(&mut model, &grads, 0.1, None);
        assert!((model.weight[0] - 0.9).abs() < 1e-6);
        assert!((model.weight[1] + 0.9).abs() < 1e-5);
        assert!((model.bias - 0.4).abs() < 1e-6);
    }

    #[test]
    fn adam_with_zero_lr_keeps_the_parameters_but_advances_its_state() {
        let mut model = Linear {
            weight: vec![1.0],
            bias: 0.0,
        };
        let grads = Gradients {
            weight: vec![1.0],
            bias: 1.0,
        };
        let mut state = State::new(Optimizer::Adam.into(), 1);
        state.step(&mut model, &grads, 0.0, None);
        assert_eq!(model.weight, vec![1.0]);
        let adam = &state.adam;
        assert_eq!(adam.step, 1);
        assert!(adam.exp_avg[0] > 0.0 && adam.exp_avg_sq[0] > 0.0);
    }

    #[test]
    fn sgd_steps_against_the_gradient() {
        let mut model = Linear {
            weight: vec![1.0],
            bias: 0.0,
        };
        let grads = Gradients {
            weight: vec![2.0],
            bias: -1.0,
        };
        State::new(Optimizer::Sgd.into(), 1).step(&mut model, &grads, 0.5, None);
        assert_eq!(model.weight, vec![0.0]);
        assert_eq!(model.bias, 0.5);
    }
}
