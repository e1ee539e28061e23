#!/usr/bin/env python3
# trace-unload-summary.py TRACE.txt [--timeline]
# Summarizes the trace written by scripts/investigate/trace-unload.sh: for every cycle, where the time of
# the rmmod went, in ms from the entry of delete_module (negative: before it). Prints per cycle
# the phases of delete_module, every grace period (start, end, what reported the last quiescent
# state), the RCU softirq runs per CPU (what raised them: the tick, rcu_core itself, ...) with
# the callbacks they invoked, the first such run on each CPU after each grace-period end, the
# ticks, and at the end one table per run. --timeline adds the key events of each cycle.
"""Summarize a trace-unload.sh trace: stage timings of each rmmod, in ms from delete_module."""

import re
import sys
from collections import defaultdict

LINE = re.compile(r'^\s*(?P<comm>.+?)-(?P<pid>\d+)\s+\[(?P<cpu>\d+)\]\s+(?P<flags>\S+)\s+'
                  r'(?P<ts>\d+\.\d+):\s+(?P<rest>.*)$')
FUNC = re.compile(r'^(?P<name>[\w.$]+) <-(?P<parent>\S+)$')
EVENT = re.compile(r'^(?P<name>\w+): ?(?P<args>.*)$')
RECORD_KV = re.compile(r'(\w+)=(\S+)')


CB_TRACED = False  # the trace has an event per module callback (the header lists the probe)


class Event:
    __slots__ = ('ts', 'cpu', 'comm', 'pid', 'flags', 'name', 'arg', 'func')

    def __init__(self, ts, cpu, comm, pid, flags, name, arg, func):
        self.ts, self.cpu, self.comm, self.pid = ts, cpu, comm, pid
        self.flags, self.name, self.arg, self.func = flags, name, arg, func


class Cycle:
    def __init__(self, number):
        self.number = number
        self.records = {}
        self.events = []
        self.notes = []


def parse(path):
    header, cycles = [], []
    cur = None
    with open(path, errors='replace') as f:
        for raw in f:
            line = raw.rstrip('\n')
            if line.startswith('# cycle '):
                cur = Cycle(int(line.split()[2]))
                cycles.append(cur)
                continue
            if line.startswith('#'):
                if cur is None:
                    header.append(line)
                elif line.startswith('# record '):
                    m = re.search(r'rcu_unload: (\w+) (.*)$', line)
                    if m:
                        cur.records[m.group(1)] = dict(RECORD_KV.findall(m.group(2)))
                else:
                    cur.notes.append(line)
                continue
            m = LINE.match(line)
            if not m or cur is None:
                continue
            rest = m.group('rest')
            fm = FUNC.match(rest)
            if fm:
                name, arg, func = fm.group('name'), fm.group('parent'), True
            else:
                em = EVENT.match(rest)
                if not em:
                    continue
                name, arg, func = em.group('name'), em.group('args'), False
            cur.events.append(Event(float(m.group('ts')), int(m.group('cpu')), m.group('comm').strip(),
                                    int(m.group('pid')), m.group('flags'), name, arg, func))
    for c in cycles:
        c.events.sort(key=lambda e: e.ts)
    return header, cycles


def fmt(x):
    return '-' if x is None else f'{x:+.2f}'


def first(events, pred, after=None, before=None):
    for e in events:
        if after is not None and e.ts < after:
            continue
        if before is not None and e.ts > before:
            break
        if pred(e):
            return e
    return None


def last(events, pred, before):
    found = None
    for e in events:
        if e.ts > before:
            break
        if pred(e):
            found = e
    return found


