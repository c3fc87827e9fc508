#!/usr/bin/env python3
"""The driver of scripts/bench (which builds, starts the cluster and calls this): grows a population
of topics on the cluster, times topicform and its peers on it at each size, and writes the report.

Every figure is the median of several runs taken in this process, interleaved (topicform, then each
peer, then the next round), so that each ratio compares runs made under the same load. Wall time is
measured around the child process; peak memory is its maximum resident set size as GNU time reports it
(getrusage: /usr/bin/time -f %M, the "Maximum resident set size" of time -v).
"""

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types

HERE = os.path.dirname(os.path.abspath(__file__))
PEER = os.path.join(HERE, "peer.py")
PER_FILE = 100
TIME = "/usr/bin/time"
DRIFT_EVERY = 100  # 1% of the topics
DRIFT_VALUE = 691200000  # retention.ms, 8 days: never a value the population already has


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------------
# the population (the same rules as benches/plan.rs)


def name(i, prefix="bench.t"):
    return f"{prefix}{i:06d}"


def partitions(i):
    return 3 if i % 50 == 0 else 2 if i % 10 == 0 else 1


def overrides(i):
    """The topic's own configs; every topic also pins min.insync.replicas through the file defaults."""
    c = []
    if i % 4 == 0:
        c.append(("cleanup.policy", "compact"))
    if i % 3 == 0:
        c.append(("retention.ms", str(86400000 * (1 + i % 7))))
    if i % 5 == 0:
        c.append(("max.message.bytes", "2097152"))
    if i % 7 == 0:
        c.append(("segment.bytes", "536870912"))
    if i % 6 == 0:
        c.append(("compression.type", "lz4"))
    return c


def write_files(directory, indices, prefix="bench.t", drift=False):
    """Topic files of 100 topics each; with drift, every 100th topic gets another retention.ms."""
    os.makedirs(directory, exist_ok=True)
    for f in range(0, len(indices), PER_FILE):
        lines = ["defaults:", "  replicationFactor: 1", "  config:", "    min.insync.replicas: 1", "topics:"]
        for i in indices[f : f + PER_FILE]:
            lines += [f"  - name: {name(i, prefix)}", f"    partitions: {partitions(i)}"]
            conf = dict(overrides(i))
            if drift and i % DRIFT_EVERY == 0:
                conf["retention.ms"] = str(DRIFT_VALUE)
            if conf:
                lines.append("    config:")
                lines += [f"      {k}: {v}" for k, v in conf.items()]
        with open(os.path.join(directory, f"bench-{f // PER_FILE:03d}.yaml"), "w") as out:
            out.write("\n".join(lines) + "\n")


def write_project(path, bootstrap, dirs):
    with open(path, "w") as out:
        out.write(f"clusters:\n  bench:\n    bootstrap: {bootstrap}\ntopics: [{', '.join(dirs)}]\n")


# ----------------------------------------------------------------------------------------------------
# running and timing


class Run:
    def __init__(self, wall, rss_kib, rc, out, err):
        self.wall, self.rss_kib, self.rc, self.out, self.err = wall, rss_kib, rc, out, err


def run(cmd, env=None, cwd=None):
    """Runs cmd under GNU time for its peak RSS (wait4 from this Python process would count the memory of
    the forked copy of this interpreter before exec, some 25 MiB, in the child's peak), timing the wall
    clock around it."""
    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe, tempfile.NamedTemporaryFile() as ft:
        t0 = time.perf_counter()
        p = subprocess.Popen([TIME, "-f", "%M", "-o", ft.name, *cmd], stdout=fo, stderr=fe,
                             stdin=subprocess.DEVNULL, env=env, cwd=cwd)
        p.wait()
        wall = time.perf_counter() - t0
        fo.seek(0)
        fe.seek(0)
        lines = open(ft.name).read().split()
        rss = int(lines[-1]) if lines and lines[-1].isdigit() else 0
        return Run(wall, rss, p.returncode, fo.read().decode(errors="replace"), fe.read().decode(errors="replace"))


def settle(limit=5.0, idle=0.85, window=0.25):
    """Waits, at most `limit` seconds, until the machine's CPUs have been at least `idle` idle over `window`
    seconds, and returns the wait: every timed command starts on a quiet cluster, not in the garbage
    collection that the previous tool (a JVM tool's describe with synonyms, say) left the brokers doing."""
    def ticks():
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
        return fields[3] + fields[4], sum(fields)  # idle + iowait, all
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        idle0, all0 = ticks()
        time.sleep(window)
        idle1, all1 = ticks()
        if all1 > all0 and (idle1 - idle0) / (all1 - all0) >= idle:
            break
    return time.perf_counter() - t0


