//! The `territory` game type: placeholder until its rules land.
