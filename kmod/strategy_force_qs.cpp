// SPDX-License-Identifier: GPL-2.0
// US9262234's SMP method: while the barrier waits in a worker, make every CPU pass
// a quiescent state and have the grace-period kthread scan for it at once, again
// and again until the barrier has seen every callback invoked.
#include "strategy.hpp"

namespace {
void run_barrier(void *flavor)
{
	static_cast<const rcu_flavor *>(flavor)->barrier();
}

unload_outcome force_qs_wait(const unload_context &ctx)
{
	ru_background *barrier = ru_background_start(run_barrier, const_cast<rcu_flavor *>(&ctx.flavor));
	unsigned long rounds = 0;
	const ru_u64 start = ru_now_ns();
	ru_u64 gp_ns = 0;
	// Splits the wait into the grace period and the callback invocation after it.
	const unsigned long cookie = ctx.flavor.gp_cookie();

	if (!barrier)
		return {-RU_ENOMEM, 0, 0};
	const unsigned int steps = ctx.params.force_steps;
	const unsigned int interval_us = ctx.params.force_interval_us;

	if (steps & RU_FORCE_START_GP)
		ctx.flavor.start_gp();
	while (!ru_background_done(barrier)) {
		if (steps & RU_FORCE_STOP_MACHINE)
			ru_force_qs_on_each_cpu();
		if (steps & RU_FORCE_FQS)
			ctx.flavor.force_quiescent_state();
		rounds++;
		if (!gp_ns && ctx.flavor.gp_elapsed(cookie))
			gp_ns = ru_now_ns() - start;
		// Short against a 4 ms jiffy, long enough for the grace-period kthread to act
		// on one scan request before the next.
		ru_sleep_us(interval_us, interval_us + interval_us / 2);
	}
	ru_background_finish(barrier);
	return {0, rounds, gp_ns};
}
} // namespace

const unload_strategy strategy_force_qs = {"force-qs", force_qs_wait, nullptr};
