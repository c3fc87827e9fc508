#!/usr/bin/env python3
"""The peer that scripts/bench measures topicform against: what a careful user writes with
confluent-kafka's AdminClient (librdkafka inside) instead of using topicform.

  peer.py plan     --bootstrap B DIR...   load the YAML files, list topics (one Metadata), describe the
                                          declared topics' configs (DescribeConfigs, 1,000 topics per
                                          request, all requests in flight at once), diff, print a summary
  peer.py apply    --bootstrap B DIR...   the same, then create the missing topics (CreateTopics, 500 per
                                          request, all in flight at once) and wait for every result
  peer.py validate DIR...                 load the YAML files and check names, partitions, duplicates
  peer.py delete   --bootstrap B --prefix P   delete every topic whose name starts with P and wait until
                                          the cluster no longer lists them (bench housekeeping, not timed)

The topic files are topicform's format (defaults + topics); only the fields the bench writes are read.
Exit code 0 on success, 1 on any error.
"""

import argparse
import os
import re
import sys
import time

import yaml

try:
    from yaml import CSafeLoader as Loader  # libyaml: what a careful user picks for speed
except ImportError:  # pragma: no cover
    from yaml import SafeLoader as Loader

DESCRIBE_CHUNK = 1000
CREATE_CHUNK = 500
TIMEOUT = 120.0
NAME = re.compile(r"^[a-zA-Z0-9._-]{1,249}$")


def kafka_value(v):
    """A YAML scalar or list as the string Kafka stores."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return ",".join(kafka_value(x) for x in v)
    return str(v)


def load(dirs):
    """{name: (partitions, replication_factor or None, {key: value})} and a list of problems."""
    files = []
    for d in dirs:
        if os.path.isdir(d):
            for root, _, names in os.walk(d):
                files += [os.path.join(root, n) for n in names if n.endswith((".yaml", ".yml"))]
        else:
            files.append(d)
    desired, problems = {}, []
    for path in sorted(files):
        with open(path, "rb") as f:
            doc = yaml.load(f, Loader=Loader) or {}
        defaults = doc.get("defaults") or {}
        dconf = defaults.get("config") or {}
        for t in doc.get("topics") or []:
            name = t.get("name")
            if not isinstance(name, str) or not NAME.match(name) or name in (".", ".."):
                problems.append(f"{path}: illegal topic name {name!r}")
                continue
            if name in desired:
                problems.append(f"{path}: topic {name} declared twice")
            parts = t.get("partitions", defaults.get("partitions"))
            if not isinstance(parts, int) or isinstance(parts, bool) or parts < 1:
                problems.append(f"{path}: {name}: partitions must be a whole number >= 1, got {parts!r}")
                continue
            rf = t.get("replicationFactor", defaults.get("replicationFactor"))
            conf = {k: kafka_value(v) for k, v in {**dconf, **(t.get("config") or {})}.items()}
            desired[name] = (parts, rf, conf)
    return desired, problems


def admin(bootstrap):
    from confluent_kafka.admin import AdminClient

    return AdminClient({"bootstrap.servers": bootstrap, "client.id": "bench-peer"})


def chunks(seq, n):
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


def plan(client, desired):
    """Describes the cluster and returns (missing topic names, number of changes to existing topics)."""
    from confluent_kafka.admin import ConfigResource, ConfigSource, ResourceType

    def is_override(e):  # the source arrives as the enum or as its int, depending on the version
        return int(getattr(e.source, "value", e.source)) == ConfigSource.DYNAMIC_TOPIC_CONFIG.value

    md = client.list_topics(timeout=TIMEOUT)
    live = {name: len(t.partitions) for name, t in md.topics.items() if not name.startswith("__")}
    existing = sorted(n for n in desired if n in live)
    futures = []
    for chunk in chunks(existing, DESCRIBE_CHUNK):
        resources = [ConfigResource(ResourceType.TOPIC, n) for n in chunk]
        futures.append(client.describe_configs(resources, request_timeout=TIMEOUT))
    changes = 0
    for fs in futures:
        for res, fut in fs.items():
            entries = fut.result()
            parts, _, conf = desired[res.name]
            if parts != live[res.name]:
                changes += 1
            for key, want in conf.items():
                e = entries.get(key)
                if e is None or not is_override(e) or e.value != want:
                    changes += 1
            for key, e in entries.items():
                if is_override(e) and key not in conf:
                    changes += 1
    missing = [n for n in desired if n not in live]
    return missing, changes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("command", choices=["plan", "apply", "validate", "delete"])
    ap.add_argument("paths", nargs="*")
    ap.add_argument("--bootstrap")
    ap.add_argument("--prefix")
    args = ap.parse_intermixed_args()

    if args.command == "delete":
        client = admin(args.bootstrap)
        deadline = time.monotonic() + 300
        while True:
            names = [n for n in client.list_topics(timeout=TIMEOUT).topics if n.startswith(args.prefix)]
            if not names:
                return 0
            if time.monotonic() > deadline:
                print(f"peer: {len(names)} topic(s) {args.prefix}* still listed after 300 s", file=sys.stderr)
                return 1
            fs = {}
            for chunk in chunks(sorted(names), CREATE_CHUNK):
                fs.update(client.delete_topics(chunk, operation_timeout=TIMEOUT, request_timeout=TIMEOUT))
            for name, fut in fs.items():
                try:
                    fut.result()
                except Exception as e:  # already being deleted: the next listing tells
                    if "UNKNOWN_TOPIC" not in str(e):
                        print(f"peer: deleting {name}: {e}", file=sys.stderr)
            time.sleep(1)

    desired, problems = load(args.paths)
    if problems:
        for p in problems[:20]:
            print(p, file=sys.stderr)
        return 1
    if args.command == "validate":
        print(f"{len(desired)} topic(s) valid.", file=sys.stderr)
        return 0

    client = admin(args.bootstrap)
    missing, changes = plan(client, desired)
    print(f"Plan: {len(missing)} to create, {changes} config/partition change(s).")
    if args.command == "plan" or not missing:
        return 0
    from confluent_kafka.admin import NewTopic

    futures = {}
    for chunk in chunks(missing, CREATE_CHUNK):
        new = []
        for n in chunk:
            parts, rf, conf = desired[n]
            new.append(NewTopic(n, num_partitions=parts, replication_factor=rf or -1, config=conf))
        futures.update(client.create_topics(new, operation_timeout=TIMEOUT, request_timeout=TIMEOUT))
    failed = 0
    for name, fut in futures.items():
        try:
            fut.result()
        except Exception as e:
            failed += 1
            print(f"peer: creating {name}: {e}", file=sys.stderr)
    print(f"Created {len(futures) - failed} topic(s), {failed} failed.")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
