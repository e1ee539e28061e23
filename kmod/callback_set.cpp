// SPDX-License-Identifier: GPL-2.0
#include "callback_set.hpp"

struct callback_set::tracked_callback {
	static constexpr unsigned long live = 0x7263755f6c697665UL; // "rcu_live"

	ru_rcu_head head; // first: invoke() converts the head back to the object
	callback_set *owner;
	unsigned long canary;
};

void callback_set::invoke(ru_rcu_head *head)
{
	auto *cb = reinterpret_cast<tracked_callback *>(head);
	callback_set *owner = cb->owner;

	if (cb->canary != tracked_callback::live)
		__atomic_fetch_add(&owner->corrupted_, 1, __ATOMIC_RELAXED);
	cb->canary = 0;
	delete cb;
	__atomic_fetch_add(&owner->invoked_, 1, __ATOMIC_RELEASE);
}

void callback_set::note_pending(unsigned long pending)
{
	unsigned long peak = __atomic_load_n(&peak_pending_, __ATOMIC_RELAXED);

	while (pending > peak && !__atomic_compare_exchange_n(&peak_pending_, &peak, pending, true,
							       __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		;
}

long callback_set::enqueue_here(unsigned int count)
{
	for (unsigned int i = 0; i < count; i++) {
		auto *cb = new tracked_callback{{nullptr, nullptr}, this, tracked_callback::live};
		if (!cb)
			return -RU_ENOMEM;
		if (!__atomic_load_n(&object_bytes_, __ATOMIC_RELAXED))
			__atomic_store_n(&object_bytes_, ru_alloc_size(cb), __ATOMIC_RELAXED);
		// Counted before it is queued, so that CPUs enqueueing at once cannot pass the
		// injected limit together.
		const unsigned long count_now = __atomic_add_fetch(&enqueued_, 1, __ATOMIC_RELAXED);
		if (fail_after_ && count_now > fail_after_) {
			__atomic_fetch_sub(&enqueued_, 1, __ATOMIC_RELAXED);
			__atomic_store_n(&fault_injected_, true, __ATOMIC_RELAXED);
			delete cb;
			return -RU_ENOMEM;
		}
		const unsigned long pending = count_now - __atomic_load_n(&invoked_, __ATOMIC_RELAXED);
		note_pending(pending);
		flavor_.call(&cb->head, invoke);
	}
	return 0;
}

ru_u64 callback_set::invoke_cost_ns(const rcu_flavor &flavor, unsigned int samples)
{
	callback_set scratch(flavor);
	auto **cbs = new tracked_callback *[samples];
	unsigned int made = 0;

	if (!cbs)
		return 0;
	while (made < samples && (cbs[made] = new tracked_callback{{nullptr, nullptr}, &scratch,
								   tracked_callback::live}))
		made++;
	ru_u64 start = ru_now_ns();
	for (unsigned int i = 0; i < made; i++)
		invoke(&cbs[i]->head);
	ru_u64 elapsed = ru_now_ns() - start;
	delete[] cbs;
	return made == samples ? elapsed / samples : 0;
}

long callback_set::enqueue_on_cpu(void *arg, unsigned int, unsigned int index, unsigned int count)
{
	auto *set = static_cast<callback_set *>(arg);

	return set->enqueue_here(set->total_ / count + (index < set->total_ % count ? 1 : 0));
}

long callback_set::enqueue_spread(unsigned int total)
{
	total_ = total;
	return ru_run_on_each_online_cpu(enqueue_on_cpu, this);
}
