//! Two schedules side by side (`lrsched diff OLD NEW`): one streaming pass over both, on the
//! engine's threads, gives where they first differ, the largest absolute and relative
//! difference, each one's peak, final lr and lr budget, and (for `--plot`) both curves
//! reduced to screen columns with the columns where they differ marked.
//!
//! The pass runs in segments: the steps both schedules have, then the steps only the longer
//! one has. Where one schedule's home library raises ([`Schedule::error_at`]), the engine
//! stops the run; the schedule that raised is set aside (its summary ends there) and the
//! other goes on from that step alone, so a raising schedule never cuts the other short.

use std::fmt::Write as _;

use serde::Serialize;

use crate::check::Neumaier;
use crate::engine::{Chunk, Engine, Grain, Steps};
use crate::error::{Error, Result};
use crate::format::py_repr;
use crate::output::plot::{Grid, Marks, Reduction, Series};
use crate::schedule::{Point, Schedule};

/// One of the two schedules.
#[derive(Clone, Copy, Debug)]
pub struct Side<'a> {
    /// How the report names it (the config file).
    pub name: &'a str,
    /// What it is, in one line (`Description::text`).
    pub text: &'a str,
    /// The schedule (a run's updates are a schedule too: `run::runtime::Updates`).
    pub schedule: &'a dyn Schedule,
    /// Its steps, `0 .. steps`.
    pub steps: u64,
}

/// How to compare.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Largest relative difference, `|old - new| / max(|old|, |new|)`, that still counts as
    /// equal; 0 asks for the same doubles.
    pub tolerance: f64,
    /// Compare from this step on, as a run resumed at `from` with the new schedule would
    /// see it; the report gives the jump there.
    pub from: u64,
    /// Reduce both curves to this many plot columns.
    pub plot_columns: Option<usize>,
}

/// The same step of both schedules, where they differ.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Difference {
    /// The step.
    pub step: u64,
    /// The old schedule's lr.
    pub old: f64,
    /// The new schedule's lr.
    pub new: f64,
    /// `|old - new|`.
    pub abs: f64,
    /// `|old - new| / max(|old|, |new|)`.
    pub rel: f64,
}

/// Where a schedule's home library raises; its summary covers the steps before.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Raise {
    /// The step.
    pub step: u64,
    /// What the library raises.
    pub message: String,
}

/// What the pass found about one schedule, over the steps it evaluated.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// The name of [`Side::name`].
    pub name: String,
    /// The one-line description.
    pub text: String,
    /// Its steps, `0 .. steps`.
    pub steps: u64,
    /// The first step evaluated (`--from`).
    pub first_step: u64,
    /// The largest lr (NaN never is).
    pub peak_lr: f64,
    /// The first step at which the lr is `peak_lr`.
    pub peak_step: u64,
    /// The lr at the last step evaluated.
    pub final_lr: f64,
    /// The last step evaluated (the one before a raise).
    pub final_step: u64,
    /// The sum of the lr over the steps evaluated, compensated as `check`'s is.
    pub sum_lr: f64,
    /// Where the home library raises, if it does.
    pub raises: Option<Raise>,
}

/// A run resumed at step `step` with the new schedule: the lr the old one used last and
/// the one the new one gives first.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Jump {
    /// The step the run resumes at.
    pub step: u64,
    /// The old schedule's lr at `step - 1`, the last update before the resume.
    pub old_before: f64,
    /// The new schedule's lr at `step`, the first update after it.
    pub new_at: f64,
    /// The old schedule's lr at `step`, what the run would have used without the change.
    pub old_at: f64,
}

