/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The whole boundary between the kernel and the C++ core of rcu_unload.
 *
 * Kernel headers do not compile as C++, so the core sees the kernel only through
 * this header: plain C types, opaque handles, one ops table per RCU flavor, and
 * int 0/-errno returns with out-parameters in the style of the kernel. glue.c
 * implements it for the kernel; tests/kmod-host/ implements it in user space so the
 * core runs on the host in the unit tests.
 */
#ifndef RCU_UNLOAD_GLUE_H
#define RCU_UNLOAD_GLUE_H

#include "rcu_unload.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef ULONG_MAX
#define ULONG_MAX (~0UL)
#endif

typedef unsigned long long ru_u64;

/* errno values the core returns (checked against the kernel's in glue.c). */
enum { RU_EINTR = 4, RU_ENOMEM = 12, RU_EINVAL = 22, RU_EOPNOTSUPP = 95, RU_ETIMEDOUT = 110 };

/* Indices into the contract's lists. */
#define RU_LIST_INDEX(prefix, ident) prefix##ident,
#define RU_STRATEGY_INDEX(ident, name, help) RU_LIST_INDEX(RU_STRATEGY_, ident)
#define RU_FLAVOR_INDEX(ident, name, help) RU_LIST_INDEX(RU_FLAVOR_, ident)
enum ru_strategy_index { RU_STRATEGY_LIST(RU_STRATEGY_INDEX) RU_STRATEGY_COUNT };
enum ru_flavor_index { RU_FLAVOR_LIST(RU_FLAVOR_INDEX) RU_FLAVOR_COUNT };
#define RU_FORCE_STEP_BIT(ident, bit, help) RU_FORCE_##ident = bit,
#define RU_FORCE_STEP_MASK(ident, bit, help) | bit
enum ru_force_step { RU_FORCE_STEP_LIST(RU_FORCE_STEP_BIT) RU_FORCE_ALL = 0 RU_FORCE_STEP_LIST(RU_FORCE_STEP_MASK) };

/* The parameters the core is called with; the numeric ones come from RU_PARAM_LIST. */
#define RU_PARAM_CTYPE_uint unsigned int
#define RU_PARAM_CTYPE_ulong unsigned long
#define RU_PARAM_CTYPE_bool bool
#define RU_PARAM_FIELD(name, type, def, min, max, desc) RU_PARAM_CTYPE_##type name;
struct ru_params {
	RU_PARAM_LIST(RU_PARAM_FIELD)
	enum ru_strategy_index strategy;
	enum ru_flavor_index flavor;
};

/* The records, one field per key of RU_INIT_RECORD / RU_EXIT_RECORD. */
#define RU_RECORD_CTYPE_u64 ru_u64
#define RU_RECORD_CTYPE_str const char *
#define RU_RECORD_FIELD(key, type, help) RU_RECORD_CTYPE_##type key;
struct ru_init_record {
	RU_INIT_RECORD(RU_RECORD_FIELD)
};
struct ru_exit_record {
	RU_EXIT_RECORD(RU_RECORD_FIELD)
};
/* Print a record as one log line "rcu_unload: <kind> v=N key=value ...". */
void ru_emit_init_record(const struct ru_init_record *record);
void ru_emit_exit_record(const struct ru_exit_record *record);

/* Layout-compatible with struct rcu_head (static_assert in glue.c). */
struct ru_rcu_head {
	void *next;
	void *func;
};
typedef void (*ru_rcu_callback_t)(struct ru_rcu_head *head);

