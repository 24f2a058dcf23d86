//! What `--help` and the man pages say below the options, in one layout for every
//! subcommand: notes, the exit statuses and what each means, and examples. One table feeds
//! both, so the help and the man page cannot disagree; every example is run by the tests
//! (tests/integration/help.rs) and must exit with the status it documents.

use clap::Command;
use clap::builder::styling::Style;

use lrsched::format::wrap;

/// The text of one command's page below its options.
pub struct Page {
    /// The subcommand's name, or `""` for `lrsched` itself.
    pub command: &'static str,
    /// Paragraphs before the exit statuses (may be empty).
    pub notes: &'static [&'static str],
    /// Each exit status the command can end with, and what it means there.
    pub exit: &'static [(u8, &'static str)],
    /// Command lines to copy, run from a directory holding lrsched's `examples/`; each
    /// exits 0 unless its `exit` says otherwise.
    pub examples: &'static [Example],
}

/// One example command line.
pub struct Example {
    /// The command line, as typed into a POSIX shell.
    pub line: &'static str,
    /// The exit status it ends with.
    pub exit: u8,
    /// Why it ends so, for a non-zero status.
    pub why: &'static str,
}

const fn ok(line: &'static str) -> Example {
    Example {
        line,
        exit: 0,
        why: "",
    }
}

const fn fails(line: &'static str, exit: u8, why: &'static str) -> Example {
    Example { line, exit, why }
}

const BAD_INPUT: (u8, &str) = (
    2,
    "bad input (an unknown schedule or parameter, a malformed value or expression, an \
     unreadable config): one message on stderr, nothing on stdout",
);

const WRITTEN: &[(u8, &str)] = &[
    (
        0,
        "every row was written (also when the reader closes the pipe early)",
    ),
    (
        2,
        "bad input: one message on stderr, nothing on stdout; or a pasted Python function \
         raised at step k: the rows before k are written, then the exception on stderr",
    ),
];

