// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel side of rcu_unload: module parameters, entry points, and the thin
 * wrappers the C++ core calls (see glue.h). No policy lives here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bottom_half.h>
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/kthread.h>
#include <linux/srcu.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/sched/rt.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/stop_machine.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "glue.h"

#ifdef CONFIG_TREE_RCU
/* Exported since v4.x but declared only in kernel/rcu/tree.h. */
void rcu_force_quiescent_state(void);
#endif

static_assert(sizeof(struct ru_rcu_head) == sizeof(struct rcu_head));
static_assert(__alignof__(struct ru_rcu_head) == __alignof__(struct rcu_head));
static_assert(RU_ENOMEM == ENOMEM && RU_EINVAL == EINVAL && RU_EOPNOTSUPP == EOPNOTSUPP &&
	      RU_ETIMEDOUT == ETIMEDOUT);

/* ---- parameters ---- */
static unsigned int callbacks = 1000;
module_param(callbacks, uint, 0444);
MODULE_PARM_DESC(callbacks, "call_rcu callbacks enqueued at load, spread over online CPUs (0..1000000)");

static unsigned long tag;
module_param(tag, ulong, 0444);
MODULE_PARM_DESC(tag, "Opaque id echoed in every record, chosen by the harness");

static char *flavor = "rcu";
module_param(flavor, charp, 0444);
MODULE_PARM_DESC(flavor, "RCU flavor of the callbacks: rcu, srcu (the module's own srcu_struct) or tasks");

static unsigned int readers;
module_param(readers, uint, 0444);
MODULE_PARM_DESC(readers, "Reader kthreads looping over read-side critical sections while loaded (0..64)");

static unsigned int reader_hold_us = 10;
module_param(reader_hold_us, uint, 0444);
MODULE_PARM_DESC(reader_hold_us, "Length of each reader critical section, in microseconds (0..10000)");

static unsigned int churn;
module_param(churn, uint, 0444);
MODULE_PARM_DESC(churn, "Callbacks per millisecond each CPU's producer enqueues while loaded (0..1000)");

static bool allow_unsafe;
module_param(allow_unsafe, bool, 0444);
MODULE_PARM_DESC(allow_unsafe, "Permit strategy=unsafe-none, which unloads with callbacks pending (crashes)");

static bool measure_limit;
module_param(measure_limit, bool, 0444);
MODULE_PARM_DESC(measure_limit, "At load, time one expedited grace period and the cost of invoking a callback (init record: exp_gp_ns, cb_cost_ns)");

static unsigned int force_steps = RU_FORCE_DEFAULT;
module_param(force_steps, uint, 0444);
MODULE_PARM_DESC(force_steps, "force-qs ingredients, a bit mask: 1 start a grace period at once, 2 stop_machine every CPU (momentary dyntick-idle), 4 rcu_force_quiescent_state()");

static unsigned int force_interval_us = 100;
module_param(force_interval_us, uint, 0444);
MODULE_PARM_DESC(force_interval_us, "force-qs pause between expediting rounds, in microseconds (10..100000)");

static int strategy; /* index into the core's strategy table; 0 is "auto" */

static int strategy_set(const char *val, const struct kernel_param *kp)
{
	char name[32], names[128];
	int index;

	strscpy(name, val, sizeof(name));
	index = ru_strategy_lookup(strim(name));
	if (index < 0) {
		ru_strategy_names(names, sizeof(names));
		pr_err("invalid strategy=%s: expected one of %s\n", val, names);
		return -EINVAL;
	}
	WRITE_ONCE(*(int *)kp->arg, index);
	return 0;
}

static int strategy_get(char *buffer, const struct kernel_param *kp)
{
	return sysfs_emit(buffer, "%s\n", ru_strategy_name(READ_ONCE(*(int *)kp->arg)));
}

static const struct kernel_param_ops strategy_ops = {
	.set = strategy_set,
	.get = strategy_get,
};
module_param_cb(strategy, &strategy_ops, &strategy, 0644);
MODULE_PARM_DESC(strategy, "Unload strategy run at exit; writable until rmmod (auto, barrier, sync-exp, force-qs, force-qs-own, boost, direct, unsafe-none)");

void ru_get_params(struct ru_params *params)
{
	params->callbacks = callbacks;
	params->tag = tag;
	params->force_steps = READ_ONCE(force_steps);
	params->force_interval_us = READ_ONCE(force_interval_us);
	params->flavor = flavor;
	params->readers = readers;
	params->reader_hold_us = reader_hold_us;
	params->churn = churn;
	params->allow_unsafe = allow_unsafe;
	params->measure_limit = measure_limit;
}

int ru_param_strategy(void)
{
	return READ_ONCE(strategy);
}

/* ---- services ---- */
void ru_log(enum ru_log_level level, const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	switch (level) {
	case RU_LOG_ERR:
		pr_err("%pV\n", &vaf);
		break;
	case RU_LOG_WARN:
		pr_warn("%pV\n", &vaf);
		break;
	default:
		pr_info("%pV\n", &vaf);
		break;
	}
	va_end(args);
}

