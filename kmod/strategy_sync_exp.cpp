// SPDX-License-Identifier: GPL-2.0
// The common belief that an expedited grace period first makes the barrier quick.
// Kept as a reference row: expedited grace periods do not advance normal callbacks.
#include "strategy.hpp"

static bool has_sync_expedited(const rcu_flavor &flavor, const ru_kernel_info &)
{
	return flavor.sync_expedited;
}

static unload_outcome sync_exp_wait(const unload_context &ctx)
{
	ctx.flavor.sync_expedited();
	ctx.flavor.barrier();
	return {0, 1, 0, 0};
}

const unload_strategy strategy_sync_exp = {false, has_sync_expedited, sync_exp_wait, nullptr};
