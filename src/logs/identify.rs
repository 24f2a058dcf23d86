//! Which built-in made a log (`lrsched identify`): the log's base or peak lr, warmup and
//! horizon are read off the curve, each plausible built-in's remaining parameters are
//! solved from a few rows and snapped to the shortest decimal that fits, and every
//! candidate is scored by its largest relative error over the whole log.

use serde::Serialize;

use super::compare::{StepMap, TOLERANCE, max_rel_error};
use super::{Format, LogInfo, Row};
use crate::description::Partial;
use crate::format::py_repr;
use crate::schedule::params::Raw;
use crate::schedule::registry;

/// One built-in with parameters, and how well it explains the log.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    /// The schedule, as `--schedule` takes it.
    pub schedule: String,
    /// lrsched's arguments that reproduce it.
    pub args: Vec<String>,
    /// The library's own call.
    pub python: String,
    /// The largest relative error over the log's rows.
    pub max_rel_error: f64,
    /// Within the tolerance at every row.
    pub exact: bool,
}

/// What was tried: a schedule with its lrsched description.
struct Trial {
    schedule: &'static str,
    steps: u64,
    base_lr: f64,
    warmup: u64,
    params: Vec<(&'static str, String)>,
}

/// The best candidates for the log `rows` (at most `keep`), best first. A trainer state's
/// step s is the lr of update s-1; other logs count schedule steps.
pub fn identify(rows: &[Row], info: &LogInfo, tolerance: f64, keep: usize) -> Vec<Candidate> {
    let offset = u64::from(info.format == Some(Format::TrainerState));
    let points: Vec<(u64, f64)> = rows
        .iter()
        .filter(|r| r.step >= offset)
        .map(|r| (r.step - offset, r.lr))
        .collect();
    if points.is_empty() {
        return Vec::new();
    }
    let map = if offset == 1 {
        StepMap::trainer(|u| u)
    } else {
        StepMap::same()
    };
    let mut candidates: Vec<Candidate> = Vec::new();
    for mut trial in trials(&points, info) {
        drop_defaults(&mut trial);
        let Some(candidate) = score(&trial, rows, &map, tolerance) else {
            continue;
        };
        if !candidates.iter().any(|c| c.args == candidate.args) {
            candidates.push(candidate);
        }
    }
    candidates.sort_by(|a, b| {
        a.max_rel_error
            .total_cmp(&b.max_rel_error)
            .then(a.args.len().cmp(&b.args.len()))
    });
    candidates.truncate(keep);
    candidates
}

/// Drops the parameters given at their library default, so that one schedule is one
/// candidate however its parameters were found.
fn drop_defaults(trial: &mut Trial) {
    let Ok(entry) = registry::find(trial.schedule) else {
        return;
    };
    trial.params.retain(|(name, value)| {
        let default = entry
            .params
            .iter()
            .find(|p| p.name == *name)
            .map(|p| p.default_text());
        let quoted = format!("'{value}'");
        let number = value.parse::<f64>().ok();
        !default.is_some_and(|d| {
            d == *value || d == quoted || (number.is_some() && d.parse::<f64>().ok() == number)
        })
    });
}

/// Builds the trial as lrsched would from its arguments, and compares it with the log.
fn score(trial: &Trial, rows: &[Row], map: &StepMap<'_>, tolerance: f64) -> Option<Candidate> {
    if trial.steps == 0 || !(trial.base_lr.is_finite() && trial.base_lr >= 0.0) {
        return None;
    }
    let description = Partial {
        schedule: Some(trial.schedule.to_string()),
        steps: Some(trial.steps),
        base_lr: Some(trial.base_lr),
        warmup: Some(trial.warmup),
        params: trial
            .params
            .iter()
            .map(|(k, v)| ((*k).to_string(), Raw::Text(v.clone())))
            .collect(),
        ..Partial::default()
    }
    .resolve()
    .ok()?;
    let last = description.schedule().last_defined_step();
    if last.is_some_and(|last| {
        rows.iter()
            .any(|r| map.apply(r.step).is_some_and(|s| s > last))
    }) {
        return None;
    }
    let max_rel_error = max_rel_error(
        rows,
        description.schedule(),
        trial.steps.max(rows.last().map_or(0, |r| r.step + 1)),
        map,
    )?;
    Some(Candidate {
        schedule: trial.schedule.to_string(),
        args: args(trial),
        python: python(trial),
        max_rel_error,
        exact: max_rel_error <= tolerance,
    })
}

fn args(trial: &Trial) -> Vec<String> {
    let mut args = vec![
        "--schedule".to_string(),
        trial.schedule.to_string(),
        "--base-lr".into(),
        py_repr(trial.base_lr),
        "--steps".into(),
        trial.steps.to_string(),
    ];
    if trial.warmup > 0 {
        args.extend(["--warmup".into(), trial.warmup.to_string()]);
    }
    for (k, v) in &trial.params {
        args.extend(["--set".into(), format!("{k}={v}")]);
    }
    args
}

/// The library's own call, with the optimizer's lr.
fn python(trial: &Trial) -> String {
    let optimizer = format!("torch.optim.SGD(params, lr={})", py_repr(trial.base_lr));
    let mut kwargs: Vec<String> = Vec::new();
    let call = match registry::find(trial.schedule) {
        Ok(entry) if entry.library == registry::Library::Transformers => {
            let upstream = entry.upstream;
            if upstream != "get_constant_schedule" {
                kwargs.push(format!("num_warmup_steps={}", trial.warmup));
            }
            if !matches!(
                upstream,
                "get_constant_schedule"
                    | "get_constant_schedule_with_warmup"
                    | "get_inverse_sqrt_schedule"
            ) {
                kwargs.push(format!("num_training_steps={}", trial.steps));
            }
            format!("transformers.{upstream}")
        }
        _ => format!("torch.optim.lr_scheduler.{}", trial.schedule),
    };
    for (k, v) in &trial.params {
        let v = match v.as_str() {
            "true" => "True".to_string(),
            "false" => "False".to_string(),
            v if v.contains(',') => format!("[{v}]"),
            v if v.parse::<f64>().is_err() => format!("'{v}'"),
            v => v.to_string(),
        };
        kwargs.push(format!("{k}={v}"));
    }
    let mut all = vec![optimizer];
    all.extend(kwargs);
    format!("{call}({})", all.join(", "))
}

/// `x` written with the fewest significant digits that stay within 1e-10 of it: the value
/// a user typed, before arithmetic blurred it.
fn nice(x: f64) -> f64 {
    for digits in 1..=16 {
        if let Ok(y) = format!("{x:.*e}", digits - 1).parse::<f64>() {
            if (y - x).abs() <= 1e-10 * x.abs().max(f64::MIN_POSITIVE) {
                return y;
            }
        }
    }
    x
}

/// `x` rounded to a whole number when it is within 1e-6 of one.
fn whole(x: f64) -> Option<u64> {
    let r = x.round();
    ((x - r).abs() <= 1e-6 * r.abs().max(1.0) && r >= 0.0).then_some(r as u64)
}

fn same(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs())
}

