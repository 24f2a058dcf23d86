//! The `lrsched` command: parse the command line, run, map the result to an exit status.

mod cli;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::error::ErrorKind;

fn main() -> ExitCode {
    let args = match cli::parse() {
        Ok(args) => args,
        Err(err) => {
            if matches!(
                err.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                // Help and version go to stdout, styled as clap styles them.
                let _ = err.print();
                return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
            }
            // clap echoes what was typed: its message goes through the same escaping as
            // lrsched's own.
            report(&err.render().to_string());
            return ExitCode::from(2);
        }
    };
    match cli::run(args) {
        Ok(status) => ExitCode::from(status),
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            report(&format!("error: {err}"));
            ExitCode::from(err.exit_status())
        }
    }
}

/// Writes an error message to stderr: control characters of echoed input shown as escapes
/// (a config from an untrusted pull request must not write escape sequences into a CI
/// log), and `error:` in bold red when stderr is a terminal that takes colour.
fn report(message: &str) {
    let mut text = String::with_capacity(message.len());
    for c in message.trim_end().chars() {
        if c.is_control() && c != '\n' {
            text.extend(c.escape_default());
        } else {
            text.push(c);
        }
    }
    let stderr = std::io::stderr();
    if cli::color::enabled(None, stderr.is_terminal())
        && let Some(rest) = text.strip_prefix("error:")
    {
        text = format!("\u{1b}[1;31merror:\u{1b}[0m{rest}");
    }
    // stderr may be closed too; there is nobody left to tell then.
    let _ = writeln!(stderr.lock(), "{text}");
}
