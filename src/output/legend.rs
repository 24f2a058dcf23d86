//! Legend labels: one schedule is named by its description; overlaid schedules are named
//! by what tells each apart from the others (the file it came from, the parameters, steps,
//! base lr or warmup that differ), not `cosine` twice.

use std::path::Path;

use crate::description::{Description, ScheduleKind};
use crate::format::py_repr;
use crate::schedule::params::Value;

/// Where a schedule of a plot was described.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `--schedule`, `--expr` and the other flags.
    Flags,
    /// `--config PATH`, as the user wrote the path (`-` for stdin).
    Config(String),
    /// `--expr-file PATH`, as the user wrote the path (`-` for stdin).
    ExprFile(String),
}

/// One thing a description says, as a legend shows it.
type Facet = fn(&Description) -> String;

/// Expressions longer than this are cut short (with `…`) in a legend.
const MAX_EXPR: usize = 60;

/// The legend label of each schedule, in order.
///
/// One schedule is its name or expression with its warmup (an expression read from a file
/// is the file's name). Several are each their name, then in parentheses whatever differs
/// between them: steps, base lr and warmup across all of them, parameters across those of
/// the same built-in. A config file's name comes first (`a.json: cosine`); schedules that
/// still read alike are numbered by their place on the command line (`#2`).
pub fn labels(schedules: &[(&Description, Origin)]) -> Vec<String> {
    let names: Vec<Option<String>> = file_names(schedules);
    if let [(description, origin)] = schedules {
        return vec![match origin {
            Origin::ExprFile(_) => {
                let name = names[0].clone().unwrap_or_default();
                match description.ctx().warmup {
                    0 => name,
                    w => format!("{name} (warmup {w})"),
                }
            }
            _ => shorten(&description.label()),
        }];
    }
    let differs = |facet: &dyn Fn(&Description) -> String, among: &[usize]| {
        among
            .iter()
            .any(|&j| facet(schedules[j].0) != facet(schedules[among[0]].0))
    };
    let all: Vec<usize> = (0..schedules.len()).collect();
    let shared: Vec<(&str, Facet)> = [
        ("steps", (|d| d.ctx().steps.to_string()) as Facet),
        ("base lr", |d| py_repr(d.ctx().base_lr)),
        ("warmup", |d| d.ctx().warmup.to_string()),
    ]
    .into_iter()
    .filter(|(_, facet)| differs(facet, &all))
    .collect();
    let mut labels: Vec<String> = schedules
        .iter()
        .enumerate()
        .map(|(i, (description, origin))| {
            let mut facets: Vec<String> = shared
                .iter()
                .map(|(name, facet)| format!("{name} {}", facet(description)))
                .collect();
            let name = match description.kind() {
                ScheduleKind::Builtin { entry, params } => {
                    let same: Vec<usize> = all
                        .iter()
                        .copied()
                        .filter(|&j| match schedules[j].0.kind() {
                            ScheduleKind::Builtin { entry: other, .. } => other == entry,
                            ScheduleKind::Expr(_) => false,
                        })
                        .collect();
                    for (key, value) in params.iter() {
                        let of = |d: &Description| match d.kind() {
                            ScheduleKind::Builtin { params, .. } => {
                                params.value(key).map(set_form).unwrap_or_default()
                            }
                            ScheduleKind::Expr(_) => String::new(),
                        };
                        if differs(&of, &same) {
                            let value = value.map(set_form).unwrap_or_else(|| "None".into());
                            facets.push(format!("{key}={value}"));
                        }
                    }
                    Some(entry.to_string())
                }
                ScheduleKind::Expr(source) => match origin {
                    Origin::ExprFile(_) => None,
                    _ => Some(shorten(source)),
                },
            };
            let mut label = match (&names[i], origin, name) {
                (Some(file), Origin::ExprFile(_), _) => file.clone(),
                (Some(file), _, Some(name)) => format!("{file}: {name}"),
                (_, _, name) => name.unwrap_or_default(),
            };
            if !facets.is_empty() {
                label.push_str(&format!(" ({})", facets.join(", ")));
            }
            label
        })
        .collect();
    let alike: Vec<bool> = labels
        .iter()
        .map(|l| labels.iter().filter(|m| *m == l).count() > 1)
        .collect();
    for (i, label) in labels.iter_mut().enumerate() {
        if alike[i] {
            label.push_str(&format!(" #{}", i + 1));
        }
    }
    labels
}

