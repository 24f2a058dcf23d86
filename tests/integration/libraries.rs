//! Every case of `tests/golden/libraries-torch.json` (DeepSpeed, timm, Megatron-Core and
//! nanoGPT, made with the real packages): values through the library within the README's
//! tolerance, and every case where the library raises refused by the command line with
//! exit status 2 and the library's reason.

use serde_json::Value;

use super::cli::lrsched;
use super::golden::partial;

fn golden() -> Value {
    serde_json::from_str(include_str!("../golden/libraries-torch.json"))
        .expect("libraries-torch.json parses")
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|a| a.as_str().expect("a string").to_string())
        .collect()
}

fn floats(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| v.as_f64().expect("a number"))
        .collect()
}

/// The lrs of `args` through the library, or why they could not be built.
fn evaluate(args: &[String], steps: usize) -> Result<Vec<f64>, String> {
    let description = partial(args).resolve().map_err(|e| e.to_string())?;
    let schedule = description.schedule();
    let got: Vec<f64> = schedule.points(0).take(steps).map(|p| p.lr).collect();
    // Random access agrees with the stream.
    for (step, want) in got.iter().enumerate().step_by(97) {
        let at = schedule.at(step as u64).lr;
        if at.to_bits() != want.to_bits() {
            return Err(format!("step {step}: at() gave {at:?}, points() {want:?}"));
        }
    }
    Ok(got)
}

/// `|got - want| <= 1e-12 * |want| + 1e-14 * peak` (the README's closed-form tolerance,
/// which it applies to every class of this file), or the first step that is not.
fn compare(id: &str, got: &[f64], want: &[f64]) -> Result<(), String> {
    if got.len() != want.len() {
        return Err(format!("{id}: {} values, want {}", got.len(), want.len()));
    }
    let peak = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    for (step, (&g, &w)) in got.iter().zip(want).enumerate() {
        if (g - w).abs() > 1e-12 * w.abs() + 1e-14 * peak || g.is_nan() != w.is_nan() {
            return Err(format!("{id} step {step}: got {g:?}, want {w:?}"));
        }
    }
    Ok(())
}

