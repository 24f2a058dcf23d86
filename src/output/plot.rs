//! Terminal plots: braille charts of one schedule or several overlaid, drawn here.
//!
//! Points are reduced while they stream in, to each column's first, lowest, highest and
//! last value, so 10^8 steps plot in flat memory with every spike kept.
//!
//! lrsched drew with textplots first and left it for a canvas of its own: textplots scales
//! and labels in f32 (`--base-lr 1e300` read `inf`, `1e-300` a flat `0.0`), colours every
//! braille cell with its own escape sequence through the `colored` crate's own terminal
//! decision, needs 32 dots across, and tells overlaid curves apart by colour only. Here
//! every coordinate is computed in f64, the caller makes the one colour decision, a run of
//! cells of one colour takes one escape sequence, the chart fits 20 columns, and curves
//! carry symbols where colour cannot tell them apart.

use std::fmt::Write as _;
use std::io::Write;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use super::Steps;
use super::svg::{grouped, nice_step};
use crate::engine::{Chunk, Engine, Grain};
use crate::error::{Error, Result};
use crate::format::{significant, wrap};
use crate::schedule::{Point, Schedule};

/// Size and styling of a plot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlotOptions {
    /// Width of the whole chart in terminal columns, labels included; nothing is wider.
    pub width: u16,
    /// Rows of the plotting area; `None` fits the whole chart into `lines`.
    pub height: Option<u16>,
    /// Lines the whole chart may take (legend, plot, axis) when `height` is `None`; the
    /// plot gets at most [`DEFAULT_ROWS`] of them and never fewer than 3.
    pub lines: u16,
    /// Colour the curves and the legend (the caller's one decision: `--color`, then the
    /// environment, then whether stdout is a terminal).
    pub color: bool,
    /// A logarithmic lr axis; steps whose lr is 0 or negative are left out, and a line
    /// under the chart says how many.
    pub log_y: bool,
}

/// Rows of the plotting area when the terminal leaves room for them.
pub const DEFAULT_ROWS: u16 = 20;

/// Braille cells the curves need at least, beside the y labels.
const MIN_CELLS: usize = 8;

/// Series colours as ANSI SGR codes: the terminal's own 16 colours, which every terminal
/// (and tmux without true-colour support) shows and which follow the user's light or dark
/// theme. Legend and curves use the same code.
const COLORS: [&str; 10] = ["34", "31", "32", "33", "35", "36", "94", "91", "92", "93"];

/// What marks series `k` on its curve and in the legend where colour cannot tell the
/// curves apart.
const SYMBOLS: &[u8] = b"123456789abcdefghijklmnopqrstuvwxyz";

/// The point character of a short series (few enough steps to show each).
const POINT: char = '\u{2022}';

/// What [`Marks`] draw in their row above the curves, and in the legend.
const MARK: char = '\u{25bc}';

/// The reduced points of one schedule: per braille column, the first, lowest, highest and
/// last point in step order.
#[derive(Debug)]
pub struct Series {
    /// The legend text.
    pub label: String,
    columns: Vec<Option<Column>>,
    /// How many steps have an lr of 0 or below (a log scale leaves them out).
    nonpositive: u64,
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

/// How the steps of a chart's x axis fall into its data columns: column `c` holds the
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

    /// The first step of column `c`.
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

    /// The first and last step of column `c`; `None` for a column no step falls into
    /// (there are more columns than steps).
    fn steps_of(&self, c: usize) -> Option<(u64, u64)> {
        let c = c as u64;
        let first = self.boundary(c);
        let end = if c + 1 == self.columns {
            self.from.saturating_add(self.span)
        } else {
            self.boundary(c + 1)
        };
        (end > first).then(|| (first, end - 1))
    }
}

/// Points reduced to a [`Grid`]'s columns as they stream in: a chunk's part, or a whole
/// series once the parts are merged in step order.
#[derive(Debug)]
pub(crate) struct Reduction {
    grid: Grid,
    columns: Vec<Option<Column>>,
    /// How many steps have an lr of 0 or below (a log scale leaves them out).
    nonpositive: u64,
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
            nonpositive: 0,
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
        self.nonpositive += u64::from(p.lr <= 0.0);
        match &mut self.columns[self.current] {
            Some(column) => column.add(p),
            slot @ None => *slot = Some(Column::new(p)),
        }
    }

    /// Takes in the part of the points that follow this one's.
    pub(crate) fn merge(&mut self, part: Reduction) {
        self.nonpositive += part.nonpositive;
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
            nonpositive: reduction.nonpositive,
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
}

