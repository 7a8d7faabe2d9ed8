/* SPDX-License-Identifier: MIT */
/*
 * ops_test.c - the op-sequence format: text and binary round trips, the
 * lenient decoder accepting any bytes, the strict one and the parser
 * rejecting bad input with the place and reason; the one op table and
 * the run-time meaning of arguments (op_table.h, op_meaning.h).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/highmem.h"
#include "fuzz/ops.h"

static struct hm_seq a, b;
static uint8_t buf[1 + HM_SEQ_MAX_OPS * 9];
static char err[256];

static const char every_op[] =
	"# every op once\n"
	"config cpus 3 nopae debug pkmap 16 kernel linux-6.1 report kernel\n"
	"kmap 0x38005\n"
	"kunmap 229381\n"
	"kmap_atomic 0x38006\n"
	"kunmap_atomic 2\n"
	"kmap_atomic_type 0x38007 KM_USER0\n"
	"kunmap_atomic_type KM_USER0\n"
	"kmap_local_page 0x300   # lowmem\n"
	"kunmap_local\n"
	"page_address 0x38005\n"
	"write 1 0xdeadbeef\n"
	"read 1\n"
	"cpu 2\n"
	"kmap_flush_unused\n"
	"kmap_high_get 0x38005\n"
	"reset\n"
	"switch_task 5\n";

static void assert_same_seq(const struct hm_seq *x, const struct hm_seq *y)
{
	assert_int_equal(x->n, y->n);
	assert_int_equal(x->config.nr_cpus, y->config.nr_cpus);
	assert_int_equal(x->config.pae, y->config.pae);
	assert_int_equal(x->config.debug_highmem, y->config.debug_highmem);
	assert_int_equal(x->config.small_window, y->config.small_window);
	assert_int_equal(x->config.kernel, y->config.kernel);
	assert_int_equal(x->config.report, y->config.report);
	for (size_t i = 0; i < x->n; i++) {
		assert_int_equal(x->op[i].code, y->op[i].code);
		assert_int_equal(x->op[i].a, y->op[i].a);
		assert_int_equal(x->op[i].b, y->op[i].b);
	}
}

static void text_round_trip(void **state)
{
	char *text;
	size_t len;
	FILE *f;

	(void)state;
	assert_true(hm_seq_parse(every_op, &a, err, sizeof(err)));
	assert_int_equal(a.n, HM_OP__COUNT);
	for (unsigned i = 0; i < HM_OP__COUNT; i++)
		assert_int_equal(a.op[i].code, i);
	assert_int_equal(a.config.nr_cpus, 3);
	assert_false(a.config.pae);
	assert_true(a.config.debug_highmem);
	assert_int_equal(a.config.kernel, HM_KERNEL_6_1);
	assert_int_equal(a.config.report, HM_REPORT_KERNEL);
	assert_int_equal(a.op[HM_OP_SWITCH_TASK].a, 5);
	assert_int_equal(a.op[1].a, 229381);
	assert_int_equal(a.op[3].a, 2);
	assert_int_equal(a.op[4].b, KM_USER0);
	assert_int_equal(a.op[7].a, 0);		/* slot left out: 0 */
	assert_int_equal(a.op[9].b, 0xdeadbeef);

	/* print and parse again: the same sequence */
	f = open_memstream(&text, &len);
	hm_seq_print(&a, f);
	fclose(f);
	assert_true(hm_seq_parse(text, &b, err, sizeof(err)));
	assert_same_seq(&a, &b);
	assert_non_null(strstr(text, "kmap_atomic_type 0x38007 KM_USER0\n"));
	free(text);
}

static void binary_round_trip(void **state)
{
	size_t len;

	(void)state;
	assert_true(hm_seq_parse(every_op, &a, err, sizeof(err)));
	len = hm_seq_encode(&a, buf, sizeof(buf));
	assert_int_equal(buf[0], 2 | 4 | 8 | 16 | 2 << 5 | 0x80);	/* linux-6.1, report kernel */
	assert_int_equal(buf[1], HM_OP_KMAP);
	assert_int_equal(buf[2] | buf[3] << 8 | buf[4] << 16 | buf[5] << 24,
			 0x38005);
	assert_true(hm_seq_decode(buf, len, true, &b, err, sizeof(err)));
	assert_same_seq(&a, &b);
	/* too small a buffer: nothing written, the size wanted returned */
	assert_int_equal(hm_seq_encode(&a, buf, 3), len);
}

/* Any byte string decodes leniently, and its re-encoding decodes strictly
 * to the same ops. */
