//! The optimizers, with torch's defaults and torch's `f32` arithmetic: `optim.SGD` (no
//! momentum) and `optim.Adam` (its single-tensor path, the one torch takes on CPU).

use std::fmt;

use super::model::{Gradients, Linear};

/// Adam's `betas[0]`, torch's default.
pub const ADAM_BETA1: f64 = 0.9;
/// Adam's `betas[1]`, torch's default.
pub const ADAM_BETA2: f64 = 0.999;
/// Adam's `eps`, torch's default.
pub const ADAM_EPS: f64 = 1e-8;

/// Which optimizer trains the model, each with torch's defaults.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Optimizer {
    /// `optim.SGD(params, lr)`: `p -= lr * grad`, no momentum, no weight decay.
    #[default]
    Sgd,
    /// `optim.Adam(params, lr)`: betas (0.9, 0.999), eps 1e-8, bias correction, no weight
    /// decay, no amsgrad.
    Adam,
}

impl Optimizer {
    /// The name used on the command line and in JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Optimizer::Sgd => "sgd",
            Optimizer::Adam => "adam",
        }
    }
}

impl fmt::Display for Optimizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An optimizer with its state (Adam's step count and moments).
#[derive(Clone, Debug)]
pub(crate) enum State {
    Sgd,
    Adam(Adam),
}

impl State {
    pub(crate) fn new(optimizer: Optimizer, features: usize) -> Self {
        match optimizer {
            Optimizer::Sgd => State::Sgd,
            Optimizer::Adam => State::Adam(Adam {
                step: 0,
                exp_avg: vec![0.0; features + 1],
                exp_avg_sq: vec![0.0; features + 1],
            }),
        }
    }

    /// One `optimizer.step()` with learning rate `lr` (a Python float in torch).
    pub(crate) fn step(&mut self, model: &mut Linear, grads: &Gradients, lr: f64) {
        match self {
            State::Sgd => {
                // `param.add_(grad, alpha=-lr)`: the Python float alpha becomes an f32.
                let alpha = (-lr) as f32;
                for (p, g) in model.weight.iter_mut().zip(&grads.weight) {
                    *p += alpha * g;
                }
                model.bias += alpha * grads.bias;
            }
            State::Adam(adam) => adam.step(model, grads, lr),
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
    /// torch's `_single_tensor_adam`, operation by operation. Scalars are Python floats
    /// (f64) until a tensor op casts them to f32. With `lr == 0` the step count and the
    /// moments still advance, as in torch.
    fn step(&mut self, model: &mut Linear, grads: &Gradients, lr: f64) {
        self.step += 1;
        // `step_t.item()` is a float; `beta ** step` is C's pow.
        let t = self.step as f64;
        let bias_correction1 = 1.0 - ADAM_BETA1.powf(t);
        let bias_correction2 = 1.0 - ADAM_BETA2.powf(t);
        let step_size = lr / bias_correction1;
        let bias_correction2_sqrt = bias_correction2.sqrt();

        // Tensor-op scalars, cast to f32 as the CPU kernels do.
        let lerp_weight = (1.0 - ADAM_BETA1) as f32;
        let beta2 = ADAM_BETA2 as f32;
        let one_minus_beta2 = (1.0 - ADAM_BETA2) as f32;
        let divisor = bias_correction2_sqrt as f32;
        let eps = ADAM_EPS as f32;
        let value = (-step_size) as f32;

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
            // exp_avg.lerp_(grad, 1 - beta1): a weight below 0.5 takes the
            // `self + weight * (end - self)` branch.
            *m += lerp_weight * (g - *m);
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
        let mut state = State::new(Optimizer::Adam, 2);
        state.step(&mut model, &grads, 0.1);
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
        let mut state = State::new(Optimizer::Adam, 1);
        state.step(&mut model, &grads, 0.0);
        assert_eq!(model.weight, vec![1.0]);
        let State::Adam(adam) = &state else {
            unreachable!("built as Adam")
        };
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
        State::new(Optimizer::Sgd, 1).step(&mut model, &grads, 0.5);
        assert_eq!(model.weight, vec![0.0]);
        assert_eq!(model.bias, 0.5);
    }
}
