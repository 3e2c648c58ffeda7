//! Small helpers most game types need: distances and answer matching.

use crate::types::Location;

/// Mean Earth radius in metres (IUGG).
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle (haversine) distance in metres between two points.
pub fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().atan2((1.0 - a).sqrt())
}

/// Whether a device fix lies within `radius_m` of a point, with an accuracy
/// no worse than `max_accuracy_m`.
pub fn within(fix: &Location, lat: f64, lon: f64, radius_m: f64, max_accuracy_m: f32) -> bool {
    fix.accuracy_m.is_finite()
        && fix.accuracy_m >= 0.0
        && fix.accuracy_m <= max_accuracy_m
        && haversine_m(fix.lat, fix.lon, lat, lon) <= radius_m
}

/// Normalises a typed answer: lower case, whitespace collapsed and trimmed,
/// so "  Golden   Gate " matches "golden gate".
pub fn normalize_answer(s: &str) -> String {
    s.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether `answer` matches any of `accepted` after [`normalize_answer`].
pub fn answer_matches(answer: &str, accepted: &[String]) -> bool {
    let a = normalize_answer(answer);
    accepted.iter().any(|x| normalize_answer(x) == a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_known_distance() {
        // One degree along a meridian is R * pi / 180 = 111,195 m.
        let d = haversine_m(10.0, 20.0, 11.0, 20.0);
        assert!((d - 111_195.0).abs() < 1.0, "{d}");
        // Paris (Notre-Dame) to London (Big Ben): about 343 km.
        let d = haversine_m(48.8530, 2.3499, 51.5007, -0.1246);
        assert!((d - 343_000.0).abs() < 1_000.0, "{d}");
        assert_eq!(haversine_m(1.0, 2.0, 1.0, 2.0), 0.0);
    }

    #[test]
    fn within_checks_radius_and_accuracy() {
        let fix = Location {
            lat: 48.8530,
            lon: 2.3499,
            accuracy_m: 10.0,
        };
        assert!(within(&fix, 48.8531, 2.3499, 30.0, 20.0));
        assert!(!within(&fix, 48.8531, 2.3499, 30.0, 5.0));
        assert!(!within(&fix, 48.8630, 2.3499, 30.0, 20.0));
        let nan = Location {
            accuracy_m: f32::NAN,
            ..fix
        };
        assert!(!within(&nan, 48.8530, 2.3499, 30.0, 20.0));
    }

    #[test]
    fn answers_ignore_case_and_spacing() {
        let ok = vec!["Golden Gate".to_string()];
        assert!(answer_matches("  golden   GATE ", &ok));
        assert!(!answer_matches("goldengate", &ok));
    }
}
