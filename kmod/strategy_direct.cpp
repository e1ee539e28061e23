// SPDX-License-Identifier: GPL-2.0
// US9262234's uniprocessor method: on a UP kernel without preemption no reader can
// be inside a critical section while module exit runs, so this context is itself a
// quiescent state. Record it and run the deferred callback processing here, now,
// rather than waiting for the next tick or for ksoftirqd.
#include "callback_set.hpp"
#include "strategy.hpp"

namespace {
// More than one round means something queued after us; the fallback barrier is next.
constexpr unsigned long max_rounds = 16;

bool direct_applies(const rcu_flavor &flavor, const ru_kernel_info &kernel)
{
	return flavor.invoke_ready_now && kernel.rcu == RU_RCU_TINY;
}

unload_outcome direct_wait(const unload_context &ctx)
{
	for (unsigned long rounds = 1; rounds <= max_rounds; rounds++) {
		ctx.flavor.invoke_ready_now();
		if (ctx.callbacks.invoked() == ctx.callbacks.enqueued())
			return {0, rounds, 0, 0};
	}
	return {-RU_ETIMEDOUT, max_rounds, 0, 0};
}
} // namespace

const unload_strategy strategy_direct = {false, direct_applies, direct_wait, nullptr};
