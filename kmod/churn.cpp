// SPDX-License-Identifier: GPL-2.0
#include "churn.hpp"

namespace {
int produce(void *arg)
{
	auto *churn = static_cast<churn_producers *>(arg);

	while (!__atomic_load_n(&churn->stopping, __ATOMIC_ACQUIRE)) {
		churn->target->enqueue_here(churn->per_ms);
		ru_sleep_us(1000, 1100);
	}
	return 0;
}

long start_on_cpu(void *arg, unsigned int cpu, unsigned int, unsigned int)
{
	auto *churn = static_cast<churn_producers *>(arg);

	if (churn->count == churn_producers::max_cpus)
		return -RU_EINVAL;
	int err = ru_thread_start(produce, churn, "rcu_unload_churn", static_cast<int>(cpu),
				  &churn->threads[churn->count]);
	if (err)
		return err;
	churn->count++;
	return 0;
}
} // namespace

int churn_producers::start(callback_set &callbacks, unsigned int callbacks_per_ms)
{
	target = &callbacks;
	per_ms = callbacks_per_ms;
	long ret = ru_run_on_each_online_cpu(start_on_cpu, this);
	if (ret < 0)
		stop();
	return static_cast<int>(ret);
}

void churn_producers::stop()
{
	__atomic_store_n(&stopping, true, __ATOMIC_RELEASE);
	for (unsigned int i = 0; i < count; i++)
		ru_thread_stop(threads[i]);
	count = 0;
}
