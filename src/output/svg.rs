//! Charts for `lrsched plot --svg`: the same reduced series as the terminal plot, as an SVG
//! document with axes, tick labels, a title and a legend beside the plot, or as a PNG
//! rendered from that document by resvg with a bundled font.
//!
//! The SVG is written element by element rather than through plotters' SVG backend, whose
//! coordinates are whole pixels (`BackendCoord = (i32, i32)`): a curve drawn through whole
//! pixels shows stair-steps when the picture is zoomed or printed, so the points here keep
//! two decimals.

use std::fmt::Write as _;
use std::sync::Arc;

use super::Steps;
use super::plot::Series;
use crate::error::{Error, Result};

/// Default width of the image in pixels.
pub const WIDTH: u32 = 900;
/// Default height of the image in pixels.
pub const HEIGHT: u32 = 500;
/// The smallest image that holds the axes, labels and a plot area.
pub const MIN_SIZE: (u32, u32) = (200, 150);
/// The largest image lrsched draws (a PNG of it is 400 MB of pixels).
pub const MAX_SIZE: u32 = 10_000;

/// DejaVu Sans (Bitstream Vera license, see `assets/fonts/LICENSE`), so that a PNG has its
/// text on a machine without fonts. The SVG names it first and falls back to sans-serif.
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
const FONT_FAMILY: &str = "DejaVu Sans, Verdana, sans-serif";

const MARGIN: f64 = 16.0;
const TICK_FONT: f64 = 12.0;
const AXIS_FONT: f64 = 14.0;
const TITLE_FONT: f64 = 18.0;
/// The advance of a character of the tick and legend fonts, for laying out text before a
/// viewer measures it (DejaVu Sans digits are 0.64 em; letters average less).
const CHAR_WIDTH: f64 = 0.64 * TICK_FONT;
const LEGEND_SWATCH: f64 = 24.0;
const LEGEND_ROW: f64 = 20.0;

/// Ten colours that stay apart from each other (Tableau 10); past ten series the dash
/// pattern changes too, so no two curves look alike.
pub const PALETTE: [&str; 10] = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac",
];
const DASHES: [&str; 4] = ["", "8 4", "2 3", "8 3 2 3"];

/// Size and title of a chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SvgOptions {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// A title above the plot.
    pub title: Option<String>,
    /// A logarithmic lr axis; values of 0 and below are not drawn.
    pub log_y: bool,
}

impl Default for SvgOptions {
    fn default() -> Self {
        SvgOptions {
            width: WIDTH,
            height: HEIGHT,
            title: None,
            log_y: false,
        }
    }
}

impl SvgOptions {
    /// Checks the size against [`MIN_SIZE`] and [`MAX_SIZE`].
    pub fn validate(&self) -> Result<()> {
        let (min_w, min_h) = MIN_SIZE;
        if !(min_w..=MAX_SIZE).contains(&self.width) || !(min_h..=MAX_SIZE).contains(&self.height) {
            return Err(Error::input(format!(
                "an image of {}x{} pixels is outside what plot --svg draws: --width must be \
                 {min_w}..={MAX_SIZE} and --height {min_h}..={MAX_SIZE}",
                self.width, self.height
            )));
        }
        Ok(())
    }

    /// Columns to reduce each series to: one per pixel across, as fine as the image shows.
    pub fn data_columns(&self) -> usize {
        self.width as usize
    }
}