/// Steps of a chart to mark (where two schedules differ), by the data column they fall
/// into: drawn as a row of `▼` above the curves, over the cells of those steps, with a
/// legend entry, so that they show without colour and never hide a curve.
#[derive(Debug)]
pub struct Marks {
    /// The legend text.
    pub label: String,
    grid: Grid,
    columns: Vec<bool>,
}

impl Marks {
    /// No step marked yet, over the same columns as the series they go with.
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

    /// True when no step is marked.
    pub fn is_empty(&self) -> bool {
        !self.columns.contains(&true)
    }

    /// The first and last step of each run of consecutive marked steps: columns that hold
    /// no step (more columns than steps) neither break a run nor start one, so that the
    /// steps of a run are marked over the cells between them too, as the curves join them.
    fn ranges(&self) -> Vec<(u64, u64)> {
        let mut runs: Vec<(u64, u64)> = Vec::new();
        let mut open = false;
        for (c, &marked) in self.columns.iter().enumerate() {
            let Some((first, last)) = self.grid.steps_of(c) else {
                continue;
            };
            match runs.last_mut() {
                Some(run) if marked && open => run.1 = last,
                _ if marked => runs.push((first, last)),
                _ => {}
            }
            open = marked;
        }
        runs
    }
}

/// Braille columns to reduce each series to for a chart `width` terminal columns wide:
/// as many as the widest plotting area could show (two dots a cell), so that the drawing
/// never has fewer points than dots.
pub fn data_columns(width: u16) -> usize {
    usize::from(width).max(1) * 2
}

/// Draws the series over the steps of `frame`, overlaid: a legend above (wrapped to the
/// width), the lr axis labelled at its top and bottom on the left, the steps under the
/// axis. Nothing is wider than `options.width`; a width too narrow for the y labels and
/// 8 cells of curve is refused, naming the width that fits.
pub fn write_plot(
    out: &mut dyn Write,
    series: &[Series],
    frame: Steps,
    options: PlotOptions,
) -> Result<()> {
    write_plot_marked(out, series, None, frame, options)
}

