/* SPDX-License-Identifier: MIT */
/* ops.c - the two forms of an op sequence and the conversions; see ops.h. */
#include "fuzz/ops.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/compiler.h"
#include "core/highmem.h"

static const char *const km_type_name[KM_LEGACY_TYPES] = {
	"KM_BOUNCE_READ", "KM_SKB_SUNRPC_DATA", "KM_SKB_DATA_SOFTIRQ",
	"KM_USER0", "KM_USER1", "KM_BIO_SRC_IRQ", "KM_BIO_DST_IRQ",
	"KM_PTE0", "KM_PTE1", "KM_PTE2", "KM_IRQ0", "KM_IRQ1",
	"KM_SOFTIRQ0", "KM_SOFTIRQ1",
};

static bool fail(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err && errsz) {
		va_start(ap, fmt);
		vsnprintf(err, errsz, fmt, ap);
		va_end(ap);
	}
	return false;
}

/* The config byte's bits (ops.h) */
#define CFG_CPUS	0x03u	/* nr_cpus - 1 */
#define CFG_NOPAE	0x04u
#define CFG_DEBUG	0x08u
#define CFG_SMALL	0x10u
#define CFG_KERNEL	0x60u	/* CFG_KERNEL_SHIFT: index in cfg_kernel[] */
#define CFG_KERNEL_SHIFT 5
#define CFG_REPORT	0x80u	/* HM_REPORT_KERNEL */
#define CFG_ALL		0xffu

/* The kernels a config byte names, by its bits 5-6. */
static const enum hm_kernel cfg_kernel[] = {
	HM_KERNEL_DEFAULT, HM_KERNEL_2_6_24, HM_KERNEL_6_1,
};
#define CFG_NR_KERNELS	(sizeof(cfg_kernel) / sizeof(cfg_kernel[0]))

static unsigned kernel_bits(enum hm_kernel k)
{
	for (unsigned i = 0; i < CFG_NR_KERNELS; i++)
		if (cfg_kernel[i] == k)
			return i;
	return 0;	/* HM_KERNEL_4_7 is the default */
}

uint8_t hm_seq_config_byte(const struct hm_seq_config *c)
{
	return (uint8_t)(((c->nr_cpus - 1) & CFG_CPUS) |
			 (c->pae ? 0 : CFG_NOPAE) |
			 (c->debug_highmem ? CFG_DEBUG : 0) |
			 (c->small_window ? CFG_SMALL : 0) |
			 (kernel_bits(c->kernel) << CFG_KERNEL_SHIFT) |
			 (c->report == HM_REPORT_KERNEL ? CFG_REPORT : 0));
}

void hm_seq_config_from_byte(uint8_t b, struct hm_seq_config *c)
{
	unsigned k = (b & CFG_KERNEL) >> CFG_KERNEL_SHIFT;

	c->nr_cpus = (b & CFG_CPUS) + 1;
	c->pae = !(b & CFG_NOPAE);
	c->debug_highmem = (b & CFG_DEBUG) != 0;
	c->small_window = (b & CFG_SMALL) != 0;
	c->kernel = k < CFG_NR_KERNELS ? cfg_kernel[k] : HM_KERNEL_DEFAULT;
	c->report = (b & CFG_REPORT) ? HM_REPORT_KERNEL : HM_REPORT_STRICT;
}

/* The decoder runs on every input before the core sees it, and its
 * compares (op codes, lengths) are the format's, not the code under test's:
 * left out of the engines' coverage, as the kernel's noinstr code is (under
 * libFuzzer their tracing was most of its cost, about 5% of a kmap_ops run):
 * its functions are __no_sanitize_coverage (core/compiler.h). */

/* What a leading byte means to the decoder: the op (an unknown code taken
 * modulo the number of codes, as the lenient decoder does), its length in
 * bytes with the code, and the size of its first argument.  Made once from
 * op_table.h, so the per-op work is a lookup. */
struct op_shape {
	uint8_t code, len, arg0;
};

