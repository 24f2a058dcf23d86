//! `lrsched check`, config formats, `plot --svg`, completions and the man page, end to end.

use serde_json::Value;

use crate::cli::{closes_quietly, lrsched, rejects};
use crate::scratch::{TempFile, tempdir};

const ZERO_FIRST: &str = "warning: the lr at step 0 is 0.0, so the first optimizer step changes \
                          nothing (a linear warmup starts at 0)";

fn cosine_report(verdict: &str) -> String {
    format!(
        "schedule   cosine, warmup 100, steps 1000, base_lr 0.001
first_lr   0.0
peak_lr    0.001
peak_step  100
final_lr   3.046171104803541e-09
min_lr     0.0
mean_lr    0.0005
sum_lr     0.5

{ZERO_FIRST}

{verdict}
"
    )
}

const COSINE: [&str; 9] = [
    "check",
    "--schedule",
    "cosine",
    "--warmup",
    "100",
    "--steps",
    "1000",
    "--base-lr",
    "1e-3",
];

#[test]
fn summary_and_warnings_pass_with_exit_0() {
    lrsched()
        .args(COSINE)
        .assert()
        .code(0)
        .stderr("")
        .stdout(cosine_report("passed with 1 warning"));
}

#[test]
fn strict_fails_on_warnings() {
    lrsched()
        .args(COSINE)
        .arg("--strict")
        .assert()
        .code(1)
        .stdout(cosine_report("FAILED: 1 warning (--strict)"))
        .stderr(format!(
            "error: warning (--strict): {}\n",
            ZERO_FIRST.trim_start_matches("warning: ")
        ));
}

#[test]
fn json_report_parses_back() {
    let out = lrsched()
        .args(COSINE)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stderr.is_empty());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["summary"],
        serde_json::json!({
            "first_lr": 0.0,
            "peak_lr": 0.001,
            "peak_step": 100,
            "final_lr": 3.046171104803541e-09,
            "min_lr": 0.0,
            "mean_lr": 0.0005,
            "sum_lr": 0.5,
        })
    );
    assert_eq!(doc["schedule"]["schedule"], "cosine");
    assert_eq!(doc["schedule"]["warmup"], 100);
    assert_eq!(doc["assertions"], serde_json::json!([]));
    assert_eq!(doc["failures"], serde_json::json!([]));
    assert_eq!(doc["warnings"][0]["kind"], "zero_first_lr");
    assert_eq!(doc["warnings"][0]["step"], 0);
    assert_eq!(doc["passed"], true);
}

#[test]
fn a_warmup_handing_over_with_a_jump_is_a_warning() {
    lrsched()
        .args(["check", "--warmup", "10", "--steps", "20", "--expr", "0.1"])
        .assert()
        .code(0)
        .stderr("")
        .stdout(format!(
            "schedule   --expr \"0.1\", warmup 10, steps 20, base_lr 0.1
first_lr   0.0
peak_lr    0.09000000000000001
peak_step  9
final_lr   0.010000000000000002
min_lr     0.0
mean_lr    0.027500000000000004
sum_lr     0.55

{ZERO_FIRST}
warning: the lr jumps from 0.09000000000000001 at step 9 to 0.010000000000000002 at step 10, \
where the warmup hands over; no other step changes it by more than 0.01

passed with 2 warnings
"
        ));
}