/// [`write_plot`], with `marks` (when any step is marked) in a row above the curves and
/// their entry last in the legend.
pub fn write_plot_marked(
    out: &mut dyn Write,
    series: &[Series],
    marks: Option<&Marks>,
    frame: Steps,
    options: PlotOptions,
) -> Result<()> {
    let text = render(series, marks, frame, options)?;
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// The chart as text, every line ended by a newline.
fn render(
    series: &[Series],
    marks: Option<&Marks>,
    frame: Steps,
    options: PlotOptions,
) -> Result<String> {
    let marks = marks.filter(|m| !m.is_empty());
    let width = usize::from(options.width);
    let y = YAxis::new(series, options.log_y)?;
    let (top, bottom) = y.labels();
    let label_width = top.width().max(bottom.width());
    let cells = width.saturating_sub(label_width + 2);
    if cells < MIN_CELLS {
        return Err(Error::input(format!(
            "a plot {width} columns wide has no room for its curves beside the lr labels \
             ({top}, {bottom}); it needs at least {} columns (--width, or a wider terminal)",
            label_width + 2 + MIN_CELLS
        )));
    }
    let marked = series.len() > 1 && (!options.color || series.len() > COLORS.len());
    let legend = legend(series, marks, &options, marked, width);
    let notes = notes(series, &options, width);
    let rows = match options.height {
        Some(rows) => usize::from(rows),
        None => {
            let taken = legend.len() + usize::from(marks.is_some()) + notes.len() + 3;
            let spare = usize::from(options.lines).saturating_sub(taken);
            spare.min(usize::from(DEFAULT_ROWS)).max(3)
        }
    };
    let x = XAxis {
        first: frame.from,
        last: frame.to.saturating_sub(1).max(frame.from),
        dots: cells * 2,
    };
    let mut canvas = Canvas::new(cells, rows, series.len());
    // Few enough steps for each to have a cell of its own: every point is drawn as a
    // symbol, so that 1, 2 or 3 steps show.
    let points_shown = frame.rows() <= (cells / 2) as u64;
    for (k, s) in series.iter().enumerate() {
        let symbol = if marked { symbol(k) } else { POINT };
        let mut previous = None;
        for p in s.reduced() {
            let Some(t) = y.fraction(p.lr) else {
                previous = None;
                continue;
            };
            let dot = (x.dot(p.step), canvas.dot_row(t));
            match previous {
                Some(from) => canvas.line(from, dot, k),
                None => canvas.set(dot, k),
            }
            if points_shown {
                canvas.mark_at(dot, symbol, k);
            }
            previous = Some(dot);
        }
    }
    if marked && !points_shown {
        canvas.mark_curves(series.len());
    }

    let mut text = String::new();
    for line in &legend {
        text.push_str(line);
        text.push('\n');
    }
    if let Some(marks) = marks {
        let mut row = vec![' '; cells];
        for (first, last) in marks.ranges() {
            for cell in &mut row[x.dot(first) / 2..=x.dot(last) / 2] {
                *cell = MARK;
            }
        }
        let row: String = row.into_iter().collect();
        let _ = writeln!(text, "{:label_width$}  {}", "", row.trim_end());
    }
    for row in 0..rows {
        let label = match row {
            0 => top.as_str(),
            _ if row + 1 == rows => bottom.as_str(),
            _ => "",
        };
        let tick = if label.is_empty() { '│' } else { '┤' };
        let pad = label_width - label.width();
        let _ = write!(text, "{:pad$}{label} {tick}", "");
        canvas.write_row(&mut text, row, options.color);
        text.push('\n');
    }
    let ticks = x.ticks(label_width + 2, width);
    let mut axis: Vec<char> = vec!['─'; cells];
    for (cell, _, _) in &ticks {
        axis[*cell] = '┬';
    }
    let _ = writeln!(
        text,
        "{:label_width$} └{}",
        "",
        axis.into_iter().collect::<String>()
    );
    let mut labels = vec![' '; width];
    for (_, start, label) in &ticks {
        for (i, c) in label.chars().enumerate() {
            labels[start + i] = c;
        }
    }
    text.push_str(labels.into_iter().collect::<String>().trim_end());
    text.push('\n');
    let _ = writeln!(
        text,
        "{:pad$}step",
        "",
        pad = label_width + 2 + (cells - 4) / 2
    );
    for line in notes {
        text.push_str(&line);
        text.push('\n');
    }
    Ok(text)
}

/// The symbol of series `k`.
fn symbol(k: usize) -> char {
    char::from(SYMBOLS[k % SYMBOLS.len()])
}

/// The lr axis: the range shown, linear or logarithmic, computed in f64.
struct YAxis {
    lo: f64,
    hi: f64,
    log: bool,
}

impl YAxis {
    /// Every finite value (positive ones on a log scale). A linear axis starts at 0 unless
    /// values go below it; a schedule that is 0 throughout is drawn on 0..1, not around 0.
    /// A flat line on a log scale gets a decade either side.
    fn new(series: &[Series], log: bool) -> Result<Self> {
        let values = series
            .iter()
            .flat_map(|s| s.columns.iter().flatten())
            .flat_map(|c| [c.low.lr, c.high.lr])
            .filter(|v| v.is_finite() && (!log || *v > 0.0));
        let Some((lo, hi)) = values.fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((v.min(lo), v.max(hi))),
        }) else {
            return Err(Error::input(if log {
                "nothing to plot on a log scale (--log-y): every lr is 0, negative, NaN or \
                 infinite"
            } else {
                "nothing to plot: every value is NaN or infinite"
            }));
        };
        Ok(if log {
            if lo == hi {
                YAxis {
                    lo: lo / 10.0,
                    hi: (hi * 10.0).min(f64::MAX),
                    log,
                }
            } else {
                YAxis { lo, hi, log }
            }
        } else {
            let (lo, hi) = (lo.min(0.0), hi.max(0.0));
            if lo == hi {
                YAxis {
                    lo: 0.0,
                    hi: 1.0,
                    log,
                }
            } else {
                YAxis { lo, hi, log }
            }
        })
    }

    /// Where `v` lies, from 0 at the top to 1 at the bottom; `None` for what is not drawn
    /// (NaN, infinities, and on a log scale 0 and below). Linear values are halved before
    /// subtracting, so that a range of -1e308..1e308 does not overflow.
    fn fraction(&self, v: f64) -> Option<f64> {
        if !v.is_finite() {
            return None;
        }
        let t = if self.log {
            if v <= 0.0 {
                return None;
            }
            let top = self.hi.log10();
            (top - v.log10()) / (top - self.lo.log10())
        } else {
            (self.hi / 2.0 - v / 2.0) / (self.hi / 2.0 - self.lo / 2.0)
        };
        Some(t.clamp(0.0, 1.0))
    }

    /// The labels of the top and bottom rows: three significant digits in Python's
    /// notation, more where three would make them read the same.
    fn labels(&self) -> (String, String) {
        let mut pair = (String::new(), String::new());
        for digits in 3..=17 {
            pair = (significant(self.hi, digits), significant(self.lo, digits));
            if pair.0 != pair.1 {
                break;
            }
        }
        pair
    }
}

