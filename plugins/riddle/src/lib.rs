//! The `riddle` game type: placeholder until its rules land.
