// SPDX-License-Identifier: GPL-2.0
// US9262234's "invoking the deferred non-process context to force the callback
// processing code to execute", done on every CPU at once. Without it each CPU's
// rcu_core() (noting the new grace period, reporting its quiescent state, filing
// fresh callbacks under a grace period, invoking the ready ones) waits for that
// CPU's next tick, the only thing that raises RCU_SOFTIRQ: the exit path is then
// tick-bound. Each round of force-qs-own here also IPIs every CPU to raise it.
//
// Only where rcu_core() runs from RCU_SOFTIRQ (not PREEMPT_RT or
// rcutree.use_softirq=0, where the softirq has no action and raising it calls NULL),
// and where the module's callbacks are not offloaded: rcuo kthreads, not rcu_core(),
// invoke those.
#include "readers.hpp"
#include "strategy.hpp"

namespace {
bool kick_applies(const rcu_flavor &flavor, const ru_kernel_info &kernel)
{
	return flavor.kick_each_cpu && strategy_applies(RU_STRATEGY_force_qs_own, flavor, kernel);
}

unload_outcome kick_wait(const unload_context &ctx)
{
	if (ctx.readers)
		ctx.readers->boost();
	return force_quiescent_states(ctx, force_until::own_callbacks_run,
				      ctx.params.force_steps | RU_FORCE_KICK);
}
} // namespace

const unload_strategy strategy_kick = {false, kick_applies, kick_wait, nullptr};
