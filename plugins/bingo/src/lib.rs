//! The `bingo` game type: placeholder until its rules land.
