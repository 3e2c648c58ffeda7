//! Checking in at the current step: by the step's QR code, or by a location
//! fix inside its geofence (haversine distance <= radius and device accuracy
//! <= the step's limit). Arriving opens the step's task, or completes a step
//! that has none.

use veltrix_sdk::util::{haversine_m, within};
use veltrix_sdk::{Action, Effects, Location, Rejection, RejectionCode};

use crate::progress::{StepDetail, complete};
use crate::state::{Geofence, State};
use crate::turn::{Turn, reject};

/// `arrive {step, qr?}`: check in by QR code, or by the action's location.
pub(crate) fn arrive(
    s: &State,
    a: &Action,
    fx: &mut Effects,
    turn: &mut Turn,
    qr: Option<&str>,
) -> Result<(), Rejection> {
    let st = &turn.st;
    let id = s.step_ids.get(turn.step);
    let via = match (qr, st.qr) {
        (Some(code), Some(q)) if code.trim() == s.text.get(usize::from(q)) => "qr",
        (Some(_), Some(_)) => {
            return Err(reject(
                RejectionCode::Incorrect,
                format!("not the QR code of `{id}`"),
            ));
        }
        (Some(_), None) => {
            return Err(reject(
                RejectionCode::Incorrect,
                format!("`{id}` has no QR code: check in on location"),
            ));
        }
        (None, _) => {
            let Some(geo) = st.geo else {
                return Err(reject(
                    RejectionCode::InvalidPayload,
                    format!("`{id}` checks in by QR code: send `qr`"),
                ));
            };
            let Some(fix) = a.location else {
                return Err(reject(
                    RejectionCode::InvalidPayload,
                    "checking in needs a device location (or a `qr` code)",
                ));
            };
            if !within(
                &fix,
                geo.lat,
                geo.lon,
                f64::from(geo.radius_m),
                geo.max_accuracy_m,
            ) {
                return Err(reject(RejectionCode::Incorrect, miss(&fix, &geo)));
            }
            "gps"
        }
    };
    let detail = StepDetail {
        lap: turn.t.lap,
        via: Some(via),
        points: None,
        penalty_ms: None,
    };
    fx.quest(id, "arrived", a, &detail);
    if st.has_task() {
        turn.t.arrived = true;
        fx.quest(
            id,
            "task-open",
            a,
            StepDetail {
                via: None,
                ..detail
            },
        );
    } else {
        complete(s, a, fx, turn);
    }
    Ok(())
}

/// Why a fix is not inside a geofence, for the player.
fn miss(fix: &Location, geo: &Geofence) -> String {
    let acc = fix.accuracy_m;
    if !(acc.is_finite() && acc >= 0.0 && acc <= geo.max_accuracy_m) {
        return format!(
            "location accuracy {acc:.0} m is not good enough (need {:.0} m or better)",
            geo.max_accuracy_m
        );
    }
    let d = haversine_m(fix.lat, fix.lon, geo.lat, geo.lon);
    format!(
        "you are {d:.0} m from the checkpoint (must be within {:.0} m)",
        geo.radius_m
    )
}