#[test]
fn negative_and_infinite_lrs_fail_with_exit_1() {
    lrsched()
        .args(["check", "--steps", "3", "--expr=-1"])
        .assert()
        .code(1)
        .stderr("error: lr is negative at step 0: -0.1\n")
        .stdout(
            "schedule   --expr \"-1\", warmup 0, steps 3, base_lr 0.1
first_lr   -0.1
peak_lr    -0.1
peak_step  0
final_lr   -0.1
min_lr     -0.1
mean_lr    -0.10000000000000002
sum_lr     -0.30000000000000004

FAILED  lr >= 0  (-0.1 at step 0)

FAILED: a negative lr
",
        );
    let out = lrsched()
        .args([
            "check", "--steps", "3", "--warmup", "1", "--expr", "1e400", "--format", "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: lr is inf at step 1\n"
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["failures"],
        serde_json::json!([{"kind": "non_finite", "step": 1, "lr": null, "message": "lr is inf at step 1"}])
    );
    assert_eq!(doc["summary"]["peak_lr"], Value::Null);
    assert_eq!(doc["summary"]["min_lr"], 0.0);
    assert_eq!(doc["passed"], false);
}

#[test]
fn check_takes_one_schedule() {
    rejects(
        &["check", "--expr", "1", "--expr", "2"],
        "check shows one schedule; give at most one --config (or TrainingArguments and their \
         DeepSpeed config), one --schedule and one --expr (lrsched plot overlays several)",
    );
}

#[test]
fn ten_million_steps_in_constant_memory() {
    let out = lrsched()
        .args([
            "check",
            "--schedule",
            "linear",
            "--steps",
            "10000000",
            "--base-lr",
            "1",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    // sum over k < N of (N - k) / N is (N + 1) / 2 exactly; the compensated sum keeps it.
    assert_eq!(doc["summary"]["sum_lr"], 5000000.5);
    assert_eq!(doc["summary"]["mean_lr"], 0.50000005);
    assert_eq!(doc["summary"]["final_lr"], 1e-7);
}

fn config(name: &str, text: &str) -> TempFile {
    TempFile::new(name, text)
}

#[test]
fn toml_and_training_arguments_configs() {
    lrsched()
        .args(["check", "--config", "examples/configs/lr.toml"])
        .assert()
        .code(0)
        .stdout(predicates::str::starts_with(
            "schedule   cosine, warmup 500, steps 10000, base_lr 0.0003, num_cycles=0.5\n",
        ));
    // warmup_steps 0.03 of max_steps 5000 is ceil(150.0) = 150 warmup steps.
    lrsched()
        .args(["check", "--config", "examples/configs/training_args.json"])
        .assert()
        .code(0)
        .stdout(predicates::str::starts_with(
            "schedule   cosine_with_min_lr, warmup 150, steps 5000, base_lr 2e-05, min_lr_rate=0.1\n",
        ));
    // Flags win: a longer run moves the ratio's warmup with it.
    lrsched()
        .args([
            "check",
            "--config",
            "examples/configs/training_args.json",
            "--steps",
            "10000",
        ])
        .assert()
        .code(0)
        .stdout(predicates::str::starts_with(
            "schedule   cosine_with_min_lr, warmup 300, steps 10000, base_lr 2e-05, min_lr_rate=0.1\n",
        ));
    let kwargs_string = config(
        "args.json",
        r#"{"lr_scheduler_type": "cosine", "learning_rate": 1e-4, "max_steps": 100,
            "warmup_ratio": 0.1, "lr_scheduler_kwargs": "{\"num_cycles\": 0.25}"}"#,
    );
    lrsched()
        .args(["check", "--config"])
        .arg(&kwargs_string)
        .assert()
        .code(0)
        .stdout(predicates::str::starts_with(
            "schedule   cosine, warmup 10, steps 100, base_lr 0.0001, num_cycles=0.25\n",
        ));
}

#[test]
fn configs_from_stdin_with_a_bom_or_in_toml() {
    let want = "schedule   cosine, warmup 500, steps 10000, base_lr 0.0003, num_cycles=0.5\n";
    let toml = std::fs::read_to_string("examples/configs/lr.toml").unwrap();
    lrsched()
        .args(["check", "--config", "-"])
        .write_stdin(toml)
        .assert()
        .code(0)
        .stdout(predicates::str::starts_with(want));
    let json = std::fs::read_to_string("examples/configs/lr.json").unwrap();
    let bom = config("bom.json", &format!("\u{feff}{json}"));
    lrsched()
        .args(["check", "--config"])
        .arg(&bom)
        .assert()
        .code(0)
        .stdout(predicates::str::starts_with(
            "schedule   cosine, warmup 500, steps 10000, base_lr 0.0003\n",
        ));
    rejects(
        &["check", "--config", "-", "--config", "-"],
        "--config - reads stdin, which can be given only once",
    );
    lrsched()
        .args(["plot", "--config", "-", "--config", "-"])
        .assert()
        .code(2)
        .stderr("error: --config - reads stdin, which can be given only once\n");
    lrsched()
        .args(["check", "--config", "-"])
        .write_stdin("{\"steps\": -1}")
        .assert()
        .code(2)
        .stderr("error: config <stdin>:1:12: \"steps\" must be a whole number >= 1, not -1\n");
}

#[test]
fn yaml_configs_name_the_line_and_column() {
    let yaml = config("args.yaml", "learning_rate: 2.0e-5\nmax_steps: ten\n");
    rejects(
        &["check", "--config", yaml.to_str().unwrap()],
        &format!(
            "config {}:2:12: \"max_steps\" must be a whole number, not string \"ten\" \
             (read as transformers TrainingArguments because of \"learning_rate\")",
            yaml.display()
        ),
    );
}

#[test]
fn config_mistakes_exit_2_naming_the_key() {
    let typo = config(
        "typo.json",
        r#"{"output_dir": "o", "learning_rate": 1e-4, "max_steps": 10, "lr_schedular_type": "cosine"}"#,
    );
    rejects(
        &["check", "--config", typo.to_str().unwrap()],
        &format!(
            "config {}:1:61: unknown key \"lr_schedular_type\"; did you mean \
             'lr_scheduler_type'? (read as transformers TrainingArguments because of \
             \"output_dir\")",
            typo.display()
        ),
    );
    let epochs = config(
        "epochs.json",
        r#"{"lr_scheduler_type": "linear", "num_train_epochs": 3}"#,
    );
    rejects(
        &["check", "--config", epochs.to_str().unwrap()],
        &format!(
            "config {}: there is no \"max_steps\", so transformers takes the number of steps \
             from num_train_epochs and the dataset size, which lrsched cannot know; give \
             --steps N",
            epochs.display()
        ),
    );
    lrsched()
        .args(["check", "--steps", "50", "--config"])
        .arg(&epochs)
        .assert()
        .code(0);
    let toml = config("lr.toml", "schedule = \"cosine\"\nwarmpu = 5\n");
    rejects(
        &["check", "--config", toml.to_str().unwrap()],
        &format!(
            "config {}:2:1: unknown key \"warmpu\"; did you mean 'warmup'? (the keys are \
             schedule, expr, expr_file, vars, steps, base_lr, warmup, params, run, runtime)",
            toml.display()
        ),
    );
    let torch = config(
        "torch.json",
        r#"{"lr_scheduler_type": "cosine_with_restart", "max_steps": 10}"#,
    );
    rejects(
        &["check", "--config", torch.to_str().unwrap()],
        &format!(
            "config {}:1:43: \"lr_scheduler_type\": unknown schedule 'cosine_with_restart'; \
             did you mean 'cosine_with_restarts'? (lrsched list shows all) (read as \
             transformers TrainingArguments because of \"lr_scheduler_type\")",
            torch.display()
        ),
    );
}

#[test]
fn plot_svg_writes_a_chart_file_and_nothing_else() {
    let dir = tempdir();
    let svg = dir.path().join("lr.svg");
    lrsched()
        .args([
            "plot",
            "--warmup",
            "100",
            "--steps",
            "1000",
            "--base-lr",
            "3e-4",
            "--svg",
        ])
        .arg(&svg)
        .assert()
        .code(0)
        .stdout("")
        .stderr("");
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(
        text.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" height=\"500\"")
    );
    assert!(text.trim_end().ends_with("</svg>"));
    for label in [">step</text>", ">lr</text>", ">3e-4</text>", ">800</text>"] {
        assert!(text.contains(label), "{label:?} missing from the SVG");
    }
    assert_eq!(
        text.matches("stroke=\"#4e79a7\"").count(),
        1,
        "one curve, and no legend for a single series"
    );

    let overlay = lrsched()
        .args([
            "plot",
            "--steps",
            "500",
            "--schedule",
            "linear",
            "--expr",
            "0.5",
            "--svg",
            "-",
        ])
        .output()
        .unwrap();
    assert_eq!(overlay.status.code(), Some(0));
    let text = String::from_utf8(overlay.stdout).unwrap();
    assert!(text.contains(">linear</text>") && text.contains(">0.5</text>"));
    assert!(text.contains("stroke=\"#f28e2b\""), "a second colour");

    // --width, --height and --title are honoured; .png writes a PNG.
    let dir = tempdir();
    let png = dir.path().join("lr.png");
    lrsched()
        .args([
            "plot", "--steps", "50", "--width", "320", "--height", "200", "--title", "t",
        ])
        .arg("--svg")
        .arg(&png)
        .assert()
        .code(0)
        .stdout("")
        .stderr("");
    let bytes = std::fs::read(&png).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    // The IHDR chunk: width and height, big-endian.
    assert_eq!(&bytes[16..24], &[0, 0, 1, 64, 0, 0, 0, 200]);
    rejects(
        &["plot", "--svg", "lr.jpg"],
        "--svg lr.jpg asks for a .jpg file; lrsched writes SVG (.svg) or PNG (.png)",
    );
    rejects(
        &["plot", "--svg", "lr.svg", "--width", "100"],
        "an image of 100x500 pixels is outside what plot --svg draws: --width must be 200..=10000 and --height 150..=10000",
    );
    rejects(
        &["plot", "--width", "2000"],
        "--width 2000 is more than a terminal plot draws (1000 at most); --svg FILE draws images up to 10000 pixels",
    );

    rejects(
        &["plot", "--svg", "/nonexistent/dir/lr.svg"],
        "cannot write /nonexistent/dir/lr.svg: No such file or directory (os error 2)",
    );
}

#[test]
fn completions_and_man_page() {
    let bash = lrsched().args(["completions", "bash"]).output().unwrap();
    assert_eq!(bash.status.code(), Some(0));
    let script = String::from_utf8(bash.stdout).unwrap();
    assert!(script.contains("_lrsched()"));
    for sub in [
        "table",
        "csv",
        "json",
        "plot",
        "check",
        "list",
        "completions",
        "man",
    ] {
        assert!(script.contains(&format!("lrsched,{sub})")), "{sub} missing");
    }
    assert!(script.contains("--assert"));
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let out = lrsched().args(["completions", shell]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{shell}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("check"),
            "{shell}"
        );
    }
    let man = lrsched().arg("man").output().unwrap();
    let page = String::from_utf8(man.stdout).unwrap();
    assert!(page.contains(".TH lrsched 1"), "{page}");
    assert!(page.contains("lrsched\\-check(1)"));
    let check = lrsched().args(["man", "check"]).output().unwrap();
    let page = String::from_utf8(check.stdout).unwrap();
    assert!(page.contains(".TH lrsched-check 1"));
    assert!(page.contains("\\-\\-assert"));
    rejects(
        &["man", "chek"],
        "no subcommand 'chek'; did you mean 'check'? (the subcommands are table, csv, json, \
         plot, list, train, check, diff, identify, completions, man, help)",
    );
    closes_quietly(&["completions", "bash"]);
    closes_quietly(&["man"]);
}

