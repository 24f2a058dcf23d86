//! `--help`, the man pages and the shell completions: every page in one layout (notes,
//! `Exit status:`, `Examples:`), every example run as a user would run it, the man page
//! saying the same, and completions that offer the registry's names.

use std::path::Path;
use std::process::Command;

use super::cli::lrsched;
use crate::scratch::tempdir;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn stdout(args: &[&str]) -> String {
    let out = lrsched().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `lrsched --help`'s subcommands, as it lists them (without `help`).
fn subcommands() -> Vec<String> {
    let help = stdout(&["--help"]);
    let commands = help.split("Commands:\n").nth(1).unwrap();
    commands
        .lines()
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .filter(|name| name != "help")
        .collect()
}

/// One page of `--help` below the options.
struct Page {
    command: String,
    /// `(status, meaning)` of each `Exit status:` line.
    exit: Vec<(u8, String)>,
    /// `(command line, documented status)` of each `Examples:` line.
    examples: Vec<(String, u8)>,
}

/// The `Exit status:` and `Examples:` sections of `lrsched [COMMAND] --help`, checked to
/// be the page's last two sections, in that order, in the common layout.
fn page(command: &str) -> Page {
    let args: Vec<&str> = [command, "--help"]
        .into_iter()
        .filter(|a| !a.is_empty())
        .collect();
    let help = stdout(&args);
    let (before, rest) = help
        .split_once("\n\nExit status:\n")
        .unwrap_or_else(|| panic!("lrsched {command} --help has no 'Exit status:'\n{help}"));
    assert!(before.contains("Usage: lrsched"), "{help}");
    let (exit, examples) = rest
        .split_once("\n\nExamples:\n")
        .unwrap_or_else(|| panic!("lrsched {command} --help: no 'Examples:' after 'Exit status:'"));
    let mut statuses: Vec<(u8, String)> = Vec::new();
    for line in exit.lines() {
        let status = line.strip_prefix("  ").and_then(|l| l.split_once("  "));
        match status {
            Some((status, meaning)) if status.parse::<u8>().is_ok() => {
                statuses.push((status.parse().unwrap(), meaning.to_string()));
            }
            // A meaning that wraps continues under itself.
            _ => {
                assert!(
                    line.starts_with("     "),
                    "lrsched {command} --help: {line:?}"
                );
                let last = statuses.last_mut().unwrap();
                last.1 = format!("{} {}", last.1, line.trim());
            }
        }
    }
    let examples = examples
        .lines()
        .map(|line| {
            let line = line
                .strip_prefix("  lrsched ")
                .map(|l| format!("lrsched {l}"))
                .unwrap_or_else(|| panic!("lrsched {command} --help: example {line:?}"));
            match line.split_once("  # exit ") {
                Some((run, why)) => (run.to_string(), why[..1].parse().unwrap()),
                None => (line, 0),
            }
        })
        .collect();
    Page {
        command: command.to_string(),
        exit: statuses,
        examples,
    }
}

fn pages() -> Vec<Page> {
    let mut pages = vec![page("")];
    pages.extend(subcommands().iter().map(|c| page(c)));
    pages
}

/// Every example of every page, run by bash in a fresh directory that holds lrsched's
/// `examples/` (the examples' files), with the lrsched under test first on PATH; a page's
/// examples run in order (one may write a file the next reads). Each exits 0 with nothing
/// on stderr, or with the status it documents, which the page's `Exit status:` lists.
#[test]
fn every_example_in_every_help_runs_and_exits_as_documented() {
    let bin = assert_cmd::cargo::cargo_bin("lrsched");
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let pages = pages();
    assert_eq!(pages.len(), 1 + subcommands().len());
    let mut ran = 0;
    for page in &pages {
        assert!(!page.examples.is_empty(), "lrsched {} --help", page.command);
        let dir = tempdir();
        std::os::unix::fs::symlink(
            Path::new(ROOT).join("examples"),
            dir.path().join("examples"),
        )
        .unwrap();
        for (line, status) in &page.examples {
            assert!(
                page.exit.iter().any(|(s, _)| s == status),
                "lrsched {} --help: `{line}` exits {status}, which its Exit status does not list",
                page.command
            );
            let out = Command::new("bash")
                .args(["-c", line])
                .current_dir(dir.path())
                .env("PATH", &path)
                .env_remove("NO_COLOR")
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(i32::from(*status)),
                "lrsched {} --help: `{line}`: {stderr}",
                page.command
            );
            if *status == 0 {
                assert_eq!(stderr, "", "`{line}`");
            }
            ran += 1;
        }
    }
    assert!(ran >= 30, "{ran} examples");
}