static void lenient_takes_anything(void **state)
{
	uint8_t junk[512];
	unsigned seed = 12345;
	size_t len;

	(void)state;
	for (int round = 0; round < 200; round++) {
		size_t n = (size_t)(rand_r(&seed) % sizeof(junk));

		for (size_t i = 0; i < n; i++)
			junk[i] = (uint8_t)rand_r(&seed);
		assert_true(hm_seq_decode(junk, n, false, &a, err, sizeof(err)));
		assert_true(a.config.nr_cpus >= 1 && a.config.nr_cpus <= 4);
		for (size_t i = 0; i < a.n; i++)
			assert_true(a.op[i].code < HM_OP__COUNT);
		len = hm_seq_encode(&a, buf, sizeof(buf));
		assert_true(len <= n || n == 0);
		assert_true(hm_seq_decode(buf, len, true, &b, err, sizeof(err)));
		assert_same_seq(&a, &b);
	}
	assert_true(hm_seq_decode(NULL, 0, true, &a, err, sizeof(err)));
	assert_int_equal(a.n, 0);
	assert_int_equal(a.config.nr_cpus, 1);
	assert_true(a.config.pae);
}

static void strict_rejects(void **state)
{
	const uint8_t unknown[] = { 0, 200 };
	const uint8_t truncated[] = { 0, HM_OP_KMAP, 1, 2 };
	const uint8_t badconfig[] = { 0xe0 };	/* kernel mode, kernel 3 */
	const uint8_t kernelmode[] = { 0x80 };
	const uint8_t badkernel[] = { 0x60 };	/* bits 5-6: 3, no kernel */

	(void)state;
	assert_false(hm_seq_decode(unknown, 2, true, &a, err, sizeof(err)));
	assert_non_null(strstr(err, "byte 1: unknown op code 200"));
	assert_false(hm_seq_decode(truncated, 4, true, &a, err, sizeof(err)));
	assert_non_null(strstr(err, "truncated"));
	assert_false(hm_seq_decode(badconfig, 1, true, &a, err, sizeof(err)));
	assert_non_null(strstr(err, "config 0xe0"));
	assert_true(hm_seq_decode(kernelmode, 1, true, &a, err, sizeof(err)));
	assert_int_equal(a.config.report, HM_REPORT_KERNEL);
	assert_false(hm_seq_decode(badkernel, 1, true, &a, err, sizeof(err)));
	assert_non_null(strstr(err, "config 0x60"));
	assert_true(hm_seq_decode(badkernel, 1, false, &a, err, sizeof(err)));
	assert_int_equal(a.config.kernel, HM_KERNEL_DEFAULT);
	/* lenient: the truncated op is dropped */
	assert_true(hm_seq_decode(truncated, 4, false, &a, err, sizeof(err)));
	assert_int_equal(a.n, 0);
}

static void parse_rejects(void **state)
{
	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "kmap\n", "line 1: kmap needs an argument" },
		{ "\n\nfrobnicate 3\n", "line 3: unknown op 'frobnicate'" },
		{ "kmap 0x38005 7\n", "line 1: kmap: unexpected '7'" },
		{ "kmap banana\n", "line 1: kmap: bad argument 'banana'" },
		{ "kmap 0x1ffffffff\n", "bad argument" },
		{ "cpu 256\n", "line 1: cpu: bad argument '256'" },
		{ "kmap_atomic_type 5 KM_NOPE\n", "bad argument 'KM_NOPE'" },
		{ "write 1\n", "write needs two argument(s)" },
		{ "kmap 5\nconfig cpus 2\n", "line 2: config must come before" },
		{ "config cpus 9\n", "line 1: cpus takes 1 to 4" },
		{ "config turbo\n", "unknown word 'turbo'" },
		{ "config pkmap 32\n", "line 1: pkmap takes 16" },
		{ "config kernel linux-5.0\n", "line 1: kernel takes" },
		{ "config report loud\n", "line 1: report takes strict or kernel" },
		{ "switch_task\n", "line 1: switch_task needs an argument" },
		{ "switch_task 256\n", "switch_task: bad argument '256'" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_false(hm_seq_parse(bad[i].text, &a, err, sizeof(err)));
		if (!strstr(err, bad[i].want))
			fail_msg("'%s': got '%s', want '%s'", bad[i].text, err,
				 bad[i].want);
	}
}

/* One code space: the fuzz codes, then the guest-only ones; every code
 * has its name, and the text form knows only the fuzz ones. */
static void one_table(void **state)
{
	(void)state;
	assert_string_equal(hm_op_name(HM_OP_KMAP), "kmap");
	assert_string_equal(hm_op_name(HM_OP_RESET), "reset");
	assert_int_equal(HM_OP_TOUCH, HM_OP__COUNT);
	assert_string_equal(hm_op_name(HM_OP_TOUCH), "touch");
	assert_string_equal(hm_op_name(HM_OP_TRIPLE), "triple_fault");
	assert_int_equal(HM_OP__END, HM_OP_TRIPLE + 1);
	assert_string_equal(hm_op_name(HM_OP__END), "?");
	for (unsigned c = 0; c < HM_OP__END; c++)
		assert_non_null(hm_op_info_of(c)->name);
	assert_false(hm_seq_parse("touch 0x1000\n", &a, err, sizeof(err)));
	assert_non_null(strstr(err, "unknown op 'touch'"));
}

