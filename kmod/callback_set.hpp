// SPDX-License-Identifier: GPL-2.0
// The module's pending RCU callbacks: each owns a kmalloc'd object that it checks,
// counts and frees when it runs, so a lost or doubled callback shows in the counts.
#pragma once
#include "flavor.hpp"

class callback_set {
public:
	explicit callback_set(const rcu_flavor &flavor) : flavor_(flavor) {}

	// Spreads `total` callbacks over the online CPUs, each enqueued on its own CPU.
	long enqueue_spread(unsigned int total);
	// Enqueues `count` callbacks on the calling CPU; 0 or -errno.
	long enqueue_here(unsigned int count);
	// Fault injection: once `after` callbacks are queued, enqueueing fails with -ENOMEM as
	// an allocation would; 0 disarms it.
	void arm_fault(unsigned long after) { fail_after_ = after; }
	bool fault_injected() const { return __atomic_load_n(&fault_injected_, __ATOMIC_RELAXED); }

	// What invoking one callback costs, measured by invoking `samples` directly:
	// the floor any unload strategy pays per callback. 0 if memory ran out.
	static ru_u64 invoke_cost_ns(const rcu_flavor &flavor, unsigned int samples);

	unsigned long enqueued() const { return __atomic_load_n(&enqueued_, __ATOMIC_RELAXED); }
	unsigned long invoked() const { return __atomic_load_n(&invoked_, __ATOMIC_ACQUIRE); }
	unsigned long corrupted() const { return __atomic_load_n(&corrupted_, __ATOMIC_RELAXED); }
	// The most callbacks pending at once (queued, not yet run) since load, and the memory
	// they held: what a load costs, bounded by callbacks=, plus what churn adds.
	unsigned long peak_pending() const { return __atomic_load_n(&peak_pending_, __ATOMIC_RELAXED); }
	ru_u64 peak_bytes() const { return static_cast<ru_u64>(peak_pending()) * object_bytes_; }

private:
	struct tracked_callback;
	static void invoke(ru_rcu_head *head);
	void note_pending(unsigned long pending);
	static long enqueue_on_cpu(void *arg, unsigned int cpu, unsigned int index,
				   unsigned int count);

	const rcu_flavor &flavor_;
	unsigned int total_ = 0;
	unsigned long enqueued_ = 0;
	unsigned long invoked_ = 0;
	unsigned long corrupted_ = 0;
	unsigned long peak_pending_ = 0;
	unsigned long object_bytes_ = 0; // slab size of one tracked callback
	unsigned long fail_after_ = 0;
	bool fault_injected_ = false;
};
