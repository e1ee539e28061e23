// SPDX-License-Identifier: GPL-2.0
// One ops table per RCU flavor, in the manner of rcuscale's rcu_scale_ops.
#pragma once
#include "glue.h"

struct rcu_flavor {
	const char *name;
	void (*call)(ru_rcu_head *head, ru_rcu_callback_t fn);
	void (*barrier)();
	void (*sync_expedited)();
	void (*start_gp)();
	unsigned long (*gp_cookie)();
	int (*gp_elapsed)(unsigned long cookie);
	int (*force_quiescent_state)();
};

extern const rcu_flavor rcu_flavor_vanilla;
