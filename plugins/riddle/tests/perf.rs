//! Throughput of the whole byte-level apply (decode, rules, encode) on the
//! benchmark stream. Ignored by default; run in release:
//! `cargo test --release -p veltrix-riddle --test perf -- --ignored --nocapture`

use std::time::Instant;

use veltrix_riddle::{Riddle, sample};
use veltrix_sdk::GameStatus;
use veltrix_sdk::raw;

#[test]
#[ignore = "timing; run in release"]
fn apply_takes_a_few_microseconds() {
    let n = 200_000;
    let actions = sample::actions(n, 1);
    let mut state = raw::init::<Riddle>(&sample::config(), 1).unwrap();
    let (mut ok, mut max_state, mut status) = (0, 0, GameStatus::Waiting);
    let start = Instant::now();
    for a in &actions {
        if let Ok(t) = raw::apply::<Riddle>(&state, a) {
            state = t.state;
            status = t.status;
            ok += 1;
        }
        max_state = max_state.max(state.len());
    }
    let per = start.elapsed().as_secs_f64() * 1e6 / n as f64;
    eprintln!("{per:.2} us/apply, {ok} accepted of {n}, state <= {max_state} bytes");
    assert_eq!(status, GameStatus::Running);
    assert!(max_state < 8_000);
}

#[test]
#[ignore = "timing; run in release"]
fn breakdown() {
    let actions = sample::actions(20_000, 1);
    let mut state = raw::init::<Riddle>(&sample::config(), 1).unwrap();
    for a in &actions {
        if let Ok(t) = raw::apply::<Riddle>(&state, a) {
            state = t.state;
        }
    }
    let k = 100_000;
    let t0 = Instant::now();
    for _ in 0..k {
        let s = raw::decode_state::<Riddle>(std::hint::black_box(&state)).unwrap();
        std::hint::black_box(&s);
    }
    let dec = t0.elapsed().as_secs_f64() * 1e6 / k as f64;
    let s = raw::decode_state::<Riddle>(&state).unwrap();
    let t0 = Instant::now();
    for _ in 0..k {
        let b = raw::encode_state::<Riddle>(std::hint::black_box(&s)).unwrap();
        std::hint::black_box(&b);
    }
    let enc = t0.elapsed().as_secs_f64() * 1e6 / k as f64;
    let t0 = Instant::now();
    let mut n = 0;
    for a in actions.iter().cycle().take(k) {
        n += raw::apply::<Riddle>(&state, a).is_ok() as usize;
    }
    let app = t0.elapsed().as_secs_f64() * 1e6 / k as f64;
    eprintln!(
        "decode {dec:.2} us, encode {enc:.2} us, apply {app:.2} us ({n} ok), state {} bytes",
        state.len()
    );
}
