//! A self-contained SVG chart of one `bench pipeline` run (`--svg PATH`):
//! per measured path (accepted, applied, quest, reward and, on Kafka, the
//! raw rdkafka round trip) its p50, p99, p999 and max on one log axis, with
//! the issue's p99 target marked where there is one.

use std::fmt::Write;

use super::report::{KAFKA_MAX_P99_ABOVE_RAW_MS, PipelineReport, TARGET_P99_MS};
use crate::demo::observer::Percentiles;

const ROW_H: f64 = 44.0;
const LEFT: f64 = 170.0;
const WIDTH: f64 = 820.0;
const RIGHT: f64 = 30.0;
const TOP: f64 = 64.0;
const MARKS: [(&str, f64); 4] = [("p50", 6.0), ("p99", 5.0), ("p999", 4.0), ("max", 3.0)];

/// Renders `r` as an SVG document.
pub fn render(r: &PipelineReport) -> String {
    let raw_p99_ms = r.raw.as_ref().map(|x| x.round_trip.p99_us as f64 / 1000.0);
    let target = |name: &str| match raw_p99_ms {
        Some(raw) => Some(raw + KAFKA_MAX_P99_ABOVE_RAW_MS),
        None => TARGET_P99_MS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, ms)| *ms),
    };
    let mut rows: Vec<(&str, &Percentiles, Option<f64>)> = vec![
        ("accepted", &r.accepted, None),
        ("applied", &r.applied, target("applied")),
        ("quest consumed", &r.quest, target("quest")),
        ("reward consumed", &r.reward, target("reward")),
    ];
    if let Some(raw) = &r.raw {
        rows.push(("raw rdkafka round trip", &raw.round_trip, None));
    }
    let ms = |us: u64| (us as f64 / 1000.0).max(0.01);
    let hi = rows
        .iter()
        .map(|(_, p, t)| ms(p.max_us).max(t.unwrap_or(0.0)))
        .fold(1.0, f64::max);
    let lo = rows
        .iter()
        .filter(|(_, p, _)| p.count > 0)
        .map(|(_, p, _)| ms(p.p50_us))
        .fold(hi, f64::min);
    let (d0, d1) = (
        lo.log10().floor(),
        hi.log10().ceil().max(lo.log10().floor() + 1.0),
    );
    let x = |v: f64| LEFT + (v.log10() - d0) / (d1 - d0) * (WIDTH - LEFT - RIGHT);
    let height = TOP + ROW_H * rows.len() as f64 + 50.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        s,
        r#"<text x="10" y="20" font-size="15">bench pipeline, {}: offered {}/s for {:.0} s, sustained {:.0}/s; ms from due time (log scale)</text>"#,
        r.backend, r.offered_rate, r.duration_s, r.sustained_rate
    );
    let _ = writeln!(
        s,
        r##"<text x="10" y="42" fill="#666">dots: p50 (largest), p99, p999, max (smallest); red tick: the issue's p99 target{}</text>"##,
        if raw_p99_ms.is_some() {
            " (raw p99 + 10 ms)"
        } else {
            ""
        }
    );
    // Decade grid.
    let bottom = TOP + ROW_H * rows.len() as f64;
    for d in d0 as i32..=d1 as i32 {
        let v = 10f64.powi(d);
        let gx = x(v);
        let _ = writeln!(
            s,
            r##"<line x1="{gx:.1}" y1="{TOP}" x2="{gx:.1}" y2="{bottom}" stroke="#ddd"/><text x="{gx:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
            bottom + 16.0,
            fmt_ms(v)
        );
    }
    for (i, (name, p, t)) in rows.iter().enumerate() {
        let cy = TOP + ROW_H * i as f64 + ROW_H / 2.0;
        let _ = writeln!(
            s,
            r##"<text x="10" y="{:.1}">{name}</text><text x="10" y="{:.1}" fill="#666">n = {}</text>"##,
            cy - 2.0,
            cy + 13.0,
            p.count
        );
        if let Some(t) = t {
            let tx = x(*t);
            let _ = writeln!(
                s,
                r##"<line x1="{tx:.1}" y1="{:.1}" x2="{tx:.1}" y2="{:.1}" stroke="#c0392b" stroke-width="2"/>"##,
                cy - 12.0,
                cy + 12.0
            );
        }
        if p.count == 0 {
            continue;
        }
        let _ = writeln!(
            s,
            r##"<line x1="{:.1}" y1="{cy:.1}" x2="{:.1}" y2="{cy:.1}" stroke="#3b6fb6" stroke-width="2"/>"##,
            x(ms(p.p50_us)),
            x(ms(p.max_us))
        );
        let values = [p.p50_us, p.p99_us, p.p999_us, p.max_us];
        for ((label, radius), us) in MARKS.iter().zip(values) {
            let mx = x(ms(us));
            let _ = writeln!(
                s,
                r##"<circle cx="{mx:.1}" cy="{cy:.1}" r="{radius}" fill="#3b6fb6"/>"##
            );
            if *label == "p50" || *label == "p99" {
                let _ = writeln!(
                    s,
                    r#"<text x="{mx:.1}" y="{:.1}" text-anchor="middle" font-size="10">{label} {}</text>"#,
                    if *label == "p50" { cy - 9.0 } else { cy + 18.0 },
                    fmt_ms(ms(us))
                );
            }
        }
    }
    s.push_str("</svg>\n");
    s
}

