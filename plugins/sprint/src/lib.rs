//! The `sprint` game type: placeholder until its rules land.
