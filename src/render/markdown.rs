//! Plans as Markdown for pull-request comments: a summary table, then one collapsible `<details>` per
//! topic holding its diff. GitHub and GitLab render both.

use std::io::{self, Write};

use super::escape::{code, code_line, markdown as md};
use super::sections::{Action, Tag, sections};
use super::text::summary_line;
use crate::plan::{Plan, Risk};

/// Writes the plan as Markdown.
pub fn markdown(plan: &Plan, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "### topicform plan")?;
    writeln!(out)?;
    if let Some(basis) = &plan.basis {
        writeln!(out, "> {}", super::text::basis_line(basis, code, md))?;
        writeln!(out)?;
    }
    if plan.is_empty() {
        writeln!(out, "No changes. The cluster matches the files.")?;
    } else {
        writeln!(out, "**{}**", summary_line(plan))?;
    }
    let sections = sections(plan);
    if !sections.is_empty() {
        writeln!(out)?;
        // The data column only when some topic's data is at stake.
        let data = sections.iter().any(|s| !s.data.is_empty());
        if data {
            writeln!(out, "| | topic | action | risk | data |")?;
            writeln!(out, "|---|---|---|---|---|")?;
        } else {
            writeln!(out, "| | topic | action | risk |")?;
            writeln!(out, "|---|---|---|---|")?;
        }
        for s in &sections {
            let (sign, action) = match s.action {
                Action::Create => ("➕", "create"),
                Action::Change => ("✏️", "change"),
                Action::Delete => ("🗑️", "delete"),
            };
            write!(out, "| {sign} | {} | {action} | {} |", code(s.topic), risk_badge(s.risk))?;
            if data {
                let summary = s.data.first().map_or("", |d| d.strip_prefix("data: ").unwrap_or(d));
                write!(out, " {} |", md(summary))?;
            }
            writeln!(out)?;
        }
    }
    for s in &sections {
        let verb = match s.action {
            Action::Create => "create",
            Action::Change => "change",
            Action::Delete => "delete",
        };
        writeln!(out)?;
        writeln!(out, "<details><summary><code>{}</code>: {verb}, {}</summary>", md(s.topic), risk_badge(s.risk))?;
        writeln!(out)?;
        writeln!(out, "```diff")?;
        for line in &s.lines {
            let sign = match line.tag {
                Tag::Add => '+',
                Tag::Remove => '-',
                Tag::Context => ' ',
            };
            // A fence or a line break inside a value would end the code block early.
            writeln!(out, "{sign} {}", code_line(&line.text))?;
        }
        writeln!(out, "```")?;
        if !s.data.is_empty() {
            writeln!(out)?;
            for line in &s.data {
                writeln!(out, "- 📦 {}", md(line))?;
            }
        }
        for (what, why) in &s.cautions {
            writeln!(out)?;
            writeln!(out, "⚠️ **{}**: {why}", md(what))?;
        }
        writeln!(out)?;
        writeln!(out, "</details>")?;
    }
    if !plan.blocked.is_empty() {
        writeln!(out)?;
        writeln!(out, "#### ⛔ Blocked: nothing will be applied")?;
        writeln!(out)?;
        for b in &plan.blocked {
            let at = b.declared_at.as_ref().map(|l| format!(" ({})", code(&l.to_string()))).unwrap_or_default();
            writeln!(out, "- {}{at}: {}", code(&b.topic), md(&b.reason.to_string()))?;
        }
    }
    if !plan.kept.is_empty() {
        writeln!(out)?;
        writeln!(out, "#### Undeclared overrides kept (`configMode: additive`)")?;
        writeln!(out)?;
        for k in &plan.kept {
            let value =
                k.value.as_deref().map_or_else(|| "(sensitive)".to_owned(), |v| super::sections::valued(&k.key, v));
            writeln!(out, "- {}: {} = {}", code(&k.topic), code(&k.key), code(&value))?;
        }
    }
    if !plan.unknown.is_empty() {
        writeln!(out)?;
        writeln!(
            out,
            "#### Overrides of configs topicform does not know{}, kept (declare them under `rawConfig` to manage them)",
            super::text::release_note(plan)
        )?;
        writeln!(out)?;
        for k in &plan.unknown {
            writeln!(
                out,
                "- {}: {} = {}",
                code(&k.topic),
                code(&k.key),
                code(k.value.as_deref().unwrap_or("(sensitive)"))
            )?;
        }
    }
    if !plan.unmanaged.is_empty() {
        writeln!(out)?;
        writeln!(out, "#### Unmanaged topics (inside `owns`, in no file; never changed)")?;
        writeln!(out)?;
        for t in &plan.unmanaged {
            writeln!(out, "- {}", code(t))?;
        }
    }
    Ok(())
}

fn risk_badge(risk: Risk) -> &'static str {
    match risk {
        Risk::Safe => "🟢 safe",
        Risk::Caution => "🟡 caution",
        Risk::Destructive => "🔴 destructive",
    }
}
