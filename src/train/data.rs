//! Training data: read from CSV files, made from a seed, or the copy of what
//! `torch.manual_seed(0)` gives the PyTorch demo; and the seeded random numbers that the
//! synthetic data and initial weights share.

use std::path::{Path, PathBuf};

use rand_pcg::Pcg64;
use rand_pcg::rand_core::{Rng, SeedableRng};
use serde_json::{Value as Json, json};

use crate::error::{Error, Result};

/// Where the training data come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DataSource {
    /// Synthetic data from a seed ([`Dataset::seeded`]).
    Seeded {
        /// The seed.
        seed: u64,
        /// Rows.
        samples: usize,
        /// Inputs per row.
        features: usize,
    },
    /// A CSV file ([`Dataset::read_csv`]).
    File(PathBuf),
    /// What `torch.manual_seed(0)` gives the PyTorch demo ([`Dataset::torch_seed0`]).
    TorchSeed0,
}

impl DataSource {
    /// Makes or reads the data.
    pub fn load(&self) -> Result<Dataset> {
        match self {
            DataSource::Seeded {
                seed,
                samples,
                features,
            } => Dataset::seeded(*seed, *samples, *features),
            DataSource::File(path) => Dataset::read_csv(path),
            DataSource::TorchSeed0 => Dataset::torch_seed0(),
        }
    }

    /// `{"seed": 0}`, `{"file": "data.csv"}` or `{"torch_seed0": true}`.
    pub fn to_json(&self) -> Json {
        match self {
            DataSource::Seeded { seed, .. } => json!({ "seed": seed }),
            DataSource::File(path) => json!({ "file": path.display().to_string() }),
            DataSource::TorchSeed0 => json!({ "torch_seed0": true }),
        }
    }
}

/// The most values (`samples x features`) a data set may hold: 400 MB of `f32`.
pub const MAX_VALUES: usize = 100_000_000;

/// Inputs and targets for `nn.Linear(features, 1)`: `samples` rows of `features` inputs
/// and one target each.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    features: usize,
    inputs: Vec<f32>,
    targets: Vec<f32>,
}

impl Dataset {
    /// A data set from row-major `inputs` (`targets.len()` rows of `features` values).
    pub fn new(features: usize, inputs: Vec<f32>, targets: Vec<f32>) -> Result<Self> {
        if features == 0 || targets.is_empty() {
            return Err(Error::input(
                "a data set needs at least one feature and one sample",
            ));
        }
        if inputs.len() != features * targets.len() {
            return Err(Error::input(format!(
                "{} inputs do not make {} rows of {features} features",
                inputs.len(),
                targets.len()
            )));
        }
        Ok(Dataset {
            features,
            inputs,
            targets,
        })
    }

    /// Synthetic data from `seed`: standard-normal inputs and targets, like the demo's
    /// `torch.randn(samples, features)` and `torch.randn(samples, 1)` (but not torch's
    /// numbers: see [`Seeded`]).
    pub fn seeded(seed: u64, samples: usize, features: usize) -> Result<Self> {
        check_size(samples, features)?;
        let mut rng = Seeded::new(seed);
        rng.skip_init(features);
        let inputs = (0..samples * features).map(|_| rng.normal()).collect();
        let targets = (0..samples).map(|_| rng.normal()).collect();
        Dataset::new(features, inputs, targets)
    }

    /// The data that `torch.manual_seed(0)` gives the PyTorch demo (10 samples of 10
    /// features), as in `examples/seed0-data.csv`.
    pub fn torch_seed0() -> Result<Self> {
        Dataset::from_csv(TORCH_SEED0_DATA, "examples/seed0-data.csv")
    }

