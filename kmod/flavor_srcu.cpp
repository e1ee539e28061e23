// SPDX-License-Identifier: GPL-2.0
#include "flavor.hpp"

static int srcu_expedite()
{
	ru_synchronize_srcu_expedited();
	return 0;
}

const rcu_flavor rcu_flavor_srcu = {
	.name = "srcu",
	.init = ru_srcu_init,
	.cleanup = ru_srcu_cleanup,
	.read_lock = ru_srcu_read_lock,
	.read_unlock = ru_srcu_read_unlock,
	.call = ru_call_srcu,
	.barrier = ru_srcu_barrier,
	.sync_expedited = ru_synchronize_srcu_expedited,
	.start_gp = ru_srcu_start_gp,
	.gp_cookie = ru_srcu_gp_cookie,
	.gp_elapsed = ru_srcu_gp_elapsed,
	.expedite = srcu_expedite,
	.expedite_needs_tree_rcu = false,
	.callbacks_are_the_last_use = false,
	.invoke_ready_now = nullptr,
};
