//! DeepSpeed configs through `--config`: every `deepspeed:` case of
//! `tests/golden/libraries-torch.json` written as a DeepSpeed config (its params as the
//! `"scheduler"` block, its lr as the optimizer's) gives the library's values, its refused
//! cases are refused, and a real config from DeepSpeed's repository (tests/fixtures/deepspeed,
//! sources in SOURCES.md) reads with its run.

use serde_json::{Map, Value, json};

use crate::cli::lrsched;
use crate::scratch::{TempFile, tempdir};

/// A `--set key=value` value as the golden README writes it.
fn value_of(text: &str) -> Value {
    match text {
        "true" => json!(true),
        "false" => json!(false),
        _ => text
            .parse::<i64>()
            .map(Value::from)
            .or_else(|_| text.parse::<f64>().map(Value::from))
            .unwrap_or_else(|_| json!(text)),
    }
}

/// The case as a DeepSpeed config file, and its `--steps`.
fn config_of(case: &Value) -> (TempFile, String) {
    let args: Vec<&str> = case["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    let class = args[1].strip_prefix("deepspeed:").unwrap();
    let mut params = Map::new();
    for pair in args.windows(2).filter(|w| w[0] == "--set") {
        let (key, value) = pair[1].split_once('=').unwrap();
        params.insert(key.to_string(), value_of(value));
    }
    let config = json!({
        "train_micro_batch_size_per_gpu": 4,
        "gradient_accumulation_steps": 1,
        "optimizer": {"type": "SGD", "params": {"lr": case["base_lr"]}},
        "scheduler": {"type": class, "params": params},
        "zero_optimization": {"stage": 0}
    });
    let file = TempFile::new(
        "ds_config.json",
        serde_json::to_string_pretty(&config).unwrap(),
    );
    (file, case["steps"].to_string())
}

fn close(got: f64, want: f64) -> bool {
    got == want || (got - want).abs() <= 1e-12 * want.abs().max(got.abs())
}

fn deepspeed_cases(member: &str) -> Vec<Value> {
    let golden: Value =
        serde_json::from_str(include_str!("../golden/libraries-torch.json")).unwrap();
    golden[member]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["library"] == "deepspeed")
        .cloned()
        .collect()
}