    /// Reads a CSV file of numbers: `x1,...,xn,y` per row, the last column the target.
    pub fn read_csv(path: &Path) -> Result<Self> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path)
            .map_err(|e| Error::input(format!("cannot read data file {name}: {e}")))?;
        Dataset::from_csv_bytes(&bytes, &name)
    }

    /// Parses CSV text (see [`Dataset::read_csv`]); `name` prefixes error messages, which
    /// give the line, the column and the reason (`data.csv:7: column 3 (x3): 'n/a' is not a
    /// number`).
    ///
    /// A first row with anything but numbers is a header, whose names are not checked.
    /// Blank lines are skipped; fields may be padded with spaces and quoted (`"1.5"`), and a
    /// UTF-8 byte order mark is skipped. Numbers are read as doubles and rounded to `f32`,
    /// as `torch.tensor(numpy.loadtxt(...), dtype=float32)` does.
    pub fn from_csv(text: &str, name: &str) -> Result<Self> {
        Dataset::from_csv_bytes(text.as_bytes(), name)
    }

    /// [`Dataset::from_csv`] of bytes: text that is not UTF-8 is an error at its line and
    /// column.
    pub fn from_csv_bytes(bytes: &[u8], name: &str) -> Result<Self> {
        let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
        // Rows of any length are read, so that a ragged row is reported as lrsched says
        // it (which row set the count, and where), not as the csv crate's UnequalLengths.
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .trim(csv::Trim::All)
            .from_reader(text);
        // The column count and where it was set ("the header" or "line N").
        let mut columns: Option<(usize, String)> = None;
        let mut inputs = Vec::new();
        let mut targets = Vec::new();
        let mut record = csv::StringRecord::new();
        loop {
            match reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    let line = e.position().map_or(0, csv::Position::line);
                    return Err(Error::input(match e.kind() {
                        csv::ErrorKind::Utf8 { err, .. } => format!(
                            "{name}:{line}: column {}: the text is not UTF-8",
                            err.field() + 1
                        ),
                        _ => format!("{name}:{line}: {e}"),
                    }));
                }
            }
            let number = record.position().map_or(0, csv::Position::line);
            // A line of spaces is one empty field.
            if record.len() == 1 && record[0].is_empty() {
                continue;
            }
            match &columns {
                None => {
                    if record.len() < 2 {
                        return Err(Error::input(format!(
                            "{name}:{number}: {} column; the data needs at least two, \
                             x1,...,xn,y: the features, then the target",
                            record.len()
                        )));
                    }
                    let header = record.iter().any(|f| f.parse::<f64>().is_err());
                    let origin = if header {
                        "the header".to_string()
                    } else {
                        format!("line {number}")
                    };
                    columns = Some((record.len(), origin));
                    if header {
                        continue;
                    }
                }
                Some((count, origin)) if record.len() != *count => {
                    return Err(Error::input(format!(
                        "{name}:{number}: {} values, but {origin} has {count}; every row needs \
                         the same columns",
                        record.len()
                    )));
                }
                Some(_) => {}
            }
            let features = record.len() - 1;
            check_size(targets.len() + 1, features)
                .map_err(|e| Error::input(format!("{name}:{number}: {e}")))?;
            for (column, field) in record.iter().enumerate() {
                let value = parse_value(field).map_err(|reason| {
                    let label = if column == features {
                        "y".to_string()
                    } else {
                        format!("x{}", column + 1)
                    };
                    Error::input(format!(
                        "{name}:{number}: column {} ({label}): {reason}",
                        column + 1
                    ))
                })?;
                if column == features {
                    targets.push(value);
                } else {
                    inputs.push(value);
                }
            }
        }
        let Some((count, _)) = columns else {
            return Err(Error::input(format!(
                "{name}: no data; expected a header x1,...,xn,y and one row of numbers per sample"
            )));
        };
        if targets.is_empty() {
            return Err(Error::input(format!(
                "{name}: a header but no rows; add one row of {count} numbers per sample"
            )));
        }
        Dataset::new(count - 1, inputs, targets)
    }

    /// The number of samples (rows).
    pub fn samples(&self) -> usize {
        self.targets.len()
    }

    /// The number of input features (`n` in `Linear(n, 1)`).
    pub fn features(&self) -> usize {
        self.features
    }

    /// The input rows, in order.
    pub fn rows(&self) -> impl Iterator<Item = &[f32]> {
        self.inputs.chunks_exact(self.features)
    }

    /// The targets, one per row.
    pub fn targets(&self) -> &[f32] {
        &self.targets
    }
}

