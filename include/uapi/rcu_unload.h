/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The contract between rcu_unload.ko and the rcu-unload harness, in the manner of a
 * kernel uapi header: both sides include this file, and each list below is the only
 * place its items are written. Plain C preprocessor, no includes, no kernel types:
 * it compiles as kernel C, as the module's restricted C++ and as user-space C++.
 *
 * Each list is an X-macro (stress-ng's core-stressors.h): a consumer passes a macro
 * X and gets one expansion per item, in list order.
 */
#ifndef _UAPI_RCU_UNLOAD_H
#define _UAPI_RCU_UNLOAD_H

/* Bump when a record key changes meaning; adding a key does not need it. */
#define RU_RECORD_VERSION 1

/*
 * Unload strategies: X(ident, "name", "help"). The module's table, its strategy
 * parameter's description, the harness's list and the docs' table come from here.
 * The first item is the parameter's default. Each ident has a unit
 * kmod/strategy_<ident>.cpp defining `const unload_strategy strategy_<ident>`.
 */
#define RU_STRATEGY_LIST(X)                                                                      \
	X(auto, "auto", "the fastest strategy that applies to the flavor on the running kernel")  \
	X(barrier, "barrier", "the flavor's barrier (rcu_barrier()): what modules do today")       \
	X(sync_exp, "sync-exp",                                                                  \
	  "an expedited grace period, then the barrier (reference: it does not advance callbacks)") \
	X(force_qs, "force-qs",                                                                  \
	  "force quiescent states every force_interval_us until the barrier, run in a worker, returns") \
	X(force_qs_own, "force-qs-own",                                                          \
	  "force quiescent states until the module's own callbacks have run (no barrier marker)")  \
	X(boost, "boost",                                                                        \
	  "raise the module's readers to SCHED_FIFO, then force as force-qs-own (or force-qs)")   \
	X(kick, "kick",                                                                          \
	  "force-qs-own plus an IPI raising RCU_SOFTIRQ on every CPU each round, so no CPU waits for its tick") \
	X(direct, "direct",                                                                      \
	  "TINY_RCU: this context is a quiescent state; run the ready callbacks here")            \
	X(unsafe_none, "unsafe-none",                                                            \
	  "no wait at all (needs allow_unsafe=1): for tests that must catch a premature unload")

/* RCU flavors of the module's callbacks: X(ident, "name", "help"); the first is the default. */
#define RU_FLAVOR_LIST(X)                                                                        \
	X(vanilla, "rcu", "call_rcu()")                                                         \
	X(srcu, "srcu", "call_srcu() on the module's own srcu_struct")                          \
	X(tasks, "tasks", "call_rcu_tasks()")

/*
 * force_steps bits: X(ident, bit, "help"). The parameter's range is every mask of them.
 */
#define RU_FORCE_STEP_LIST(X)                                                                    \
	X(START_GP, 1, "start a grace period at once")                                          \
	X(STOP_MACHINE, 2, "stop_machine() on every CPU (a momentary dyntick-idle state)")      \
	X(FQS, 4, "rcu_force_quiescent_state(): the grace-period kthread scans now")            \
	X(KICK, 8, "IPI every CPU to raise RCU_SOFTIRQ, so rcu_core() runs there now")
#define RU_FORCE_STEP_DESC(ident, bit, help) "; " #bit " " help

/*
 * Numeric module parameters: X(name, type, default, min, max, "description"), type one
 * of uint, ulong, bool (module_param's types). module_param + MODULE_PARM_DESC (with the
 * range appended), the struct the core gets at init and its range checks come from here.
 * strategy and flavor are names from the lists above.
 */
#define RU_PARAM_LIST(X)                                                                         \
	X(callbacks, uint, 1000, 0, 1000000,                                                     \
	  "call_rcu callbacks enqueued at load, spread over the online CPUs")                   \
	X(tag, ulong, 0, 0, ULONG_MAX, "opaque id echoed in every record, chosen by the harness") \
	X(readers, uint, 0, 0, 64, "reader kthreads looping over read-side critical sections")  \
	X(reader_hold_us, uint, 10, 0, 10000, "length of each reader critical section, in us")  \
	X(churn, uint, 0, 0, 1000, "callbacks per ms each CPU's producer enqueues while loaded") \
	X(force_steps, uint, 5, 0, 15,                                                           \
	  "force ingredients, a mask" RU_FORCE_STEP_LIST(RU_FORCE_STEP_DESC))                 \
	X(force_interval_us, uint, 100, 10, 100000, "pause between expediting rounds, in us")    \
	X(measure_limit, bool, 0, 0, 1,                                                          \
	  "at load, time one expedited grace period and one callback's cost (init record)")     \
	X(allow_unsafe, bool, 0, 0, 1, "permit strategy=unsafe-none, which unloads with callbacks pending") \
	X(fail_after, uint, 0, 0, 1000000,                                                      \
	  "fault injection: the load fails (-ENOMEM) when this many callbacks are queued; 0: off")

/*
 * Records, one kernel log line each: "rcu_unload: <kind> v=<version> key=value ...".
 * X(key, type, "help"), type u64 or str (a word without blanks). Keys are also the
 * harness's JSON names. Parsers keep keys they do not know.
 */
#define RU_INIT_RECORD(X)                                                                        \
	X(tag, u64, "the tag parameter")                                                        \
	X(flavor, str, "RCU flavor of the callbacks")                                           \
	X(strategy, str, "the strategy asked for at load")                                      \
	X(cpus, u64, "online CPUs")                                                             \
	X(enqueued, u64, "callbacks enqueued at load")                                          \
	X(init_ns, u64, "module init, without the limit measurement")                           \
	X(exp_gp_ns, u64, "one expedited grace period (measure_limit=1, else 0)")               \
	X(cb_cost_ns, u64, "invoking one callback (measure_limit=1, else 0)")                   \
	X(applies, str, "the strategies that apply to this flavor on this kernel, comma-separated") \
	X(kick, u64, "1 if the kick (force_steps bit 8) applies on this kernel")

#define RU_EXIT_RECORD(X)                                                                        \
	X(tag, u64, "the tag parameter")                                                        \
	X(flavor, str, "RCU flavor of the callbacks")                                           \
	X(strategy, str, "the strategy asked for (at load or through sysfs)")                   \
	X(picked, str, "the strategy that ran (differs for auto)")                              \
	X(rcu, str, "tree, tree-preempt or tiny")                                               \
	X(preempt, str, "none, voluntary, full or rt")                                          \
	X(cpus, u64, "online CPUs")                                                             \
	X(readers, u64, "reader kthreads")                                                      \
	X(churn, u64, "the churn parameter")                                                    \
	X(enqueued, u64, "callbacks enqueued since load")                                       \
	X(invoked, u64, "callbacks that ran")                                                   \
	X(rounds, u64, "expediting rounds")                                                     \
	X(kicks, u64, "rounds that kicked every CPU's RCU core")                                \
	X(stop_ns, u64, "stopping the churn producers")                                         \
	X(gp_ns, u64, "when a full grace period was first seen elapsed (0: not watched)")        \
	X(wait_ns, u64, "the strategy's wait, until every callback had run")                    \
	X(total_ns, u64, "the whole exit function")                                             \
	X(peak_pending, u64, "most callbacks pending at once since load")                       \
	X(peak_bytes, u64, "slab memory those held")

/*
 * The resident expediter, rcu_unload_expediter.ko: the force rounds (FQS and the kick)
 * switched on around another module's delete_module. Root-only sysfs files in
 * /sys/module/<RU_EXPEDITER_MODULE>/parameters/: `active` (write 1: switch on, until 0 is
 * written or max_on_ms passes; reads 0 or 1), `stats` (read: one line of RU_EXPEDITER_STATS
 * as key=value, cumulative since load), and the parameters below, writable at any time.
 */
#define RU_EXPEDITER_MODULE "rcu_unload_expediter"
#define RU_EXPEDITER_PARAM_LIST(X)                                                               \
	X(interval_us, uint, 50, 10, 100000, "pause between expediting rounds, in us")          \
	X(max_on_ms, uint, 5000, 1, 60000,                                                      \
	  "switches itself off this long after being switched on (a harness that died)")

#define RU_EXPEDITER_STATS(X)                                                                    \
	X(switched_on, u64, "times switched on")                                                \
	X(timed_out, u64, "times it switched itself off after max_on_ms")                        \
	X(rounds, u64, "expediting rounds")                                                     \
	X(kicks, u64, "rounds that kicked every CPU's RCU core (0 where the kick is refused)")   \
	X(ipis, u64, "IPIs the kicks sent to other CPUs")                                       \
	X(busy_ns, u64, "time spent in rounds: the expediter's own CPU time")                   \
	X(on_ns, u64, "time switched on")

/* What an error record's what= says. */
#define RU_ERROR_LIST(X)                                                                         \
	X(lost_callbacks, "lost-callbacks")                                                     \
	X(strategy_failed, "strategy-failed")                                                   \
	X(enqueue_failed, "enqueue-failed")                                                     \
	X(churn_failed, "churn-failed")                                                         \
	X(readers_failed, "readers-failed")                                                     \
	X(no_memory, "no-memory")                                                               \
	X(injected_fault, "injected-fault")

#endif /* _UAPI_RCU_UNLOAD_H */
