//! Native cost of one apply on the sample workload (decode + rules + encode).
//! Run with `cargo test --release -p veltrix-territory --test throughput -- --ignored --nocapture`.

use std::time::Instant;

use veltrix_sdk::raw;
use veltrix_territory::{Territory, sample};

#[test]
#[ignore = "timing; run in release"]
fn apply_cost_on_the_sample_stream() {
    let actions = sample::actions(200_000, 1);
    let mut state = raw::init::<Territory>(&sample::config(), 1).unwrap();
    let (mut ok, mut max_len) = (0, 0);
    let start = Instant::now();
    for a in &actions {
        if let Ok(t) = raw::apply::<Territory>(&state, a) {
            state = t.state;
            ok += 1;
            max_len = max_len.max(state.len());
        }
    }
    let per = start.elapsed().as_secs_f64() * 1e6 / actions.len() as f64;
    println!(
        "{per:.2} us/apply, {ok} accepted of {}, state <= {max_len} bytes",
        actions.len()
    );
}

#[test]
#[ignore = "timing; run in release"]
fn decode_encode_cost() {
    let actions = sample::actions(20_000, 1);
    let mut state = raw::init::<Territory>(&sample::config(), 1).unwrap();
    for a in &actions {
        if let Ok(t) = raw::apply::<Territory>(&state, a) {
            state = t.state;
        }
    }
    let n = 200_000;
    let start = Instant::now();
    for _ in 0..n {
        let s = raw::decode_state::<Territory>(std::hint::black_box(&state)).unwrap();
        std::hint::black_box(raw::encode_state::<Territory>(&s).unwrap());
    }
    let per = start.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!("{per:.2} us/decode+encode of {} bytes", state.len());
    let s = raw::decode_state::<Territory>(&state).unwrap();
    let start = Instant::now();
    for _ in 0..n {
        std::hint::black_box(raw::encode_state::<Territory>(std::hint::black_box(&s)).unwrap());
    }
    println!(
        "{:.2} us/encode",
        start.elapsed().as_secs_f64() * 1e6 / n as f64
    );
    let start = Instant::now();
    for a in &actions {
        std::hint::black_box(serde_json::from_str::<serde_json::Value>(&a.payload).ok());
    }
    let per = start.elapsed().as_secs_f64() * 1e6 / actions.len() as f64;
    println!("{per:.2} us/payload parse");
}
