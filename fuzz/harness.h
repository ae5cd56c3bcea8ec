/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Common part of ppy's libFuzzer harnesses: wrapper/ppy.c itself, compiled in unchanged.
 *
 * ppy leaves on every refusal through die() -> _exit(). Here _exit is renamed fuzz_exit
 * (unistd.h then declares fuzz_exit noreturn, as _exit is), which longjmps back into the
 * harness with the status, so a refusal is an ordinary outcome to check, not the end of
 * the fuzzing process. main() is renamed ppy_main. Nothing else of ppy.c is changed.
 */
#ifndef PPY_FUZZ_HARNESS_H
#define PPY_FUZZ_HARNESS_H

#define _exit fuzz_exit
#define main ppy_main
#ifdef FUZZ_PRE_INCLUDE
#include FUZZ_PRE_INCLUDE
#endif
#include "../wrapper/ppy.c"
#undef main
#undef _exit

#include <setjmp.h>

static jmp_buf fuzz_jmp;
static int fuzz_armed;
static int fuzz_status;

void fuzz_exit(int status)
{
	if (!fuzz_armed)
		abort();           /* ppy exited outside a guarded call: a harness bug */
	fuzz_armed = 0;
	fuzz_status = status;
	longjmp(fuzz_jmp, 1);
}

/* Run STMT; STATUS is -1 if it returned, else the status ppy would have exited with. */
#define GUARD(status, stmt) do { \
	if (setjmp(fuzz_jmp) == 0) { \
		fuzz_armed = 1; \
		stmt; \
		fuzz_armed = 0; \
		(status) = -1; \
	} else { \
		(status) = fuzz_status; \
	} \
} while (0)

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "fuzz check failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
	abort(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
