//! Plans as JSON for tools: the [`Plan`] struct itself, so there is one schema (`schemas/plan.schema.json`),
//! versioned by `formatVersion`.

use std::io::{self, Write};

use crate::plan::Plan;

/// Writes the plan as pretty JSON followed by a newline.
pub fn json(plan: &Plan, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, plan)?;
    writeln!(out)
}
