//! The one colour decision of the command line: `--color` where a subcommand has it, then
//! the `NO_COLOR`, `CLICOLOR_FORCE`, `CLICOLOR` and `TERM=dumb` conventions, then whether
//! the stream is a terminal.

use super::ColorChoice;

/// Whether to colour a stream, given the `--color` choice (if the subcommand has one) and
/// whether the stream is a terminal.
pub fn enabled(choice: Option<ColorChoice>, terminal: bool) -> bool {
    let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    match choice {
        Some(ColorChoice::Always) => true,
        Some(ColorChoice::Never) => false,
        Some(ColorChoice::Auto) | None => {
            if var("NO_COLOR").is_some() {
                return false;
            }
            if var("CLICOLOR_FORCE").is_some_and(|v| v != "0") {
                return true;
            }
            if var("CLICOLOR").is_some_and(|v| v == "0") || var("TERM").is_some_and(|v| v == "dumb")
            {
                return false;
            }
            terminal
        }
    }
}
