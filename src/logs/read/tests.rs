//! Tests of the log readers: the golden trainer state, each CSV and JSON Lines dialect,
//! and every kind of bad log named with its file, line and what was expected.

use std::path::PathBuf;

use super::*;

const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/golden/trainer-state/trainer_state.json"
);

/// A file named `name` holding `text` in a fresh temporary directory, both removed when
/// it is dropped; it derefs to its path.
pub(crate) struct TempFile {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl std::ops::Deref for TempFile {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for TempFile {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

/// Writes `text` to a fresh file named `name`.
pub(crate) fn temp(name: &str, text: &str) -> TempFile {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    TempFile { path, _dir: dir }
}

fn rows(path: &Path, columns: Option<&Columns>) -> Result<Vec<(u64, f64, u64)>> {
    let (rows, _) = read_all(path, columns)?;
    Ok(rows.iter().map(|r| (r.step, r.lr, r.line)).collect())
}

fn error(path: &Path, columns: Option<&Columns>) -> String {
    rows(path, columns).unwrap_err().to_string()
}

#[test]
fn golden_trainer_state() {
    let (rows, info) = read_all(Path::new(GOLDEN), None).unwrap();
    assert_eq!(info.format, Some(Format::TrainerState));
    assert_eq!(info.max_steps, Some(189));
    assert_eq!(info.logging_steps, Some(5.0));
    assert_eq!(rows.len(), 37);
    let steps: Vec<u64> = rows.iter().map(|r| r.step).collect();
    assert_eq!(steps, (1..=37).map(|k| 5 * k).collect::<Vec<_>>());
    assert_eq!(rows[0].lr, 0.00021052631578947367);
    assert_eq!(rows[3].lr, 0.001);
    // Each row names the line of its learning_rate.
    let text = std::fs::read_to_string(GOLDEN).unwrap();
    for row in &rows {
        let line = text.lines().nth(row.line as usize - 1).unwrap();
        assert!(
            line.contains("\"learning_rate\""),
            "step {} at line {}: {line}",
            row.step,
            row.line
        );
    }
    assert_eq!(rows[0].line, 15);
}

#[test]
fn csv_headers_of_each_exporter() {
    for (header, row) in [
        ("step,multiplier,lr", "3,0.5,0.05"),
        ("global_step,train/learning_rate", "3,0.05"),
        ("Step,Value,Wall time", "3,0.05,1.0"),
        ("Wall time,Step,Value", "1.0,3,0.05"),
        ("_step,_runtime,train/lr", "3,1.5,0.05"),
        ("epoch,step,lr-AdamW,train_loss", "0,3,0.05,"),
        ("learning_rate,step", "0.05,3.0"),
    ] {
        let path = temp("dialect.csv", &format!("{header}\n{row}\n"));
        assert_eq!(rows(&path, None).unwrap(), vec![(3, 0.05, 2)], "{header}");
    }
}

#[test]
fn lightning_rows_without_lr_are_skipped() {
    let path = temp(
        "metrics.csv",
        "epoch,step,lr-SGD,train_loss\n0,0,0.1,\n0,0,,2.5\n0,1,0.09,\n0,1,,2.1\n",
    );
    assert_eq!(rows(&path, None).unwrap(), vec![(0, 0.1, 2), (1, 0.09, 4)]);
}

#[test]
fn named_columns() {
    let path = temp("named.csv", "it,rate\n0,1.0\n10,0.5\n");
    let columns = Columns::parse("it,rate").unwrap();
    assert_eq!(
        rows(&path, Some(&columns)).unwrap(),
        vec![(0, 1.0, 2), (10, 0.5, 3)]
    );
    assert_eq!(
        error(&path, Some(&Columns::parse("it,lr").unwrap())),
        format!(
            "{}:1: no column 'lr' (--log-columns); the header has it, rate",
            path.display()
        )
    );
    assert!(Columns::parse("step").is_err());
}

#[test]
fn json_lines() {
    let path = temp(
        "log.jsonl",
        "{\"step\": 0, \"loss\": 3}\n{\"step\": 1, \"learning_rate\": 0.1}\n\n{\"step\": 2, \"learning_rate\": null}\n{\"step\": 3, \"learning_rate\": 0.2}\n",
    );
    assert_eq!(rows(&path, None).unwrap(), vec![(1, 0.1, 2), (3, 0.2, 5)]);
    // Detected from the content without the extension.
    let path = temp("log-noext", "{\"_step\": 4, \"lr\": 0.5}\n");
    assert_eq!(rows(&path, None).unwrap(), vec![(4, 0.5, 1)]);
}

#[test]
fn bad_logs_name_file_line_and_expectation() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "empty.csv",
            "",
            ": the log is empty; expected a trainer_state.json, a CSV with a header, or JSON Lines",
        ),
        (
            "nolr.csv",
            "step,loss\n1,2\n",
            ":1: expected an lr column (lr, learning_rate, train/learning_rate, lr-AdamW, ...) in the header, which has step, loss; name the columns with --log-columns STEP,LR",
        ),
        (
            "nostep.csv",
            "lr\n1\n",
            ":1: expected a step column (step, global_step, Step, _step) in the header, which has lr; name the columns with --log-columns STEP,LR",
        ),
        (
            "text.csv",
            "step,lr\n1,0.1\n2,abc\n",
            ":3: lr is 'abc'; expected a number",
        ),
        (
            "badstep.csv",
            "step,lr\n1.5,0.1\n",
            ":2: step is '1.5'; expected a whole number of steps, 0 or more",
        ),
        (
            "dup.csv",
            "step,lr\n1,0.1\n1,0.1\n",
            ":3: step 1 is logged twice (step 1 at line 2); expected steps in increasing order, one learning rate each",
        ),
        (
            "down.csv",
            "step,lr\n2,0.1\n1,0.1\n",
            ":3: step 1 comes after a later step (step 2 at line 2); expected steps in increasing order, one learning rate each",
        ),
        (
            "nan.csv",
            "step,lr\n2,nan\n",
            ":2: the learning rate at step 2 is NaN; expected a finite number",
        ),
        (
            "header-only.csv",
            "step,lr\n",
            ": the log has no rows with a learning rate",
        ),
        (
            "other.json",
            "{\"a\": 1}",
            ": a JSON object without log_history; expected transformers' trainer_state.json (Trainer.state.save_to_json), or give a CSV or JSON Lines log",
        ),
        (
            "list.json",
            "[1, 2]",
            ":1: invalid type: sequence, expected a JSON object; expected transformers' trainer_state.json, with log_history entries like {\"step\": 5, \"learning_rate\": 0.001}",
        ),
        (
            "nolr.json",
            "{\"log_history\": [{\"step\": 1, \"loss\": 2}]}",
            ": no entry of log_history has a learning_rate; expected entries like {\"step\": 5, \"learning_rate\": 0.001}",
        ),
        (
            "badlr.json",
            "{\n\"log_history\": [\n{\"step\": 1,\n \"learning_rate\": \"x\"}]}",
            ":4: invalid type: string \"x\", expected f64",
        ),
        (
            "dup.json",
            "{\"log_history\": [\n{\"step\": 1, \"learning_rate\": 1},\n{\"step\": 1, \"learning_rate\": 1}]}",
            ":3: step 1 is logged twice (step 1 at line 2)",
        ),
        (
            "bad.jsonl",
            "{\"step\": 1, \"lr\": 1}\n{oops\n",
            ":2: not a JSON object",
        ),
        (
            "nokeys.jsonl",
            "{\"a\": 1}\n",
            ": no line has both a step column (step, global_step, Step, _step) and an lr column",
        ),
        (
            "nostep.jsonl",
            "{\"step\": 1, \"lr\": 1}\n{\"lr\": 2}\n",
            ":2: lr without step; expected every line with a learning rate to give its step",
        ),
        (
            "events.out.tfevents.1.host",
            "x",
            ": TensorBoard event files are not read by lrsched",
        ),
    ];
    for (name, text, expected) in cases {
        let path = temp(name, text);
        let message = error(&path, None);
        let want = format!("{}{expected}", path.display());
        assert!(
            message.starts_with(&want),
            "{name}:\n got: {message}\nwant: {want}"
        );
    }
    let missing = Path::new("/nonexistent/log.csv");
    assert!(error(missing, None).starts_with("cannot read log /nonexistent/log.csv: "));
}

#[test]
fn a_million_rows_stream() {
    let mut text = String::from("step,lr\n");
    for step in 0..1_000_000u64 {
        text.push_str(&format!("{step},{}\n", step as f64 * 1e-9));
    }
    let path = temp("million.csv", &text);
    let (mut count, mut last) = (0u64, None);
    let info = read(&path, None, &mut |row| {
        count += 1;
        last = Some(row);
        Ok(())
    })
    .unwrap();
    assert_eq!((count, info.rows), (1_000_000, 1_000_000));
    assert_eq!(last.unwrap().line, 1_000_001);
}
