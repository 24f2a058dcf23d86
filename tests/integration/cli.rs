//! The command line end to end: exact output, exit statuses and error messages.

use std::io::Read;
use std::process::{Command as StdCommand, Stdio};

use assert_cmd::Command;
use serde_json::Value;

use crate::scratch::tempdir;

pub fn lrsched() -> Command {
    let mut cmd = Command::cargo_bin("lrsched").unwrap();
    cmd.env_remove("NO_COLOR");
    cmd
}

/// Runs lrsched with `args`, expecting exit status 2, nothing on stdout, and `message` as
/// the whole of stderr.
pub fn rejects(args: &[&str], message: &str) {
    let out = lrsched().args(args).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("error: {message}\n"),
        "{args:?}"
    );
    assert_eq!(out.status.code(), Some(2), "{args:?}");
    assert!(out.stdout.is_empty(), "{args:?} wrote to stdout");
}

#[test]
fn table_shows_the_lambda_lr_warmup() {
    lrsched()
        .args(["table", "--warmup", "5", "--steps", "10"])
        .assert()
        .success()
        .stderr("")
        .stdout(
            "Step | Multiplier | Learning Rate
   0 | 0.0        | 0.0
   1 | 0.2        | 0.020000000000000004
   2 | 0.4        | 0.04000000000000001
   3 | 0.6        | 0.06
   4 | 0.8        | 0.08000000000000002
   5 | 1.0        | 0.1
   6 | 1.0        | 0.1
   7 | 1.0        | 0.1
   8 | 1.0        | 0.1
   9 | 1.0        | 0.1
",
        );
}

#[test]
fn table_every_and_digits() {
    lrsched()
        .args([
            "table", "--warmup", "3", "--steps", "1000", "--every", "400", "--digits", "3",
        ])
        .assert()
        .success()
        .stdout(
            "Step | Multiplier | Learning Rate
   0 | 0.0        | 0.0
 400 | 1.0        | 0.1
 800 | 1.0        | 0.1
 999 | 1.0        | 0.1
",
        );
}

#[test]
fn csv_has_a_header_and_python_repr_floats() {
    lrsched()
        .args(["csv", "--warmup", "3", "--steps", "5", "--base-lr", "3e-4"])
        .assert()
        .success()
        .stdout(
            "step,multiplier,lr
0,0.0,0.0
1,0.3333333333333333,9.999999999999999e-05
2,0.6666666666666666,0.00019999999999999998
3,1.0,0.0003
4,1.0,0.0003
",
        );
}

