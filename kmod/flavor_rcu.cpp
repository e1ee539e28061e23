// SPDX-License-Identifier: GPL-2.0
#include "flavor.hpp"

const rcu_flavor rcu_flavor_vanilla = {
	.name = "rcu",
	.init = nullptr,
	.cleanup = nullptr,
	.read_lock = ru_rcu_read_lock,
	.read_unlock = ru_rcu_read_unlock,
	.call = ru_call_rcu,
	.barrier = ru_rcu_barrier,
	.sync_expedited = ru_synchronize_rcu_expedited,
	.start_gp = ru_rcu_start_gp,
	.gp_cookie = ru_rcu_gp_cookie,
	.gp_elapsed = ru_rcu_gp_elapsed,
	.expedite = ru_rcu_force_quiescent_state,
	.expedite_needs_tree_rcu = true,
	.callbacks_are_the_last_use = true,
	.invoke_ready_now = ru_rcu_invoke_ready_now,
};