#[test]
fn every_case_matches_the_library() {
    let golden = golden();
    let cases = golden["cases"].as_array().expect("cases");
    let mut failures = Vec::new();
    let mut inexact = Vec::new();
    let mut per_library = std::collections::BTreeMap::<String, usize>::new();
    for case in cases {
        let id = case["id"].as_str().expect("id");
        let args = strings(&case["args"]);
        let want = floats(&case["lr"]);
        *per_library
            .entry(case["library"].as_str().expect("library").to_string())
            .or_default() += 1;
        match evaluate(&args, want.len()) {
            Ok(got) => {
                if let Err(e) = compare(id, &got, &want) {
                    failures.push(e);
                }
                if let Some(step) = (0..got.len()).find(|&k| got[k].to_bits() != want[k].to_bits())
                {
                    inexact.push(format!(
                        "{id} step {step}: got {:?}, want {:?}",
                        got[step], want[step]
                    ));
                }
            }
            Err(e) => failures.push(format!("{id}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
    // Beyond the tolerance: the same operations in the library's order give its doubles,
    // including timm's cycle index computed with a float log (README: no tolerance covers
    // `timm-cosine-cycle_mul3-float-log` step 242).
    assert!(
        inexact.is_empty(),
        "{} cases within tolerance but not bit-exact:\n{}",
        inexact.len(),
        inexact.join("\n")
    );
    assert_eq!(cases.len(), 91);
    assert_eq!(
        per_library.values().sum::<usize>(),
        91,
        "cases per library: {per_library:?}"
    );
}

/// The relative cases follow `--base-lr`; the absolute ones ignore it.
#[test]
fn relative_cases_scale_with_the_base_lr() {
    let golden = golden();
    for case in golden["cases"].as_array().expect("cases") {
        let id = case["id"].as_str().expect("id");
        let mut args = strings(&case["args"]);
        let want = floats(&case["lr"]);
        let at = args
            .iter()
            .position(|a| a == "--base-lr")
            .expect("--base-lr")
            + 1;
        let base: f64 = args[at].parse().expect("base lr");
        args[at] = (3.0 * base).to_string();
        let got = evaluate(&args, want.len()).expect("3x base lr builds");
        let changed = got.iter().zip(&want).any(|(g, w)| g != w);
        assert_eq!(
            changed,
            case["relative"].as_bool().expect("relative"),
            "{id}: with 3x --base-lr the values {} change",
            if changed { "do" } else { "do not" }
        );
    }
}

#[test]
fn every_error_case_is_refused_with_the_library_reason() {
    let golden = golden();
    let errors = golden["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 13);
    for case in errors {
        let id = case["id"].as_str().expect("id");
        let args = strings(&case["args"]);
        let error = case["error"].as_str().expect("error");
        let out = lrsched().arg("csv").args(&args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{id}: {stderr}");
        assert!(out.stdout.is_empty(), "{id} wrote to stdout");
        assert!(
            stderr.starts_with("error: ") && stderr.ends_with('\n') && stderr.lines().count() == 1,
            "{id}: not a one-paragraph error: {stderr:?}"
        );
        assert!(
            stderr.contains(error),
            "{id}: the message does not carry {error:?}: {stderr}"
        );

        // Where the library raises only at step k, the k steps before it are its values.
        if let Some(k) = case["raised_at"].as_u64() {
            let want = floats(&case["lr_before_error"]);
            assert_eq!(want.len() as u64, k, "{id}");
            let name = &args[args
                .iter()
                .position(|a| a == "--schedule")
                .expect("--schedule")
                + 1];
            // An unknown Megatron style has no entry to evaluate its warmup with.
            if k == 0 || lrsched::schedule::registry::find(name).is_err() {
                continue;
            }
            let mut before = args.clone();
            let at = before.iter().position(|a| a == "--steps").expect("--steps") + 1;
            before[at] = k.to_string();
            let got = evaluate(&before, want.len())
                .unwrap_or_else(|e| panic!("{id}: the {k} steps before the error: {e}"));
            compare(id, &got, &want).unwrap();

            // Built for those steps, the schedule still knows where and why it stops.
            let schedule = partial(&before)
                .resolve()
                .map(|d| d.into_schedule())
                .unwrap();
            assert_eq!(schedule.last_defined_step(), Some(k - 1), "{id}");
            assert!(schedule.at(k).lr.is_nan(), "{id}: step {k} is not NaN");
            assert!(schedule.error_at(k - 1).is_none(), "{id}");
            let why = schedule
                .error_at(k)
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(why.contains(error), "{id}: error_at({k}) gives {why:?}");
        }
    }
}

#[test]
fn list_shows_every_new_name() {
    let out = lrsched().arg("list").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for (heading, names) in [
        (
            "deepspeed (--warmup is warmup_num_steps)",
            &[
                "LRRangeTest",
                "OneCycle",
                "WarmupLR",
                "WarmupDecayLR",
                "WarmupCosineLR",
            ][..],
        ),
        (
            "timm (stepped per update; --warmup is warmup_t)",
            &["cosine", "tanh", "step", "multistep", "poly"][..],
        ),
        (
            "megatron (--warmup is lr_warmup_steps)",
            &["constant", "linear", "cosine", "inverse-square-root", "WSD"][..],
        ),
        ("nanogpt (--warmup is warmup_iters)", &["get_lr"][..]),
    ] {
        let section = text
            .split("\n\n")
            .find(|s| s.starts_with(heading))
            .unwrap_or_else(|| panic!("no section {heading:?} in:\n{text}"));
        let listed: Vec<&str> = section
            .lines()
            .skip(1)
            .filter(|l| !l.starts_with("   "))
            .map(|l| l.split_whitespace().next().unwrap())
            .collect();
        let library = heading.split_whitespace().next().unwrap();
        let qualified: Vec<String> = names.iter().map(|n| format!("{library}:{n}")).collect();
        assert_eq!(listed, qualified, "{heading}");
        for name in names {
            let library = heading.split_whitespace().next().unwrap();
            let detail = lrsched()
                .args(["list", &format!("{library}:{name}")])
                .output()
                .unwrap();
            assert!(detail.status.success(), "list {library}:{name}");
            let detail = String::from_utf8(detail.stdout).unwrap();
            assert!(
                detail.starts_with(&format!("{library}:{name}\n")),
                "{detail}"
            );
            assert!(detail.contains("\nwarmup:\n"), "{detail}");
        }
    }
}

#[test]
fn warmup_sets_the_library_parameter_once() {
    // `--warmup W` is the library's own warmup parameter: the same values as --set.
    for (name, param, extra) in [
        ("deepspeed:WarmupLR", "warmup_num_steps", &[][..]),
        ("timm:cosine", "warmup_t", &["t_initial=50"][..]),
        (
            "megatron:cosine",
            "lr_warmup_steps",
            &["lr_decay_steps=50"][..],
        ),
        ("nanogpt:get_lr", "warmup_iters", &["lr_decay_iters=50"][..]),
    ] {
        let run = |warmup: &[&str]| {
            let mut args = vec!["csv", "--schedule", name, "--steps", "60"];
            args.extend_from_slice(warmup);
            for e in extra {
                args.extend(["--set", e]);
            }
            let out = lrsched().args(&args).output().unwrap();
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        };
        let set = format!("{param}=7");
        assert_eq!(run(&["--warmup", "7"]), run(&["--set", &set]), "{name}");
        assert_ne!(run(&["--warmup", "7"]), run(&["--warmup", "3"]), "{name}");
        super::cli::rejects(
            &[
                "csv",
                "--schedule",
                name,
                "--steps",
                "60",
                "--warmup",
                "7",
                "--set",
                &set,
            ],
            &format!(
                "{name}: --warmup 7 and --set {param}={} both set {param}; give one of them",
                if name.starts_with("megatron") {
                    "7.0"
                } else {
                    "7"
                }
            ),
        );
    }
    for (name, params) in [
        (
            "deepspeed:OneCycle",
            &["--set", "cycle_min_lr=0.1", "--set", "cycle_max_lr=1"][..],
        ),
        ("deepspeed:LRRangeTest", &[][..]),
    ] {
        let mut args = vec!["csv", "--schedule", name, "--steps", "5", "--warmup", "2"];
        args.extend_from_slice(params);
        super::cli::rejects(
            &args,
            &format!(
                "{name} has no warmup parameter, so --warmup 2 has no meaning for it; drop \
                 --warmup (lrsched list {name} shows its parameters)"
            ),
        );
    }
}

#[test]
fn the_training_demo_leaves_a_library_warmup_to_the_library() {
    // The demo's default `--warmup 5` is torch's LambdaLR warmup; timm's own warmup_t wins.
    let out = lrsched()
        .args(["train", "--schedule", "timm:cosine", "--set", "warmup_t=3"])
        .args(["--set", "t_initial=10"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_unknown_megatron_style_is_megatrons_exception() {
    super::cli::rejects(
        &["csv", "--schedule", "megatron:exponential", "--steps", "5"],
        "unknown schedule 'megatron:exponential': Megatron raises Exception: exponential decay \
         style is not supported. (at the first step after the warmup); lr_decay_style is one of \
         constant, linear, cosine, inverse-square-root, WSD (lrsched list shows all)",
    );
    super::cli::rejects(
        &["csv", "--schedule", "timm:cosin", "--steps", "5"],
        "unknown schedule 'timm:cosin'; did you mean 'timm:cosine'? (lrsched list shows all)",
    );
}

/// The cases of both library files (torch-based and jax-based).
fn every_library_case() -> Vec<Value> {
    let jax: Value = serde_json::from_str(include_str!("../golden/libraries-jax.json"))
        .expect("libraries-jax.json parses");
    let mut cases = golden()["cases"].as_array().expect("cases").clone();
    cases.extend(jax["cases"].as_array().expect("cases").iter().cloned());
    cases
}

/// A schedule is absolute exactly when its values cannot change with `--base-lr`: the
/// golden `relative` flag (found by rerunning each case with 3x the optimizer lr) rules out
/// absolute for every relative case, and an absolute one gives the same bits at 3x.
#[test]
fn absolute_schedules_are_those_the_base_lr_cannot_change() {
    let mut absolute = 0;
    for case in every_library_case() {
        let id = case["id"].as_str().expect("id");
        let args = strings(&case["args"]);
        let steps = floats(&case["lr"]).len();
        let description = partial(&args).resolve().expect(id);
        let relative = case["relative"].as_bool().expect("relative");
        if !description.schedule().absolute() {
            continue;
        }
        absolute += 1;
        assert!(
            !relative,
            "{id}: absolute, but its values change with --base-lr"
        );
        let base_lr = description.ctx().base_lr;
        let mut tripled = args.clone();
        tripled.extend(["--base-lr".to_string(), (3.0 * base_lr).to_string()]);
        let again = partial(&tripled).resolve().expect(id);
        assert_eq!(again.ctx().base_lr, 3.0 * base_lr, "{id}");
        for step in 0..steps as u64 {
            let (a, b) = (
                description.schedule().at(step).lr,
                again.schedule().at(step).lr,
            );
            assert_eq!(
                a.to_bits(),
                b.to_bits(),
                "{id} step {step}: {a:?} at 1x, {b:?} at 3x"
            );
        }
    }
    assert!(absolute > 100, "only {absolute} absolute cases");
}

/// A relative case's schedule is never absolute, and every case the data calls absolute
/// (values the same at 3x the optimizer lr) is, unless its steps only reach values that
/// do not involve the optimizer's lr (two timm cases, per the golden README).
#[test]
fn the_golden_relative_flag_agrees_with_absolute() {
    let mut not_absolute = Vec::new();
    for case in every_library_case() {
        let id = case["id"].as_str().expect("id");
        let description = partial(&strings(&case["args"])).resolve().expect(id);
        let relative = case["relative"].as_bool().expect("relative");
        let absolute = description.schedule().absolute();
        assert!(
            !(relative && absolute),
            "{id}: relative in the data, absolute here"
        );
        if !relative && !absolute {
            not_absolute.push(id.to_string());
        }
    }
    assert!(
        not_absolute.iter().all(|id| id.starts_with("timm-")) && not_absolute.len() <= 2,
        "not relative in the data, yet not absolute: {not_absolute:?}"
    );
}

/// The multiplier of an absolute schedule is `absolute` in the table, empty in CSV and
/// `null` in JSON; a relative one keeps its ratio.
#[test]
fn absolute_schedules_say_so_in_the_multiplier_column() {
    let cyclic = [
        "--schedule",
        "CyclicLR",
        "--set",
        "base_lr=0.01",
        "--set",
        "max_lr=0.1",
        "--set",
        "step_size_up=2",
        "--steps",
        "3",
    ];
    let run = |command: &str, extra: &[&str]| {
        let out = lrsched()
            .arg(command)
            .args(cyclic)
            .args(extra)
            .output()
            .expect("runs");
        assert!(out.status.success(), "{command}");
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    assert_eq!(
        run("table", &[]),
        "Step | Multiplier | Learning Rate\n   0 | absolute   | 0.01\n   1 | absolute   | \
         0.05500000000000001\n   2 | absolute   | 0.1\n"
    );
    assert_eq!(
        run("csv", &[]),
        "step,multiplier,lr\n0,,0.01\n1,,0.05500000000000001\n2,,0.1\n"
    );
    assert_eq!(
        run("json", &["--lines"]),
        "{\"step\":0,\"multiplier\":null,\"lr\":0.01}\n{\"step\":1,\"multiplier\":null,\"lr\":\
         0.05500000000000001}\n{\"step\":2,\"multiplier\":null,\"lr\":0.1}\n"
    );
    // SequentialLR's warmup in front reads --base-lr: a ratio again.
    assert_eq!(
        run("csv", &["--warmup", "1"]),
        "step,multiplier,lr\n0,0.0,0.0\n1,0.09999999999999999,0.01\n2,0.55,0.05500000000000001\n"
    );
    // WarmupLR is absolute only with its own warmup_max_lr.
    let warmup = |extra: &[&str]| {
        let out = lrsched()
            .args([
                "csv",
                "--schedule",
                "deepspeed:WarmupLR",
                "--set",
                "warmup_num_steps=2",
            ])
            .args([
                "--set",
                "warmup_type=linear",
                "--steps",
                "3",
                "--base-lr",
                "0.5",
            ])
            .args(extra)
            .output()
            .expect("runs");
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    assert_eq!(
        warmup(&[]),
        "step,multiplier,lr\n0,0.0,0.0\n1,0.0,0.0\n2,0.5,0.25\n"
    );
    assert_eq!(
        warmup(&["--set", "warmup_max_lr=0.2"]),
        "step,multiplier,lr\n0,,0.0\n1,,0.0\n2,,0.1\n"
    );
}