/// The trials worth scoring, from what the curve shows.
fn trials(points: &[(u64, f64)], info: &LogInfo) -> Vec<Trial> {
    let first_y = points[0].1;
    let (last_x, last_y) = points[points.len() - 1];
    let peak = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let peak_x = points.iter().find(|p| same(p.1, peak)).map_or(0, |p| p.0);
    let base = nice(peak);
    // The horizon: the trainer's max_steps, or one past the last row.
    let mut horizons = vec![last_x + 1];
    if let Some(m) = info.max_steps {
        horizons.insert(0, m);
    }
    // Linear warmups: step * peak / lr at the first rising row, and the peak's step.
    let mut warmups = vec![0];
    if first_y < peak {
        let rising = points
            .iter()
            .take_while(|p| p.0 < peak_x)
            .find(|p| p.0 > 0 && p.1 > 0.0);
        if let Some(w) = rising.and_then(|&(x, y)| whole(x as f64 * peak / y)) {
            warmups.push(w);
        }
        warmups.push(peak_x);
    }
    warmups.dedup();
    let after = |w: u64| {
        points
            .iter()
            .find(|p| p.0 > w && p.1 < peak * (1.0 - 1e-9))
            .copied()
    };
    let mut trials = Vec::new();
    let mut add = |schedule: &'static str,
                   steps: u64,
                   base_lr: f64,
                   warmup: u64,
                   params: Vec<(&'static str, String)>| {
        trials.push(Trial {
            schedule,
            steps,
            base_lr,
            warmup,
            params,
        });
    };
    for &n in &horizons {
        for &w in &warmups {
            if w > 0 {
                add("constant_with_warmup", n, base, w, vec![]);
            }
            add("linear", n, base, w, vec![]);
            add("cosine", n, base, w, vec![]);
            // num_cycles from the first row of the decay: m = (1 + cos(2 pi c p)) / 2.
            if let Some((x, y)) = after(w) {
                let p = (x - w) as f64 / n.saturating_sub(w).max(1) as f64;
                let c = (2.0 * y / base - 1.0).clamp(-1.0, 1.0).acos()
                    / (2.0 * std::f64::consts::PI * p);
                if c.is_finite() && c > 0.0 {
                    add("cosine", n, base, w, vec![("num_cycles", py_repr(nice(c)))]);
                }
            }
            // Hard restarts: one cycle per rise after the peak, plus the first.
            let rises = points
                .windows(2)
                .filter(|p| p[0].0 > w && p[1].1 > p[0].1 * (1.0 + 1e-9))
                .count();
            if rises > 0 {
                add(
                    "cosine_with_restarts",
                    n,
                    base,
                    w,
                    vec![("num_cycles", (rises + 1).to_string())],
                );
            }
            // The floor of a cosine to min_lr_rate, read at the last row.
            if last_x > w {
                let p = (last_x - w) as f64 / n.saturating_sub(w).max(1) as f64;
                let c = 0.5 * (1.0 + (std::f64::consts::PI * p).cos());
                let r = (last_y / base - c) / (1.0 - c);
                if r.is_finite() && r > 0.0 && r < 1.0 {
                    add(
                        "cosine_with_min_lr",
                        n,
                        base,
                        w,
                        vec![("min_lr_rate", py_repr(nice(r)))],
                    );
                }
            }
            // Polynomial decay to lr_end (default 1e-7) with the power solved at mid decay.
            for lr_end in ["1e-07", "0.0"] {
                let end: f64 = lr_end.parse().unwrap_or(0.0);
                let mid = points
                    .iter()
                    .filter(|p| p.0 > w && p.0 < n)
                    .nth(points.len() / 2);
                if let Some(&(x, y)) = mid.or(after(w).as_ref()) {
                    let p = (x - w) as f64 / n.saturating_sub(w).max(1) as f64;
                    let power = ((y - end) / (base - end)).ln() / (1.0 - p).ln();
                    for power in [1.0, nice(power)] {
                        if power.is_finite() && power > 0.0 {
                            add(
                                "polynomial",
                                n,
                                base,
                                w,
                                vec![("lr_end", lr_end.into()), ("power", py_repr(power))],
                            );
                        }
                    }
                }
            }
            if w > 0 {
                add("inverse_sqrt", n, base, w, vec![]);
            }
        }
        add("constant", n, nice(first_y), 0, vec![]);
    }
    torch_trials(points, &mut add, last_x + 1);
    trials
}

