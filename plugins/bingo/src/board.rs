//! Boards: how a team's board is drawn from the pool, and the geometry of
//! its lines.
//!
//! A board is a pure function of the game seed and the team id: the seed is
//! mixed with a stable FNV-1a hash of the id, and a splitmix64 stream drives
//! a partial Fisher-Yates shuffle of the pool. So a board is never stored:
//! it is drawn again whenever the team acts (a few dozen steps), every
//! replica draws the same one, and the state stays small. Cells are numbered
//! row-major, `0..size * size`.
//!
//! Lines are numbered `0..2 * size + 2`: rows, then columns, then the main
//! diagonal and the anti-diagonal. A team's paid lines are a bit mask over
//! these numbers.

/// 64-bit FNV-1a of `s`: stable across platforms and versions, unlike std's
/// hashers.
pub fn fnv1a64(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// splitmix64: a tiny, well-mixed, seedable generator.
#[derive(Debug, Clone)]
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`), by multiply-shift (bias below 2^-50
    /// for the pool sizes allowed).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// The board of `team`: `cells` distinct task indexes out of `0..pool`,
/// row-major.
pub fn draw(seed: u64, team: &str, pool: usize, cells: usize) -> Vec<u32> {
    let mut rng = SplitMix64(seed ^ fnv1a64(team));
    let mut deck: Vec<u32> = (0..pool as u32).collect();
    let cells = cells.min(pool);
    for i in 0..cells {
        let j = i + rng.below(pool - i);
        deck.swap(i, j);
    }
    deck.truncate(cells);
    deck
}

/// Number of lines on a `size x size` board.
pub fn line_count(size: u8) -> u32 {
    2 * u32::from(size) + 2
}

/// The lines through `cell`: its row, its column, and the diagonals it
/// lies on.
pub fn lines_through(size: u8, cell: usize) -> impl Iterator<Item = u32> {
    let n = usize::from(size);
    let (r, c) = (cell / n, cell % n);
    let n32 = n as u32;
    [
        Some(r as u32),
        Some(n32 + c as u32),
        (r == c).then_some(2 * n32),
        (r + c == n - 1).then_some(2 * n32 + 1),
    ]
    .into_iter()
    .flatten()
}

/// The cells of `line`.
pub fn line_cells(size: u8, line: u32) -> impl Iterator<Item = usize> {
    let n = usize::from(size);
    let l = line as usize;
    (0..n).map(move |k| match l {
        l if l < n => l * n + k,
        l if l < 2 * n => k * n + (l - n),
        l if l == 2 * n => k * n + k,
        _ => k * n + (n - 1 - k),
    })
}

/// Human- and key-friendly name of `line`: `row-1`, `col-3`, `diag`, `anti`.
pub fn line_name(size: u8, line: u32) -> String {
    let n = u32::from(size);
    match line {
        l if l < n => format!("row-{}", l + 1),
        l if l < 2 * n => format!("col-{}", l - n + 1),
        l if l == 2 * n => "diag".into(),
        _ => "anti".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnv_is_the_reference_function() {
        // Reference values of 64-bit FNV-1a.
        assert_eq!(fnv1a64(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64("a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn boards_are_deterministic_distinct_and_differ_by_team() {
        let a = draw(42, "red", 40, 25);
        assert_eq!(a, draw(42, "red", 40, 25));
        let mut sorted = a.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 25);
        assert!(a.iter().all(|&t| t < 40));
        assert_ne!(a, draw(42, "blue", 40, 25));
        assert_ne!(a, draw(43, "red", 40, 25));
    }

    #[test]
    fn line_geometry_of_a_3x3_board() {
        assert_eq!(lines_through(3, 4).collect::<Vec<_>>(), vec![1, 4, 6, 7]);
        assert_eq!(lines_through(3, 2).collect::<Vec<_>>(), vec![0, 5, 7]);
        assert_eq!(lines_through(3, 3).collect::<Vec<_>>(), vec![1, 3]);
        assert_eq!(line_cells(3, 1).collect::<Vec<_>>(), vec![3, 4, 5]);
        assert_eq!(line_cells(3, 5).collect::<Vec<_>>(), vec![2, 5, 8]);
        assert_eq!(line_cells(3, 6).collect::<Vec<_>>(), vec![0, 4, 8]);
        assert_eq!(line_cells(3, 7).collect::<Vec<_>>(), vec![2, 4, 6]);
        let names: Vec<_> = (0..line_count(3)).map(|l| line_name(3, l)).collect();
        assert_eq!(
            names,
            [
                "row-1", "row-2", "row-3", "col-1", "col-2", "col-3", "diag", "anti"
            ]
        );
    }
}
