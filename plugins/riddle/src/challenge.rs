//! The challenge board: challenges, hints, value decay and unlock gates.
//!
//! Everything here is fixed at `init` except each challenge's solve count.
//! Sets of challenges or hints are bit masks ([`Mask`]), which is why a game
//! has at most [`MAX_CHALLENGES`] challenges and [`MAX_HINTS`] hints.

use serde::{Deserialize, Serialize};

use veltrix_sdk::pack::{Names, Reader, Record, Span, Table, Writer};

/// Most challenges in one game (one bit each in a [`Mask`]).
pub const MAX_CHALLENGES: usize = 128;
/// Most hints in one game, all challenges together.
pub const MAX_HINTS: usize = 128;

/// A set of challenge (or hint) indexes.
pub type Mask = u128;

/// The mask holding only index `i`.
pub fn bit(i: usize) -> Mask {
    1u128 << i
}

/// How a challenge's value falls as teams solve it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decay {
    /// Always worth its points.
    Fixed,
    /// Falls by the same amount per solve, reaching `floor` after
    /// `solves_to_floor` solves.
    Linear {
        /// Lowest value.
        floor: i64,
        /// Prior solves at which the value reaches the floor.
        solves_to_floor: u32,
    },
    /// Falls fast for the first solves, then slowly:
    /// `points - (points - floor) * log2(1 + n) / log2(1 + solves_to_floor)`.
    Logarithmic {
        /// Lowest value.
        floor: i64,
        /// Prior solves at which the value reaches the floor.
        solves_to_floor: u32,
    },
}

impl Decay {
    /// The value of a challenge worth `points` for a team that solves it
    /// after `prior` other teams. Integer-only, so wasm and native agree.
    pub fn value(self, points: i64, prior: u32) -> i64 {
        match self {
            Decay::Fixed => points,
            Decay::Linear {
                floor,
                solves_to_floor: k,
            } => {
                if prior >= k {
                    floor
                } else {
                    points - (points - floor) * i64::from(prior) / i64::from(k)
                }
            }
            Decay::Logarithmic {
                floor,
                solves_to_floor: k,
            } => {
                if prior >= k {
                    floor
                } else {
                    let num = (points - floor) as i128 * log2_q16(u64::from(prior) + 1) as i128;
                    points - (num / log2_q16(u64::from(k) + 1) as i128) as i64
                }
            }
        }
    }
}

/// `log2(x)` in 16.16 fixed point, for `x >= 1` (0 for 0), by repeated
/// squaring of the mantissa: exact bits, no floating point.
pub fn log2_q16(x: u64) -> u64 {
    if x == 0 {
        return 0;
    }
    let int = u64::from(63 - x.leading_zeros());
    // Mantissa in [1, 2) as 2.32 fixed point.
    let mut m: u128 = (u128::from(x) << 32) >> int;
    let mut frac = 0u64;
    for b in (0..16).rev() {
        m = (m * m) >> 32;
        if m >= 2u128 << 32 {
            m >>= 1;
            frac |= 1 << b;
        }
    }
    (int << 16) | frac
}

/// When a challenge opens for a team: all conditions must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Gate {
    /// Released to everybody at this game time.
    pub at_ms: Option<i64>,
    /// The team must have solved all of these challenges.
    pub after: Mask,
    /// The team must have solved at least this many challenges.
    pub min_solves: u32,
}

/// Why a challenge is still locked for a team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lock {
    /// Not released yet; opens at this game time.
    Time(i64),
    /// These prerequisite challenges are still unsolved.
    After(Mask),
    /// The team needs this many solves in total.
    MinSolves(u32),
}

impl Gate {
    /// Whether the gate is open for a team that solved `solved`, given
    /// whether its release time has passed.
    pub fn check(&self, released: bool, solved: Mask) -> Result<(), Lock> {
        if !released {
            return Err(Lock::Time(self.at_ms.unwrap_or(0)));
        }
        let missing = self.after & !solved;
        if missing != 0 {
            return Err(Lock::After(missing));
        }
        if solved.count_ones() < self.min_solves {
            return Err(Lock::MinSolves(self.min_solves));
        }
        Ok(())
    }

