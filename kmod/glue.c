// SPDX-License-Identifier: GPL-2.0
/*
 * rcu_unload.ko's C side: module parameters from the contract's lists, the records'
 * printing, the entry points. The kernel services the core calls are kmod/kernel.c.
 * No policy lives here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "glue.h"
#include "kernel.h"

/* ---- parameters ---- */
#define RU_DEFINE_PARAM(name, type, def, min, max, desc)				\
	RU_MODULE_PARAM(name, type, def, min, max, desc, 0444)
RU_PARAM_LIST(RU_DEFINE_PARAM)

#define RU_NAME(ident, name, help) name,
#define RU_NAME_SPACED(ident, name, help) " " name
static const char *const strategy_names[] = { RU_STRATEGY_LIST(RU_NAME) };
static const char *const flavor_names[] = { RU_FLAVOR_LIST(RU_NAME) };

struct named_param {
	const char *what;
	const char *const *names;
	int count;
	const char *choices;
};
static const struct named_param strategy_param = {
	"strategy", strategy_names, RU_STRATEGY_COUNT, RU_STRATEGY_LIST(RU_NAME_SPACED)
};
static const struct named_param flavor_param = {
	"flavor", flavor_names, RU_FLAVOR_COUNT, RU_FLAVOR_LIST(RU_NAME_SPACED)
};

/* The index of val in param's names (trailing newline from sysfs allowed), or -EINVAL. */
static int named_param_index(const struct named_param *param, const char *val)
{
	size_t len = strlen(val);
	int i;

	if (len && val[len - 1] == '\n')
		len--;
	for (i = 0; i < param->count; i++)
		if (strlen(param->names[i]) == len && !strncmp(param->names[i], val, len))
			return i;
	pr_err("invalid %s=%.*s: expected one of%s\n", param->what, (int)len, val, param->choices);
	return -EINVAL;
}

/* Set once the core holds the module's state, cleared when exit begins (under kernel_param_lock). */
static bool core_live;

static int strategy_set(const char *val, const struct kernel_param *kp)
{
	int index = named_param_index(&strategy_param, val);

	if (index < 0)
		return index;
	if (core_live) {
		int err = ru_core_check_strategy(index);

		if (err)
			return err;
	}
	WRITE_ONCE(*(int *)kp->arg, index);
	return 0;
}

static int flavor_set(const char *val, const struct kernel_param *kp)
{
	int index = named_param_index(&flavor_param, val);

	if (index < 0)
		return index;
	*(int *)kp->arg = index;
	return 0;
}

static int strategy_get(char *buffer, const struct kernel_param *kp)
{
	return sysfs_emit(buffer, "%s\n", strategy_names[READ_ONCE(*(int *)kp->arg)]);
}

static int flavor_get(char *buffer, const struct kernel_param *kp)
{
	return sysfs_emit(buffer, "%s\n", flavor_names[*(int *)kp->arg]);
}

static const struct kernel_param_ops strategy_ops = { .set = strategy_set, .get = strategy_get };
static const struct kernel_param_ops flavor_ops = { .set = flavor_set, .get = flavor_get };

static int strategy; /* enum ru_strategy_index; the list's first is the default */
module_param_cb(strategy, &strategy_ops, &strategy, 0644);
MODULE_PARM_DESC(strategy, "Unload strategy run at exit, writable until rmmod; one of"
		 RU_STRATEGY_LIST(RU_NAME_SPACED));

static int flavor; /* enum ru_flavor_index */
module_param_cb(flavor, &flavor_ops, &flavor, 0444);
MODULE_PARM_DESC(flavor, "RCU flavor of the callbacks; one of" RU_FLAVOR_LIST(RU_NAME_SPACED));

#define RU_COPY_PARAM(name, type, def, min, max, desc) params->name = name;
static void get_params(struct ru_params *params)
{
	RU_PARAM_LIST(RU_COPY_PARAM)
	params->strategy = strategy;
	params->flavor = flavor;
}

/* ---- records ---- */
#define RU_RECORD_FMT_u64 "%llu"
#define RU_RECORD_FMT_str "%s"
#define RU_RECORD_ARG_u64(value) (unsigned long long)(value)
#define RU_RECORD_ARG_str(value) (value)
#define RU_APPEND_FIELD(key, type, help)						\
	used += scnprintf(line + used, sizeof(line) - used, " " #key "=" RU_RECORD_FMT_##type,	\
			  RU_RECORD_ARG_##type(record->key));
#define RU_RECORD_LINE_MAX 512

void ru_emit_init_record(const struct ru_init_record *record)
{
	char line[RU_RECORD_LINE_MAX];
	size_t used = 0;

	RU_INIT_RECORD(RU_APPEND_FIELD)
	pr_info("init v=%d%s\n", RU_RECORD_VERSION, line);
}

void ru_emit_exit_record(const struct ru_exit_record *record)
{
	char line[RU_RECORD_LINE_MAX];
	size_t used = 0;

	RU_EXIT_RECORD(RU_APPEND_FIELD)
	pr_info("exit v=%d%s\n", RU_RECORD_VERSION, line);
}

/* ---- entry points ---- */
static int __init rcu_unload_init(void)
{
	struct ru_params params;
	int err;

	ru_kernel_setup();
	get_params(&params);
	err = ru_core_init(&params);
	if (!err)
		core_live = true;
	return err;
}

static void __exit rcu_unload_exit(void)
{
	enum ru_strategy_index asked;

	/* A sysfs write of strategy is checked against the core while core_live holds. */
	kernel_param_lock(THIS_MODULE);
	core_live = false;
	asked = strategy;
	kernel_param_unlock(THIS_MODULE);
	ru_core_exit(asked);
}

module_init(rcu_unload_init);
module_exit(rcu_unload_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Measures and expedites unloading a module whose RCU callbacks are pending");
MODULE_AUTHOR("rcu-unload developers");
