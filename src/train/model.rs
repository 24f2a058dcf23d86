//! The model and its loss: torch's `nn.Linear(n, 1)` under `nn.MSELoss()`, forward and
//! backward in `f32` with torch's order of operations.
//!
//! torch computes the matrix products with BLAS, whose summation order for these tiny
//! shapes is its own (and may use FMA); plain sequential `f32` sums stay within a few ulps
//! of it, far inside the 1e-6 relative agreement the golden tests ask for.

use super::data::Dataset;

/// The parameters of `nn.Linear(n, 1)`: `y = x · weight + bias`.
#[derive(Clone, Debug, PartialEq)]
pub struct Linear {
    /// One weight per feature (torch's `weight` is `1 x n`; this is its only row).
    pub weight: Vec<f32>,
    /// The bias.
    pub bias: f32,
}

/// The gradients of the loss with respect to a [`Linear`]'s parameters.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Gradients {
    /// d loss / d weight.
    pub weight: Vec<f32>,
    /// d loss / d bias.
    pub bias: f32,
}

impl Linear {
    /// The number of input features.
    pub fn features(&self) -> usize {
        self.weight.len()
    }

    /// True when every parameter is a finite number.
    pub fn is_finite(&self) -> bool {
        self.bias.is_finite() && self.weight.iter().all(|w| w.is_finite())
    }

    /// The prediction for one sample: `x · weight + bias`, as torch's `addmm` gives it
    /// (the dot product first, then the bias).
    pub fn predict(&self, x: &[f32]) -> f32 {
        let mut dot = 0.0f32;
        for (xi, wi) in x.iter().zip(&self.weight) {
            dot += xi * wi;
        }
        dot + self.bias
    }

    /// The mean squared error over `data` (`nn.MSELoss()`, reduction `mean`), and its
    /// gradients written into `grads`, as `loss.backward()` computes them.
    ///
    /// Panics never; `data` and `self` must agree on the number of features, which
    /// [`super::Training::new`] checks.
    pub fn loss_and_gradients(&self, data: &Dataset, grads: &mut Gradients) -> f32 {
        let n = data.samples();
        // mse_loss_backward scales by `2 / numel`, computed in double and cast to float.
        let norm = (2.0 / n as f64) as f32;
        let mut sum = 0.0f32;
        grads.weight.clear();
        grads.weight.resize(self.weight.len(), 0.0);
        grads.bias = 0.0;
        for (x, &target) in data.rows().zip(data.targets()) {
            let diff = self.predict(x) - target;
            sum += diff * diff;
            // torch: alpha * (input - target) * grad_output, with grad_output = 1.
            let g = norm * diff;
            for (gw, xi) in grads.weight.iter_mut().zip(x) {
                *gw += g * xi;
            }
            grads.bias += g;
        }
        // `mean()` is the sum divided by the count.
        sum / n as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradients_match_finite_differences() -> crate::error::Result<()> {
        let data = Dataset::new(
            2,
            vec![1.0, 2.0, -1.0, 0.5, 0.25, -2.0],
            vec![1.0, 0.0, 2.0],
        )?;
        let model = Linear {
            weight: vec![0.3, -0.2],
            bias: 0.1,
        };
        let mut grads = Gradients::default();
        let loss = model.loss_and_gradients(&data, &mut grads);
        // Exact values in f64: predictions 0.0, -0.3, 0.575.
        let want_loss = (1.0f64 + 0.09 + 1.425f64.powi(2)) / 3.0;
        assert!(
            (f64::from(loss) - want_loss).abs() < 1e-6,
            "{loss} vs {want_loss}"
        );
        let h = 1e-3f32;
        for i in 0..2 {
            let mut plus = model.clone();
            plus.weight[i] += h;
            let mut minus = model.clone();
            minus.weight[i] -= h;
            let mut scratch = Gradients::default();
            let numeric = (plus.loss_and_gradients(&data, &mut scratch)
                - minus.loss_and_gradients(&data, &mut scratch))
                / (2.0 * h);
            assert!((numeric - grads.weight[i]).abs() < 1e-2, "weight {i}");
        }
        let mut plus = model.clone();
        plus.bias += h;
        let mut minus = model.clone();
        minus.bias -= h;
        let mut scratch = Gradients::default();
        let numeric = (plus.loss_and_gradients(&data, &mut scratch)
            - minus.loss_and_gradients(&data, &mut scratch))
            / (2.0 * h);
        assert!((numeric - grads.bias).abs() < 1e-2, "bias");
        Ok(())
    }
}
