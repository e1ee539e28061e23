// SPDX-License-Identifier: GPL-2.0
// US9262234's SMP method: while the barrier waits in a worker, make every CPU pass
// a quiescent state and have the grace-period kthread scan for it at once, again
// and again until the barrier has seen every callback invoked.
#include "strategy.hpp"

namespace {
// Long enough for the grace-period kthread to act on one scan request before the
// next, short against a 4 ms jiffy.
constexpr unsigned int round_interval_us = 100;

void run_barrier(void *flavor)
{
	static_cast<const rcu_flavor *>(flavor)->barrier();
}

unload_outcome force_qs_wait(const unload_context &ctx)
{
	ru_background *barrier = ru_background_start(run_barrier, const_cast<rcu_flavor *>(&ctx.flavor));
	unsigned long rounds = 0;

	if (!barrier)
		return {-RU_ENOMEM, 0};
	ctx.flavor.start_gp();
	while (!ru_background_done(barrier)) {
		ru_force_qs_on_each_cpu();
		ctx.flavor.force_quiescent_state();
		rounds++;
		ru_sleep_us(round_interval_us, round_interval_us * 2);
	}
	ru_background_finish(barrier);
	return {0, rounds};
}
} // namespace

const unload_strategy strategy_force_qs = {"force-qs", force_qs_wait, nullptr};