def softirq_runs(events):
    """Groups rcu_core invocations per CPU into runs. A run starts with an rcu_core whose raise
    (the first invoke_rcu_core on that CPU not yet served by an rcu_core) did not come from
    rcu_core itself, i.e. a fresh RCU_SOFTIRQ, and goes on through the re-raises rcu_core makes
    while ready callbacks remain (in the interrupted task, then in ksoftirqd, which may run much
    later: with preempt=none a running kworker is not preempted for it)."""
    runs = defaultdict(list)
    pending = {}  # cpu -> (ts, raiser, tick) of the first unserved raise
    last_tick = {}
    open_run = {}
    for e in events:
        if e.name == 'rcu_sched_clock_irq' and e.func:
            last_tick[e.cpu] = e.ts
        elif e.name == 'invoke_rcu_core' and e.func:
            if e.cpu not in pending:
                pending[e.cpu] = (e.ts, e.arg, last_tick.get(e.cpu))
        elif e.name == 'rcu_core' and e.func:
            raise_ts, raiser, tick = pending.pop(e.cpu, (None, 'unknown', None))
            run = open_run.get(e.cpu)
            if raiser == 'rcu_core' and run is not None:
                run['cores'] += 1
                run['end'] = e.ts
                run['contexts'].add(e.comm)
                continue
            run = {'cpu': e.cpu, 'start': e.ts, 'end': e.ts, 'raised': raise_ts, 'raiser': raiser,
                   'tick': tick if raiser == 'rcu_sched_clock_irq' else None,
                   'contexts': {e.comm}, 'cores': 1, 'batches': 0, 'cb_ts': [], 'barrier_ts': [],
                   'cbs': 0, 'first_cb': None, 'last_cb': None, 'barrier_cbs': 0}
            runs[e.cpu].append(run)
            open_run[e.cpu] = run
        elif e.name == 'rcu_do_batch' and e.func and e.cpu in open_run:
            open_run[e.cpu]['batches'] += 1
        elif e.name == 'module_cb' and e.cpu in open_run:
            run = open_run[e.cpu]
            run['cb_ts'].append(e.ts)
            run['cbs'] += 1
            run['first_cb'] = run['first_cb'] or e.ts
            run['last_cb'] = e.ts
            run['end'] = e.ts
        elif e.name == 'rcu_barrier_callback' and e.func and e.cpu in open_run:
            open_run[e.cpu]['barrier_ts'].append(e.ts)
            open_run[e.cpu]['barrier_cbs'] += 1
            open_run[e.cpu]['end'] = e.ts
    return runs


def grace_periods(events):
    """(start, end) pairs from rcu_gp_init/rcu_gp_cleanup; start None: began before the trace."""
    gps, cur = [], None
    for e in events:
        if not e.func:
            continue
        if e.name == 'rcu_gp_init':
            cur = {'start': e.ts, 'end': None}
            gps.append(cur)
        elif e.name == 'rcu_gp_cleanup':
            if cur is None or cur['end'] is not None:
                cur = {'start': None, 'end': e.ts}
                gps.append(cur)
            else:
                cur['end'] = e.ts
    prev_end = None
    for gp in gps:
        # What asked for it: started right after the previous one's cleanup (requested while
        # that one ran), else the last explicit wake of the grace-period kthread before it.
        if gp['start'] is None:
            gp['requested'] = None
        elif prev_end is not None and gp['start'] - prev_end < 0.0002:
            gp['requested'] = 'back-to-back'
        else:
            wake = last(events, lambda e: e.func and e.name == 'rcu_gp_kthread_wake', gp['start'])
            gp['requested'] = None if wake is None or (prev_end and wake.ts < prev_end) else (wake.arg, wake.ts)
        prev_end = gp['end']
        lo = gp['start'] if gp['start'] is not None else events[0].ts
        hi = gp['end'] if gp['end'] is not None else events[-1].ts
        inside = [e for e in events if lo <= e.ts <= hi]
        gp['kthread_runs'] = sum(1 for e in inside if e.name == 'sched_switch'
                                 and 'next_comm=rcu_preempt ' in e.arg)
        gp['qs'] = [e for e in inside if e.name == 'rcu_report_qs_rnp' and e.func]
        gp['fqs_requests'] = sum(1 for e in inside if e.name == 'rcu_force_quiescent_state' and e.func)
    return gps


