//! Terminal plots: braille charts drawn by textplots, several schedules overlaid.
//!
//! Points are reduced while they stream in, to each braille column's first, lowest,
//! highest and last value, so 10^8 steps plot in flat memory with every spike kept.
//! textplots is driven around its traps: it is never asked to print (`display()` panics on
//! a closed pipe), labels are kept short enough for its layout arithmetic, and the chart is
//! never narrower than its 32-dot minimum.

use std::io::{self, Write};

use textplots::{Chart, ColorPlot, LabelBuilder, LabelFormat, Plot, Shape};

use super::Steps;
use crate::engine::{Chunk, Engine, Grain};
use crate::error::{Error, Result};
use crate::format::significant;
use crate::schedule::{Point, Schedule};

/// Size and styling of a plot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlotOptions {
    /// Width of the whole chart in terminal columns, labels included.
    pub width: u16,
    /// Height of the plotting area in terminal rows.
    pub height: u16,
    /// Colour each series (on a terminal, unless `NO_COLOR`).
    pub color: bool,
}

/// Series colours, chosen to stay apart on dark and light terminals (and on white paper).
pub(crate) const COLORS: [(u8, u8, u8); 6] = [
    (66, 165, 245),
    (239, 83, 80),
    (102, 187, 106),
    (255, 202, 40),
    (171, 71, 188),
    (38, 198, 218),
];

/// The reduced points of one schedule: per braille column, the first, lowest, highest and
/// last point in step order.
#[derive(Debug)]
pub struct Series {
    /// The legend text.
    pub label: String,
    columns: Vec<Option<Column>>,
}

#[derive(Clone, Copy, Debug)]
struct Column {
    first: Point,
    low: Point,
    high: Point,
    last: Point,
}

impl Column {
    fn new(p: Point) -> Self {
        Column {
            first: p,
            low: p,
            high: p,
            last: p,
        }
    }

    fn add(&mut self, p: Point) {
        // NaN never becomes an extreme (`check` reports it instead), and gives way to any
        // number when it came first.
        if p.lr < self.low.lr || self.low.lr.is_nan() {
            self.low = p;
        }
        if p.lr > self.high.lr || self.high.lr.is_nan() {
            self.high = p;
        }
        self.last = p;
    }

    /// Takes in the column's points that follow this one's.
    fn merge(&mut self, next: &Column) {
        if next.low.lr < self.low.lr || self.low.lr.is_nan() {
            self.low = next.low;
        }
        if next.high.lr > self.high.lr || self.high.lr.is_nan() {
            self.high = next.high;
        }
        self.last = next.last;
    }

    fn in_order(&self) -> impl Iterator<Item = Point> {
        let (a, b) = if self.low.step <= self.high.step {
            (self.low, self.high)
        } else {
            (self.high, self.low)
        };
        let mut points = [self.first, a, b, self.last];
        let mut n = 1;
        for i in 1..4 {
            if points[i].step != points[n - 1].step {
                points[n] = points[i];
                n += 1;
            }
        }
        points.into_iter().take(n)
    }
}

/// How the steps of a chart's x axis fall into its braille columns: column `c` holds the
/// steps from `boundary(c)` up to `boundary(c + 1)`, in integer arithmetic, so the split is
/// exact at any step count.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Grid {
    from: u64,
    span: u64,
    columns: u64,
}

impl Grid {
    /// `columns` columns over the steps of `frame`.
    pub(crate) fn new(frame: Steps, columns: usize) -> Self {
        Grid {
            from: frame.from,
            span: frame.to.saturating_sub(frame.from).max(1),
            columns: columns.max(1) as u64,
        }
    }

    /// The number of columns.
    pub(crate) fn columns(&self) -> usize {
        self.columns as usize
    }

    fn boundary(&self, c: u64) -> u64 {
        let offset = (u128::from(c) * u128::from(self.span)).div_ceil(u128::from(self.columns));
        self.from
            .saturating_add(u64::try_from(offset).unwrap_or(u64::MAX))
    }

    /// The column of `step`.
    pub(crate) fn column_of(&self, step: u64) -> usize {
        let offset = u128::from(step.saturating_sub(self.from));
        let c = offset * u128::from(self.columns) / u128::from(self.span);
        u64::try_from(c).unwrap_or(u64::MAX).min(self.columns - 1) as usize
    }