static struct op_shape shapes[256];
static bool shapes_ready;

__no_sanitize_coverage
static void make_shapes(void)
{
	for (unsigned b = 0; b < 256; b++) {
		unsigned code = b % HM_OP__COUNT;
		const struct hm_op_info *info = hm_op_info_of(code);

		shapes[b].code = (uint8_t)code;
		shapes[b].arg0 = (uint8_t)hm_op_arg_size(info->arg[0]);
		shapes[b].len = (uint8_t)(1 + shapes[b].arg0 +
					  hm_op_arg_size(info->arg[1]));
	}
	__atomic_store_n(&shapes_ready, true, __ATOMIC_RELEASE);
}

/* @n (0, 1 or 4) little-endian bytes at @p */
__no_sanitize_coverage
static inline uint32_t le(const uint8_t *p, unsigned n)
{
	uint32_t v = 0;

	for (unsigned k = 0; k < n; k++)
		v |= (uint32_t)p[k] << (8 * k);
	return v;
}

__no_sanitize_coverage
bool hm_seq_decode(const uint8_t *data, size_t size, bool strict,
		   struct hm_seq *seq, char *err, size_t errsz)
{
	size_t pos = 0;

	if (!__atomic_load_n(&shapes_ready, __ATOMIC_ACQUIRE))
		make_shapes();
	seq->n = 0;
	hm_seq_config_from_byte(0, &seq->config);
	if (!size)
		return true;
	if (strict && ((data[0] & ~CFG_ALL) ||
		       (unsigned)(data[0] & CFG_KERNEL) >> CFG_KERNEL_SHIFT >=
		       CFG_NR_KERNELS))
		return fail(err, errsz, "byte 0: config %#x has unknown bits",
			    data[0]);
	hm_seq_config_from_byte(data[pos++], &seq->config);

	while (pos < size) {
		const struct op_shape *sh = &shapes[data[pos]];
		struct hm_op *op;

		if (strict && data[pos] >= HM_OP__COUNT)
			return fail(err, errsz, "byte %zu: unknown op code %u",
				    pos, data[pos]);
		if (pos + sh->len > size) {
			if (strict)
				return fail(err, errsz,
					    "byte %zu: %s needs %u bytes, %zu "
					    "left (truncated?)", pos,
					    hm_op_info_of(sh->code)->name,
					    sh->len, size - pos);
			break;
		}
		if (seq->n == HM_SEQ_MAX_OPS) {
			if (strict)
				return fail(err, errsz, "more than %d ops",
					    HM_SEQ_MAX_OPS);
			break;
		}
		op = &seq->op[seq->n++];
		op->code = sh->code;
		op->a = le(data + pos + 1, sh->arg0);
		op->b = le(data + pos + 1 + sh->arg0,
			   sh->len - 1u - sh->arg0);
		pos += sh->len;
	}
	return true;
}

size_t hm_seq_encode(const struct hm_seq *seq, uint8_t *buf, size_t size)
{
	size_t len = 1;

	for (size_t i = 0; i < seq->n; i++) {
		const struct hm_op_info *info = hm_op_info_of(seq->op[i].code);

		len += 1 + hm_op_arg_size(info->arg[0]) + hm_op_arg_size(info->arg[1]);
	}
	if (len > size)
		return len;

	buf[0] = hm_seq_config_byte(&seq->config);
	len = 1;
	for (size_t i = 0; i < seq->n; i++) {
		const struct hm_op *op = &seq->op[i];
		const struct hm_op_info *info = hm_op_info_of(op->code);
		uint32_t v[2] = { op->a, op->b };

		buf[len++] = op->code;
		for (int a = 0; a < 2; a++)
			for (size_t k = 0; k < hm_op_arg_size(info->arg[a]); k++)
				buf[len++] = (uint8_t)(v[a] >> (8 * k));
	}
	return len;
}

/* ---- Text ---------------------------------------------------------------- */

static const char *skip_space(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\r')
		s++;
	return s;
}

