// SPDX-License-Identifier: GPL-2.0
// The C++ runtime the core needs in the kernel: allocation over kmalloc/kfree and
// the pure-virtual trap. Built with -fcheck-new, so a failed kmalloc behind `new`
// yields nullptr instead of a constructor writing through NULL.
#include "glue.h"

using size_t = decltype(sizeof(0));

void *operator new(size_t size) { return ru_alloc(size); }
void *operator new[](size_t size) { return ru_alloc(size); }
void operator delete(void *ptr) noexcept { ru_free(ptr); }
void operator delete[](void *ptr) noexcept { ru_free(ptr); }
void operator delete(void *ptr, size_t) noexcept { ru_free(ptr); }
void operator delete[](void *ptr, size_t) noexcept { ru_free(ptr); }

// g++ references this weakly from every vtable with a pure virtual; left undefined,
// modpost accepts the weak reference and a call would jump to address 0.
extern "C" void __cxa_pure_virtual();
extern "C" void __cxa_pure_virtual() { ru_bug("pure virtual function called"); }
