/* SPDX-License-Identifier: MIT */
/* perf_counters.c - see perf_counters.h. */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench/perf_counters.h"

static const struct {
	const char *name;
	uint32_t type;
	uint64_t config;
} events[PERF_COUNTERS_MAX] = {
	{ "cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
	{ "instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS },
	{ "dTLB_misses", PERF_TYPE_HW_CACHE,
	  PERF_COUNT_HW_CACHE_DTLB | (PERF_COUNT_HW_CACHE_OP_READ << 8) |
	  (PERF_COUNT_HW_CACHE_RESULT_MISS << 16) },
};

static int fds[PERF_COUNTERS_MAX];
static unsigned which[PERF_COUNTERS_MAX];	/* index into events[] */
static unsigned nr_open;

static int perf_event_open(struct perf_event_attr *attr)
{
	return (int)syscall(SYS_perf_event_open, attr, 0, -1, -1, 0);
}

unsigned perf_counters_open(char *why, size_t whysz)
{
	int first_errno = 0;

	for (unsigned i = 0; i < PERF_COUNTERS_MAX; i++) {
		struct perf_event_attr attr;
		int fd;

		memset(&attr, 0, sizeof(attr));
		attr.size = sizeof(attr);
		attr.type = events[i].type;
		attr.config = events[i].config;
		attr.disabled = 1;
		attr.exclude_kernel = 1;
		attr.exclude_hv = 1;
		fd = perf_event_open(&attr);
		if (fd < 0) {
			if (!first_errno)
				first_errno = errno;
			continue;
		}
		fds[nr_open] = fd;
		which[nr_open++] = i;
	}
	if (!nr_open)
		snprintf(why, whysz,
			 "not supported on this machine (perf_event_open of "
			 "cycles: %s%s)", strerror(first_errno),
			 first_errno == ENOENT || first_errno == EOPNOTSUPP ?
			 ": no hardware PMU" : "");
	return nr_open;
}

const char *perf_counters_name(unsigned i)
{
	return events[which[i]].name;
}

static void each(unsigned long req)
{
	for (unsigned i = 0; i < nr_open; i++)
		ioctl(fds[i], req, 0);
}

void perf_counters_reset(void)
{
	each(PERF_EVENT_IOC_RESET);
}

void perf_counters_enable(void)
{
	each(PERF_EVENT_IOC_ENABLE);
}

void perf_counters_disable(void)
{
	each(PERF_EVENT_IOC_DISABLE);
}

void perf_counters_read(uint64_t *out)
{
	for (unsigned i = 0; i < nr_open; i++)
		if (read(fds[i], &out[i], sizeof(out[i])) != sizeof(out[i]))
			out[i] = 0;
}
