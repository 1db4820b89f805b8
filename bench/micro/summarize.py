#!/usr/bin/env python3
"""Turns ptc-micro-bench's JSON (--benchmark_format=json with repetitions) into a Markdown table:
each benchmark's median CPU time beside the baseline measured in the same run, and their ratio.

  summarize.py micro.json [--steal PERCENT --tries N] > micro.md

--steal: the machine's CPU steal during the run kept (run.sh measures it), --tries: how many
runs were made for it; both go into the header line.
"""

import argparse
import json

# benchmark -> (baseline, what the comparison says)
BASELINES = {
    "BM_ExtractMultipleChoice": ("BM_Baseline_ScanText", "one memchr pass over the same 2 KB"),
    "BM_ExtractNumber": ("BM_Baseline_ScanText", "one memchr pass over the same 2 KB"),
    "BM_CreateMultipleChoiceExtractor": ("BM_ExtractMultipleChoice",
                                         "building the extractor, in extractions"),
    "BM_SseParse/0": ("BM_Baseline_SplitLines", "memchr line split of the same stream"),
    "BM_SseParse/512": ("BM_Baseline_SplitLines", "memchr line split of the same stream"),
    "BM_SseParse600/512": ("BM_SseParse/512", "the 16-token stream"),
    "BM_DecodeStream16": ("BM_Baseline_JsonSaxStream16",
                          "nlohmann SAX pass over the same events (no DOM)"),
    "BM_DecodeStream600": ("BM_DecodeStream16", "the 16-token stream"),
    "BM_Baseline_JsonDomParseStream16": ("BM_Baseline_JsonSaxStream16",
                                         "DOM parse against the SAX pass"),
    "BM_Baseline_JsonSaxStream16": ("BM_Baseline_ScanContentStream16",
                                    "SAX pass against a hand-written scan for delta.content"),
    "BM_StopAdaptiveConsistency": ("BM_StopFixed", "the same 40 checks with fixed N"),
    "BM_StopEsc": ("BM_StopFixed", "the same 40 checks with fixed N"),
    "BM_TallyAddAndRank/256": ("BM_TallyAddAndRank/16", "16 chains"),
}


def fmt(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("json")
    parser.add_argument("--steal", type=float, default=None)
    parser.add_argument("--tries", type=int, default=1)
    args = parser.parse_args()
    data = json.load(open(args.json))
    medians = {}
    order = []
    repetitions = 1
    for b in data["benchmarks"]:
        if b.get("aggregate_name", "median") != "median":
            continue
        name = b.get("run_name", b["name"]).removesuffix("_median")
        unit = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b.get("time_unit", "ns")]
        medians[name] = b["cpu_time"] * unit
        repetitions = b.get("repetitions", repetitions)
        if name not in order:
            order.append(name)
    ctx = data.get("context", {})
    print(f"Google Benchmark, {ctx.get('num_cpus', '?')} CPUs at "
          f"{ctx.get('mhz_per_cpu', '?')} MHz, load average "
          f"{' '.join(f'{x:.2f}' for x in ctx.get('load_avg', []))}; "
          f"median CPU time of {repetitions} repetitions"
          + (f"; CPU steal {args.steal:.1f}% during the run"
             + (f" (the least-stolen of {args.tries} runs)" if args.tries > 1 else "")
             if args.steal is not None else "")
          + ".\n")
    print("| benchmark | median | baseline (same run) | baseline time | ratio |")
    print("| --- | ---: | --- | ---: | ---: |")
    for name in order:
        base, what = BASELINES.get(name, (None, ""))
        if base and base in medians:
            print(f"| `{name}` | {fmt(medians[name])} | {what} (`{base}`) | "
                  f"{fmt(medians[base])} | {medians[name] / medians[base]:.1f}× |")
        else:
            print(f"| `{name}` | {fmt(medians[name])} | {what or '–'} | – | – |")


if __name__ == "__main__":
    main()
