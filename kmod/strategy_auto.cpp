// SPDX-License-Identifier: GPL-2.0
// Picks the patent's method for the running kernel's type.
#include "strategy.hpp"

static const unload_strategy *auto_pick(const ru_kernel_info &kernel, const rcu_flavor &flavor)
{
	// The patent's uniprocessor case: this context is a quiescent state.
	if (strategy_direct.applies(flavor, kernel))
		return &strategy_direct;
	// Tasks RCU (and SRCU or RCU without a way to push) has nothing to expedite.
	if (!flavor_can_expedite(flavor, kernel))
		return &strategy_barrier;
	// Preemptible RCU: readers preempted in their critical sections hold the grace
	// period; boosting ours costs nothing when there are none. Not on PREEMPT_RT,
	// which boosts them itself (RCU_BOOST) and where boost once measured 1.22x
	// [1.16, 1.39] of barrier (exit p50, 30 cycles each, Debian 6.1-rt, 2 vCPUs).
	if (kernel.rcu == RU_RCU_TREE_PREEMPT && kernel.preempt != RU_PREEMPT_RT)
		return &strategy_boost;
	return fastest_force_wait(flavor, kernel) == force_until::own_callbacks_run
		       ? &strategy_force_qs_own
		       : &strategy_force_qs;
}

const unload_strategy strategy_auto = {"auto", false, nullptr, nullptr, auto_pick};
