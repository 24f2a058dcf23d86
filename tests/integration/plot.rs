//! `lrsched plot` in the terminal, end to end: exact charts in a pipe with colour off and
//! forced on, fitted to 20, 40 and 100 columns, small runs, extreme learning rates,
//! overlays and their labels, `--log-y` and `--from`.

use assert_cmd::Command;

use crate::cli::rejects;
use crate::scratch::tempdir;

/// lrsched in an environment that decides nothing about colour or size.
fn lrsched() -> Command {
    let mut cmd = crate::cli::lrsched();
    for name in ["NO_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "COLUMNS", "LINES"] {
        cmd.env_remove(name);
    }
    cmd.env("TERM", "xterm");
    cmd
}

/// The chart `args` draw, asserting success and nothing on stderr.
fn chart(args: &[&str], env: &[(&str, &str)]) -> String {
    let mut cmd = lrsched();
    cmd.args(args);
    for (name, value) in env {
        cmd.env(name, value);
    }
    let out = cmd.output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?} {env:?}");
    assert!(out.status.success(), "{args:?} {env:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The widest line in terminal columns (every character the plot draws takes one).
fn widest(text: &str) -> usize {
    text.lines().map(|l| l.chars().count()).max().unwrap_or(0)
}

#[test]
fn a_piped_plot_is_plain_braille_with_its_axes() {
    assert_eq!(
        chart(
            &[
                "plot", "--warmup", "20", "--steps", "60", "--width", "50", "--height", "4"
            ],
            &[]
        ),
        "lr:  constant_with_warmup (warmup 20)
0.1 ┤⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⡠⠔⠒⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉
    │⠀⠀⠀⠀⠀⠀⠀⠀⣀⠔⠒⠉⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀
    │⠀⠀⠀⢀⣀⠤⠊⠉⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀
0.0 ┤⡠⠔⠒⠁⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀
    └┬──────────────┬──────────────┬─────────────┬
     0             20             40            59
                         step
"
    );
}

#[test]
fn forced_colour_colours_curves_and_legend_alike_one_escape_a_run() {
    let args = [
        "plot",
        "--schedule",
        "cosine",
        "--schedule",
        "constant",
        "--steps",
        "40",
        "--width",
        "40",
        "--height",
        "4",
    ];
    let coloured = "lr:  \x1b[34m━━\x1b[0m cosine  \x1b[31m━━\x1b[0m constant
0.1 ┤\x1b[31m⠉⠉⠉⠉⠛⠛⠛⠫⠭⢍⣉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉\x1b[0m
    │⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀\x1b[34m⠉⠉⠒⠢⠤⢄⡀\x1b[0m⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀
    │⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀\x1b[34m⠈⠉⠒⠒⠤⢄⣀⡀\x1b[0m⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀
0.0 ┤⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀\x1b[34m⠈⠉⠒⠒⠤⠤⠤⢄⣀⣀⣀\x1b[0m
    └┬────────────────┬────────────────┬
     0               20               39
                    step
";
    // Without colour, the legend's symbols mark the curves instead.
    let plain = "lr:  1 cosine  2 constant
0.1 ┤⠉⠉⠉1⠛⠛⠛⠫⠭2⣉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉2⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉2⠉
    │⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠉⠉⠒⠢1⢄⡀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀
    │⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠈⠉⠒⠒⠤⢄⣀⡀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀
0.0 ┤⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠈⠉⠒1⠤⠤⠤⢄⣀⣀⣀
    └┬────────────────┬────────────────┬
     0               20               39
                    step
";
    let with = |extra: &[&str], env: &[(&str, &str)]| {
        let mut all = args.to_vec();
        all.extend_from_slice(extra);
        chart(&all, env)
    };
    assert_eq!(with(&["--color", "always"], &[]), coloured);
    assert_eq!(with(&[], &[]), plain);
    // One decision for every part: --color, then NO_COLOR, then CLICOLOR_FORCE, then (on a
    // terminal only, which a test has not) CLICOLOR=0 and TERM=dumb.
    assert_eq!(with(&[], &[("CLICOLOR_FORCE", "1")]), coloured);
    assert_eq!(with(&["--color", "always"], &[("NO_COLOR", "1")]), coloured);
    assert_eq!(
        with(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]),
        plain
    );
    assert_eq!(
        with(&[], &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]),
        plain
    );
}

#[test]
fn the_chart_fits_20_40_and_100_columns() {
    let args = [
        "plot",
        "--schedule",
        "cosine",
        "--schedule",
        "cosine_with_restarts",
        "--set",
        "num_cycles=3",
        "--steps",
        "100",
        "--height",
        "4",
    ];
    let at = |width: &str| {
        let mut with_flag = args.to_vec();
        with_flag.extend_from_slice(&["--width", width]);
        let by_flag = chart(&with_flag, &[]);
        assert_eq!(
            chart(&args, &[("COLUMNS", width)]),
            by_flag,
            "COLUMNS={width}"
        );
        // An explicit --width wins over COLUMNS.
        assert_eq!(chart(&with_flag, &[("COLUMNS", "33")]), by_flag);
        by_flag
    };
    // At 20 columns the legend wraps onto lines of its own, a long label within itself.
    assert_eq!(
        at("20"),
        "lr:  1 cosine
     2 cosine_with_
       restarts
0.1 ┤⠙⢍⠒1⣀⡟⢆⠀⠀⠀⡟⢄⠀⠀⠀
    │⠀⠀⢇⠀⠀⡗⠮⡆⠀⠀⡇⠘⡄⠀⠀
    │⠀⠀⠈⡆⠀⡇⠀⠘⡷2⡀⠀⠸⡀⠀
0.0 ┤⠀⠀⠀⠘⢄⡇⠀⠀⠘⣼⠉⠲⠤⣕⣄
    └┬─────────────┬
     0            99
          step
"
    );
    assert_eq!(
        at("40"),
        "lr:  1 cosine  2 cosine_with_restarts
0.1 ┤⠉⠙⠫1⠓⠒⠒⠢⠤⢄⣀⡀⡏⠓⠢⣀⠀⠀⠀⠀⠀⠀⠀⢸⠙⠒⢄⡀⠀⠀⠀⠀⠀⠀⠀
    │⠀⠀⠀⠀⠑⢄⠀⠀⠀⠀⠀⠈⡏⠒⠲1⣲⡀⠀⠀⠀⠀⠀⢸⠀⠀⠀⠑⢆⡀⠀⠀⠀⠀⠀
    │⠀⠀⠀⠀⠀⠀⠙⢤⠀⠀⠀⢸⠀⠀⠀⠀⠀⠈⠫⡗⠢⠤⢄⣇⠀⠀⠀⠀⠀⠘⢢⡀⠀⠀⠀
0.0 ┤⠀⠀⠀⠀⠀⠀⠀⠀⠙2⢄⣸⠀⠀⠀⠀⠀⠀⠀⠈⠓2⣀⡏⠉⠉⠒1⠤⠤⠤⣈⣒2⣀
    └┬────────────────┬────────────────┬
     0               50               99
                    step
"
    );
    let wide = at("100");
    assert_eq!(widest(&wide), 100);
    assert_eq!(
        wide.lines().rev().nth(1),
        Some(
            "     0                 20                 40                 60                 80                99"
        ),
        "{wide}"
    );
    for width in [20, 40, 100] {
        let text = at(&width.to_string());
        assert!(widest(&text) <= width, "{text}");
    }
    // LINES (or the terminal) bounds the whole chart; --height is the plot's rows.
    let short = chart(&args[..9], &[("COLUMNS", "40"), ("LINES", "12")]);
    assert_eq!(short.lines().count(), 11, "{short}");
    let tall = chart(&args[..9], &[("COLUMNS", "40"), ("LINES", "100")]);
    assert_eq!(tall.lines().count(), 1 + 20 + 3, "{tall}");
}

#[test]
fn too_narrow_a_plot_is_refused_naming_the_width_that_fits() {
    let message = "a plot 12 columns wide has no room for its curves beside the lr labels \
                   (0.1, 0.0); it needs at least 13 columns (--width, or a wider terminal)";
    rejects(&["plot", "--width", "12"], message);
    let out = lrsched().arg("plot").env("COLUMNS", "12").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("error: {message}\n")
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        chart(&["plot", "--height", "3"], &[("COLUMNS", "13")]),
        "lr:  constant
   _with_
   warmup
0.1 ┤⠉⠉⠉⠉⠉⠉⠉⠉
    │⠀⠀⠀⠀⠀⠀⠀⠀
0.0 ┤⠀⠀⠀⠀⠀⠀⠀⠀
    └┬──────┬
     0     99
       step
"
    );
}

#[test]
fn small_runs_show_each_point_and_tick_each_step_once() {
    assert_eq!(
        chart(
            &["plot", "--steps", "1", "--width", "24", "--height", "3"],
            &[]
        ),
        "lr:
  constant_with_warmup
0.1 ┤⠀⠀⠀⠀⠀⠀⠀⠀⠀•⠀⠀⠀⠀⠀⠀⠀⠀⠀
    │⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀
0.0 ┤⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀
    └─────────┬─────────
              0
            step
"
    );
    assert_eq!(
        chart(
            &["plot", "--steps", "2", "--width", "24", "--height", "3"],
            &[]
        ),
        "lr:
  constant_with_warmup
0.1 ┤•⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉⠉•
    │⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀
0.0 ┤⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀
    └┬─────────────────┬
     0                 1
            step
"
    );
    assert_eq!(
        chart(
            &[
                "plot",
                "--schedule",
                "linear",
                "--steps",
                "3",
                "--width",
                "24",
                "--height",
                "3"
            ],
            &[]
        ),
        "lr:  linear
0.1 ┤•⠑⠒⠒⠤⠤⣀⣀⡀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀
    │⠀⠀⠀⠀⠀⠀⠀⠀⠈•⠉⠒⠒⠒⠤⠤⠤⣀•
0.0 ┤⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀
    └┬────────┬────────┬
     0        1        2
            step
"
    );
}

#[test]
fn extreme_learning_rates_are_scaled_and_labelled_in_f64() {
    assert_eq!(
        chart(
            &[
                "plot",
                "--schedule",
                "cosine",
                "--base-lr",
                "1e300",
                "--width",
                "30",
                "--height",
                "3"
            ],
            &[]
        ),
        "lr:  cosine
1e+300 ┤⠉⠉⠉⠓⠒⠢⠤⣀⣀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀
       │⠀⠀⠀⠀⠀⠀⠀⠀⠈⠉⠒⠤⣄⡀⠀⠀⠀⠀⠀⠀⠀⠀
   0.0 ┤⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠈⠉⠓⠲⠤⠤⣀⣀⣀
       └┬──────────┬─────────┬
        0         50        99
                 step
"
    );
    // Not a flat line at 0.0: the same curve, at 1e-300.
    assert_eq!(
        chart(
            &[
                "plot",
                "--schedule",
                "cosine",
                "--base-lr",
                "1e-300",
                "--width",
                "30",
                "--height",
                "3"
            ],
            &[]
        ),
        "lr:  cosine
1e-300 ┤⠉⠉⠉⠓⠒⠢⠤⣀⣀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀
       │⠀⠀⠀⠀⠀⠀⠀⠀⠈⠉⠒⠤⣄⡀⠀⠀⠀⠀⠀⠀⠀⠀
   0.0 ┤⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠈⠉⠓⠲⠤⠤⣀⣀⣀
       └┬──────────┬─────────┬
        0         50        99
                 step
"
    );
    // A schedule that is 0 throughout lies on the axis of 0..1, not in the middle of -1..1.
    assert_eq!(
        chart(
            &["plot", "--expr", "0", "--width", "30", "--height", "3"],
            &[]
        ),
        "lr:  0
1.0 ┤⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀
    │⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀
0.0 ┤⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀⣀
    └┬───────────┬───────────┬
     0          50          99
               step
"
    );
}

#[test]
fn a_billion_steps_label_the_last_step_exactly() {
    assert_eq!(
        chart(
            &[
                "plot",
                "--steps",
                "1e9",
                "--from",
                "999999990",
                "--width",
                "40",
                "--height",
                "3"
            ],
            &[]
        ),
        "lr:  constant_with_warmup
0.1 ┤•⠉⠉⠉•⠉⠉•⠉⠉⠉•⠉⠉⠉•⠉⠉⠉•⠉⠉⠉•⠉⠉⠉•⠉⠉•⠉⠉⠉•
    │⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀
0.0 ┤⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀
    └┬─────────────────────────────────┬
999,999,990                  999,999,999
                    step
"
    );
}

#[test]
fn from_starts_the_axis_at_a_resumed_step() {
    assert_eq!(
        chart(
            &[
                "plot",
                "--schedule",
                "cosine",
                "--steps",
                "1000",
                "--from",
                "900",
                "--width",
                "40",
                "--height",
                "4"
            ],
            &[]
        ),
        "lr:  cosine
0.00245 ┤⠙⠒⠤⣀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀
        │⠀⠀⠀⠀⠉⠓⠢⢤⣀⡀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀
        │⠀⠀⠀⠀⠀⠀⠀⠀⠀⠉⠉⠒⠢⠤⣄⣀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀
    0.0 ┤⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠉⠉⠑⠒⠒⠢⠤⠤⠤⢄⣀⣀⣀⣀⣀
        └┬──────────────┬──────────────┬
        900            950           999
                      step
"
    );
    rejects(
        &["plot", "--steps", "100", "--from", "100"],
        "--from 100 is past the last step, 99 (--steps 100 evaluates steps 0 to 99)",
    );
}

#[test]
fn log_y_spreads_small_learning_rates_and_counts_the_zeros_it_leaves_out() {
    assert_eq!(
        chart(
            &[
                "plot",
                "--schedule",
                "cosine",
                "--warmup",
                "10",
                "--base-lr",
                "1e-3",
                "--log-y",
                "--width",
                "40",
                "--height",
                "5"
            ],
            &[]
        ),
        "lr (log scale):  cosine (warmup 10)
   0.001 ┤⠀⡤⠚⠉⠉⠉⠉⠉⠉⠉⠙⠒⠒⠒⠒⠒⠦⠤⠤⢄⣀⡀⠀⠀⠀⠀⠀⠀⠀⠀
         │⠘⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠈⠉⠓⠢⢤⡀⠀⠀⠀
         │⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠈⠳⣀⠀
         │⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠈⡆
3.05e-07 ┤⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⠀⢣
         └┬──────────────┬─────────────┬
          0             50            99
                       step
not drawn: 1 step with an lr of 0 or
below (a log scale has no 0)
"
    );
    rejects(
        &["plot", "--expr", "0", "--log-y"],
        "nothing to plot on a log scale (--log-y): every lr is 0, negative, NaN or infinite",
    );
}

#[test]
fn overlays_take_every_schedule_flag_and_label_what_differs() {
    let dir = tempdir();
    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    std::fs::write(
        &a,
        r#"{"schedule": "cosine", "steps": 100, "base_lr": 0.001}"#,
    )
    .unwrap();
    std::fs::write(
        &b,
        r#"{"schedule": "cosine", "steps": 100, "base_lr": 0.001, "params": {"num_cycles": 1}}"#,
    )
    .unwrap();
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let legend = |args: &[&str]| {
        let mut all = vec!["plot", "--width", "80", "--height", "3"];
        all.extend_from_slice(args);
        let text = chart(&all, &[]);
        text.lines().next().unwrap_or("").to_string()
    };
    assert_eq!(
        legend(&["--config", a, "--config", b]),
        "lr:  1 a.json: cosine (num_cycles=0.5)  2 b.json: cosine (num_cycles=1.0)"
    );
    // --schedule repeats; a --set goes to the --schedule (or --config) before it.
    assert_eq!(
        legend(&[
            "--schedule",
            "cosine",
            "--schedule",
            "cosine",
            "--set",
            "num_cycles=1"
        ]),
        "lr:  1 cosine (num_cycles=0.5)  2 cosine (num_cycles=1.0)"
    );
    assert_eq!(
        legend(&["--config", a, "--set", "num_cycles=1", "--config", a]),
        "lr:  1 a.json: cosine (num_cycles=1.0)  2 a.json: cosine (num_cycles=0.5)"
    );
    // A --set before every schedule flag applies to all of them.
    assert_eq!(
        legend(&[
            "--set",
            "num_cycles=2",
            "--schedule",
            "cosine",
            "--schedule",
            "cosine"
        ]),
        "lr:  1 cosine #1  2 cosine #2"
    );
    // Each --expr, --schedule and --config is a curve of its own; --steps, --base-lr and
    // --warmup apply to all, over the config file.
    assert_eq!(
        legend(&["--expr", "0.5", "--config", a, "--steps", "50"]),
        "lr:  1 0.5 (base lr 0.1)  2 a.json: cosine (base lr 0.001)"
    );
    assert_eq!(
        legend(&[
            "--schedule",
            "linear",
            "--expr",
            "1",
            "--config",
            a,
            "--base-lr",
            "0.5"
        ]),
        "lr:  1 linear  2 1  3 a.json: cosine"
    );
    rejects(
        &[
            "plot",
            "--schedule",
            "cosine",
            "--expr",
            "1",
            "--set",
            "num_cycles=1",
        ],
        "--set num_cycles=... applies to built-in schedules; an --expr takes no parameters \
         (it can use step, steps, warmup and base_lr)",
    );
    rejects(
        &["table", "--schedule", "cosine", "--schedule", "linear"],
        "table shows one schedule; give at most one --config (or TrainingArguments and their \
         DeepSpeed config), one --schedule and one --expr \
         (lrsched plot overlays several)",
    );
}

#[test]
fn plot_help_gives_the_rules_of_overlays() {
    let out = lrsched().args(["plot", "--help"]).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for text in [
        "each --schedule, --expr, --expr-file and --config draws its own curve",
        "A --set applies to the --schedule or --config just before it",
        "--log-y",
        "--from <K>",
    ] {
        assert!(help.contains(text), "{text} missing from plot --help");
    }
}

#[test]
fn svg_shares_the_overlay_labels_the_small_runs_and_from() {
    let svg = chart(
        &[
            "plot",
            "--svg",
            "-",
            "--schedule",
            "cosine",
            "--schedule",
            "cosine",
            "--set",
            "num_cycles=1",
            "--steps",
            "3",
        ],
        &[],
    );
    let ticks: Vec<&str> = svg
        .lines()
        .filter(|l| l.contains("text-anchor=\"middle\">") && !l.contains(">step<"))
        .filter_map(|l| l.split('>').nth(1)?.strip_suffix("</text"))
        .collect();
    assert_eq!(ticks, ["0", "1", "2"]);
    assert_eq!(svg.matches("<circle").count(), 6, "3 points of each curve");
    assert!(svg.contains(">cosine (num_cycles=0.5)</text>"), "{svg}");
    assert!(svg.contains(">cosine (num_cycles=1.0)</text>"), "{svg}");
    let from = chart(
        &[
            "plot", "--svg", "-", "--steps", "1000", "--from", "900", "--log-y",
        ],
        &[],
    );
    assert!(from.contains("text-anchor=\"middle\">900</text>"), "{from}");
    assert!(!from.contains("text-anchor=\"middle\">0</text>"), "{from}");
    assert!(from.contains(">lr (log scale)</text>"), "{from}");
}

/// TrainingArguments and their DeepSpeed config, given as two --config, are one run: one
/// curve, not an overlay of two; beside another schedule they are refused.
#[test]
fn training_arguments_and_their_deepspeed_config_are_one_curve() {
    let pair = [
        "plot",
        "--config",
        "examples/configs/training_args.yaml",
        "--config",
        "examples/configs/ds_config_auto.json",
        "--steps",
        "20",
        "--width",
        "50",
        "--height",
        "6",
        "--color",
        "never",
    ];
    let out = Command::cargo_bin("lrsched")
        .unwrap()
        .args(pair)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let chart = String::from_utf8(out.stdout).unwrap();
    assert_eq!(chart.lines().next(), Some("lr:  deepspeed:WarmupDecayLR"));
    rejects(
        &[&pair[..], &["--schedule", "cosine"]].concat(),
        "a TrainingArguments config and its DeepSpeed config are one run; overlay it with no \
         other --schedule or --expr",
    );
}
