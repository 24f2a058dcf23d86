//! The `lrsched` command: parse the command line, run, map the result to an exit status.

mod cli;

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
            cli::report(&err.render().to_string());
            return ExitCode::from(2);
        }
    };
    match cli::run(args) {
        Ok(status) => ExitCode::from(status),
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            cli::report(&format!("error: {err}"));
            ExitCode::from(err.exit_status())
        }
    }
}