def check(r, what, want=(0,)):
    if r.rc not in want:
        log(f"{what} exited {r.rc} (wanted {want}); stderr tail:\n{r.err[-3000:]}\nstdout tail:\n{r.out[-1500:]}")
        raise SystemExit(1)
    return r


class Bench:
    def __init__(self, args):
        self.a = args
        self.results = {}  # size -> label -> [ (wall, rss_kib) ]
        self.notes = {}  # size -> label -> value
        self.boot = args.bootstrap

    def record(self, size, label, r):
        self.results.setdefault(size, {}).setdefault(label, []).append((r.wall, r.rss_kib))

    def note(self, size, key, value):
        self.notes.setdefault(size, {})[key] = value

    def tf(self, *args):
        return [self.a.topicform, "--no-color", *args]

    def java(self, cls, *args):
        a = self.a
        return [a.java, "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Djava.awt.headless=true",
                f"-Dlog4j2.configurationFile={a.tools_log4j}", "-cp", os.path.join(a.kafka_libs, "*"), cls, *args]

    def py(self, *args):
        return [self.a.python, PEER, *args]

    def delete(self, prefix):
        check(run(self.py("delete", "--bootstrap", self.boot, "--prefix", prefix)), f"deleting {prefix}*")

    def round_trips(self, env):
        full = dict(os.environ, TOPICFORM_BENCH_BOOTSTRAP=self.boot, **env)
        r = check(run([self.a.round_trips], env=full), "round_trips bench")
        for line in r.out.splitlines():
            if line.startswith("ROUND_TRIPS "):
                return json.loads(line[len("ROUND_TRIPS "):])
        log("round_trips printed no ROUND_TRIPS line:\n" + r.out + r.err)
        raise SystemExit(1)

    # ------------------------------------------------------------------------------------------------

    def size(self, n, have):
        a, boot = self.a, self.boot
        d = os.path.join(a.workdir, f"pop-{n}")
        os.makedirs(d, exist_ok=True)
        write_files(os.path.join(d, "topics"), list(range(n)))
        write_files(os.path.join(d, "topics-drift"), list(range(n)), drift=True)
        proj = os.path.join(d, "topicform.yaml")
        drift = os.path.join(d, "topicform-drift.yaml")
        write_project(proj, boot, ["topics"])
        write_project(drift, boot, ["topics-drift"])
        files = len(os.listdir(os.path.join(d, "topics")))
        self.note(n, "files", files)
        self.note(n, "partitions", sum(partitions(i) for i in range(n)))
        self.note(n, "overrides", sum(1 + len(overrides(i)) for i in range(n)))

        log(f"size {n}: growing the population from {have} to {n} topics with topicform apply")
        # apply exits 1 when its verification gives up before the brokers list every new topic (it waits
        # about 9 s); the population is then polled until a plan is empty, and the report says so.
        r = check(run(self.tf("--project", proj, "apply", "--auto-approve", "--timeout", "300")), "populating", (0, 1))
        self.note(n, "populate_s", r.wall)
        self.note(n, "populate_created", n - have)
        self.note(n, "populate_converged", r.rc == 0)
        t0 = time.perf_counter()
        while True:
            p = check(run(self.tf("--project", proj, "plan", "--detailed-exitcode")), "plan after populating", (0, 2))
            if p.rc == 0:
                break
            if time.perf_counter() - t0 > 600:
                log("the population is still not in sync 600 s after apply")
                raise SystemExit(1)
            time.sleep(5)
        self.note(n, "populate_catch_up_s", time.perf_counter() - t0)
        self.note(n, "loadavg_before", open("/proc/loadavg").read().split()[0])

        tp = os.path.join(d, "topics")
        tpd = os.path.join(d, "topics-drift")
        snap = os.path.join(d, "snapshot.json")
        ops = {
            "plan/topicform": (self.tf("--project", proj, "plan", "--detailed-exitcode"), (0,), True),
            "plan/python": (self.py("plan", "--bootstrap", boot, tp), (0,), True),
            "plan/kafka-topics --describe": (
                self.java("org.apache.kafka.tools.TopicCommand", "--bootstrap-server", boot, "--describe"), (0,), False),
            "plan/kafka-configs --describe --all": (
                self.java(config_command(a.kafka_libs), "--bootstrap-server", boot, "--entity-type", "topics",
                          "--describe", "--all"), (0,), False),
            **({"plan/topicctl get topics": (
                [a.topicctl, "get", "topics", "--broker-addr", boot.split(",")[0]], (0,), True)} if a.topicctl else {}),
            **({"plan/kadm (franz-go)": ([a.kadm, "plan", "--bootstrap", boot, tp], (0,), True)} if a.kadm else {}),
            "plan 1%/topicform": (self.tf("--project", drift, "plan", "--detailed-exitcode"), (2,), True),
            "plan 1%/python": (self.py("plan", "--bootstrap", boot, tpd), (0,), True),
            **({"plan 1%/kadm (franz-go)": ([a.kadm, "plan", "--bootstrap", boot, tpd], (0,), True)} if a.kadm else {}),
            "snapshot/topicform": (self.tf("--project", proj, "snapshot", "--out", snap), (0,), True),
            "plan --from-snapshot/topicform": (
                self.tf("--project", drift, "plan", "--from-snapshot", snap, "--detailed-exitcode"), (2,), True),
            "validate/topicform": (self.tf("--project", proj, "validate"), (0,), True),
            "validate/python": (self.py("validate", tp), (0,), True),
        }
        settled = []

        def attempt(label, cmd, want, timed=False):
            """A topicform failure ends the bench; a peer's is recorded (a peer that fails at a size is a
            finding) and the peer is left out of that size's later rounds. A timed command first waits for
            a quiet machine (`settle`)."""
            if timed:
                settled.append(settle())
            r = run(cmd)
            if r.rc in want or label.endswith("/topicform"):
                return check(r, label, want)
            first = next((l.strip() for l in (r.err + r.out).splitlines() if l.strip()), "no output")
            log(f"{label} exited {r.rc} at {n} topics after {r.wall:.1f} s: {first[:300]}")
            self.note(n, f"failed {label}", f"exit {r.rc} after {r.wall:.1f} s: {first[:300]}")
            ops.pop(label, None)
            return None

        log(f"size {n}: warm-up")
        for label, (cmd, want, _) in list(ops.items()):
            attempt(label, cmd, want)
        for rnd in range(a.fast_runs):
            log(f"size {n}: plan/validate round {rnd + 1}/{a.fast_runs}")
            for label, (cmd, want, fast) in list(ops.items()):
                if fast or rnd < a.runs:
                    r = attempt(label, cmd, want, timed=True)
                    if r:
                        self.record(n, label, r)

        self.note(n, "settle_s", {"median": statistics.median(settled), "max": max(settled), "count": len(settled)})
        self.note(n, "snapshot_bytes", os.path.getsize(snap))
        log(f"size {n}: round trips and raw call times")
        self.note(n, "rt_plan", self.round_trips({"TOPICFORM_BENCH_TOPICS": tp, "TOPICFORM_BENCH_RUNS": str(a.fast_runs)}))
        self.note(n, "rt_data", self.round_trips({"TOPICFORM_BENCH_TOPICS": tp, "TOPICFORM_BENCH_DATA": str(min(100, n))}))

        if a.create:
            self.creates(n, d, tp)
        return n

    def creates(self, n, d, tp):
        a, boot = self.a, self.boot
        k = a.create
        new = list(range(k))
        for rnd in range(a.runs):
            log(f"size {n}: create {k} topics, round {rnd + 1}/{a.runs}")
            for tool in ("tf", "py"):
                prefix = f"bench.new.{tool}{rnd}."
                nd = os.path.join(d, f"new-{tool}-{rnd}")
                write_files(nd, new, prefix=prefix)
                if tool == "tf":
                    p = os.path.join(d, f"topicform-{tool}-{rnd}.yaml")
                    write_project(p, boot, ["topics", os.path.basename(nd)])
                    settle()
                    r = check(run(self.tf("--project", p, "apply", "--auto-approve", "--timeout", "120")), "apply")
                    self.record(n, f"apply {k}/topicform", r)
                else:
                    settle()
                    r = check(run(self.py("apply", "--bootstrap", boot, tp, nd)), "python apply")
                    self.record(n, f"apply {k}/python", r)
                self.delete(prefix)

        # kafka-topics --create, one JVM per topic: a sample, extrapolated.
        log(f"size {n}: kafka-topics --create x {a.jvm_creates} (extrapolated to {k})")
        walls, rss = [], []
        t0 = time.perf_counter()
        for i in range(a.jvm_creates):
            cfg = [("min.insync.replicas", "1"), *overrides(i)]
            cmd = self.java("org.apache.kafka.tools.TopicCommand", "--bootstrap-server", boot, "--create",
                            "--topic", name(i, "bench.new.kt."), "--partitions", str(partitions(i)),
                            "--replication-factor", "1", *[x for kv in cfg for x in ("--config", f"{kv[0]}={kv[1]}")])
            r = check(run(cmd), "kafka-topics --create")
            walls.append(r.wall)
            rss.append(r.rss_kib)
        loop = time.perf_counter() - t0
        self.note(n, "kt_create", {"sample": a.jvm_creates, "loop_s": loop, "per_topic_median_s": statistics.median(walls),
                                   "per_topic_min_s": min(walls), "per_topic_max_s": max(walls),
                                   "extrapolated_s": statistics.median(walls) * k, "rss_kib": statistics.median(rss)})
        self.delete("bench.new.kt.")

        log(f"size {n}: round trips of apply")
        nd = os.path.join(d, "new-rt")
        write_files(nd, new, prefix="bench.new.rt.")
        self.note(n, "rt_apply", self.round_trips({"TOPICFORM_BENCH_TOPICS": tp, "TOPICFORM_BENCH_CREATE": nd}))
        self.delete("bench.new.rt.")


