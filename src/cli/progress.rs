//! The progress bar of long runs (indicatif), on stderr: shown when stderr is a terminal and
//! a run has taken more than a second, with an ETA; for work that will take more than a
//! minute, a line up front says so. Nothing goes to stdout, and nothing to a stderr that is
//! not a terminal unless `--progress always` asks for it.
//!
//! The engine tells the bar how a run is getting on ([`lrsched::engine::Progress`]) from the
//! thread that folds, so the bar needs no thread of its own (no steady tick).

use std::io::{self, IsTerminal, Write};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use lrsched::engine::{Engine, Progress, Work};

/// When to show progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressChoice {
    /// On a terminal, for work that takes more than a second
    Auto,
    /// On stderr whatever it is, from the start of every run
    Always,
    Never,
}

/// `--progress`, shared by the subcommands that evaluate many steps.
#[derive(Debug, Args, Clone)]
pub struct ProgressArgs {
    /// A progress bar with an ETA on stderr for runs of more than a second
    #[arg(long, value_enum, default_value_t = ProgressChoice::Auto, value_name = "WHEN", help_heading = "Output")]
    pub progress: ProgressChoice,
}

/// How long a run goes before its bar appears.
const SHOW_AFTER: Duration = Duration::from_secs(1);

/// How long work must be expected to take for a line up front to say so.
const ANNOUNCE_OVER: Duration = Duration::from_secs(60);

/// What a command is doing, for the bar and the line up front: `checking`, `writing`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    /// `table`, `csv`, `json`: rows to stdout while the bar runs.
    Writing,
    /// `check`.
    Checking,
    /// `plot`.
    Plotting,
}

/// The progress of one command: one bar a run, drawn on stderr.
pub struct Bar {
    /// When the command started: the bar appears a second after.
    started: Instant,
    always: bool,
    /// stdout is the terminal the bar is drawn on, and the runs write to it as they go:
    /// the bar steps out of the way for each write.
    shares_output: bool,
    verb: Verb,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// What the next runs evaluate (a schedule's label), and whether it is recursive.
    name: String,
    recursive: bool,
    bar: Option<ProgressBar>,
    work: Work,
    run_started: Option<Instant>,
    shown: bool,
    /// The line up front has been written (once a command).
    announced: bool,
    replaying: bool,
}

impl Bar {
    /// The progress of a command that is `verb`-ing, or `None` when it is not to be shown.
    pub fn new(choice: ProgressChoice, verb: Verb) -> Option<Arc<Bar>> {
        let stderr = io::stderr().is_terminal();
        let always = match choice {
            ProgressChoice::Never => return None,
            ProgressChoice::Auto if !stderr => return None,
            ProgressChoice::Auto => false,
            ProgressChoice::Always => true,
        };
        Some(Arc::new(Bar {
            started: Instant::now(),
            always,
            shares_output: verb == Verb::Writing && stderr && io::stdout().is_terminal(),
            verb,
            state: Mutex::new(State::default()),
        }))
    }

    /// `engine`, reporting to `bar` if there is one.
    pub fn engine(bar: Option<&Arc<Bar>>, engine: Engine) -> Engine {
        match bar {
            Some(bar) => engine.with_progress(Arc::clone(bar) as Arc<dyn Progress>),
            None => engine,
        }
    }