void *ru_alloc(unsigned long size)
{
	return kmalloc(size, GFP_KERNEL);
}

void ru_free(void *ptr)
{
	kfree(ptr);
}

unsigned long ru_alloc_size(const void *ptr)
{
	return ksize(ptr);
}

ru_u64 ru_now_ns(void)
{
	return ktime_get_ns();
}

void ru_sleep_us(unsigned int min_us, unsigned int max_us)
{
	usleep_range(min_us, max_us);
}

void ru_bug(const char *why)
{
	panic(KBUILD_MODNAME ": %s\n", why);
}

struct per_cpu_call {
	ru_per_cpu_fn fn;
	void *arg;
	unsigned int index;
	unsigned int count;
};

static long per_cpu_call_fn(void *data)
{
	struct per_cpu_call *call = data;

	return call->fn(call->arg, smp_processor_id(), call->index, call->count);
}

long ru_run_on_each_online_cpu(ru_per_cpu_fn fn, void *arg)
{
	struct per_cpu_call call = { .fn = fn, .arg = arg };
	long ret = 0;
	int cpu;

	cpus_read_lock();
	call.count = num_online_cpus();
	for_each_online_cpu(cpu) {
		ret = work_on_cpu(cpu, per_cpu_call_fn, &call);
		if (ret < 0)
			break;
		call.index++;
	}
	cpus_read_unlock();
	return ret < 0 ? ret : 0;
}

struct ru_background {
	struct work_struct work;
	struct completion done;
	void (*fn)(void *arg);
	void *arg;
};

static void background_work(struct work_struct *work)
{
	struct ru_background *bg = container_of(work, struct ru_background, work);

	bg->fn(bg->arg);
	complete(&bg->done);
}

struct ru_background *ru_background_start(void (*fn)(void *arg), void *arg)
{
	struct ru_background *bg = kmalloc(sizeof(*bg), GFP_KERNEL);

	if (!bg)
		return NULL;
	INIT_WORK(&bg->work, background_work);
	init_completion(&bg->done);
	bg->fn = fn;
	bg->arg = arg;
	queue_work(system_unbound_wq, &bg->work);
	return bg;
}

int ru_background_done(struct ru_background *bg)
{
	return completion_done(&bg->done);
}

void ru_background_finish(struct ru_background *bg)
{
	/* flush_work: the worker must have left background_work, which is module text. */
	flush_work(&bg->work);
	kfree(bg);
}

struct ru_thread *ru_thread_start(int (*fn)(void *arg), void *arg, const char *name, int cpu)
{
	struct task_struct *task;

	if (cpu >= 0)
		task = kthread_create_on_cpu(fn, arg, cpu, name);
	else
		task = kthread_create(fn, arg, "%s", name);
	if (IS_ERR(task))
		return NULL;
	/*
	 * A thread may return by itself (the core sets a stop flag before stopping it):
	 * without this reference its task_struct can be freed before kthread_stop().
	 */
	get_task_struct(task);
	wake_up_process(task);
	return (struct ru_thread *)task;
}

int ru_thread_should_stop(void)
{
	return kthread_should_stop();
}

void ru_thread_stop(struct ru_thread *thread)
{
	struct task_struct *task = (struct task_struct *)thread;

	kthread_stop(task);
	put_task_struct(task);
}

void ru_thread_boost(struct ru_thread *thread)
{
	sched_set_fifo((struct task_struct *)thread);
}

void ru_thread_unboost_self(void)
{
	if (rt_task(current))
		sched_set_normal(current, 0);
}

void ru_delay_us(unsigned int us)
{
	udelay(us);
}

void ru_cond_resched(void)
{
	cond_resched();
}

/*
 * Nothing exported says whether callbacks are offloaded; their kthreads do. rcuog/N and
 * rcuo{p,s}/N exist once rcu_nocbs= or nohz_full= set offloading up at boot (6.1
 * kernel/rcu/tree_nocb.h:1285-1311), and without it they never do. Boot decides it, so
 * module init looks once, and the exit path does not walk the task list.
 */
static bool callbacks_offloaded;

static bool rcu_callbacks_offloaded(void)
{
	struct task_struct *task;
	bool found = false;

	if (!IS_ENABLED(CONFIG_RCU_NOCB_CPU))
		return false;
	rcu_read_lock();
	for_each_process(task) {
		if ((task->flags & PF_KTHREAD) && !strncmp(task->comm, "rcuo", 4) &&
		    task->comm[4] && task->comm[5] == '/') {
			found = true;
			break;
		}
	}
	rcu_read_unlock();
	return found;
}

