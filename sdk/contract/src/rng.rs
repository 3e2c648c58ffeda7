//! Deterministic randomness for game types: [`SplitMix64`].
//!
//! A game type is a pure function of its config, its seed and its actions:
//! every replica, the native `Harness` and the WebAssembly
//! component must reach the same state from the same inputs. So a game type
//! never asks the platform for randomness (the sandbox only hands out a
//! fixed stream anyway), never reads the clock, and never relies on std's
//! hashers, which are randomly keyed. It derives every random choice from
//! the `seed` that `GameType::init` receives,
//! through [`SplitMix64`].
//!
//! Two ways to use it:
//!
//! - draw everything at `init` and keep the result in the state;
//! - or keep the seed (or the generator itself: it serialises as one
//!   number) in the state and draw again when needed. To give each team,
//!   round or cell its own stream, mix the seed with a stable hash of the
//!   id (`seed ^ fnv1a(id)`), never with std's `Hash`.
//!
//! ```
//! use veltrix_contract::rng::SplitMix64;
//!
//! // Deal each team its own order of 8 stations, from the game seed.
//! fn route(seed: u64, team_hash: u64) -> Vec<u32> {
//!     let mut rng = SplitMix64::new(seed ^ team_hash);
//!     let mut stations: Vec<u32> = (0..8).collect();
//!     rng.shuffle(&mut stations);
//!     stations
//! }
//!
//! assert_eq!(route(7, 1), route(7, 1));
//! assert_ne!(route(7, 1), route(7, 2));
//! ```
//!
//! The stream is part of the contract: for a given seed, every version of
//! the SDK yields the same numbers and the same results from each method,
//! on every target (the tests pin them). Changing it would change the games
//! in progress, whose state was built from it.

use serde::{Deserialize, Serialize};

