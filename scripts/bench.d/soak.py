#!/usr/bin/env python3
"""Soak of `topicform watch`: hundreds of short cycles against a local cluster, with the process's resident
memory sampled after every cycle, and the admin requests each cycle sent (from its JSON summary). It shows
whether memory stays flat over time and each cycle costs what one `plan` costs.

    scripts/bench.d/soak.py [--cycles 500] [--topics 200] [--interval 100ms] [--bootstrap HOST:PORT]
                            [--binary target/release/topicform] [--out bench-results/soak.json]

Without --bootstrap it starts its own single-broker cluster with scripts/kafka-local on
TOPICFORM_BENCH_BASE_PORT (default 49092) and stops it at the end. The topics (`soak.t0000`, ...) are
created with `topicform apply` first and deleted at the end. The cycle count and duration are bounded: the
watcher stops by itself after --cycles (and is killed if it has not after twice the expected time).

Prints a table (RSS at cycles 1, 10, 50, 100, ... and the last; requests per cycle) and writes every sample
as JSON to --out.
"""
import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = pathlib.Path(__file__).resolve().parents[2]


def say(text):
    print(f"soak: {text}", file=sys.stderr, flush=True)


def rss_kib(pid):
    try:
        for line in open(f"/proc/{pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except FileNotFoundError:
        return None
    return None


def kafka_local(port, *args):
    env = dict(os.environ, TOPICFORM_KAFKA_BASE_PORT=str(port))
    env.pop("TOPICFORM_KAFKA_VERSION", None)
    return subprocess.run([str(REPO / "scripts/kafka-local"), *args], env=env, check=True)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--cycles", type=int, default=500)
    p.add_argument("--topics", type=int, default=200)
    p.add_argument("--interval", default="100ms")
    p.add_argument("--bootstrap")
    p.add_argument("--binary", default=str(REPO / "target/release/topicform"))
    p.add_argument("--out", default=str(REPO / "bench-results/soak.json"))
    a = p.parse_args()

    port = int(os.environ.get("TOPICFORM_BENCH_BASE_PORT", "49092"))
    started = False
    if not a.bootstrap:
        kafka_local(port, "start", "--fresh", "--brokers", "1")
        started = True
        a.bootstrap = f"127.0.0.1:{port}"
    work = pathlib.Path(tempfile.mkdtemp(prefix="topicform-soak-"))
    watch = None
    try:
        (work / "topics").mkdir()
        (work / "topicform.yaml").write_text(f"clusters:\n  soak:\n    bootstrap: {a.bootstrap}\nowns: ['soak.*']\n")
        topics = "".join(
            f"  - name: soak.t{i:04d}\n    partitions: 1\n    replicationFactor: 1\n    config:\n      retention.ms: {1 + i % 7}d\n"
            for i in range(a.topics)
        )
        (work / "topics/soak.yaml").write_text("topics:\n" + topics)
        run = lambda *args: subprocess.run([a.binary, *args], cwd=work, capture_output=True, text=True)
        applied = run("apply", "--auto-approve")
        if applied.returncode != 0:
            sys.exit(f"soak: apply failed:\n{applied.stdout}{applied.stderr}")
        say(f"{a.topics} topics on {a.bootstrap}; {a.cycles} cycles every {a.interval}")

        log = work / "watch.log"
        began = time.monotonic()
        watch = subprocess.Popen(
            [a.binary, "watch", "--interval", a.interval, "--jitter", "0", "--cycles", str(a.cycles),
             "--listen", "127.0.0.1:0", "--log-format", "json"],
            cwd=work, stdout=subprocess.DEVNULL, stderr=open(log, "w"),
        )
        samples, seen, limit, rss = [], 0, time.monotonic() + max(600, a.cycles * 5), None
        while time.monotonic() < limit:
            exited = watch.poll() is not None
            # Sampled after each cycle's line: the process is between cycles then (about --interval).
            rss = rss_kib(watch.pid) or rss
            lines = log.read_text().split("\n")[:-1]  # the last piece may be a line being written
            cycles = [json.loads(l) for l in lines if l.startswith("{") and '"event":"cycle"' in l]
            for c in cycles[seen:]:
                samples.append({"cycle": c["cycle"], "outcome": c["outcome"], "requests": c.get("requests"),
                                "durationMs": c["durationMs"], "rssKiB": rss})
            seen = len(cycles)
            if exited:
                break
            time.sleep(0.02)
        if watch.poll() is None:
            watch.kill()
            sys.exit("soak: the watcher did not finish its cycles in time")
        elapsed = time.monotonic() - began
        failed = [s for s in samples if s["outcome"] != "in_sync"]
        if len(samples) != a.cycles or failed:
            sys.exit(f"soak: {len(samples)} cycle(s) seen of {a.cycles}; not in sync: {failed[:3]}\n{log.read_text()[-2000:]}")

        pathlib.Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        pathlib.Path(a.out).write_text(json.dumps({"topics": a.topics, "interval": a.interval, "samples": samples}, indent=1))
        marks = sorted({1, 10, 50, 100, 200, 300, 400, a.cycles} & set(range(1, a.cycles + 1)))
        print(f"| cycle | RSS (MiB) | requests | cycle time (ms) |")
        print(f"|---:|---:|---:|---:|")
        for s in samples:
            if s["cycle"] in marks:
                print(f"| {s['cycle']} | {s['rssKiB'] / 1024:.1f} | {s['requests']} | {s['durationMs']} |")
        rss = [s["rssKiB"] for s in samples]
        later = rss[len(rss) // 10:]
        requests = sorted({s["requests"] for s in samples})
        print()
        print(f"{a.cycles} cycles in {elapsed:.0f} s; RSS after the first 10% of cycles: min {min(later) / 1024:.1f} MiB, "
              f"median {statistics.median(later) / 1024:.1f}, max {max(later) / 1024:.1f}; "
              f"last - first-10%-median: {(rss[-1] - statistics.median(later[: max(1, len(later) // 10)])) / 1024:+.1f} MiB; "
              f"requests per cycle: {requests}; median cycle {statistics.median(s['durationMs'] for s in samples):.0f} ms")
    finally:
        if watch and watch.poll() is None:
            watch.kill()
        if not started and (work / "topics/soak.yaml").exists():
            # A cluster we did not start: delete the soak's topics.
            (work / "topics/soak.yaml").write_text("topics: []\n")
            subprocess.run([a.binary, "apply", "--auto-approve", "--prune", "--max-destroy", str(a.topics)],
                           cwd=work, capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
        if started:
            kafka_local(port, "stop", "--clean")


if __name__ == "__main__":
    main()
