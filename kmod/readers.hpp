// SPDX-License-Identifier: GPL-2.0
// Reader kthreads looping over read-side critical sections of a set length, so that
// grace periods have real readers to wait for (preempted ones, on preemptible kernels).
#pragma once
#include "flavor.hpp"

struct reader_pool {
	static constexpr unsigned int max_readers = 64;

	// Starts `count` readers; returns 0 or -errno (and then has started none).
	int start(const rcu_flavor &flavor, unsigned int count, unsigned int hold_us);
	// Raises every reader to SCHED_FIFO; each drops back to normal priority after its
	// current critical section, as the kernel deboosts in rcu_read_unlock(), so a
	// boosted busy reader cannot starve the grace-period kthread.
	void boost();
	void stop();

	const rcu_flavor *flavor = nullptr;
	unsigned int hold_us = 0;
	unsigned int count = 0;
	ru_thread *threads[max_readers] = {};
};