/* The next word of @s into @word; returns what follows, or NULL at the
 * end of the line. */
static const char *next_word(const char *s, char *word, size_t size)
{
	size_t n = 0;

	s = skip_space(s);
	if (!*s || *s == '\n' || *s == '#')
		return NULL;
	while (*s && !isspace((unsigned char)*s) && *s != '#') {
		if (n + 1 < size)
			word[n++] = *s;
		s++;
	}
	word[n] = '\0';
	return s;
}

static bool parse_number(const char *w, uint64_t max, uint32_t *out)
{
	char *end;
	unsigned long long v;

	if (!isdigit((unsigned char)w[0]))
		return false;
	errno = 0;
	v = strtoull(w, &end, 0);
	if (errno || *end || v > max)
		return false;
	*out = (uint32_t)v;
	return true;
}

static bool parse_km_type(const char *w, uint32_t *out)
{
	for (unsigned i = 0; i < KM_LEGACY_TYPES; i++) {
		if (!strcmp(w, km_type_name[i])) {
			*out = i;
			return true;
		}
	}
	return parse_number(w, 255, out);
}

static bool parse_config(const char *s, struct hm_seq_config *c,
			 char *err, size_t errsz, unsigned line)
{
	char w[32];
	uint32_t n;

	while ((s = next_word(s, w, sizeof(w)))) {
		if (!strcmp(w, "pae")) {
			c->pae = true;
		} else if (!strcmp(w, "nopae")) {
			c->pae = false;
		} else if (!strcmp(w, "debug")) {
			c->debug_highmem = true;
		} else if (!strcmp(w, "pkmap")) {
			if (!(s = next_word(s, w, sizeof(w))) ||
			    !parse_number(w, 0xffffffffu, &n) ||
			    n != HM_SEQ_SMALL_WINDOW)
				return fail(err, errsz, "line %u: pkmap takes %u "
					    "(leave it out for LAST_PKMAP)",
					    line, HM_SEQ_SMALL_WINDOW);
			c->small_window = true;
		} else if (!strcmp(w, "cpus")) {
			if (!(s = next_word(s, w, sizeof(w))) ||
			    !parse_number(w, 4, &n) || n < 1)
				return fail(err, errsz,
					    "line %u: cpus takes 1 to 4", line);
			c->nr_cpus = n;
		} else if (!strcmp(w, "kernel")) {
			if (!(s = next_word(s, w, sizeof(w))) ||
			    (c->kernel = hm_kernel_by_name(w)) == HM_KERNEL_NR)
				return fail(err, errsz, "line %u: kernel takes "
					    "linux-2.6.24, linux-4.7 or "
					    "linux-6.1", line);
		} else if (!strcmp(w, "report")) {
			if (!(s = next_word(s, w, sizeof(w))) ||
			    (strcmp(w, "strict") && strcmp(w, "kernel")))
				return fail(err, errsz, "line %u: report takes "
					    "strict or kernel", line);
			c->report = w[0] == 'k' ? HM_REPORT_KERNEL :
						  HM_REPORT_STRICT;
		} else {
			return fail(err, errsz,
				    "line %u: config: unknown word '%s' (want "
				    "cpus N, pae, nopae, debug, pkmap %u, "
				    "kernel NAME, report strict|kernel)", line,
				    w, HM_SEQ_SMALL_WINDOW);
		}
	}
	return true;
}

