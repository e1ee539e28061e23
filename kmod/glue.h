/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The whole boundary between the kernel and the C++ core of rcu_unload.
 *
 * Kernel headers do not compile as C++, so the core sees the kernel only through
 * this header: plain C types, opaque handles, and -errno returns in the style of
 * the kernel. glue.c implements it and checks the layout assumptions made here.
 */
#ifndef RCU_UNLOAD_GLUE_H
#define RCU_UNLOAD_GLUE_H

#ifdef __cplusplus
extern "C" {
#endif

typedef unsigned long long ru_u64;

/* errno values the core returns (checked against the kernel's in glue.c). */
enum { RU_ENOMEM = 12, RU_EINVAL = 22, RU_EOPNOTSUPP = 95, RU_ETIMEDOUT = 110 };
#define RU_IS_ERR_VALUE(x) ((unsigned long)(x) >= (unsigned long)-4095)

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
struct ru_background *ru_background_start(void (*fn)(void *arg), void *arg);
int ru_background_done(struct ru_background *bg);
void ru_background_finish(struct ru_background *bg);

/* Kernel threads running fn(arg) until stopped; cpu < 0 means unbound. */
struct ru_thread;
struct ru_thread *ru_thread_start(int (*fn)(void *arg), void *arg, const char *name, int cpu);
int ru_thread_should_stop(void);
void ru_thread_stop(struct ru_thread *thread);
/* Raise a thread to SCHED_FIFO (priority boost); the current thread back to normal if raised. */
void ru_thread_boost(struct ru_thread *thread);
void ru_thread_unboost_self(void);
void ru_delay_us(unsigned int us);
void ru_cond_resched(void);

/* Kernel type, from the build-time config and the runtime preemption model. */
enum ru_rcu_type { RU_RCU_TINY, RU_RCU_TREE, RU_RCU_TREE_PREEMPT };
enum ru_preempt_model { RU_PREEMPT_NONE, RU_PREEMPT_VOLUNTARY, RU_PREEMPT_FULL,
			RU_PREEMPT_RT };
struct ru_kernel_info {
	enum ru_rcu_type rcu;
	enum ru_preempt_model preempt;
	int rcu_boost;
	int tasks_rcu;
	/* rcu_nocbs=/nohz_full= set up at boot: rcuo kthreads, not softirq, run callbacks */
	int callbacks_offloaded;
	unsigned int online_cpus;
};
void ru_get_kernel_info(struct ru_kernel_info *info);

/* Vanilla RCU. */
int ru_rcu_read_lock(void);
void ru_rcu_read_unlock(int cookie);
void ru_call_rcu(struct ru_rcu_head *head, ru_rcu_callback_t fn);
void ru_rcu_barrier(void);
void ru_synchronize_rcu_expedited(void);
/* Cookie for the grace period that must end after now; has one ended since? */
unsigned long ru_rcu_gp_cookie(void);
int ru_rcu_gp_elapsed(unsigned long cookie);
/* Ask for a new normal grace period now rather than at the next tick. */
void ru_rcu_start_gp(void);
/* Wake the grace-period kthread for a quiescent-state scan; -EOPNOTSUPP on TINY_RCU. */
int ru_rcu_force_quiescent_state(void);
/*
 * TINY_RCU only (-EOPNOTSUPP elsewhere): record the caller's quiescent state and
 * invoke the callbacks it makes ready, in the caller's context.
 */
int ru_rcu_invoke_ready_now(void);
/*
 * Make every online CPU pass a momentary dyntick-idle quiescent state, which the
 * next quiescent-state scan credits, by running the CPU stoppers on all of them.
 */
int ru_force_qs_on_each_cpu(void);

/* SRCU on the module's own srcu_struct, between ru_srcu_init() and ru_srcu_cleanup(). */
int ru_srcu_init(void);
void ru_srcu_cleanup(void);
int ru_srcu_read_lock(void);
void ru_srcu_read_unlock(int idx);
void ru_call_srcu(struct ru_rcu_head *head, ru_rcu_callback_t fn);
void ru_srcu_barrier(void);
void ru_synchronize_srcu_expedited(void);
unsigned long ru_srcu_gp_cookie(void);
int ru_srcu_gp_elapsed(unsigned long cookie);
void ru_srcu_start_gp(void);

/* Tasks RCU: a voluntary context switch is the quiescent state. */
void ru_call_rcu_tasks(struct ru_rcu_head *head, ru_rcu_callback_t fn);
void ru_rcu_barrier_tasks(void);

/* Module parameters, read through the glue because they live in C. */
enum ru_force_step {
	RU_FORCE_START_GP = 1,
	RU_FORCE_STOP_MACHINE = 2,
	RU_FORCE_FQS = 4,
	RU_FORCE_ALL = 7,
	RU_FORCE_DEFAULT = RU_FORCE_START_GP | RU_FORCE_FQS,
};
struct ru_params {
	unsigned int callbacks;
	unsigned long tag;
	unsigned int force_steps;
	unsigned int force_interval_us;
	const char *flavor;
	unsigned int readers;
	unsigned int reader_hold_us;
	unsigned int churn;
	int allow_unsafe;
	int measure_limit;
};
void ru_get_params(struct ru_params *params);
int ru_param_strategy(void);

/* Implemented by the C++ core. */
int ru_core_init(void);
void ru_core_exit(void);
int ru_strategy_lookup(const char *name);
const char *ru_strategy_name(int index);
/* Fills buffer with the names, separated by ", ". */
void ru_strategy_names(char *buffer, unsigned long size);

#ifdef __cplusplus
}
#endif

#endif /* RCU_UNLOAD_GLUE_H */
