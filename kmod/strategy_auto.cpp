// SPDX-License-Identifier: GPL-2.0
// Picks the patent's method for the running kernel's type.
#include "strategy.hpp"

static const unload_strategy *auto_pick(const ru_kernel_info &kernel)
{
	// TINY_RCU has no grace-period kthread to prod; its barrier completes once we block.
	if (kernel.rcu == RU_RCU_TINY)
		return &strategy_barrier;
	return &strategy_force_qs;
}

const unload_strategy strategy_auto = {"auto", nullptr, auto_pick};
