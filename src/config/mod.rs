//! Config files for `--config`: each format in its own file, every one read with serde
//! into the same [`Partial`] that command-line flags override (see description.rs, which
//! calls this module and never the other way round).
//!
//! The syntax comes from the file name (`.json`, `.toml`, `.yaml`/`.yml`) or, for other
//! names and `--config -`, from the content. The format comes from the
//! keys: each [`Format`] names the keys that mark it, and a document no format claims is
//! read as the first of [`FORMATS`], lrsched's own; `--config-format NAME` ([`Format::id`])
//! forces one when the keys mislead. A TrainingArguments config and the DeepSpeed config it
//! runs with are one run ([`pair`], [`deepspeed::settle`]). Every error names the file and
//! the line and column of the offending key or value.
//!
//! Adding a format is one file beside this one that defines `pub const FORMAT: Format`,
//! and its name in the `formats!` line below.

mod document;
mod partial;
#[cfg(test)]
mod tests;
mod value;

use std::path::Path;

use crate::error::{Error, Result};
use crate::suggest::closest;

pub use document::{Document, Format, Syntax};
pub use partial::{Location, OpenSteps, Origins, Partial, Source};

/// Declares each format's module and lists its `FORMAT`, in order.
macro_rules! formats {
    ($($module:ident),+ $(,)?) => {
        $(pub mod $module;)+
        /// The formats, lrsched's own first: a document that no format's keys mark is read
        /// as the first.
        pub const FORMATS: &[&Format] = &[$(&$module::FORMAT),+];
    };
}

formats![
    lrsched,
    training_args,
    deepspeed,
    axolotl,
    llama_factory,
    torchtune,
    lightning
];

/// The `--config-format` names, in the order of [`FORMATS`].
pub fn format_ids() -> impl Iterator<Item = &'static str> {
    FORMATS.iter().map(|f| f.id)
}

/// The format `--config-format NAME` names, or an error listing the names.
pub fn format_named(name: &str) -> Result<&'static Format> {
    FORMATS
        .iter()
        .copied()
        .find(|f| f.id == name)
        .ok_or_else(|| {
            Error::input(format!(
                "unknown config format '{name}'{} (the formats are {})",
                crate::suggest::did_you_mean(name, format_ids()),
                format_ids().collect::<Vec<_>>().join(", ")
            ))
        })
}

/// Reads the config file at `path`, naming it in every error.
pub fn read(path: &Path) -> Result<Partial> {
    read_as(path, None)
}

/// Reads the config file at `path` as `format` when it is given (`--config-format`), else
/// in whichever format its keys show.
pub fn read_as(path: &Path, format: Option<&Format>) -> Result<Partial> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::input(format!("cannot read config {}: {e}", path.display())))?;
    let file = path.display().to_string();
    parse_as(&file, &text, Syntax::detect(Some(path), &text), format)
}

/// Parses the text of a config file named `file` (for messages), in whichever format its
/// keys show. A UTF-8 byte order mark is skipped.
pub fn parse(file: &str, text: &str, syntax: Syntax) -> Result<Partial> {
    parse_as(file, text, syntax, None)
}

/// [`parse`], read as `format` when it is given, whatever the keys show: the keys of other
/// formats are then skipped as the format skips keys it does not read, and a file with none
/// of the format's keys is an error.
pub fn parse_as(
    file: &str,
    text: &str,
    syntax: Syntax,
    format: Option<&Format>,
) -> Result<Partial> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if syntax == Syntax::Json
        && let Some(member) = schedule_member(text)
    {
        return parse(file, &member, syntax);
    }
    let document = Document::new(file, text, syntax)?;
    let mut partial = match format {
        Some(format) => forced(&document, format),
        None => detected(&document),
    }?;
    deepspeed::attach(&mut partial);
    Ok(partial)
}

/// The config files of one run: a TrainingArguments config and the DeepSpeed config it runs
/// with (in either order) are one, as `TrainingArguments(deepspeed=...)` makes them; any
/// other configs stay as they are.
pub fn pair(configs: Vec<Partial>) -> Vec<Partial> {
    match configs.as_slice() {
        [first, second] => match deepspeed::pair(first, second) {
            Some(run) => vec![run],
            None => configs,
        },
        _ => configs,
    }
}