/// What comparing two schedules found.
#[derive(Debug, Serialize)]
pub struct Report {
    /// True when every compared step is equal within the tolerance, the schedules have the
    /// same length, and they raise (if at all) at the same step with the same message.
    pub equal: bool,
    /// The relative tolerance (0: exact).
    pub tolerance: f64,
    /// The first step compared.
    pub from: u64,
    /// Steps both schedules have (from `from`, before any raise).
    pub steps_compared: u64,
    /// Compared steps whose lrs differ beyond the tolerance.
    pub steps_differing: u64,
    /// The first of them.
    pub first_difference: Option<Difference>,
    /// The step with the largest `|old - new|` (the first of equals); `None` when every
    /// compared step has the same lr.
    pub largest_abs: Option<Difference>,
    /// The step with the largest relative difference.
    pub largest_rel: Option<Difference>,
    /// The old schedule.
    pub old: Summary,
    /// The new schedule.
    pub new: Summary,
    /// `new.sum_lr / old.sum_lr`.
    pub sum_ratio: f64,
    /// With `from` above 0, the lrs around the resume.
    pub jump: Option<Jump>,
    /// Both curves reduced to plot columns, and the columns where they differ.
    #[serde(skip)]
    pub plot: Option<Plot>,
}

/// What `--plot` draws.
#[derive(Debug)]
pub struct Plot {
    /// The old and the new curve.
    pub series: Vec<Series>,
    /// The columns where they differ.
    pub marks: Marks,
    /// The x axis: the steps of both.
    pub frame: Steps,
}

/// One schedule's part of a chunk (or of the whole run, once merged).
#[derive(Clone, Copy, Debug)]
struct Side1 {
    count: u64,
    peak: f64,
    peak_step: u64,
    last: Option<Point>,
    sum: Neumaier,
}

impl Default for Side1 {
    fn default() -> Self {
        Side1 {
            count: 0,
            peak: f64::NAN,
            peak_step: 0,
            last: None,
            sum: Neumaier::default(),
        }
    }
}

impl Side1 {
    #[inline]
    fn add(&mut self, p: &Point) {
        if p.lr > self.peak || (self.peak.is_nan() && !p.lr.is_nan()) {
            self.peak = p.lr;
            self.peak_step = p.step;
        }
        self.sum.add(p.lr);
        self.count += 1;
        self.last = Some(*p);
    }

    /// Takes in the part of the steps that follow this one's.
    fn merge(&mut self, next: Side1) {
        if next.peak > self.peak || (self.peak.is_nan() && !next.peak.is_nan()) {
            self.peak = next.peak;
            self.peak_step = next.peak_step;
        }
        self.sum.merge(next.sum);
        self.count += next.count;
        self.last = next.last.or(self.last);
    }
}

/// The comparison's part of a chunk.
#[derive(Clone, Copy, Debug, Default)]
struct Pair {
    compared: u64,
    differing: u64,
    first: Option<Difference>,
    largest_abs: Option<Difference>,
    largest_rel: Option<Difference>,
}

impl Pair {
    /// Compares one step; the fast path is two equal doubles.
    #[inline]
    fn add(&mut self, step: u64, old: f64, new: f64, tolerance: f64) {
        self.compared += 1;
        if old == new || (old.is_nan() && new.is_nan()) {
            return;
        }
        let abs = (old - new).abs();
        let scale = old.abs().max(new.abs());
        let rel = abs / scale;
        let d = Difference {
            step,
            old,
            new,
            abs,
            rel,
        };
        // A NaN against a number differs, and is no largest difference.
        if !abs.is_nan() {
            if self.largest_abs.is_none_or(|m| abs > m.abs) {
                self.largest_abs = Some(d);
            }
            if self.largest_rel.is_none_or(|m| rel > m.rel) {
                self.largest_rel = Some(d);
            }
        }
        if rel > tolerance || rel.is_nan() {
            self.differing += 1;
            self.first.get_or_insert(d);
        }
    }

    /// Takes in the part of the steps that follow this one's (ties keep the earlier step).
    fn merge(&mut self, next: Pair) {
        self.compared += next.compared;
        self.differing += next.differing;
        self.first = self.first.or(next.first);
        if let Some(n) = next.largest_abs
            && self.largest_abs.is_none_or(|m| n.abs > m.abs)
        {
            self.largest_abs = Some(n);
        }
        if let Some(n) = next.largest_rel
            && self.largest_rel.is_none_or(|m| n.rel > m.rel)
        {
            self.largest_rel = Some(n);
        }
    }
}

/// A chunk's result: a part for each schedule the segment evaluates, the comparison when it
/// evaluates both, and the plot parts.
struct Part {
    sides: Vec<(usize, Side1)>,
    pair: Option<Pair>,
    reductions: Vec<(usize, Reduction)>,
    marks: Option<Marks>,
}

