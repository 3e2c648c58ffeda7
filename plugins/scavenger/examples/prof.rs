use std::collections::BTreeMap;
use veltrix_scavenger::Scavenger;
use veltrix_sdk::raw;
fn main() {
    let acts = veltrix_scavenger::sample::actions(5000, 1);
    let mut st = raw::init::<Scavenger>(&veltrix_scavenger::sample::config(), 7).unwrap();
    let mut per: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    for a in &acts {
        let t0 = std::time::Instant::now();
        let mut r = raw::apply::<Scavenger>(&st, a);
        for _ in 0..20 { r = raw::apply::<Scavenger>(&st, a); }
        let el = t0.elapsed().as_secs_f64() * 1e6 / 21.0;
        let k = format!("{} {}", a.kind, if r.is_ok() { "ok" } else { "rej" });
        let e = per.entry(k).or_default(); e.0 += el; e.1 += 1;
        if let Ok(t) = r { st = t.state; }
    }
    for (k, (t, n)) in per { println!("{k}: {:.2} us x{n}", t / n as f64); }
    let n = 20000;
    let t0 = std::time::Instant::now();
    for _ in 0..n { let s = raw::decode_state::<Scavenger>(&st).unwrap(); std::hint::black_box(&s); }
    println!("decode {:.2} us ({} bytes)", t0.elapsed().as_secs_f64()*1e6/n as f64, st.len());
    let s = raw::decode_state::<Scavenger>(&st).unwrap();
    let t0 = std::time::Instant::now();
    for _ in 0..n { let b = raw::encode_state::<Scavenger>(&s).unwrap(); std::hint::black_box(&b); }
    println!("encode {:.2} us", t0.elapsed().as_secs_f64()*1e6/n as f64);
}
