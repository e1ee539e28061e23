// SPDX-License-Identifier: GPL-2.0
// US9262234's SMP method: while the barrier waits in a worker, make every CPU pass
// a quiescent state and have the grace-period kthread scan for it at once, again
// and again until the barrier has seen every callback invoked. The rounds themselves,
// force_quiescent_states(), also serve force-qs-own and boost.
#include "callback_set.hpp"
#include "force_round.hpp"
#include "strategy.hpp"

namespace {
void run_barrier(void *flavor)
{
	static_cast<const rcu_flavor *>(flavor)->barrier();
}

unload_outcome force_qs_wait(const unload_context &ctx)
{
	return force_quiescent_states(ctx, force_until::barrier_done, ctx.params.force_steps);
}

// Only as a bound on a wait that cannot end otherwise (a callback lost by the kernel),
// far above any wait seen.
constexpr ru_u64 own_callbacks_timeout_ns = 10ULL * 1000 * 1000 * 1000;
} // namespace

unload_outcome force_quiescent_states(const unload_context &ctx, force_until until,
				      unsigned int steps)
{
	const rcu_flavor &flavor = ctx.flavor;
	const unsigned int interval_us = ctx.params.force_interval_us;
	unsigned long rounds = 0, kicks = 0;
	ru_u64 gp_ns = 0;
	int err = 0;

	const ru_u64 start = ru_now_ns();
	// Splits the wait into the grace period and the callback invocation after it.
	const unsigned long cookie = flavor.gp_cookie();
	ru_background *barrier = nullptr;
	if (until == force_until::barrier_done) {
		err = ru_background_start(run_barrier, const_cast<rcu_flavor *>(&flavor), &barrier);
		if (err)
			return {err, 0, 0, 0};
	}

	if (steps & RU_FORCE_START_GP)
		flavor.start_gp();
	auto finished = [&] {
		return barrier ? ru_background_done(barrier)
			       : ctx.callbacks.invoked() == ctx.callbacks.enqueued();
	};
	for (;;) {
		if (finished())
			break;
		if (!barrier && ru_now_ns() - start > own_callbacks_timeout_ns) {
			err = -RU_ETIMEDOUT;
			break;
		}
		const bool kicked = force_round(flavor, steps).kicked;
		if (kicked)
			kicks++;
		rounds++;
		if (!gp_ns && flavor.gp_elapsed(cookie))
			gp_ns = ru_now_ns() - start;
		pause_after_round(kicked, interval_us, finished);
	}
	if (barrier)
		ru_background_finish(barrier);
	if (kicks)
		flavor.wait_kicks_taken();
	return {err, rounds, kicks, gp_ns};
}

bool flavor_can_expedite(const rcu_flavor &flavor, const ru_kernel_info &)
{
	return flavor.expedite && flavor.start_gp && flavor.gp_cookie;
}

const unload_strategy strategy_force_qs = {false, flavor_can_expedite, force_qs_wait, nullptr};