/// Draws the series over the steps of `frame` as an SVG document.
pub fn render(series: &[Series], frame: Steps, options: &SvgOptions) -> Result<String> {
    options.validate()?;
    let log = options.log_y;
    let (y, y_ticks, y_labels): ((f64, f64), Vec<f64>, Vec<String>) = if log {
        let y = log_range(series)?;
        let (ticks, labels) = log_ticks(y).into_iter().unzip();
        (y, ticks, labels)
    } else {
        let y = y_range(series)?;
        let ticks = value_ticks(y);
        let labels: Vec<String> = ticks.iter().map(|&v| value_label(v, &ticks)).collect();
        (y, ticks, labels)
    };
    let x = x_range(frame);
    let x_ticks = step_ticks(x);
    let x_labels: Vec<String> = x_ticks.iter().map(|&v| step_label(v, &x_ticks)).collect();

    let (width, height) = (f64::from(options.width), f64::from(options.height));
    let labels: Vec<String> = series.iter().map(|s| clean(&s.label)).collect();
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64;
    let y_label_width = y_labels.iter().map(|l| l.len()).max().unwrap_or(1) as f64 * CHAR_WIDTH;
    let left = MARGIN + AXIS_FONT + 8.0 + y_label_width + 6.0;
    let top = MARGIN
        + if options.title.is_some() {
            TITLE_FONT + 12.0
        } else {
            0.0
        };
    let bottom_axis = TICK_FONT + 8.0 + AXIS_FONT + 8.0;
    // The legend goes right of the plot when that leaves the plot at least half the image,
    // else under the axis title: it never covers a curve.
    let legend_width = LEGEND_SWATCH + 8.0 + longest * CHAR_WIDTH + MARGIN;
    let legend_right = series.len() > 1 && width - legend_width - left >= width * 0.5;
    let (right, bottom) = if series.len() <= 1 {
        (width - MARGIN, height - MARGIN - bottom_axis)
    } else if legend_right {
        (width - legend_width - MARGIN, height - MARGIN - bottom_axis)
    } else {
        let per_row = ((width - 2.0 * MARGIN) / legend_width).floor().max(1.0) as usize;
        let rows = series.len().div_ceil(per_row) as f64;
        (
            width - MARGIN,
            height - MARGIN - bottom_axis - rows * LEGEND_ROW - 4.0,
        )
    };
    if right - left < 40.0 || bottom - top < 40.0 {
        return Err(Error::input(format!(
            "a {}x{} image leaves no room for the plot beside its labels and legend; use a \
             larger --width or --height",
            options.width, options.height
        )));
    }
    let plot = Frame {
        left,
        right,
        top,
        bottom,
        x,
        y,
        log,
    };

    let mut svg = String::with_capacity(64 * 1024);
    let _ = write!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" \
         font-family=\"{FONT_FAMILY}\">\n<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n",
        options.width, options.height, options.width, options.height
    );
    if let Some(title) = &options.title {
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{TITLE_FONT}\" text-anchor=\"middle\" \
             font-weight=\"bold\">{}</text>",
            (left + right) / 2.0,
            MARGIN + TITLE_FONT,
            xml(&clean(title))
        );
    }
    // Grid and tick labels.
    svg.push_str("<g stroke=\"#e6e6e6\" stroke-width=\"1\">\n");
    for &v in &y_ticks {
        let py = plot.py(v);
        let _ = writeln!(
            svg,
            "<line x1=\"{left:.2}\" y1=\"{py:.2}\" x2=\"{right:.2}\" y2=\"{py:.2}\"/>"
        );
    }
    for &v in &x_ticks {
        let px = plot.px(v);
        let _ = writeln!(
            svg,
            "<line x1=\"{px:.2}\" y1=\"{top:.2}\" x2=\"{px:.2}\" y2=\"{bottom:.2}\"/>"
        );
    }
    svg.push_str("</g>\n");
    let _ = writeln!(
        svg,
        "<rect x=\"{left:.2}\" y=\"{top:.2}\" width=\"{:.2}\" height=\"{:.2}\" fill=\"none\" \
         stroke=\"#555555\" stroke-width=\"1\"/>",
        right - left,
        bottom - top
    );
    let _ = writeln!(svg, "<g font-size=\"{TICK_FONT}\" fill=\"#333333\">");
    for (&v, label) in y_ticks.iter().zip(&y_labels) {
        let _ = writeln!(
            svg,
            "<text x=\"{:.2}\" y=\"{:.2}\" text-anchor=\"end\">{label}</text>",
            left - 6.0,
            plot.py(v) + TICK_FONT * 0.35
        );
    }
    for (&v, label) in x_ticks.iter().zip(&x_labels) {
        let _ = writeln!(
            svg,
            "<text x=\"{:.2}\" y=\"{:.2}\" text-anchor=\"middle\">{label}</text>",
            plot.px(v),
            bottom + TICK_FONT + 4.0
        );
    }
    svg.push_str("</g>\n");
    let _ = writeln!(
        svg,
        "<text x=\"{:.2}\" y=\"{:.2}\" font-size=\"{AXIS_FONT}\" text-anchor=\"middle\">step</text>",
        (left + right) / 2.0,
        bottom + TICK_FONT + 8.0 + AXIS_FONT
    );
    let _ = writeln!(
        svg,
        "<text x=\"{x:.2}\" y=\"{y:.2}\" font-size=\"{AXIS_FONT}\" text-anchor=\"middle\" \
         transform=\"rotate(-90 {x:.2} {y:.2})\">{title}</text>",
        x = MARGIN + AXIS_FONT,
        y = (top + bottom) / 2.0,
        title = if log { "lr (log scale)" } else { "lr" }
    );

    // The curves, clipped to the plot area.
    let _ = writeln!(
        svg,
        "<clipPath id=\"plot\"><rect x=\"{left:.2}\" y=\"{top:.2}\" width=\"{:.2}\" \
         height=\"{:.2}\"/></clipPath>\n<g clip-path=\"url(#plot)\" fill=\"none\" \
         stroke-width=\"2\" stroke-linejoin=\"round\" stroke-linecap=\"round\">",
        right - left,
        bottom - top
    );
    for (i, s) in series.iter().enumerate() {
        let points: Vec<(f64, f64)> = s
            .reduced()
            .filter(|p| p.lr.is_finite() && (!log || p.lr > 0.0))
            .map(|p| (plot.px(p.step as f64), plot.py(p.lr)))
            .collect();
        let (color, dash) = style(i);
        // A run of finite points is one polyline; a lone point or a short series gets
        // markers, so that 1 or 3 steps still show.
        let _ = write!(svg, "<polyline stroke=\"{color}\"");
        if !dash.is_empty() {
            let _ = write!(svg, " stroke-dasharray=\"{dash}\"");
        }
        svg.push_str(" points=\"");
        for (j, (px, py)) in points.iter().enumerate() {
            if j > 0 {
                svg.push(' ');
            }
            let _ = write!(svg, "{px:.2},{py:.2}");
        }
        svg.push_str("\"/>\n");
        if points.len() <= 40 {
            for (px, py) in &points {
                let _ = writeln!(
                    svg,
                    "<circle cx=\"{px:.2}\" cy=\"{py:.2}\" r=\"3\" fill=\"{color}\" stroke=\"none\"/>"
                );
            }
        }
    }
    svg.push_str("</g>\n");

    if series.len() > 1 {
        let _ = writeln!(svg, "<g font-size=\"{TICK_FONT}\" fill=\"#222222\">");
        let per_row = if legend_right {
            1
        } else {
            ((width - 2.0 * MARGIN) / legend_width).floor().max(1.0) as usize
        };
        for (i, label) in labels.iter().enumerate() {
            let (row, col) = (i / per_row, i % per_row);
            let (x0, y0) = if legend_right {
                (right + MARGIN, top + 4.0 + row as f64 * LEGEND_ROW)
            } else {
                (
                    MARGIN + col as f64 * legend_width,
                    bottom + bottom_axis + 4.0 + row as f64 * LEGEND_ROW,
                )
            };
            let ym = y0 + LEGEND_ROW / 2.0;
            let (color, dash) = style(i);
            let _ = write!(
                svg,
                "<line x1=\"{x0:.2}\" y1=\"{ym:.2}\" x2=\"{:.2}\" y2=\"{ym:.2}\" stroke=\"{color}\" \
                 stroke-width=\"2\"",
                x0 + LEGEND_SWATCH
            );
            if !dash.is_empty() {
                let _ = write!(svg, " stroke-dasharray=\"{dash}\"");
            }
            let _ = writeln!(
                svg,
                "/>\n<text x=\"{:.2}\" y=\"{:.2}\">{}</text>",
                x0 + LEGEND_SWATCH + 8.0,
                ym + TICK_FONT * 0.35,
                xml(label)
            );
        }
        svg.push_str("</g>\n");
    }
    svg.push_str("</svg>\n");
    Ok(svg)
}

