// QEMU 7.2 TCG: an unlocked cmpxchg16b computes its flags from a stale lazy-flags state, so
// EFLAGS can come back as the source operand of the ADD before it. Run natively it prints 0 runs;
// under `qemu-x86_64 -cpu max` (Debian 12's qemu-user, 7.2) every run shows it, with EFLAGS
// 0x6e41fe2 for the operand 0xffff888006e41fa0: the value a Debian 6.12 guest's #DB showed in
// __kmalloc_noprof (docs/bench/2026-11-29-stress.md).
//   gcc -O2 -static -o tcg-cmpxchg16b scripts/investigate/tcg-cmpxchg16b.c
//   ./tcg-cmpxchg16b; qemu-x86_64 -cpu max ./tcg-cmpxchg16b
#include <stdint.h>
#include <stdio.h>

int main(void)
{
	static unsigned __int128 mem __attribute__((aligned(16)));
	const uint64_t pointer = 0xffff888006e41fa0ULL; /* a kmalloc-32 address, as in the panics */
	unsigned long odd = 0, runs = 1000000;
	uint64_t last = 0;

	for (unsigned long i = 0; i < runs; i++) {
		uint64_t sum = i, flags, lo = 0, hi = 0;

		mem = 0;
		/* popf leaves the lazy flags state at "EFLAGS"; the jmp ends the translation block. */
		asm volatile("pushq $0x202\n\t"
			     "popf\n\t"
			     "jmp 1f\n"
			     "1:\n\t"
			     "add %[p], %[s]\n\t"
			     "cmpxchg16b %[m]\n\t"
			     "pushf\n\t"
			     "pop %[f]"
			     : [s] "+r"(sum), [m] "+m"(mem), "+a"(lo), "+d"(hi), [f] "=r"(flags)
			     : [p] "r"(pointer), "b"(1ULL), "c"(0ULL)
			     : "cc", "memory");
		/* Only ZF may change; TF, VM and the reserved bits never appear in user mode. */
		if (flags & ((1UL << 8) | (1UL << 17) | (1UL << 22) | (1UL << 27) | 0xffffffff00000000UL)) {
			odd++;
			last = flags;
		}
	}
	printf("%lu of %lu runs: EFLAGS with bits no CPU sets there (last %#lx)\n", odd, runs, last);
	return odd != 0;
}
