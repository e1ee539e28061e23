#!/usr/bin/env python3
# results.py ratio RESULTS.json SPEC [--reference SPEC] [--field total_ns] [--callbacks N]
# Reads a results JSON of `rcu-unload run` (docs/interfaces.md, "Results JSON") and prints one
# Markdown row fragment, "REF-p50 | SPEC-p50 | ratio [low, high]": the p50 (nearest rank, in ms) of
# FIELD (default total_ns, the module exit path) over the cycles of the reference spec (default
# barrier) and of SPEC, and p50(SPEC) / p50(reference) with a 95% bootstrap CI (2000 resamples of
# each side's median, seeded: the same file gives the same row; the harness's report computes the
# same interval with another generator, so the bounds can differ in the last digit). --callbacks
# keeps the cycles of one callbacks value (default: all cycles). Exit status 1 if a spec has no
# cycles, 2 on bad usage.
"""Ratios of p50s from a results JSON of the rcu-unload harness, for the investigation scripts."""

import argparse
import json
import math
import random
import sys

RESAMPLES = 2000
SEED = 0x5EED7C0DE0F04C1D  # the harness's kBootstrapSeed


def percentile(sorted_values, p):
    """Nearest rank, as the harness's summaries: an observed value."""
    rank = min(max(math.ceil(p / 100.0 * len(sorted_values)), 1), len(sorted_values))
    return sorted_values[rank - 1]


# Results format 1 named the exit record's total_ns exit_ns.
FORMAT_1_NAMES = {'total_ns': 'exit_ns'}


def sample(results, spec, field, callbacks=None):
    if results.get('format', 1) == 1:
        field = FORMAT_1_NAMES.get(field, field)
    return sorted(float(c.get(field, 0)) for c in results['cycles']
                  if c['strategy'] == spec and (callbacks is None or c.get('callbacks') == callbacks))


def ratio_ci(a, b):
    """p50(a) / p50(b) and the 2.5th and 97.5th percentiles of the bootstrap ratios."""
    rng = random.Random(SEED)
    ratios = []
    for _ in range(RESAMPLES):
        mb = percentile(sorted(rng.choice(b) for _ in b), 50)
        ma = percentile(sorted(rng.choice(a) for _ in a), 50)
        if mb > 0:
            ratios.append(ma / mb)
    ratios.sort()
    point = percentile(a, 50) / percentile(b, 50)
    return point, percentile(ratios, 2.5), percentile(ratios, 97.5)


def main(argv):
    parser = argparse.ArgumentParser(prog='results.py', description=__doc__)
    sub = parser.add_subparsers(dest='command', required=True)
    ratio = sub.add_parser('ratio', help='p50 of SPEC against the reference spec, with a 95%% CI')
    ratio.add_argument('results')
    ratio.add_argument('spec')
    ratio.add_argument('--reference', default='barrier')
    ratio.add_argument('--field', default="total_ns")
    ratio.add_argument('--callbacks', type=int)
    args = parser.parse_args(argv[1:])
    with open(args.results) as f:
        results = json.load(f)
    ref = sample(results, args.reference, args.field, args.callbacks)
    spec = sample(results, args.spec, args.field, args.callbacks)
    for name, values in ((args.reference, ref), (args.spec, spec)):
        if not values:
            sys.stderr.write(f'results.py: no {name} cycles in {args.results}\n')
            return 1
    if percentile(ref, 50) <= 0:
        sys.stderr.write(f'results.py: {args.reference} p50 of {args.field} is 0 in {args.results}\n')
        return 1
    point, low, high = ratio_ci(spec, ref)
    print(f'{percentile(ref, 50) / 1e6:.3f} | {percentile(spec, 50) / 1e6:.3f} | {point:.3f} [{low:.3f}, {high:.3f}]')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
