/* SPDX-License-Identifier: MIT */
/*
 * guest_stub.c - the guest backend of guest.h until kvm_runner/ can run
 * benchmarks: says whether /dev/kvm is usable and that the rows cannot run
 * yet.  Replace this file with one that drives kvm_runner.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bench/guest.h"

int guest_bench_probe(char *why, size_t whysz, char *note, size_t notesz)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int api;

	note[0] = 0;
	(void)notesz;
	if (fd < 0) {
		snprintf(why, whysz, "skipped: /dev/kvm not usable (%s)",
			 strerror(errno));
		return -1;
	}
	api = ioctl(fd, KVM_GET_API_VERSION, 0);
	close(fd);
	if (api != KVM_API_VERSION) {
		snprintf(why, whysz, "skipped: /dev/kvm API %d, need %d", api,
			 KVM_API_VERSION);
		return -1;
	}
	snprintf(why, whysz, "skipped: /dev/kvm is usable but kvm_runner "
		 "has no benchmark mode yet (hook: bench/guest.h)");
	return -1;
}

int guest_bench_run(enum guest_op op, uint64_t ops, struct guest_result *r,
		    char *why, size_t whysz)
{
	(void)op;
	(void)ops;
	(void)r;
	snprintf(why, whysz, "no guest backend");
	return -1;
}