void ru_get_kernel_info(struct ru_kernel_info *info)
{
	if (IS_ENABLED(CONFIG_TINY_RCU))
		info->rcu = RU_RCU_TINY;
	else if (IS_ENABLED(CONFIG_PREEMPT_RCU))
		info->rcu = RU_RCU_TREE_PREEMPT;
	else
		info->rcu = RU_RCU_TREE;

	if (IS_ENABLED(CONFIG_PREEMPT_RT))
		info->preempt = RU_PREEMPT_RT;
	else if (preempt_model_full())
		info->preempt = RU_PREEMPT_FULL;
	else if (preempt_model_voluntary())
		info->preempt = RU_PREEMPT_VOLUNTARY;
	else
		info->preempt = RU_PREEMPT_NONE;

	info->rcu_boost = IS_ENABLED(CONFIG_RCU_BOOST);
	info->tasks_rcu = IS_ENABLED(CONFIG_TASKS_RCU);
	info->callbacks_offloaded = callbacks_offloaded;
	info->online_cpus = num_online_cpus();
}

/* ---- vanilla RCU ---- */
int ru_rcu_read_lock(void)
{
	rcu_read_lock();
	return 0;
}

void ru_rcu_read_unlock(int cookie)
{
	rcu_read_unlock();
}

void ru_call_rcu(struct ru_rcu_head *head, ru_rcu_callback_t fn)
{
	call_rcu((struct rcu_head *)head, (rcu_callback_t)fn);
}

void ru_rcu_barrier(void)
{
	rcu_barrier();
}

void ru_synchronize_rcu_expedited(void)
{
	synchronize_rcu_expedited();
}

unsigned long ru_rcu_gp_cookie(void)
{
	return get_state_synchronize_rcu();
}

int ru_rcu_gp_elapsed(unsigned long cookie)
{
	return poll_state_synchronize_rcu(cookie);
}

void ru_rcu_start_gp(void)
{
	start_poll_synchronize_rcu();
}

int ru_rcu_force_quiescent_state(void)
{
#ifdef CONFIG_TREE_RCU
	rcu_force_quiescent_state();
	return 0;
#else
	return -EOPNOTSUPP;
#endif
}

int ru_rcu_invoke_ready_now(void)
{
#ifdef CONFIG_TINY_RCU
	/*
	 * __schedule() calls rcu_note_context_switch() -> rcu_qs() even when it picks
	 * the caller again: the grace period ends and RCU_SOFTIRQ is raised. Enabling
	 * bottom halves then runs that softirq here, unless ksoftirqd ran it meanwhile.
	 */
	schedule();
	local_bh_disable();
	local_bh_enable();
	return 0;
#else
	return -EOPNOTSUPP;
#endif
}

static int stop_machine_nop(void *unused)
{
	return 0;
}

int ru_force_qs_on_each_cpu(void)
{
	/* multi_cpu_stop() calls rcu_momentary_dyntick_idle() on every CPU it holds. */
	return stop_machine(stop_machine_nop, NULL, NULL);
}

/* ---- SRCU ---- */
static struct srcu_struct module_srcu;

int ru_srcu_init(void)
{
	return init_srcu_struct(&module_srcu);
}

void ru_srcu_cleanup(void)
{
	cleanup_srcu_struct(&module_srcu);
}

int ru_srcu_read_lock(void)
{
	return srcu_read_lock(&module_srcu);
}

void ru_srcu_read_unlock(int idx)
{
	srcu_read_unlock(&module_srcu, idx);
}

void ru_call_srcu(struct ru_rcu_head *head, ru_rcu_callback_t fn)
{
	call_srcu(&module_srcu, (struct rcu_head *)head, (rcu_callback_t)fn);
}

void ru_srcu_barrier(void)
{
	srcu_barrier(&module_srcu);
}

void ru_synchronize_srcu_expedited(void)
{
	synchronize_srcu_expedited(&module_srcu);
}

unsigned long ru_srcu_gp_cookie(void)
{
	return get_state_synchronize_srcu(&module_srcu);
}

int ru_srcu_gp_elapsed(unsigned long cookie)
{
	return poll_state_synchronize_srcu(&module_srcu, cookie);
}

void ru_srcu_start_gp(void)
{
	start_poll_synchronize_srcu(&module_srcu);
}

/* ---- Tasks RCU (the core refuses flavor=tasks when info->tasks_rcu is 0) ---- */
void ru_call_rcu_tasks(struct ru_rcu_head *head, ru_rcu_callback_t fn)
{
#ifdef CONFIG_TASKS_RCU
	call_rcu_tasks((struct rcu_head *)head, (rcu_callback_t)fn);
#else
	WARN_ON_ONCE(1);
#endif
}

void ru_rcu_barrier_tasks(void)
{
#ifdef CONFIG_TASKS_RCU
	rcu_barrier_tasks();
#endif
}

/* ---- entry points ---- */
static int __init rcu_unload_init(void)
{
	callbacks_offloaded = rcu_callbacks_offloaded();
	return ru_core_init();
}

static void __exit rcu_unload_exit(void)
{
	ru_core_exit();
}

module_init(rcu_unload_init);
module_exit(rcu_unload_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Measures and expedites unloading a module whose RCU callbacks are pending");
MODULE_AUTHOR("rcu-unload developers");
