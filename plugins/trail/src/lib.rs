//! The `trail` game type: placeholder until its rules land.