    /// Whether solving other challenges can open this gate.
    pub fn depends_on_solves(&self) -> bool {
        self.after != 0 || self.min_solves > 0
    }
}

/// One challenge of the board (its id, also its quest id, is in
/// [`Board::ids`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Challenge {
    /// Accepted answers, normalised: a run of [`Board::text`].
    pub answers: Span,
    /// Value for the first solver.
    pub points: i64,
    /// How the value falls with solves.
    pub decay: Decay,
    /// Bonus for the first team to solve it.
    pub first_bonus: i64,
    /// When it opens.
    pub gate: Gate,
    /// Index of its first hint in the board's hints.
    pub first_hint: u16,
    /// Number of hints.
    pub hint_count: u16,
    /// Teams that solved it so far (the only field that changes).
    pub solves: u32,
}

impl Challenge {
    /// What the next solver would get (bonus not included).
    pub fn value_now(&self) -> i64 {
        self.decay.value(self.points, self.solves)
    }
}

impl Record for Challenge {
    const SIZE: usize = Span::SIZE + 8 + 13 + 8 + 29 + 2 + 2 + 4;

    fn read(r: &mut Reader<'_>) -> Self {
        let answers = Span::read(r);
        let points = r.i64();
        let (kind, floor, solves_to_floor) = (r.u8(), r.i64(), r.u32());
        let decay = match kind {
            1 => Decay::Linear {
                floor,
                solves_to_floor,
            },
            2 => Decay::Logarithmic {
                floor,
                solves_to_floor,
            },
            _ => Decay::Fixed,
        };
        let first_bonus = r.i64();
        let (has_at, at) = (r.u8(), r.i64());
        let gate = Gate {
            at_ms: (has_at != 0).then_some(at),
            after: r.u128(),
            min_solves: r.u32(),
        };
        Challenge {
            answers,
            points,
            decay,
            first_bonus,
            gate,
            first_hint: r.u16(),
            hint_count: r.u16(),
            solves: r.u32(),
        }
    }

    fn write(&self, w: &mut Writer<'_>) {
        self.answers.write(w);
        w.i64(self.points);
        let (kind, floor, k) = match self.decay {
            Decay::Fixed => (0, 0, 0),
            Decay::Linear {
                floor,
                solves_to_floor,
            } => (1, floor, solves_to_floor),
            Decay::Logarithmic {
                floor,
                solves_to_floor,
            } => (2, floor, solves_to_floor),
        };
        w.u8(kind);
        w.i64(floor);
        w.u32(k);
        w.i64(self.first_bonus);
        w.u8(u8::from(self.gate.at_ms.is_some()));
        w.i64(self.gate.at_ms.unwrap_or(0));
        w.u128(self.gate.after);
        w.u32(self.gate.min_solves);
        w.u16(self.first_hint);
        w.u16(self.hint_count);
        w.u32(self.solves);
    }
}

/// A hint: its text and what it costs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hint {
    /// Text revealed to the buying team (index in [`Board::text`]).
    pub text: u32,
    /// Points it costs (positive).
    pub cost: i64,
}

impl Record for Hint {
    const SIZE: usize = 4 + 8;
    fn read(r: &mut Reader<'_>) -> Self {
        Hint {
            text: r.u32(),
            cost: r.i64(),
        }
    }
    fn write(&self, w: &mut Writer<'_>) {
        w.u32(self.text);
        w.i64(self.cost);
    }
}

/// Wrong-answer rate limit, per team.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Wrong answers allowed per window; the last one starts the cooldown.
    pub max_wrong: u32,
    /// Window length, from the team's first wrong answer in it.
    pub window_ms: i64,
    /// How long attempts are refused after the limit is hit.
    pub cooldown_ms: i64,
}

