// SPDX-License-Identifier: GPL-2.0
#include "flavor.hpp"
#include "names.hpp"

const rcu_flavor *flavor_by_name(const char *name)
{
	static const rcu_flavor *const flavors[] = {&rcu_flavor_vanilla, &rcu_flavor_srcu,
						    &rcu_flavor_tasks};

	for (const rcu_flavor *flavor : flavors)
		if (same_name(flavor->name, name))
			return flavor;
	return nullptr;
}