/// Renders an SVG document of [`render`] to PNG bytes, with the bundled font.
pub fn png(svg: &str) -> Result<Vec<u8>> {
    let failed = |what: String| Error::Failed(format!("rendering the PNG failed: {what}"));
    let mut options = resvg::usvg::Options::default();
    let mut fonts = resvg::usvg::fontdb::Database::new();
    fonts.load_font_data(FONT.to_vec());
    fonts.set_sans_serif_family("DejaVu Sans");
    options.fontdb = Arc::new(fonts);
    let tree = resvg::usvg::Tree::from_str(svg, &options).map_err(|e| failed(e.to_string()))?;
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| failed("the image has no pixels".into()))?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| failed(e.to_string()))
}

/// The colour and dash pattern of series `i`.
fn style(i: usize) -> (&'static str, &'static str) {
    (
        PALETTE[i % PALETTE.len()],
        DASHES[(i / PALETTE.len()) % DASHES.len()],
    )
}

/// The plot area and the data ranges it shows.
struct Frame {
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    x: (f64, f64),
    /// The lr range, as log10 of the values on a log scale.
    y: (f64, f64),
    log: bool,
}

impl Frame {
    fn px(&self, x: f64) -> f64 {
        self.left + (x - self.x.0) / (self.x.1 - self.x.0) * (self.right - self.left)
    }