/// Examples and exit statuses are where a page looks the same everywhere: no line of them
/// is wider than 80 columns, so no terminal wraps an example in two.
#[test]
fn every_page_has_one_layout_within_80_columns() {
    for page in pages() {
        let args: Vec<&str> = [page.command.as_str(), "--help"]
            .into_iter()
            .filter(|a| !a.is_empty())
            .collect();
        let help = stdout(&args);
        let tail = &help[help.find("\n\nExit status:\n").unwrap()..];
        for line in tail.lines() {
            assert!(
                line.chars().count() <= 80,
                "lrsched {} --help: {line:?}",
                page.command
            );
        }
        let statuses: Vec<u8> = page.exit.iter().map(|(s, _)| *s).collect();
        assert!(statuses.windows(2).all(|w| w[0] < w[1]), "{statuses:?}");
        assert_eq!(statuses.first(), Some(&0), "lrsched {}", page.command);
        assert_eq!(statuses.last(), Some(&2), "lrsched {}", page.command);
    }
    // The statuses each page documents (0 and 2 everywhere; 1 where something can fail).
    let with_1: Vec<String> = pages()
        .into_iter()
        .filter(|p| p.exit.iter().any(|(s, _)| *s == 1))
        .map(|p| p.command)
        .collect();
    assert_eq!(with_1, ["", "train", "check", "diff", "identify"]);
}

/// roff's spelling of plain text: `-` is `\-`, `'` is `\*(Aq`.
fn roff(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('-', "\\-")
        .replace('\'', "\\*(Aq")
}

/// `lrsched man [COMMAND]` has the help's exit statuses and examples, in sections titled
/// EXIT STATUS and EXAMPLES (never clap_mangen's EXTRA), and a synopsis with the values.
#[test]
fn man_pages_say_what_the_help_says() {
    for page in pages() {
        let args: Vec<&str> = ["man", page.command.as_str()]
            .into_iter()
            .filter(|a| !a.is_empty())
            .collect();
        let man = stdout(&args);
        assert!(!man.contains("EXTRA"), "{args:?}");
        assert_eq!(man.matches(".ie \\n(.g .ds Aq").count(), 1, "{args:?}");
        let sections: Vec<&str> = man.lines().filter_map(|l| l.strip_prefix(".SH ")).collect();
        assert_eq!(sections.first(), Some(&"NAME"), "{args:?}");
        assert_eq!(sections.get(1), Some(&"SYNOPSIS"), "{args:?}");
        let exit_at = sections
            .iter()
            .position(|s| *s == "\"EXIT STATUS\"")
            .unwrap();
        assert_eq!(sections.get(exit_at + 1), Some(&"EXAMPLES"), "{args:?}");
        let (_, exit) = man.split_once(".SH \"EXIT STATUS\"\n").unwrap();
        let (exit, examples) = exit.split_once(".SH EXAMPLES\n").unwrap();
        let want: String = page
            .exit
            .iter()
            .map(|(s, meaning)| format!(".TP\n\\fB{s}\\fR\n{}\n", roff(meaning)))
            .collect();
        assert_eq!(exit, want, "{args:?}");
        for (line, status) in &page.examples {
            let shown = match status {
                0 => roff(line),
                _ => format!("{}  # exit {status}", roff(line)),
            };
            assert!(
                examples.contains(&format!(".PP\n.nf\n{shown}")),
                "{args:?}: {line}\n{examples}"
            );
        }
    }
    let table = stdout(&["man", "table"]);
    let synopsis = table
        .split(".SH SYNOPSIS\n")
        .nth(1)
        .unwrap()
        .lines()
        .nth(1)
        .unwrap();
    assert!(
        synopsis.starts_with(
            "\\fBlrsched table\\fR [\\fB\\-\\-steps\\fR \\fIN\\fR] [\\fB\\-\\-base\\-lr\\fR \\fIX\\fR] \
             [\\fB\\-\\-warmup\\fR \\fIN\\fR] [\\fB\\-\\-schedule\\fR \\fINAME\\fR]... \
             [\\fB\\-\\-set\\fR \\fIKEY=VALUE\\fR]... [\\fB\\-\\-expr\\fR \\fIEXPR\\fR]..."
        ),
        "{synopsis}"
    );
    let list = stdout(&["man", "list"]);
    assert!(
        list.contains("[\\fB\\-h\\fR|\\fB\\-\\-help\\fR] [\\fINAME\\fR]\n"),
        "{list}"
    );
    let root = stdout(&["man"]);
    assert!(
        root.contains("\\fBlrsched\\fR [\\fB\\-h\\fR|\\fB\\-\\-help\\fR] [\\fB\\-V\\fR|\\fB\\-\\-version\\fR] \\fICOMMAND\\fR\n"),
        "{root}"
    );
}

