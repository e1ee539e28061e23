// SPDX-License-Identifier: GPL-2.0
// No wait at all: pending callbacks later jump into freed module text. Exists so
// that tests can show the harness and the kernel's detectors catch exactly that.
#include "strategy.hpp"

static unload_outcome unsafe_none_wait(const unload_context &)
{
	return {0, 0, 0, 0};
}

const unload_strategy strategy_unsafe_none = {true, nullptr, unsafe_none_wait, nullptr};