    /// The step in the middle of column `c`, where a mark for it is drawn.
    fn middle(&self, c: usize) -> f32 {
        let c = c as u64;
        let end = if c + 1 == self.columns {
            self.from.saturating_add(self.span)
        } else {
            self.boundary(c + 1)
        };
        (self.boundary(c) as f64 + end.saturating_sub(self.boundary(c)) as f64 / 2.0) as f32
    }
}

/// Points reduced to a [`Grid`]'s columns as they stream in: a chunk's part, or a whole
/// series once the parts are merged in step order.
#[derive(Debug)]
pub(crate) struct Reduction {
    grid: Grid,
    columns: Vec<Option<Column>>,
    /// The column of the last point added and where the next one starts: consecutive
    /// points mostly share a column.
    current: usize,
    next_boundary: u64,
}

impl Reduction {
    pub(crate) fn new(grid: Grid) -> Self {
        Reduction {
            grid,
            columns: vec![None; grid.columns()],
            current: usize::MAX,
            next_boundary: 0,
        }
    }

    /// Adds the next point (steps increase).
    #[inline]
    pub(crate) fn add(&mut self, p: Point) {
        if self.current == usize::MAX || p.step >= self.next_boundary {
            self.current = self.grid.column_of(p.step);
            let c = self.current as u64;
            self.next_boundary = if c + 1 == self.grid.columns {
                u64::MAX
            } else {
                self.grid.boundary(c + 1)
            };
        }
        match &mut self.columns[self.current] {
            Some(column) => column.add(p),
            slot @ None => *slot = Some(Column::new(p)),
        }
    }

    /// Takes in the part of the points that follow this one's.
    pub(crate) fn merge(&mut self, part: Reduction) {
        for (slot, column) in self.columns.iter_mut().zip(part.columns) {
            match (slot.as_mut(), column) {
                (Some(have), Some(next)) => have.merge(&next),
                (None, next) => *slot = next,
                (Some(_), None) => {}
            }
        }
    }
}

impl Series {
    /// The series of points reduced to columns.
    pub(crate) fn from_reduction(label: String, reduction: Reduction) -> Self {
        Series {
            label,
            columns: reduction.columns,
        }
    }

    /// Evaluates `schedule` over `steps` into `columns` braille columns spread over the
    /// steps of `frame` (the x axis shared by every series of a chart), on the engine's
    /// threads. Fails where the schedule's home library raises.
    pub fn reduce(
        engine: &Engine,
        label: String,
        schedule: &dyn Schedule,
        steps: Steps,
        frame: Steps,
        columns: usize,
    ) -> Result<Self> {
        let grid = Grid::new(frame, columns);
        let map = |chunk: &Chunk<'_>| {
            let mut part = Reduction::new(grid);
            chunk.points(0).for_each(|p| part.add(p));
            part
        };
        let mut reduced = Reduction::new(grid);
        let merge = |part: Reduction| {
            reduced.merge(part);
            Ok::<(), Error>(())
        };
        let steps = Steps { every: 1, ..steps };
        if let Some(stop) = engine.run(&[schedule], steps, Grain::Reduce, map, merge)? {
            return Err(stop.error);
        }
        Ok(Series::from_reduction(label, reduced))
    }

    /// The reduced points in step order: each column's first, lowest, highest and last.
    pub fn reduced(&self) -> impl Iterator<Item = Point> + '_ {
        self.columns.iter().flatten().flat_map(Column::in_order)
    }

    fn points(&self) -> Vec<(f32, f32)> {
        self.reduced()
            .filter(|p| p.lr.is_finite())
            .map(|p| (p.step as f32, p.lr as f32))
            .collect()
    }

    fn range(&self) -> Option<(f64, f64)> {
        self.columns
            .iter()
            .flatten()
            .flat_map(|c| [c.low.lr, c.high.lr])
            .filter(|v| v.is_finite())
            .fold(None, |acc, v| match acc {
                None => Some((v, v)),
                Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
            })
    }
}

/// Braille columns available for the data at a total width of `width` terminal columns.
pub fn data_columns(width: u16) -> usize {
    // Two dots per character; the right margin holds the y labels (at most 9 characters).
    (usize::from(width).saturating_sub(LABEL_WIDTH + 1) * 2).max(MIN_DOTS as usize)
}

const LABEL_WIDTH: usize = 9;
const MIN_DOTS: u32 = 32;

/// A y-axis label: three significant digits, in Python's notation (`0.0003`, `3e-05`).
fn y_label(v: f32) -> String {
    let text = significant(f64::from(v), 3);
    text.chars().take(LABEL_WIDTH).collect()
}

