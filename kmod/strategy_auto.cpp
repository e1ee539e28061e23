// SPDX-License-Identifier: GPL-2.0
// Picks the patent's method for the running kernel's type.
#include "strategy.hpp"

static ru_strategy_index auto_pick(const rcu_flavor &flavor, const ru_kernel_info &kernel)
{
	// The patent's uniprocessor case: this context is a quiescent state.
	if (strategy_applies(RU_STRATEGY_direct, flavor, kernel))
		return RU_STRATEGY_direct;
	// Tasks RCU (and SRCU or RCU without a way to push) has nothing to expedite.
	if (!flavor_can_expedite(flavor, kernel))
		return RU_STRATEGY_barrier;
	// Every CPU's RCU core run at once, the module's readers boosted first.
	if (strategy_applies(RU_STRATEGY_kick, flavor, kernel))
		return RU_STRATEGY_kick;
	// Preemptible RCU: readers preempted in their critical sections hold the grace
	// period; boosting ours costs nothing when there are none. Not on PREEMPT_RT,
	// which boosts them itself (RCU_BOOST) and where boost measured slower than
	// barrier (docs/bench).
	if (kernel.rcu == RU_RCU_TREE_PREEMPT && kernel.preempt != RU_PREEMPT_RT)
		return RU_STRATEGY_boost;
	return fastest_force_wait(flavor, kernel) == force_until::own_callbacks_run
		       ? RU_STRATEGY_force_qs_own
		       : RU_STRATEGY_force_qs;
}

const unload_strategy strategy_auto = {false, nullptr, nullptr, auto_pick};
