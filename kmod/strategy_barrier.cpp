// SPDX-License-Identifier: GPL-2.0
// What every module does today: wait for the flavor's barrier and nothing else.
#include "strategy.hpp"

static unload_outcome barrier_wait(const unload_context &ctx)
{
	ctx.flavor.barrier();
	return {0, 0, 0, 0};
}

const unload_strategy strategy_barrier = {false, nullptr, barrier_wait, nullptr};
