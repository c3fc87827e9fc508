//! Pure: desired state x live state -> [`Plan`]. No I/O, no clock, no environment.

pub mod data;
mod diff;
mod model;
pub mod placement;
mod risk;
mod saved;

pub use diff::{Options, diff, diff_with};
pub use model::{
    Basis, Blocked, BlockedReason, Change, DeleteReason, ExitStatus, FORMAT_VERSION, Kept, PartitionMove, Phase, Plan,
    RatedChange, Risk, Summary,
};
pub(crate) use saved::format_version;
pub use saved::{
    Fingerprint, MAX_CLOCK_SKEW_SECS, Made, ReadError, Refusal, SavedPlan, SavedTopic, Stale, desired_digest,
    json_reason, utc,
};