/// The step axis: the frame's first to last step across `dots` braille dots.
struct XAxis {
    first: u64,
    last: u64,
    dots: usize,
}

impl XAxis {
    /// The dot column of `step`; a lone step sits in the middle.
    fn dot(&self, step: u64) -> usize {
        let last_dot = self.dots - 1;
        if self.last == self.first {
            return last_dot / 2;
        }
        let t = (step.saturating_sub(self.first)) as f64 / (self.last - self.first) as f64;
        ((t * last_dot as f64).round() as usize).min(last_dot)
    }

    /// Tick labels as (cell, first column of the label, text): the first and the last step
    /// always, whole steps at a round spacing between them where they fit, two spaces
    /// apart at least. The plot's cells start at column `left` of a line `width` wide.
    /// Steps are grouped by thousands (`999,999,999`), written plainly or, as a last
    /// resort, to three digits (`1.84e+19`) where the line is too short for them.
    fn ticks(&self, left: usize, width: usize) -> Vec<(usize, usize, String)> {
        let cells = self.dots / 2;
        let forms = |step: u64| [grouped(step), step.to_string(), significant(step as f64, 3)];
        let mut ticks: Vec<(usize, usize, String)> = Vec::new();
        let place = |ticks: &mut Vec<(usize, usize, String)>, step: u64, text: &str| {
            let cell = self.dot(step) / 2;
            let len = text.len();
            let start = (left + cell)
                .saturating_sub(len / 2)
                .min(width.saturating_sub(len));
            // A label that reads like one already placed would say two steps are one.
            let clear = len <= width
                && ticks.iter().all(|(_, _, t)| t != text)
                && ticks
                    .iter()
                    .all(|(_, s, t)| start >= s + t.len() + 2 || start + len + 2 <= *s);
            if clear {
                ticks.push((cell, start, text.to_string()));
            }
            clear
        };
        // The first label leaves half the line to the last.
        let first = forms(self.first);
        let form = (0..3).find(|&i| first[i].len() < width / 2).unwrap_or(2);
        place(&mut ticks, self.first, &first[form]);
        if self.last == self.first {
            return ticks;
        }
        let last = forms(self.last);
        let Some(form) = (form..3).find(|&i| place(&mut ticks, self.last, &last[i])) else {
            return ticks;
        };
        // Every step where each can have its label, else a round spacing that leaves
        // labels well apart.
        let widest = last[form].len().max(first[form].len()) as u64;
        let span = self.last - self.first;
        let spacing = if span.saturating_add(1).saturating_mul(widest + 2) <= cells as u64 {
            1.0
        } else {
            let target = cells as f64 / (widest as f64 + 8.0);
            nice_step(span as f64, target.max(1.0)).max(1.0)
        };
        let mut k = (self.first as f64 / spacing).floor() + 1.0;
        while k * spacing < self.last as f64 {
            let step = (k * spacing) as u64;
            place(&mut ticks, step, &forms(step)[form]);
            k += 1.0;
        }
        ticks
    }
}

