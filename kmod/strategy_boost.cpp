// SPDX-License-Identifier: GPL-2.0
// US9262234's preemptible case: a reader preempted inside its critical section
// blocks the grace period until it runs again, so raise the readers we can reach
// (the module's own) to SCHED_FIFO, then force quiescent states until the module's
// callbacks have run, as force-qs-own does, or where counting is unsafe or slower,
// until the barrier returns, as force-qs does.
// Kernels with RCU_BOOST boost such readers themselves, but only after
// rcutree.rcu_boost_delay (500 ms by default).
#include "readers.hpp"
#include "strategy.hpp"

static unload_outcome boost_wait(const unload_context &ctx)
{
	if (ctx.readers)
		ctx.readers->boost();
	return force_quiescent_states(ctx, fastest_force_wait(ctx.flavor, ctx.kernel),
				      ctx.params.force_steps);
}

const unload_strategy strategy_boost = {false, flavor_can_expedite, boost_wait, nullptr};