    /// Names what the next runs evaluate: `label` (a schedule's), recursive or not.
    pub fn name(&self, label: &str, recursive: bool) {
        let mut state = self.lock();
        state.name = label.to_string();
        state.recursive = recursive;
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave the state half-written in a way that matters.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Draws the bar from now on.
    fn show(&self, state: &mut State) {
        let Some(bar) = &state.bar else {
            return;
        };
        state.shown = true;
        bar.set_draw_target(ProgressDrawTarget::term_like_with_hz(
            Box::new(console::Term::stderr()),
            20,
        ));
        bar.reset_eta();
        bar.force_draw();
    }

    fn message(&self, state: &State) -> String {
        if state.replaying {
            return format!("replaying {}", state.name);
        }
        let verb = match self.verb {
            Verb::Writing => "writing",
            Verb::Checking => "checking",
            Verb::Plotting => "plotting",
        };
        format!("{verb} {}", state.name)
    }

    /// The line up front for work that will take `total` in all. A recursive schedule that
    /// walks more steps than it shows (`--from`, `--every`) says why.
    fn announcement(&self, state: &State, total: Duration) -> String {
        let work = state.work;
        let about = duration_text(total);
        if state.recursive && work.replay.saturating_add(work.stream) > work.rows {
            return format!(
                "replaying {} steps of {}, {about}; closed forms skip, recursive torch \
                 schedulers cannot",
                count_text(work.replay.saturating_add(work.stream)),
                state.name
            );
        }
        let (verb, what) = match self.verb {
            Verb::Writing => ("writing", "rows"),
            Verb::Checking => ("checking", "steps"),
            Verb::Plotting => ("plotting", "steps"),
        };
        format!(
            "{verb} {} {what} of {}, {about}",
            count_text(work.rows),
            state.name
        )
    }
}

impl Progress for Bar {
    fn start(&self, work: &Work) {
        let mut state = self.lock();
        let bar = ProgressBar::with_draw_target(Some(work.total()), ProgressDrawTarget::hidden());
        // One line at any width: the bar where there is room for it and the message, else
        // the figures first and the message cut to fit.
        let template = match console::Term::stderr().size().1 {
            60.. => "{msg:.bold} [{wide_bar:.cyan/blue}] {percent:>3}% ETA {eta}",
            _ => "{percent:>3}% ETA {eta} {wide_msg:.bold}",
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        state.work = *work;
        state.replaying = work.replay > 0;
        bar.set_message(self.message(&state));
        state.bar = Some(bar);
        state.run_started = Some(Instant::now());
        state.shown = false;
        if self.always {
            self.show(&mut state);
        }
    }

    fn advance(&self, done: u64) {
        let mut state = self.lock();
        if state.replaying && done >= state.work.replay {
            state.replaying = false;
            let message = self.message(&state);
            if let Some(bar) = &state.bar {
                bar.set_message(message);
            }
        }
        let ran = state.run_started.map_or(Duration::ZERO, |t| t.elapsed());
        // Once the run has gone on long enough to measure its pace, the work left is
        // estimated, and announced if long.
        if !state.announced && ran >= SHOW_AFTER && done > 0 {
            state.announced = true;
            let left = state.work.total().saturating_sub(done) as f64;
            let remaining = Duration::from_secs_f64(ran.as_secs_f64() * left / done as f64);
            if remaining > ANNOUNCE_OVER {
                let line = self.announcement(&state, ran + remaining);
                match state.bar.as_ref().filter(|_| state.shown) {
                    Some(bar) => bar.suspend(|| eprintln_quietly(&line)),
                    None => eprintln_quietly(&line),
                }
            }
        }
        if !state.shown && self.started.elapsed() >= SHOW_AFTER {
            self.show(&mut state);
        }
        if let Some(bar) = &state.bar {
            bar.set_position(done);
        }
    }

    fn fold(&self, fold: &mut dyn FnMut()) {
        let bar = {
            let state = self.lock();
            state
                .bar
                .clone()
                .filter(|_| state.shown && self.shares_output)
        };
        match bar {
            Some(bar) => bar.suspend(fold),
            None => fold(),
        }
    }

    fn finish(&self) {
        let mut state = self.lock();
        if let Some(bar) = state.bar.take()
            && state.shown
        {
            bar.finish_and_clear();
        }
        state.shown = false;
    }
}

/// A line on stderr, which may be closed: nobody is left to tell then.
fn eprintln_quietly(line: &str) {
    let _ = writeln!(io::stderr().lock(), "{line}");
}

/// `10^12` for a power of ten, else the number.
fn count_text(n: u64) -> String {
    let mut power = 0;
    let mut rest = n;
    while rest >= 10 && rest.is_multiple_of(10) {
        rest /= 10;
        power += 1;
    }
    if rest == 1 && power >= 3 {
        format!("10^{power}")
    } else {
        n.to_string()
    }
}

/// `~45 s`, `~20 min`, `~3 h`.
fn duration_text(d: Duration) -> String {
    let seconds = d.as_secs_f64();
    if seconds < 90.0 {
        format!("~{} s", seconds.round())
    } else if seconds < 90.0 * 60.0 {
        format!("~{} min", (seconds / 60.0).round())
    } else {
        format!("~{} h", (seconds / 3600.0).round())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(verb: Verb, name: &str, recursive: bool, work: Work) -> Bar {
        Bar {
            started: Instant::now(),
            always: false,
            shares_output: false,
            verb,
            state: Mutex::new(State {
                name: name.into(),
                recursive,
                work,
                ..State::default()
            }),
        }
    }

    #[test]
    fn long_work_is_announced_with_its_reason() {
        let announce = |bar: Bar| {
            let state = bar.lock();
            bar.announcement(&state, Duration::from_secs(20 * 60))
        };
        // `--steps 1e12 --every 1e11` of a recursive schedule: 11 rows, 10^12 steps walked.
        let every = Work {
            replay: 0,
            stream: 1_000_000_000_000,
            rows: 11,
        };
        assert_eq!(
            announce(bar(Verb::Writing, "ExponentialLR", true, every)),
            "replaying 10^12 steps of ExponentialLR, ~20 min; closed forms skip, recursive \
             torch schedulers cannot"
        );
        // Every step shown: nothing is skipped, recursive or not.
        let all = Work {
            replay: 0,
            stream: 1_000_000_000_000,
            rows: 1_000_000_000_000,
        };
        assert_eq!(
            announce(bar(Verb::Checking, "CosineAnnealingLR", true, all)),
            "checking 10^12 steps of CosineAnnealingLR, ~20 min"
        );
        let closed = Work {
            rows: 1_000_000_000_000,
            ..Work::default()
        };
        assert_eq!(
            announce(bar(Verb::Writing, "cosine (warmup 100)", false, closed)),
            "writing 10^12 rows of cosine (warmup 100), ~20 min"
        );
    }

    #[test]
    fn counts_and_durations_read_at_a_glance() {
        assert_eq!(count_text(1_000_000_000_000), "10^12");
        assert_eq!(count_text(999_999_995), "999999995");
        assert_eq!(count_text(100), "100");
        assert_eq!(count_text(0), "0");
        assert_eq!(duration_text(Duration::from_secs(75)), "~75 s");
        assert_eq!(duration_text(Duration::from_secs(20 * 60 + 10)), "~20 min");
        assert_eq!(duration_text(Duration::from_secs(3 * 3600 + 100)), "~3 h");
    }
}