const OLD: usize = 0;
const NEW: usize = 1;

/// Compares `old` and `new` over their steps from `options.from` on.
pub fn diff(engine: &Engine, old: &Side<'_>, new: &Side<'_>, options: &Options) -> Result<Report> {
    let tolerance = options.tolerance;
    if !(tolerance.is_finite() && tolerance >= 0.0) {
        return Err(Error::input(format!(
            "--tolerance {} must be a relative difference, 0 or more",
            py_repr(tolerance)
        )));
    }
    let from = options.from;
    for (which, side) in [("OLD", old), ("NEW", new)] {
        if from >= side.steps {
            return Err(Error::input(format!(
                "--from {from} is past the last step of {which} ({}), {} (it has {} steps)",
                side.name,
                side.steps - 1,
                side.steps
            )));
        }
    }
    let sides = [old, new];
    let frame = Steps {
        from,
        to: old.steps.max(new.steps),
        every: 1,
    };
    let grid = options
        .plot_columns
        .map(|columns| Grid::new(frame, columns));
    let mut ends = [old.steps, new.steps];
    let mut raises: [Option<Raise>; 2] = [None, None];
    let mut totals = [Side1::default(); 2];
    let mut pair = Pair::default();
    let mut reductions = grid.map(|g| [Reduction::new(g), Reduction::new(g)]);
    let mut marks = grid.map(|g| Marks::new("steps that differ".into(), g));
    let mut position = from;
    loop {
        let active: Vec<usize> = [OLD, NEW]
            .into_iter()
            .filter(|&i| position < ends[i])
            .collect();
        let Some(end) = active.iter().map(|&i| ends[i]).min() else {
            break;
        };
        let schedules: Vec<&dyn Schedule> = active.iter().map(|&i| sides[i].schedule).collect();
        let map = |chunk: &Chunk<'_>| evaluate(chunk, &active, tolerance, grid);
        let fold = |part: Part| {
            for (i, side) in part.sides {
                totals[i].merge(side);
            }
            if let Some(p) = part.pair {
                pair.merge(p);
            }
            if let Some(all) = reductions.as_mut() {
                for (i, r) in part.reductions {
                    all[i].merge(r);
                }
            }
            if let (Some(all), Some(m)) = (marks.as_mut(), part.marks.as_ref()) {
                all.merge(m);
            }
            Ok::<(), std::convert::Infallible>(())
        };
        let steps = Steps {
            from: position,
            to: end,
            every: 1,
        };
        let stop = match engine.run(&schedules, steps, Grain::Reduce, map, fold) {
            Ok(stop) => stop,
            Err(never) => match never {},
        };
        let Some(stop) = stop else {
            position = end;
            continue;
        };
        // The engine names the step, not the schedule: ask each which raises there.
        let k = stop.step;
        let mut named = false;
        for &i in &active {
            let p = sides[i].schedule.at(k);
            if (p.lr.is_nan() || p.multiplier.is_nan())
                && let Some(error) = sides[i].schedule.error_at(k)
            {
                raises[i] = Some(Raise {
                    step: k,
                    message: error.to_string(),
                });
                ends[i] = k;
                named = true;
            }
        }
        if !named {
            let i = active[0];
            raises[i] = Some(Raise {
                step: k,
                message: stop.error.to_string(),
            });
            ends[i] = k;
        }
        position = k;
    }
    let summary = |i: usize| {
        let t = &totals[i];
        let last = t.last;
        Summary {
            name: sides[i].name.to_string(),
            text: sides[i].text.to_string(),
            steps: sides[i].steps,
            first_step: from,
            peak_lr: t.peak,
            peak_step: t.peak_step,
            final_lr: last.map_or(f64::NAN, |p| p.lr),
            final_step: last.map_or(from, |p| p.step),
            sum_lr: t.sum.total(),
            raises: raises[i].clone(),
        }
    };
    let (old_summary, new_summary) = (summary(OLD), summary(NEW));
    let jump = (from > 0).then(|| Jump {
        step: from,
        old_before: old.schedule.at(from - 1).lr,
        new_at: new.schedule.at(from).lr,
        old_at: old.schedule.at(from).lr,
    });
    let equal = pair.differing == 0 && old.steps == new.steps && raises[OLD] == raises[NEW];
    let plot = match (reductions, marks) {
        (Some([r_old, r_new]), Some(marks)) => Some(Plot {
            series: vec![
                Series::from_reduction(format!("old: {}", old.name), r_old),
                Series::from_reduction(format!("new: {}", new.name), r_new),
            ],
            marks,
            frame,
        }),
        _ => None,
    };
    Ok(Report {
        equal,
        tolerance,
        from,
        steps_compared: pair.compared,
        steps_differing: pair.differing,
        first_difference: pair.first,
        largest_abs: pair.largest_abs,
        largest_rel: pair.largest_rel,
        sum_ratio: new_summary.sum_lr / old_summary.sum_lr,
        old: old_summary,
        new: new_summary,
        jump,
        plot,
    })
}

