//! Runs each subcommand: descriptions in, writers out, an exit status back.

use std::io::{self, IsTerminal, Write};
use std::path::Path;

use lrsched::Description;
use lrsched::engine::Engine;
use lrsched::error::{Error, Result};
use lrsched::output::csv::Csv;
use lrsched::output::json::Json;
use lrsched::output::legend::{self, Origin};
use lrsched::output::plot::{PlotOptions, Series, data_columns, write_plot};
use lrsched::output::svg::{self, SvgOptions};
use lrsched::output::table::Table;
use lrsched::output::{self, Format, Steps};
use lrsched::schedule::Point;

use super::progress::{Bar, ProgressChoice, Verb};
use super::{Cli, Command, OptimizerArg, PlotArgs, RangeArgs, TrainArgs, TrainFormat};

/// Runs the parsed command line; returns the exit status.
pub fn run(cli: Cli) -> Result<u8> {
    match cli.command {
        Command::Table(args) => {
            if let Some(run) = super::run::plan(&args.run, &args.schedule, "table")? {
                let table = Table::fitting(
                    &run.first_rows(&args.range, 1024)?,
                    run.last_row(),
                    args.digits.map(usize::from),
                    run.schedule().absolute(),
                );
                run.write(&args.range, &table, &mut io::stdout().lock())?;
                return Ok(0);
            }
            let description = args.schedule.one("table")?;
            let steps = range(description.ctx().steps, &args.range)?;
            let engine = writing_engine(&description, args.progress.progress);
            let table = Table::new(description.schedule(), steps, args.digits.map(usize::from));
            output::write(
                &engine,
                description.schedule(),
                steps,
                &table,
                &mut io::stdout().lock(),
            )?;
        }
        Command::Csv(args) => {
            if let Some(run) = super::run::plan(&args.run, &args.schedule, "csv")? {
                run.write(
                    &args.range,
                    &Csv::of(run.schedule()),
                    &mut io::stdout().lock(),
                )?;
                return Ok(0);
            }
            let description = args.schedule.one("csv")?;
            let steps = range(description.ctx().steps, &args.range)?;
            let format = Csv::of(description.schedule());
            write_rows(&description, steps, &format, args.progress.progress)?;
        }
        Command::Json(args) => {
            if let Some(run) = super::run::plan(&args.run, &args.schedule, "json")? {
                let format = if args.lines {
                    Json::lines()
                } else {
                    Json::document(&run.to_json())
                }
                .absolute(run.schedule().absolute());
                run.write(&args.range, &format, &mut io::stdout().lock())?;
                return Ok(0);
            }
            let description = args.schedule.one("json")?;
            let steps = range(description.ctx().steps, &args.range)?;
            let format = if args.lines {
                Json::lines()
            } else {
                Json::document(&description.to_json())
            };
            let format = format.absolute(description.schedule().absolute());
            write_rows(&description, steps, &format, args.progress.progress)?;
        }
        Command::Plot(args) => plot(&args)?,
        Command::List(args) => super::list::list(&args, &mut io::stdout().lock())?,
        Command::Train(args) => train(&args)?,
        Command::Check(args) => super::check::run(&args)?,
        Command::Identify(args) => return super::identify::run(&args),
        Command::Diff(args) => return super::diff::run(&args),
        Command::Completions(args) => super::generate::completions(&args)?,
        Command::Man(args) => super::generate::man(&args)?,
    }
    Ok(0)
}

/// The steps a table, csv or json writes: `--from` up to `--steps`, every `--every`-th.
fn range(steps: u64, args: &RangeArgs) -> Result<Steps> {
    if args.from >= steps {
        return Err(Error::input(format!(
            "--from {} is past the last step, {} (--steps {steps} evaluates steps 0 to {})",
            args.from,
            steps - 1,
            steps - 1
        )));
    }
    Ok(Steps {
        from: args.from,
        to: steps,
        every: args.every,
    })
}

/// The engine that writes the rows of `description`, with the progress `choice` asks for.
fn writing_engine(description: &Description, choice: ProgressChoice) -> Engine {
    let bar = Bar::new(choice, Verb::Writing);
    if let Some(bar) = &bar {
        bar.name(&description.label(), !description.schedule().seekable());
    }
    Bar::engine(bar.as_ref(), Engine::new())
}

