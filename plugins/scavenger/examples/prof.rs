use veltrix_scavenger::Scavenger;
use veltrix_sdk::raw;
fn main() {
    let acts = veltrix_scavenger::sample::actions(5000, 1);
    let mut st = raw::init::<Scavenger>(&veltrix_scavenger::sample::config(), 7).unwrap();
    for a in &acts { if let Ok(t) = raw::apply::<Scavenger>(&st, a) { st = t.state; } }
    let n = 20000;
    let t0 = std::time::Instant::now();
    for _ in 0..n { let s = raw::decode_state::<Scavenger>(&st).unwrap(); std::hint::black_box(&s); }
    println!("decode {:.2} us", t0.elapsed().as_secs_f64()*1e6/n as f64);
    let s = raw::decode_state::<Scavenger>(&st).unwrap();
    let t0 = std::time::Instant::now();
    for _ in 0..n { let b = raw::encode_state::<Scavenger>(&s).unwrap(); std::hint::black_box(&b); }
    println!("encode {:.2} us", t0.elapsed().as_secs_f64()*1e6/n as f64);
    let a = &acts[4990];
    let t0 = std::time::Instant::now();
    for _ in 0..n { let r = raw::apply::<Scavenger>(&st, a); std::hint::black_box(&r); }
    println!("apply {:.2} us ({})", t0.elapsed().as_secs_f64()*1e6/n as f64, a.kind);
}