/// Value ranges are in the help and in the man page.
#[test]
fn ranges_are_in_the_help_and_the_man_page() {
    for (command, flag, range) in [
        ("table", "--steps <N>", "N >= 1"),
        ("table", "--base-lr <X>", "X >= 0"),
        ("table", "--every <K>", "K >= 1"),
        ("table", "--digits <D>", "1..=17"),
        (
            "plot",
            "--width <N>",
            "up to 1000 and at least the lr labels' width plus 10",
        ),
        ("plot", "--width <N>", "200..=10000"),
        ("plot", "--height <N>", "3..=500"),
        ("identify", "--top <N>", "1..=100"),
        ("identify", "--tolerance <REL>", "REL >= 0"),
        ("train", "--steps <N>", "N >= 1"),
        ("train", "--samples <N>", "N >= 1"),
        ("train", "--digits <D>", "1..=17"),
        ("train", "--betas <BETA1,BETA2>", "each in [0, 1)"),
        ("csv", "--batch-size <B>", "B >= 1"),
        ("csv", "--warmup-ratio <R>", "R in [0, 1]"),
    ] {
        let help = stdout(&[command, "--help"]);
        let entry = help
            .split(&format!("      {flag}"))
            .nth(1)
            .unwrap_or_else(|| panic!("lrsched {command} --help has no {flag}"));
        let entry = entry.split("\n      -").next().unwrap();
        let flat = entry.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(range),
            "lrsched {command} --help {flag}: {flat}"
        );
        let man = stdout(&["man", command]);
        let (name, value) = flag.split_once(' ').unwrap();
        let entry = man
            .split(&format!(".TP\n\\fB{}\\fR \\fI{value}\\fR", roff(name)))
            .nth(1)
            .unwrap_or_else(|| panic!("lrsched man {command}: no {flag}"));
        let entry = entry.split("\n.TP").next().unwrap();
        assert!(
            entry.contains(&roff(range)),
            "lrsched man {command} {flag}: {entry}"
        );
    }
}

