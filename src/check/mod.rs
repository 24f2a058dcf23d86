//! `lrsched check`: one streaming pass over a schedule's steps gives its summary (first,
//! peak, final, min, mean and sum of the lr), the built-in failures (a NaN, infinite or
//! negative lr, a step the home library raises at) and warnings (see [`Warning`]); then the
//! user's assertions are evaluated over the summary. Memory stays constant, whatever the
//! number of steps.
//!
//! `summary` holds the pass, `warnings` what it warns about, `assertions` the `--assert`
//! expressions, and `report` the text and JSON of what was found.

mod assertions;
mod report;
mod summary;
#[cfg(test)]
mod tests;
mod warnings;

pub use assertions::{ASSERT_VARIABLES, Assertion, Outcome};
pub use report::Report;
pub(crate) use summary::Neumaier;
pub use summary::{Fault, SUMMARY_NAMES, Summary};
pub use warnings::Warning;

use summary::Pass;

use crate::description::Description;
use crate::engine::{Chunk, Engine, Grain, Steps};
use crate::error::Result;
use crate::schedule::{Context, Schedule};

/// Builds the schedule of `description`, runs the pass on the engine's threads and
/// evaluates `assertions`.
pub fn check(
    engine: &Engine,
    description: &Description,
    assertions: &[Assertion],
    strict: bool,
) -> Result<Report> {
    Ok(evaluate(
        engine,
        description.schedule(),
        description.ctx(),
        assertions,
        strict,
    ))
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
    let (summary, mut warnings, mut failures) = pass.finish();
    if let Some(stop) = stop {
        failures.push(Fault::Raises {
            step: stop.step,
            message: stop.error.to_string(),
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
    }
}