/// splitmix64 (Steele, Lea and Flood; the constants of Vigna's reference
/// code): a tiny, fast, well-mixed generator whose whole state is one `u64`.
///
/// It passes BigCrush and is good for game rules and workload generation;
/// it is **not** cryptographic (the next numbers are easy to predict from
/// one output). Every method draws a fixed number of values from the
/// stream, documented on the method, whatever the result, so a game that
/// makes the same calls in the same order always gets the same answers.
///
/// It serialises as its state (one number), so a game can keep a generator
/// in its state and continue the stream in a later action. It is not `Copy`
/// on purpose: a silent copy would replay the same numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator seeded with `seed`. Every seed is fine, 0 included.
    pub const fn new(seed: u64) -> Self {
        Self(seed)
    }

    /// The next 64 random bits (one draw).
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform number in `[0, 1)`, with 53 random bits (one draw).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A uniform number in `0..n`; `below(0)` is 0 (one draw).
    ///
    /// Uses multiply-shift (the high half of `next_u64() * n`): no
    /// division, and a bias below `n / 2^64`, which is nothing for the
    /// sizes a game deals with.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// True with probability `numerator / denominator` (one draw): always
    /// when `numerator >= denominator`, never when `numerator` is 0. For
    /// odds finer than a percent, such as `ratio(3, 1_000)` or parts per
    /// million.
    pub fn ratio(&mut self, numerator: u64, denominator: u64) -> bool {
        self.below(denominator) < numerator
    }

    /// True with probability `percent`% (one draw): `chance(25)` is one
    /// time in four, `chance(0)` never, `chance(100)` always. The same as
    /// `ratio(percent, 100)`.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.ratio(percent, 100)
    }

    /// A uniformly chosen element of `xs`, or `None` if it is empty (one
    /// draw, even from an empty slice).
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> Option<&'a T> {
        xs.get(self.below(xs.len() as u64) as usize)
    }

    /// Puts `xs` in a uniformly random order (Fisher-Yates; `xs.len()`
    /// draws). The same as `partial_shuffle(xs, xs.len())`.
    pub fn shuffle<T>(&mut self, xs: &mut [T]) {
        self.partial_shuffle(xs, xs.len());
    }

    /// Makes the first `amount` elements of `xs` a uniform random sample of
    /// all of them, in random order; the rest keep the others, in no useful
    /// order (`amount.min(xs.len())` draws). Deal `k` cards from a deck with
    /// `partial_shuffle(&mut deck, k)` then `deck.truncate(k)`: the first
    /// `k` elements are exactly those a full [`shuffle`](Self::shuffle)
    /// from the same state would put there, for `k` draws instead of
    /// `xs.len()`.
    pub fn partial_shuffle<T>(&mut self, xs: &mut [T], amount: usize) {
        let len = xs.len();
        for i in 0..amount.min(len) {
            let j = i + self.below((len - i) as u64) as usize;
            xs.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_of_seed_0_is_the_reference_one() {
        // Outputs of Vigna's splitmix64.c from state 0.
        let mut r = SplitMix64::new(0);
        let first: Vec<u64> = (0..4).map(|_| r.next_u64()).collect();
        assert_eq!(
            first,
            [
                0xE220_A839_7B1D_CDAF,
                0x6E78_9E6A_A1B9_65F4,
                0x06C4_5D18_8009_454F,
                0xF88B_B8A8_724C_81EC
            ]
        );
    }

    #[test]
    fn derived_draws_are_pinned() {
        // These feed game states: they must never change.
        let mut r = SplitMix64::new(0);
        let tens: Vec<u64> = (0..8).map(|_| r.below(10)).collect();
        assert_eq!(tens, [8, 4, 0, 9, 1, 3, 1, 7]);
        let mut r = SplitMix64::new(42);
        let dice: Vec<u64> = (0..8).map(|_| r.below(6)).collect();
        assert_eq!(dice, [4, 0, 1, 2, 0, 5, 1, 4]);
        let mut r = SplitMix64::new(0);
        assert_eq!(
            r.next_f64(),
            (0xE220_A839_7B1D_CDAF_u64 >> 11) as f64 / 2f64.powi(53)
        );
        let mut deck: Vec<u32> = (0..10).collect();
        SplitMix64::new(0).shuffle(&mut deck);
        assert_eq!(deck, [8, 4, 2, 9, 1, 6, 5, 3, 0, 7]);
    }

    #[test]
    fn same_seed_same_stream_other_seed_other_stream() {
        let draw = |seed| {
            let mut r = SplitMix64::new(seed);
            (0..64).map(|_| r.next_u64()).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
        let mut a = SplitMix64::new(7);
        let mut b = a.clone();
        assert_eq!(a.below(1_000), b.below(1_000));
        assert_eq!(a, b);
    }

    #[test]
    fn below_stays_in_bounds_and_tolerates_zero() {
        let mut r = SplitMix64::new(1);
        assert_eq!(r.below(0), 0);
        assert_eq!(r.below(1), 0);
        for n in [2, 3, 7, 10, 100, 1_000_003, u64::from(u32::MAX), u64::MAX] {
            for _ in 0..1_000 {
                assert!(r.below(n) < n);
            }
        }
        // Every value of a small range shows up, about equally often.
        let mut counts = [0u32; 6];
        for _ in 0..60_000 {
            counts[r.below(6) as usize] += 1;
        }
        assert!(
            counts.iter().all(|&c| (9_000..11_000).contains(&c)),
            "{counts:?}"
        );
        for _ in 0..1_000 {
            let x = r.next_f64();
            assert!((0.0..1.0).contains(&x));
        }
    }

    #[test]
    fn chance_and_ratio_hit_their_odds() {
        let mut r = SplitMix64::new(3);
        assert!((0..1_000).all(|_| !r.chance(0) && r.chance(100) && r.chance(250)));
        assert!((0..1_000).all(|_| !r.ratio(0, 7) && r.ratio(7, 7) && r.ratio(1, 0)));
        assert!(!r.ratio(0, 0));
        let quarter = (0..100_000).filter(|_| r.chance(25)).count();
        assert!((24_000..26_000).contains(&quarter), "{quarter}");
        let rare = (0..1_000_000).filter(|_| r.ratio(3_000, 1_000_000)).count();
        assert!((2_700..3_300).contains(&rare), "{rare}");
    }

    #[test]
    fn every_method_draws_a_fixed_number_of_values() {
        let mut a = SplitMix64::new(9);
        let mut b = SplitMix64::new(9);
        a.below(5);
        a.chance(50);
        a.ratio(1, 3);
        a.next_f64();
        a.pick::<u8>(&[]);
        a.pick(&[1, 2, 3]);
        for _ in 0..6 {
            b.next_u64();
        }
        assert_eq!(a, b);
        let mut deck = [0u8; 5];
        a.shuffle(&mut deck);
        a.partial_shuffle(&mut deck, 2);
        a.partial_shuffle(&mut deck, 99);
        for _ in 0..5 + 2 + 5 {
            b.next_u64();
        }
        assert_eq!(a, b);
    }

    #[test]
    fn pick_and_shuffle() {
        let mut r = SplitMix64::new(5);
        assert_eq!(r.pick::<u8>(&[]), None);
        assert_eq!(r.pick(&["only"]), Some(&"only"));
        let xs = [10, 20, 30];
        assert!((0..100).all(|_| xs.contains(r.pick(&xs).unwrap())));
        let mut deck: Vec<u32> = (0..50).collect();
        r.shuffle(&mut deck);
        assert_ne!(deck, (0..50).collect::<Vec<_>>());
        let mut sorted = deck.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        // A partial shuffle deals the same prefix as a full one.
        let (mut full, mut part) = ((0..40).collect::<Vec<u32>>(), (0..40).collect::<Vec<u32>>());
        SplitMix64::new(11).shuffle(&mut full);
        SplitMix64::new(11).partial_shuffle(&mut part, 25);
        assert_eq!(full[..25], part[..25]);
        let mut empty: [u8; 0] = [];
        r.shuffle(&mut empty);
    }

    #[test]
    fn a_stored_generator_continues_its_stream() {
        let mut r = SplitMix64::new(12);
        r.next_u64();
        let json = serde_json::to_string(&r).unwrap();
        let mut back: SplitMix64 = serde_json::from_str(&json).unwrap();
        let bytes = postcard::to_allocvec(&r).unwrap();
        let mut back2: SplitMix64 = postcard::from_bytes(&bytes).unwrap();
        let next = r.next_u64();
        assert_eq!(back.next_u64(), next);
        assert_eq!(back2.next_u64(), next);
    }
}