def analyze(c):
    ev = c.events
    r = {'cycle': c.number, 'ok': False}
    dm = first(ev, lambda e: e.func and e.name == '__x64_sys_delete_module' and e.comm == 'rmmod')
    if dm is None:
        r['why'] = 'no delete_module entry by rmmod in the trace'
        return r
    t0 = dm.ts
    rel = (lambda ts: None if ts is None else (ts - t0) * 1e3)
    r.update(ok=True, t0=t0, rel=rel, dm_cpu=dm.cpu)
    get = lambda pred, after=t0: first(ev, pred, after=after)
    ts_of = (lambda e: e.ts if e else None)

    r['trace_start'] = ev[0].ts
    r['insmod'] = ts_of(first(ev, lambda e: e.name == 'tracing_mark_write' and e.arg.endswith(' insmod')))
    r['insmod_done'] = ts_of(first(ev, lambda e: e.name == 'tracing_mark_write' and e.arg.endswith('insmod-done')))
    r['rmmod_marker'] = ts_of(first(ev, lambda e: e.name == 'tracing_mark_write' and e.arg.endswith(' rmmod')))
    r['dm_ret'] = ts_of(get(lambda e: e.name == 'delete_module_ret'))
    r['init'] = ts_of(first(ev, lambda e: e.name == 'ru_core_init'))
    r['init_ret'] = ts_of(first(ev, lambda e: e.name == 'ru_core_init_ret'))
    r['exit'] = ts_of(get(lambda e: e.name == 'ru_core_exit'))
    r['exit_ret'] = ts_of(get(lambda e: e.name == 'ru_core_exit_ret'))
    r['start_gp'] = ts_of(get(lambda e: e.func and e.name == 'start_poll_synchronize_rcu'))
    bar = get(lambda e: e.func and e.name == 'rcu_barrier')
    r['barrier'] = ts_of(bar)
    r['barrier_task'] = bar.comm if bar else None
    r['barrier_ret'] = ts_of(get(lambda e: e.name == 'rcu_barrier_ret', after=bar.ts)) if bar else None
    r['bg_finish'] = ts_of(get(lambda e: e.name == 'ru_background_finish'))
    r['going'] = ts_of(get(lambda e: e.func and e.name == 'kprobes_module_callback' and e.comm == 'rmmod'))
    r['klp_going'] = ts_of(get(lambda e: e.func and e.name == 'klp_module_going'))
    sync_ftrace = get(lambda e: e.func and e.name == 'synchronize_rcu' and e.arg == 'ftrace_release_mod')
    r['sync_ftrace'] = ts_of(sync_ftrace)
    r['sync_ftrace_ret'] = ts_of(get(lambda e: e.name == 'synchronize_rcu_ret' and 'ftrace_release_mod' in e.arg))
    r['free_module'] = ts_of(get(lambda e: e.func and e.name == 'free_module'))
    r['sync_free'] = ts_of(get(lambda e: e.func and e.name == 'synchronize_rcu' and e.arg == 'free_module'))
    r['sync_free_ret'] = ts_of(get(lambda e: e.name == 'synchronize_rcu_ret' and 'free_module+' in e.arg))
    r['free_module_ret'] = ts_of(get(lambda e: e.name == 'free_module_ret'))
    r['fqs_requests'] = sum(1 for e in ev if e.func and e.name == 'rcu_force_quiescent_state'
                            and t0 <= e.ts <= (r['dm_ret'] or ev[-1].ts))
    # The wait of the module's exit: until rcu_barrier returned (to the exit path, or to the
    # worker whose end the force-qs loop polls for), else the exit's own return.
    r['wait_end'] = r['exit_ret'] or r['bg_finish'] or r['barrier_ret']

    r['ipis'] = {e.cpu: e.ts for e in ev if e.func and e.name == 'rcu_barrier_entrain' and bar and e.ts >= bar.ts}
    r['barrier_cbs'] = {e.cpu: e.ts for e in ev if e.func and e.name == 'rcu_barrier_callback' and bar and e.ts >= bar.ts}
    cpus = sorted({e.cpu for e in ev})
    r['cpus'] = cpus
    r['ticks'] = {cpu: [e.ts for e in ev if e.cpu == cpu and e.func and e.name == 'rcu_sched_clock_irq']
                  for cpu in cpus}
    cbs = defaultdict(list)
    for e in ev:
        if e.name == 'module_cb':
            cbs[e.cpu].append(e.ts)
    r['cbs'] = cbs
    r['cb_traced'] = CB_TRACED or any(e.name == 'module_cb' for e in ev)
    r['runs'] = softirq_runs(ev)
    r['gps'] = grace_periods(ev)
    r['records'] = c.records

    # Grace periods that ended while the exit waited, and for each CPU the first RCU softirq
    # run after each such end: how long the ready callbacks waited for it, and what raised it.
    window_end = r['wait_end'] or r['dm_ret'] or ev[-1].ts
    after_gp = []
    for gp in r['gps']:
        if gp['end'] is None or gp['end'] < t0 or gp['end'] > window_end:
            continue
        per_cpu = {}
        for cpu in cpus:
            run = next((x for x in r['runs'][cpu] if x['start'] >= gp['end']), None)
            ticks = [t for t in r['ticks'][cpu] if gp['end'] <= t <= (run['start'] if run else window_end)]
            per_cpu[cpu] = (run, ticks)
        after_gp.append((gp, per_cpu))
    r['after_gp'] = after_gp
    # Every softirq run after the entry that invoked the module's callbacks or rcu_barrier's:
    # the last grace-period end before it, how long after it the run came, what raised it, and
    # the ticks on that CPU in between other than the raising one (0: the first tick after the
    # grace period's end invoked them).
    ends = sorted(gp['end'] for gp in r['gps'] if gp['end'] is not None)
    r['cb_runs'] = {}
    for cpu in cpus:
        out = []
        for run in r['runs'][cpu]:
            cb_ts = [t for t in run['cb_ts'] if t0 <= t <= window_end]
            bar_ts = [t for t in run['barrier_ts'] if t0 <= t <= window_end]
            if not cb_ts and not bar_ts:
                continue
            at = min(cb_ts + bar_ts)
            before = [x for x in ends if x <= at]
            end = before[-1] if before else None
            # Ready no earlier than that end, nor than the callbacks existed: the module's were
            # enqueued by its init, rcu_barrier's entrained on this CPU by its IPI.
            ref = end
            if bar_ts and cpu in r['ipis']:
                ref = max(x for x in (ref, r['ipis'][cpu]) if x is not None)
            if cb_ts and r['init_ret'] is not None:
                ref = max(x for x in (ref, r['init_ret']) if x is not None)
            # Ticks on this CPU after the callbacks were ready and before the one that raised
            # the run (for a run continued in ksoftirqd: before the invocation).
            upto = run['tick'] if run['tick'] is not None and (ref is None or run['tick'] > ref) else at
            between = [t for t in r['ticks'][cpu] if ref is not None and ref < t < upto]
            raised = run['raised'] if run['raised'] is not None else run['start']
            out.append(dict(run, at=at, n_cb=len(cb_ts), n_bar=len(bar_ts), gp_end=end, ref=ref,
                            after=None if ref is None else (at - ref) * 1e3, ticks_between=len(between),
                            deferred=(at - max(raised, ref or raised)) * 1e3,
                            continued=run['start'] < (ref or run['start'])))
        r['cb_runs'][cpu] = out
    r['pending'] = {cpu: sum(1 for t in cbs.get(cpu, []) if t >= t0) for cpu in cpus}
    r['in_flight'] = next((gp for gp in r['gps'] if (gp['start'] is None or gp['start'] < t0)
                           and gp['end'] is not None and gp['end'] >= t0), None)
    # The grace period whose end made each CPU's module callbacks ready: the last end before the
    # run that invoked the first of them.
    r['cb_gp'] = {}
    for cpu, stamps in cbs.items():
        run = next((x for x in r['runs'][cpu] if x['cbs']), None)
        ends = [gp['end'] for gp in r['gps'] if gp['end'] is not None and run and gp['end'] <= run['start']]
        r['cb_gp'][cpu] = (ends[-1] if ends else None, run)
    return r


