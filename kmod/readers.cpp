// SPDX-License-Identifier: GPL-2.0
#include "readers.hpp"

namespace {
struct reader_slot {
	reader_pool *pool;
	unsigned int index;
};
reader_slot slots[reader_pool::max_readers]; // constant-initialized

int read_loop(void *arg)
{
	auto *slot = static_cast<reader_slot *>(arg);
	reader_pool *pool = slot->pool;
	bool *boosted = &pool->boosted[slot->index];

	while (!ru_thread_should_stop()) {
		int cookie = pool->flavor->read_lock();
		ru_delay_us(pool->hold_us);
		pool->flavor->read_unlock(cookie);
		if (__atomic_exchange_n(boosted, false, __ATOMIC_ACQ_REL))
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
		slots[count] = {this, count};
		threads[count] = ru_thread_start(read_loop, &slots[count], "rcu_unload_rd", -1);
		if (!threads[count]) {
			stop();
			return -RU_ENOMEM;
		}
	}
	return 0;
}

void reader_pool::boost()
{
	// SCHED_FIFO first, the flag after: flagged first, a reader between sections could
	// drop back to normal before the boost lands and then spin at SCHED_FIFO for good
	// (seen on 6.1-rt: RT throttling, then hung tasks).
	for (unsigned int i = 0; i < count; i++) {
		ru_thread_boost(threads[i]);
		__atomic_store_n(&boosted[i], true, __ATOMIC_RELEASE);
	}
}

void reader_pool::stop()
{
	for (unsigned int i = 0; i < count; i++)
		ru_thread_stop(threads[i]);
	count = 0;
}
