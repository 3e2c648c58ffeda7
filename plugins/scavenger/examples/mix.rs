use std::collections::BTreeMap;
use veltrix_sdk::prelude::*;
fn main() {
    let n: usize = std::env::args().nth(1).map(|s| s.parse().unwrap()).unwrap_or(5000);
    let mut g = Harness::<veltrix_scavenger::Scavenger>::new(&veltrix_scavenger::sample::config(), 7).unwrap();
    let mut stats: BTreeMap<String, usize> = BTreeMap::new();
    let acts = veltrix_scavenger::sample::actions(n, 1);
    let t0 = std::time::Instant::now();
    for a in acts.iter().cloned() {
        let k = a.kind.clone();
        let r = g.apply(a);
        let key = match r { Ok(_) => format!("{k} ok"), Err(e) => format!("{k} {:?}", e.code) };
        *stats.entry(key).or_default() += 1;
    }
    let el = t0.elapsed();
    println!("{stats:#?}\nstate {} bytes, rewards {}, {:.2} us/apply (harness)", g.state_bytes().len(), g.rewards().len(), el.as_secs_f64()*1e6/n as f64);
    // raw apply timing
    let state0 = veltrix_sdk::raw::init::<veltrix_scavenger::Scavenger>(&veltrix_scavenger::sample::config(), 7).unwrap();
    let mut st = state0.clone();
    let t0 = std::time::Instant::now();
    for a in &acts { if let Ok(t) = veltrix_sdk::raw::apply::<veltrix_scavenger::Scavenger>(&st, a) { st = t.state; } }
    println!("raw {:.2} us/apply", t0.elapsed().as_secs_f64()*1e6/n as f64);
}
#[allow(dead_code)]
fn unused() {}