fn check_size(samples: usize, features: usize) -> Result<()> {
    if samples == 0 || features == 0 {
        return Err(Error::input(
            "the data needs at least one sample and one feature",
        ));
    }
    match samples.checked_mul(features) {
        Some(n) if n <= MAX_VALUES => Ok(()),
        _ => Err(Error::input(format!(
            "{samples} samples of {features} features make {} values, more than the \
             {MAX_VALUES} a training demo holds: with {features} features, use at most {} \
             samples",
            samples
                .checked_mul(features)
                .map_or_else(|| "too many".to_string(), |n| n.to_string()),
            MAX_VALUES / features
        ))),
    }
}

/// One CSV field as an `f32`, or why it is not one.
fn parse_value(field: &str) -> std::result::Result<f32, String> {
    let value: f64 = field
        .parse()
        .map_err(|_| format!("'{field}' is not a number"))?;
    let single = value as f32;
    if !value.is_finite() {
        Err(format!("'{field}' is not a finite number"))
    } else if !single.is_finite() {
        Err(format!("'{field}' is out of float32 range"))
    } else {
        Ok(single)
    }
}

/// `examples/seed0-data.csv`: what `torch.manual_seed(0)` gives the demo.
pub const TORCH_SEED0_DATA: &str = include_str!("../../examples/seed0-data.csv");

/// The random numbers behind `--seed`: PCG64 (`rand_pcg::Pcg64`, seeded with
/// `seed_from_u64`), whose stream is documented as portable and checked against reference
/// vectors, turned into uniforms and normals by the code below.
///
/// torch's own generator (mt19937 with torch's normal transform) is not reproduced, so
/// seed 0 here is not `torch.manual_seed(0)`: [`Dataset::torch_seed0`] has those numbers.
///
/// The distributions are written here rather than taken from `rand_distr`: its
/// `StandardNormal` may change values between minor versions and calls `exp`/`ln` from
/// the platform or from `libm` depending on which crates enable `num-traits/std`, so the
/// same seed could give other numbers on another machine or even under `cargo test`.
/// Box-Muller over `libm` (pure Rust) gives the same bits everywhere.
pub struct Seeded {
    rng: Pcg64,
}

impl Seeded {
    /// The stream of `seed`.
    pub fn new(seed: u64) -> Self {
        Seeded {
            rng: Pcg64::seed_from_u64(seed),
        }
    }