def describe_run(run, rel):
    if run is None:
        return 'none traced'
    how = {'rcu_sched_clock_irq': 'tick', 'rcu_core': 'rcu_core', 'unknown': 'raise not traced'}.get(
        run['raiser'], run['raiser'])
    parts = [f"{fmt(rel(run['start']))} raised by {how}"]
    if run['raised'] is not None and run['start'] - run['raised'] > 0.0005:
        parts[0] += f" at {fmt(rel(run['raised']))}"
    parts.append('in ' + '+'.join(sorted(run['contexts'])))
    if run['batches']:
        parts.append(f"{run['batches']} do_batch")
    if run['cbs']:
        parts.append(f"{run['cbs']} module cbs {fmt(rel(run['first_cb']))}..{fmt(rel(run['last_cb']))}")
    if run['barrier_cbs']:
        parts.append('rcu_barrier_callback')
    return ', '.join(parts)


def print_cycle(c, r, timeline):
    rec = r['records'].get('exit', {})
    print(f"== cycle {c.number}: " + (' '.join(f'{k}={rec[k]}' for k in
                                              ('strategy', 'picked', 'rcu', 'preempt', 'invoked', 'rounds')
                                              if k in rec)))
    if not r['ok']:
        print(f"   skipped: {r['why']}")
        return
    rel = r['rel']
    if rec:
        ms = lambda k: f"{int(rec[k]) / 1e6:.2f}" if k in rec else '?'
        print(f"   module record: wait {ms('wait_ns')} ms, gp {ms('gp_ns')} ms, exit total {ms('total_ns')} ms")
    print(f"   before: trace start {fmt(rel(r['trace_start']))}, insmod {fmt(rel(r['insmod']))}, "
          f"init (enqueues the callbacks) {fmt(rel(r['init']))}..{fmt(rel(r['init_ret']))}, "
          f"insmod done {fmt(rel(r['insmod_done']))}, rmmod exec {fmt(rel(r['rmmod_marker']))}")
    print(f"   delete_module: exit {fmt(rel(r['exit']))}..{fmt(rel(r['exit_ret']))}; "
          f"rcu_barrier ({r['barrier_task']}) {fmt(rel(r['barrier']))}..{fmt(rel(r['barrier_ret']))}; "
          f"start_poll {fmt(rel(r['start_gp']))}, rcu_force_quiescent_state x{r['fqs_requests']}")
    print(f"                  GOING notifiers {fmt(rel(r['going']))}, klp_module_going {fmt(rel(r['klp_going']))}, "
          f"ftrace_release_mod synchronize_rcu {fmt(rel(r['sync_ftrace']))}..{fmt(rel(r['sync_ftrace_ret']))}, "
          f"free_module {fmt(rel(r['free_module']))} (synchronize_rcu {fmt(rel(r['sync_free']))}.."
          f"{fmt(rel(r['sync_free_ret']))}), return {fmt(rel(r['dm_ret']))}")
    if r['ipis'] or r['barrier_cbs']:
        print('   rcu_barrier: entrain ' + ', '.join(f'cpu{k} {fmt(rel(v))}' for k, v in sorted(r['ipis'].items()))
              + '; rcu_barrier_callback ' + ', '.join(f'cpu{k} {fmt(rel(v))}'
                                                       for k, v in sorted(r['barrier_cbs'].items())))
    print('   grace periods (rcu_gp_init .. rcu_gp_cleanup; kthread runs; QS reports cpu:caller):')
    hi = r['dm_ret'] or c.events[-1].ts
    lo = min(x for x in (r['insmod_done'], r['t0'] - 0.02) if x is not None)
    for gp in r['gps']:
        if gp['end'] is not None and gp['end'] < lo:
            continue
        if gp['start'] is not None and gp['start'] > hi:
            continue
        qs = ' '.join(f"cpu{e.cpu}:{e.arg.replace('force_qs_rnp', 'fqs')}@{fmt(rel(e.ts))}" for e in gp['qs'])
        start = 'before trace' if gp['start'] is None else fmt(rel(gp['start']))
        dur = '' if gp['start'] is None or gp['end'] is None else f" ({(gp['end'] - gp['start']) * 1e3:.2f} ms)"
        req = gp['requested']
        if req is None:
            req = 'requester not traced'
        elif isinstance(req, str):
            req = 'requested ' + req
        else:
            req = f"requested by {'the module' if req[0].startswith('0x') else req[0]} at {fmt(rel(req[1]))}"
        print(f"     {start} .. {fmt(rel(gp['end']))}{dur}; {req if gp['start'] is not None else ''}; "
              f"kthread runs {gp['kthread_runs']}; fqs requests {gp['fqs_requests']}; {qs or 'no QS report traced'}")
    if r['cb_traced']:
        for cpu in r['cpus']:
            stamps = r['cbs'].get(cpu, [])
            in_window = [t for t in stamps if t >= r['t0']]
            if not stamps:
                print(f'   module callbacks cpu{cpu}: none traced')
                continue
            end, run = r['cb_gp'][cpu]
            print(f"   module callbacks cpu{cpu}: {len(stamps)} ({len(in_window)} after entry), "
                  f"{fmt(rel(stamps[0]))}..{fmt(rel(stamps[-1]))}; ready at GP end {fmt(rel(end))}, "
                  f"first run: {describe_run(run, rel)}")
    print('   softirq runs after entry that invoked module or rcu_barrier callbacks (start, raised by; '
          'ready from = max(last GP end, enqueue/entrain on that CPU)):')
    for cpu in r['cpus']:
        runs = r['cb_runs'].get(cpu, [])
        print(f"     cpu{cpu}: {r['pending'].get(cpu, 0) if r['cb_traced'] else '?'} module cbs pending at entry; "
              + ('; '.join(f"{run_cell(x, rel)} [run: {describe_run(x, rel)}; last GP end "
                           f"{fmt(rel(x['gp_end']))}, ready from {fmt(rel(x['ref']))}]" for x in runs) or 'none'))
    print('   first RCU softirq run per CPU after each GP end within the wait:')
    for gp, per_cpu in r['after_gp']:
        parts = []
        for cpu, (run, ticks) in sorted(per_cpu.items()):
            delta = '' if run is None else f" (+{(run['start'] - gp['end']) * 1e3:.2f} after)"
            extra = f"; ticks between {len(ticks)}" if run and ticks and not (
                len(ticks) == 1 and run['tick'] == ticks[0]) else ''
            parts.append(f"cpu{cpu} {describe_run(run, rel)}{delta}{extra}")
        print(f"     GP end {fmt(rel(gp['end']))}: " + ' | '.join(parts))
    for cpu in r['cpus']:
        ticks = [t for t in r['ticks'][cpu] if r['t0'] - 0.004 <= t <= hi]
        print(f"   ticks cpu{cpu}: " + ' '.join(fmt(rel(t)) for t in ticks))
    if timeline:
        print_timeline(c, r)


