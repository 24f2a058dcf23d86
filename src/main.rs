//! The `lrsched` command: parse the command line, run, map the result to an exit status.

mod cli;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(status) => ExitCode::from(status),
        Err(err) if err.is_broken_pipe() => ExitCode::SUCCESS,
        Err(err) => {
            // stderr may be closed too; there is nobody left to tell then.
            let _ = writeln!(std::io::stderr(), "error: {err}");
            ExitCode::from(err.exit_status())
        }
    }
}
