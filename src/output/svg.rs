//! SVG charts for `lrsched plot --svg`: the same reduced series as the terminal plot, drawn
//! by plotters' SVG backend with axes, tick labels, axis titles and a legend.
//!
//! Only plotters' `svg_backend` and `line_series` features are used: text is written as SVG
//! `<text>` elements for the viewer to render, so no font or system library is involved.

use std::io;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::Steps;
use super::plot::{COLORS, Series};
use crate::error::{Error, Result};
use crate::format::significant;

/// Width of the SVG image in pixels.
pub const WIDTH: u32 = 900;
/// Height of the SVG image in pixels.
pub const HEIGHT: u32 = 500;

const MARGIN: u32 = 20;
const Y_LABEL_AREA: u32 = 80;
const X_LABEL_AREA: u32 = 50;
const LEGEND_ROW: u32 = 22;

/// Columns to reduce each series to: one per pixel of the plotting area, which is as fine
/// as the image can show.
pub fn data_columns() -> usize {
    (WIDTH - 2 * MARGIN - Y_LABEL_AREA) as usize
}

/// Draws the series over the steps of `frame` as an SVG document.
pub fn render(series: &[Series], frame: Steps) -> Result<String> {
    let (mut ymin, mut ymax) = series
        .iter()
        .flat_map(Series::reduced)
        .map(|p| p.lr)
        .filter(|v| v.is_finite())
        .fold((0.0f64, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !ymax.is_finite() {
        return Err(Error::input(
            "nothing to plot: every value is NaN or infinite",
        ));
    }
    if ymax <= ymin {
        // A flat line at 0: give it room above.
        ymax = ymin + 1.0;
    }
    // Headroom, so that a peak is not drawn on the frame.
    let pad = (ymax - ymin) * 0.05;
    ymax += pad;
    if ymin < 0.0 {
        ymin -= pad;
    }
    let xmin = frame.from as f64;
    let xmax = (frame.to.saturating_sub(1)).max(frame.from + 1) as f64;

    let mut svg = String::new();
    draw(&mut svg, series, (xmin, xmax), (ymin, ymax))
        .map_err(|e| Error::Io(io::Error::other(format!("drawing the SVG failed: {e}"))))?;
    Ok(svg)
}

type DrawResult = std::result::Result<(), Box<dyn std::error::Error>>;

fn draw(svg: &mut String, series: &[Series], x: (f64, f64), y: (f64, f64)) -> DrawResult {
    let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE)?;
    // The legend gets its own rows above the chart, so that it never hides a curve.
    let legend_height = MARGIN + LEGEND_ROW * series.len() as u32;
    let (legend, plot) = root.split_vertically(legend_height);
    for (i, s) in series.iter().enumerate() {
        let color = color(i);
        let y = (MARGIN + LEGEND_ROW * i as u32 + LEGEND_ROW / 2) as i32;
        let x = (MARGIN + Y_LABEL_AREA) as i32;
        legend.draw(&PathElement::new(
            vec![(x, y), (x + 24, y)],
            color.stroke_width(2),
        ))?;
        let style = ("sans-serif", 14)
            .into_text_style(&legend)
            .pos(Pos::new(HPos::Left, VPos::Center));
        legend.draw(&Text::new(s.label.as_str(), (x + 32, y), style))?;
    }
    let mut chart = ChartBuilder::on(&plot)
        .margin(MARGIN)
        .margin_top(MARGIN / 2)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(x.0..x.1, y.0..y.1)?;
    let x_label = |v: &f64| format!("{v:.0}");
    let y_label = |v: &f64| significant(*v, 3);
    chart
        .configure_mesh()
        .x_desc("step")
        .y_desc("lr")
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .axis_desc_style(("sans-serif", 16))
        .label_style(("sans-serif", 13))
        .light_line_style(RGBColor(240, 240, 240))
        .bold_line_style(RGBColor(215, 215, 215))
        .draw()?;
    for (i, s) in series.iter().enumerate() {
        let points = s
            .reduced()
            .filter(|p| p.lr.is_finite())
            .map(|p| (p.step as f64, p.lr));
        chart.draw_series(LineSeries::new(points, color(i).stroke_width(2)))?;
    }
    root.present()?;
    Ok(())
}

fn color(i: usize) -> RGBColor {
    let (r, g, b) = COLORS[i % COLORS.len()];
    RGBColor(r, g, b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::Context;
    use crate::schedule::combine::ExprSchedule;

    #[test]
    fn draws_axes_titles_and_legend() -> Result<()> {
        let ctx = Context {
            steps: 1000,
            base_lr: 0.5,
            warmup: 100,
        };
        let schedule = ExprSchedule::new("1", &ctx)?;
        let steps = Steps::all(1000);
        let series = Series::reduce(
            &crate::engine::Engine::single(),
            "warmup & <constant>".into(),
            &schedule,
            steps,
            steps,
            data_columns(),
        )?;
        let svg = render(&[series], steps)?;
        assert!(svg.starts_with("<svg"), "{}", &svg[..100]);
        assert!(svg.contains("width=\"900\" height=\"500\""));
        for text in [
            ">\nstep\n</text>",
            ">\nlr\n</text>",
            ">\nwarmup &amp; &lt;constant&gt;\n</text>",
        ] {
            assert!(svg.contains(text), "{text} missing");
        }
        assert!(svg.contains(">\n900\n</text>"), "x tick labels");
        assert!(svg.contains(">\n0.5\n</text>"), "y tick labels");
        assert!(svg.contains("<polyline"));
        assert!(svg.trim_end().ends_with("</svg>"));
        Ok(())
    }
}
