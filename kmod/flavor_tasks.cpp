// SPDX-License-Identifier: GPL-2.0
// Tasks RCU readers are any code that does not voluntarily sleep; it has no
// expedited or polled grace periods to drive.
#include "flavor.hpp"

static int tasks_read_lock() { return 0; }
static void tasks_read_unlock(int) {}

const rcu_flavor rcu_flavor_tasks = {
	.name = "tasks",
	.init = nullptr,
	.cleanup = nullptr,
	.read_lock = tasks_read_lock,
	.read_unlock = tasks_read_unlock,
	.call = ru_call_rcu_tasks,
	.barrier = ru_rcu_barrier_tasks,
	.sync_expedited = nullptr,
	.start_gp = nullptr,
	.gp_cookie = nullptr,
	.gp_elapsed = nullptr,
	.expedite = nullptr,
	.expedite_needs_tree_rcu = false,
	.callbacks_are_the_last_use = false,
	.invoke_ready_now = nullptr,
};