# ----------------------------------------------------------------------------------------------------
# the report


def config_command(libs):
    """kafka-configs' main class: moved from the core jar's kafka.admin to kafka-tools in Kafka 4.4."""
    import glob
    import zipfile

    for jar in glob.glob(os.path.join(libs, "kafka-tools-*.jar")):
        with zipfile.ZipFile(jar) as z:
            if "org/apache/kafka/tools/ConfigCommand.class" in z.namelist():
                return "org.apache.kafka.tools.ConfigCommand"
    return "kafka.admin.ConfigCommand"


def med(xs, i):
    return statistics.median(x[i] for x in xs)


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=60).stdout.strip()
    except Exception as e:  # noqa: BLE001 - the report says what failed
        return f"({e})"


def ver(v):
    return v[0] if isinstance(v, tuple) else v


def machine(a):
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    import confluent_kafka

    return {
        "nproc": sh("nproc"),
        "cpu": cpu,
        "memory": sh("free -h | awk '/^Mem:/ {print $2}'"),
        "kernel": platform.release(),
        "kafka": a.kafka_version,
        "java": sh(f"{a.java} -version 2>&1 | head -n 1"),
        "topicform": sh(f"cd {a.repo} && git rev-parse --short HEAD") + (
            " + uncommitted changes" if sh(f"cd {a.repo} && git status --porcelain -- src Cargo.toml") else ""),
        "rustc": sh("rustc --version"),
        "python": platform.python_version(),
        "confluent-kafka": f"{ver(confluent_kafka.version())} (librdkafka {ver(confluent_kafka.libversion())})",
        "topicctl": a.topicctl_note,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
    }


