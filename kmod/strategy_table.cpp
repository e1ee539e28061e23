// SPDX-License-Identifier: GPL-2.0
#include "strategy.hpp"

namespace {
struct strategy_entry {
	const char *name;
	const unload_strategy *strategy;
};

#define RU_STRATEGY_ENTRY(ident, name, help) {name, &strategy_##ident},
const strategy_entry strategies[RU_STRATEGY_COUNT] = {RU_STRATEGY_LIST(RU_STRATEGY_ENTRY)};
#undef RU_STRATEGY_ENTRY

ru_strategy_index valid(ru_strategy_index index)
{
	return static_cast<unsigned int>(index) < RU_STRATEGY_COUNT ? index : ru_strategy_index(0);
}
} // namespace

const unload_strategy &strategy_at(ru_strategy_index index)
{
	return *strategies[valid(index)].strategy;
}

const char *strategy_name(ru_strategy_index index)
{
	return strategies[valid(index)].name;
}

bool strategy_applies(ru_strategy_index index, const rcu_flavor &flavor, const ru_kernel_info &kernel)
{
	const unload_strategy &strategy = strategy_at(index);

	return !strategy.applies || strategy.applies(flavor, kernel);
}

ru_strategy_index strategy_resolve(ru_strategy_index asked, const rcu_flavor &flavor,
				   const ru_kernel_info &kernel)
{
	const unload_strategy &strategy = strategy_at(asked);

	return strategy.pick ? strategy.pick(flavor, kernel) : valid(asked);
}