    /// A uniform double in `[0, 1)`: the top 53 bits of one 64-bit output.
    pub fn uniform(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform `f32` in `[-bound, bound)`, as `nn.init.uniform_(-bound, bound)`.
    pub fn uniform_in(&mut self, bound: f64) -> f32 {
        (bound * (2.0 * self.uniform() - 1.0)) as f32
    }

    /// A standard-normal `f32`: Box-Muller (cosine branch) from two uniforms, in double.
    pub fn normal(&mut self) -> f32 {
        // 1 - u is in (0, 1], so the logarithm is finite.
        let u1 = 1.0 - self.uniform();
        let u2 = self.uniform();
        let radius = (-2.0 * libm::log(u1)).sqrt();
        (radius * libm::cos(std::f64::consts::TAU * u2)) as f32
    }

    /// Skips the numbers [`Linear::seeded`](crate::train::Linear::seeded) draws for
    /// `features` inputs.
    fn skip_init(&mut self, features: usize) {
        for _ in 0..=features {
            self.uniform();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_stream_is_pinned() {
        // Known answers: a change here changes every --seed run, so it must be deliberate.
        let mut rng = Seeded::new(0);
        let first: Vec<u64> = (0..2).map(|_| rng.rng.next_u64()).collect();
        assert_eq!(
            first,
            vec![2354861276966075475, 6411218084291373563],
            "PCG64 stream of seed 0"
        );
        // The data follow the initial weights and bias in the stream (model.rs pins those).
        let data = Dataset::seeded(0, 1, 2).unwrap();
        let got: Vec<f32> = data
            .rows()
            .flatten()
            .chain(data.targets())
            .copied()
            .collect();
        assert_eq!(
            got,
            vec![0.1744651, 0.18721133, 0.5146225],
            "seed 0: x1, x2, y"
        );
    }

    #[test]
    fn seeded_data_are_standard_normal() -> Result<()> {
        let data = Dataset::seeded(7, 2000, 10)?;
        let values: Vec<f64> = data
            .rows()
            .flatten()
            .chain(data.targets())
            .map(|&v| f64::from(v))
            .collect();
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "variance {var}");
        Ok(())
    }

    #[test]
    fn csv_with_and_without_header() -> Result<()> {
        let a = Dataset::from_csv("x1,x2,y\n1,2,3\n4, 5 ,6\r\n\n", "a.csv")?;
        let b = Dataset::from_csv("1,2,3\n4,5,6\n", "b.csv")?;
        assert_eq!(a, b);
        assert_eq!(a.features(), 2);
        assert_eq!(a.samples(), 2);
        assert_eq!(a.targets(), &[3.0, 6.0]);
        Ok(())
    }

    #[test]
    fn csv_quoting_and_byte_order_marks() -> Result<()> {
        let plain = Dataset::from_csv("x1,x2,y\n1,2,3\n4,5,6\n", "a.csv")?;
        let quoted = Dataset::from_csv(
            "\u{feff}\"x1\",\"x,2\",\"y\"\n\"1\",2,\" 3 \"\n   \n4,\"5\",6",
            "q.csv",
        )?;
        assert_eq!(quoted, plain);
        // A quoted comma is inside the field, which is then no number.
        match Dataset::from_csv("x1,y\n\"1,5\",2\n", "d.csv") {
            Err(Error::Input(got)) => {
                assert_eq!(got, "d.csv:2: column 1 (x1): '1,5' is not a number");
            }
            other => panic!("{other:?}"),
        }
        Ok(())
    }

    #[test]
    fn csv_that_is_not_utf8_is_named_where() {
        match Dataset::from_csv_bytes(b"x1,y\n1,2\n3,\xff\n", "d.csv") {
            Err(Error::Input(got)) => {
                assert_eq!(got, "d.csv:3: column 2: the text is not UTF-8");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn csv_errors_name_file_line_and_reason() {
        let cases = [
            (
                "x1,x2,y\n1,2,3\n4,5\n",
                "d.csv:3: 2 values, but the header has 3; every row needs the same columns",
            ),
            (
                "1,2,3\n4,5,6,7\n",
                "d.csv:2: 4 values, but line 1 has 3; every row needs the same columns",
            ),
            (
                "x1,y\n1,abc\n",
                "d.csv:2: column 2 (y): 'abc' is not a number",
            ),
            (
                "x1,y\n1,2\nnan,1\n",
                "d.csv:3: column 1 (x1): 'nan' is not a finite number",
            ),
            (
                "x1,y\n1e39,1\n",
                "d.csv:2: column 1 (x1): '1e39' is out of float32 range",
            ),
            (
                "y\n1\n",
                "d.csv:1: 1 column; the data needs at least two, x1,...,xn,y: the features, then the target",
            ),
            (
                "",
                "d.csv: no data; expected a header x1,...,xn,y and one row of numbers per sample",
            ),
            (
                "x1,y\n",
                "d.csv: a header but no rows; add one row of 2 numbers per sample",
            ),
            (
                "x1,y\n\n\n1,2\n3\n",
                "d.csv:5: 1 values, but the header has 2; every row needs the same columns",
            ),
            (
                "x1,y\n1,\"2\n3\",4\n",
                "d.csv:2: 3 values, but the header has 2; every row needs the same columns",
            ),
        ];
        for (text, want) in cases {
            match Dataset::from_csv(text, "d.csv") {
                Err(Error::Input(got)) => assert_eq!(got, want, "{text:?}"),
                other => panic!("{text:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn torch_seed0_copies_match_the_golden_files() -> Result<()> {
        assert_eq!(
            TORCH_SEED0_DATA,
            include_str!("../../tests/golden/train-seed0-data.csv")
        );
        let data = Dataset::torch_seed0()?;
        assert_eq!((data.samples(), data.features()), (10, 10));
        Ok(())
    }
}
