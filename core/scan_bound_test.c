/* SPDX-License-Identifier: MIT */
/*
 * scan_bound_test.c - a scan that cannot end is reported, not spun in.
 *
 * Built against the core with HM_INJECT_BUG=2 (core/internal.h: the PKMAP
 * scan wraps one entry early, so the last entry is never looked at).  In a
 * 16-entry window whose 15 reachable entries are all in use, the kernel's
 * loop would go round for ever: every wrap restarts its count, and the one
 * free entry is the one it skips.  The core must instead report a BUG from
 * map_new_virtual() with its state once the scan has run two rounds, fail
 * that kmap, and leave everything else as it was.  (Without the injected
 * bug the same machine just maps entry 15: kmap_test covers it.)  The test
 * has a 60 s limit; it takes milliseconds when the bound works.
 */
#include <string.h>

#include "core/testing/testing.h"

static void endless_scan_is_a_bug(void **state)
{
	struct hm_config cfg;
	struct bug_log log;
	struct hm_ctx *ctx;
	unsigned i;

	(void)state;
	hm_config_default(&cfg);
	cfg.last_pkmap = 16;
	cfg.wait_timeout_ms = 0;	/* one thread: nobody could wake it */
	ctx = test_ctx(&cfg, &log);

	/* Entries 1..14, then the early wrap to 0: 15 maps, entry 15 never
	 * handed out. */
	for (i = 0; i < 15; i++)
		assert_int_not_equal(hm_kmap(ctx, high_page(ctx, i)), 0);
	assert_int_equal(log.count, 0);
	assert_int_equal(hm_pkmap_count(ctx, 15), 0);

	assert_int_equal(hm_kmap(ctx, high_page(ctx, 15)), 0);
	assert_one_bug(&log, 0, "map_new_virtual",
		       "the scan for a free pkmap entry has not ended after 32 "
		       "steps");
	if (!strstr(log.msg, "LAST_PKMAP 16") ||
	    !strstr(log.msg, "last_pkmap_nr "))
		fail_msg("the report lacks the scan's state: %s", log.msg);
	/* Nothing else moved: the 15 maps still hold, entry 15 is free. */
	for (i = 0; i < 15; i++)
		assert_int_equal(hm_pkmap_count(ctx, i), 2);
	assert_int_equal(hm_pkmap_count(ctx, 15), 0);
	assert_int_equal(hm_page_address(ctx, high_page(ctx, 15)), 0);

	for (i = 0; i < 15; i++)
		hm_kunmap(ctx, high_page(ctx, i));
	assert_int_equal(log.count, 1);
	hm_destroy(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(endless_scan_is_a_bug),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
