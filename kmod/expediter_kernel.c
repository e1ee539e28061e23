// SPDX-License-Identifier: GPL-2.0
/* The kernel services of kmod/kernel.c, built once more for rcu_unload_expediter.ko. */
#include "kernel.c"
