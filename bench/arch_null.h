/* SPDX-License-Identifier: MIT */
/*
 * arch_null.h - the state of the minimal backend (see arch_null.c), shared
 * by its hooks (arch_null_hooks.c, compiled into the core) and its
 * constructor (arch_null.c).
 */
#ifndef BENCH_ARCH_NULL_H
#define BENCH_ARCH_NULL_H

struct null_arch {
	unsigned cpu;			/* the caller's CPU */
	void *pkmap_page_table;		/* one page each */
	void *fixmap_page_table;
};

#endif /* BENCH_ARCH_NULL_H */