/// Whether `old` and `new` differ beyond `tolerance` (a NaN against a number does; two
/// NaNs do not).
#[inline]
fn differs(old: f64, new: f64, tolerance: f64) -> bool {
    if old == new || (old.is_nan() && new.is_nan()) {
        return false;
    }
    let rel = (old - new).abs() / old.abs().max(new.abs());
    rel > tolerance || rel.is_nan()
}

/// One chunk of a segment: each active schedule's part and, with both, the comparison.
fn evaluate(chunk: &Chunk<'_>, active: &[usize], tolerance: f64, grid: Option<Grid>) -> Part {
    let mut reductions: Vec<(usize, Reduction)> = match grid {
        Some(g) => active.iter().map(|&i| (i, Reduction::new(g))).collect(),
        None => Vec::new(),
    };
    let &[first, ..] = active else {
        return Part {
            sides: Vec::new(),
            pair: None,
            reductions,
            marks: None,
        };
    };
    let (mut old, mut new) = (Side1::default(), Side1::default());
    if active.len() == 2 {
        let mut pair = Pair::default();
        let mut marks = grid.map(|g| Marks::new(String::new(), g));
        let (mut a, mut b) = (chunk.points(0), chunk.points(1));
        // Batch against batch; a run that stops (its library raises) ends the chunk for
        // both, and the other's points from there on are evaluated again in the next
        // segment, alone.
        while let (Some(xs), Some(ys)) = (a.next_batch(), b.next_batch()) {
            let n = xs.len().min(ys.len());
            let (xs, ys, stopped) = (&xs[..n], &ys[..n], xs.len() != ys.len());
            for (x, y) in xs.iter().zip(ys) {
                old.add(x);
                new.add(y);
                pair.add(x.step, x.lr, y.lr, tolerance);
            }
            if let (Some(marks), [(_, r_old), (_, r_new)]) = (&mut marks, &mut reductions[..]) {
                for (x, y) in xs.iter().zip(ys) {
                    r_old.add(*x);
                    r_new.add(*y);
                    if differs(x.lr, y.lr, tolerance) {
                        marks.mark(x.step);
                    }
                }
            }
            if stopped {
                break;
            }
        }
        return Part {
            sides: vec![(OLD, old), (NEW, new)],
            pair: Some(pair),
            reductions,
            marks,
        };
    }
    match reductions.first_mut() {
        Some((_, r)) => chunk.points(0).for_each(|p| {
            old.add(&p);
            r.add(p);
        }),
        None => chunk.points(0).for_each(|p| old.add(&p)),
    }
    Part {
        sides: vec![(first, old)],
        pair: None,
        reductions,
        marks: None,
    }
}