/// Columns of a chart to mark (the steps where two schedules differ), drawn as a row of
/// dots above the curves, with a legend entry.
#[derive(Debug)]
pub struct Marks {
    /// The legend text.
    pub label: String,
    grid: Grid,
    columns: Vec<bool>,
}

impl Marks {
    /// No column marked yet.
    pub(crate) fn new(label: String, grid: Grid) -> Self {
        Marks {
            label,
            grid,
            columns: vec![false; grid.columns()],
        }
    }

    /// Marks the column of `step`.
    #[inline]
    pub(crate) fn mark(&mut self, step: u64) {
        let c = self.grid.column_of(step);
        self.columns[c] = true;
    }

    /// Takes in the marks of another part of the steps.
    pub(crate) fn merge(&mut self, other: &Marks) {
        for (mine, theirs) in self.columns.iter_mut().zip(&other.columns) {
            *mine |= *theirs;
        }
    }

    /// True when column `c` is marked.
    pub fn is_marked(&self, c: usize) -> bool {
        self.columns.get(c).copied().unwrap_or(false)
    }

    /// True when no column is marked.
    pub fn is_empty(&self) -> bool {
        !self.columns.contains(&true)
    }

    fn points(&self, y: f32) -> Vec<(f32, f32)> {
        self.columns
            .iter()
            .enumerate()
            .filter(|(_, marked)| **marked)
            .map(|(c, _)| (self.grid.middle(c), y))
            .collect()
    }
}

/// Draws the series, overlaid, with a legend line above and `step` under the x axis.
pub fn write_plot(
    out: &mut dyn Write,
    series: &[Series],
    steps: Steps,
    options: PlotOptions,
) -> Result<()> {
    write_plot_marked(out, series, None, steps, options)
}

/// [`write_plot`], with `marks` drawn as a row of dots above the curves (their legend
/// entry last).
pub fn write_plot_marked(
    out: &mut dyn Write,
    series: &[Series],
    marks: Option<&Marks>,
    steps: Steps,
    options: PlotOptions,
) -> Result<()> {
    let marks = marks.filter(|m| !m.is_empty());
    let width_dots = data_columns(options.width) as u32;
    let height_dots = (u32::from(options.height) * 4).max(12);
    let (mut ymin, mut ymax) = series
        .iter()
        .filter_map(Series::range)
        .fold((0.0f64, f64::NEG_INFINITY), |(lo, hi), (a, b)| {
            (lo.min(a), hi.max(b))
        });
    if !ymax.is_finite() {
        return Err(Error::input(
            "nothing to plot: every value is NaN or infinite",
        ));
    }
    if ymax <= ymin {
        // A flat line (a constant schedule): give it room above and below.
        let pad = if ymax == 0.0 { 1.0 } else { ymax.abs() * 0.1 };
        ymin -= pad;
        ymax += pad;
    }
    let xmin = steps.from as f32;
    let xmax = (steps.to.saturating_sub(1)).max(steps.from + 1) as f32;
    let mut shapes: Vec<Vec<(f32, f32)>> = series.iter().map(Series::points).collect();
    if let Some(marks) = marks {
        // A band above the curves, so that the marks never hide them.
        let height = ymax - ymin;
        shapes.push(marks.points((ymax + 0.08 * height) as f32));
        ymax += 0.1 * height;
    }
    let shapes: Vec<Shape> = shapes
        .iter()
        .enumerate()
        .map(|(i, s)| {
            if i < series.len() {
                Shape::Lines(s)
            } else {
                Shape::Points(s)
            }
        })
        .collect();

    let mut chart = Chart::new_with_y_range(
        width_dots,
        height_dots,
        xmin,
        xmax,
        ymin as f32,
        ymax as f32,
    );
    let mut chart = &mut chart;
    chart = chart.y_label_format(LabelFormat::Custom(Box::new(y_label)));
    // textplots subtracts the x label's length from half the width: keep it shorter.
    let x_room = (width_dots / 2) as usize - 1;
    chart = chart.x_label_format(LabelFormat::Custom(Box::new(move |v| x_label(v, x_room))));
    for (i, shape) in shapes.iter().enumerate() {
        chart = if options.color {
            let (r, g, b) = COLORS[i % COLORS.len()];
            chart.linecolorplot(shape, rgb::RGB8::new(r, g, b))
        } else {
            chart.lineplot(shape)
        };
    }
    chart.axis();
    chart.figures();

    let mut labels: Vec<&str> = series.iter().map(|s| s.label.as_str()).collect();
    labels.extend(marks.map(|m| m.label.as_str()));
    write_legend(out, &labels, options.color)?;
    write!(out, "{chart}")?;
    let pad = ((width_dots / 2) as usize).saturating_sub("step".len()) / 2;
    writeln!(out, "{:pad$}step", "")?;
    out.flush()?;
    Ok(())
}