/// Every page, `lrsched` first.
pub const PAGES: &[Page] = &[
    Page {
        command: "",
        notes: &[
            "Every subcommand describes a schedule with the same flags (lrsched table --help \
             lists them); lrsched help COMMAND and lrsched man COMMAND say more.",
        ],
        exit: &[
            (0, "success"),
            (
                1,
                "check: a check failed; diff: the schedules differ; identify: no built-in \
                 reproduces the log; train: the run diverged",
            ),
            BAD_INPUT,
        ],
        examples: &[
            ok("lrsched table --warmup 5 --steps 10"),
            ok("lrsched plot --schedule cosine --warmup 100 --steps 1000"),
            ok("lrsched csv --expr \"min(1, step/2000)\" --steps 3000 > lr.csv"),
            ok("lrsched list cosine"),
            ok("lrsched check --config examples/configs/lr.json --assert \"peak_lr <= 3e-4\""),
            ok("lrsched diff examples/configs/lr.json examples/configs/lr.toml"),
        ],
    },
    Page {
        command: "table",
        notes: &[],
        exit: WRITTEN,
        examples: &[
            ok("lrsched table --warmup 5 --steps 10"),
            ok("lrsched table --schedule cosine --warmup 100 --steps 1000 --every 100"),
            ok("lrsched table --schedule torch:StepLR --set step_size=30 --digits 3"),
            ok("lrsched table --config examples/configs/training_args.json --samples 50000"),
        ],
    },
    Page {
        command: "csv",
        notes: &[],
        exit: WRITTEN,
        examples: &[
            ok("lrsched csv --schedule cosine --warmup 100 --steps 1000 > lr.csv"),
            ok("lrsched csv --expr \"min(1, step/2000)\" --steps 3000 --every 100"),
            ok("lrsched csv --config examples/configs/lr.json --from 9990"),
        ],
    },
    Page {
        command: "json",
        notes: &[],
        exit: WRITTEN,
        examples: &[
            ok("lrsched json --schedule OneCycleLR --set max_lr=0.01 --steps 100 > lr.json"),
            ok("lrsched json --config examples/configs/lr.json --lines --every 1000"),
        ],
    },
    Page {
        command: "plot",
        notes: &[
            "Overlays: each --schedule, --expr, --expr-file and --config draws its own curve, \
             in the order given (so --config run.json --schedule cosine draws two curves; \
             table, csv and json take the flags over the config instead). --steps, --base-lr \
             and --warmup apply to every curve, over what a config file says; --var to every \
             expression. A --set applies to the --schedule or --config just before it, or to \
             every curve when it comes before all of them (as --precision does). \
             TrainingArguments and their DeepSpeed config given as two --config are one run.",
            "Each curve is labelled by what sets it apart: its config file's name, the \
             parameters, steps, base lr or warmup that differ. Without colour (--color never, \
             NO_COLOR, a pipe), curves carry their legend's symbol 1, 2, 3, ... along them.",
        ],
        exit: &[(0, "the chart was drawn or written"), BAD_INPUT],
        examples: &[
            ok("lrsched plot --schedule cosine --warmup 100 --steps 1000"),
            ok("lrsched plot --schedule cosine --schedule polynomial --set power=2 --steps 500"),
            ok("lrsched plot --config examples/configs/lr.json --expr \"0.5 ^ (step / 2000)\""),
            ok("lrsched plot --config examples/configs/lr.json --schedule cosine --log-y"),
            ok("lrsched plot --schedule linear --steps 1000000 --from 900000 --width 60"),
            ok("lrsched plot --schedule cosine --steps 1000 --svg lr.svg"),
            ok("lrsched plot --schedule OneCycleLR --set max_lr=0.1 --svg lr.png"),
            ok("lrsched plot --schedule cosine --warmup 50 --svg lr.svg --title \"Run 7\""),
        ],
    },
    Page {
        command: "list",
        notes: &[],
        exit: &[
            (0, "the list was written"),
            (
                2,
                "no schedule or library has that name (the message suggests the closest)",
            ),
        ],
        examples: &[
            ok("lrsched list"),
            ok("lrsched list torch"),
            ok("lrsched list OneCycleLR"),
            ok("lrsched list --markdown"),
        ],
    },
    Page {
        command: "train",
        notes: &[
            "With no flags this is the PyTorch demo's run: 10 steps, warmup 5, base lr 0.1, \
             SGD, 10 samples of 10 features.",
            "Without --data the model trains on synthetic data from --seed, made by lrsched's \
             own generator: the same numbers on every machine, but not torch's. --torch-seed0 \
             (or --data examples/seed0-data.csv --init examples/seed0-init.json) trains on the \
             numbers torch.manual_seed(0) gives the PyTorch demo, and reproduces its losses.",
        ],
        exit: &[
            (0, "the run trained every step"),
            (
                1,
                "the loss or a weight stopped being finite: the rows before are written, \
                 then the step and its lr on stderr",
            ),
            BAD_INPUT,
        ],
        examples: &[
            ok("lrsched train"),
            ok("lrsched train --torch-seed0 --next-lr"),
            ok("lrsched train --optimizer adam --schedule cosine --base-lr 3e-4 --digits 4"),
            ok("lrsched train --data examples/seed0-data.csv --format csv"),
            fails(
                "lrsched train --base-lr 5 --warmup 0 --steps 20",
                1,
                "diverges",
            ),
        ],
    },
    Page {
        command: "check",
        notes: &[
            "With --samples N (and the run flags) the check covers the run's optimizer \
             updates, each with the lr its runtime gives it, and prints how they were derived.",
            "--against LOG compares the schedule with the learning rates a run logged: \
             transformers' trainer_state.json (its step s is the lr of update s-1), a CSV \
             with a step and an lr column (W&B, TensorBoard and Lightning exports, lrsched \
             csv), or JSON Lines with the same keys. It reports the rows compared, rows only \
             in the log or only in the schedule, the largest error, the first step beyond \
             --tolerance with both values, and a guess at a classic cause.",
        ],
        exit: &[
            (
                0,
                "every check passed (warnings are printed and pass, unless --strict); with \
                 --against, every logged lr is the schedule's",
            ),
            (
                1,
                "an --assert failed, an lr was NaN, infinite or negative, or --strict met a \
                 warning; with several configs, any of them; with --against, a logged lr \
                 differs beyond --tolerance",
            ),
            (
                2,
                "bad input (an unknown schedule or parameter, a malformed value or \
                 expression, an unreadable config or log, named with its file and line): one \
                 message on stderr, nothing on stdout",
            ),
        ],
        examples: &[
            ok("lrsched check --config examples/configs/lr.json"),
            ok("lrsched check --config examples/configs/lr.json --assert \"peak_lr <= 3e-4\""),
            ok("lrsched check examples/configs/lr.json examples/configs/lr.toml"),
            ok("lrsched check --config examples/configs/training_args.json --samples 50000"),
            ok("lrsched check --warmup 10 --steps 100 --strict --allow zero_first_lr"),
            fails(
                "lrsched check --schedule cosine --assert \"final_lr > 0.01\"",
                1,
                "fails",
            ),
            ok("lrsched check --config examples/configs/training_args.json --samples 50000"),
            ok("lrsched csv --schedule cosine --warmup 10 > lr.csv"),
            ok("lrsched check --schedule cosine --warmup 10 --against lr.csv"),
            fails(
                "lrsched check --schedule cosine --against lr.csv",
                1,
                "no warmup",
            ),
        ],
    },
    Page {
        command: "diff",
        notes: &[
            "OLD and NEW are any config lrsched reads: its own JSON, TOML or YAML (what \
             lrsched json writes), transformers TrainingArguments, DeepSpeed, Axolotl, \
             LLaMA-Factory, torchtune or LightningCLI. Flags given here (--steps, --base-lr, \
             --samples, --batch-size, ...) apply to both, on top of each file; with \
             --samples the two runs are compared update by update.",
            "The report: each schedule, its steps, peak lr and step, final lr and lr budget \
             (the sum of the lr) side by side, the budget ratio new/old; the first step where \
             they differ with both values; the largest absolute and relative difference with \
             their steps. Schedules of different lengths are compared over the steps both \
             have, and differ. --plot draws both curves with a row of marks above them over \
             the steps that differ.",
        ],
        exit: &[
            (
                0,
                "every step is equal within --tolerance (default: the same doubles)",
            ),
            (
                1,
                "the schedules differ: a step beyond --tolerance, different lengths, or a \
                 pasted Python function that raises in one and not the other",
            ),
            BAD_INPUT,
        ],
        examples: &[
            ok("lrsched diff examples/configs/lr.json examples/configs/lr.toml"),
            ok("lrsched diff examples/configs/lr.json examples/configs/lr.toml --format json"),
            ok("lrsched json --config examples/configs/lr.json --warmup 1000 > new.json"),
            fails(
                "lrsched diff examples/configs/lr.json new.json",
                1,
                "differ",
            ),
            fails(
                "lrsched diff examples/configs/lr.json new.json --plot",
                1,
                "differ",
            ),
            fails(
                "lrsched diff examples/configs/lr.json new.json --from 5000",
                1,
                "differ",
            ),
        ],
    },
    Page {
        command: "identify",
        notes: &[
            "The log: transformers' trainer_state.json (its step s is the lr of update s-1), a \
             CSV with a step and an lr column (W&B, TensorBoard and Lightning exports, lrsched \
             csv), or JSON Lines with the same keys.",
        ],
        exit: &[
            (0, "a built-in reproduces the log within --tolerance"),
            (1, "none does (the closest are still shown)"),
            (2, "the log cannot be read, or has no step and lr columns"),
        ],
        examples: &[
            ok("lrsched csv --schedule cosine --warmup 10 --steps 200 > lr.csv"),
            ok("lrsched identify lr.csv"),
            ok("lrsched identify lr.csv --format json --top 1"),
        ],
    },
    Page {
        command: "completions",
        notes: &[
            "Install the bash script as ~/.local/share/bash-completion/completions/lrsched, \
             the zsh one as _lrsched in a directory of $fpath, the fish one as \
             ~/.config/fish/completions/lrsched.fish. They complete subcommands and flags, \
             the built-in names after --schedule and list, and parameter names (and the \
             values of choice parameters) after --set.",
        ],
        exit: &[(0, "the script was written"), (2, "an unknown shell")],
        examples: &[
            ok("lrsched completions bash > lrsched.bash"),
            ok("lrsched completions zsh > _lrsched"),
            ok("lrsched completions fish > lrsched.fish"),
        ],
    },
    Page {
        command: "man",
        notes: &["Read a page with man -l FILE, or straight away: lrsched man | man -l -"],
        exit: &[
            (0, "the page was written"),
            (2, "no subcommand has that name"),
        ],
        examples: &[
            ok("lrsched man > lrsched.1"),
            ok("lrsched man check > lrsched-check.1"),
        ],
    },
];