/// Runs bash completion as bash does on TAB: the script `lrsched completions bash` writes,
/// its function called with the words typed so far; returns the candidates.
fn bash_complete(script: &Path, words: &[&str]) -> Vec<String> {
    let program = format!(
        "source {}\nCOMP_WORDS=({})\nCOMP_CWORD={}\n_lrsched lrsched \"${{COMP_WORDS[COMP_CWORD]}}\" \
         \"${{COMP_WORDS[COMP_CWORD-1]}}\" 2>/dev/null\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        words
            .iter()
            .map(|w| format!("'{w}'"))
            .collect::<Vec<_>>()
            .join(" "),
        words.len() - 1
    );
    let out = Command::new("bash")
        .args(["-c", &program])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

#[test]
fn bash_completes_schedules_libraries_and_parameters() {
    let dir = tempdir();
    let script = dir.path().join("lrsched.bash");
    std::fs::write(&script, stdout(&["completions", "bash"])).unwrap();
    let complete = |words: &[&str]| bash_complete(&script, words);
    assert_eq!(
        complete(&["lrsched", "table", "--schedule", "CosineA"]),
        ["CosineAnnealingLR", "CosineAnnealingWarmRestarts"]
    );
    assert_eq!(
        complete(&["lrsched", "plot", "--schedule", "warmup_s"]),
        ["warmup_stable_decay"]
    );
    assert_eq!(complete(&["lrsched", "list", "OneC"]), ["OneCycleLR"]);
    assert_eq!(complete(&["lrsched", "list", "tor"]), ["torch"]);
    assert_eq!(
        complete(&["lrsched", "csv", "--set", "T_"]),
        ["T_max=", "T_0=", "T_mult="]
    );
    assert_eq!(
        complete(&["lrsched", "train", "--set", "anneal_"]),
        [
            "anneal_strategy=",
            "anneal_strategy=cos",
            "anneal_strategy=linear"
        ]
    );
    assert_eq!(complete(&["lrsched", "man", "ch"]), ["check"]);
    // Every built-in, as lrsched writes it, after --schedule and list; every parameter.
    use lrsched::schedule::registry;
    let schedules = complete(&["lrsched", "check", "--schedule", ""]);
    let names: Vec<String> = registry::entries().map(|e| e.to_string()).collect();
    assert_eq!(schedules, names);
    let listed = complete(&["lrsched", "list", ""]);
    for library in registry::libraries() {
        assert!(listed.contains(&library.name().to_string()), "{library}");
    }
    for name in &names {
        assert!(listed.contains(name), "{name}");
    }
    let set = complete(&["lrsched", "json", "--set", ""]);
    for entry in registry::entries() {
        for p in entry.params {
            assert!(set.contains(&format!("{}=", p.name)), "{}", p.name);
            for value in p.kind.values() {
                assert!(
                    set.contains(&format!("{}={value}", p.name)),
                    "{}={value}",
                    p.name
                );
            }
        }
    }
}

/// zsh and fish are not installed to run here: their scripts are checked to hold the
/// candidates in each shell's syntax.
#[test]
fn zsh_and_fish_scripts_hold_the_candidates() {
    let zsh = stdout(&["completions", "zsh"]);
    assert!(
        zsh.contains(":NAME:((linear\\:\"linear warmup, then linear decay to 0 at step N\"\n"),
        "zsh: --schedule"
    );
    assert!(
        zsh.contains("\nCyclicLR\\:\"cycles the lr between base_lr"),
        "zsh"
    );
    assert!(
        zsh.contains("\ndeepspeed\\:WarmupLR\\:\""),
        "zsh: LIBRARY:NAME"
    );
    assert!(zsh.contains(":KEY=VALUE:(num_cycles= "), "zsh: --set");
    assert!(
        zsh.contains(" mode=triangular mode=triangular2 mode=exp_range "),
        "zsh"
    );
    assert!(
        zsh.contains("'::name -- One schedule in detail"),
        "zsh: list NAME"
    );
    let fish = stdout(&["completions", "fish"]);
    assert!(
        fish.contains(" -l schedule -d 'A built-in schedule, NAME or LIBRARY:NAME as in its library (lrsched list) [default: constant_with_warmup]' -r -f -a \"linear\\t'linear warmup, then linear decay to 0 at step N'\n"),
        "fish: --schedule"
    );
    assert!(fish.contains("\nanneal_strategy=cos\\t''\n"), "fish: --set");
    assert!(
        fish.contains(
            "complete -c lrsched -n \"__fish_lrsched_using_subcommand list\" -f -a \
             \"transformers\\t'"
        ),
        "fish: list NAME"
    );
    assert!(
        fish.contains("\nOneCycleLR\\t'the 1cycle policy"),
        "fish: list NAME"
    );
}
