//! topicform: a declarative, GitOps-style reconciler for Apache Kafka topics.
//!
//! One pipeline, in one direction:
//!
//! ```text
//! spec::load ──► Desired ─┐
//!                         ├─► plan::diff(&Desired, &Live) ─► Plan ─┬─► render::text
//! cluster::describe ► Live┘                                        └─► apply::run ─► verify
//! ```
//!
//! `spec`, `plan` and `render` are pure: no Kafka client, no async runtime, no environment. Everything
//! that talks to Kafka is behind [`cluster::Admin`].
#![warn(missing_docs)]

pub mod apply;
pub mod catalog;
pub mod cli;
pub mod cluster;
pub mod import;
pub mod plan;
pub mod render;
pub mod schema;
pub mod spec;
