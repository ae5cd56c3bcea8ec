/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Built-in sanitizer options for the ASan+UBSan variant of ppy (make VARIANT=asan variant).
 * ppy is file-capped, so the kernel runs it in secure-execution mode and the test suite
 * gives it an empty environment: options cannot come from ASAN_OPTIONS. Every report goes
 * to a file under SAN_LOG (a sticky, world-writable directory the test run creates and
 * then checks is empty) as well as ending the process with status 99, which no launcher
 * test accepts.
 */
#ifndef SAN_LOG
#error "build with -DSAN_LOG=\"/dir\" (make VARIANT=asan variant)"
#endif

const char *__asan_default_options(void);
const char *__ubsan_default_options(void);

const char *__asan_default_options(void)
{
	/* Leak checking needs ptrace of a non-dumpable, capability-holding process at exit;
	   ppy leaves through _exit or execve on every launch anyway. */
	return "log_path=" SAN_LOG "/asan:exitcode=99:detect_leaks=0:abort_on_error=0"
	       ":detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1";
}

const char *__ubsan_default_options(void)
{
	return "log_path=" SAN_LOG "/ubsan:halt_on_error=1:exitcode=99:print_stacktrace=1";
}
