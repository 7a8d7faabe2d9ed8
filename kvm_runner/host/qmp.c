/* SPDX-License-Identifier: MIT */
/*
 * qmp.c - a small QMP client over an already connected socket (qmp.h).
 * One JSON object a line; we only look for the keys we need, by name.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "kvm_runner/host/qmp.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int qmp__pump(struct qmp *q)
{
	ssize_t n;

	if (q->len + 1 >= sizeof(q->buf))
		q->len = 0;	/* nothing we want is that long */
	n = read(q->fd, q->buf + q->len, sizeof(q->buf) - 1 - q->len);
	if (n <= 0)
		return n < 0 && errno == EAGAIN ? 0 : -1;
	q->len += (size_t)n;
	q->buf[q->len] = '\0';
	if (strstr(q->buf, "\"SHUTDOWN\""))
		q->shutdown = true;
	return 0;
}

/* The first whole line holding @key, moved to @out and consumed (with
 * everything before it); false if none yet. */
static bool take_line(struct qmp *q, const char *key, char *out, size_t outsz)
{
	char *k = strstr(q->buf, key), *end;
	size_t start;

	if (!k || !(end = strchr(k, '\n')))
		return false;
	for (start = (size_t)(k - q->buf); start && q->buf[start - 1] != '\n';)
		start--;
	if (out)
		snprintf(out, outsz, "%.*s", (int)(end - q->buf - start),
			 q->buf + start);
	memmove(q->buf, end + 1, q->len - (size_t)(end + 1 - q->buf) + 1);
	q->len -= (size_t)(end + 1 - q->buf);
	return true;
}

/* Wait for a line with @key (or one of "error"). */
static int wait_line(struct qmp *q, const char *key, char *out, size_t outsz,
		     unsigned timeout_ms)
{
	double end = now_ms() + timeout_ms;

	for (;;) {
		struct pollfd p = { .fd = q->fd, .events = POLLIN };
		double left = end - now_ms();

		if (take_line(q, key, out, outsz))
			return 0;
		if (take_line(q, "\"error\"", out, outsz))
			return -1;
		if (left <= 0 || poll(&p, 1, (int)left + 1) <= 0 ||
		    qmp__pump(q) < 0)
			return -1;
	}
}

int qmp__open(struct qmp *q, int fd, unsigned timeout_ms, char *why,
	      size_t whysz)
{
	char line[512];

	q->fd = fd;
	q->len = 0;
	q->shutdown = false;
	if (wait_line(q, "\"QMP\"", NULL, 0, timeout_ms) ||
	    qmp__command(q, "{\"execute\":\"qmp_capabilities\"}", line,
			 sizeof(line), timeout_ms)) {
		snprintf(why, whysz, "no QMP greeting from QEMU");
		return -1;
	}
	return 0;
}

int qmp__command(struct qmp *q, const char *cmd, char *out, size_t outsz,
		 unsigned timeout_ms)
{
	size_t n = strlen(cmd);

	/* send(): a QEMU that died must not kill us with SIGPIPE */
	if (send(q->fd, cmd, n, MSG_NOSIGNAL) != (ssize_t)n ||
	    send(q->fd, "\n", 1, MSG_NOSIGNAL) != 1)
		return -1;
	return wait_line(q, "\"return\"", out, outsz, timeout_ms);
}

/* The hex number after "@name=" in the monitor's text; 0 if absent. */
static uint64_t field(const char *text, const char *name)
{
	const char *p = strstr(text, name);

	return p ? strtoull(p + strlen(name), NULL, 16) : 0;
}

/* "GDT=     000c0186 0000001f": base, then limit. */
static void table(const char *text, const char *name, uint32_t *base,
		  uint32_t *limit)
{
	const char *p = strstr(text, name);
	char *end;

	*base = *limit = 0;
	if (!p)
		return;
	*base = (uint32_t)strtoul(p + strlen(name), &end, 16);
	*limit = (uint32_t)strtoul(end, NULL, 16);
}

bool qmp__regs(struct qmp *q, unsigned cpu, struct qmp_regs *r)
{
	static char out[16384];
	char cmd[200];

	snprintf(cmd, sizeof(cmd), "{\"execute\":\"human-monitor-command\","
		 "\"arguments\":{\"command-line\":\"info registers\","
		 "\"cpu-index\":%u}}", cpu);
	if (qmp__command(q, "{\"execute\":\"stop\"}", NULL, 0, 2000) ||
	    qmp__command(q, cmd, out, sizeof(out), 2000))
		return false;
	r->eax = (uint32_t)field(out, "EAX=");
	r->ebx = (uint32_t)field(out, "EBX=");
	r->ecx = (uint32_t)field(out, "ECX=");
	r->edx = (uint32_t)field(out, "EDX=");
	r->esi = (uint32_t)field(out, "ESI=");
	r->edi = (uint32_t)field(out, "EDI=");
	r->ebp = (uint32_t)field(out, "EBP=");
	r->esp = (uint32_t)field(out, "ESP=");
	r->eip = (uint32_t)field(out, "EIP=");
	r->eflags = (uint32_t)field(out, "EFL=");
	r->cr0 = (uint32_t)field(out, "CR0=");
	r->cr2 = (uint32_t)field(out, "CR2=");
	r->cr3 = (uint32_t)field(out, "CR3=");
	r->cr4 = (uint32_t)field(out, "CR4=");
	r->efer = field(out, "EFER=");
	table(out, "GDT=", &r->gdt_base, &r->gdt_limit);
	table(out, "IDT=", &r->idt_base, &r->idt_limit);
	return strstr(out, "EIP=") != NULL;
}
