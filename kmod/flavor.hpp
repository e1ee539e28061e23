// SPDX-License-Identifier: GPL-2.0
// One ops table per RCU flavor, in the manner of rcuscale's rcu_scale_ops.
// Optional operations are null where the flavor has no such thing.
#pragma once
#include "glue.h"

struct rcu_flavor {
	const char *name;
	int (*init)();      // optional
	void (*cleanup)();  // optional, after the last barrier
	int (*read_lock)();
	void (*read_unlock)(int cookie);
	void (*call)(ru_rcu_head *head, ru_rcu_callback_t fn);
	void (*barrier)();
	void (*sync_expedited)();
	void (*start_gp)();
	unsigned long (*gp_cookie)();
	int (*gp_elapsed)(unsigned long cookie);
	// The flavor's own push on the current grace period (for vanilla RCU an immediate
	// quiescent-state scan; for SRCU an expedited grace period, which shares its counter).
	int (*expedite)();
	bool expedite_needs_tree_rcu; // TINY_RCU has no grace-period kthread to prod
	// Once the module's callbacks have run, nothing of the flavor's touches module
	// memory any more, so counting them can stand in for the barrier.
	bool callbacks_are_the_last_use;
	// Run, in this context, the callbacks whose grace period this context ends: only
	// where the caller is itself a quiescent state (TINY_RCU). Optional.
	int (*invoke_ready_now)();
};

extern const rcu_flavor rcu_flavor_vanilla;
extern const rcu_flavor rcu_flavor_srcu;
extern const rcu_flavor rcu_flavor_tasks;

// nullptr if no flavor has that name.
const rcu_flavor *flavor_by_name(const char *name);