/// The page of `command` (`""` for `lrsched`).
pub fn page(command: &str) -> Option<&'static Page> {
    PAGES.iter().find(|p| p.command == command)
}

/// Width the notes and exit statuses are wrapped to (clap wraps again on a narrower
/// terminal).
const WIDTH: usize = 80;

impl Page {
    /// The text clap prints after the options, its headings in `header`'s style.
    pub fn after_help(&self, header: &Style) -> String {
        let heading =
            |title: &str| format!("{}{title}:{}\n", header.render(), header.render_reset());
        let mut text = String::new();
        if let Some(table) = self.table() {
            text.push_str(&table);
            text.push('\n');
        }
        for note in self.notes {
            for line in wrap(note, WIDTH) {
                text.push_str(&line);
                text.push('\n');
            }
            text.push('\n');
        }
        text.push_str(&heading("Exit status"));
        for (status, meaning) in self.exit {
            for (i, line) in wrap(meaning, WIDTH - 5).iter().enumerate() {
                match i {
                    0 => text.push_str(&format!("  {status}  {line}\n")),
                    _ => text.push_str(&format!("     {line}\n")),
                }
            }
        }
        text.push('\n');
        text.push_str(&heading("Examples"));
        for example in self.examples {
            text.push_str("  ");
            text.push_str(&example.shown());
            text.push('\n');
        }
        text.truncate(text.trim_end().len());
        text
    }
}