/* Logging: prefixed with "rcu_unload: ". */
enum ru_log_level { RU_LOG_ERR, RU_LOG_WARN, RU_LOG_INFO };
void ru_log(enum ru_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void *ru_alloc(unsigned long size);
void ru_free(void *ptr);
/* What the allocator really set aside for ru_alloc()'s object (its slab size). */
unsigned long ru_alloc_size(const void *ptr);
ru_u64 ru_now_ns(void);
void ru_sleep_us(unsigned int min_us, unsigned int max_us);
void ru_delay_us(unsigned int us);
void ru_cond_resched(void);
/* Gives the CPU to any other runnable task; a context switch even when none is. */
void ru_yield(void);
void ru_cpu_relax(void);
/* Not declared noreturn: objtool cannot see that across objects. */
void ru_bug(const char *why);

/*
 * Runs fn(arg, cpu, index, count) in task context bound to each online CPU in
 * turn, with CPU hotplug held off; stops at and returns the first negative result.
 */
typedef long (*ru_per_cpu_fn)(void *arg, unsigned int cpu, unsigned int index,
			      unsigned int count);
long ru_run_on_each_online_cpu(ru_per_cpu_fn fn, void *arg);

/* A function running in a workqueue worker; finish() waits for it and frees. */
struct ru_background;
int ru_background_start(void (*fn)(void *arg), void *arg, struct ru_background **out);
int ru_background_done(struct ru_background *bg);
void ru_background_finish(struct ru_background *bg);

/* Kernel threads running fn(arg) until stopped; cpu < 0 means unbound. */
struct ru_thread;
int ru_thread_start(int (*fn)(void *arg), void *arg, const char *name, int cpu,
		    struct ru_thread **out);
int ru_thread_should_stop(void);
void ru_thread_stop(struct ru_thread *thread);
/* Raise a thread to SCHED_FIFO (priority boost); the current thread back to normal if raised. */
void ru_thread_boost(struct ru_thread *thread);
void ru_thread_unboost_self(void);

/*
 * Make every online CPU pass a momentary dyntick-idle quiescent state, which the
 * next quiescent-state scan credits, by running the CPU stoppers on all of them.
 */
int ru_stop_machine_each_cpu(void);

/* Kernel type, from the build-time config and what the running kernel set up at boot. */
enum ru_rcu_type { RU_RCU_TINY, RU_RCU_TREE, RU_RCU_TREE_PREEMPT };
enum ru_preempt_model { RU_PREEMPT_NONE, RU_PREEMPT_VOLUNTARY, RU_PREEMPT_FULL,
			RU_PREEMPT_RT };
struct ru_kernel_info {
	enum ru_rcu_type rcu;
	enum ru_preempt_model preempt;
	bool rcu_boost;
	/* rcu_nocbs=/nohz_full= set up at boot: rcuo kthreads, not softirq, run callbacks */
	bool callbacks_offloaded;
	/* rcu_core() runs from RCU_SOFTIRQ (not rcuc kthreads: PREEMPT_RT, use_softirq=0) */
	bool rcu_core_in_softirq;
	unsigned int online_cpus;
};
void ru_get_kernel_info(struct ru_kernel_info *info);

/*
 * One ops table per RCU flavor, in the manner of rcuscale's rcu_scale_ops. Optional
 * operations are NULL where the flavor has no such thing on this kernel.
 */
struct ru_flavor_ops {
	const char *name;
	int (*init)(void);     /* optional */
	void (*cleanup)(void); /* optional, after the last barrier */
	int (*read_lock)(void);
	void (*read_unlock)(int cookie);
	void (*call)(struct ru_rcu_head *head, ru_rcu_callback_t fn);
	void (*barrier)(void);
	void (*sync_expedited)(void);
	void (*start_gp)(void);
	/* Cookie for the grace period that must end after now; has one ended since? */
	unsigned long (*gp_cookie)(void);
	bool (*gp_elapsed)(unsigned long cookie);
	/*
	 * The flavor's own push on the current grace period: for vanilla RCU an
	 * immediate quiescent-state scan (TREE_RCU), for SRCU an expedited grace period.
	 */
	void (*expedite)(void);
	/*
	 * Make every CPU run its RCU core now (IPI + RCU_SOFTIRQ); NULL where unsafe.
	 * Returns the IPIs sent: none to a CPU that has not yet taken the last one.
	 */
	unsigned int (*kick_each_cpu)(void);
	/* Returns once every CPU has taken its kicks: before the module may go. */
	void (*wait_kicks_taken)(void);
	/*
	 * Run, in this context, the callbacks whose grace period this context ends: only
	 * where the caller is itself a quiescent state (TINY_RCU).
	 */
	void (*invoke_ready_now)(void);
	/*
	 * Once the module's callbacks have run, nothing of the flavor's touches module
	 * memory any more, so counting them can stand in for the barrier.
	 */
	bool callbacks_are_the_last_use;
};
/* The flavor's ops on the running kernel; NULL if the kernel does not have it. */
const struct ru_flavor_ops *ru_flavor_get(enum ru_flavor_index flavor);

/*
 * The resident expediter (rcu_unload_expediter.ko, kmod/expediter.cpp): a kthread
 * running force rounds while switched on. Its C side sleeps it until switched on.
 */
struct ru_expediter_stats {
	RU_EXPEDITER_STATS(RU_RECORD_FIELD)
};
int ru_expediter_init(void);
void ru_expediter_exit(void);
void ru_expediter_switch_on(unsigned int interval_us, unsigned int max_on_ms);
void ru_expediter_switch_off(void);
bool ru_expediter_is_on(void);
void ru_expediter_get_stats(struct ru_expediter_stats *stats);
/* Returns once switched on or told to stop (ru_thread_should_stop()). */
void ru_expediter_wait_until_on(void);
void ru_expediter_wake(void);

/* Implemented by the core. */
int ru_core_init(const struct ru_params *params);
void ru_core_exit(enum ru_strategy_index strategy);
/* 0, or -EINVAL with a log line, for a strategy written through sysfs after load. */
int ru_core_check_strategy(enum ru_strategy_index strategy);

#ifdef __cplusplus
}
#endif

#endif /* RCU_UNLOAD_GLUE_H */
