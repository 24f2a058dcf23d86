//! What every config format shares: the [`Syntax`] of a file, the [`Document`] a format
//! reads (with serde, every error at its line and column), and the [`Format`] record that
//! `super::FORMATS` lists.

use std::path::Path;

use serde::de::DeserializeOwned;

use super::partial::{Location, Partial};
use super::value;
use crate::error::{Error, Result};
use crate::suggest::did_you_mean;

/// A config format: which keys mark a document as one, and how to read it into a
/// [`Partial`].
#[derive(Clone, Copy, Debug)]
pub struct Format {
    /// The name `--config-format` takes (`training-args`).
    pub id: &'static str,
    /// How messages name the format.
    pub name: &'static str,
    /// True for a top-level key that only this format has: any such key makes a document
    /// one of this format.
    pub is_marker: fn(&str) -> bool,
    /// The keys the format reads (from its `#[derive(Deserialize)]` struct), which
    /// suggestions draw on.
    pub keys: fn() -> &'static [&'static str],
    /// Reads a document of this format.
    pub read: fn(&Document<'_>) -> Result<Partial>,
    /// The formats whose keys this one also uses (Axolotl's and LLaMA-Factory's YAML hold
    /// `TrainingArguments` fields): a document this format claims is not theirs.
    pub supersedes: &'static [&'static str],
}

/// True when `key` is a misspelling of `field`: at most two single-character edits
/// (insert, delete, replace, swap) away. A format that skips keys it does not read
/// rejects only these, so that a key that merely starts like a field is not taken for one.
pub fn is_typo(key: &str, field: &str) -> bool {
    strsim::damerau_levenshtein(key, field) <= 2
}

/// The syntax of a config file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Syntax {
    /// JSON.
    Json,
    /// TOML.
    Toml,
    /// YAML (read as YAML 1.2: `2e-5` is a number, as the frameworks that convert
    /// PyYAML's string of it make it).
    Yaml,
}

impl Syntax {
    /// The syntax of `text` read from `path`: by its extension, else by its content.
    pub fn detect(path: Option<&Path>, text: &str) -> Syntax {
        let extension = path
            .and_then(|p| p.extension())
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("json") => Syntax::Json,
            Some("toml") => Syntax::Toml,
            Some("yaml" | "yml") => Syntax::Yaml,
            _ => Syntax::of_content(text),
        }
    }

    /// JSON when the text starts with `{`, TOML when it parses as TOML, YAML when its first
    /// line looks like `key: value`, and JSON otherwise (whose error then says why).
    fn of_content(text: &str) -> Syntax {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        if text.trim_start().starts_with('{') {
            return Syntax::Json;
        }
        if toml::Deserializer::parse(text).is_ok() {
            return Syntax::Toml;
        }
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#'));
        match first {
            Some(line) if line == "---" || (line.contains(':') && !line.contains('=')) => {
                Syntax::Yaml
            }
            _ => Syntax::Json,
        }
    }
}

/// One config file's text, as a format reads it.
#[derive(Debug)]
pub struct Document<'a> {
    file: &'a str,
    text: &'a str,
    syntax: Syntax,
    keys: Vec<String>,
    /// For a document written inside another file (a TrainingArguments' `deepspeed` dict):
    /// where it is written there, which every location is.
    anchor: Option<Location>,
}

impl<'a> Document<'a> {
    /// The document in `text`, named `file` in messages; its top-level keys are read here,
    /// so a text that is not an object of keys is an error at its position.
    pub fn new(file: &'a str, text: &'a str, syntax: Syntax) -> Result<Self> {
        let mut document = Document {
            file,
            text,
            syntax,
            keys: Vec::new(),
            anchor: None,
        };
        document.keys = document.deserialize::<value::Keys>()?.0;
        Ok(document)
    }

    /// A document whose `text` is written inside another file, at `at`: every location it
    /// gives is `at`, as positions in `text` would mean nothing to the reader.
    pub fn embedded(text: &'a str, syntax: Syntax, at: Location) -> Result<Self> {
        let mut document = Document {
            file: "",
            text,
            syntax,
            keys: Vec::new(),
            anchor: Some(at),
        };
        document.keys = document.deserialize::<value::Keys>()?.0;
        Ok(document)
    }

    /// The top-level keys, in the order written.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// The file, without a position.
    pub fn location(&self) -> Location {
        if let Some(at) = &self.anchor {
            return at.clone();
        }
        Location {
            file: self.file.to_string(),
            line_column: None,
        }
    }

