/* SPDX-License-Identifier: GPL-2.0 */
/* What both modules' C sides share from kmod/kernel.c, besides glue.h. */
#ifndef RCU_UNLOAD_KERNEL_H
#define RCU_UNLOAD_KERNEL_H

#include <linux/moduleparam.h>

/* Looks once at what boot set up (offloaded callbacks, RCU_SOFTIRQ) and fills the flavor ops. */
void ru_kernel_setup(void);

/*
 * A numeric parameter of a contract list: NAME=VALUE out of MIN..MAX, or not a
 * number, fails with -EINVAL and a log line "invalid NAME=VALUE: must be MIN..MAX".
 */
struct ru_param_range {
	void *value;
	unsigned long long min, max;
};
extern const struct kernel_param_ops ru_param_ops_uint, ru_param_ops_ulong, ru_param_ops_bool;

#define RU_MODULE_PARAM(name, type, def, min, max, desc, perm)				\
	static RU_PARAM_CTYPE_##type name = def;					\
	static struct ru_param_range name##_range = { &name, min, max };		\
	module_param_cb(name, &ru_param_ops_##type, &name##_range, perm);		\
	__MODULE_PARM_TYPE(name, #type);						\
	MODULE_PARM_DESC(name, desc " (" #min ".." #max ", default " #def ")");

#endif /* RCU_UNLOAD_KERNEL_H */
