//! A self-contained SVG chart of `bench plugins`: per game type, p50 and p99
//! apply latency through wasmtime and natively, on one linear axis.

use std::fmt::Write;

use super::plugins::Row;

const ROW_H: f64 = 64.0;
const LEFT: f64 = 110.0;
const WIDTH: f64 = 760.0;

/// Renders `rows` (and the host's fixed cost per call) as an SVG document.
pub fn render(rows: &[Row], baseline_us: f64) -> String {
    let max = rows
        .iter()
        .map(|r| r.wasm.p99_us.max(r.native.p99_us))
        .fold(1.0, f64::max)
        * 1.3;
    let scale = (WIDTH - LEFT - 20.0) / max;
    let height = 70.0 + ROW_H * rows.len() as f64 + 40.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        s,
        r#"<text x="10" y="20" font-size="15">apply latency, us (bar: p50, whisker: p99) - wasm vs native, same action stream</text>"#
    );
    let _ = writeln!(
        s,
        r##"<rect x="10" y="32" width="12" height="10" fill="#3b6fb6"/><text x="26" y="41">wasm (wasmtime, fuel on)</text><rect x="200" y="32" width="12" height="10" fill="#e3953c"/><text x="216" y="41">native</text><text x="330" y="41">host fixed cost per call (probe noop, p50): {baseline_us:.2} us</text>"##
    );
    for (i, r) in rows.iter().enumerate() {
        let y = 60.0 + ROW_H * i as f64;
        let _ = writeln!(
            s,
            r##"<text x="10" y="{}">{}</text><text x="10" y="{}" fill="#666">{:.2}x</text>"##,
            y + 22.0,
            r.game_type,
            y + 38.0,
            r.ratio
        );
        for (j, (side, color)) in [(&r.wasm, "#3b6fb6"), (&r.native, "#e3953c")]
            .into_iter()
            .enumerate()
        {
            let by = y + 8.0 + 22.0 * j as f64;
            let w50 = side.p50_us * scale;
            let x99 = LEFT + side.p99_us * scale;
            let _ = writeln!(
                s,
                r#"<rect x="{LEFT}" y="{by}" width="{w50:.1}" height="16" fill="{color}"/><line x1="{:.1}" y1="{:.1}" x2="{x99:.1}" y2="{:.1}" stroke="{color}" stroke-width="2"/><line x1="{x99:.1}" y1="{by}" x2="{x99:.1}" y2="{:.1}" stroke="{color}" stroke-width="2"/><text x="{:.1}" y="{:.1}">{:.2} / {:.2}</text>"#,
                LEFT + w50,
                by + 8.0,
                by + 8.0,
                by + 16.0,
                x99 + 6.0,
                by + 12.0,
                side.p50_us,
                side.p99_us
            );
        }
    }
    let axis_y = 60.0 + ROW_H * rows.len() as f64 + 10.0;
    let _ = writeln!(
        s,
        r##"<line x1="{LEFT}" y1="{axis_y}" x2="{:.1}" y2="{axis_y}" stroke="#999"/>"##,
        WIDTH - 20.0
    );
    for k in 0..=5 {
        let v = max * k as f64 / 5.0;
        let x = LEFT + v * scale;
        let _ = writeln!(
            s,
            r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle">{v:.1}</text>"#,
            axis_y + 16.0
        );
    }
    s.push_str("</svg>\n");
    s
}