/// torch's schedulers, which start at the optimizer's lr and set their own horizon.
fn torch_trials(
    points: &[(u64, f64)],
    add: &mut impl FnMut(&'static str, u64, f64, u64, Vec<(&'static str, String)>),
    steps: u64,
) {
    let (first_x, first_y) = points[0];
    let base = nice(first_y);
    let peak = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    let (last_x, last_y) = points[points.len() - 1];
    let min = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    // Steps where the lr drops by a factor and holds.
    let drops: Vec<(u64, f64)> = points
        .windows(2)
        .filter(|p| p[1].1 < p[0].1 * (1.0 - 1e-9))
        .map(|p| (p[1].0, p[1].1 / p[0].1))
        .collect();
    if first_x == 0 && base > 0.0 {
        if let Some(&(at, ratio)) = drops.first() {
            let gamma = py_repr(nice(ratio));
            add(
                "StepLR",
                steps,
                base,
                0,
                vec![("step_size", at.to_string()), ("gamma", gamma.clone())],
            );
            let milestones: Vec<String> = drops.iter().map(|d| d.0.to_string()).collect();
            add(
                "MultiStepLR",
                steps,
                base,
                0,
                vec![("milestones", milestones.join(",")), ("gamma", gamma)],
            );
        }
        if let Some(&(x, y)) = points.get(1) {
            let gamma = (y / first_y).powf(1.0 / x as f64);
            add(
                "ExponentialLR",
                steps,
                base,
                0,
                vec![("gamma", py_repr(nice(gamma)))],
            );
        }
        // CosineAnnealingLR: eta_min at the trough, T_max from the first row of the decay.
        for eta_min in [0.0, nice(min)] {
            if let Some(&(x, y)) = points.iter().find(|p| p.0 > 0 && p.1 < base) {
                let cos = (2.0 * (y - eta_min) / (base - eta_min) - 1.0).clamp(-1.0, 1.0);
                let t = std::f64::consts::PI * x as f64 / cos.acos();
                if let Some(t) = whole(t.round()) {
                    for t in [t, last_x + 1, last_x] {
                        if t > 0 {
                            add(
                                "CosineAnnealingLR",
                                steps,
                                base,
                                0,
                                vec![("T_max", t.to_string()), ("eta_min", py_repr(eta_min))],
                            );
                        }
                    }
                }
            }
        }
    }
    // OneCycleLR: initial = max_lr / div_factor, peak at pct_start * total - 1, last row the floor.
    // The peak is at step pct_start * total - 1, a float the rows may not hit.
    if first_x == 0 && first_y > 0.0 && peak > first_y {
        let peak_x = points.iter().find(|p| same(p.1, peak)).map_or(0, |p| p.0);
        let total = last_x + 1;
        let mut pcts: Vec<f64> = (1..100)
            .map(|k| k as f64 / 100.0)
            .filter(|p| (p * total as f64 - 1.0 - peak_x as f64).abs() <= 1.0)
            .collect();
        pcts.push(nice((peak_x + 1) as f64 / total as f64));
        for div in [25.0, nice(peak / first_y)] {
            let max_lr = nice(first_y * div);
            for final_div in [1e4, nice(first_y / last_y)] {
                for strategy in ["cos", "linear"] {
                    for &pct in &pcts {
                        add(
                            "OneCycleLR",
                            steps,
                            max_lr,
                            0,
                            vec![
                                ("max_lr", py_repr(max_lr)),
                                ("total_steps", total.to_string()),
                                ("pct_start", py_repr(pct)),
                                ("div_factor", py_repr(div)),
                                ("final_div_factor", py_repr(final_div)),
                                ("anneal_strategy", strategy.into()),
                            ],
                        );
                    }
                }
            }
        }
    }
}

/// The candidates as text: one block each, flags and the library's call.
pub fn to_text(candidates: &[Candidate]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    match candidates.first() {
        None => out.push_str("no built-in explains this log\n"),
        Some(best) if !best.exact => {
            let _ = writeln!(
                out,
                "no built-in explains this log within the tolerance; the closest (largest \
                 relative error {:.2e}):",
                best.max_rel_error
            );
        }
        Some(_) => {}
    }
    for c in candidates {
        let verdict = if c.exact {
            format!("exact (largest relative error {:.2e})", c.max_rel_error)
        } else {
            format!("largest relative error {:.2e}", c.max_rel_error)
        };
        let _ = writeln!(out, "{}: {verdict}", c.schedule);
        let _ = writeln!(out, "  lrsched csv {}", c.args.join(" "));
        let _ = writeln!(out, "  {}", c.python);
    }
    out
}

/// The default tolerance, as `compare`'s.
pub const DEFAULT_TOLERANCE: f64 = TOLERANCE;

#[cfg(test)]
mod tests;
