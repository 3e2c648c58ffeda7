//! The `scavenger` game type: placeholder until its rules land.
