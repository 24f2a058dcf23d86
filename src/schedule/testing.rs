//! Test helpers shared by the built-ins' unit tests: a schedule by name and `--set` values,
//! evaluated through the description layer as the command line does.

use crate::description::Partial;
use crate::schedule::params::Raw;

/// The first `steps` lrs of `schedule` with `set`, or the error message.
pub(crate) fn lrs(schedule: &str, set: &[(&str, &str)], steps: u64) -> Result<Vec<f64>, String> {
    let partial = Partial {
        schedule: Some(schedule.to_string()),
        steps: Some(steps),
        params: set
            .iter()
            .map(|(k, v)| (k.to_string(), Raw::Text(v.to_string())))
            .collect(),
        ..Partial::default()
    };
    let description = partial.resolve().map_err(|e| e.to_string())?;
    Ok(description
        .schedule()
        .points(0)
        .take(steps as usize)
        .map(|p| p.lr)
        .collect())
}

/// Why `schedule` with `set` is refused, or `accepted: [lrs]`.
pub(crate) fn error(schedule: &str, set: &[(&str, &str)]) -> String {
    match lrs(schedule, set, 10) {
        Ok(v) => format!("accepted: {v:?}"),
        Err(e) => e,
    }
}