/// Braille cells, each with the series that drew it last and an optional symbol.
struct Canvas {
    cells: usize,
    rows: usize,
    dots: Vec<u8>,
    owner: Vec<Option<usize>>,
    marks: Vec<Option<(char, usize)>>,
    /// Per series and cell column, the first and last row its curve passes through.
    spans: Vec<Vec<Option<(usize, usize)>>>,
}

impl Canvas {
    fn new(cells: usize, rows: usize, series: usize) -> Self {
        Canvas {
            cells,
            rows,
            dots: vec![0; cells * rows],
            owner: vec![None; cells * rows],
            marks: vec![None; cells * rows],
            spans: vec![vec![None; cells]; series],
        }
    }

    /// The dot row of a value `t` of the way down.
    fn dot_row(&self, t: f64) -> usize {
        let last = self.rows * 4 - 1;
        ((t * last as f64).round() as usize).min(last)
    }

    fn set(&mut self, (x, y): (usize, usize), series: usize) {
        // Braille dot bits by (column, row) within a cell (Unicode's numbering 1-8).
        const BITS: [[u8; 4]; 2] = [[0x01, 0x02, 0x04, 0x40], [0x08, 0x10, 0x20, 0x80]];
        let (cell, row) = (x / 2, y / 4);
        let i = row * self.cells + cell;
        self.dots[i] |= BITS[x % 2][y % 4];
        self.owner[i] = Some(series);
        let span = &mut self.spans[series][cell];
        *span = Some(match *span {
            None => (row, row),
            Some((a, b)) => (a.min(row), b.max(row)),
        });
    }