#[test]
fn json_parses_back_and_its_schedule_is_a_config() {
    let out = lrsched()
        .args(["json", "--warmup", "2", "--steps", "4"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let lrs: Vec<f64> = doc["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["lr"].as_f64().unwrap())
        .collect();
    assert_eq!(lrs, [0.0, 0.05, 0.1, 0.1]);
    assert_eq!(doc["points"][1]["step"], 1);
    assert_eq!(doc["points"][1]["multiplier"], 0.5);
    assert_eq!(
        doc["schedule"],
        serde_json::json!({"schedule": "constant_with_warmup", "steps": 4, "base_lr": 0.1, "warmup": 2, "params": {}})
    );

    let dir = tempdir();
    let config = dir.path().join("schedule.json");
    std::fs::write(&config, doc["schedule"].to_string()).unwrap();
    let again = lrsched()
        .args(["json", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&again.stdout),
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn json_lines_is_one_point_a_line() {
    lrsched()
        .args([
            "json", "--lines", "--warmup", "2", "--steps", "5", "--every", "3",
        ])
        .assert()
        .success()
        .stdout(
            r#"{"step":0,"multiplier":0.0,"lr":0.0}
{"step":3,"multiplier":1.0,"lr":0.1}
{"step":4,"multiplier":1.0,"lr":0.1}
"#,
        );
}

#[test]
fn flags_win_over_the_config_file() {
    let dir = tempdir();
    let config = dir.path().join("c.json");
    std::fs::write(
        &config,
        r#"{"schedule": "constant_with_warmup", "steps": 50, "warmup": 4, "base_lr": 1.0}"#,
    )
    .unwrap();
    lrsched()
        .args(["csv", "--steps", "3", "--config"])
        .arg(&config)
        .assert()
        .success()
        .stdout("step,multiplier,lr\n0,0.0,0.0\n1,0.25,0.25\n2,0.5,0.5\n");
}

#[test]
fn bad_input_exits_2_with_one_message() {
    rejects(
        &["table", "--schedule", "constant_with_warmpu"],
        "unknown schedule 'constant_with_warmpu'; did you mean 'constant_with_warmup'? (lrsched list shows all)",
    );
    rejects(&["csv", "--steps", "0"], "--steps must be at least 1");
    // --set beside --expr has nothing to set, in one schedule or in an overlay.
    for args in [
        &["table", "--expr", "1", "--set", "T_max=5"][..],
        &["plot", "--expr", "1", "--expr", "2", "--set", "T_max=5"],
    ] {
        rejects(
            args,
            "--set T_max=... applies to built-in schedules; an --expr takes no parameters (it \
             can use step, steps, warmup and base_lr)",
        );
    }
    rejects(
        &["csv", "--base-lr", "-1"],
        "--base-lr must be a finite number >= 0 (torch rejects a negative lr), not -1",
    );
    rejects(
        &["csv", "--set", "gamma"],
        "--set 'gamma' is not KEY=VALUE (e.g. --set num_cycles=0.5)",
    );
    rejects(
        &["csv", "--set", "gamma=0.5"],
        "unknown parameter 'gamma' for constant_with_warmup (constant_with_warmup takes no parameters)",
    );
    rejects(
        &["csv", "--schedule", "constant", "--warmup", "5"],
        "schedule 'constant' takes no warmup (transformers' get_scheduler ignores it); use --schedule constant_with_warmup --warmup 5 for a warmup to a constant lr",
    );
    rejects(
        &["csv", "--schedule", "constant", "--expr", "1"],
        "give either --schedule or --expr, not both",
    );
    rejects(
        &["table", "--expr", "1", "--expr", "2"],
        "table shows one schedule; give at most one --config (or TrainingArguments and their \
         DeepSpeed config), one --schedule and one --expr (lrsched plot overlays several)",
    );
    rejects(
        &["csv", "--config", "/nonexistent/lr.json"],
        "cannot read config /nonexistent/lr.json: No such file or directory (os error 2)",
    );
    let dir = tempdir();
    let config = dir.path().join("typo.json");
    std::fs::write(&config, r#"{"warmpu": 5}"#).unwrap();
    rejects(
        &["csv", "--config", config.to_str().unwrap()],
        &format!(
            "config {}:1:2: unknown key \"warmpu\"; did you mean 'warmup'? (the keys are schedule, expr, expr_file, vars, steps, base_lr, warmup, params, run, runtime)",
            config.display()
        ),
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = lrsched().args(["csv", "--steps", "ten"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid value 'ten' for '--steps <N>'"));
}

/// Reads a little of a huge output, closes the pipe, and expects a quiet exit 0.
pub fn closes_quietly(args: &[&str]) {
    let mut child = StdCommand::new(assert_cmd::cargo::cargo_bin("lrsched"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut head = [0u8; 100];
    stdout.read_exact(&mut head).unwrap();
    drop(stdout);
    let out = child.wait_with_output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}");
    assert_eq!(out.status.code(), Some(0), "{args:?}");
}

#[test]
fn a_closed_pipe_ends_quietly() {
    closes_quietly(&["csv", "--steps", "100000000"]);
    closes_quietly(&["json", "--steps", "100000000"]);
    closes_quietly(&["json", "--lines", "--steps", "100000000"]);
    closes_quietly(&["table", "--steps", "100000000"]);
}

/// The last steps a u64 counts: evaluating them must not overflow past step 2^64 - 1.
#[test]
fn the_last_steps_of_a_u64_are_written() {
    lrsched()
        .args([
            "csv",
            "--steps",
            "18446744073709551615",
            "--from",
            "18446744073709551613",
        ])
        .assert()
        .success()
        .stdout("step,multiplier,lr\n18446744073709551613,1.0,0.1\n18446744073709551614,1.0,0.1\n");
    lrsched()
        .args([
            "csv",
            "--expr",
            "1",
            "--warmup",
            "2",
            "--steps",
            "18446744073709551615",
            "--from",
            "18446744073709551614",
        ])
        .assert()
        .success()
        .stdout("step,multiplier,lr\n18446744073709551614,1.0,0.1\n");
}

#[test]
fn list_names_every_schedule() {
    let out = lrsched().arg("list").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for entry in lrsched::schedule::registry::entries() {
        assert!(
            text.contains(entry.name),
            "{} missing from lrsched list",
            entry.name
        );
    }
    lrsched()
        .args(["list", "nope"])
        .assert()
        .code(2)
        .stderr("error: unknown schedule 'nope' (lrsched list shows all)\n");
}

/// stdout of a successful run.
fn stdout(args: &[&str]) -> String {
    let out = lrsched().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_built_in_can_be_written_library_colon_name() {
    for entry in lrsched::schedule::registry::entries() {
        let qualified = entry.qualified();
        assert_eq!(
            stdout(&["list", &qualified]),
            stdout(&["list", &entry.to_string()]),
            "{qualified}"
        );
    }
    for (bare, qualified, set) in [
        ("cosine", "transformers:cosine", "num_cycles=0.5"),
        ("StepLR", "torch:StepLR", "step_size=3"),
    ] {
        let run = |name: &str| {
            stdout(&[
                "csv",
                "--schedule",
                name,
                "--set",
                set,
                "--warmup",
                "2",
                "--steps",
                "9",
            ])
        };
        assert_eq!(run(qualified), run(bare), "{qualified}");
    }
    // A description names the schedule as lrsched writes it, and reads back the same.
    let json: Value = serde_json::from_str(&stdout(&[
        "json",
        "--schedule",
        "transformers:cosine",
        "--steps",
        "3",
    ]))
    .unwrap();
    assert_eq!(json["schedule"]["schedule"], "cosine");
}

#[test]
fn list_groups_by_library_and_lists_one() {
    use lrsched::schedule::registry;
    let all = stdout(&["list"]);
    for library in registry::libraries() {
        let one = stdout(&["list", library.name()]);
        let mut lines = one.lines();
        assert_eq!(
            lines.next(),
            Some(format!("{library} ({})", library.heading()).as_str())
        );
        // A summary that wraps continues on an indented line.
        let listed: Vec<String> = lines
            .filter(|l| !l.starts_with("   "))
            .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
            .collect();
        let want: Vec<String> = registry::entries()
            .filter(|e| e.library == library)
            .map(|e| e.to_string())
            .collect();
        assert_eq!(listed, want, "lrsched list {library}");
        assert!(
            all.contains(&one),
            "lrsched list holds lrsched list {library}"
        );
    }
    assert_eq!(
        stdout(&["list", "cosine"]).lines().next(),
        Some("cosine (transformers:cosine)")
    );
}

#[test]
fn unknown_libraries_and_names_are_explained() {
    let libraries: Vec<&str> = lrsched::schedule::registry::libraries()
        .map(|l| l.name())
        .collect();
    rejects(
        &["csv", "--schedule", "pytorch:StepLR"],
        &format!(
            "unknown library 'pytorch' in schedule 'pytorch:StepLR'; did you mean 'torch'? \
             (libraries: {}; lrsched list shows all)",
            libraries.join(", ")
        ),
    );
    rejects(
        &["list", "torch:StepRL"],
        "unknown schedule 'torch:StepRL'; did you mean 'torch:StepLR'? (lrsched list shows all)",
    );
    rejects(
        &["table", "--schedule", "transformers:StepLR"],
        "unknown schedule 'transformers:StepLR': transformers has no StepLR; did you mean \
         'torch:StepLR'? (lrsched list shows all)",
    );
}

#[test]
fn from_starts_a_resumed_run() {
    lrsched()
        .args([
            "csv", "--warmup", "4", "--steps", "1000", "--from", "2", "--every", "499",
        ])
        .assert()
        .success()
        .stdout("step,multiplier,lr\n2,0.5,0.05\n501,1.0,0.1\n999,1.0,0.1\n");
    rejects(
        &["csv", "--steps", "10", "--from", "10"],
        "--from 10 is past the last step, 9 (--steps 10 evaluates steps 0 to 9)",
    );
}

#[test]
fn huge_step_counts_are_accepted() {
    lrsched()
        .args(["csv", "--expr", "1/(1+step)", "--steps", "1000000000000", "--from", "999999999998"])
        .assert()
        .success()
        .stdout("step,multiplier,lr\n999999999998,1.000000000001e-12,1.000000000001e-13\n999999999999,1e-12,1e-13\n");
}

#[test]
fn counts_are_read_as_users_write_them() {
    for steps in ["1000", "1_000", "1e3", "1000.0", "1E+3"] {
        let out = lrsched()
            .args(["csv", "--steps", steps, "--every", "999"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "--steps {steps}");
        assert_eq!(
            String::from_utf8(out.stdout).unwrap().lines().count(),
            3,
            "--steps {steps}: the header, step 0 and step 999"
        );
    }
    for (args, message) in [
        (
            &["table", "--steps", "-5"][..],
            "error: invalid value '-5' for '--steps <N>': expected a whole number of steps from 0 up, not -5",
        ),
        (
            &["table", "--warmup", "2.5"][..],
            "error: invalid value '2.5' for '--warmup <N>': expected a whole number of steps from 0 up, not 2.5",
        ),
        (
            &["table", "--steps", "ten"][..],
            "error: invalid value 'ten' for '--steps <N>': expected a whole number of steps, such as 1000, 1_000 or 1e3",
        ),
        (
            &["table", "--every", "0"][..],
            "error: invalid value '0' for '--every <K>': must be at least 1",
        ),
    ] {
        let out = lrsched().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty());
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().next(), Some(message), "{args:?}");
    }
}

#[test]
fn echoed_input_never_carries_control_characters() {
    for args in [
        &["table", "--schedule", "cos\u{1}ine"][..],
        &["table", "--schedule", "\u{1b}[31mred"][..],
        &[
            "table",
            "--set",
            "T_\u{1b}max=5",
            "--schedule",
            "CosineAnnealingLR",
        ][..],
        &["table", "--steps", "\u{1b}[2J"][..],
        &["check", "--assert", "peak_lr \u{7} 1"][..],
    ] {
        let out = lrsched().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            !stderr.chars().any(|c| c.is_control() && c != '\n'),
            "{args:?}: {stderr:?}"
        );
        assert!(stderr.starts_with("error: "), "{stderr}");
    }
    rejects(
        &["table", "--schedule", "cos\u{1}ine"],
        "unknown schedule 'cos\\u{1}ine'; did you mean 'cosine'? (lrsched list shows all)",
    );
}

#[test]
fn list_fits_80_columns() {
    let names = lrsched::schedule::registry::entries().map(|e| e.qualified());
    for args in std::iter::once(vec!["list".to_string()])
        .chain(names.map(|name| vec!["list".to_string(), name]))
    {
        let out = lrsched().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        for line in text.lines() {
            assert!(
                line.chars().count() <= 80,
                "{args:?}: {} columns: {line}",
                line.chars().count()
            );
        }
    }
}

/// The "Input and errors" mistakes of issue 12, as a user makes them: counts written as
/// floats are read, a bad count names the key or flag written, limits are the real ones.
#[test]
fn counts_and_limits_name_what_was_written() {
    let csv = |args: &[&str], stdin: &str| {
        let out = lrsched().args(args).write_stdin(stdin).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let want = csv(&["csv", "--steps", "1000000", "--every", "400000"], "");
    assert_eq!(want.lines().count(), 5);
    for config in [r#"{"steps": 1e6}"#, r#"{"steps": 1000000.0}"#] {
        assert_eq!(
            csv(&["csv", "--config", "-", "--every", "400000"], config),
            want,
            "{config}"
        );
    }
    assert_eq!(
        csv(
            &["csv", "--config", "-", "--every", "400000"],
            "steps = 1_000_000\n"
        ),
        want
    );
    lrsched()
        .args(["csv", "--config", "-"])
        .write_stdin(r#"{"steps": 0}"#)
        .assert()
        .code(2)
        .stdout("")
        .stderr("error: config <stdin>:1:11: \"steps\" must be at least 1, not 0\n");
    lrsched()
        .args(["csv", "--config", "-"])
        .write_stdin(r#"{"steps": 2.5}"#)
        .assert()
        .code(2)
        .stderr("error: config <stdin>:1:13: \"steps\" must be a whole number >= 1, not 2.5\n");
    rejects(
        &["train", "--samples", "100000000"],
        "100000000 samples of 10 features make 1000000000 values, more than the 100000000 a \
         training demo holds: with 10 features, use at most 10000000 samples",
    );
    rejects(
        &["train", "--samples", "20000000", "--features", "20"],
        "20000000 samples of 20 features make 400000000 values, more than the 100000000 a \
         training demo holds: with 20 features, use at most 5000000 samples",
    );
}

/// lrsched's own errors are coloured as clap colours its own, only where colour is wanted.
#[test]
fn errors_are_coloured_like_claps() {
    for args in [
        &["table", "--steps", "-5"][..],
        &["table", "--schedule", "cosin"],
    ] {
        let out = lrsched()
            .env("CLICOLOR_FORCE", "1")
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert!(
            stderr.starts_with("\u{1b}[1;31merror:\u{1b}[0m "),
            "{stderr:?}"
        );
        let plain = lrsched().args(args).output().unwrap();
        assert_eq!(
            String::from_utf8(plain.stderr).unwrap(),
            stderr.replace("\u{1b}[1;31merror:\u{1b}[0m", "error:")
        );
    }
}

/// The progress bar goes to stderr, only when asked for on a pipe (`--progress always`), and
/// leaves stdout byte for byte as it is without it.
#[test]
fn progress_goes_to_stderr_and_only_when_asked_on_a_pipe() {
    let cosine = ["--schedule", "cosine", "--warmup", "10", "--steps", "100"];
    let recursive = [
        "--schedule",
        "CosineAnnealingLR",
        "--set",
        "T_max=100",
        "--steps",
        "100",
        "--from",
        "50",
    ];
    let cases: [(&str, &[&str], &str); 6] = [
        ("csv", &cosine, "writing cosine (warmup 10)"),
        ("json", &cosine, "writing cosine (warmup 10)"),
        ("table", &cosine, "writing cosine (warmup 10)"),
        ("check", &cosine, "checking cosine (warmup 10)"),
        ("plot", &cosine, "plotting cosine (warmup 10)"),
        ("csv", &recursive, "replaying CosineAnnealingLR"),
    ];
    for (command, args, message) in cases {
        let run = |progress: Option<&str>| {
            let mut cmd = lrsched();
            cmd.arg(command).args(args);
            if command == "plot" {
                cmd.args(["--width", "60", "--height", "5"]);
            }
            if let Some(progress) = progress {
                cmd.args(["--progress", progress]);
            }
            let out = cmd.output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{command} {args:?}");
            (out.stdout, String::from_utf8(out.stderr).unwrap())
        };
        let (stdout, stderr) = run(None);
        assert_eq!(stderr, "", "{command}: no bar on a pipe");
        assert!(!stdout.is_empty());
        assert_eq!(run(Some("never")), (stdout.clone(), String::new()));
        let (with_bar, bar) = run(Some("always"));
        assert_eq!(with_bar, stdout, "{command}: the output is the same");
        // Drawn at 0% as the run starts, then cleared when it ends.
        assert!(
            bar.starts_with(&format!("{message} [ ")),
            "{command}: {bar:?}"
        );
        assert!(bar.contains(" ]   0% ETA 0s"), "{command}: {bar:?}");
        assert!(bar.ends_with("\r\u{1b}[2K"), "{command}: {bar:?}");
        assert!(!bar.contains('\n'), "{command}: {bar:?}");
    }
}

/// A table of a recursive schedule far from step 0 is not computed twice (once to size its
/// columns, once to write them): its multiplier column takes a full-precision value's width.
#[test]
fn a_long_replay_sizes_the_table_without_a_second_replay() {
    let args = [
        "table",
        "--schedule",
        "ExponentialLR",
        "--set",
        "gamma=0.5",
        "--steps",
        "8388611",
        "--from",
        "8388608",
    ];
    lrsched().args(args).assert().success().stdout(
        "   Step | Multiplier           | Learning Rate
8388608 | 0.0                  | 0.0
8388609 | 0.0                  | 0.0
8388610 | 0.0                  | 0.0
",
    );
    lrsched()
        .args(args)
        .args(["--digits", "3"])
        .assert()
        .success()
        .stdout(
            "   Step | Multiplier | Learning Rate
8388608 | 0.0        | 0.0
8388609 | 0.0        | 0.0
8388610 | 0.0        | 0.0
",
        );
    // Near step 0 the first rows size it, as for any schedule.
    lrsched()
        .args(["table", "--schedule", "ExponentialLR", "--set", "gamma=0.5"])
        .args(["--steps", "3"])
        .assert()
        .success()
        .stdout(
            "Step | Multiplier | Learning Rate
   0 | 1.0        | 0.1
   1 | 0.5        | 0.05
   2 | 0.25       | 0.025
",
        );
}
/// `list NAME` shows the strings a choice parameter takes (and those a string parameter's
/// library knows); a mistyped one is refused with the closest.
#[test]
fn choice_parameters_list_their_values_and_suggest_on_a_typo() {
    let one_cycle = stdout(&["list", "OneCycleLR"]);
    assert!(
        one_cycle.contains(
            "  anneal_strategy   choice    'cos'     shape of each phase
                                        values: cos, linear
"
        ),
        "{one_cycle}"
    );
    let ds = stdout(&["list", "deepspeed:WarmupLR"]);
    assert!(
        ds.contains(
            "warning\n                                         known values: log, linear\n"
        ),
        "{ds}"
    );
    // Every parameter with values, in every schedule's detail and in the Markdown table.
    let markdown = stdout(&["list", "--markdown"]);
    for entry in lrsched::schedule::registry::entries() {
        let detail = stdout(&["list", &entry.qualified()]);
        let flat = detail.split_whitespace().collect::<Vec<_>>().join(" ");
        for p in entry.params {
            let values = p.kind.values();
            if values.is_empty() {
                continue;
            }
            let listed = format!("values: {}", values.join(", "));
            assert!(flat.contains(&listed), "{entry}: {}: {listed}", p.name);
            let row = markdown
                .lines()
                .find(|l| l.starts_with(&format!("| `{entry}` |")))
                .unwrap();
            assert!(
                row.contains(&format!("`{}={}` (", p.name, p.default_text()))
                    && row.contains(&listed),
                "{row}"
            );
        }
    }
    rejects(
        &[
            "csv",
            "--schedule",
            "OneCycleLR",
            "--set",
            "max_lr=1",
            "--set",
            "anneal_strategy=cosine",
        ],
        "OneCycleLR parameter anneal_strategy=cosine is not one of cos, linear; did you mean 'cos'?",
    );
    rejects(
        &[
            "csv",
            "--schedule",
            "CyclicLR",
            "--set",
            "base_lr=0.1",
            "--set",
            "max_lr=1",
            "--set",
            "mode=triangel",
        ],
        "CyclicLR parameter mode=triangel is not one of triangular, triangular2, exp_range; did \
         you mean 'triangular'?",
    );
    rejects(
        &[
            "csv",
            "--schedule",
            "CyclicLR",
            "--set",
            "base_lr=0.1",
            "--set",
            "max_lr=1",
            "--set",
            "mode=sawtooth",
        ],
        "CyclicLR parameter mode=sawtooth is not one of triangular, triangular2, exp_range",
    );
    let config = crate::scratch::TempFile::new(
        "c.json",
        r#"{"schedule": "OneCycleLR", "params": {"max_lr": 1, "anneal_strategy": "Linear"}}"#,
    );
    rejects(
        &["csv", "--config", config.to_str().unwrap()],
        &format!(
            "config {}:1:52: OneCycleLR parameter anneal_strategy=\"Linear\" is not one of cos, \
             linear; did you mean 'linear'?",
            config.display()
        ),
    );
    rejects(
        &[
            "csv",
            "--schedule",
            "megatron:WSD",
            "--set",
            "max_lr=1",
            "--set",
            "wsd_decay_steps=10",
            "--set",
            "lr_wsd_decay_style=cosin",
            "--steps",
            "20",
        ],
        "megatron:WSD lr_wsd_decay_style=cosin: Megatron raises AssertionError (`assert coeff \
         is not None`) at step 11, where the anneal starts, within --steps 20: \
         lr_wsd_decay_style must be linear, cosine, exponential or minus_sqrt; did you mean \
         'cosine'?",
    );
}

/// A negative value for a flag that takes a number is that flag's range error, not clap's
/// "unexpected argument '-0'".
#[test]
fn negative_numbers_are_values_with_a_named_range() {
    rejects(
        &[
            "csv",
            "--samples",
            "10",
            "--batch-size",
            "2",
            "--epochs",
            "1",
            "--warmup-ratio",
            "-0.1",
        ],
        "--warmup-ratio (warmup_ratio) is -0.1; it must lie in [0, 1]",
    );
    rejects(
        &[
            "identify",
            "tests/golden/trainer-state/trainer_state.json",
            "--tolerance",
            "-1",
        ],
        "--tolerance -1 must be a relative error, 0 or more",
    );
}
