// SPDX-License-Identifier: GPL-2.0
// The RCU flavors are ops tables in C (glue.h, struct ru_flavor_ops), one per flavor,
// in the manner of rcuscale's rcu_scale_ops; the core calls them through this name.
#pragma once
#include "glue.h"

using rcu_flavor = ru_flavor_ops;
