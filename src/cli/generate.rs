//! `lrsched completions SHELL` and `lrsched man`: shell completions (clap_complete) and a
//! roff man page (clap_mangen), generated from the same clap definition as the parser.

use std::io::{self, Write};

use clap::builder::{PossibleValue, PossibleValuesParser};
use clap::{Arg, ArgAction, Args, Command, ValueHint};
use clap_complete::Shell;
use roff::{Roff, bold, italic, roman};

use lrsched::error::{Error, Result};
use lrsched::schedule::registry;
use lrsched::suggest::did_you_mean;

use super::help;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// A subcommand's own page (lrsched-check(1), ...) instead of lrsched(1)
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

/// Writes the completion script for `args.shell` to stdout.
pub fn completions(args: &CompletionsArgs) -> Result<()> {
    // clap_complete panics when its writer fails (a closed pipe); generating into memory
    // first keeps write errors ours to handle.
    let mut command = with_candidates(super::command());
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "lrsched", &mut script);
    if args.shell == Shell::Fish {
        script.extend_from_slice(fish_positionals(&command).as_bytes());
    }
    write_stdout(&script)
}

/// Completions of the positional arguments that have candidates (`list NAME`), which
/// clap_complete's fish script leaves out (it completes options only); written as it
/// writes an option's values.
fn fish_positionals(command: &Command) -> String {
    let escape = |text: &str| text.replace('\\', "\\\\").replace('\'', "\\'");
    let mut script = String::new();
    for sub in command.get_subcommands() {
        for arg in sub.get_positionals() {
            let values = arg.get_possible_values();
            if values.is_empty() {
                continue;
            }
            let candidates: Vec<String> = values
                .iter()
                .map(|v| {
                    let help = v.get_help().map(|h| h.to_string()).unwrap_or_default();
                    format!(
                        "{}\\t'{}'",
                        escape(v.get_name()).replace(',', "\\,"),
                        escape(&help)
                    )
                })
                .collect();
            script.push_str(&format!(
                "complete -c lrsched -n \"__fish_lrsched_using_subcommand {}\" -f -a \"{}\"\n",
                sub.get_name(),
                candidates.join("\n")
            ));
        }
    }
    script
}

/// The command line as the completion scripts see it: `--schedule` and `list NAME` offer
/// the built-in names (and `list` the libraries), `--set` each parameter name followed by
/// `=` and each value of a choice parameter, all from the registry. The parser itself
/// keeps taking any text, so that a mistyped name gets lrsched's own message and
/// suggestion rather than clap's list of a hundred names.
fn with_candidates(command: Command) -> Command {
    let schedules: Vec<PossibleValue> = registry::entries()
        .map(|e| PossibleValue::new(e.to_string()).help(e.summary))
        .collect();
    let mut listable: Vec<PossibleValue> = registry::libraries()
        .map(|l| PossibleValue::new(l.name()).help(l.heading()))
        .collect();
    listable.extend(schedules.iter().cloned());
    let mut set: Vec<PossibleValue> = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for p in registry::entries().flat_map(|e| e.params.iter()) {
        let mut words = vec![format!("{}=", p.name)];
        words.extend(p.kind.values().iter().map(|v| format!("{}={v}", p.name)));
        for word in words {
            if !seen.contains(&word) {
                seen.push(word.clone());
                set.push(PossibleValue::new(word));
            }
        }
    }
    let subcommands: Vec<(String, String)> = command
        .get_subcommands()
        .map(|c| {
            let about = c.get_about().map(|a| a.to_string()).unwrap_or_default();
            (c.get_name().to_string(), about)
        })
        .collect();
    let names: Vec<String> = subcommands.iter().map(|(name, _)| name.clone()).collect();
    let mut command = command;
    for name in names {
        command = command.mut_subcommand(&name, |mut sub| {
            let has = |sub: &Command, id: &str| sub.get_arguments().any(|a| a.get_id() == id);
            if has(&sub, "schedule") {
                sub = sub.mut_arg("schedule", |a| {
                    a.value_parser(PossibleValuesParser::new(schedules.clone()))
                });
            }
            if has(&sub, "set") {
                // No space after `T_max=`: the value follows.
                sub = sub.mut_arg("set", |a| {
                    a.value_parser(PossibleValuesParser::new(set.clone()))
                        .value_hint(ValueHint::Other)
                });
            }
            if name == "man" {
                let pages: Vec<PossibleValue> = subcommands
                    .iter()
                    .map(|(name, about)| PossibleValue::new(name.clone()).help(about.clone()))
                    .collect();
                sub = sub.mut_arg("command", |a| {
                    a.value_parser(PossibleValuesParser::new(pages))
                });
            }
            if name == "list" {
                sub = sub.mut_arg("name", |a| {
                    a.value_parser(PossibleValuesParser::new(listable.clone()))
                });
            }
            sub
        });
    }
    command
}