bool hm_seq_parse(const char *text, struct hm_seq *seq, char *err,
		  size_t errsz)
{
	unsigned line = 0;
	const char *s = text;

	seq->n = 0;
	hm_seq_config_from_byte(0, &seq->config);
	while (*s) {
		const char *eol = strchr(s, '\n');
		const char *p;
		char w[48];
		struct hm_op op = { 0, 0, 0 };
		int code = -1;

		line++;
		p = next_word(s, w, sizeof(w));
		s = eol ? eol + 1 : s + strlen(s);
		if (!p)
			continue;
		if (!strcmp(w, "config")) {
			if (seq->n)
				return fail(err, errsz, "line %u: config must "
					    "come before the first op", line);
			if (!parse_config(p, &seq->config, err, errsz, line))
				return false;
			continue;
		}
		for (int i = 0; i < HM_OP__COUNT; i++)
			if (!strcmp(w, hm_op_name(i)))
				code = i;
		if (code < 0)
			return fail(err, errsz, "line %u: unknown op '%s'", line,
				    w);
		op.code = (uint8_t)code;
		for (int a = 0; a < 2; a++) {
			enum hm_op_arg kind = hm_op_info_of(code)->arg[a];
			uint32_t *dst = a ? &op.b : &op.a;
			bool ok;

			if (kind == HM_ARG_NONE)
				break;
			/* the slot argument of the unmaps may be left out */
			if (!(p = next_word(p, w, sizeof(w)))) {
				if (kind == HM_ARG_SLOT)
					break;
				return fail(err, errsz, "line %u: %s needs %s "
					    "argument(s)", line,
					    hm_op_info_of(code)->name,
					    hm_op_info_of(code)->arg[1] ? "two" :
					    "an");
			}
			if (kind == HM_ARG_TYPE)
				ok = parse_km_type(w, dst);
			else
				ok = parse_number(w, hm_op_arg_size(kind) == 1 ?
						  255 : 0xffffffffu, dst);
			if (!ok)
				return fail(err, errsz, "line %u: %s: bad "
					    "argument '%s'", line,
					    hm_op_info_of(code)->name, w);
		}
		if (next_word(p ? p : "", w, sizeof(w)))
			return fail(err, errsz, "line %u: %s: unexpected '%s'",
				    line, hm_op_info_of(code)->name, w);
		if (seq->n == HM_SEQ_MAX_OPS)
			return fail(err, errsz, "line %u: more than %d ops",
				    line, HM_SEQ_MAX_OPS);
		seq->op[seq->n++] = op;
	}
	return true;
}

void hm_op_format(const struct hm_op *op, char *buf, size_t size)
{
	const struct hm_op_info *info = hm_op_info_of(op->code % HM_OP__COUNT);
	int n = snprintf(buf, size, "%s", info->name);
	uint32_t v[2] = { op->a, op->b };

	for (int a = 0; a < 2 && n >= 0 && (size_t)n < size; a++) {
		enum hm_op_arg kind = info->arg[a];

		if (kind == HM_ARG_NONE)
			break;
		if (kind == HM_ARG_TYPE && v[a] < KM_LEGACY_TYPES)
			n += snprintf(buf + n, size - n, " %s",
				      km_type_name[v[a]]);
		else if (hm_op_arg_size(kind) == 1)
			n += snprintf(buf + n, size - n, " %u", v[a]);
		else
			n += snprintf(buf + n, size - n, " %#x", v[a]);
	}
}

void hm_seq_config_format(const struct hm_seq_config *c, char *buf,
			  size_t size)
{
	char window[16] = "", kernel[32] = "";

	if (c->small_window)
		snprintf(window, sizeof(window), " pkmap %u",
			 HM_SEQ_SMALL_WINDOW);
	if (c->kernel != HM_KERNEL_DEFAULT)
		snprintf(kernel, sizeof(kernel), " kernel %s",
			 hm_kernel_name(c->kernel));
	snprintf(buf, size, "config cpus %u %s%s%s%s%s", c->nr_cpus,
		 c->pae ? "pae" : "nopae", c->debug_highmem ? " debug" : "",
		 window, kernel,
		 c->report == HM_REPORT_KERNEL ? " report kernel" : "");
}

void hm_seq_print(const struct hm_seq *seq, void *file)
{
	FILE *f = file;
	char line[96];

	hm_seq_config_format(&seq->config, line, sizeof(line));
	fprintf(f, "%s\n", line);
	for (size_t i = 0; i < seq->n; i++) {
		hm_op_format(&seq->op[i], line, sizeof(line));
		fprintf(f, "%s\n", line);
	}
}
