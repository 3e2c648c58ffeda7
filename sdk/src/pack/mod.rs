//! Compact state containers: data that decodes in a few copies.
//!
//! The host hands the state to every `apply` as bytes: [`crate::raw::apply`]
//! decodes it (postcard), applies the action and encodes it again. With
//! plain serde types that round trip costs a call per field, an allocation
//! per `String` and a varint per number, so a state holding a few hundred
//! teams, players or tasks spends most of an apply decoding and encoding
//! itself. The containers here serialise as one byte string each: decoding
//! one is one allocation and one copy, whatever it holds, and the rules
//! read and write only the entries an action touches.
//!
//! - [`Table`]: fixed-width [`Record`]s (your structs, with a little-endian
//!   layout written through [`Reader`] and [`Writer`]), e.g. per-team scores
//!   or the compiled tasks of the config;
//! - [`Names`]: interned strings (ids, answers, hints) with stable indexes,
//!   lookup by value, and [`Span`]s for runs of entries; the rest of the
//!   state refers to a string by its index;
//! - [`Bytes`]: raw bytes (per-cell marks, bitmaps);
//! - [`Roster`]: teams and players ready-made (a player stays on their
//!   first team), with per-team data in a [`Record`].
//!
//! Every container tolerates corrupt bytes without panicking: decoding
//! refuses a byte string of the wrong shape, and an index out of range
//! reads as the all-zero record or the empty string.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use veltrix_sdk::pack::{Names, Reader, Record, Table, Writer};
//!
//! /// One team's progress: 16 bytes in the `teams` table.
//! #[derive(Debug, Clone, Copy, Default, PartialEq)]
//! struct Team { points: i64, step: u32, hints: u16, arrived: bool }
//!
//! impl Record for Team {
//!     const SIZE: usize = 8 + 4 + 2 + 1;
//!     fn read(r: &mut Reader<'_>) -> Self {
//!         Team { points: r.i64(), step: r.u32(), hints: r.u16(), arrived: r.bool() }
//!     }
//!     fn write(&self, w: &mut Writer<'_>) {
//!         w.i64(self.points);
//!         w.u32(self.step);
//!         w.u16(self.hints);
//!         w.bool(self.arrived);
//!     }
//! }
//!
//! #[derive(Serialize, Deserialize)]
//! struct State {
//!     /// Team ids; team `i` is `teams[i]`.
//!     team_ids: Names,
//!     teams: Table<Team>,
//! }
//!
//! let mut s = State { team_ids: Names::default(), teams: Table::new() };
//! for id in ["red", "blue", "red"] {
//!     let (t, new) = s.team_ids.intern(id);
//!     if new {
//!         s.teams.push(&Team::default());
//!     }
//!     s.teams.update(t, |team| team.points += 10);
//! }
//! let bytes = postcard::to_allocvec(&s).unwrap();
//! let s: State = postcard::from_bytes(&bytes).unwrap();
//! let red = s.team_ids.find("red").unwrap();
//! assert_eq!(s.teams.get(red).points, 20);
//! ```

#![warn(missing_docs)]

mod bytes;
mod names;
mod roster;
mod table;

pub use bytes::Bytes;
pub use names::{Names, Span};
pub use roster::Roster;
pub use table::{Reader, Record, Table, Writer};
