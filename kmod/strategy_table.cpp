// SPDX-License-Identifier: GPL-2.0
#include "names.hpp"
#include "strategy.hpp"

namespace {
// Index 0 is the module parameter's default.
const unload_strategy *const strategies[] = {
	&strategy_auto,
	&strategy_barrier,
	&strategy_sync_exp,
	&strategy_force_qs,
	&strategy_boost,
	&strategy_unsafe_none,
	&strategy_direct,
	&strategy_force_qs_own,
};
constexpr int strategy_count = sizeof(strategies) / sizeof(strategies[0]);
} // namespace

const unload_strategy &strategy_at(int index)
{
	return *strategies[index >= 0 && index < strategy_count ? index : 0];
}

const unload_strategy &strategy_resolve(const unload_strategy &asked, const ru_kernel_info &kernel,
				       const rcu_flavor &flavor)
{
	return asked.pick ? *asked.pick(kernel, flavor) : asked;
}

extern "C" int ru_strategy_lookup(const char *name)
{
	for (int i = 0; i < strategy_count; i++)
		if (same_name(strategies[i]->name, name))
			return i;
	return -RU_EINVAL;
}

extern "C" const char *ru_strategy_name(int index)
{
	return strategy_at(index).name;
}

extern "C" void ru_strategy_names(char *buffer, unsigned long size)
{
	unsigned long used = 0;

	if (!size)
		return;
	for (int i = 0; i < strategy_count; i++) {
		for (const char *c = i ? ", " : ""; *c && used + 1 < size; c++)
			buffer[used++] = *c;
		for (const char *c = strategies[i]->name; *c && used + 1 < size; c++)
			buffer[used++] = *c;
	}
	buffer[used] = '\0';
}
