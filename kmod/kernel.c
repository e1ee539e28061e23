// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel services glue.h promises the C++ code (logging, memory, time, threads,
 * what boot set up, one ops table per RCU flavor), shared by both modules built
 * from kmod/: rcu_unload.ko builds this file, rcu_unload_expediter.ko includes it
 * (kmod/expediter_kernel.c), since Kbuild takes no object into two modules.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bottom_half.h>
#include <linux/completion.h>
#include <linux/err.h>
#include <linux/interrupt.h>
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
#include <linux/smp.h>
#include <linux/slab.h>
#include <linux/stop_machine.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "glue.h"
#include "kernel.h"

static_assert(sizeof(struct ru_rcu_head) == sizeof(struct rcu_head));
static_assert(__alignof__(struct ru_rcu_head) == __alignof__(struct rcu_head));
static_assert(RU_EINTR == EINTR && RU_ENOMEM == ENOMEM && RU_EINVAL == EINVAL &&
	      RU_EOPNOTSUPP == EOPNOTSUPP && RU_ETIMEDOUT == ETIMEDOUT);

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

int ru_background_start(void (*fn)(void *arg), void *arg, struct ru_background **out)
{
	struct ru_background *bg = kmalloc(sizeof(*bg), GFP_KERNEL);

	if (!bg)
		return -ENOMEM;
	INIT_WORK(&bg->work, background_work);
	init_completion(&bg->done);
	bg->fn = fn;
	bg->arg = arg;
	queue_work(system_unbound_wq, &bg->work);
	*out = bg;
	return 0;
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

int ru_thread_start(int (*fn)(void *arg), void *arg, const char *name, int cpu,
		    struct ru_thread **out)
{
	struct task_struct *task;

	if (cpu >= 0)
		task = kthread_create_on_cpu(fn, arg, cpu, name);
	else
		task = kthread_create(fn, arg, "%s", name);
	if (IS_ERR(task))
		return PTR_ERR(task);
	/*
	 * A thread may return by itself (the core sets a stop flag before stopping it):
	 * without this reference its task_struct can be freed before kthread_stop().
	 */
	get_task_struct(task);
	wake_up_process(task);
	*out = (struct ru_thread *)task;
	return 0;
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

void ru_yield(void)
{
	yield();
}

void ru_cpu_relax(void)
{
	cpu_relax();
}

static int stop_machine_nop(void *unused)
{
	return 0;
}

int ru_stop_machine_each_cpu(void)
{
	/* multi_cpu_stop() calls rcu_momentary_dyntick_idle() on every CPU it holds. */
	return stop_machine(stop_machine_nop, NULL, NULL);
}

/*
 * What boot set up, seen from the kthreads it created; nothing exported says it
 * otherwise. rcuog/N and rcuo{p,s}/N exist once rcu_nocbs= or nohz_full= offloaded
 * callbacks (6.1 kernel/rcu/tree_nocb.h:1285-1311). rcuc/N exist exactly when
 * use_softirq is off (rcu_spawn_core_kthreads(): PREEMPT_RT's default, or
 * rcutree.use_softirq=0), and then rcu_init() never opened RCU_SOFTIRQ: raising it
 * would call a NULL action. Boot decides both, so module init looks once.
 */
static struct ru_kernel_info boot_info;

static bool kthread_named(const char *prefix)
{
	size_t len = strlen(prefix);
	struct task_struct *task;
	bool found = false;

	rcu_read_lock();
	for_each_process(task) {
		if ((task->flags & PF_KTHREAD) && !strncmp(task->comm, prefix, len)) {
			found = true;
			break;
		}
	}
	rcu_read_unlock();
	return found;
}

static void probe_boot_info(void)
{
	boot_info.callbacks_offloaded = IS_ENABLED(CONFIG_RCU_NOCB_CPU) &&
		(kthread_named("rcuog/") || kthread_named("rcuop/") || kthread_named("rcuos/"));
	boot_info.rcu_core_in_softirq = IS_ENABLED(CONFIG_TREE_RCU) && !kthread_named("rcuc/");
}

void ru_get_kernel_info(struct ru_kernel_info *info)
{
	*info = boot_info;
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
	info->online_cpus = num_online_cpus();
}

/* ---- flavor ops ---- */
static int rcu_read_lock_op(void)
{
	rcu_read_lock();
	return 0;
}

static void rcu_read_unlock_op(int cookie)
{
	rcu_read_unlock();
}

static void call_rcu_op(struct ru_rcu_head *head, ru_rcu_callback_t fn)
{
	call_rcu((struct rcu_head *)head, (rcu_callback_t)fn);
}

static bool rcu_gp_elapsed_op(unsigned long cookie)
{
	return poll_state_synchronize_rcu(cookie);
}

static void rcu_start_gp_op(void)
{
	start_poll_synchronize_rcu();
}

#ifdef CONFIG_TREE_RCU
/* Exported since v4.x but declared only in kernel/rcu/tree.h. */
void rcu_force_quiescent_state(void);

/*
 * One asynchronous IPI per CPU and at most one in flight each (a CPU that has not yet
 * taken the last kick is not sent another, and the sender never spins on it). Its
 * function and data are module memory: rcu_wait_kicks_taken_op() waits until every
 * CPU has taken what it was sent, and free_module()'s synchronize_rcu() then outlasts
 * the return from the IPI handler. Only one thread of a module kicks at a time.
 */
static DEFINE_PER_CPU(call_single_data_t, kick_csd);
static DEFINE_PER_CPU(unsigned long, kicks_sent);
static DEFINE_PER_CPU(unsigned long, kicks_taken);

static void rcu_core_kick(void *unused)
{
	/*
	 * raise_softirq() is not exported; its per-CPU pending word is (irq_stat on
	 * 6.1, pcpu_hot on 6.12), and the kernel's own header picks it. The softirq
	 * runs at this IPI's irq exit.
	 */
	or_softirq_pending(1UL << RCU_SOFTIRQ);
	/* The last access to this module's memory but the return. */
	this_cpu_inc(kicks_taken);
}

static unsigned int rcu_kick_each_cpu_op(void)
{
	unsigned int sent = 0;
	unsigned long flags;
	int cpu, this_cpu;

	/* With preemption off no CPU leaves cpu_online_mask: stop_machine() waits for us. */
	this_cpu = get_cpu();
	for_each_online_cpu(cpu) {
		if (cpu == this_cpu)
			continue;
		if (!smp_call_function_single_async(cpu, per_cpu_ptr(&kick_csd, cpu))) {
			per_cpu(kicks_sent, cpu)++;
			sent++;
		}
	}
	put_cpu();
	/* This CPU's RCU core runs now, at local_bh_enable(). */
	local_bh_disable();
	local_irq_save(flags);
	or_softirq_pending(1UL << RCU_SOFTIRQ);
	local_irq_restore(flags);
	local_bh_enable();
	return sent;
}

static void rcu_wait_kicks_taken_op(void)
{
	int cpu;

	/* A CPU going offline takes its pending IPIs on the way (smpcfd_dying_cpu()). */
	for_each_possible_cpu(cpu)
		while (READ_ONCE(per_cpu(kicks_taken, cpu)) != per_cpu(kicks_sent, cpu))
			cpu_relax();
}

static void setup_kick(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		INIT_CSD(per_cpu_ptr(&kick_csd, cpu), rcu_core_kick, NULL);
}
#endif

#ifdef CONFIG_TINY_RCU
static void rcu_invoke_ready_now_op(void)
{
	/*
	 * __schedule() calls rcu_note_context_switch() -> rcu_qs() even when it picks
	 * the caller again: the grace period ends and RCU_SOFTIRQ is raised. Enabling
	 * bottom halves then runs that softirq here, unless ksoftirqd ran it meanwhile.
	 */
	schedule();
	local_bh_disable();
	local_bh_enable();
}
#endif

/* Not const: what the running kernel allows is filled in at init (setup_flavor_ops()). */
static struct ru_flavor_ops rcu_ops = {
	.name = "rcu",
	.read_lock = rcu_read_lock_op,
	.read_unlock = rcu_read_unlock_op,
	.call = call_rcu_op,
	.barrier = rcu_barrier,
	.sync_expedited = synchronize_rcu_expedited,
	.start_gp = rcu_start_gp_op,
	.gp_cookie = get_state_synchronize_rcu,
	.gp_elapsed = rcu_gp_elapsed_op,
#ifdef CONFIG_TREE_RCU
	.expedite = rcu_force_quiescent_state,
#endif
#ifdef CONFIG_TINY_RCU
	.invoke_ready_now = rcu_invoke_ready_now_op,
#endif
	.callbacks_are_the_last_use = true,
};

static struct srcu_struct module_srcu;

static int srcu_init_op(void)
{
	return init_srcu_struct(&module_srcu);
}

static void srcu_cleanup_op(void)
{
	cleanup_srcu_struct(&module_srcu);
}

static int srcu_read_lock_op(void)
{
	return srcu_read_lock(&module_srcu);
}

static void srcu_read_unlock_op(int idx)
{
	srcu_read_unlock(&module_srcu, idx);
}

static void call_srcu_op(struct ru_rcu_head *head, ru_rcu_callback_t fn)
{
	call_srcu(&module_srcu, (struct rcu_head *)head, (rcu_callback_t)fn);
}

static void srcu_barrier_op(void)
{
	srcu_barrier(&module_srcu);
}

static void srcu_sync_expedited_op(void)
{
	synchronize_srcu_expedited(&module_srcu);
}

static unsigned long srcu_gp_cookie_op(void)
{
	return get_state_synchronize_srcu(&module_srcu);
}

static bool srcu_gp_elapsed_op(unsigned long cookie)
{
	return poll_state_synchronize_srcu(&module_srcu, cookie);
}

static void srcu_start_gp_op(void)
{
	start_poll_synchronize_srcu(&module_srcu);
}

/*
 * SRCU's expedited grace period shares its counter with normal ones, so it is the
 * flavor's push. Its callbacks run from work items that keep using module_srcu
 * after them: counting them cannot stand in for srcu_barrier().
 */
static const struct ru_flavor_ops srcu_ops = {
	.name = "srcu",
	.init = srcu_init_op,
	.cleanup = srcu_cleanup_op,
	.read_lock = srcu_read_lock_op,
	.read_unlock = srcu_read_unlock_op,
	.call = call_srcu_op,
	.barrier = srcu_barrier_op,
	.sync_expedited = srcu_sync_expedited_op,
	.start_gp = srcu_start_gp_op,
	.gp_cookie = srcu_gp_cookie_op,
	.gp_elapsed = srcu_gp_elapsed_op,
	.expedite = srcu_sync_expedited_op,
};

#ifdef CONFIG_TASKS_RCU
static int tasks_read_lock_op(void)
{
	return 0;
}

static void tasks_read_unlock_op(int cookie)
{
	/*
	 * The section ends at a voluntary sleep (t->nvcsw or off the runqueue is what
	 * Tasks RCU looks for; cond_resched() and yield() count as preemptions). A reader
	 * that never sleeps holds every Tasks RCU grace period, and the exit's
	 * rcu_barrier_tasks() would wait for readers it stops only afterwards. Long
	 * enough that the timer seldom expires before schedule() is reached, which would
	 * skip the sleep; the next section's sleep then counts.
	 */
	usleep_range(10, 20);
}

static void call_rcu_tasks_op(struct ru_rcu_head *head, ru_rcu_callback_t fn)
{
	call_rcu_tasks((struct rcu_head *)head, (rcu_callback_t)fn);
}

/*
 * A Tasks RCU reader is any code that does not sleep voluntarily; the flavor has
 * no expedited or polled grace periods to drive.
 */
static const struct ru_flavor_ops tasks_ops = {
	.name = "tasks",
	.read_lock = tasks_read_lock_op,
	.read_unlock = tasks_read_unlock_op,
	.call = call_rcu_tasks_op,
	.barrier = rcu_barrier_tasks,
};
#define TASKS_OPS (&tasks_ops)
#else
#define TASKS_OPS NULL
#endif

static void setup_flavor_ops(void)
{
#ifdef CONFIG_TREE_RCU
	if (boot_info.rcu_core_in_softirq) {
		setup_kick();
		rcu_ops.kick_each_cpu = rcu_kick_each_cpu_op;
		rcu_ops.wait_kicks_taken = rcu_wait_kicks_taken_op;
	}
#endif
}

const struct ru_flavor_ops *ru_flavor_get(enum ru_flavor_index index)
{
	static const struct ru_flavor_ops *const ops[RU_FLAVOR_COUNT] = {
		[RU_FLAVOR_vanilla] = &rcu_ops,
		[RU_FLAVOR_srcu] = &srcu_ops,
		[RU_FLAVOR_tasks] = TASKS_OPS,
	};

	return index < RU_FLAVOR_COUNT ? ops[index] : NULL;
}

void ru_kernel_setup(void)
{
	probe_boot_info();
	setup_flavor_ops();
}

/* ---- parameters ---- */
static int param_refuse(const char *val, const struct kernel_param *kp)
{
	const struct ru_param_range *range = kp->arg;

	/* A sysfs write ends in a newline: not part of the value. */
	pr_err("invalid %s=%.*s: must be %llu..%llu\n", kp->name, (int)strcspn(val, "\n"), val,
	       range->min, range->max);
	return -EINVAL;
}

static int param_parse(const char *val, const struct kernel_param *kp, unsigned long long *value)
{
	const struct ru_param_range *range = kp->arg;

	if (kstrtoull(val, 0, value) || *value < range->min || *value > range->max)
		return param_refuse(val, kp);
	return 0;
}

static int param_set_uint_ranged(const char *val, const struct kernel_param *kp)
{
	const struct ru_param_range *range = kp->arg;
	unsigned long long value;
	int err = param_parse(val, kp, &value);

	if (!err)
		WRITE_ONCE(*(unsigned int *)range->value, value);
	return err;
}

static int param_set_ulong_ranged(const char *val, const struct kernel_param *kp)
{
	const struct ru_param_range *range = kp->arg;
	unsigned long long value;
	int err = param_parse(val, kp, &value);

	if (!err)
		WRITE_ONCE(*(unsigned long *)range->value, value);
	return err;
}

static int param_set_bool_ranged(const char *val, const struct kernel_param *kp)
{
	const struct ru_param_range *range = kp->arg;
	bool value;

	/* A bare NAME (KERNEL_PARAM_OPS_FL_NOARG) means NAME=1, as for module_param bool. */
	if (!val)
		val = "1";
	if (kstrtobool(val, &value))
		return param_refuse(val, kp);
	WRITE_ONCE(*(bool *)range->value, value);
	return 0;
}

static int param_get_ranged(char *buffer, const struct kernel_param *kp,
			    int (*get)(char *buffer, const struct kernel_param *kp))
{
	const struct ru_param_range *range = kp->arg;
	struct kernel_param value = *kp;

	value.arg = range->value;
	return get(buffer, &value);
}

static int param_get_uint_ranged(char *buffer, const struct kernel_param *kp)
{
	return param_get_ranged(buffer, kp, param_get_uint);
}

static int param_get_ulong_ranged(char *buffer, const struct kernel_param *kp)
{
	return param_get_ranged(buffer, kp, param_get_ulong);
}

static int param_get_bool_ranged(char *buffer, const struct kernel_param *kp)
{
	return param_get_ranged(buffer, kp, param_get_bool);
}

const struct kernel_param_ops ru_param_ops_uint = {
	.set = param_set_uint_ranged, .get = param_get_uint_ranged,
};
const struct kernel_param_ops ru_param_ops_ulong = {
	.set = param_set_ulong_ranged, .get = param_get_ulong_ranged,
};
const struct kernel_param_ops ru_param_ops_bool = {
	.flags = KERNEL_PARAM_OPS_FL_NOARG,
	.set = param_set_bool_ranged, .get = param_get_bool_ranged,
};