#[test]
fn torch_schedules_rising_past_their_horizon_warn() {
    // CosineAnnealingLR is periodic: past T_max it climbs back towards base_lr.
    lrsched()
        .args([
            "check",
            "--schedule",
            "CosineAnnealingLR",
            "--set",
            "T_max=100",
            "--steps",
            "150",
            "--base-lr",
            "1e-3",
        ])
        .assert()
        .code(0)
        .stderr("")
        .stdout(
            "schedule   CosineAnnealingLR, warmup 0, steps 150, base_lr 0.001, T_max=100.0
first_lr   0.001
peak_lr    0.001
peak_step  0
final_lr   0.00048429462046093585
min_lr     0.0
mean_lr    0.00039557209806188073
sum_lr     0.05933581470928211

warning: 1 of 150 steps get lr 0.0 and change nothing: step 100
warning: the lr rises again past the schedule's horizon at step 100: 0.0 at step 100 -> \
2.467198171342e-07 at step 101

passed with 2 warnings
",
        );
    // OneCycleLR ends at total_steps - 1; torch still allows step total_steps, which
    // extrapolates upward (pytorch#91765).
    let out = lrsched()
        .args([
            "check",
            "--schedule",
            "OneCycleLR",
            "--set",
            "max_lr=0.01",
            "--set",
            "total_steps=100",
            "--steps",
            "101",
            "--format",
            "json",
            "--strict",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["warnings"],
        serde_json::json!([{
            "kind": "rises_past_horizon",
            "step": 100,
            "message": "the lr rises again past the schedule's horizon at step 99: 4e-08 at \
                        step 99 -> 5.074647154757324e-06 at step 100",
        }])
    );
    assert_eq!(doc["passed"], false);
    // With --warmup in front, the horizon moves with the scheduler, and the jump from the
    // warmup's end to OneCycleLR's own start is named.
    let out = lrsched()
        .args([
            "check",
            "--schedule",
            "OneCycleLR",
            "--set",
            "max_lr=0.01",
            "--warmup",
            "10",
            "--steps",
            "110",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let kinds: Vec<&str> = doc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["zero_first_lr", "warmup_jump"]);
    assert_eq!(
        doc["warnings"][1]["message"],
        "the lr jumps from 0.09000000000000001 at step 9 to 0.0003999999999999993 at step 10, \
         where the warmup hands over; no other step changes it by more than 0.01"
    );
}

#[test]
fn assertions_pass_fail_and_show_their_values() {
    let lr = "examples/configs/lr.json";
    lrsched()
        .args(["check", "--config", lr, "--assert", "peak_lr <= 3e-4"])
        .args([
            "--assert",
            "final_lr < 0.1 * peak_lr",
            "--assert",
            "peak_step == 2000",
        ])
        .args(["--assert", "steps - warmup == 9500 "])
        .assert()
        .code(1)
        .stderr("error: assertion failed: peak_step == 2000 (peak_step = 500)\n")
        .stdout(format!(
            "schedule   cosine, warmup 500, steps 10000, base_lr 0.0003
first_lr   0.0
peak_lr    0.0003
peak_step  500
final_lr   8.201887236047866e-12
min_lr     0.0
mean_lr    0.00015
sum_lr     1.5

ok      peak_lr <= 3e-4
ok      final_lr < 0.1 * peak_lr
FAILED  peak_step == 2000 (peak_step = 500)
ok      steps - warmup == 9500 

{ZERO_FIRST}

FAILED: 1 of 4 assertions failed
"
        ));

    let out = lrsched()
        .args(["check", "--config", lr, "--format", "json"])
        .args([
            "--assert",
            "sum_lr / steps == mean_lr",
            "--assert",
            "min_lr",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: assertion failed: min_lr (min_lr = 0.0)\n"
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["assertions"],
        serde_json::json!([
            {"assert": "sum_lr / steps == mean_lr", "passed": true, "value": 1.0,
             "values": {"sum_lr": 1.5, "steps": 10000, "mean_lr": 0.00015}},
            {"assert": "min_lr", "passed": false, "value": 0.0, "values": {"min_lr": 0.0}},
        ])
    );
    assert_eq!(doc["passed"], false);
}

#[test]
fn bad_assertions_exit_2_before_any_step() {
    rejects(
        &["check", "--assert", "peak_l <= 3e-4"],
        "invalid --assert: unknown variable 'peak_l'; did you mean 'peak_lr'? (variables: \
         first_lr, peak_lr, peak_step, final_lr, min_lr, mean_lr, sum_lr, steps, warmup, \
         base_lr)\n  peak_l <= 3e-4\n  ^^^^^^",
    );
    // A billion steps would take a while: the assertion is rejected before the pass.
    rejects(
        &["check", "--steps", "1000000000", "--assert", "peak_lr <="],
        "invalid --assert: expected an expression after '<='\n  peak_lr <=\n            ^",
    );
}

#[test]
fn max_lr_is_read_as_peak_lr_and_said_so() {
    let lr = "examples/configs/lr.json";
    lrsched()
        .args(["check", "--config", lr, "--assert", "max_lr <= 0.05"])
        .args(["--assert", "max_lr > 0.001"])
        .assert()
        .code(1)
        .stderr("error: assertion failed: max_lr > 0.001 (max_lr = 0.0003)\n")
        .stdout(format!(
            "schedule   cosine, warmup 500, steps 10000, base_lr 0.0003
first_lr   0.0
peak_lr    0.0003
peak_step  500
final_lr   8.201887236047866e-12
min_lr     0.0
mean_lr    0.00015
sum_lr     1.5

ok      max_lr <= 0.05
FAILED  max_lr > 0.001 (max_lr = 0.0003)
note: max_lr is peak_lr

{ZERO_FIRST}

FAILED: 1 of 2 assertions failed
"
        ));
    let out = lrsched()
        .args(["check", "--config", lr, "--format", "json"])
        .args(["--assert", "max_lr == peak_lr"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["assertions"],
        serde_json::json!([
            {"assert": "max_lr == peak_lr", "passed": true, "value": 1.0,
             "values": {"max_lr": 0.0003, "peak_lr": 0.0003},
             "aliases": {"max_lr": "peak_lr"}},
        ])
    );
}

#[test]
fn unknown_names_suggest_by_meaning_first() {
    let variables = "(variables: first_lr, peak_lr, peak_step, final_lr, min_lr, mean_lr, \
                     sum_lr, steps, warmup, base_lr)";
    for (typed, meant) in [
        ("lr_max", "peak_lr"),
        ("avg_lr", "mean_lr"),
        ("last_lr", "final_lr"),
        ("max_steps", "steps"),
        ("warmup_steps", "warmup"),
    ] {
        let carets = "^".repeat(typed.len());
        rejects(
            &["check", "--assert", &format!("{typed} < 1")],
            &format!(
                "invalid --assert: unknown variable '{typed}'; did you mean '{meant}'? \
                 {variables}\n  {typed} < 1\n  {carets}"
            ),
        );
    }
}

#[test]
fn ok_and_failed_are_coloured_on_a_terminal() {
    let lr = "examples/configs/lr.json";
    let out = lrsched()
        .env("CLICOLOR_FORCE", "1")
        .args(["check", "--config", lr, "--assert", "peak_lr <= 3e-4"])
        .args(["--assert", "sum_lr > 2"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.ends_with(
            "\n\u{1b}[32mok\u{1b}[0m      peak_lr <= 3e-4\n\
             \u{1b}[1;31mFAILED\u{1b}[0m  sum_lr > 2 (sum_lr = 1.5)\n\n\
             \u{1b}[1;33mwarning:\u{1b}[0m the lr at step 0 is 0.0, so the first optimizer \
             step changes nothing (a linear warmup starts at 0)\n\n\
             \u{1b}[1;31mFAILED\u{1b}[0m: 1 of 2 assertions failed\n"
        ),
        "{stdout:?}"
    );
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "\u{1b}[1;31merror:\u{1b}[0m assertion failed: sum_lr > 2 (sum_lr = 1.5)\n"
    );
    // NO_COLOR wins, and a pipe gets none.
    let plain = lrsched()
        .env("CLICOLOR_FORCE", "1")
        .env("NO_COLOR", "1")
        .args(["check", "--config", lr])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(plain.stdout).unwrap(),
        lrsched()
            .args(["check", "--config", lr])
            .output()
            .map(|o| String::from_utf8(o.stdout).unwrap())
            .unwrap()
    );
    let passed = lrsched()
        .env("CLICOLOR_FORCE", "1")
        .args(["check", "--steps", "3"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8(passed.stdout)
            .unwrap()
            .ends_with("\n\u{1b}[32mpassed\u{1b}[0m\n")
    );
}

#[test]
fn each_configs_error_line_is_escaped() {
    let dir = tempdir();
    let bad = dir.path().join("bad\u{1b}[2J.json");
    std::fs::write(&bad, "{\"steps\": 0}").unwrap();
    let out = lrsched()
        .arg("check")
        .arg(&bad)
        .arg("examples/configs/lr.json")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    let shown = bad.display().to_string().replace('\u{1b}', "\\u{1b}");
    assert_eq!(
        stderr,
        format!(
            "error: {shown}: config {shown}:1:11: \"steps\" must be at least 1, not 0\n\
             error: 1 of 2 configs failed the check\n"
        )
    );
}
