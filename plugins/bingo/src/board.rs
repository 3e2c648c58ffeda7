//! Boards: how a team's board is drawn from the pool, and the geometry of
//! its lines.
//!
//! A board is a pure function of the game seed and the team id: the seed is
//! mixed with a stable FNV-1a hash of the id, and the SDK's [`SplitMix64`]
//! drives a partial Fisher-Yates shuffle of the pool. So a board is never
//! stored: it is drawn again whenever the team acts (a few dozen steps),
//! every replica draws the same one, and the state stays small. Cells are
//! numbered row-major, `0..size * size`.
//!
//! Lines are numbered `0..2 * size + 2`: rows, then columns, then the main
//! diagonal and the anti-diagonal. A team's paid lines are a bit mask over
//! these numbers.

use veltrix_sdk::rng::SplitMix64;

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

/// The board of `team`: `cells` distinct task indexes out of `0..pool`,
/// row-major.
pub fn draw(seed: u64, team: &str, pool: usize, cells: usize) -> Vec<u32> {
    let mut deck: Vec<u32> = (0..pool as u32).collect();
    let cells = cells.min(pool);
    SplitMix64::new(seed ^ fnv1a64(team)).partial_shuffle(&mut deck, cells);
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
    fn boards_never_change_for_a_given_seed_and_team() {
        // Boards are drawn again at every action, never stored: a different
        // draw would reshuffle the boards of the games in progress.
        assert_eq!(
            draw(42, "red", 40, 25),
            [
                1, 24, 29, 38, 33, 4, 15, 35, 6, 13, 36, 30, 21, 19, 28, 3, 2, 11, 12, 7, 22, 26,
                10, 27, 14
            ]
        );
        assert_eq!(
            draw(7, "t00", 25, 25),
            [
                24, 16, 20, 19, 5, 14, 11, 3, 1, 7, 9, 2, 21, 17, 8, 18, 12, 15, 13, 4, 22, 23, 0,
                10, 6
            ]
        );
        assert_eq!(draw(0, "", 10, 9), [7, 1, 4, 2, 6, 9, 0, 8, 3]);
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