KEY = {'__x64_sys_delete_module', 'rcu_barrier', 'rcu_barrier_ret', 'rcu_barrier_entrain',
       'rcu_barrier_callback', 'rcu_gp_init', 'rcu_gp_cleanup', 'rcu_report_qs_rnp',
       'rcu_force_quiescent_state', 'start_poll_synchronize_rcu', 'rcu_sched_clock_irq',
       'invoke_rcu_core', 'rcu_do_batch', 'module_cb', 'free_module', 'synchronize_rcu',
       'synchronize_rcu_ret', 'free_module_ret', 'delete_module_ret', 'ru_core_exit',
       'ru_core_exit_ret', 'ru_background_finish', 'tracing_mark_write', 'kprobes_module_callback',
       'klp_module_going'}


def print_timeline(c, r):
    rel = r['rel']
    print('   timeline (consecutive same events on a CPU merged):')
    prev, count, first_ts = None, 0, None
    rows = []
    for e in c.events:
        if e.name not in KEY and not (e.name == 'sched_wakeup' and ('comm=rmmod ' in e.arg or 'comm=rcu_preempt ' in e.arg)):
            continue
        key = (e.cpu, e.name, e.arg if e.func else '', e.comm)
        if key == prev:
            count += 1
            rows[-1] = (first_ts, e, count)
            continue
        prev, count, first_ts = key, 1, e.ts
        rows.append((first_ts, e, 1))
    for ts, e, n in rows:
        what = f"{e.name} <-{e.arg}" if e.func else f"{e.name}: {e.arg}"
        span = f" x{n} to {fmt(rel(e.ts))}" if n > 1 else ''
        print(f"     {fmt(rel(ts)):>9} cpu{e.cpu} {e.comm:<14} {what[:90]}{span}")