/// The challenge board of one game.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Board {
    /// Challenge ids: challenge `c`'s is entry `c`.
    pub ids: Names,
    /// Answers and hint texts.
    pub text: Names,
    /// Challenges in config order.
    pub challenges: Table<Challenge>,
    /// Hints of all challenges, grouped by challenge.
    pub hints: Table<Hint>,
    /// Wrong-answer rate limit.
    pub rate: RateLimit,
}

impl Board {
    /// Number of challenges.
    pub fn len(&self) -> usize {
        self.challenges.len()
    }

    /// Whether the board has no challenge (never, once validated).
    pub fn is_empty(&self) -> bool {
        self.challenges.is_empty()
    }

    /// Challenge `c`.
    pub fn get(&self, c: usize) -> Challenge {
        self.challenges.get(c)
    }

    /// Index of the challenge called `id`.
    pub fn find(&self, id: &str) -> Option<usize> {
        self.ids.find(id)
    }

    /// Id of challenge `c`.
    pub fn id(&self, c: usize) -> &str {
        self.ids.get(c)
    }

    /// Whether a normalised answer is accepted by challenge `ch`.
    pub fn accepts(&self, ch: &Challenge, normalized: &str) -> bool {
        self.text.span(ch.answers).any(|x| x == normalized)
    }

    /// Global index of hint `h` of challenge `ch`, if it exists.
    pub fn hint_index(&self, ch: &Challenge, h: u32) -> Option<usize> {
        (h < u32::from(ch.hint_count)).then(|| usize::from(ch.first_hint) + h as usize)
    }

    /// Comma-separated ids of the challenges in `mask`.
    pub fn ids(&self, mask: Mask) -> String {
        (0..self.len())
            .filter(|&i| mask & bit(i) != 0)
            .map(|i| self.id(i))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log2_is_exact_on_powers_and_close_elsewhere() {
        assert_eq!(log2_q16(1), 0);
        assert_eq!(log2_q16(8), 3 << 16);
        assert_eq!(log2_q16(1 << 40), 40 << 16);
        let l3 = log2_q16(3) as f64 / 65_536.0;
        assert!((l3 - 3f64.log2()).abs() < 1e-4, "{l3}");
        let l1000 = log2_q16(1000) as f64 / 65_536.0;
        assert!((l1000 - 1000f64.log2()).abs() < 1e-4, "{l1000}");
    }

    #[test]
    fn decay_curves_reach_the_floor_and_never_go_below() {
        let lin = Decay::Linear {
            floor: 100,
            solves_to_floor: 4,
        };
        let got: Vec<i64> = (0..7).map(|n| lin.value(500, n)).collect();
        assert_eq!(got, vec![500, 400, 300, 200, 100, 100, 100]);
        let log = Decay::Logarithmic {
            floor: 100,
            solves_to_floor: 7,
        };
        let got: Vec<i64> = (0..10).map(|n| log.value(500, n)).collect();
        // log2(1 + n) / log2(8): 0, 1/3, 0.528, 2/3, ...
        assert_eq!(got[0], 500);
        assert_eq!(got[1], 367);
        assert_eq!(got[3], 234);
        assert_eq!(got[7], 100);
        assert!(got.windows(2).all(|w| w[0] >= w[1]));
        assert!(got.iter().all(|&v| v >= 100));
        // The first solves cost more than later ones.
        assert!(got[0] - got[1] > got[5] - got[6]);
    }

    #[test]
    fn gates_check_time_then_prerequisites_then_count() {
        let g = Gate {
            at_ms: Some(50),
            after: 0b10,
            min_solves: 2,
        };
        assert_eq!(g.check(false, 0), Err(Lock::Time(50)));
        assert_eq!(g.check(true, 0b01), Err(Lock::After(0b10)));
        assert_eq!(g.check(true, 0b10), Err(Lock::MinSolves(2)));
        assert_eq!(g.check(true, 0b110), Ok(()));
        assert!(g.depends_on_solves());
        assert!(!Gate::default().depends_on_solves());
    }
}