fn fmt_ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.1} s", v / 1000.0)
    } else if v >= 10.0 {
        format!("{v:.0} ms")
    } else {
        format!("{v:.2} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::pipeline::RawReport;

    fn pct(p50_ms: u64, max_ms: u64) -> Percentiles {
        Percentiles {
            count: 10,
            p50_us: p50_ms * 1000,
            p99_us: (p50_ms + max_ms) * 500,
            p999_us: max_ms * 900,
            max_us: max_ms * 1000,
        }
    }

    fn report(raw: Option<RawReport>) -> PipelineReport {
        PipelineReport {
            backend: "embedded".into(),
            offered_rate: 1000,
            duration_s: 10.0,
            offered: 10_000,
            sustained_rate: 997.0,
            elapsed_s: 10.0,
            max_send_lag_ms: 1.0,
            accepted: pct(1, 20),
            applied: pct(3, 130),
            quest: pct(3, 131),
            reward: Percentiles::default(),
            stages: Vec::new(),
            board_apply: Percentiles::default(),
            event_ack: Percentiles::default(),
            lost: 0,
            refused: 0,
            processor: Default::default(),
            raw,
            kafka_target: None,
        }
    }

    #[test]
    fn embedded_run_marks_the_issue_targets() {
        let svg = render(&report(None));
        assert!(svg.starts_with("<svg ") && svg.ends_with("</svg>\n"));
        for row in ["accepted", "applied", "quest consumed", "reward consumed"] {
            assert!(svg.contains(&format!(">{row}</text>")), "{row}");
        }
        assert!(!svg.contains("raw rdkafka"));
        // Targets for applied and quest (reward has no samples: no dots,
        // but its target still shows), none for accepted.
        assert_eq!(svg.matches("#c0392b").count(), 3);
        // Four dots per row with samples.
        assert_eq!(svg.matches("<circle").count(), 12);
        assert!(svg.contains("p50 3.00 ms"), "{svg}");
    }

    #[test]
    fn kafka_run_adds_the_raw_row_and_its_margin() {
        let raw = RawReport {
            family: "game".into(),
            messages: 10_000,
            msgs_per_sec: 990.0,
            round_trip: pct(100, 300),
        };
        let svg = render(&report(Some(raw)));
        assert!(svg.contains(">raw rdkafka round trip</text>"));
        assert!(svg.contains("(raw p99 + 10 ms)"));
        assert_eq!(svg.matches("<circle").count(), 16);
    }

    #[test]
    fn ms_labels() {
        assert_eq!(fmt_ms(0.5), "0.50 ms");
        assert_eq!(fmt_ms(63.2), "63 ms");
        assert_eq!(fmt_ms(4702.0), "4.7 s");
    }
}
