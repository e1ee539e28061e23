// SPDX-License-Identifier: GPL-2.0
// String comparison for parameter values; no libc in the kernel's C++.
#pragma once

inline bool same_name(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}
