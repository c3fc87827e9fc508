//! topicform: a declarative, GitOps-style reconciler for Apache Kafka topics.
//!
//! One pipeline, in one direction:
//!
//! ```text
//! desired::load ──► Desired ─┐
//!                            ├─► plan::diff(&Desired, &Live) ─► Plan ─┬─► render::{text, markdown, json}
//! cluster::describe ─► Live ─┘                                        └─► apply::run ─► verify
//! ```
//!
//! The pure set (`desired`, `catalog`, `live`, `plan`, `render`, `report`, `import`, `schema`, `snapshot`,
//! `fleet`, `watch`) has no
//! Kafka client, no async runtime, no environment and no terminal detection; `plan` imports nothing
//! from `cluster`. Everything that talks to Kafka is behind [`cluster::Admin`]; `cli` resolves the
//! command line and the environment once, and `commands` run one command each.
#![warn(missing_docs)]

pub mod apply;
pub mod catalog;
pub mod cli;
pub mod cluster;
pub mod commands;
pub mod desired;
pub mod fleet;
pub mod import;
pub mod live;
pub mod metrics;
pub mod plan;
pub mod render;
pub mod report;
pub mod schema;
pub mod snapshot;
pub mod watch;
