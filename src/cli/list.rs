//! `lrsched list`: the catalogue of built-in schedules, from the registry.

use std::io::Write;

use lrsched::error::Result;
use lrsched::format::wrap;
use lrsched::schedule::params::ParamKind;
use lrsched::schedule::registry::{self, Entry, Library};

use super::ListArgs;

/// Width that descriptions are wrapped to.
const WIDTH: usize = 80;

/// Writes the catalogue grouped by library, one library's schedules (`list torch`), one
/// schedule in detail (`list cosine`, `list torch:StepLR`), or the README's Markdown table.
/// A library's name wins over a schedule's of the same spelling.
pub fn list(args: &ListArgs, out: &mut dyn Write) -> Result<()> {
    if args.markdown {
        return markdown(out);
    }
    if args.runtimes {
        return lrsched::run::runtime::write_rules(out, WIDTH);
    }
    match args.name.as_deref() {
        Some(name) => match registry::library(name) {
            Some(library) => group(library, out),
            None => detail(registry::find(name)?, out),
        },
        None => catalogue(out),
    }
}

/// Every library's group, then how to go further.
fn catalogue(out: &mut dyn Write) -> Result<()> {
    for library in registry::libraries() {
        group(library, out)?;
        writeln!(out)?;
    }
    for text in [
        "--expr EXPR: your own multiplier, as LambdaLR(lambda step: EXPR), or a pasted \
         Python lambda or def",
        "Any schedule can be written LIBRARY:NAME (torch:StepLR); a bare name means \
         transformers' or torch's schedule of that name, else the only one of that name.",
        "lrsched list LIBRARY lists one library; lrsched list NAME shows a schedule's formula, \
         parameters and defaults.",
    ] {
        for line in wrap(text, 80) {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// A library's heading and its schedules, one a line, names aligned within the library so
/// that the catalogue reads as one table.
fn group(library: Library, out: &mut dyn Write) -> Result<()> {
    let entries: Vec<&Entry> = registry::entries()
        .filter(|e| e.library == library)
        .collect();
    let width = entries
        .iter()
        .map(|e| e.to_string().len())
        .max()
        .unwrap_or(0);
    writeln!(out, "{library} ({})", library.heading())?;
    // Summaries wrap so that the catalogue fits 80 columns beside the library's longest name.
    let room = 80usize.saturating_sub(width + 3).max(30);
    for e in entries {
        for (i, line) in wrap(e.summary, room).iter().enumerate() {
            let name = if i == 0 { e.to_string() } else { String::new() };
            writeln!(out, "  {name:<width$} {line}")?;
        }
    }
    Ok(())
}

fn markdown(out: &mut dyn Write) -> Result<()> {
    writeln!(
        out,
        "| name | library | parameters (defaults) | what it does |"
    )?;
    writeln!(out, "|---|---|---|---|")?;
    for e in registry::entries() {
        let params: Vec<String> = e
            .params
            .iter()
            .map(|p| match values_text(p.kind) {
                Some(values) => format!("`{}={}` ({values})", p.name, p.default_text()),
                None => format!("`{}={}`", p.name, p.default_text()),
            })
            .collect();
        let params = if params.is_empty() {
            "none".to_string()
        } else {
            params.join(", ")
        };
        writeln!(
            out,
            "| `{e}` | {} | {} | {} |",
            e.library, params, e.summary
        )?;
    }
    Ok(())
}

fn detail(e: &Entry, out: &mut dyn Write) -> Result<()> {
    // The bare name where it always resolves, with the spelling that works everywhere.
    let (written, qualified) = (e.to_string(), e.qualified());
    if written == qualified {
        writeln!(out, "{written}")?;
    } else {
        writeln!(out, "{written} ({qualified})")?;
    }
    paragraph(out, e.upstream)?;
    paragraph(out, e.summary)?;
    writeln!(out)?;
    writeln!(out, "formula:")?;
    paragraph(out, e.formula)?;
    writeln!(out, "past the horizon:")?;
    paragraph(out, e.horizon)?;
    writeln!(out, "warmup:")?;
    paragraph(
        out,
        match (e.library, e.takes_warmup) {
            (Library::Optax | Library::Keras, _) => {
                "--warmup is refused: the schedule's own parameters warm up (--steps only \
                 sets how many steps are evaluated)"
            }
            (Library::Transformers | Library::Torch, false) => {
                "none (use constant_with_warmup for a warmup)"
            }
            (_, false) => "none: it has no warmup parameter, and --warmup is an error",
            (library, true) => library.conventions(),
        },
    )?;
    if e.params.is_empty() {
        writeln!(out, "parameters: none")?;
        return Ok(());
    }
    writeln!(out, "parameters (--set KEY=VALUE):")?;
    let name_width = e.params.iter().map(|p| p.name.len()).max().unwrap_or(0);
    let default_width = e
        .params
        .iter()
        .map(|p| p.default_text().len())
        .max()
        .unwrap_or(0);
    let indent = 2 + name_width + 2 + 8 + 2 + default_width + 2;
    for p in e.params {
        let lead = format!(
            "  {:<name_width$}  {:<8}  {:<default_width$}  ",
            p.name,
            p.kind.name(),
            p.default_text()
        );
        let room = WIDTH.saturating_sub(indent).max(30);
        let mut lines = wrap(p.doc, room);
        if let Some(values) = values_text(p.kind) {
            lines.extend(wrap(&values, room));
        }
        for (i, line) in lines.iter().enumerate() {
            if i == 0 {
                writeln!(out, "{lead}{line}")?;
            } else {
                writeln!(out, "{:indent$}{line}", "")?;
            }
        }
    }
    Ok(())
}

/// The strings a choice parameter takes (`values: cos, linear`), or those the library knows
/// for a string parameter.
fn values_text(kind: ParamKind) -> Option<String> {
    let values = kind.values();
    if values.is_empty() {
        return None;
    }
    Some(match kind {
        ParamKind::Choice(_) => format!("values: {}", values.join(", ")),
        _ => format!("known values: {}", values.join(", ")),
    })
}

/// Writes `text` wrapped and indented by two spaces.
fn paragraph(out: &mut dyn Write, text: &str) -> Result<()> {
    for line in wrap(text, WIDTH - 2) {
        writeln!(out, "  {line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::wrap;

    #[test]
    fn wraps_at_spaces() {
        assert_eq!(wrap("a bb  ccc dddd", 6), ["a bb", "ccc", "dddd"]);
        assert_eq!(wrap("averyverylongword x", 4), ["averyverylongword", "x"]);
        assert!(wrap("   ", 10).is_empty());
    }
}