#[test]
fn every_deepspeed_case_as_a_config_gives_the_librarys_values() {
    let cases = deepspeed_cases("cases");
    assert!(cases.len() >= 27);
    let mut failures = Vec::new();
    for case in &cases {
        let id = case["id"].as_str().unwrap();
        let (path, steps) = config_of(case);
        let out = lrsched()
            .args(["csv", "--config", path.to_str().unwrap(), "--steps", &steps])
            .output()
            .unwrap();
        if !out.status.success() {
            failures.push(format!("{id}: {}", String::from_utf8_lossy(&out.stderr)));
            continue;
        }
        let got: Vec<f64> = String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.rsplit(',').next().unwrap().parse().unwrap())
            .collect();
        let want: Vec<f64> = case["lr"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        if got.len() != want.len() || !got.iter().zip(&want).all(|(g, w)| close(*g, *w)) {
            failures.push(format!("{id}: {got:?}, DeepSpeed gives {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn deepspeed_refusals_are_refused_from_a_config() {
    for case in deepspeed_cases("errors") {
        let (path, steps) = config_of(&case);
        let out = lrsched()
            .args(["csv", "--config", path.to_str().unwrap(), "--steps", &steps])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let error = case["error"].as_str().unwrap();
        let message = error.split_once(": ").unwrap().1;
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", case["id"]);
        assert!(stderr.contains(message), "{}: {stderr}", case["id"]);
    }
}

#[test]
fn strings_and_auto_where_deepspeed_needs_numbers_are_errors_naming_the_key() {
    let dir = tempdir();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_str().unwrap().to_string()
    };
    let cases = [
        (
            write(
                "string.json",
                "{\n  \"scheduler\": {\n    \"type\": \"WarmupLR\",\n    \"params\": {\"warmup_num_steps\": \"1000\"}\n  }\n}\n",
            ),
            ":4:16: \"scheduler.params.warmup_num_steps\" must be a number, not string \"1000\" \
             (DeepSpeed passes it on as a string, which fails where it is used)",
        ),
        (
            write(
                "auto.json",
                "{\n  \"train_micro_batch_size_per_gpu\": \"auto\",\n  \"scheduler\": {\"type\": \"WarmupLR\"}\n}\n",
            ),
            ":2:3: \"train_micro_batch_size_per_gpu\" is \"auto\", which only transformers' \
             DeepSpeed integration fills in, from the TrainingArguments the config runs with: \
             give them too (--config training_args.json --config ",
        ),
        (
            write(
                "class.json",
                "{\n  \"scheduler\": {\n    \"type\": \"CosineLR\",\n    \"params\": {}\n  }\n}\n",
            ),
            ":3:5: \"scheduler.type\" \"CosineLR\" is neither a DeepSpeed scheduler (LRRangeTest, \
             OneCycle, WarmupLR, WarmupDecayLR, WarmupCosineLR) nor a torch.optim.lr_scheduler \
             class lrsched knows",
        ),
        (
            write(
                "typo.json",
                "{\n  \"optimizer\": {\"params\": {\"lr\": 0.1}},\n  \"schedular\": {\"type\": \"WarmupLR\"}\n}\n",
            ),
            ":3:3: unknown key \"schedular\"; did you mean 'scheduler'?",
        ),
    ];
    for (path, message) in cases {
        let out = lrsched().args(["csv", "--config", &path]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.starts_with(&format!("error: config {path}{message}")),
            "{stderr}"
        );
    }
}

#[test]
fn a_torch_class_in_the_scheduler_block_is_the_torch_built_in() {
    let dir = tempdir();
    let path = dir.path().join("ds.json");
    std::fs::write(
        &path,
        r#"{"optimizer": {"params": {"lr": 0.1}},
            "scheduler": {"type": "StepLR", "params": {"step_size": 2, "gamma": 0.5}}}"#,
    )
    .unwrap();
    let out = lrsched()
        .args(["csv", "--config", path.to_str().unwrap(), "--steps", "5"])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "step,multiplier,lr\n0,1.0,0.1\n1,1.0,0.1\n2,0.5,0.05\n3,0.5,0.05\n4,0.25,0.025\n"
    );
}

#[test]
fn deepspeeds_own_gpt2_example_gives_its_run() {
    // train_batch_size 512 = micro 16 x accumulation 4 x 8 devices; 102400 samples over 8
    // devices is 800 micro-batches each, 200 updates an epoch.
    let out = lrsched()
        .args([
            "json",
            "--config",
            "tests/fixtures/deepspeed/gpt2_baseline.json",
            "--samples",
            "102400",
            "--epochs",
            "3",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let schedule = &json["schedule"];
    assert_eq!(schedule["schedule"], "deepspeed:WarmupLR");
    assert_eq!(schedule["base_lr"], 5e-5);
    assert_eq!(schedule["params"]["warmup_num_steps"], 500);
    assert_eq!(schedule["params"]["warmup_max_lr"], 5e-5);
    let run = &schedule["run"];
    assert_eq!(run["framework"], "deepspeed");
    assert_eq!(run["inputs"]["devices"], 8);
    assert_eq!(run["inputs"]["batch_size"], 16);
    assert_eq!(run["inputs"]["grad_accum"], 4);
    assert_eq!(run["total_updates"]["value"], 600);
    assert_eq!(schedule["runtime"]["name"], "deepspeed");
    let points = json["points"].as_array().unwrap();
    assert_eq!(points.len(), 600);
    // WarmupLR's log warmup to warmup_max_lr over 500 steps, flat after.
    assert_eq!(points[599]["lr"], 5e-5);
}
