/* SPDX-License-Identifier: MIT */
/*
 * bug.c - BUG() reports, and the small formatter they need.
 *
 * The core builds freestanding for the 32-bit guest, where there is no
 * libc, so the message is formatted here.  All of it is
 * __no_sanitize_coverage: the BUG_ON sites that call it are the code under
 * test, and the fuzzers see each of them; the formatter's loop over every
 * character, instrumented, was a third of kmap_misuse's time and told the
 * engine nothing.
 */
#include "core/internal.h"

struct outbuf {
	char *buf;
	size_t size;
	size_t len;
};

__no_sanitize_coverage
static void out_char(struct outbuf *o, char ch)
{
	if (o->len + 1 < o->size)
		o->buf[o->len++] = ch;
}

/*
 * *v /= base, returning the remainder, in 32-bit steps: a freestanding
 * i386 build has no libgcc to do 64-bit division for us.
 */
__no_sanitize_coverage
static unsigned divmod_small(unsigned long long *v, unsigned base)
{
	unsigned long long q = 0;
	uint32_t r = 0;

	for (int shift = 48; shift >= 0; shift -= 16) {
		uint32_t cur = (r << 16) | (uint32_t)((*v >> shift) & 0xffff);

		q |= (unsigned long long)(cur / base) << shift;
		r = cur % base;
	}
	*v = q;
	return r;
}

__no_sanitize_coverage
static void out_number(struct outbuf *o, unsigned long long v, unsigned base,
		       bool negative, bool alt, char pad, int width)
{
	char digits[24];
	int n = 0;

	do {
		digits[n++] = "0123456789abcdef"[divmod_small(&v, base)];
	} while (v);
	if (alt && base == 16) {
		digits[n++] = 'x';
		digits[n++] = '0';
	}
	if (negative)
		digits[n++] = '-';
	while (width-- > n)
		out_char(o, pad);
	while (n)
		out_char(o, digits[--n]);
}

__no_sanitize_coverage
int hm_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct outbuf o = { buf, size, 0 };

	for (; *fmt; fmt++) {
		bool alt = false;
		char pad = ' ';
		int width = 0, longs = 0;

		if (*fmt != '%') {
			out_char(&o, *fmt);
			continue;
		}
		fmt++;
		if (*fmt == '#') {
			alt = true;
			fmt++;
		}
		if (*fmt == '0') {
			pad = '0';
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}
		switch (*fmt) {
		case 'd': {
			long long v = longs >= 2 ? va_arg(ap, long long) :
				      longs ? va_arg(ap, long) : va_arg(ap, int);
			out_number(&o, v < 0 ? 0ull - (unsigned long long)v :
					       (unsigned long long)v,
				   10, v < 0, false, pad, width);
			break;
		}
		case 'u':
		case 'x': {
			unsigned long long v =
				longs >= 2 ? va_arg(ap, unsigned long long) :
				longs ? va_arg(ap, unsigned long) :
					va_arg(ap, unsigned);
			out_number(&o, v, *fmt == 'x' ? 16 : 10, false, alt,
				   pad, width);
			break;
		}
		case 'c':
			out_char(&o, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);

			for (s = s ? s : "(null)"; *s; s++)
				out_char(&o, *s);
			break;
		}
		case '%':
			out_char(&o, '%');
			break;
		default:	/* unknown: print it as it stands */
			out_char(&o, '%');
			if (!*fmt)
				fmt--;
			else
				out_char(&o, *fmt);
		}
	}
	if (size)
		buf[o.len] = '\0';
	return (int)o.len;
}

__no_sanitize_coverage
int hm_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = hm_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

__no_sanitize_coverage
static void report(struct hm_ctx *ctx, bool warn, const char *file,
		   unsigned line, const char *func, const char *fmt, va_list ap)
{
	char msg[256];
	struct hm_bug bug;

	hm_vsnprintf(msg, sizeof(msg), fmt, ap);
	bug.file = file;
	bug.line = line;
	bug.func = func;
	bug.cpu = hm_arch_smp_processor_id(ctx);
	bug.msg = msg;
	bug.warn = warn;
	if (ctx->bug_fn)
		ctx->bug_fn(ctx->bug_arg, &bug);
	else
		hm_arch_bug(ctx, &bug);
}

__no_sanitize_coverage
void hm_bug_report(struct hm_ctx *ctx, const char *file, unsigned line,
		   const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(ctx, false, file, line, func, fmt, ap);
	va_end(ap);
}

__no_sanitize_coverage
void hm_warn_report(struct hm_ctx *ctx, const char *file, unsigned line,
		    const char *func, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(ctx, true, file, line, func, fmt, ap);
	va_end(ap);
}
