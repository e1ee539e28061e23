// SPDX-License-Identifier: GPL-2.0
#include "readers.hpp"

namespace {
int read_loop(void *arg)
{
	const auto *pool = static_cast<const reader_pool *>(arg);

	while (!ru_thread_should_stop()) {
		int cookie = pool->flavor->read_lock();
		ru_delay_us(pool->hold_us);
		pool->flavor->read_unlock(cookie);
		// Asks the scheduler, not a flag set by boost(): the boost can land after a
		// flag was seen (a reader then spun at SCHED_FIFO for good), and a flag set
		// after the boost may never be written (the boosted reader preempts boost()'s
		// caller on its CPU; both seen on 6.1-rt and SMP-PREEMPT-BOOST: RT throttling).
		ru_thread_unboost_self();
		ru_cond_resched();
	}
	return 0;
}
} // namespace

int reader_pool::start(const rcu_flavor &reader_flavor, unsigned int reader_count,
		       unsigned int reader_hold_us)
{
	flavor = &reader_flavor;
	hold_us = reader_hold_us;
	for (count = 0; count < reader_count; count++) {
		int err = ru_thread_start(read_loop, this, "rcu_unload_rd", -1, &threads[count]);
		if (err) {
			stop();
			return err;
		}
	}
	return 0;
}

void reader_pool::boost()
{
	for (unsigned int i = 0; i < count; i++)
		ru_thread_boost(threads[i]);
}

void reader_pool::stop()
{
	for (unsigned int i = 0; i < count; i++)
		ru_thread_stop(threads[i]);
	count = 0;
}
