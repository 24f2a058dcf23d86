//! `lrsched check`: one streaming pass over a schedule's steps gives its summary (first,
//! peak, final, min, mean and sum of the lr), the built-in failures (a NaN, infinite or
//! negative lr, a step the home library raises at) and warnings (see [`Warning`]); then the
//! user's assertions are evaluated over the summary. Memory stays constant, whatever the
//! number of steps.
//!
//! With a run ([`check_run`], `--samples`), the pass goes over the run's optimizer updates
//! instead, each with the lr its runtime gives it, and the report carries the run's
//! derivation.
//!
//! `summary` holds the pass, `warnings` what it warns about and their [`Kind`]s, `lints`
//! the warnings about the description and the run, `assertions` the `--assert`
//! expressions, and `report` the text and JSON of what was found.

mod assertions;
mod lints;
mod report;
mod summary;
#[cfg(test)]
mod tests;
mod warnings;

pub use assertions::{ASSERT_VARIABLES, Assertion, Outcome};
pub use report::{Report, RunInfo};
pub(crate) use summary::Neumaier;
pub use summary::{FAULT_KINDS, Fault, SUMMARY_NAMES, Summary};
pub use warnings::{Kind, Warning};

use lints::{RunScope, Scope};
use summary::Pass;

use crate::description::Description;
use crate::engine::{Chunk, Engine, Grain, Steps};
use crate::error::{Error, Result};
use crate::run::Derivation;
use crate::run::runtime::Runtime;
use crate::schedule::{Context, Point, Schedule};

/// How the warnings count: `--strict` fails on them, `--allow` drops kinds of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// Warnings fail the check.
    pub strict: bool,
    /// Kinds of warning left out of the report.
    pub allow: Vec<Kind>,
}

/// Builds the schedule of `description`, runs the pass on the engine's threads, adds the
/// lints about the description and evaluates `assertions`.
pub fn check(
    engine: &Engine,
    description: &Description,
    assertions: &[Assertion],
    options: &Options,
) -> Result<Report> {
    let mut report = evaluate(
        engine,
        description.schedule(),
        description.ctx(),
        assertions,
        options.strict,
    );
    let scope = Scope {
        description,
        run: None,
    };
    for warning in &mut report.warnings {
        // The pass knows the steps, the description what made them.
        if let Warning::ZeroLr { runs, why, .. } = warning {
            *why = lints::zero_why(description, runs);
        }
    }
    report
        .warnings
        .extend(lints::lints(&scope, &report.summary));
    finish(&mut report, options);
    Ok(report)
}

/// The run's derivation in one line, as `check` prints it and both `check --format json`
/// and `lrsched json` write it under `"derivation"`: [`Derivation::summary`], where a
/// schedule with a warmup of its own (DeepSpeed's `warmup_num_steps`) names that warmup
/// instead of the run's "no warmup".
pub fn derivation_text(description: &Description, derivation: &Derivation) -> String {
    match lints::own_warmup(description) {
        Some(warmup) if derivation.num_warmup_steps.value == 0 => {
            derivation.summary_with_warmup(&warmup)
        }
        _ => derivation.summary(),
    }
}

/// Orders the warnings by kind and drops the allowed ones.
fn finish(report: &mut Report, options: &Options) {
    report.warnings.sort_by_key(Warning::kind);
    report
        .warnings
        .retain(|w| !options.allow.contains(&w.kind()));
    report.allowed = options.allow.clone();
}