def report(b, info, elapsed):
    a = b.a
    out = []
    w = out.append
    w("# topicform benchmark: latest run\n")
    w(f"Written by `scripts/bench {' '.join(a.argv)}` in {elapsed / 60:.1f} min on {info['date']}. "
      "Medians of the runs shown; ratio = peer's median wall time / topicform's (above 1: topicform is faster). "
      "Peak RSS is the median of the runs' maximum resident set size.\n")
    w("| machine | |\n| --- | --- |")
    for k in ("nproc", "cpu", "memory", "kernel", "kafka", "java", "topicform", "rustc", "python", "confluent-kafka",
              "topicctl"):
        w(f"| {k} | {info[k]} |")
    w("")
    for n in sorted(b.results):
        res, notes = b.results[n], b.notes.get(n, {})
        w(f"## {n:,} topics\n")
        w(f"{notes.get('files')} files, {notes.get('partitions'):,} partitions (RF 1), {notes.get('overrides'):,} topic "
          f"overrides; population grown by {notes.get('populate_created'):,} topics with `topicform apply` in "
          f"{notes.get('populate_s', 0):.1f} s"
          + ("" if notes.get("populate_converged", True) else
             f" (it reported *not converged*: the brokers listed every new topic {notes.get('populate_catch_up_s', 0):.0f} s "
             "after it gave up verifying)")
          + f"; load average before: {notes.get('loadavg_before')}"
          + (f"; each timed command first waited for a quiet machine (85% idle over 250 ms, at most 5 s): "
             f"median {notes['settle_s']['median']:.2f} s, longest {notes['settle_s']['max']:.2f} s"
             if notes.get("settle_s") else "")
          + ".\n")
        w("| operation | tool | runs | wall (median) | peak RSS | ratio vs topicform |")
        w("| --- | --- | ---: | ---: | ---: | ---: |")
        groups = {}
        for label, xs in res.items():
            op, tool = label.split("/", 1)
            groups.setdefault(op, {})[tool] = xs
        for op, tools in groups.items():
            base = tools.get("topicform")
            for tool, xs in tools.items():
                ratio = "" if tool == "topicform" or not base else f"{med(xs, 0) / med(base, 0):.2f}x"
                w(f"| {op} | {tool} | {len(xs)} | {med(xs, 0) * 1000:,.0f} ms | {med(xs, 1) / 1024:,.1f} MiB | {ratio} |")
            if op.startswith("apply") and "kt_create" in notes:
                kt = notes["kt_create"]
                ratio = f"{kt['extrapolated_s'] / med(base, 0):.1f}x" if base else ""
                w(f"| {op} | kafka-topics --create (loop) | {kt['sample']} timed, x{a.create // kt['sample']} | "
                  f"{kt['extrapolated_s'] * 1000:,.0f} ms (extrapolated: {kt['per_topic_median_s'] * 1000:,.0f} ms "
                  f"per JVM) | {kt['rss_kib'] / 1024:,.1f} MiB | {ratio} |")
        w("")
        for key, why in notes.items():
            if key.startswith("failed "):
                w(f"**{key[len('failed '):]} failed** at this size ({why}); it is left out of the table.\n")
        rt = notes.get("rt_plan")
        if rt:
            w(f"Round trips of `plan` (`KafkaAdmin::requests()`): **{rt['requests']}**; minimum 2 (one Metadata + one "
              f"DescribeConfigs carrying every topic). In-process `describe`: {rt['describe_ms']:,.0f} ms, "
              f"`plan::diff`: {rt['diff_ms']:,.1f} ms. Raw calls on a fresh rdkafka client (the broker's time): "
              f"Metadata {rt['raw_metadata_ms']:,.0f} ms + DescribeConfigs {rt['raw_describe_configs_ms']:,.0f} ms = "
              f"**{rt['raw_total_ms']:,.0f} ms** ({rt['configs']:,} config entries).\n")
        rd = notes.get("rt_data")
        if rd:
            w(f"Extra round trips of the data facts (size, offsets, groups; issue 17): **{rd['no_change_requests']}** for "
              f"a plan without deletions or retention cuts; **{rd['requests']}** for a plan deleting {rd['deletions']:,} "
              f"topics on {rd['brokers']} broker(s) ({rd['known']:,} with facts known), {rd['data_ms']:,.0f} ms; a fixed "
              f"handful per broker (ApiVersions, DescribeLogDirs, up to four ListOffsets, ListGroups, OffsetFetch per "
              f"500 groups), whatever the number of topics.\n")
        ra = notes.get("rt_apply")
        if ra:
            w(f"Round trips of `apply` creating {ra['created']:,}: plan {ra['plan_requests']}, then `apply::run` "
              f"**{ra['apply_requests']}** (CreateTopics: {ra['create_requests']} per pass, at up to 1,000 topics and "
              f"9,000 metadata records per request, one validate-only pass and one real one; then verify's describes "
              f"of the created topics, {ra['describe_requests_after']} requests each); minimum 3 (Metadata, DescribeConfigs, one CreateTopics). In-process: describe "
              f"{ra['describe_ms']:,.0f} ms, `apply::run` {ra['apply_ms']:,.0f} ms.\n")
    # Growth with the topic count: what a plan costs per 1,000 topics.
    sizes = sorted(n for n in b.results if "plan/topicform" in b.results[n])
    if sizes:
        w("## Growth with the topic count\n")
        w("| topics | plan wall | plan peak RSS | requests | answers | wall per 1,000 topics | RSS per 1,000 topics | "
          "raw Metadata + DescribeConfigs | snapshot file |")
        w("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        for n in sizes:
            res, notes = b.results[n], b.notes.get(n, {})
            wall, rss = med(res["plan/topicform"], 0) * 1000, med(res["plan/topicform"], 1) / 1024
            rt = notes.get("rt_plan") or {}
            snap = notes.get("snapshot_bytes")
            answers = f"{rt['answered_bytes'] / 1e6:,.2f} MB" if rt.get("answered_bytes") else "?"
            w(f"| {n:,} | {wall:,.0f} ms | {rss:,.1f} MiB | {rt.get('requests', '?')} | {answers} | "
              f"{wall / n * 1000:,.1f} ms | "
              f"{rss / n * 1000:,.2f} MiB | {rt.get('raw_total_ms', 0):,.0f} ms | "
              f"{(snap or 0) / 1e6:,.1f} MB |")
        w("")
        grown = growth(b, sizes)
        if grown:
            (n0, n1), rss_per, answers_per = grown
            w(f"From {n0:,} to {n1:,} topics the plan's peak RSS grows {rss_per:,.2f} MiB per 1,000 topics; the "
              f"Metadata and DescribeConfigs answers (bytes read on topicform's own connections) grow "
              f"{answers_per:,.2f} MB per 1,000 topics.\n")
        w(f"Chart of plan time and peak RSS against topic count for every tool: `{os.path.basename(chart_path(a))}` "
          "beside this report.\n")
    # Targets (issue 15, DESIGN.md section 7), at the largest size.
    big = max(b.results) if b.results else None
    if big:
        res, notes = b.results[big], b.notes.get(big, {})
        w(f"## Targets ({big:,} topics)\n")
        w("| target | measured | met |\n| --- | --- | --- |")
        rt = notes.get("rt_plan")
        if rt and "plan/topicform" in res:
            d = rt["describe_ms"]
            w(f"| plan's describe at most 0.7x the raw single-client Metadata + DescribeConfigs | {d:,.0f} ms vs "
              f"{rt['raw_total_ms']:,.0f} ms = {d / rt['raw_total_ms']:.2f}x | {'yes' if d <= 0.7 * rt['raw_total_ms'] else 'no'} |")
        p = med(res["plan/topicform"], 0) if "plan/topicform" in res else None
        for peer, want in (("kafka-topics --describe", 3), ("python", 5), ("kadm (franz-go)", None)):
            if p and f"plan/{peer}" in res:
                r = med(res[f"plan/{peer}"], 0) / p
                met = "" if want is None else ("yes" if r >= want else "no")
                target = f"at least {want}x faster than {peer}" if want else f"against {peer} (no target)"
                w(f"| plan: {target} | {r:.2f}x | {met or '-'} |")
        if "plan/topicform" in res:
            m = med(res["plan/topicform"], 1) / 1024
            w(f"| plan: peak RSS under 64 MiB | {m:,.1f} MiB | {'yes' if m < 64 else 'no'} |")
        grown = growth(b, sorted(n for n in b.results if "plan/topicform" in b.results[n]))
        if grown:
            (n0, n1), rss_per, answers_per = grown
            w(f"| plan: RSS grows less than the answers ({n0:,} to {n1:,} topics) | {rss_per:,.2f} MiB against "
              f"{answers_per:,.2f} MB per 1,000 topics | {'yes' if rss_per * 1024 * 1024 < answers_per * 1e6 else 'no'} |")
        if "validate/topicform" in res:
            v = med(res["validate/topicform"], 0) * 1000
            w(f"| validate {big:,} topics in {notes.get('files')} files under 150 ms | {v:,.0f} ms | "
              f"{'yes' if v < 150 else 'no'} |")
        if "plan --from-snapshot/topicform" in res:
            v = med(res["plan --from-snapshot/topicform"], 0) * 1000
            w(f"| plan --from-snapshot under 500 ms (issue 16) | {v:,.0f} ms | {'yes' if v < 500 else 'no'} |")
        if notes.get("snapshot_bytes"):
            mb = notes["snapshot_bytes"] / 1e6
            w(f"| snapshot under 20 MB (issue 16) | {mb:,.1f} MB | {'yes' if mb < 20 else 'no'} |")
        ra = notes.get("rt_apply")
        if ra:
            k = ra["created"]
            t, py = res.get(f"apply {k}/topicform"), res.get(f"apply {k}/python")
            if t and py:
                r = med(py, 0) / med(t, 0)
                w(f"| apply creating {k:,}, verification included: at least 1.5x faster than the Python script | "
                  f"{r:.2f}x | {'yes' if r >= 1.5 else 'no'} |")
        w("")
    return "\n".join(out) + "\n"


def growth(b, sizes):
    """Between the two largest sizes: ((from, to), plan peak RSS in MiB and answers in MB, per 1,000
    topics), or None without two sizes that both counted their answers."""
    if len(sizes) < 2:
        return None
    n0, n1 = sizes[-2], sizes[-1]
    a0 = (b.notes.get(n0, {}).get("rt_plan") or {}).get("answered_bytes")
    a1 = (b.notes.get(n1, {}).get("rt_plan") or {}).get("answered_bytes")
    if not a0 or not a1:
        return None
    r0, r1 = med(b.results[n0]["plan/topicform"], 1) / 1024, med(b.results[n1]["plan/topicform"], 1) / 1024
    per = 1000 / (n1 - n0)
    return (n0, n1), (r1 - r0) * per, (a1 - a0) / 1e6 * per


# ----------------------------------------------------------------------------------------------------
# validate of one large file (scripts/bench --validate-large): no cluster, no peers


def write_large(path, megabytes):
    """One topic file of about `megabytes` MB: file defaults, then topics with a few configs each, some
    with units and lists, as a generated file of a large estate would have. Returns the topic count."""
    target = megabytes * 1024 * 1024
    lines = ["defaults:", "  replicationFactor: 3", "  config:", "    min.insync.replicas: 2", "topics:"]
    size = sum(len(line) + 1 for line in lines)
    i = 0
    while size < target:
        topic = [f"  - name: large.topic.{i:07d}", f"    partitions: {1 + i % 12}"]
        conf = []
        if i % 2 == 0:
            conf.append("      retention.ms: 7d")
        if i % 3 == 0:
            conf.append("      cleanup.policy: [compact, delete]")
        if i % 5 == 0:
            conf.append("      max.message.bytes: 2MiB")
        if i % 7 == 0:
            conf.append("      compression.type: lz4")
        if conf:
            topic += ["    config:", *conf]
        lines += topic
        size += sum(len(line) + 1 for line in topic)
        i += 1
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as out:
        out.write("\n".join(lines) + "\n")
    return i


def validate_large(a):
    """validate of one file of a.validate_large MB, and of half and a quarter of it."""
    rows = []
    for mb in sorted({max(1, a.validate_large // 4), max(1, a.validate_large // 2), a.validate_large}):
        d = os.path.join(a.workdir, f"large-{mb}")
        topics = write_large(os.path.join(d, "topics", "large.yaml"), mb)
        with open(os.path.join(d, "topicform.yaml"), "w") as out:
            out.write("clusters:\n  bench:\n    bootstrap: 127.0.0.1:1\n")
        nbytes = os.path.getsize(os.path.join(d, "topics", "large.yaml"))
        runs = []
        check(run([a.topicform, "--no-color", "validate"], cwd=d), f"validate {mb} MB (warm-up)")
        for r in range(a.runs):
            log(f"validate of {mb} MB ({topics:,} topics), run {r + 1}/{a.runs}")
            runs.append(check(run([a.topicform, "--no-color", "validate"], cwd=d), f"validate {mb} MB"))
        wall = statistics.median(x.wall for x in runs)
        rss = statistics.median(x.rss_kib for x in runs) / 1024
        rows.append((mb, nbytes, topics, wall, rss))
    out = ["# topicform benchmark: validate of one large topic file\n",
           f"Written by `scripts/bench {' '.join(a.argv)}` on "
           f"{datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}, "
           f"{sh('nproc')} cores, topicform {sh(f'cd {a.repo} && git rev-parse --short HEAD')}. "
           f"Medians of {a.runs} runs (after a warm-up run); peak RSS is GNU time's maximum resident set size.\n",
           "| file | topics | wall (median) | peak RSS | RSS / file size | time per MB |",
           "| ---: | ---: | ---: | ---: | ---: | ---: |"]
    for mb, nbytes, topics, wall, rss in rows:
        out.append(f"| {nbytes / 1e6:,.1f} MB | {topics:,} | {wall * 1000:,.0f} ms | {rss:,.1f} MiB | "
                   f"{rss * 1024 * 1024 / nbytes:.1f}x | {wall * 1000 / (nbytes / 1e6):,.0f} ms |")
    biggest = rows[-1]
    within = biggest[4] < 200
    out.append("")
    out.append(f"Target (issue 13): a 20 MB file under 200 MB of RSS: {biggest[4]:,.1f} MiB for "
               f"{biggest[1] / 1e6:,.1f} MB, {'met' if within else 'NOT met'}.")
    text = "\n".join(out) + "\n"
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(text)
    print(text)
    log(f"report: {a.out}")


def chart_of(out, inputs):
    """`bench.py --chart OUT.svg RUN.json...`: the chart of several runs' JSON (sizes from different runs,
    the later file winning a size both have), for BENCHMARKS.md."""
    b = types.SimpleNamespace(results={})
    for path in inputs:
        with open(path) as f:
            for size, res in json.load(f)["results"].items():
                b.results[int(size)] = res
    with open(out, "w") as f:
        f.write(chart(b))


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--chart":
        chart_of(sys.argv[2], sys.argv[3:])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="100,1000,10000")
    ap.add_argument("--runs", type=int, default=3, help="runs of the slow commands (JVM tools, creates)")
    ap.add_argument("--fast-runs", type=int, default=5, help="runs of the fast commands")
    ap.add_argument("--create", type=int, default=1000, help="topics created by the apply benchmark (0: skip)")
    ap.add_argument("--jvm-creates", type=int, default=100, help="kafka-topics --create processes timed")
    ap.add_argument("--validate-large", type=int, help="only validate of one file of this many MB")
    ap.add_argument("--bootstrap")
    ap.add_argument("--topicform", required=True)
    ap.add_argument("--round-trips")
    ap.add_argument("--java")
    ap.add_argument("--kafka-libs")
    ap.add_argument("--kafka-version")
    ap.add_argument("--tools-log4j")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--repo", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--topicctl-note", default="not tried")
    ap.add_argument("--topicctl", help="a topicctl binary: `topicctl get topics` is timed as a plan peer")
    ap.add_argument("--kadm", help="the franz-go kadm peer (scripts/bench.d/kadm): timed as a plan peer")
    ap.add_argument("--argv", nargs=argparse.REMAINDER, default=[])
    a = ap.parse_args()
    if a.validate_large:
        validate_large(a)
        return
    sizes = sorted({int(s) for s in a.sizes.split(",") if s.strip()})
    t0 = time.perf_counter()
    b = Bench(a)
    info = machine(a)
    have = 0
    for n in sizes:
        if n < have:
            continue
        have = b.size(n, have)
        # Refresh the report after each size, so an interrupted run still leaves its figures.
        write(a, b, info, time.perf_counter() - t0)
    write(a, b, info, time.perf_counter() - t0)
    log(f"done in {(time.perf_counter() - t0) / 60:.1f} min; report: {a.out}")


def chart_path(a):
    return os.path.splitext(a.out)[0] + ".svg"


def chart(b):
    """An SVG of plan wall time and peak RSS against the topic count, one line per tool (log-free, linear
    axes), from the same figures as the report."""
    sizes = sorted(b.results)
    tools = []
    for n in sizes:
        for label in b.results[n]:
            op, tool = label.split("/", 1)
            if op == "plan" and tool not in tools:
                tools.append(tool)
    colours = ["#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]
    W, H, L, R, T, B = 900, 380, 70, 20, 40, 50
    pw = (W - L - R - 60) / 2
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>']
    xmax = max(sizes) if sizes else 1
    for panel, (title, idx, scale, unit) in enumerate((("plan wall time", 0, 1000, "ms"),
                                                       ("plan peak RSS", 1, 1 / 1024, "MiB"))):
        x0 = L + panel * (pw + 60)
        points = {t: [(n, med(b.results[n][f"plan/{t}"], idx) * scale) for n in sizes
                      if f"plan/{t}" in b.results[n]] for t in tools}
        ymax = max([v for ps in points.values() for _, v in ps] or [1]) * 1.1
        svg.append(f'<text x="{x0 + pw / 2}" y="{T - 15}" text-anchor="middle" font-size="14">{title} ({unit})</text>')
        svg.append(f'<line x1="{x0}" y1="{H - B}" x2="{x0 + pw}" y2="{H - B}" stroke="black"/>')
        svg.append(f'<line x1="{x0}" y1="{T}" x2="{x0}" y2="{H - B}" stroke="black"/>')
        for i in range(5):
            v = ymax * i / 4
            y = H - B - (H - B - T) * i / 4
            svg.append(f'<text x="{x0 - 5}" y="{y + 4}" text-anchor="end">{v:,.0f}</text>')
            svg.append(f'<line x1="{x0}" y1="{y}" x2="{x0 + pw}" y2="{y}" stroke="#ddd"/>')
        for n in sizes:
            x = x0 + pw * n / xmax
            svg.append(f'<text x="{x}" y="{H - B + 15}" text-anchor="middle">{n:,}</text>')
        svg.append(f'<text x="{x0 + pw / 2}" y="{H - B + 32}" text-anchor="middle">topics</text>')
        for k, t in enumerate(tools):
            ps = points[t]
            if not ps:
                continue
            c = colours[k % len(colours)]
            path = " ".join(f"{x0 + pw * n / xmax:.1f},{H - B - (H - B - T) * v / ymax:.1f}" for n, v in ps)
            svg.append(f'<polyline points="{path}" fill="none" stroke="{c}" stroke-width="2"/>')
            for n, v in ps:
                svg.append(f'<circle cx="{x0 + pw * n / xmax:.1f}" cy="{H - B - (H - B - T) * v / ymax:.1f}" r="3" fill="{c}"/>')
    for k, t in enumerate(tools):
        y = T + 5 + 16 * k
        c = colours[k % len(colours)]
        svg.append(f'<rect x="{L + 10}" y="{y - 9}" width="10" height="10" fill="{c}"/>')
        svg.append(f'<text x="{L + 25}" y="{y}">{t}</text>')
    svg.append("</svg>")
    return "\n".join(svg) + "\n"


def write(a, b, info, elapsed):
    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    with open(a.out, "w") as f:
        f.write(report(b, info, elapsed))
    with open(chart_path(a), "w") as f:
        f.write(chart(b))
    with open(os.path.splitext(a.out)[0] + ".json", "w") as f:
        json.dump({"machine": info, "results": b.results, "notes": b.notes}, f, indent=1)


if __name__ == "__main__":
    main()