    /// Where the top-level `key` is written (the file alone when it is not).
    pub fn location_of(&self, key: &str) -> Location {
        if let Some(at) = &self.anchor {
            return at.clone();
        }
        Location {
            file: self.file.to_string(),
            line_column: self.find_key(key).map(|offset| self.line_column(offset)),
        }
    }

    /// Where each of `params`, read from the object at the top-level `key`, is written: at
    /// its own key when the text shows it, else at `key`.
    pub fn param_locations(
        &self,
        key: &str,
        params: &[(String, crate::schedule::params::Raw)],
    ) -> Vec<Option<Location>> {
        self.entry_locations(key, params.iter().map(|(name, _)| name.as_str()))
    }

    /// Where each of `names`, keys of the object at the top-level `key`, is written: at its
    /// own key when the text shows it, else at `key`.
    pub fn entry_locations<'n>(
        &self,
        key: &str,
        names: impl IntoIterator<Item = &'n str>,
    ) -> Vec<Option<Location>> {
        let whole = self.location_of(key);
        let after = self.find_key(key).unwrap_or(0);
        names
            .into_iter()
            .map(|name| {
                let at = self
                    .find_key_from(name, after)
                    .filter(|_| self.anchor.is_none());
                Some(match at {
                    Some(offset) => Location {
                        file: self.file.to_string(),
                        line_column: Some(self.line_column(offset)),
                    },
                    None => whole.clone(),
                })
            })
            .collect()
    }

    /// An error about the top-level `key`, at its position.
    pub fn error_at(&self, key: &str, message: impl std::fmt::Display) -> Error {
        Error::input(format!("config {}: {message}", self.location_of(key)))
    }

    /// Deserializes the whole document into `T`, every error at its line and column: a
    /// value's error names its key, and an unknown key (a `deny_unknown_fields` struct)
    /// gets a suggestion among `T`'s fields.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T> {
        match self.syntax {
            Syntax::Json => {
                let mut de = serde_json::Deserializer::from_str(self.text);
                let value = serde_path_to_error::deserialize(&mut de)
                    .map_err(|e| self.json_error::<T>(&e.path().to_string(), e.inner()))?;
                de.end().map_err(|e| self.json_error::<T>("", &e))?;
                Ok(value)
            }
            Syntax::Toml => {
                let de = toml::Deserializer::parse(self.text).map_err(|e| {
                    let position = e.span().map(|s| self.line_column(s.start));
                    self.error_at_offset(position, format!("not valid TOML: {}", e.message()))
                })?;
                serde_path_to_error::deserialize(de).map_err(|e| {
                    let inner = e.inner();
                    let position = inner.span().map(|s| self.line_column(s.start));
                    self.data_error::<T>(&e.path().to_string(), inner.message(), position)
                })
            }
            Syntax::Yaml => {
                let located = |e: &serde_norway::Error| {
                    let position = e.location().map(|l| (l.line(), l.column()));
                    let text = e.to_string();
                    // serde_norway's message ends with the position and may start with
                    // its own path, both of which the error says its own way.
                    let text = match text.rfind(" at line ") {
                        Some(i) => text[..i].to_string(),
                        None => text,
                    };
                    (position, text)
                };
                // A syntax error first, so that everything after is about the data.
                if let Err(e) = serde_norway::from_str::<serde::de::IgnoredAny>(self.text) {
                    let (position, text) = located(&e);
                    return Err(self.error_at_offset(position, format!("not valid YAML: {text}")));
                }
                let de = serde_norway::Deserializer::from_str(self.text);
                serde_path_to_error::deserialize(de).map_err(|e| {
                    let (position, text) = located(e.inner());
                    let path = e.path().to_string();
                    let text = text.strip_prefix(&format!("{path}: ")).unwrap_or(&text);
                    self.data_error::<T>(&path, text, position)
                })
            }
        }
    }

    fn json_error<'de, T: serde::Deserialize<'de>>(
        &self,
        path: &str,
        error: &serde_json::Error,
    ) -> Error {
        let position = (error.line(), error.column());
        let text = error.to_string();
        let suffix = format!(" at line {} column {}", position.0, position.1);
        let message = text.strip_suffix(&suffix).unwrap_or(&text);
        if error.is_syntax() || error.is_eof() {
            self.error_at_offset(Some(position), format!("not valid JSON: {message}"))
        } else {
            self.data_error::<T>(path, message, Some(position))
        }
    }

    /// A type or value error from serde, said the way lrsched says it.
    fn data_error<'de, T: serde::Deserialize<'de>>(
        &self,
        path: &str,
        message: &str,
        position: Option<(usize, usize)>,
    ) -> Error {
        let at_root = path.is_empty() || path == ".";
        if let Some(key) = backquoted(message, "unknown field `") {
            // The path ends with the unknown key itself.
            let parent = path
                .strip_suffix(key)
                .map(|p| p.strip_suffix('.').unwrap_or(p));
            let at_root = at_root || parent == Some("");
            let message = if at_root {
                let fields = value::field_names::<T>();
                format!(
                    "unknown key \"{key}\"{} (the keys are {})",
                    did_you_mean(key, fields.iter().copied()),
                    fields.join(", ")
                )
            } else {
                format!("\"{}\": {message}", parent.unwrap_or(path))
            };
            // serde points after the key; the key itself is where the mistake is.
            return match self.find_key(key).filter(|_| at_root) {
                Some(offset) => self.error_at_offset(Some(self.line_column(offset)), message),
                None => self.error_at_offset(position, message),
            };
        }
        let message = if let Some(key) = backquoted(message, "missing field `") {
            format!("missing key \"{key}\"")
        } else if let Some(key) = backquoted(message, "duplicate field `") {
            format!("key \"{key}\" is given twice")
        } else {
            must_be(message)
        };
        let message = if at_root {
            message
        } else if message.starts_with("must ") {
            format!("\"{path}\" {message}")
        } else {
            format!("\"{path}\": {message}")
        };
        self.error_at_offset(position, message)
    }

    fn error_at_offset(&self, position: Option<(usize, usize)>, message: String) -> Error {
        if let Some(at) = &self.anchor {
            return Error::input(format!("config {at}: {message}"));
        }
        let location = Location {
            file: self.file.to_string(),
            // serde_json says column 0 before it reads the first character of a line.
            line_column: position
                .filter(|&(line, _)| line > 0)
                .map(|(line, column)| (line, column.max(1))),
        };
        Error::input(format!("config {location}: {message}"))
    }

    /// The byte offset of the top-level `key` as written, found in the text: serde reports
    /// where a value ends, and formats check some keys against each other after reading.
    fn find_key(&self, key: &str) -> Option<usize> {
        self.find_key_from(key, 0).filter(|_| self.anchor.is_none())
    }

    /// [`Document::find_key`] at or after byte `from` (a parameter after its table's key).
    fn find_key_from(&self, key: &str, from: usize) -> Option<usize> {
        match self.syntax {
            Syntax::Json => {
                let quoted = format!("\"{key}\"");
                self.text
                    .match_indices(&quoted)
                    .map(|(i, _)| i)
                    .filter(|&i| i >= from)
                    .find(|&i| self.text[i + quoted.len()..].trim_start().starts_with(':'))
            }
            Syntax::Toml | Syntax::Yaml => {
                let forms = [
                    key.to_string(),
                    format!("\"{key}\""),
                    format!("'{key}'"),
                    format!("[{key}]"),
                ];
                let mut offset = 0;
                for line in self.text.split_inclusive('\n') {
                    if offset < from {
                        offset += line.len();
                        continue;
                    }
                    let body = line.trim_start();
                    let indent = line.len() - body.len();
                    for form in &forms {
                        if let Some(rest) = body.strip_prefix(form.as_str()) {
                            let rest = rest.trim_start();
                            if form.starts_with('[')
                                || rest.starts_with('=')
                                || rest.starts_with(':')
                            {
                                return Some(offset + indent);
                            }
                        }
                    }
                    offset += line.len();
                }
                None
            }
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    fn line_column(&self, offset: usize) -> (usize, usize) {
        let before = &self.text[..offset.min(self.text.len())];
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (
            before.matches('\n').count() + 1,
            before[line_start..].chars().count() + 1,
        )
    }
}

/// The name in `` prefix`name`... ``.
fn backquoted<'m>(message: &'m str, prefix: &str) -> Option<&'m str> {
    let rest = message.strip_prefix(prefix)?;
    rest.split('`').next()
}

/// serde's `invalid type: X, expected Y` as `must be Y, not X`.
fn must_be(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some((got, expected)) = message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split_once(", expected "))
        {
            return format!("must be {expected}, not {got}");
        }
    }
    message.to_string()
}