/// Reads `document` as `format`, as `--config-format` asks.
fn forced(document: &Document<'_>, format: &Format) -> Result<Partial> {
    let own = (format.keys)();
    let fits = document
        .keys()
        .iter()
        .any(|k| own.contains(&k.as_str()) || (format.is_marker)(k));
    // lrsched's own format rejects every key it does not know, with a suggestion.
    if !fits && !std::ptr::eq(format, FORMATS[0]) {
        return Err(Error::input(format!(
            "config {}: --config-format {} reads a {}, but none of the file's keys is one \
             (it reads {})",
            document.location(),
            format.id,
            format.name,
            own.join(", ")
        )));
    }
    (format.read)(document).map_err(|e| match e {
        Error::Input(message) => Error::input(format!(
            "{message} (read as {} because of --config-format {})",
            format.name, format.id
        )),
        other => other,
    })
}

/// Reads `document` in the format its keys show.
fn detected(document: &Document<'_>) -> Result<Partial> {
    let claims: Vec<(&Format, Vec<&str>)> = FORMATS
        .iter()
        .map(|format| {
            let markers = document
                .keys()
                .iter()
                .map(String::as_str)
                .filter(|k| (format.is_marker)(k))
                .collect::<Vec<_>>();
            (*format, markers)
        })
        .filter(|(_, markers)| !markers.is_empty())
        .collect();
    let superseded: Vec<&str> = claims
        .iter()
        .flat_map(|(format, _)| format.supersedes.iter().copied())
        .collect();
    let claims: Vec<(&Format, Vec<&str>)> = claims
        .into_iter()
        .filter(|(format, _)| !superseded.contains(&format.name))
        .collect();
    match claims.as_slice() {
        [] => {
            misspelt_marker(document)?;
            (FORMATS[0].read)(document)
        }
        // lrsched's own format needs no explanation of why it was chosen.
        [(format, _)] if std::ptr::eq(*format, FORMATS[0]) => (format.read)(document),
        [(format, markers)] => (format.read)(document).map_err(|e| match e {
            Error::Input(message) => Error::input(format!(
                "{message} (read as {} because of \"{}\")",
                format.name, markers[0]
            )),
            other => other,
        }),
        [(first, first_keys), (second, second_keys), ..] => Err(document.error_at(
            second_keys[0],
            format!(
                "mixes {} keys ({}) with {} keys ({}); use one format or the other, or \
                 read it as one with --config-format {} or --config-format {}",
                first.name,
                quoted(first_keys),
                second.name,
                quoted(second_keys),
                first.id,
                second.id
            ),
        )),
    }
}

/// The whole output of `lrsched json`, `{"schedule": {...}, "points": [...]}`, stands for
/// its `schedule` member, which is lrsched's own format: that member alone, at its place in
/// the text (what comes before it blanked, line breaks kept), so that errors keep their
/// line and column. `None` for any other document.
fn schedule_member(text: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Output<'a> {
        #[serde(borrow)]
        schedule: &'a serde_json::value::RawValue,
        #[serde(rename = "points")]
        _points: serde::de::IgnoredAny,
    }
    let output: Output<'_> = serde_json::from_str(text).ok()?;
    let member = output.schedule.get();
    let offset = (member.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
    let before = text.get(..offset)?;
    let mut blanked: String = before
        .chars()
        .map(|c| if c == '\n' { '\n' } else { ' ' })
        .collect();
    blanked.push_str(member);
    Some(blanked)
}

/// A document no format claims is read as lrsched's own, whose error for a key that
/// another format reads (misspelt, or it would have claimed the file) should name that
/// format: `lr_scheduler_typ` means transformers' `lr_scheduler_type`.
fn misspelt_marker(document: &Document<'_>) -> Result<()> {
    let own = (FORMATS[0].keys)();
    for key in document.keys() {
        if own.contains(&key.as_str()) || closest(key, own.iter().copied()).is_some() {
            continue;
        }
        for format in &FORMATS[1..] {
            let near = closest(key, (format.keys)().iter().copied())
                .filter(|field| document::is_typo(key, field));
            if let Some(field) = near {
                return Err(document.error_at(
                    key,
                    format!(
                        "unknown key \"{key}\"; did you mean '{field}' (a {} key)?",
                        format.name
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The text of an `--expr-file` or a config's `expr_file` (`-` reads standard input).
pub fn read_expr_file(path: &str) -> Result<String> {
    use std::io::Read;
    let mut text = String::new();
    let read = if path == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(path).map(|t| text = t)
    };
    read.map_err(|e| Error::input(format!("cannot read --expr-file {path}: {e}")))?;
    Ok(text)
}

fn quoted(keys: &[&str]) -> String {
    keys.iter()
        .map(|k| format!("\"{k}\""))
        .collect::<Vec<_>>()
        .join(", ")
}