    /// Bresenham's line, both ends included.
    fn line(&mut self, from: (usize, usize), to: (usize, usize), series: usize) {
        let (mut x, mut y) = (from.0 as i64, from.1 as i64);
        let (x1, y1) = (to.0 as i64, to.1 as i64);
        let (dx, dy) = ((x1 - x).abs(), -(y1 - y).abs());
        let (sx, sy) = (if x < x1 { 1 } else { -1 }, if y < y1 { 1 } else { -1 });
        let mut err = dx + dy;
        loop {
            self.set((x as usize, y as usize), series);
            if x == x1 && y == y1 {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    fn mark_at(&mut self, (x, y): (usize, usize), symbol: char, series: usize) {
        self.marks[(y / 4) * self.cells + x / 2] = Some((symbol, series));
    }

    /// Puts each series' symbol on its curve every few cells, the series staggered so that
    /// curves drawn over each other still show every symbol; a curve too short to reach one
    /// of its places gets its symbol at its end.
    fn mark_curves(&mut self, series: usize) {
        let spacing = (4 * series).max(12);
        for k in 0..series {
            let mut placed = false;
            let mut cell = (spacing * k + spacing / 2) / series;
            while cell < self.cells {
                if let Some((a, b)) = self.spans[k][cell] {
                    self.marks[(a + b) / 2 * self.cells + cell] = Some((symbol(k), k));
                    placed = true;
                }
                cell += spacing;
            }
            if !placed
                && let Some((cell, (a, b))) = (0..self.cells)
                    .rev()
                    .find_map(|c| self.spans[k][c].map(|span| (c, span)))
            {
                self.marks[(a + b) / 2 * self.cells + cell] = Some((symbol(k), k));
            }
        }
    }

    /// Row `row`'s cells, with one escape sequence where the colour changes (blank cells
    /// keep the colour they are in) and a reset after the last coloured cell.
    fn write_row(&self, out: &mut String, row: usize, color: bool) {
        let cells = row * self.cells..(row + 1) * self.cells;
        let mut current: Option<usize> = None;
        for i in cells {
            let (c, owner) = match self.marks[i] {
                Some((symbol, k)) => (symbol, Some(k)),
                None if self.dots[i] != 0 => (
                    char::from_u32(0x2800 + u32::from(self.dots[i])).unwrap_or(' '),
                    self.owner[i],
                ),
                None => ('\u{2800}', None),
            };
            if color && let Some(k) = owner.filter(|&k| current != Some(k)) {
                let _ = write!(out, "\x1b[{}m", COLORS[k % COLORS.len()]);
                current = Some(k);
            }
            out.push(c);
        }
        if current.is_some() {
            // Blank cells after the last coloured one would carry the colour: harmless,
            // but the reset goes right after the curve's last cell.
            let trailing = out.chars().rev().take_while(|&c| c == '\u{2800}').count();
            let at = out.len() - trailing * '\u{2800}'.len_utf8();
            out.insert_str(at, "\x1b[0m");
        }
    }
}

/// The legend: `lr:` and each series' label after its colour swatch or symbol, wrapped to
/// `width` columns; an entry goes on the next line where it does not fit, and a label too
/// long for a line of its own is wrapped within its entry.
fn legend(
    series: &[Series],
    marks: Option<&Marks>,
    options: &PlotOptions,
    marked: bool,
    width: usize,
) -> Vec<String> {
    let header = if options.log_y {
        "lr (log scale):"
    } else {
        "lr:"
    };
    let mut lines = Vec::new();
    let mut line = header.to_string();
    let mut used = header.width();
    let swatches = series.iter().enumerate().map(|(k, s)| {
        let color = COLORS[k % COLORS.len()];
        let (swatch, swatch_width) = match (marked, options.color) {
            (true, true) => (format!("\x1b[{color}m{}\x1b[0m ", symbol(k)), 2),
            (true, false) => (format!("{} ", symbol(k)), 2),
            (false, true) => (format!("\x1b[{color}m━━\x1b[0m "), 3),
            (false, false) => (String::new(), 0),
        };
        (swatch, swatch_width, s.label.as_str())
    });
    let marks = marks.map(|m| (format!("{MARK} "), 2, m.label.as_str()));
    for (swatch, swatch_width, label) in swatches.chain(marks) {
        let label = clean(label);
        let entry_width = swatch_width + label.width();
        // Entries on lines of their own line up under the first one, or start further
        // left where that keeps a label whole.
        let indent = if 5 + entry_width <= width || 2 + entry_width > width {
            5.min(width / 4)
        } else {
            2
        };
        // An entry too long for any line starts on the header's line when that leaves it
        // some room.
        let fits_here = used + 2 + entry_width <= width;
        let on_header = lines.is_empty() && used == header.width();
        let too_long = indent + entry_width > width;
        if fits_here || (on_header && too_long && used + 2 + swatch_width + MIN_CELLS <= width) {
            line.push_str("  ");
            used += 2;
        } else {
            lines.push(std::mem::replace(&mut line, " ".repeat(indent)));
            used = indent;
        }
        line.push_str(&swatch);
        used += swatch_width;
        let rest = width.saturating_sub(indent + swatch_width);
        for (i, piece) in fit(&label, width.saturating_sub(used), rest)
            .iter()
            .enumerate()
        {
            if i > 0 {
                lines.push(std::mem::replace(
                    &mut line,
                    " ".repeat(indent + swatch_width),
                ));
                used = indent + swatch_width;
            }
            line.push_str(piece);
            used += piece.width();
        }
    }
    lines.push(line);
    lines
}

/// `text` in pieces: the first at most `first` columns wide, the others `rest`; broken at
/// spaces where it can be, else within a word.
fn fit(text: &str, first: usize, rest: usize) -> Vec<String> {
    let mut pieces = vec![String::new()];
    let mut room = first.max(1);
    for word in text.split(' ') {
        let piece = pieces.len() - 1;
        let have = pieces[piece].width();
        let gap = usize::from(have > 0);
        if have + gap + word.width() <= room {
            if gap > 0 {
                pieces[piece].push(' ');
            }
            pieces[piece].push_str(word);
            continue;
        }
        if have > 0 {
            pieces.push(String::new());
            room = rest.max(1);
        }
        // A word too long for a line breaks after its last `_`, `,`, `=`, `/` or `-` in
        // the line's second half (`cosine_with_` `restarts`), else where the line ends.
        let mut start = pieces[pieces.len() - 1].len();
        for c in word.chars() {
            let piece = pieces.len() - 1;
            if pieces[piece].width() + c.width().unwrap_or(0) > room && !pieces[piece].is_empty() {
                let tail = pieces[piece][start..]
                    .rfind(['_', ',', '=', '/', '-'])
                    .map(|at| start + at + 1)
                    .filter(|&at| at < pieces[piece].len() && 2 * at >= pieces[piece].len())
                    .map(|at| pieces[piece].split_off(at))
                    .unwrap_or_default();
                pieces.push(tail);
                room = rest.max(1);
                start = 0;
            }
            let piece = pieces.len() - 1;
            pieces[piece].push(c);
        }
    }
    pieces
}

/// Lines under the chart: on a log scale, how many steps were left out.
fn notes(series: &[Series], options: &PlotOptions, width: usize) -> Vec<String> {
    let left_out: u64 = series.iter().map(|s| s.nonpositive).sum();
    if !options.log_y || left_out == 0 {
        return Vec::new();
    }
    let steps = if left_out == 1 { "step" } else { "steps" };
    wrap(
        &format!("not drawn: {left_out} {steps} with an lr of 0 or below (a log scale has no 0)"),
        width,
    )
}

/// A label on one line, its control characters shown as escapes.
fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
    {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
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

    /// With more columns than steps, most columns hold no step: a run of differing steps
    /// is still one range, and a step that does not differ ends it.
    #[test]
    fn marks_are_runs_of_consecutive_steps() {
        let grid = Grid::new(Steps::all(10), 40);
        let mut marks = Marks::new("differ".into(), grid);
        for step in [3, 4, 5, 8] {
            marks.mark(step);
        }
        assert_eq!(marks.ranges(), [(3, 5), (8, 8)]);
        // Fewer columns than steps: a column holds several, and adjacent marked columns
        // are one run.
        let grid = Grid::new(Steps::all(1000), 10);
        let mut marks = Marks::new("differ".into(), grid);
        for step in [150, 250, 700] {
            marks.mark(step);
        }
        assert_eq!(marks.ranges(), [(100, 299), (700, 799)]);
        assert_eq!(
            Marks::new(String::new(), grid).ranges(),
            Vec::<(u64, u64)>::new()
        );
    }

    #[test]
    fn step_ticks_are_exact_whole_steps_that_fit() {
        let ticks = |first, last, cells, width| -> Vec<(usize, String)> {
            XAxis {
                first,
                last,
                dots: 2 * cells,
            }
            .ticks(width - cells, width)
            .into_iter()
            .map(|(cell, _, text)| (cell, text))
            .collect()
        };
        // f32 made the last of 10^9 steps 1000000000.
        assert_eq!(
            ticks(0, 999_999_999, 35, 40),
            [(0, "0".into()), (34, "999,999,999".into())]
        );
        assert_eq!(
            ticks(0, 999_999_999_999, 15, 20),
            [(0, "0".into()), (14, "999999999999".into())]
        );
        assert_eq!(
            ticks(0, u64::MAX - 1, 15, 20),
            [(0, "0".into()), (14, "1.84e+19".into())]
        );
        assert_eq!(
            ticks(u64::MAX - 10, u64::MAX - 1, 15, 20),
            [(0, "1.84e+19".into())]
        );
        let small: Vec<String> = ticks(0, 2, 15, 20).into_iter().map(|t| t.1).collect();
        assert_eq!(small, ["0", "2", "1"]);
        assert_eq!(ticks(5, 5, 15, 20), [(7, "5".into())]);
    }

    #[test]
    fn long_labels_wrap_at_spaces_then_at_punctuation() {
        assert_eq!(
            fit("cosine (num_cycles=0.5)", 12, 12),
            ["cosine", "(num_cycles=", "0.5)"]
        );
        assert_eq!(
            fit("cosine_with_restarts", 15, 15),
            ["cosine_with_", "restarts"]
        );
        assert_eq!(fit("abcdefghij", 4, 4), ["abcd", "efgh", "ij"]);
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
        assert!(series.reduced().count() <= 4 * 64);
        Ok(())
    }
}