    fn py(&self, y: f64) -> f64 {
        let y = if self.log { y.log10() } else { y };
        self.bottom - (y - self.y.0) / (self.y.1 - self.y.0) * (self.bottom - self.top)
    }
}

/// The steps shown: the frame's first to last step, half a step either side of a lone one.
fn x_range(frame: Steps) -> (f64, f64) {
    let first = frame.from as f64;
    let last = frame.to.saturating_sub(1).max(frame.from) as f64;
    if last > first {
        (first, last)
    } else {
        (first - 0.5, first + 0.5)
    }
}

/// The lr range shown: every finite value, from 0 unless values go below it, with 5% of
/// room above the peak. A flat line gets a range around it instead of a degenerate one.
fn y_range(series: &[Series]) -> Result<(f64, f64)> {
    let (lo, hi) = series
        .iter()
        .flat_map(Series::reduced)
        .map(|p| p.lr)
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !hi.is_finite() {
        return Err(Error::input(
            "nothing to plot: every value is NaN or infinite",
        ));
    }
    let lo = lo.min(0.0);
    let hi = hi.max(0.0);
    if hi == lo {
        return Ok((0.0, 1.0));
    }
    // Scaled before subtracting, so that 1e300..1e308 does not overflow.
    let pad = (hi / 20.0 - lo / 20.0).max(f64::MIN_POSITIVE);
    let top = if hi > 0.0 { hi + pad } else { hi };
    let bottom = if lo < 0.0 { lo - pad } else { lo };
    Ok((bottom, top))
}

/// The log10 range of a log scale: every positive finite value, with 3% of the span
/// either side; a flat line gets a decade either side.
fn log_range(series: &[Series]) -> Result<(f64, f64)> {
    let (lo, hi) = series
        .iter()
        .flat_map(Series::reduced)
        .map(|p| p.lr)
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !hi.is_finite() {
        return Err(Error::input(
            "nothing to plot on a log scale (--log-y): every lr is 0, negative, NaN or infinite",
        ));
    }
    let (lo, hi) = (lo.log10(), hi.log10());
    if hi == lo {
        return Ok((lo - 1.0, hi + 1.0));
    }
    let pad = (hi - lo) * 0.03;
    Ok((lo - pad, hi + pad))
}

/// Ticks of a log scale (`range` in log10) with their labels: the powers of ten inside it
/// (every second, fifth, ... where there are many), or 1, 2 and 5 times them where the range
/// holds fewer than two. Labels are in one style for the axis: plain where every tick is
/// from 0.001 to 10000, else `2e-5`.
fn log_ticks(range: (f64, f64)) -> Vec<(f64, String)> {
    let (first, last) = (range.0.ceil() as i32, range.1.floor() as i32);
    let ticks: Vec<(u32, i32)> = if last > first {
        // At most about 8 labels, at powers that are multiples of a round stride.
        let stride = [1, 2, 5, 10, 20, 50, 100]
            .into_iter()
            .find(|&s| (last - first) / s <= 8)
            .unwrap_or(200);
        (first..=last)
            .filter(|k| k.rem_euclid(stride) == 0)
            .map(|k| (1, k))
            .collect()
    } else {
        (range.0.floor() as i32..=range.1.ceil() as i32)
            .flat_map(|k| [1, 2, 5].map(|m| (m, k)))
            .filter(|&(m, k)| {
                let log = f64::from(m).log10() + f64::from(k);
                log >= range.0 && log <= range.1
            })
            .collect()
    };
    let plain = ticks.iter().all(|&(_, k)| (-3..=4).contains(&k));
    ticks
        .into_iter()
        .map(|(m, k)| {
            let value: f64 = format!("{m}e{k}").parse().unwrap_or(f64::NAN);
            let label = match k {
                _ if !plain => format!("{m}e{k}"),
                0.. => format!("{m}{}", "0".repeat(k.unsigned_abs() as usize)),
                _ => format!("0.{}{m}", "0".repeat(k.unsigned_abs() as usize - 1)),
            };
            (value, label)
        })
        .collect()
}

