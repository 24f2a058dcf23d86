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
        let Some(candidate) = score(&mut trial, rows, &map, tolerance) else {
            continue;
        };
        if !candidates.iter().any(|c| c.args == candidate.args) {
            candidates.push(candidate);
        }
    }
    // Exact candidates simplest first (fewest arguments: a default parameter rather than
    // a fitted one), the others by their error.
    candidates.sort_by(|a, b| {
        b.exact.cmp(&a.exact).then(if a.exact {
            a.args
                .len()
                .cmp(&b.args.len())
                .then(a.max_rel_error.total_cmp(&b.max_rel_error))
        } else {
            a.max_rel_error.total_cmp(&b.max_rel_error)
        })
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

/// Scores the trial; when it misses, scores it again with the base lr that puts it through
/// the log's highest row (a log every k steps may never show the peak itself).
fn score(trial: &mut Trial, rows: &[Row], map: &StepMap<'_>, tolerance: f64) -> Option<Candidate> {
    let (candidate, refit) = score_once(trial, rows, map, tolerance)?;
    if candidate.exact {
        return Some(candidate);
    }
    let base = nice(refit);
    if base == trial.base_lr || !(base.is_finite() && base > 0.0) {
        return Some(candidate);
    }
    let first = trial.base_lr;
    trial.base_lr = base;
    for (name, value) in &mut trial.params {
        // OneCycleLR's peak is its max_lr, which moves with it.
        if *name == "max_lr" {
            *value = py_repr(base);
        }
    }
    match score_once(trial, rows, map, tolerance) {
        Some((again, _)) if again.max_rel_error < candidate.max_rel_error => Some(again),
        _ => {
            trial.base_lr = first;
            Some(candidate)
        }
    }
}

/// Builds the trial as lrsched would from its arguments and compares it with the log; also
/// gives the base lr that would match the log's highest row.
fn score_once(
    trial: &Trial,
    rows: &[Row],
    map: &StepMap<'_>,
    tolerance: f64,
) -> Option<(Candidate, f64)> {
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
    let schedule = description.schedule();
    let last = schedule.last_defined_step();
    if last.is_some_and(|last| {
        rows.iter()
            .any(|r| map.apply(r.step).is_some_and(|s| s > last))
    }) {
        return None;
    }
    let max_rel_error = max_rel_error(
        rows,
        schedule,
        trial.steps.max(rows.last().map_or(0, |r| r.step + 1)),
        map,
    )?;
    let highest = rows.iter().max_by(|a, b| a.lr.total_cmp(&b.lr))?;
    let at = schedule.at(map.apply(highest.step)?).lr;
    let refit = trial.base_lr * highest.lr / at;
    Some((
        Candidate {
            schedule: trial.schedule.to_string(),
            args: args(trial),
            python: python(trial),
            max_rel_error,
            exact: max_rel_error <= tolerance,
        },
        refit,
    ))
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
        Ok(entry) if entry.library == registry::Library::DeepSpeed => {
            kwargs.push(format!("warmup_num_steps={}", trial.warmup));
            if trial.schedule.ends_with("DecayLR") {
                kwargs.push(format!("total_num_steps={}", trial.steps));
            }
            entry
                .upstream
                .split('(')
                .next()
                .unwrap_or(entry.upstream)
                .to_string()
        }
        Ok(entry) => entry
            .upstream
            .split('(')
            .next()
            .unwrap_or(entry.upstream)
            .to_string(),
        Err(_) => trial.schedule.to_string(),
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
        if let Ok(y) = format!("{x:.*e}", digits - 1).parse::<f64>()
            && (y - x).abs() <= 1e-10 * x.abs().max(f64::MIN_POSITIVE)
        {
            return y;
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
    // The horizon: the trainer's max_steps, or one past the last row.
    let mut horizons = vec![last_x + 1];
    if let Some(m) = info.max_steps {
        horizons.insert(0, m);
    }
    // Linear warmups with the lr they rise to: step * peak / lr at the first rising row,
    // and the peak's step, when the peak is logged.
    let mut warmups = vec![(0, nice(peak))];
    if first_y < peak {
        let rising: Vec<&(u64, f64)> = points
            .iter()
            .take_while(|p| p.0 < peak_x)
            .filter(|p| p.0 > 0 && p.1 > 0.0)
            .collect();
        if let Some(w) = rising
            .first()
            .and_then(|&&(x, y)| whole(x as f64 * peak / y))
        {
            warmups.push((w, nice(peak)));
        }
        warmups.push((peak_x, nice(peak)));
        // A log every k steps may miss the peak: the rows on the ramp give base_lr / W,
        // and W lies between the last of them and the next row.
        if let Some(&&(x, y)) = rising.first() {
            let slope = y / x as f64;
            let on_ramp = |p: &&(u64, f64)| p.0 > 0 && same(p.1 / p.0 as f64, slope);
            if let Some(last) = points.iter().rfind(on_ramp) {
                let next = points
                    .iter()
                    .find(|p| p.0 > last.0)
                    .map_or(last.0 + 1, |p| p.0);
                for w in (last.0 + 1..=next).take(64) {
                    warmups.push((w, nice(slope * w as f64)));
                }
            }
        }
    }
    // A trainer state's first row may come after the whole warmup.
    if points[0].0 > 0 && same(first_y, peak) {
        for w in (1..=points[0].0).take(64) {
            warmups.push((w, nice(peak)));
        }
    } else if points[0].0 > 0 {
        for w in (1..=points[0].0).take(64) {
            warmups.push((w, nice(first_y)));
        }
    }
    warmups.dedup();
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
        for &(w, base) in &warmups {
            let after = |w: u64| {
                points
                    .iter()
                    .find(|p| p.0 > w && p.1 < base * (1.0 - 1e-9))
                    .copied()
            };
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
            // With the base lr unseen, the rate comes from the ratio of the first decaying
            // row and the last: y = B (r + (1 - r) c), one equation in r once B cancels.
            let cosine = |x: u64| {
                let p = x.saturating_sub(w) as f64 / n.saturating_sub(w).max(1) as f64;
                0.5 * (1.0 + (std::f64::consts::PI * p).cos())
            };
            let from_last = |c2: f64| (last_y / base - c2) / (1.0 - c2);
            let from_ratio = |(x1, y1): (u64, f64)| {
                let (c1, c2) = (cosine(x1), cosine(last_x));
                (last_y * c1 - y1 * c2) / (y1 * (1.0 - c2) - last_y * (1.0 - c1))
            };
            let mut rates = vec![from_last(cosine(last_x))];
            if let Some(row) = points.iter().find(|p| p.0 >= w && p.0 < last_x) {
                rates.push(from_ratio(*row));
            }
            for r in rates.into_iter().filter(|_| last_x > w) {
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
            // Both power and lr_end unknown: y = (B - E) q + E with q = (1 - p)^power gives
            // E from each row for a power; the power is where two rows agree on E.
            let decaying: Vec<(u64, f64)> = points
                .iter()
                .filter(|p| p.0 > w && p.0 < n)
                .copied()
                .collect();
            if decaying.len() >= 3 {
                let (r1, r2) = (
                    decaying[decaying.len() / 3],
                    decaying[2 * decaying.len() / 3],
                );
                let end_at = |power: f64, (x, y): (u64, f64)| {
                    let q = (1.0 - (x - w) as f64 / n.saturating_sub(w).max(1) as f64).powf(power);
                    (y - base * q) / (1.0 - q)
                };
                let gap = |power: f64| end_at(power, r1) - end_at(power, r2);
                let (mut lo, mut hi) = (0.01f64.ln(), 100f64.ln());
                if gap(lo.exp()).signum() != gap(hi.exp()).signum() {
                    for _ in 0..200 {
                        let mid = 0.5 * (lo + hi);
                        if gap(mid.exp()).signum() == gap(lo.exp()).signum() {
                            lo = mid;
                        } else {
                            hi = mid;
                        }
                    }
                    let power = nice(lo.exp());
                    let end = nice(end_at(power, r1));
                    if power.is_finite() && end.is_finite() && end >= 0.0 && end < base {
                        add(
                            "polynomial",
                            n,
                            base,
                            w,
                            vec![("lr_end", py_repr(end)), ("power", py_repr(power))],
                        );
                    }
                }
            }
            if w > 0 {
                add("inverse_sqrt", n, base, w, vec![]);
            }
            // inverse_sqrt's timescale t from m^2 = t / (s + t - W).
            if let Some((x, y)) = after(w) {
                let m2 = (y / base).powi(2);
                let t = m2 * (x - w) as f64 / (1.0 - m2);
                if t.is_finite() && t > 0.0 {
                    add(
                        "inverse_sqrt",
                        n,
                        base,
                        w,
                        vec![("timescale", py_repr(nice(t)))],
                    );
                }
            }
            // Warmup, stable at the peak, then a decay over the rest of the horizon.
            let stable_end = points
                .iter()
                .rev()
                .find(|p| same(p.1, peak))
                .map_or(0, |p| p.0 + 1);
            if stable_end > w && stable_end < n {
                // The decay's first step is still at the peak (its shape is 1 at 0).
                for d in [n - stable_end + 1, n - stable_end] {
                    for decay in ["linear", "cosine", "1-sqrt"] {
                        add(
                            "warmup_stable_decay",
                            n,
                            base,
                            w,
                            vec![
                                ("num_decay_steps", d.to_string()),
                                ("decay_type", decay.into()),
                            ],
                        );
                    }
                }
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
    if first_x == 0 && first_y > 0.0 {
        // The first step where the lr reaches its last value, and where it changes.
        let settles = points.iter().find(|p| same(p.1, last_y)).map_or(0, |p| p.0);
        let changes = points.iter().find(|p| !same(p.1, first_y)).map(|p| p.0);
        // LinearLR: a ramp from start_factor to end_factor over total_iters, then constant.
        if settles > 0 {
            let total = settles.to_string();
            if last_y > first_y {
                let start = py_repr(nice(first_y / last_y));
                add(
                    "LinearLR",
                    steps,
                    nice(last_y),
                    0,
                    vec![("start_factor", start), ("total_iters", total.clone())],
                );
            } else {
                let end = py_repr(nice(last_y / first_y));
                add(
                    "LinearLR",
                    steps,
                    base,
                    0,
                    vec![
                        ("start_factor", "1.0".into()),
                        ("end_factor", end),
                        ("total_iters", total.clone()),
                    ],
                );
            }
        }
        // ConstantLR: factor until total_iters, then the optimizer's lr.
        if let Some(at) = changes
            && last_y > first_y
        {
            let factor = py_repr(nice(first_y / last_y));
            add(
                "ConstantLR",
                steps,
                nice(last_y),
                0,
                vec![("factor", factor), ("total_iters", at.to_string())],
            );
        }
        // PolynomialLR: to 0 at total_iters; the power from a row half way there.
        let zero = points.iter().find(|p| p.1 == 0.0).map(|p| p.0);
        let total = zero.or_else(|| {
            let &(x, y) = points.iter().find(|p| p.0 > 0 && p.1 < first_y)?;
            whole(x as f64 / (1.0 - y / first_y))
        });
        // A horizon past the log: T and the power from two rows, where
        // ln(y1/B) / ln(y2/B) = ln(1 - x1/T) / ln(1 - x2/T).
        let mut totals: Vec<u64> = total.into_iter().collect();
        let falling: Vec<(u64, f64)> = points
            .iter()
            .filter(|p| p.0 > 0 && p.1 > 0.0 && p.1 < first_y)
            .copied()
            .collect();
        if zero.is_none() && falling.len() >= 2 {
            let ((x1, y1), (x2, y2)) = (falling[0], falling[falling.len() - 1]);
            let target = (y1 / first_y).ln() / (y2 / first_y).ln();
            let gap = |t: f64| (1.0 - x1 as f64 / t).ln() / (1.0 - x2 as f64 / t).ln() - target;
            let (mut lo, mut hi) = (x2 as f64 + 1e-9, 1000.0 * (x2 as f64 + 1.0));
            if gap(lo).signum() != gap(hi).signum() {
                for _ in 0..200 {
                    let mid = 0.5 * (lo + hi);
                    if gap(mid).signum() == gap(lo).signum() {
                        lo = mid;
                    } else {
                        hi = mid;
                    }
                }
                totals.push(lo.round() as u64);
            }
        }
        for total in totals.into_iter().filter(|&t| t > 0) {
            let decaying: Vec<&(u64, f64)> = points
                .iter()
                .filter(|p| p.0 > 0 && p.0 < total && p.1 > 0.0)
                .collect();
            let mid = decaying.get(decaying.len() / 2).copied();
            let mut powers = vec![1.0];
            if let Some(&(x, y)) = mid {
                powers.push(nice(
                    (y / first_y).ln() / (1.0 - x as f64 / total as f64).ln(),
                ));
            }
            for power in powers.into_iter().filter(|p| p.is_finite() && *p > 0.0) {
                add(
                    "PolynomialLR",
                    steps,
                    base,
                    0,
                    vec![
                        ("total_iters", total.to_string()),
                        ("power", py_repr(power)),
                    ],
                );
            }
        }
        // CosineAnnealingWarmRestarts: restarts where the lr jumps back up.
        let restarts: Vec<u64> = points
            .windows(2)
            .filter(|p| p[1].1 > p[0].1 * (1.0 + 1e-9))
            .map(|p| p[1].0)
            .collect();
        if let Some(&t0) = restarts.first() {
            let t_mult = match restarts.get(1) {
                Some(&second) => whole((second - t0) as f64 / t0 as f64).unwrap_or(1).max(1),
                None => 1,
            };
            for eta_min in [0.0, nice(min)] {
                add(
                    "CosineAnnealingWarmRestarts",
                    steps,
                    base,
                    0,
                    vec![
                        ("T_0", t0.to_string()),
                        ("T_mult", t_mult.to_string()),
                        ("eta_min", py_repr(eta_min)),
                    ],
                );
            }
        }
    }
    // DeepSpeed's WarmupLR and WarmupDecayLR: absolute lrs from warmup_min_lr to
    // warmup_max_lr, at the peak from iteration W on (step W + 1).
    let peak_x = points.iter().find(|p| same(p.1, peak)).map_or(0, |p| p.0);
    if first_x == 0 && peak > first_y && peak_x >= 2 {
        for w in [peak_x - 1, peak_x] {
            for kind in ["log", "linear"] {
                let params = vec![
                    ("warmup_min_lr", py_repr(nice(first_y))),
                    ("warmup_max_lr", py_repr(nice(peak))),
                    ("warmup_type", kind.to_string()),
                ];
                add("deepspeed:WarmupLR", steps, 0.1, w, params.clone());
                add("deepspeed:WarmupDecayLR", steps, 0.1, w, params);
            }
        }
    }
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
