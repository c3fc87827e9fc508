//! Pure: desired state x live state -> [`Plan`]. No I/O, no clock, no environment.

mod diff;
mod model;

pub use diff::diff;
pub use model::{Blocked, BlockedReason, Change, ExitStatus, FORMAT_VERSION, Kept, Plan, Risk, Summary};
