#!/usr/bin/env python3
"""Evaluates every PromQL expression of deploy/ against a running Prometheus (see
prometheus_integration_test.sh). Each check is retried until a shared deadline, since scrapes and
rule evaluations land every second; a check that never passes fails the test, naming the
expression and where it came from."""
import argparse
import glob
import json
import math
import os
import re
import sys
import time
import urllib.parse
import urllib.request

import yaml

# Grafana's variables, replaced by fixed values the way Grafana would expand them.
GRAFANA_VARS = {
    "$__rate_interval": "1m",
    "$__interval": "15s",
    "$__range": "5m",
    "$experiment": ".*",  # the "All" value of the dashboard's experiment variable
}


def query(prom, expr):
    """Returns (ok, result list or error text)."""
    url = prom + "/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.load(r)
    except urllib.error.HTTPError as e:
        return False, e.read().decode(errors="replace")
    except OSError as e:
        return False, str(e)
    if body.get("status") != "success":
        return False, body.get("error", "status " + str(body.get("status")))
    return True, body["data"]["result"]


def dashboard_exprs(src):
    out = []
    for path in sorted(glob.glob(os.path.join(src, "deploy/grafana/dashboards/*.json"))):
        dash = json.load(open(path))
        for panel in dash["panels"]:
            for t in panel.get("targets", []):
                expr = t["expr"]
                for var, value in GRAFANA_VARS.items():
                    expr = expr.replace(var, value)
                if "$" in expr:
                    sys.exit(f"{path}: panel {panel['title']!r}: unknown variable in {expr!r}")
                out.append((f"dashboard panel {panel['title']!r} {t['refId']}", expr))
    return out


def alert_operands(expr):
    """`A > 0.05 and on (x) B >= 100` -> [A, B]: each side of a top-level `and`, without its
    trailing comparison against a number."""
    parts = re.split(r"\s+and\s+on\s*\([^)]*\)\s*|\s+and\s+", expr.strip())
    operands = []
    for p in parts:
        m = re.match(r"^(.*?)\s*(>=|<=|==|!=|>|<)\s*[-+0-9.eE]+\s*$", p.strip(), re.S)
        operands.append(m.group(1) if m else p.strip())
    return operands


def rule_exprs(src):
    data, alerts = [], []
    for path in sorted(glob.glob(os.path.join(src, "deploy/prometheus/rules/*.yml"))):
        name = os.path.relpath(path, src)
        for group in yaml.safe_load(open(path))["groups"]:
            for rule in group["rules"]:
                if "record" in rule:
                    data.append((f"{name}: {rule['record']} (expression)", rule["expr"]))
                    data.append((f"{name}: {rule['record']} (recorded series)", rule["record"]))
                else:
                    alerts.append((f"{name}: alert {rule['alert']}", rule["expr"]))
    return data, alerts


def printed_accuracy(path):
    """{N: accuracy} from `ptc eval` lines like `fixed N=4    accuracy 0.750 [...]`."""
    acc = {}
    for line in open(path):
        m = re.search(r"\bN=(\d+)\s+accuracy ([0-9.]+)", line)
        if m:
            acc[int(m.group(1))] = float(m.group(2))
    return acc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--prometheus", required=True)
    ap.add_argument("--src", required=True)
    ap.add_argument("--requests", type=int, required=True, help="Solve calls the evals made")
    ap.add_argument("--eval-output", action="append", default=[], help="EXPERIMENT=FILE")
    ap.add_argument("--deadline-s", type=float, default=90)
    args = ap.parse_args()
    deadline = time.monotonic() + args.deadline_s
    prom = args.prometheus

    def poll(check):
        """Retries check() -> (passed, detail) until it passes or the deadline is reached."""
        while True:
            passed, detail = check()
            if passed or time.monotonic() > deadline:
                return passed, detail
            time.sleep(0.5)

    # 1. Prometheus has scraped the server after the evals finished.
    def scraped():
        ok, res = query(prom, "sum(ptc_experiment_requests_total)")
        got = float(res[0]["value"][1]) if ok and res else None
        return got == args.requests, f"sum(ptc_experiment_requests_total) = {got}"

    passed, detail = poll(scraped)
    print(("ok   " if passed else "FAIL ") + f"scraped after the evals: {detail}")
    if not passed:
        return 1

    failures = 0
    checked = 0

    # 2. Every rule loaded and healthy.
    with urllib.request.urlopen(prom + "/api/v1/rules", timeout=10) as r:
        groups = json.load(r)["data"]["groups"]
    loaded = sum(len(g["rules"]) for g in groups)
    for g in groups:
        for rule in g["rules"]:
            if rule.get("health") not in ("ok", "unknown"):
                print(f"FAIL rule {rule['name']}: health {rule.get('health')}: {rule.get('lastError')}")
                failures += 1

    data, alerts = rule_exprs(args.src)
    data = dashboard_exprs(args.src) + data
    expected_rules = sum(1 for where, _ in data if "recorded series" in where) + len(alerts)
    if loaded != expected_rules:
        print(f"FAIL Prometheus loaded {loaded} rules, the rule files have {expected_rules}")
        failures += 1

    # 3. Dashboard queries, recording rules and recorded series return data.
    def has_data(expr):
        def check():
            ok, res = query(prom, expr)
            if not ok:
                return False, f"error: {res}"
            return len(res) > 0, f"{len(res)} series"
        return check

    for where, expr in data:
        passed, detail = poll(has_data(expr))
        checked += 1
        failures += not passed
        print(("ok   " if passed else "FAIL ") + f"{where}: {detail}")
        if not passed:
            print("     " + " ".join(expr.split()))

    # 4. Alerts: evaluate without error (empty in a healthy run); their operands return data.
    for where, expr in alerts:
        ok, res = query(prom, expr)
        checked += 1
        failures += not ok
        print(("ok   " if ok else "FAIL ") + f"{where}: evaluates ({len(res) if ok else res} firing series)")
        for operand in alert_operands(expr):
            passed, detail = poll(has_data(operand))
            checked += 1
            failures += not passed
            print(("ok   " if passed else "FAIL ") + f"{where} operand: {detail}")
            if not passed:
                print("     " + " ".join(operand.split()))

    # 5. The accuracy recording rule agrees with what `ptc eval` printed (3 decimals).
    for spec in args.eval_output:
        experiment, path = spec.split("=", 1)
        printed = printed_accuracy(path)
        if not printed:
            print(f"FAIL no accuracy lines in {path}")
            failures += 1
        for n, acc in sorted(printed.items()):
            sel = f'strategy_experiment_n:ptc_graded_answers:accuracy{{experiment="{experiment}",n="{n}"}}'
            ok, res = query(prom, sel)
            got = float(res[0]["value"][1]) if ok and len(res) == 1 else float("nan")
            agree = not math.isnan(got) and abs(got - acc) <= 0.0005 + 1e-9
            checked += 1
            failures += not agree
            print(("ok   " if agree else "FAIL ")
                  + f"accuracy {experiment} N={n}: ptc eval printed {acc:.3f}, rule says {got:.4f}")

    print(f"{checked - failures} passed, {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