/// Each schedule's file as a legend names it: its file name, or the path as written where
/// two files share a name; `stdin` for `-`.
fn file_names(schedules: &[(&Description, Origin)]) -> Vec<Option<String>> {
    let path = |origin: &Origin| match origin {
        Origin::Flags => None,
        Origin::Config(path) | Origin::ExprFile(path) => Some(path.clone()),
    };
    let short = |path: &str| {
        if path == "-" {
            return "stdin".to_string();
        }
        Path::new(path)
            .file_name()
            .map_or_else(|| path.to_string(), |n| n.to_string_lossy().into_owned())
    };
    let paths: Vec<Option<String>> = schedules.iter().map(|(_, o)| path(o)).collect();
    paths
        .iter()
        .map(|p| {
            let p = p.as_deref()?;
            let clash = paths
                .iter()
                .flatten()
                .any(|other| other != p && short(other) == short(p));
            Some(if clash { p.to_string() } else { short(p) })
        })
        .collect()
}

/// A parameter's value as `--set` takes it: `0.5`, `30,80`, `linear`.
fn set_form(value: &Value) -> String {
    match value {
        Value::Str(s) => s.clone(),
        Value::IntList(v) => v.iter().map(i64::to_string).collect::<Vec<_>>().join(","),
        other => other.to_string(),
    }
}

/// An expression on one line, cut to [`MAX_EXPR`] characters.
fn shorten(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= MAX_EXPR {
        return line;
    }
    let mut cut: String = line.chars().take(MAX_EXPR - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::description::Partial;
    use crate::error::Result;
    use crate::schedule::params::Raw;

    fn cosine(params: &[(&str, &str)], base_lr: f64) -> Result<Description> {
        Partial {
            schedule: Some("cosine".into()),
            base_lr: Some(base_lr),
            params: params
                .iter()
                .map(|(k, v)| (k.to_string(), Raw::Text(v.to_string())))
                .collect(),
            ..Partial::default()
        }
        .resolve()
    }

    #[test]
    fn overlays_are_named_by_what_differs() -> Result<()> {
        let a = cosine(&[], 0.1)?;
        let b = cosine(&[("num_cycles", "1")], 0.1)?;
        let c = cosine(&[], 0.01)?;
        assert_eq!(
            labels(&[
                (&a, Origin::Config("runs/a.json".into())),
                (&b, Origin::Config("b.json".into())),
            ]),
            [
                "a.json: cosine (num_cycles=0.5)",
                "b.json: cosine (num_cycles=1.0)"
            ]
        );
        assert_eq!(
            labels(&[(&a, Origin::Flags), (&c, Origin::Flags)]),
            ["cosine (base lr 0.1)", "cosine (base lr 0.01)"]
        );
        assert_eq!(
            labels(&[(&a, Origin::Flags), (&a, Origin::Flags)]),
            ["cosine #1", "cosine #2"]
        );
        assert_eq!(
            labels(&[
                (&a, Origin::Config("x/lr.json".into())),
                (&a, Origin::Config("y/lr.json".into())),
            ]),
            ["x/lr.json: cosine", "y/lr.json: cosine"]
        );
        Ok(())
    }

    #[test]
    fn one_schedule_keeps_its_label_and_long_expressions_are_cut() -> Result<()> {
        let warm = Partial {
            expr: Some("def f(step):\n    return 1.0\n".into()),
            warmup: Some(5),
            ..Partial::default()
        }
        .resolve()?;
        assert_eq!(
            labels(&[(&warm, Origin::ExprFile("lr.py".into()))]),
            ["lr.py (warmup 5)"]
        );
        assert_eq!(
            labels(&[(&warm, Origin::Flags)]),
            ["def f(step): return 1.0 (warmup 5)"]
        );
        let long = format!("1{}", " + 0".repeat(40));
        let d = Partial {
            expr: Some(long),
            ..Partial::default()
        }
        .resolve()?;
        let label = &labels(&[(&d, Origin::Flags)])[0];
        assert_eq!(label.chars().count(), MAX_EXPR);
        assert!(label.ends_with('…'));
        Ok(())
    }
}
