/* SPDX-License-Identifier: MIT */
/*
 * highmem_demo.c - walk through the highmem core on one simulated machine
 * and print what each step does: the layout, a persistent map, a temporary
 * map of the same page, the wrap of the PKMAP window and its flush.
 *
 *   bazel run //core:highmem_demo -- [--mem-mib N] [--cpus N] [--no-pae]
 *                                    [--debug-highmem]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/highmem.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: highmem_demo [--kernel NAME] [--mem-mib N] [--cpus N] "
		"[--no-pae] [--debug-highmem]\n"
		"  --kernel NAME     linux-2.6.24, linux-4.7 (default) or "
		"linux-6.1: its layout and slots\n"
		"  --mem-mib N       simulated memory, a multiple of 4 (default 1024)\n"
		"  --cpus N          simulated CPUs, 1 to %d (default 1)\n"
		"  --no-pae          2-level paging: 32-bit PTEs, LAST_PKMAP 1024\n"
		"  --debug-highmem   CONFIG_DEBUG_HIGHMEM: 4.x's KM_FENCE window "
		"of 41 slots, 6.x's guard slots\n", HM_MAX_CPUS);
}

static unsigned long parse_num(const char *opt, const char *arg)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 0);
	if (errno || end == arg || *end || arg[0] == '-') {
		fprintf(stderr, "highmem_demo: %s needs a number, not '%s'\n",
			opt, arg);
		exit(2);
	}
	return v;
}

static struct hm_stats stats_of(struct hm_ctx *ctx)
{
	struct hm_stats s;

	hm_stats(ctx, &s);
	return s;
}

static int demo(struct hm_ctx *ctx)
{
	const struct hm_config *cfg = hm_config(ctx);
	const struct hm_layout *l = hm_layout(ctx);
	uint64_t first_high = hm_max_low_pfn(ctx);
	struct page *page;
	struct hm_stats s;
	hm_vaddr_t v, a;
	unsigned nr, i, last = l->last_pkmap;
	uint32_t word = 0;

	printf("highmem-lab demo: %s x86_32 %s, %" PRIu64 " MiB, %u CPU(s)%s\n",
	       hm_kernel_name(cfg->kernel),
	       cfg->pae ? "PAE" : "2-level paging", cfg->mem_bytes >> 20,
	       cfg->nr_cpus, cfg->debug_highmem ? ", DEBUG_HIGHMEM" : "");
	printf("layout: PAGE_OFFSET %#x, direct map to %#x (%u MiB lowmem)\n",
	       l->page_offset, l->high_memory,
	       (l->high_memory - l->page_offset) >> 20);
	printf("        PKMAP_BASE %#x, LAST_PKMAP %u, FIXADDR_START %#x, "
	       "FIX_KMAP_BEGIN..END %u..%u\n", l->pkmap_base, last,
	       l->fixaddr_start, l->fix_kmap_begin, l->fix_kmap_end);
	if (first_high >= hm_max_pfn(ctx)) {
		printf("no highmem with %" PRIu64 " MiB: every page is in the "
		       "direct map, kmap is arithmetic. Try --mem-mib 1024.\n",
		       cfg->mem_bytes >> 20);
		return 0;
	}

	page = hm_pfn_to_page(ctx, first_high + 5);
	v = hm_kmap(ctx, page);
	nr = (v - l->pkmap_base) >> 12;
	printf("kmap(pfn %#" PRIx64 ")          -> %#x: PKMAP entry %u, "
	       "pkmap_count %d, pte %#" PRIx64 "\n",
	       hm_page_to_pfn(ctx, page), v, nr, hm_pkmap_count(ctx, nr),
	       hm_pkmap_pte(ctx, nr));
	word = 0xdecafbad;
	hm_sim_write(ctx, v + 16, &word, 4);
	a = hm_kmap_atomic(ctx, page);
	word = 0;
	hm_sim_read(ctx, a + 16, &word, 4);
	printf("kmap_atomic(same page)     -> %#x: cpu %u slot 0, reads back "
	       "%#x written through the kmap\n", a, hm_smp_processor_id(ctx),
	       word);
	hm_kunmap_atomic(ctx, a);
	printf("kunmap_atomic              -> slot pte %s\n",
	       hm_kmap_atomic_pte(ctx, 0, 0) ? "left in place (x86 clears it: "
	       "a bug)" : "cleared, and its TLB entry flushed (x86's "
	       "kpte_clear_flush)");
	hm_kunmap(ctx, page);
	printf("kunmap                     -> pkmap_count %d: still mapped, "
	       "not reusable before the next flush\n", hm_pkmap_count(ctx, nr));

	s = stats_of(ctx);
	for (i = 0; i < last - 1; i++) {
		struct page *p = hm_pfn_to_page(ctx, first_high + 100 + i);

		v = hm_kmap(ctx, p);
		hm_kunmap(ctx, p);
		if (stats_of(ctx).pkmap_flushes != s.pkmap_flushes)
			break;
	}
	s = stats_of(ctx);
	printf("kmap+kunmap of %u more pages: the last wrapped the scan to "
	       "entry 0; flush_all_zero_pkmaps ran %" PRIu64 " time(s),\n"
	       "        %" PRIu64 " PTE writes, %" PRIu64 " whole-TLB "
	       "flush(es) over %u CPU(s), %" PRIu64 " TLB entries dropped\n",
	       i + 1, s.pkmap_flushes, s.pte_writes, s.tlb_flush_all,
	       cfg->nr_cpus, s.tlb_entries_flushed);
	printf("after the wrap: pfn %#" PRIx64 " has %s (pkmap_count[%u] = %d)\n",
	       hm_page_to_pfn(ctx, page),
	       hm_page_address(ctx, page) ? "its address still" : "no address",
	       nr, hm_pkmap_count(ctx, nr));
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "mem-mib", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "no-pae", no_argument, NULL, 'n' },
		{ "debug-highmem", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hm_config cfg;
	struct hm_ctx *ctx;
	char err[200];
	int c, ret;

	hm_config_default(&cfg);
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			cfg.kernel = hm_kernel_by_name(optarg);
			if (cfg.kernel == HM_KERNEL_NR) {
				fprintf(stderr, "highmem_demo: unknown kernel "
					"'%s'\n", optarg);
				usage(stderr);
				return 2;
			}
			break;
		case 'm':
			cfg.mem_bytes = (uint64_t)parse_num("--mem-mib", optarg)
					<< 20;
			break;
		case 'c':
			cfg.nr_cpus = (unsigned)parse_num("--cpus", optarg);
			break;
		case 'n':
			cfg.pae = false;
			break;
		case 'd':
			cfg.debug_highmem = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "highmem_demo: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}
	ctx = hm_create(&cfg, err, sizeof(err));
	if (!ctx) {
		fprintf(stderr, "highmem_demo: %s\n", err);
		return 2;
	}
	ret = demo(ctx);
	hm_destroy(ctx);
	return ret;
}
