// SPDX-License-Identifier: GPL-2.0
// The common belief that an expedited grace period first makes the barrier quick.
// Kept as a reference row: expedited grace periods do not advance normal callbacks.
#include "strategy.hpp"

static unload_outcome sync_exp_wait(const unload_context &ctx)
{
	if (!ctx.flavor.sync_expedited)
		return {-RU_EOPNOTSUPP, 0, 0};
	ctx.flavor.sync_expedited();
	ctx.flavor.barrier();
	return {0, 1, 0};
}

const unload_strategy strategy_sync_exp = {"sync-exp", false, sync_exp_wait, nullptr};