def run_cell(x, rel):
    how = {'rcu_sched_clock_irq': 'tick', 'rcu_core': 'rcu_core'}.get(x['raiser'], x['raiser'])
    if x['continued']:
        how = f"{how} at {rel(x['raised']):.2f}, continued"
    what = '+'.join(filter(None, (f"{x['n_cb']}cb" if x['n_cb'] else '', 'bar' if x['n_bar'] else '')))
    after = '' if x['after'] is None else f" +{x['after']:.2f}"
    skipped = f" {x['ticks_between']} ticks before" if x['ticks_between'] else ''
    deferred = (f" in {'+'.join(sorted(x['contexts']))}" if x['deferred'] > 0.5 else '')
    return f"{rel(x['at']):.2f} {what} ({how}{after}{skipped}{deferred})"


def table(results, ncpus=None):
    # The guest's CPUs (the trace header's count), else every CPU seen in any cycle's trace.
    cpus = list(range(ncpus)) if ncpus else sorted({cpu for r in results if r['ok'] for cpu in r['cpus']})
    print()
    print('Stage timings, ms from delete_module entry. pending: module callbacks not yet invoked at')
    print(f"entry ({'/'.join(f'cpu{c}' for c in cpus)}); GP: rcu_gp_init..rcu_gp_cleanup; cb runs cpuN: each RCU softirq run")
    print('after entry that invoked module callbacks (Ncb) or the rcu_barrier callback (bar): first such call')
    print('(what raised the RCU softirq, ms after the callbacks were ready = max(last GP end,')
    print('enqueue/entrain), ticks on that CPU since then before the raising one, contexts if the')
    print('run was deferred > 0.5 ms, e.g. to ksoftirqd); wait end: the exit')
    print("function's return (else rcu_barrier's); ticks: rcu_sched_clock_irq from entry to wait end.")
    cols = (['cyc', 'pending', 'GP in flight at entry', 'GPs ending in wait'] + [f'cb runs cpu{c}' for c in cpus]
            + ['wait end', 'ftrace_release_mod sync', 'free_module sync', 'dm return'] + [f'ticks cpu{c}' for c in cpus])
    print('| ' + ' | '.join(cols) + ' |')
    print('|' + '---|' * len(cols))
    span = lambda a, b: ('before' if a is None else f'{a:.2f}') + '..' + ('-' if b is None else f'{b:.2f}')
    for r in results:
        if not r['ok']:
            print(f"| {r['cycle']} | {r['why']} |" + ' |' * (len(cols) - 2))
            continue
        rel = r['rel']
        wend = r['wait_end'] or r['dm_ret']
        fl = r['in_flight']
        gps = [gp for gp in r['gps'] if gp['end'] is not None and r['t0'] <= gp['end'] <= wend and gp is not fl]
        pend = '/'.join(str(r['pending'].get(cpu, 0)) for cpu in cpus) if r['cb_traced'] else '?'
        cells = ['; '.join(run_cell(x, rel) for x in r['cb_runs'].get(cpu, [])) or '-' for cpu in cpus]
        ticks = [' '.join(f'{rel(t):.1f}' for t in r['ticks'].get(cpu, []) if r['t0'] <= t <= wend)
                 for cpu in cpus]
        print(' | '.join([f"| {r['cycle']}", pend, span(rel(fl['start']), rel(fl['end'])) if fl else '-',
                          ' '.join(span(rel(gp['start']), rel(gp['end'])) for gp in gps) or '-'] + cells
                         + [fmt(rel(wend)), span(rel(r['sync_ftrace']), rel(r['sync_ftrace_ret'])),
                            span(rel(r['sync_free']), rel(r['sync_free_ret'])), fmt(rel(r['dm_ret']))] + ticks) + ' |')
    # The claim to check: after a grace period's end, a CPU invokes its ready callbacks only from
    # rcu_core() raised by its next tick.
    runs = [x for r in results if r['ok'] for cpu in r['cb_runs'] for x in r['cb_runs'][cpu]
            ]
    if runs:
        continued = [x for x in runs if x['continued']]
        by_tick = [x for x in runs if x['raiser'] == 'rcu_sched_clock_irq' and not x['continued']]
        first_tick = [x for x in by_tick if x['ticks_between'] == 0]
        afters = sorted(x['after'] for x in runs if x['after'] is not None)
        med = afters[len(afters) // 2] if afters else None
        print()
        gps = [gp for r in results if r['ok'] for gp in r['gps'] if gp['end'] is not None
               and r['t0'] <= gp['end'] <= (r['wait_end'] or r['dm_ret'] or gp['end'])]
        qs = defaultdict(int)
        for gp in gps:
            for e in gp['qs']:
                qs[{'force_qs_rnp': 'FQS scan (idle CPU)', 'rcu_core': "the CPU's own rcu_core"}.get(e.arg, e.arg)] += 1
        full = sorted((gp['end'] - gp['start']) * 1e3 for gp in gps if gp['start'] is not None)
        print(f"Grace periods ending in the waits: {len(gps)}" +
              (f"; durations (those started in the trace) min {full[0]:.2f}, median {full[len(full) // 2]:.2f}, "
               f"max {full[-1]:.2f} ms" if full else '') +
              '; quiescent states reported by: ' + (', '.join(f'{k} {v}' for k, v in sorted(qs.items())) or 'none'))
        print(f"Callback-invoking softirq runs in the waits: {len(runs)}; raised by the tick after the callbacks "
              f"were ready: {len(by_tick)}, {len(first_tick)} of them by the first tick on that CPU since; "
              f"continuing a run raised before they were ready (re-raised by rcu_core, in ksoftirqd): "
              f"{len(continued)}; other raisers: "
              + (', '.join(sorted({x['raiser'] for x in runs if x['raiser'] != 'rcu_sched_clock_irq'
                                   and not x['continued']})) or 'none')
              + (f"; ms from ready to the run: min {afters[0]:.2f}, median {med:.2f}, max {afters[-1]:.2f}"
                 if afters else ''))


def main(argv):
    args = [a for a in argv[1:] if not a.startswith('--')]
    if len(args) != 1:
        sys.stderr.write('usage: trace-unload-summary.py TRACE.txt [--timeline]\n')
        return 2
    header, cycles = parse(args[0])
    global CB_TRACED
    CB_TRACED = any(h.startswith('# trace-unload: module probes:') and 'module_cb' in h for h in header)
    for h in header:
        if h.startswith(('# trace-unload:', '# rcutree.', '# missing:')):
            print(h)
    results = []
    for c in cycles:
        r = analyze(c)
        results.append(r)
        print_cycle(c, r, '--timeline' in argv)
        for n in c.notes:
            if 'overrun' in n and not n.endswith(' 0'):
                print(f'   WARNING trace buffer {n[2:]}: events were lost')
    ncpus = next((int(m.group(1)) for h in header
                  for m in [re.match(r'# trace-unload: kernel .*?, (\d+) cpus,', h)] if m), None)
    table(results, ncpus)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