/// Checks a run: the lr each of its optimizer updates gets from `runtime` (the summary's
/// steps are the updates, as `lrsched table --samples` numbers its rows), the lints about
/// the run, and `assertions`, whose `steps` is the number of updates.
pub fn check_run(
    description: &Description,
    derivation: &Derivation,
    runtime: &Runtime,
    assertions: &[Assertion],
    options: &Options,
) -> Result<Report> {
    let updates = derivation.total_updates.value;
    if updates == 0 {
        return Err(Error::input(format!(
            "the run makes no optimizer update, so there is nothing to check: {}",
            derivation.summary()
        )));
    }
    let schedule = description.schedule();
    let map = runtime.map(derivation, crate::run::scheduler_cap(description))?;
    let last_step = map.scheduler_step(updates - 1);
    let own = description.ctx();
    let horizon = schedule
        .horizon()
        .and_then(|h| map.first_update_at(h, updates));
    // The warmup's hand-over is a step of the schedule; it is one update only when every
    // update is one step.
    let warmup = if runtime.is_identity() { own.warmup } else { 0 };
    let ctx = Context {
        steps: updates,
        base_lr: own.base_lr,
        warmup,
    };
    let mut pass = Pass::new(&ctx, horizon, None);
    let mut raises = None;
    for x in map.lrs(schedule, updates) {
        if x.point.lr.is_nan()
            && let Some(error) = schedule.error_at(x.point.step)
        {
            raises = Some(Fault::Raises {
                step: x.update,
                message: error.to_string(),
            });
            break;
        }
        pass.add(&Point {
            step: x.update,
            ..x.point
        });
    }
    let (summary, mut warnings, mut failures, zeros) = pass.finish();
    failures.extend(raises);
    if let Some(last) = schedule.last_defined_step()
        && last_step > last
    {
        warnings.push(Warning::PastDefinedEnd {
            step: map.first_update_at(last + 1, updates).unwrap_or(0),
            last,
        });
    }
    let scope = Scope {
        description,
        run: Some(RunScope {
            derivation,
            map: &map,
            updates,
            scheduler_steps: last_step + 1,
        }),
    };
    warnings.extend(lints::zero_lr(&scope, zeros, updates));
    warnings.extend(lints::lints(&scope, &summary));
    let outcomes = assertions::evaluate(
        assertions,
        &summary,
        &Context {
            warmup: own.warmup,
            ..ctx
        },
    );
    let mut report = Report {
        summary,
        outcomes,
        warnings,
        failures,
        strict: options.strict,
        allowed: Vec::new(),
        run: Some(RunInfo::new(
            derivation_text(description, derivation),
            derivation,
            runtime,
        )),
    };
    finish(&mut report, options);
    Ok(report)
}

/// Runs the pass over steps `0 .. ctx.steps` of `schedule` and evaluates `assertions`.
/// Where the schedule's home library raises, the pass ends there and the check fails with
/// [`Fault::Raises`].
pub fn evaluate(
    engine: &Engine,
    schedule: &dyn Schedule,
    ctx: &Context,
    assertions: &[Assertion],
    strict: bool,
) -> Report {
    let horizon = schedule.horizon();
    let map = |chunk: &Chunk<'_>| {
        let mut pass = Pass::new(ctx, horizon, chunk.previous(0));
        chunk.points(0).for_each(|p| pass.add(&p));
        pass
    };
    let mut pass = Pass::new(ctx, horizon, None);
    let merge = |chunk| {
        pass.merge(chunk);
        Ok::<(), std::convert::Infallible>(())
    };
    let stop = match engine.run(
        &[schedule],
        Steps::all(ctx.steps),
        Grain::Reduce,
        map,
        merge,
    ) {
        Ok(stop) => stop,
        Err(never) => match never {},
    };
    let (summary, mut warnings, mut failures, zeros) = pass.finish();
    if let Some(stop) = stop {
        failures.push(Fault::Raises {
            step: stop.step,
            message: stop.error.to_string(),
        });
    }
    if zeros.count > 0 && !zeros.only_first() {
        warnings.push(Warning::ZeroLr {
            count: zeros.count,
            of: ctx.steps,
            runs: zeros.runs,
            more: zeros.more,
            unit: "step",
            why: None,
        });
    }
    if let Some(last) = schedule.last_defined_step()
        && ctx.steps.saturating_sub(1) > last
    {
        warnings.push(Warning::PastDefinedEnd {
            step: last + 1,
            last,
        });
    }
    let outcomes = assertions::evaluate(assertions, &summary, ctx);
    Report {
        summary,
        outcomes,
        warnings,
        failures,
        strict,
        allowed: Vec::new(),
        run: None,
    }
}