/// Streams the rows of `format` to stdout, formatting on every core for large outputs.
fn write_rows(
    description: &Description,
    steps: Steps,
    format: &(impl Format<Row = Point, End = ()> + Sync),
    progress: ProgressChoice,
) -> Result<()> {
    output::write(
        &writing_engine(description, progress),
        description.schedule(),
        steps,
        format,
        &mut io::stdout().lock(),
    )
}

fn plot(args: &PlotArgs) -> Result<()> {
    let curves = args.schedule.many()?;
    let labeled: Vec<(&Description, Origin)> = curves.iter().map(|(d, o)| (d, o.clone())).collect();
    let labels = legend::labels(&labeled);
    let longest = curves.iter().map(|(d, _)| d.ctx().steps).max().unwrap_or(1);
    let frame = range(
        longest,
        &RangeArgs {
            every: 1,
            from: args.from,
        },
    )?;
    if let Some(path) = &args.svg {
        let options = SvgOptions {
            width: args.width.map_or(svg::WIDTH, u32::from),
            height: args.height.map_or(svg::HEIGHT, u32::from),
            title: args.title.clone(),
            log_y: args.log_y,
        };
        options.validate()?;
        return svg(
            &curves,
            labels,
            frame,
            path,
            &options,
            args.progress.progress,
        );
    }
    for (flag, value, max) in [
        ("--width", args.width, 1000),
        ("--height", args.height, 500),
    ] {
        if let Some(value) = value.filter(|&v| v > max) {
            return Err(Error::input(format!(
                "{flag} {value} is more than a terminal plot draws ({max} at most); \
                 --svg FILE draws images up to 10000 pixels"
            )));
        }
    }
    let options = terminal_plot(args.width, args.height, args.color, args.log_y);
    let series = reduce_all(
        &curves,
        labels,
        frame,
        data_columns(options.width),
        args.progress.progress,
    )?;
    write_plot(&mut io::stdout().lock(), &series, frame, options)
}

/// A terminal plot's size and colour (`plot`, `diff --plot`): as given, else fitted to
/// the screen.
pub(super) fn terminal_plot(
    width: Option<u16>,
    height: Option<u16>,
    color: super::ColorChoice,
    log_y: bool,
) -> PlotOptions {
    let stdout = io::stdout();
    let terminal = stdout.is_terminal();
    // The terminal stdout is, else the one stderr is: `lrsched plot | less` is read there.
    let screen = terminal_size::terminal_size_of(&stdout)
        .or_else(|| terminal_size::terminal_size_of(io::stderr()));
    // As Python's shutil.get_terminal_size: COLUMNS and LINES first, then the terminal.
    let env = |name: &str| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.trim().parse::<u16>().ok())
            .filter(|&n| n > 0)
    };
    let width = width
        .or_else(|| env("COLUMNS").map(|w| w.min(1000)))
        .or_else(|| screen.map(|(w, _)| w.0.min(240)))
        .unwrap_or(80);
    // The prompt takes a line after the chart.
    let lines = env("LINES")
        .or_else(|| screen.map(|(_, h)| h.0))
        .map_or(u16::MAX, |h| h.saturating_sub(1));
    PlotOptions {
        width,
        height,
        lines,
        color: super::color::enabled(Some(color), terminal),
        log_y,
    }
}