/// A tick spacing of 1, 2, 2.5 or 5 times a power of ten that gives about `target` ticks.
pub(crate) fn nice_step(span: f64, target: f64) -> f64 {
    let raw = span / target;
    let power = 10f64.powf(raw.log10().floor());
    let fraction = raw / power;
    let nice = if fraction <= 1.0 {
        1.0
    } else if fraction <= 2.0 {
        2.0
    } else if fraction <= 2.5 {
        2.5
    } else if fraction <= 5.0 {
        5.0
    } else {
        10.0
    };
    nice * power
}

/// The multiples of a nice step within `range`, computed as `k * step` so that no
/// rounding error accumulates.
fn ticks(range: (f64, f64), step: f64) -> Vec<f64> {
    if !(step.is_finite() && step > 0.0) {
        return vec![range.0];
    }
    let first = (range.0 / step).ceil();
    let last = (range.1 / step).floor();
    if !(first.is_finite() && last.is_finite()) || last - first > 100.0 {
        return vec![range.0, range.1];
    }
    let mut k = first;
    let mut out = Vec::new();
    while k <= last {
        // -0.0 would print as "-0".
        out.push(k * step + 0.0);
        k += 1.0;
    }
    out
}

fn value_ticks(range: (f64, f64)) -> Vec<f64> {
    // Half the span over half the ticks: the same step, without overflowing at 1e308.
    let half_span = range.1 / 2.0 - range.0 / 2.0;
    ticks(range, nice_step(half_span, 2.5))
}

/// Whole steps only: a run of 3 steps is ticked 0, 1, 2 and nothing between.
fn step_ticks(range: (f64, f64)) -> Vec<f64> {
    let step = nice_step(range.1 - range.0, 6.0).max(1.0);
    ticks(range, step)
}

/// A tick value in one style for the whole axis: plain decimals from 0.001 to 99999, else
/// `5e-5`, `1.5e-4`, with as many digits as the tick spacing needs.
fn value_label(v: f64, all: &[f64]) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let largest = all.iter().fold(0.0f64, |m, t| m.max(t.abs()));
    let spacing = if all.len() > 1 {
        (all[1] - all[0]).abs()
    } else {
        largest
    };
    if (1e-3..1e5).contains(&largest) && spacing >= 1e-4 {
        let decimals = decimals_for(spacing);
        return format!("{v:.decimals$}");
    }
    let exponent = v.abs().log10().floor();
    let mantissa = v / 10f64.powf(exponent);
    let digits = decimals_for(spacing / 10f64.powf(exponent)).min(6);
    let text = format!("{mantissa:.digits$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    format!("{text}e{}", exponent as i64)
}

/// Decimals needed to tell ticks `spacing` apart (2.5 needs one more than its power).
fn decimals_for(spacing: f64) -> usize {
    let mut decimals = 0;
    let mut s = spacing;
    while decimals < 12 && (s - s.round()).abs() > 1e-9 * s.abs().max(1.0) {
        s *= 10.0;
        decimals += 1;
    }
    decimals
}

