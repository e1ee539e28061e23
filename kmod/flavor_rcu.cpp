// SPDX-License-Identifier: GPL-2.0
#include "flavor.hpp"

const rcu_flavor rcu_flavor_vanilla = {
	.name = "rcu",
	.call = ru_call_rcu,
	.barrier = ru_rcu_barrier,
	.sync_expedited = ru_synchronize_rcu_expedited,
	.start_gp = ru_rcu_start_gp,
	.gp_cookie = ru_rcu_gp_cookie,
	.gp_elapsed = ru_rcu_gp_elapsed,
	.force_quiescent_state = ru_rcu_force_quiescent_state,
};