/// A step label: the whole number, or `1.2e+15` style where that does not fit in `room`.
fn x_label(v: f32, room: usize) -> String {
    let text = format!("{v:.0}");
    if text.len() <= room {
        return text;
    }
    let short = significant(f64::from(v), 2);
    short.chars().take(room).collect()
}

fn write_legend(out: &mut dyn Write, labels: &[&str], color: bool) -> io::Result<()> {
    let mut line = String::from("lr:");
    for (i, label) in labels.iter().enumerate() {
        let (r, g, b) = COLORS[i % COLORS.len()];
        if color {
            line.push_str(&format!("  \x1b[38;2;{r};{g};{b}m━━\x1b[0m {label}"));
        } else if labels.len() > 1 {
            line.push_str(&format!("  [{}] {label}", i + 1));
        } else {
            line.push_str(&format!("  {label}"));
        }
    }
    writeln!(out, "{line}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Context;
    use crate::schedule::combine::ExprSchedule;

    /// Chunked (parallel) reduction keeps every column's first, lowest, highest and last
    /// point, across chunk boundaries.
    #[test]
    fn reduction_matches_a_plain_scan() -> Result<()> {
        let n = 2 * Grain::Reduce.chunk_rows() + 12_345;
        let ctx = Context {
            steps: n,
            base_lr: 1.0,
            warmup: 0,
        };
        let schedule = ExprSchedule::new("(step * 7919) % 1000", &ctx)?;
        let columns = 7;
        let series = Series::reduce(
            &Engine::with_threads(3),
            "x".into(),
            &schedule,
            Steps::all(n),
            Steps::all(n),
            columns,
        )?;
        let mut plain: Vec<Option<Column>> = vec![None; columns];
        for step in 0..n {
            let c = (u128::from(step) * columns as u128 / u128::from(n)) as usize;
            let p = schedule.at(step);
            match &mut plain[c] {
                Some(column) => column.add(p),
                slot @ None => *slot = Some(Column::new(p)),
            }
        }
        let steps = |cs: &[Option<Column>]| -> Vec<[u64; 4]> {
            cs.iter()
                .flatten()
                .map(|c| [c.first.step, c.low.step, c.high.step, c.last.step])
                .collect()
        };
        assert_eq!(steps(&series.columns), steps(&plain));
        Ok(())
    }

    #[test]
    fn step_labels_fit() {
        assert_eq!(x_label(99.0, 20), "99");
        assert_eq!(x_label(1.8e19, 20), "18000000404716257280");
        assert_eq!(x_label(1.8e19, 19), "1.8e+19");
        assert_eq!(x_label(1.8e19, 3), "1.8");
    }

    #[test]
    fn columns_keep_first_extremes_and_last_in_order() {
        let mut c = Column::new(Point {
            step: 0,
            multiplier: 0.5,
            lr: 0.5,
        });
        for (step, lr) in [(1, 0.9), (2, 0.1), (3, 0.4)] {
            c.add(Point {
                step,
                multiplier: lr,
                lr,
            });
        }
        let steps: Vec<u64> = c.in_order().map(|p| p.step).collect();
        assert_eq!(steps, [0, 1, 2, 3]);
        let single = Column::new(Point {
            step: 7,
            multiplier: 1.0,
            lr: 1.0,
        });
        assert_eq!(single.in_order().count(), 1);
    }

    #[test]
    fn reduces_to_at_most_four_points_a_column() -> Result<()> {
        let ctx = Context {
            steps: 100_000,
            base_lr: 1.0,
            warmup: 0,
        };
        let schedule = ExprSchedule::new("1", &ctx)?;
        let series = Series::reduce(
            &Engine::new(),
            "x".into(),
            &schedule,
            Steps::all(100_000),
            Steps::all(100_000),
            64,
        )?;
        assert!(series.points().len() <= 4 * 64);
        assert_eq!(series.range(), Some((1.0, 1.0)));
        Ok(())
    }
}
