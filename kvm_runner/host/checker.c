/* SPDX-License-Identifier: MIT */
/*
 * checker.c - what the verifier's checks share: the failed checks of one
 * sequence, an op as a message shows it (its name from the one op table,
 * fuzz/op_table.h), and when two BUG messages are the same BUG.
 */
#include <stdarg.h>
#include <string.h>

#include "kvm_runner/host/verify_parts.h"

void checker__fail(struct checker *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!c->failures++)
		snprintf(c->first, sizeof(c->first), "%s", buf);
	else if (c->failures <= 8)
		printf("    also: %s\n", buf);
}

const char *kop__text(const struct hm_kop *op, char *buf, size_t n)
{
	snprintf(buf, n, "%s %#x %#x", hm_op_name(op->code), op->a, op->b);
	return buf;
}

/* "kernel BUG at F:L in ..." without the "at F:L ". */
static const char *bug_without_place(const char *m, char *buf, size_t n)
{
	const char *at = strstr(m, " at "), *in = strstr(m, " in ");

	if (!at || !in || in < at)
		return m;
	snprintf(buf, n, "%.*s%s", (int)(at - m), m, in);
	return buf;
}

/* "kernel BUG at F:L in ..." without the ":L". */
static __attribute__((unused)) const char *
bug_without_line(const char *m, char *buf, size_t n)
{
	const char *at = strstr(m, " at "), *in = strstr(m, " in ");
	const char *colon = NULL;

	if (!at || !in || in < at)
		return m;
	for (const char *p = at; p < in; p++)
		if (*p == ':')
			colon = p;
	if (!colon)
		return m;
	snprintf(buf, n, "%.*s%s", (int)(colon - m), m, in);
	return buf;
}

/*
 * The same BUG?  Reports from the backend (hm_set_cpu) come from the
 * simulator's file in one run and the guest's in the other.  And the
 * guest is always built by clang, while --config=gcc builds this host and
 * its simulator with gcc: the two give a BUG_ON_MSG() that spans lines the
 * line of its first and of its last line, so then the line may differ.
 */
bool bug__same(const char *a, const char *b)
{
	char x[HM_MB_MSG_LEN], y[HM_MB_MSG_LEN];

	if (!strcmp(a, b))
		return true;
#ifndef __clang__
	if (!strcmp(bug_without_line(a, x, sizeof(x)),
		    bug_without_line(b, y, sizeof(y))))
		return true;
#endif
	if (!strstr(a, "sim/") && !strstr(b, "sim/"))
		return false;
	return !strcmp(bug_without_place(a, x, sizeof(x)),
		       bug_without_place(b, y, sizeof(y)));
}
