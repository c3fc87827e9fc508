#!/usr/bin/env python3
"""Checks the module rules of DESIGN.md section 5 on src/, by reading `use` and path references:

- the pure set (desired, catalog, live, plan, render, report, import, schema) names no tokio, no Kafka
  client, no std::env and no terminal detection;
- plan imports nothing from cluster;
- no top-level module imports `cli`; no cycles between top-level modules;
- `metrics` (watch's Prometheus registry and HTTP endpoints, an adapter) is used only by `commands`, and
  itself uses only the pure `watch` and `plan` data: it records cycles, it never plans or describes.

Exit 1 with one line per broken rule. Run by .ci/run.
"""
import pathlib
import re
import sys

SRC = pathlib.Path(__file__).resolve().parents[2] / "src"
PURE = ["desired", "catalog", "live", "plan", "render", "report", "import", "schema", "snapshot", "fleet", "watch"]
METRICS_MAY_USE = {"watch", "plan"}
FORBIDDEN_IN_PURE = re.compile(r"\b(tokio|rdkafka|rdkafka_sys|kafka_protocol|std::env|IsTerminal|is_terminal)\b")
CRATE_REF = re.compile(r"\bcrate::([a-z_]+)|\bsuper::super::([a-z_]+)")


def top_modules():
    mods = {}
    for p in sorted(SRC.iterdir()):
        if p.is_dir():
            mods[p.name] = sorted(p.rglob("*.rs"))
        elif p.suffix == ".rs" and p.stem not in ("lib", "main"):
            mods[p.stem] = [p]
    return mods


def strip_comments(text):
    return "\n".join(line.split("//", 1)[0] for line in text.splitlines())


def main():
    mods = top_modules()
    problems = []
    edges = {m: set() for m in mods}
    for mod, files in mods.items():
        for f in files:
            text = strip_comments(f.read_text())
            for m in CRATE_REF.finditer(text):
                target = m.group(1) or m.group(2)
                if target in mods and target != mod:
                    edges[mod].add(target)
            if mod in PURE:
                for i, line in enumerate(text.splitlines(), 1):
                    hit = FORBIDDEN_IN_PURE.search(line)
                    if hit:
                        problems.append(f"{f.relative_to(SRC.parent)}:{i}: the pure module `{mod}` uses `{hit.group(0)}`")
    if "cluster" in edges.get("plan", ()):
        problems.append("src/plan imports from `cluster`; it may use only `live`, `desired` and `catalog`")
    for mod, targets in edges.items():
        if "metrics" in targets and mod != "commands":
            problems.append(f"`{mod}` imports `metrics`; only commands (watch) may")
    for target in sorted(edges.get("metrics", set()) - METRICS_MAY_USE):
        problems.append(f"`metrics` imports `{target}`; it may use only {', '.join(sorted(METRICS_MAY_USE))}")
    for mod, targets in edges.items():
        if "cli" in targets:
            problems.append(f"`{mod}` imports `cli`; only main.rs may")
    # Cycles: depth-first search over the module graph.
    state = {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                cycle = path[path.index(nxt):] + [nxt]
                problems.append("import cycle between top-level modules: " + " -> ".join(cycle))
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for mod in sorted(edges):
        if mod not in state:
            visit(mod, [mod])
    for p in problems:
        print(f"imports: {p}", file=sys.stderr)
    if not problems:
        print("imports: " + "; ".join(f"{m} -> {', '.join(sorted(t)) or '-'}" for m, t in sorted(edges.items())))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