/// Writes the man page, roff source, to stdout (`lrsched man | man -l -`): clap_mangen's
/// sections for the name, description, options and subcommands, and lrsched's own
/// synopsis (with each option's value), EXIT STATUS and EXAMPLES from the help pages.
pub fn man(args: &ManArgs) -> Result<()> {
    let mut command = super::command();
    command.build();
    let source = format!("lrsched {}", env!("CARGO_PKG_VERSION"));
    let (page, name, invoked) = match &args.command {
        None => (command, "lrsched".to_string(), "lrsched".to_string()),
        Some(name) => {
            let names: Vec<String> = command
                .get_subcommands()
                .map(|c| c.get_name().to_string())
                .collect();
            let Some(sub) = command.find_subcommand(name) else {
                return Err(Error::input(format!(
                    "no subcommand '{name}'{} (the subcommands are {})",
                    did_you_mean(name, names.iter().map(String::as_str)),
                    names.join(", ")
                )));
            };
            let page_name = format!("lrsched-{}", sub.get_name());
            (
                sub.clone()
                    .display_name(page_name.clone())
                    .bin_name(page_name.clone()),
                page_name,
                format!("lrsched {}", sub.get_name()),
            )
        }
    };
    let text = help::page(args.command.as_deref().map_or("", |_| page.get_name()));
    let man = clap_mangen::Man::new(page.clone())
        .title(name)
        .source(source);
    let mut sections: Vec<Vec<u8>> = Vec::new();
    let mut section = |render: &dyn Fn(&mut Vec<u8>) -> io::Result<()>| -> Result<()> {
        let mut roff = Vec::new();
        render(&mut roff)?;
        sections.push(roff);
        Ok(())
    };
    section(&|w| man.render_title(w))?;
    section(&|w| man.render_name_section(w))?;
    section(&|w| synopsis(&page, &invoked).to_writer(w))?;
    section(&|w| man.render_description_section(w))?;
    if let Some(text) = text {
        section(&|w| notes(text).to_writer(w))?;
    }
    if page.get_arguments().any(|a| !a.is_hide_set()) {
        section(&|w| man.render_options_section(w))?;
    }
    if page.get_subcommands().any(|c| !c.is_hide_set()) {
        section(&|w| man.render_subcommands_section(w))?;
    }
    if let Some(text) = text {
        section(&|w| exit_and_examples(text).to_writer(w))?;
    }
    if page.get_version().is_some() {
        section(&|w| man.render_version_section(w))?;
    }
    // Each rendered piece opens with roff's apostrophe preamble; the page needs it once.
    let mut roff = Vec::new();
    for (i, piece) in sections.iter().enumerate() {
        let body = match i {
            0 => piece.as_slice(),
            _ => piece.strip_prefix(PREAMBLE).unwrap_or(piece),
        };
        roff.extend_from_slice(body);
    }
    write_stdout(&roff)
}

/// What roff's `to_writer` puts in front of every document.
const PREAMBLE: &[u8] = b".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n";

/// SYNOPSIS: the command, then each option with its value (`[--steps N]`, `[--set
/// KEY=VALUE]...`), the positional arguments and the subcommand.
fn synopsis(command: &Command, invoked: &str) -> Roff {
    let mut line = vec![bold(invoked)];
    let value = |arg: &Arg| {
        arg.get_value_names()
            .map(|names| names.join(" "))
            .unwrap_or_else(|| arg.get_id().as_str().to_uppercase())
    };
    let repeated = |arg: &Arg| matches!(arg.get_action(), ArgAction::Append);
    // In the order --help lists them.
    let mut options: Vec<&Arg> = command
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_positional())
        .collect();
    options.sort_by_key(|a| a.get_display_order());
    for arg in options {
        line.push(roman(" ["));
        if let Some(short) = arg.get_short() {
            line.push(bold(format!("-{short}")));
            if arg.get_long().is_some() {
                line.push(roman("|"));
            }
        }
        if let Some(long) = arg.get_long() {
            line.push(bold(format!("--{long}")));
        }
        if arg.get_action().takes_values() {
            line.push(roman(" "));
            line.push(italic(value(arg)));
        }
        line.push(roman("]"));
        if repeated(arg) {
            line.push(roman("..."));
        }
    }
    for arg in command.get_positionals().filter(|a| !a.is_hide_set()) {
        let (open, close) = if arg.is_required_set() {
            (" ", "")
        } else {
            (" [", "]")
        };
        line.push(roman(open));
        line.push(italic(value(arg)));
        line.push(roman(close));
        if repeated(arg) {
            line.push(roman("..."));
        }
    }
    if command.has_subcommands() {
        line.push(roman(" "));
        line.push(italic("COMMAND"));
    }
    // Unhyphenated: an option split across lines reads as two.
    let mut roff = Roff::new();
    roff.control("SH", ["SYNOPSIS"]);
    roff.control("nh", []);
    roff.text(line);
    roff.control("hy", []);
    roff
}

/// The page's notes, as more paragraphs of the DESCRIPTION.
fn notes(page: &help::Page) -> Roff {
    let mut roff = Roff::new();
    for note in page.notes {
        roff.control("PP", []);
        roff.text([roman(*note)]);
    }
    roff
}

/// EXIT STATUS, each status tagged, and EXAMPLES, one command line each, unfilled.
fn exit_and_examples(page: &help::Page) -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", ["EXIT STATUS"]);
    for (status, meaning) in page.exit {
        roff.control("TP", []);
        roff.text([bold(status.to_string())]);
        roff.text([roman(*meaning)]);
    }
    roff.control("SH", ["EXAMPLES"]);
    for example in page.examples {
        roff.control("PP", []);
        roff.control("nf", []);
        roff.text([roman(example.shown())]);
        roff.control("fi", []);
    }
    roff
}

fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}
