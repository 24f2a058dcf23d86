//! `lrsched completions SHELL` and `lrsched man`: shell completions (clap_complete) and a
//! roff man page (clap_mangen), generated from the same clap definition as the parser.

use std::io::{self, Write};

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use lrsched::error::{Error, Result};
use lrsched::suggest::did_you_mean;

use super::Cli;

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
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "lrsched", &mut script);
    write_stdout(&script)
}

/// Writes the man page, roff source, to stdout (`lrsched man | man -l -`).
pub fn man(args: &ManArgs) -> Result<()> {
    let mut command = Cli::command();
    command.build();
    let source = format!("lrsched {}", env!("CARGO_PKG_VERSION"));
    let page = match &args.command {
        None => command,
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
            sub.clone()
                .display_name(page_name.clone())
                .bin_name(page_name)
        }
    };
    let mut roff = Vec::new();
    clap_mangen::Man::new(page)
        .source(source)
        .render(&mut roff)?;
    write_stdout(&roff)
}

fn write_stdout(bytes: &[u8]) -> Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}
