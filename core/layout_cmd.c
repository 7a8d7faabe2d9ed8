/* SPDX-License-Identifier: MIT */
/*
 * layout_cmd.c - print the address layout a kernel profile implies.
 *
 *   bazel run //core:layout -- --kernel linux-6.1 --mem 2G --cpus 4
 *   bazel run //core:layout -- --list
 *   bazel run //core:layout -- --table        (the README's tables)
 *
 * Bad input: a one-line reason on stderr and exit status 2.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/profile.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: layout [--kernel NAME] [--mem SIZE] [--cpus N] "
		"[--nr-cpus N] [--nopae] [--debug]\n"
		"       layout --list | --table [--nopae] [--debug]\n"
		"  --kernel NAME  a profile from --list (default %s)\n"
		"  --mem SIZE     RAM from address 0: bytes, or with K, M or G "
		"(default 1G)\n"
		"  --cpus N       CPUs running (default 1)\n"
		"  --nr-cpus N    NR_CPUS the kernel was built with (default: "
		"the profile's .config, else --cpus)\n"
		"  --nopae        2-level paging (HIGHMEM4G) instead of PAE\n"
		"  --debug        DEBUG_HIGHMEM (linux-6.1: DEBUG_KMAP_LOCAL)\n"
		"  --list         the profiles and the .config each assumes\n"
		"  --table        1, 2, 4 GiB x 1, 4 CPUs for every profile, "
		"as Markdown\n", HM_KERNEL_PROFILE_DEFAULT);
}

static void bad(const char *fmt, const char *arg)
{
	fprintf(stderr, "layout: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	exit(2);
}

static unsigned long long parse_num(const char *opt, const char *arg,
				    bool suffix)
{
	unsigned long long v, mul = 1;
	char *end;

	errno = 0;
	if (arg[0] < '0' || arg[0] > '9')
		bad("a number is needed, not '%s'", arg);
	v = strtoull(arg, &end, 0);
	if (suffix && *end && !end[1]) {
		switch (*end) {
		case 'K': case 'k': mul = 1ull << 10; end++; break;
		case 'M': case 'm': mul = 1ull << 20; end++; break;
		case 'G': case 'g': mul = 1ull << 30; end++; break;
		}
	}
	if (errno || end == arg || *end || v > ~0ull / mul) {
		fprintf(stderr, "layout: %s: bad number '%s'\n", opt, arg);
		exit(2);
	}
	return v * mul;
}

static void layout_or_die(const struct hm_kernel_profile *p,
			  const struct hm_profile_params *in,
			  struct hm_profile_layout *out)
{
	const char *why = hm_profile_layout(p, in, out);

	if (why) {
		fprintf(stderr, "layout: %s: %s\n", p->name, why);
		exit(2);
	}
}

static const char *scheme_name(enum hm_kmap_scheme s)
{
	return s == HM_KMAP_TYPED ? "KM_TYPE_NR (typed km_type)" :
	       s == HM_KMAP_STACK ? "KM_TYPE_NR (per-CPU stack)" :
				    "KM_MAX_IDX (per-task stack)";
}

static void print_one(const struct hm_kernel_profile *p,
		      const struct hm_profile_params *in)
{
	struct hm_profile_layout pl;
	const struct hm_layout *l = &pl.l;

	layout_or_die(p, in, &pl);
	printf("%s: %s\n", p->name, p->kernel);
	printf("  %s, %" PRIu64 " MiB RAM, %u CPU(s) running, NR_CPUS %u%s\n",
	       in->pae ? "PAE" : "2-level paging", in->mem_bytes >> 20,
	       in->nr_cpus, pl.nr_cpus_build, in->debug ? ", debug" : "");
	printf("PAGE_OFFSET     %#010x\n", l->page_offset);
	printf("high_memory     %#010x  (%" PRIu64 " MiB lowmem of MAXMEM "
	       "%u MiB)\n", l->high_memory,
	       pl.max_low_pfn >> (20 - 12), pl.maxmem >> 20);
	printf("max_low_pfn     %#" PRIx64 "  (max_pfn %#" PRIx64 ")\n",
	       pl.max_low_pfn, pl.max_pfn);
	printf("VMALLOC_START   %#010x\n", pl.l.vmalloc_start);
	printf("VMALLOC_END     %#010x\n", l->vmalloc_end);
	printf("PKMAP_BASE      %#010x  (LAST_PKMAP %u)\n", l->pkmap_base,
	       l->last_pkmap);
	if (pl.ldt_base) {
		printf("LDT_BASE_ADDR   %#010x\n", pl.ldt_base);
		printf("CPU_ENTRY_AREA  %#010x\n", pl.cpu_entry_area_base);
	}
	printf("FIXADDR_START   %#010x\n", l->fixaddr_start);
	printf("FIXADDR_TOP     %#010x\n", l->fixaddr_top);
	printf("FIX_KMAP_BEGIN  %u\n", l->fix_kmap_begin);
	printf("FIX_KMAP_END    %u  (%s %u per CPU)\n", l->fix_kmap_end,
	       scheme_name(p->kmap_scheme), pl.l.km_slots);
	for (unsigned cpu = 0; cpu < 2; cpu++) {
		if (cpu < in->nr_cpus)
			printf("cpu %u slot      %#010x  (first map: index "
			       "%u)\n", cpu, hm_profile_kmap_slot(&pl, cpu, 0),
			       pl.l.km_first_idx);
		else
			printf("cpu %u slot      -  (no cpu %u running)\n",
			       cpu, cpu);
	}
	printf("unmap           %s\n", p->unmap_doc);
	if (p->tlb_single_page_flush_ceiling)
		printf("range flush     page by page up to %u pages: %s\n",
		       p->tlb_single_page_flush_ceiling, p->flush_doc);
	else
		printf("range flush     always whole: %s\n", p->flush_doc);
}

static void print_list(void)
{
	const struct hm_kernel_profile *p;

	for (unsigned i = 0; (p = hm_kernel_profile_at(i)); i++) {
		printf("%s%s\n  %s\n  .config: %s\n", p->name,
		       strcmp(p->name, HM_KERNEL_PROFILE_DEFAULT) ? "" :
		       " (default)", p->kernel, p->config);
		printf("  from: %s\n  checked: %s\n  not checked: %s\n",
		       p->sources, p->checked, p->uncertain);
	}
}

static void print_table(bool pae, bool debug)
{
	static const unsigned gib[] = { 1, 2, 4 }, cpus[] = { 1, 4 };
	const struct hm_kernel_profile *p;

	for (unsigned i = 0; (p = hm_kernel_profile_at(i)); i++) {
		printf("%s### %s (%s%s)\n\n", i ? "\n" : "", p->name,
		       pae ? "PAE" : "2-level", debug ? ", debug" : "");
		printf("| RAM | CPUs | NR_CPUS | PAGE_OFFSET | high_memory | "
		       "max_low_pfn | VMALLOC_START | VMALLOC_END | "
		       "PKMAP_BASE | FIXADDR_START | FIXADDR_TOP | "
		       "FIX_KMAP_BEGIN..END | cpu 0 slot | cpu 1 slot |\n");
		printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|"
		       "---|\n");
		for (unsigned m = 0; m < 3; m++) {
			for (unsigned c = 0; c < 2; c++) {
				struct hm_profile_params in = {
					.pae = pae, .debug = debug,
					.mem_bytes = (uint64_t)gib[m] << 30,
					.nr_cpus = cpus[c],
				};
				struct hm_profile_layout pl;
				char cpu1[16] = "-";

				layout_or_die(p, &in, &pl);
				if (cpus[c] > 1)
					snprintf(cpu1, sizeof(cpu1), "%#010x",
						 hm_profile_kmap_slot(&pl, 1, 0));
				printf("| %u GiB | %u | %u | %#010x | %#010x | "
				       "%#" PRIx64 " | %#010x | %#010x | %#010x "
				       "| %#010x | %#010x | %u..%u | %#010x | "
				       "%s |\n", gib[m], cpus[c],
				       pl.nr_cpus_build, pl.l.page_offset,
				       pl.l.high_memory, pl.max_low_pfn,
				       pl.l.vmalloc_start, pl.l.vmalloc_end,
				       pl.l.pkmap_base, pl.l.fixaddr_start,
				       pl.l.fixaddr_top, pl.l.fix_kmap_begin,
				       pl.l.fix_kmap_end,
				       hm_profile_kmap_slot(&pl, 0, 0), cpu1);
			}
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "mem", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "nr-cpus", required_argument, NULL, 'n' },
		{ "nopae", no_argument, NULL, 'P' },
		{ "debug", no_argument, NULL, 'd' },
		{ "list", no_argument, NULL, 'l' },
		{ "table", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct hm_profile_params in = {
		.pae = true, .mem_bytes = 1ull << 30, .nr_cpus = 1,
	};
	const char *kernel = HM_KERNEL_PROFILE_DEFAULT;
	const struct hm_kernel_profile *p;
	bool list = false, table = false;
	unsigned long long v;
	int opt;

	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'k': kernel = optarg; break;
		case 'm': in.mem_bytes = parse_num("--mem", optarg, true); break;
		case 'c':
		case 'n':
			v = parse_num(opt == 'c' ? "--cpus" : "--nr-cpus",
				      optarg, false);
			if (v == 0 || v > HM_PROFILE_MAX_NR_CPUS)
				bad("CPU counts go from 1 to 64, not '%s'",
				    optarg);
			if (opt == 'c')
				in.nr_cpus = (unsigned)v;
			else
				in.nr_cpus_build = (unsigned)v;
			break;
		case 'P': in.pae = false; break;
		case 'd': in.debug = true; break;
		case 'l': list = true; break;
		case 't': table = true; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "layout: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return 2;
	}
	if (list) {
		print_list();
		return 0;
	}
	if (table) {
		print_table(in.pae, in.debug);
		return 0;
	}
	p = hm_kernel_profile_find(kernel);
	if (!p)
		bad("no profile '%s' (try --list)", kernel);
	print_one(p, &in);
	return 0;
}