fn train(args: &TrainArgs) -> Result<()> {
    use lrsched::train::report::{self, LrColumn};
    use lrsched::train::{DataSource, InitSource, Optimizer, Settings, Training, demo_defaults};

    let description = demo_defaults(args.schedule.partial("train")?).resolve()?;
    let schedule = description.schedule();
    let steps = description.ctx().steps;
    let lr = if args.next_lr {
        LrColumn::Next
    } else {
        LrColumn::Used
    };
    if args.next_lr
        && schedule
            .last_defined_step()
            .is_some_and(|last| last < steps)
    {
        return Err(Error::input(format!(
            "--next-lr shows the lr after the last step's scheduler.step(), but {} is not \
             defined past step {} (torch raises there); drop --next-lr",
            description.label(),
            steps - 1
        )));
    }
    if let (Some(digits), TrainFormat::Csv | TrainFormat::Json) = (args.digits, args.format) {
        return Err(Error::input(format!(
            "--digits {digits} rounds the table; --format csv and json write every number in \
             full, as Python's repr"
        )));
    }
    if args.data.is_some() && args.init.is_some() && args.seed.is_some() {
        return Err(Error::input(
            "--seed makes the data or the initial weights, but --data and --init give both",
        ));
    }
    let seed = args.seed.unwrap_or(0);
    let (data_source, init_source) = if args.torch_seed0 {
        (DataSource::TorchSeed0, InitSource::TorchSeed0)
    } else {
        let size = |n: u64| usize::try_from(n).unwrap_or(usize::MAX);
        let data = match &args.data {
            Some(path) => DataSource::File(path.clone()),
            None => DataSource::Seeded {
                seed,
                samples: size(args.samples),
                features: size(args.features),
            },
        };
        let init = match &args.init {
            Some(path) => InitSource::File(path.clone()),
            None => InitSource::Seeded(seed),
        };
        (data, init)
    };
    let data = data_source.load()?;
    let model = init_source.load(data.features())?;
    let optimizer = Settings::new(
        match args.optimizer {
            OptimizerArg::Sgd => Optimizer::Sgd,
            OptimizerArg::Adam => Optimizer::Adam,
            OptimizerArg::AdamW => Optimizer::AdamW,
        },
        args.momentum,
        args.nesterov,
        args.weight_decay,
        args.betas,
    )?;
    let training = Training::new(&data, model, optimizer, schedule, steps)?;
    let format: Box<report::RowFormat> = match args.format {
        TrainFormat::Table => Box::new(match args.digits {
            Some(digits) => report::Table::rounded(lr, usize::from(digits), schedule, steps),
            None => report::Table::new(lr),
        }),
        TrainFormat::Csv => Box::new(report::Csv::new(lr)),
        TrainFormat::Json => {
            let head = report::json_head(
                &optimizer,
                &description,
                &data_source,
                &data,
                &init_source,
                lr,
            );
            Box::new(report::Json::new(lr, head))
        }
    };
    report::write_training(training, format.as_ref(), &mut io::stdout().lock())?;
    Ok(())
}

/// Every schedule reduced to `columns` columns over the steps of `frame` (the shared x
/// axis, to the longest schedule's last step), each labelled.
fn reduce_all(
    curves: &[(Description, Origin)],
    labels: Vec<String>,
    frame: Steps,
    columns: usize,
    progress: ProgressChoice,
) -> Result<Vec<Series>> {
    let bar = Bar::new(progress, Verb::Plotting);
    let engine = Bar::engine(bar.as_ref(), Engine::new());
    let mut series = Vec::with_capacity(curves.len());
    for ((description, _), label) in curves.iter().zip(labels) {
        if let Some(bar) = &bar {
            bar.name(&description.label(), !description.schedule().seekable());
        }
        let steps = Steps {
            to: description.ctx().steps,
            ..frame
        };
        series.push(Series::reduce(
            &engine,
            label,
            description.schedule(),
            steps,
            frame,
            columns,
        )?);
    }
    Ok(series)
}

/// `plot --svg FILE`: the chart as an SVG or PNG file, and nothing on stdout.
fn svg(
    curves: &[(Description, Origin)],
    labels: Vec<String>,
    frame: Steps,
    path: &Path,
    options: &SvgOptions,
    progress: ProgressChoice,
) -> Result<()> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let png = match extension.as_deref() {
        Some("png") => true,
        None | Some("svg") => false,
        Some(other) if path.as_os_str() != "-" => {
            return Err(Error::input(format!(
                "--svg {} asks for a .{} file; lrsched writes SVG (.svg) or PNG (.png)",
                path.display(),
                other.escape_debug()
            )));
        }
        Some(_) => false,
    };
    let series = reduce_all(curves, labels, frame, options.data_columns(), progress)?;
    let document = svg::render(&series, frame, options)?;
    if path.as_os_str() == "-" {
        let mut out = io::stdout().lock();
        out.write_all(document.as_bytes())?;
        out.flush()?;
        return Ok(());
    }
    let bytes = if png {
        svg::png(&document)?
    } else {
        document.into_bytes()
    };
    std::fs::write(path, bytes)
        .map_err(|e| Error::input(format!("cannot write {}: {e}", path.display())))
}