/* Where a PFN and a write land (op_meaning.h). */
static void meaning(void **state)
{
	struct hm_live v[4];
	struct hm_lives ls = { v, 0, 4 };

	(void)state;
	/* in memory: itself; outside: the pool, low then high */
	assert_int_equal(hm_op_pfn(0x38005, 0x200, 0x38000, 0x40000), 0x38005);
	assert_int_equal(hm_op_pfn(5, 0x200, 0x38000, 0x40000), 0x205);
	assert_int_equal(hm_op_pfn(HM_OP_POOL_LOW, 0x200, 0x38000, 0x40000),
			 0x38000);
	assert_int_equal(hm_op_pfn(0x40000 + HM_OP_POOL_SIZE + 1, 0x200,
				   0x38000, 0x40000), 0x201);
	/* two CPUs never write the same word; a word stays in the page */
	assert_int_equal(hm_op_write_offset(0xdeadbeef, 0), 0xef * 16);
	assert_int_equal(hm_op_write_offset(0xdeadbeef, 1), 0xef * 16 + 4);
	assert_int_equal(hm_op_write_offset(0xffffffff, 3), 4092);
	/* MAP: this CPU's usable ones, oldest first, modulo their number */
	hm_live_add(&ls, 0x38001, 0xffc00000, HM_LIVE_KMAP, 0, 0, true);
	hm_live_add(&ls, 0x38002, 0xff000000, HM_LIVE_ATOMIC, 1, 0, true);
	hm_live_add(&ls, 0x300, 0xc0300000, HM_LIVE_LOCAL, 1, 0, false);
	/* full: the next one is not remembered */
	assert_non_null(hm_live_add(&ls, 0x38003, 0xff001000, HM_LIVE_ATOMIC,
				    2, 0, true));
	assert_null(hm_live_add(&ls, 0x38004, 0xff002000, HM_LIVE_ATOMIC, 2,
				0, true));
	ls.n = 3;
	assert_int_equal(hm_live_pick(&ls, 0, 0)->pfn, 0x38001);
	assert_int_equal(hm_live_pick(&ls, 0, 1)->pfn, 0x300);	/* lowmem */
	assert_int_equal(hm_live_pick(&ls, 0, 2)->pfn, 0x38001);
	assert_int_equal(hm_live_pick(&ls, 1, 1)->pfn, 0x38002);
	/* SLOT: this CPU's temporary maps, newest first */
	assert_int_equal(hm_live_temp(&ls, 1, 0, HM_LIVE_TEMPORARY)->pfn, 0x300);
	assert_int_equal(hm_live_temp(&ls, 1, 1, HM_LIVE_TEMPORARY)->pfn,
			 0x38002);
	assert_null(hm_live_temp(&ls, 0, 0, HM_LIVE_TEMPORARY));
	assert_int_equal(hm_live_user(&ls, 0x38001)->vaddr, 0xffc00000);
	hm_live_del(&ls, &v[0]);
	assert_null(hm_live_user(&ls, 0x38001));
	assert_int_equal(ls.n, 2);
}

/* The machine a configuration means. */
static void config_apply(void **state)
{
	struct hm_seq_config c;
	struct hm_config cfg;

	(void)state;
	hm_seq_config_from_byte(2 | 4 | 8 | 16 | 0x20, &c);
	memset(&cfg, 0, sizeof(cfg));
	hm_seq_config_apply(&c, &cfg);
	assert_int_equal(cfg.nr_cpus, 3);
	assert_false(cfg.pae);
	assert_true(cfg.debug_highmem);
	assert_int_equal(cfg.last_pkmap, HM_SEQ_SMALL_WINDOW);
	assert_int_equal(cfg.kernel, HM_KERNEL_2_6_24);
	assert_int_equal(hm_seq_config_byte(&c), 2 | 4 | 8 | 16 | 0x20);
	/* linux-4.7 is the default: one byte for it */
	c.kernel = HM_KERNEL_4_7;
	assert_int_equal(hm_seq_config_byte(&c), 2 | 4 | 8 | 16);
	assert_int_equal(cfg.report, HM_REPORT_STRICT);
	/* bit 7: the kernel's reporting mode */
	hm_seq_config_from_byte(0x80 | 0x40, &c);
	hm_seq_config_apply(&c, &cfg);
	assert_int_equal(cfg.report, HM_REPORT_KERNEL);
	assert_int_equal(cfg.kernel, HM_KERNEL_6_1);
	assert_int_equal(hm_seq_config_byte(&c), 0x80 | 0x40);
	assert_true(hm_seq_config_valid(0xc0));
	assert_false(hm_seq_config_valid(0xe0));
	assert_false(hm_seq_config_valid(0x60));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(text_round_trip),
		cmocka_unit_test(binary_round_trip),
		cmocka_unit_test(lenient_takes_anything),
		cmocka_unit_test(strict_rejects),
		cmocka_unit_test(parse_rejects),
		cmocka_unit_test(one_table),
		cmocka_unit_test(meaning),
		cmocka_unit_test(config_apply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