impl Page {
    /// A table made at run time, before the notes: `check`'s warning kinds, from
    /// [`lrsched::check::Kind::ALL`] so that a new kind cannot be left out.
    pub fn table(&self) -> Option<String> {
        (self.command == "check").then(|| {
            use lrsched::check::Kind;
            let width = Kind::ALL.iter().map(|k| k.name().len()).max().unwrap_or(0);
            let mut text = String::from("Warning kinds (--allow KIND):\n");
            for kind in Kind::ALL {
                let summary = wrap(kind.summary(), WIDTH - width - 4);
                for (i, line) in summary.iter().enumerate() {
                    let name = if i == 0 { kind.name() } else { "" };
                    text.push_str(&format!("  {name:<width$}  {line}\n"));
                }
            }
            text
        })
    }
}

impl Example {
    /// The line as the help shows it: a non-zero exit status in a shell comment.
    pub fn shown(&self) -> String {
        match self.exit {
            0 => self.line.to_string(),
            status => format!("{}  # exit {status}: {}", self.line, self.why),
        }
    }
}

/// The command line with each page's text after its options.
pub fn with_pages(command: Command) -> Command {
    let header = command.get_styles().get_header().to_owned();
    let mut command = match page("") {
        Some(root) => command.after_help(root.after_help(&header)),
        None => command,
    };
    for page in PAGES.iter().filter(|p| !p.command.is_empty()) {
        command =
            command.mut_subcommand(page.command, |sub| sub.after_help(page.after_help(&header)));
    }
    command
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn every_subcommand_has_a_page_and_every_page_a_subcommand() {
        let command = super::super::Cli::command();
        let mut names: Vec<&str> = command.get_subcommands().map(|c| c.get_name()).collect();
        names.insert(0, "");
        let pages: Vec<&str> = PAGES.iter().map(|p| p.command).collect();
        assert_eq!(pages, names);
        for page in PAGES {
            assert!(!page.examples.is_empty(), "{}", page.command);
            for example in page.examples {
                assert!(
                    page.exit.iter().any(|(status, _)| *status == example.exit),
                    "{}: {} exits {}, which the page does not document",
                    page.command,
                    example.line,
                    example.exit
                );
            }
        }
    }
}
