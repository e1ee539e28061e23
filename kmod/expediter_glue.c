// SPDX-License-Identifier: GPL-2.0
/*
 * rcu_unload_expediter.ko's C side: root-only control files, the parameters of the
 * contract's RU_EXPEDITER_PARAM_LIST, the sleep between uses, the entry points.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/wait.h>

#include "glue.h"
#include "kernel.h"

#define RU_DEFINE_EXPEDITER_PARAM(name, type, def, min, max, desc)			\
	RU_MODULE_PARAM(name, type, def, min, max, desc, 0600)
RU_EXPEDITER_PARAM_LIST(RU_DEFINE_EXPEDITER_PARAM)

static int active_set(const char *val, const struct kernel_param *kp)
{
	bool on;

	if (kstrtobool(val, &on)) {
		pr_err("invalid active=%.*s: must be 0 or 1\n", (int)strcspn(val, "\n"), val);
		return -EINVAL;
	}
	if (on)
		ru_expediter_switch_on(READ_ONCE(interval_us), READ_ONCE(max_on_ms));
	else
		ru_expediter_switch_off();
	return 0;
}

static int active_get(char *buffer, const struct kernel_param *kp)
{
	return sysfs_emit(buffer, "%d\n", ru_expediter_is_on());
}

static const struct kernel_param_ops active_ops = { .set = active_set, .get = active_get };
module_param_cb(active, &active_ops, NULL, 0600);
MODULE_PARM_DESC(active, "1 switches the force rounds on (until 0 is written or max_on_ms passes), 0 off");

#define RU_STATS_FMT_u64 "%llu"
#define RU_APPEND_STAT(key, type, help)							\
	used += scnprintf(buffer + used, PAGE_SIZE - used, "%s" #key "=" RU_STATS_FMT_##type,	\
			  used ? " " : "", (unsigned long long)stats.key);

static int stats_get(char *buffer, const struct kernel_param *kp)
{
	struct ru_expediter_stats stats;
	int used = 0;

	ru_expediter_get_stats(&stats);
	RU_EXPEDITER_STATS(RU_APPEND_STAT)
	used += scnprintf(buffer + used, PAGE_SIZE - used, "\n");
	return used;
}

static const struct kernel_param_ops stats_ops = { .get = stats_get };
module_param_cb(stats, &stats_ops, NULL, 0400);
MODULE_PARM_DESC(stats, "key=value counters since load: how often switched on, rounds, kicks, IPIs, CPU time");

static DECLARE_WAIT_QUEUE_HEAD(switched_on);

void ru_expediter_wait_until_on(void)
{
	wait_event_interruptible(switched_on, ru_expediter_is_on() || kthread_should_stop());
}

void ru_expediter_wake(void)
{
	wake_up(&switched_on);
}

static int __init expediter_init(void)
{
	ru_kernel_setup();
	return ru_expediter_init();
}

static void __exit expediter_exit(void)
{
	ru_expediter_exit();
}

module_init(expediter_init);
module_exit(expediter_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Forces RCU quiescent states and runs every CPU's RCU core while switched on, to expedite another module's unload");
MODULE_AUTHOR("rcu-unload developers");