impl Report {
    /// The report as text: both schedules, their summaries side by side, the differences
    /// and a verdict on the last line.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let (old, new) = (&self.old, &self.new);
        let _ = writeln!(out, "old  {}: {}", old.name, old.text);
        let _ = writeln!(out, "new  {}: {}", new.name, new.text);
        out.push('\n');
        let steps = |s: &Summary| {
            let end = s.raises.as_ref().map_or(s.steps, |r| r.step);
            match end.checked_sub(1) {
                Some(last) if last >= s.first_step => format!("{} to {last}", s.first_step),
                _ => "none".to_string(),
            }
        };
        let peak = |s: &Summary| match s.peak_lr.is_nan() {
            true => "nan".to_string(),
            false => format!("{} at step {}", py_repr(s.peak_lr), s.peak_step),
        };
        let rows: [(&str, String, String); 4] = [
            ("steps", steps(old), steps(new)),
            ("peak_lr", peak(old), peak(new)),
            ("final_lr", py_repr(old.final_lr), py_repr(new.final_lr)),
            ("sum_lr", py_repr(old.sum_lr), py_repr(new.sum_lr)),
        ];
        let width = rows
            .iter()
            .map(|r| r.1.chars().count())
            .max()
            .unwrap_or(0)
            .max(3);
        let _ = writeln!(out, "{:<10} {:<width$}  new", "", "old");
        for (name, a, b) in &rows {
            let _ = writeln!(out, "{name:<10} {a:<width$}  {b}");
        }
        let _ = writeln!(
            out,
            "{:<10} {} (new / old)",
            "sum ratio",
            py_repr(self.sum_ratio)
        );
        if let Some(j) = &self.jump {
            let _ = writeln!(
                out,
                "\nresumed at step {}: old's lr at step {} is {}, new's at step {} is {} (old's \
                 at step {} is {})",
                j.step,
                j.step - 1,
                py_repr(j.old_before),
                j.step,
                py_repr(j.new_at),
                j.step,
                py_repr(j.old_at)
            );
        }
        let lines = self.difference_lines();
        if !lines.is_empty() {
            out.push('\n');
        }
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
        out.push('\n');
        out.push_str(&self.verdict());
        out.push('\n');
        out
    }

    fn difference_lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let values = |d: &Difference| format!("old {}, new {}", py_repr(d.old), py_repr(d.new));
        if let Some(d) = &self.first_difference {
            lines.push(format!("first difference  step {}: {}", d.step, values(d)));
        }
        if let Some(d) = &self.largest_abs {
            lines.push(format!(
                "largest absolute  {} at step {}: {}",
                py_repr(d.abs),
                d.step,
                values(d)
            ));
        }
        if let Some(d) = &self.largest_rel {
            lines.push(format!(
                "largest relative  {} at step {}: {}",
                py_repr(d.rel),
                d.step,
                values(d)
            ));
        }
        if self.old.steps != self.new.steps {
            lines.push(format!(
                "lengths differ    old has {} steps, new {}; compared the {} steps both have",
                self.old.steps, self.new.steps, self.steps_compared
            ));
        }
        for (which, s) in [("old", &self.old), ("new", &self.new)] {
            if let Some(r) = &s.raises {
                lines.push(format!(
                    "{which} raises        at step {}: {}",
                    r.step,
                    r.message.replace('\n', "\n  ")
                ));
            }
        }
        lines
    }

    /// The last line: identical, equal within the tolerance, or what differs.
    pub fn verdict(&self) -> String {
        let within = if self.tolerance > 0.0 {
            format!(" beyond relative {}", py_repr(self.tolerance))
        } else {
            String::new()
        };
        if self.equal {
            return if self.tolerance > 0.0 {
                format!(
                    "equal within relative {}: {} steps compared",
                    py_repr(self.tolerance),
                    self.steps_compared
                )
            } else {
                format!("identical: {} steps compared", self.steps_compared)
            };
        }
        let mut reasons = Vec::new();
        if self.steps_differing > 0 {
            reasons.push(format!(
                "{} of {} steps differ{within}",
                self.steps_differing, self.steps_compared
            ));
        }
        if self.old.steps != self.new.steps {
            reasons.push("the lengths differ".to_string());
        }
        match (&self.old.raises, &self.new.raises) {
            (Some(r), None) => reasons.push(format!("old raises at step {}, new does not", r.step)),
            (None, Some(r)) => reasons.push(format!("new raises at step {}, old does not", r.step)),
            (Some(a), Some(b)) if a != b => reasons.push(format!(
                "both raise, old at step {} and new at step {}, differently",
                a.step, b.step
            )),
            _ => {}
        }
        format!("different: {}", reasons.join("; "))
    }
}

#[cfg(test)]
mod tests;