/// A step tick: `750`, `25,000`, `2.5M`, `1G`; one unit for the whole axis.
fn step_label(v: f64, all: &[f64]) -> String {
    let largest = all.iter().fold(0.0f64, |m, t| m.max(t.abs()));
    let spacing = if all.len() > 1 {
        (all[1] - all[0]).abs()
    } else {
        1.0
    };
    let (unit, suffix) = [(1e12, "T"), (1e9, "G"), (1e6, "M")]
        .into_iter()
        .find(|&(unit, _)| largest >= unit)
        .unwrap_or((1.0, ""));
    if suffix.is_empty() {
        return grouped(v.round() as u64);
    }
    if v == 0.0 {
        return "0".into();
    }
    let decimals = decimals_for(spacing / unit);
    format!("{:.decimals$}{suffix}", v / unit)
}

/// An integer with thousands separated by commas.
pub(crate) fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Control characters of a label or title shown as escapes, never written raw.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Text as XML character data.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Context;
    use crate::schedule::combine::ExprSchedule;

    fn series(label: &str, expr: &str, steps: u64, base_lr: f64) -> Result<Series> {
        let ctx = Context {
            steps,
            base_lr,
            warmup: 0,
        };
        let schedule = ExprSchedule::new(expr, &ctx)?;
        let all = Steps::all(steps);
        Series::reduce(
            &crate::engine::Engine::single(),
            label.into(),
            &schedule,
            all,
            all,
            SvgOptions::default().data_columns(),
        )
    }

    #[test]
    fn draws_axes_titles_legend_and_fractional_points() -> Result<()> {
        let a = series("warmup & <constant>", "min(1, step/100)", 1000, 0.5)?;
        let b = series("cosine", "0.5*(1+cos(pi*step/steps))", 1000, 0.5)?;
        let options = SvgOptions {
            title: Some("two\u{1b}[31m runs".into()),
            ..SvgOptions::default()
        };
        let svg = render(&[a, b], Steps::all(1000), &options)?;
        assert!(
            svg.starts_with(
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"900\" height=\"500\""
            )
        );
        for text in [
            ">step</text>",
            ">lr</text>",
            ">warmup &amp; &lt;constant&gt;</text>",
            ">cosine</text>",
            ">two\\u{1b}[31m runs</text>",
            ">800</text>",
            ">0.4</text>",
        ] {
            assert!(svg.contains(text), "{text} missing");
        }
        assert!(!svg.contains('\u{1b}'));
        let polyline = svg.split("points=\"").nth(1).unwrap_or("");
        assert!(
            polyline.split(' ').take(50).any(|p| !p.contains(".00,")),
            "points keep their fractions: {}",
            &polyline[..200.min(polyline.len())]
        );
        Ok(())
    }

    #[test]
    fn small_runs_tick_whole_steps_once_and_mark_their_points() -> Result<()> {
        for (steps, ticks) in [(1, vec!["0"]), (3, vec!["0", "1", "2"])] {
            let s = series("s", "1 + step", steps, 0.1)?;
            let svg = render(&[s], Steps::all(steps), &SvgOptions::default())?;
            let labels: Vec<&str> = svg
                .lines()
                .filter(|l| l.contains("text-anchor=\"middle\">") && !l.contains("step<"))
                .filter_map(|l| l.split('>').nth(1)?.strip_suffix("</text"))
                .collect();
            assert_eq!(labels, ticks, "--steps {steps}");
            assert_eq!(svg.matches("<circle").count() as u64, steps);
        }
        Ok(())
    }

    #[test]
    fn tick_labels_have_one_style() {
        let y = |lo, hi| {
            let t = value_ticks((lo, hi));
            t.iter().map(|&v| value_label(v, &t)).collect::<Vec<_>>()
        };
        assert_eq!(y(0.0, 1.05e-4), ["0", "2.5e-5", "5e-5", "7.5e-5", "1e-4"]);
        assert_eq!(y(0.0, 0.105), ["0", "0.025", "0.050", "0.075", "0.100"]);
        assert_eq!(y(0.0, 3.3e-4), ["0", "1e-4", "2e-4", "3e-4"]);
        assert_eq!(
            y(0.0, 1.05e300),
            ["0", "2.5e299", "5e299", "7.5e299", "1e300"]
        );
        assert_eq!(
            y(0.0, 1.05e-300),
            ["0", "2.5e-301", "5e-301", "7.5e-301", "1e-300"]
        );
        let x = |lo, hi| {
            let t = step_ticks((lo, hi));
            t.iter().map(|&v| step_label(v, &t)).collect::<Vec<_>>()
        };
        assert_eq!(x(0.0, 999_999_999.0), ["0", "200M", "400M", "600M", "800M"]);
        assert_eq!(
            x(0.0, 99_999.0),
            ["0", "20,000", "40,000", "60,000", "80,000"]
        );
        assert_eq!(
            x(0.0, 2_500_000.0),
            ["0", "0.5M", "1.0M", "1.5M", "2.0M", "2.5M"]
        );
    }

    #[test]
    fn log_ticks_are_decades_in_one_style() {
        let labels = |lo: f64, hi: f64| -> Vec<String> {
            log_ticks((lo.log10(), hi.log10()))
                .into_iter()
                .map(|(_, l)| l)
                .collect()
        };
        assert_eq!(labels(3e-7, 1.1e-3), ["1e-6", "1e-5", "1e-4", "1e-3"]);
        assert_eq!(labels(0.009, 1.1), ["0.01", "0.1", "1"]);
        assert_eq!(labels(0.15, 0.6), ["0.2", "0.5"]);
        assert_eq!(
            labels(1e-30, 1e10),
            [
                "1e-30", "1e-25", "1e-20", "1e-15", "1e-10", "1e-5", "1e0", "1e5", "1e10"
            ]
        );
    }

    #[test]
    fn a_log_scale_leaves_out_zeros_and_draws_the_rest() -> Result<()> {
        let s = series("s", "step / steps", 100, 1e-3)?;
        let options = SvgOptions {
            log_y: true,
            ..SvgOptions::default()
        };
        let svg = render(&[s], Steps::all(100), &options)?;
        assert!(svg.contains(">lr (log scale)</text>"));
        assert!(svg.contains(">1e-5</text>") && svg.contains(">1e-3</text>"));
        let points = svg.split("points=\"").nth(1).unwrap_or("");
        let points = &points[..points.find('"').unwrap_or(0)];
        assert_eq!(points.split(' ').count(), 99, "step 0 (lr 0) is left out");
        let zero = series("z", "0", 10, 0.1)?;
        assert_eq!(
            render(&[zero], Steps::all(10), &options)
                .err()
                .map(|e| e.to_string()),
            Some(
                "nothing to plot on a log scale (--log-y): every lr is 0, negative, NaN or \
                 infinite"
                    .into()
            )
        );
        Ok(())
    }

    #[test]
    fn extreme_values_scale_in_f64() -> Result<()> {
        for base_lr in [1e300, 1e-300] {
            let s = series("s", "1 - step/steps", 100, base_lr)?;
            let svg = render(&[s], Steps::all(100), &SvgOptions::default())?;
            assert!(!svg.contains("inf") && !svg.contains("NaN"), "{base_lr}");
        }
        Ok(())
    }

    #[test]
    fn the_picture_renders_with_the_curve_in_its_colour() -> Result<()> {
        let s = series("s", "1 - step/steps", 100, 0.1)?;
        let options = SvgOptions {
            width: 400,
            height: 300,
            title: Some("title".into()),
            log_y: false,
        };
        let svg = render(&[s], Steps::all(100), &options)?;
        let png = png(&svg)?;
        let pixmap =
            resvg::tiny_skia::Pixmap::decode_png(&png).map_err(|e| Error::Failed(e.to_string()))?;
        assert_eq!((pixmap.width(), pixmap.height()), (400, 300));
        let blue = pixmap
            .pixels()
            .iter()
            .filter(|p| (p.red(), p.green(), p.blue()) == (0x4e, 0x79, 0xa7))
            .count();
        assert!(blue > 300, "{blue} pixels of the curve's colour");
        // Text is drawn with the bundled font: dark pixels left of the plot (tick labels).
        let dark = (0..300u32)
            .flat_map(|y| (0..40u32).map(move |x| (x, y)))
            .filter_map(|(x, y)| pixmap.pixel(x, y))
            .filter(|p| p.red() < 128 && p.alpha() > 0)
            .count();
        assert!(dark > 20, "{dark} dark pixels where the labels are");
        Ok(())
    }

    #[test]
    fn sizes_outside_the_limits_are_refused() {
        let s = SvgOptions {
            width: 50,
            ..SvgOptions::default()
        };
        assert!(s.validate().is_err());
    }
}
