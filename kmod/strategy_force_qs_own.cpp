// SPDX-License-Identifier: GPL-2.0
// force-qs without the barrier, as US9262234 words it: force quiescent states until the
// module's own callbacks have run. They count themselves, so the wait ends in the
// softirq that runs the last of them, not in the one that runs rcu_barrier()'s marker,
// which rcu_segcblist_entrain() files behind every callback the CPU holds, the
// kernel's included (6.1 kernel/rcu/rcu_segcblist.c:360-377).
//
// Safe without a barrier: a callback's last access to module memory is its count
// (callback_set::invoke()), and the instructions it still runs after it execute in
// rcu_do_batch()'s softirq or BH-disabled context, a read-side critical section that
// free_module()'s synchronize_rcu() waits for before it frees the module's text.
// Only for flavors whose machinery leaves module memory alone once the callbacks
// have run: not SRCU, whose callback work items run on in the module's srcu_struct.
//
// Not where callbacks are offloaded (rcu_nocbs=, nohz_full=): a burst of call_rcu()
// goes to the CPU's bypass list, and on kernels with CONFIG_RCU_LAZY (Debian's 6.12)
// callbacks may be lazy; only rcu_barrier() flushes both at once, the rcuog kthread
// a jiffy (bypass) or up to 10 s (lazy) later (docs/bench has what that cost).
#include "strategy.hpp"

namespace {
bool force_qs_own_applies(const rcu_flavor &flavor, const ru_kernel_info &kernel)
{
	return flavor.callbacks_are_the_last_use && !kernel.callbacks_offloaded &&
	       flavor_can_expedite(flavor, kernel);
}

unload_outcome force_qs_own_wait(const unload_context &ctx)
{
	return force_quiescent_states(ctx, force_until::own_callbacks_run, ctx.params.force_steps);
}
} // namespace

force_until fastest_force_wait(const rcu_flavor &flavor, const ru_kernel_info &kernel)
{
	return force_qs_own_applies(flavor, kernel) ? force_until::own_callbacks_run
						    : force_until::barrier_done;
}

const unload_strategy strategy_force_qs_own = {false, force_qs_own_applies, force_qs_own_wait,
					       nullptr};
