/* SPDX-License-Identifier: MIT */
/*
 * harness.c - drive the core with an op sequence and hold it to the model;
 * see harness.h for what the arguments mean and what is checked.
 *
 * Checks are incremental, so a step costs in proportion to what it
 * touches: the entry, slot, page and CPU of the op; the whole PKMAP
 * window only when the model says a flush ran.
 */
#include "fuzz/harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/highmem.h"
#include "fuzz/model.h"
#include "fuzz/op_meaning.h"

#define PA_POOL		256u	/* page_address target: 4 buckets x 64 */
#define WORDS		8192u	/* power of two */

/* enum hm_live_kind's names */
static const char *const live_name[] = { "kmap", "kmap_atomic",
					 "kmap_atomic_type", "kmap_local_page" };

/* The last word written to a page during this input. */
struct word {
	uint32_t pfn;		/* 0: empty (frame 0 is never used) */
	uint32_t off, val;
};

struct hm_harness {
	enum hm_harness_mode mode;
	struct hm_ctx *ctxs[HM_SEQ_CONFIGS];	/* one per config byte */
	struct hm_ctx *ctx;
	struct model *m;
	uint32_t first_free, max_low, max_pfn;	/* the machine's frames */
	uint32_t pa_pool[PA_POOL];

	const struct hm_seq *seq;
	size_t cur;
	struct hm_step hist[HM_SEQ_MAX_OPS];
	const char *why[HM_SEQ_MAX_OPS];	/* skip or BUG reason */

	int bugs;
	char bug_msg[256];
	/* WARNs of kernel mode: this op's, and the one the model expects */
	int warns;
	char warn_msg[256];
	const char *want_warn;
	const char *warned[HM_SEQ_MAX_OPS];

	/* kernel mode: the consequences seen (harness.h), and the last
	 * out-of-order unmap, their likely cause */
	int corruption_mode;		/* HM_FUZZ_CORRUPTION */
	unsigned corruptions;
	size_t ooo_op;
	bool ooo_seen;

	/* the mappings the sequence holds (op_meaning.h) */
	struct hm_lives lives;
	struct hm_live live[HM_SEQ_MAX_OPS];
	/* the temporary maps of tasks switched out, with their task */
	struct hm_parked parked;
	struct hm_live parked_v[HM_SEQ_MAX_OPS];
	uint8_t parked_task[HM_SEQ_MAX_OPS];
	struct word words[WORDS];
	uint32_t used_words[WORDS];
	size_t n_words;

	uint64_t executed, skipped;
};

/* ---- Findings -------------------------------------------------------------- */

static void print_history(const struct hm_harness *h, FILE *f)
{
	char line[96];

	fprintf(f, "== the input, as a text sequence (results in comments) ==\n");
	hm_seq_config_format(&h->seq->config, line, sizeof(line));
	fprintf(f, "%s\n", line);
	for (size_t i = 0; i < h->seq->n && i <= h->cur; i++) {
		const struct hm_step *st = &h->hist[i];

		hm_op_format(&h->seq->op[i], line, sizeof(line));
		if (i == h->cur)
			fprintf(f, "%-36s # <-- HERE\n", line);
		else if (!st->executed)
			fprintf(f, "%-36s # skipped: %s\n", line, h->why[i]);
		else if (st->bug)
			fprintf(f, "%-36s # BUG as expected: %s\n", line,
				h->why[i]);
		else if (h->warned[i])
			fprintf(f, "%-36s # WARN as expected: %s\n", line,
				h->warned[i]);
		else
			fprintf(f, "%-36s # -> %#x\n", line, st->value);
	}
	if (h->cur + 1 < h->seq->n)
		fprintf(f, "# ... %zu more op(s) not run\n",
			h->seq->n - h->cur - 1);
}

static void __attribute__((noreturn, format(printf, 2, 3)))
oracle(struct hm_harness *h, const char *fmt, ...)
{
	char op[96];
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "ORACLE: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	hm_op_format(&h->seq->op[h->cur], op, sizeof(op));
	fprintf(stderr, "\n  at op %zu of %zu: %s (cpu %u)\n", h->cur + 1,
		h->seq->n, op, hm_smp_processor_id(h->ctx));
	print_history(h, stderr);
	fflush(stderr);
	abort();
}

static void record_bug(void *arg, const struct hm_bug *bug)
{
	struct hm_harness *h = arg;

	if (bug->warn) {
		h->warns++;
		snprintf(h->warn_msg, sizeof(h->warn_msg), "%s:%u %s(): %s",
			 bug->file, bug->line, bug->func, bug->msg);
		return;
	}
	h->bugs++;
	snprintf(h->bug_msg, sizeof(h->bug_msg), "%s:%u %s(): %s", bug->file,
		 bug->line, bug->func, bug->msg);
}

/* ---- Machines ---------------------------------------------------------------- */

static struct hm_ctx *machine(struct hm_harness *h,
			      const struct hm_seq_config *c)
{
	uint8_t key = hm_seq_config_byte(c);
	struct hm_config cfg;
	char err[200];

	if (h->ctxs[key])
		return h->ctxs[key];
	hm_config_default(&cfg);
	hm_seq_config_apply(c, &cfg);
	cfg.wait_timeout_ms = 0;	/* one thread: sleeping is a BUG */
	h->ctxs[key] = hm_create(&cfg, err, sizeof(err));
	if (!h->ctxs[key]) {
		fprintf(stderr, "harness: %s\n", err);
		abort();
	}
	hm_set_bug_handler(h->ctxs[key], record_bug, h);
	return h->ctxs[key];
}

/* The bucket page_address_htable puts a pfn in (hash_32 of where a 32-bit
 * kernel keeps its struct page, PA_HASH_ORDER 7). */
static unsigned pa_bucket(uint32_t pfn)
{
	return ((0xC1000000u + pfn * 32u) * 0x61C88647u) >> 25;
}

struct hm_harness *hm_harness_new(enum hm_harness_mode mode)
{
	struct hm_harness *h = calloc(1, sizeof(*h));
	unsigned n = 0;

	if (!h || !(h->m = calloc(1, sizeof(*h->m)))) {
		fprintf(stderr, "harness: out of memory\n");
		abort();
	}
	model_init(h->m, &(struct hm_seq_config){ 1, true, false, false,
						  HM_KERNEL_DEFAULT,
						  HM_REPORT_STRICT });
	h->mode = mode;
	{
		const char *e = getenv("HM_FUZZ_CORRUPTION");

		h->corruption_mode = !e || !strcmp(e, "report") ? 0 :
				     !strcmp(e, "abort") ? 1 :
				     !strcmp(e, "quiet") ? 2 : -1;
		if (h->corruption_mode < 0) {
			fprintf(stderr, "harness: HM_FUZZ_CORRUPTION=%s: want "
				"report, abort or quiet\n", e);
			exit(2);
		}
	}
	h->lives.v = h->live;
	h->lives.max = HM_SEQ_MAX_OPS;
	h->parked.v = h->parked_v;
	h->parked.task = h->parked_task;
	h->parked.max = HM_SEQ_MAX_OPS;
	/* Every machine now, so the first input of a configuration runs the
	 * same code as the next (AFL++ counts the difference as instability). */
	for (unsigned key = 0; key < HM_SEQ_CONFIGS; key++) {
		struct hm_seq_config c;

		if (!hm_seq_config_valid(key))
			continue;
		hm_seq_config_from_byte((uint8_t)key, &c);
		/* on cpu 0 from the start, as every input leaves it: the
		 * first input must not be the one that binds the thread */
		hm_set_cpu(machine(h, &c), 0);
	}
	/* four buckets' worth of highmem pages, to make long chains */
	for (uint32_t pfn = MODEL_HIGHMEM_ALWAYS; n < PA_POOL; pfn++)
		if (pa_bucket(pfn) % 32 == 5)
			h->pa_pool[n++] = pfn;
	return h;
}

void hm_harness_free(struct hm_harness *h)
{
	if (!h)
		return;
	for (int i = 0; i < HM_SEQ_CONFIGS; i++)
		hm_destroy(h->ctxs[i]);
	free(h->m);
	free(h);
}

void hm_harness_counts(const struct hm_harness *h, uint64_t *executed,
		       uint64_t *skipped)
{
	*executed = h->executed;
	*skipped = h->skipped;
}

/* ---- Resolving arguments ------------------------------------------------- */

/* (harness.h) in the misuse target, PFNs from NO_PAGE up are passed as
 * they are: past the end of memory, they name a page outside mem_map */
#define NO_PAGE		0xFFFFFF00u

static uint32_t norm_pfn(const struct hm_harness *h, uint32_t raw)
{
	if (h->mode == HM_HARNESS_MISUSE && raw >= NO_PAGE)
		return raw;
	if (h->mode == HM_HARNESS_PAGE_ADDRESS)
		return h->pa_pool[raw % PA_POOL];
	return hm_op_pfn(raw, h->first_free, h->max_low, h->max_pfn);
}

static unsigned this_cpu(const struct hm_harness *h)
{
	return h->m->cpu;
}

/* This CPU's newest temporary map at @vaddr (misuse: a made-up address
 * may still be the right one). */
static struct hm_live *temp_at(struct hm_harness *h, uint32_t vaddr)
{
	for (uint32_t i = h->lives.n; i-- > 0;) {
		struct hm_live *l = &h->live[i];

		if (l->kind != HM_LIVE_KMAP && l->cpu == this_cpu(h) &&
		    l->vaddr == (vaddr & ~0xFFFu))
			return l;
	}
	return NULL;
}

static void live_add(struct hm_harness *h, uint32_t pfn, uint32_t vaddr,
		     enum hm_live_kind kind, unsigned type)
{
	hm_live_add(&h->lives, pfn, vaddr, kind, this_cpu(h), type,
		    model_highmem(h->m, pfn));
}

/* ---- Remembered data ------------------------------------------------------- */

static struct word *word_of(struct hm_harness *h, uint32_t pfn, bool add)
{
	uint32_t i = (pfn * 0x9E3779B1u) & (WORDS - 1);

	for (unsigned probe = 0; probe < WORDS; probe++, i = (i + 1) & (WORDS - 1)) {
		if (h->words[i].pfn == pfn)
			return &h->words[i];
		if (!h->words[i].pfn) {
			if (!add)
				return NULL;
			h->words[i].pfn = pfn;
			h->used_words[h->n_words++] = i;
			return &h->words[i];
		}
	}
	return NULL;
}

static void forget_words(struct hm_harness *h)
{
	for (size_t i = 0; i < h->n_words; i++)
		h->words[h->used_words[i]].pfn = 0;
	h->n_words = 0;
}

/* ---- Checks ------------------------------------------------------------------ */

static void check_entry(struct hm_harness *h, unsigned nr)
{
	const struct model *m = h->m;
	int count = hm_pkmap_count(h->ctx, nr);
	uint64_t pte = hm_pkmap_pte(h->ctx, nr);

	if (count != m->count[nr])
		oracle(h, "pkmap_count[%u] is %d, the model says %d", nr, count,
		       m->count[nr]);
	if (!m->count[nr] && pte)
		oracle(h, "PKMAP entry %u is free but its PTE is %#llx", nr,
		       (unsigned long long)pte);
	if (m->count[nr] && hm_pkmap_addr(h->ctx, nr) != model_pkmap_addr(m, nr))
		oracle(h, "PKMAP entry %u is at %#x, the model says %#x", nr,
		       hm_pkmap_addr(h->ctx, nr), model_pkmap_addr(m, nr));
	/* the whole PTE: frame and every flag (RW, G, NX, no U, no PCD) */
	if (m->count[nr] && pte != model_map_pte(m, m->pfn[nr]))
		oracle(h, "PKMAP entry %u should map pfn %#x with PTE %#llx, "
		       "its PTE is %#llx", nr, m->pfn[nr],
		       (unsigned long long)model_map_pte(m, m->pfn[nr]),
		       (unsigned long long)pte);
}

static void check_page(struct hm_harness *h, uint32_t pfn)
{
	struct page *page = hm_pfn_to_page(h->ctx, pfn);
	hm_vaddr_t got = hm_page_address(h->ctx, page);
	uint32_t want = model_page_address(h->m, pfn);

	if (hm_page_to_pfn(h->ctx, page) != pfn ||
	    hm_PageHighMem(h->ctx, page) != model_highmem(h->m, pfn))
		oracle(h, "pfn %#x: its page says pfn %#llx, %s", pfn,
		       (unsigned long long)hm_page_to_pfn(h->ctx, page),
		       hm_PageHighMem(h->ctx, page) ? "highmem" : "lowmem");
	if (got != want)
		oracle(h, "page_address(pfn %#x) is %#x, the model says %#x",
		       pfn, got, want);
}

/* The number of flushes, how many whole-TLB flushes they made, and after
 * one, every entry it should have freed. */
static void check_flushes(struct hm_harness *h)
{
	struct hm_stats s;

	hm_stats(h->ctx, &s);
	if (s.pkmap_flushes != h->m->flushes)
		oracle(h, "flush_all_zero_pkmaps ran %llu times, the model "
		       "says %llu", (unsigned long long)s.pkmap_flushes,
		       (unsigned long long)h->m->flushes);
	if (s.tlb_flush_range != h->m->range_flushes)
		oracle(h, "flush_tlb_kernel_range ran %llu times, the model "
		       "says %llu", (unsigned long long)s.tlb_flush_range,
		       (unsigned long long)h->m->range_flushes);
	if (s.tlb_flush_all !=
	    h->m->range_flushes * model_flush_whole_cpus(h->m))
		oracle(h, "%llu whole-TLB flushes, the model says %llu "
		       "(%u per flush_tlb_kernel_range)",
		       (unsigned long long)s.tlb_flush_all,
		       (unsigned long long)(h->m->range_flushes *
					    model_flush_whole_cpus(h->m)),
		       model_flush_whole_cpus(h->m));
	if (!h->m->nr_freed)
		return;
	/* The entries the model ever handed out; any other entry the core
	 * had mapped, some kmap returned, where it met the model's address. */
	for (unsigned nr = 0; nr < h->m->used; nr++)
		check_entry(h, nr);
	for (unsigned i = 0; i < h->m->nr_freed; i++)
		check_page(h, h->m->pfn[h->m->freed[i]]);
}

static void check_cpu(struct hm_harness *h)
{
	const struct model_cpu *mc = &h->m->c[h->m->cpu];
	struct hm_cpu_state cs;

	hm_cpu_state(h->ctx, h->m->cpu, &cs);
	if (cs.preempt_count != mc->preempt_count ||
	    cs.pagefault_disabled != mc->pagefault_disabled ||
	    cs.migrate_disabled != mc->migrate_disabled ||
	    cs.kmap_atomic_idx != mc->depth)
		oracle(h, "cpu %u: preempt %d pagefault %d migrate %d depth %d; "
		       "the model says %d %d %d %d", h->m->cpu,
		       cs.preempt_count, cs.pagefault_disabled,
		       cs.migrate_disabled, cs.kmap_atomic_idx,
		       mc->preempt_count, mc->pagefault_disabled,
		       mc->migrate_disabled, mc->depth);
}

/* After what may move the thread (cpu, reset): where it runs. */
static void check_cpu_id(struct hm_harness *h)
{
	if (hm_smp_processor_id(h->ctx) != h->m->cpu)
		oracle(h, "running on cpu %u, the model says %u",
		       hm_smp_processor_id(h->ctx), h->m->cpu);
	check_cpu(h);
}

static void check_slot(struct hm_harness *h, unsigned slot)
{
	uint64_t pte = hm_kmap_atomic_pte(h->ctx, h->m->cpu, slot);
	uint32_t want = model_slot_pte(h->m, h->m->cpu, slot);
	hm_vaddr_t at = hm_kmap_atomic_slot_addr(h->ctx, h->m->cpu, slot);

	if (at != model_slot_addr(h->m, h->m->cpu, slot))
		oracle(h, "cpu %u slot %u is at %#x, the model says %#x",
		       h->m->cpu, slot, at, model_slot_addr(h->m, h->m->cpu, slot));

	if (want ? pte != model_map_pte(h->m, want) : pte != 0)
		oracle(h, "cpu %u slot %u: PTE %#llx, the model says %#llx",
		       h->m->cpu, slot, (unsigned long long)pte,
		       want ? (unsigned long long)model_map_pte(h->m, want) :
		       0ull);
}

#define NO_FRAME	0xFFFFFFFFu	/* a fault: no frame reached */

/*
 * Kernel mode: a @what through @vaddr, a mapping of pfn @want, reached
 * frame @reached (NO_FRAME: it faulted).  When the model says this CPU's
 * slot at @vaddr no longer maps @want alone (an out-of-order unmap cleared
 * its PTE, or left a stale TLB entry a later map did not replace) and
 * @reached is what that leaves (the stale frame, the PTE's frame, or a
 * fault on a clear PTE), it is the consequence of the misuse, which the
 * kernel would not have noticed: reported as the corruption it is, and
 * true.  Anything else is the core's mistake (false: the caller's ORACLE).
 */
static bool consequence(struct hm_harness *h, const char *what,
			uint32_t vaddr, uint32_t want, uint32_t reached)
{
	const struct model *m = h->m;
	const struct model_cpu *mc = &m->c[m->cpu];
	unsigned cpu = m->cpu, n;
	uint32_t pte, stale;
	char op[96], reach[32];

	if (m->cfg.report != HM_REPORT_KERNEL ||
	    !model_stack_pos(m, vaddr & ~0xFFFu, &n))
		return false;
	pte = model_slot_pte(m, m->cpu, n);
	stale = mc->stale_pfn[n];
	if (pte == want && !stale)
		return false;		/* the mapping is whole */
	/* A stale TLB entry gives what the TLB held when the slot's PTE was
	 * cleared unflushed, which a chain of such unmaps makes the model
	 * unsure of: any frame, once the model says the TLB may be stale. */
	if (!stale && reached != (pte ? pte : NO_FRAME))
		return false;
	h->corruptions++;
	if (reached == NO_FRAME)
		snprintf(reach, sizeof(reach), "a fault");
	else
		snprintf(reach, sizeof(reach), "pfn %#x", reached);
	if (h->corruption_mode == 1)
		oracle(h, "CORRUPTION (kernel mode): %s through %#x reaches %s; "
		       "frame expected %#x, frame reached %s (cpu %u slot %u: "
		       "PTE of pfn %#x, TLB may hold pfn %#x)%s", what, vaddr,
		       reach, want, reach, cpu, n, pte, stale,
		       h->ooo_seen ? ", after an out-of-order unmap" : "");
	if (h->corruption_mode == 0 && h->corruptions == 1) {
		hm_op_format(&h->seq->op[h->cur], op, sizeof(op));
		fprintf(stderr, "CORRUPTION (kernel mode): op %zu (%s) on cpu "
			"%u: %s through %#x: frame expected %#x, frame reached "
			"%s (slot %u: PTE of pfn %#x, TLB may hold pfn %#x)",
			h->cur + 1, op, cpu, what, vaddr, want, reach, n, pte,
			stale);
		if (h->ooo_seen)
			fprintf(stderr, "; the out-of-order unmap at op %zu "
				"left it so", h->ooo_op + 1);
		fprintf(stderr, "\n");
	}
	return true;
}

static uint32_t read_word(struct hm_harness *h, uint32_t vaddr)
{
	uint32_t v;

	if (hm_sim_read(h->ctx, vaddr, &v, sizeof(v)) != HM_OK)
		oracle(h, "reading %#x faulted", vaddr);
	return v;
}

/* @vaddr maps @pfn: through the TLB and the page tables, and the data.
 * False after a kernel-mode consequence (reported; nothing more to check
 * through it). */
static bool check_mapping(struct hm_harness *h, uint32_t vaddr, uint32_t pfn)
{
	hm_paddr_t pa = 0;
	bool hit = false;
	struct word *w;
	int rc = hm_sim_translate(h->ctx, vaddr, &pa, &hit);

	if (rc != HM_OK || pa >> 12 != pfn) {
		if (consequence(h, hit ? "a TLB hit" : "a page walk", vaddr,
				pfn, rc == HM_OK ? (uint32_t)(pa >> 12) :
				NO_FRAME))
			return false;
		oracle(h, "%#x translates to %#llx%s, not to pfn %#x", vaddr,
		       (unsigned long long)pa, hit ? " (from the TLB)" : "",
		       pfn);
	}
	/* a TLB hit says nothing of the page tables: walk them too (a miss
	 * just walked them) */
	if (hit && ((rc = hm_sim_walk(h->ctx, vaddr, &pa)) != HM_OK ||
		    pa >> 12 != pfn)) {
		if (consequence(h, "the page tables", vaddr, pfn,
				rc == HM_OK ? (uint32_t)(pa >> 12) : NO_FRAME))
			return false;
		oracle(h, "the page tables map %#x to %#llx, not to pfn %#x",
		       vaddr, (unsigned long long)pa, pfn);
	}
	w = word_of(h, pfn, false);
	if (w && read_word(h, vaddr + w->off) != w->val)
		oracle(h, "word %#x of pfn %#x reads %#x through %#x, %#x was "
		       "written", w->off, pfn, read_word(h, vaddr + w->off),
		       vaddr, w->val);
	return true;
}

/* ---- Ops -------------------------------------------------------------------- */

/* Each op's core call is op_meaning.h's hm_op_call(), with the arguments
 * resolved as op_meaning.h says (narrowed where harness.h says); what the
 * harness adds is the model's judgement before and its checks after. */

/*
 * Run one core call the model has judged: @why is NULL for a legal call.
 * Returns true when the call went ahead (no BUG expected); a BUG where none
 * was due, or none where one was, is a finding.
 */
static bool judged(struct hm_harness *h, const char *why, int bugs_before)
{
	int bugs = h->bugs - bugs_before;

	if (!why && bugs)
		oracle(h, "unexpected BUG: %s", h->bug_msg);
	if (why && bugs != 1)
		oracle(h, "%s BUG report(s) where the model expects one (%s)",
		       bugs ? "several" : "no", why);
	h->why[h->cur] = why;	/* static text, kept for the history */
	return !why;
}

/* In the legal targets, a call the model rejects is skipped. */
static bool skip(struct hm_harness *h, const char *why, struct hm_step *st)
{
	if (!why || h->mode == HM_HARNESS_MISUSE)
		return false;
	st->executed = false;
	h->why[h->cur] = why;
	return true;
}

static void expect_value(struct hm_harness *h, uint32_t got, uint32_t want)
{
	if (got != want)
		oracle(h, "returned %#x, the model says %#x", got, want);
}

static void after_pkmap_op(struct hm_harness *h, uint32_t pfn)
{
	uint32_t v = model_page_address(h->m, pfn);

	if (model_no_page(pfn)) {	/* no page to look at */
		check_flushes(h);
		return;
	}
	if (hm_last_pkmap_nr(h->ctx) != h->m->last_nr)
		oracle(h, "last_pkmap_nr is %u, the model says %u",
		       hm_last_pkmap_nr(h->ctx), h->m->last_nr);
	check_flushes(h);
	check_page(h, pfn);
	if (model_highmem(h->m, pfn) && v)
		check_entry(h, (v - h->m->pkmap_base) >> 12);
}

/* Kernel mode: a misuse the kernel lets through (model_quirk_*): skipped
 * by the legal targets, issued by the misuse target, which then expects
 * the WARN if the kernel gives one.  True when skipped. */
static bool quirk(struct hm_harness *h, const char *q, bool warns,
		  struct hm_step *st)
{
	if (!q)
		return false;
	if (skip(h, q, st))
		return true;
	if (warns)
		h->want_warn = q;
	return false;
}

static void op_kmap(struct hm_harness *h, uint32_t pfn, struct hm_step *st)
{
	const char *why = model_check_kmap(h->m, pfn), *q;
	int before = h->bugs;
	bool warns = false;
	uint32_t got;

	if (skip(h, why, st))
		return;
	/* Apart: an argument list would read @warns before the call sets
	 * it, in whatever order the compiler likes (gcc's UBSan saw it). */
	q = model_quirk_kmap(h->m, pfn, &warns);
	if (quirk(h, q, warns, st))
		return;
	got = hm_op_call(h->ctx, HM_OP_KMAP, hm_pfn_to_page(h->ctx, pfn), 0, 0);
	st->value = got;
	if (!judged(h, why, before)) {
		if (model_kmap_would_sleep(h->m, pfn) &&
		    (h->m->c[h->m->cpu].preempt_count == 0 ||
		     h->m->cfg.report == HM_REPORT_KERNEL))
			model_kmap_failed(h->m);
		else
			h->m->nr_freed = 0;
		expect_value(h, got, 0);
		check_flushes(h);
		return;
	}
	expect_value(h, got, model_kmap(h->m, pfn));
	live_add(h, pfn, got, HM_LIVE_KMAP, 0);
	after_pkmap_op(h, pfn);
	check_mapping(h, got, pfn);
}

static void op_kunmap(struct hm_harness *h, uint32_t raw, struct hm_step *st)
{
	uint32_t pfn = norm_pfn(h, raw);
	struct hm_live *l = hm_live_user(&h->lives, pfn);
	const char *why;
	int before = h->bugs;

	if (!l && h->mode != HM_HARNESS_MISUSE) {
		/* stand for a page that has a user */
		size_t users = 0;

		for (uint32_t i = 0; i < h->lives.n; i++)
			users += h->live[i].kind == HM_LIVE_KMAP;
		if (!users) {
			skip(h, "no page is kmapped", st);
			return;
		}
		for (size_t i = 0, k = raw % users; i < h->lives.n; i++)
			if (h->live[i].kind == HM_LIVE_KMAP && k-- == 0)
				l = &h->live[i];
		pfn = l->pfn;
	}
	why = model_check_kunmap(h->m, pfn);
	if (skip(h, why, st))
		return;
	hm_op_call(h->ctx, HM_OP_KUNMAP, hm_pfn_to_page(h->ctx, pfn), 0, 0);
	st->value = pfn;
	if (judged(h, why, before)) {
		model_kunmap(h->m, pfn);
		if (l)
			hm_live_del(&h->lives, l);
	}
	after_pkmap_op(h, pfn);
}

static void op_kmap_high_get(struct hm_harness *h, uint32_t pfn,
			     struct hm_step *st)
{
	const char *why = model_check_kmap_high_get(h->m, pfn);
	int before = h->bugs;
	uint32_t got;

	if (skip(h, why, st))
		return;
	got = hm_op_call(h->ctx, HM_OP_KMAP_HIGH_GET,
			 hm_pfn_to_page(h->ctx, pfn), 0, 0);
	st->value = got;
	if (!judged(h, why, before)) {
		expect_value(h, got, 0);
		return;
	}
	expect_value(h, got, model_kmap_high_get(h->m, pfn));
	if (got) {
		live_add(h, pfn, got, HM_LIVE_KMAP, 0);	/* undone by kunmap */
		check_mapping(h, got, pfn);
	}
	after_pkmap_op(h, pfn);
}

static void op_page_address(struct hm_harness *h, uint32_t pfn,
			    struct hm_step *st)
{
	const char *why = model_no_page(pfn) ?
			  "page_address of a page outside mem_map" : NULL;
	int before = h->bugs;

	st->value = hm_op_call(h->ctx, HM_OP_PAGE_ADDRESS,
			       hm_pfn_to_page(h->ctx, pfn), 0, 0);
	judged(h, why, before);
	expect_value(h, st->value, model_page_address(h->m, pfn));
}

static void op_flush_unused(struct hm_harness *h, struct hm_step *st)
{
	(void)st;
	hm_op_call(h->ctx, HM_OP_FLUSH_UNUSED, NULL, 0, 0);
	model_flush_unused(h->m);
	check_flushes(h);
}

/* After a temporary map or unmap: the CPU's counts and the slot's PTE. */
static void after_temp_op(struct hm_harness *h, uint32_t vaddr)
{
	unsigned n;

	check_cpu(h);
	if (model_stack_pos(h->m, vaddr & ~0xFFFu, &n))
		check_slot(h, n);
}

static void op_kmap_temp(struct hm_harness *h, enum hm_live_kind kind,
			 uint32_t pfn, unsigned type, struct hm_step *st)
{
	struct page *page = hm_pfn_to_page(h->ctx, pfn);
	const char *why;
	int before = h->bugs;
	uint32_t got, want = 0;

	why = kind == HM_LIVE_ATOMIC ? model_check_kmap_atomic(h->m, pfn) :
	      kind == HM_LIVE_LOCAL ? model_check_kmap_local(h->m, pfn) :
	      model_check_kmap_atomic_type(h->m, pfn, type);
	if (skip(h, why, st))
		return;
	/* kernel mode: a nest overflow the kernel lets through (4.7) */
	if (!why && kind != HM_LIVE_TYPED &&
	    quirk(h, model_quirk_kmap_temp(h->m, pfn), false, st))
		return;
	got = hm_op_call(h->ctx, h->seq->op[h->cur].code, page, 0, type);
	st->value = got;
	if (judged(h, why, before)) {
		want = kind == HM_LIVE_ATOMIC ? model_kmap_atomic(h->m, pfn) :
		       kind == HM_LIVE_LOCAL ? model_kmap_local(h->m, pfn) :
		       model_kmap_atomic_type(h->m, pfn, type);
		expect_value(h, got, want);
		live_add(h, pfn, got, kind, type);
		check_mapping(h, got, pfn);
	} else {
		expect_value(h, got, 0);
	}
	after_temp_op(h, got ? got : model_slot_addr(h->m, h->m->cpu,
					h->m->c[h->m->cpu].depth));
}

/* After an unmap that the model says clears this CPU's slot at @vaddr
 * (x86's kunmap_atomic and kunmap_local both do): a read through
 * it must fault.  The map filled this CPU's TLB (check_mapping), so this
 * fails when the unmap cleared the PTE but did not flush the TLB entry. */
static void expect_unmapped(struct hm_harness *h, uint32_t vaddr)
{
	uint32_t v, page = vaddr & ~0xFFFu;
	unsigned n;

	if (!model_stack_pos(h->m, page, &n) ||
	    model_slot_pte(h->m, h->m->cpu, n) ||
	    h->m->c[h->m->cpu].stale_pfn[n])
		return;
	if (hm_sim_read(h->ctx, page, &v, sizeof(v)) == HM_OK)
		oracle(h, "%#x still reads after its unmap cleared the slot: "
		       "the TLB entry was not flushed", page);
}

/* A place to unmap that is no temporary map of this CPU (misuse only). */
static uint32_t bogus_vaddr(const struct hm_harness *h, uint32_t n)
{
	switch (n % 4) {
	case 0:
		return h->m->pkmap_base;			/* PKMAP */
	case 1:
		return model_slot_addr(h->m, h->m->cpu,
				       (unsigned)h->m->c[h->m->cpu].depth %
				       h->m->l.nest);
	case 2:
		return 0x1000;					/* user */
	default:
		return model_slot_addr(h->m, (h->m->cpu + 1) % h->m->cfg.nr_cpus,
				       0);
	}
}

/* The slot km_type @type has on this CPU (slot 0 if the kernel has no
 * such type). */
static uint32_t typed_vaddr(const struct hm_harness *h, unsigned type)
{
	int slot = model_type_slot(h->m, type % MODEL_TYPES);

	return model_slot_addr(h->m, h->m->cpu, slot < 0 ? 0 : (unsigned)slot);
}

static void op_kunmap_temp(struct hm_harness *h, enum hm_live_kind kind,
			   uint32_t raw, struct hm_step *st)
{
	uint32_t arg = raw;
	bool misuse = h->mode == HM_HARNESS_MISUSE;
	struct hm_live *l;
	uint32_t vaddr;
	unsigned type = 0;
	const char *why;
	int before = h->bugs;
	bool ooo = false;
	unsigned old_top = 0;

	if (kind == HM_LIVE_TYPED) {
		type = misuse ? arg & 0x7f : arg;
		l = hm_live_typed(&h->lives, this_cpu(h), type);
	} else {
		l = hm_live_temp(&h->lives, this_cpu(h), misuse ? arg : 0,
				 misuse ? HM_LIVE_TEMPORARY :
				 HM_LIVE_KIND(kind));
	}
	if (!l && !misuse) {
		skip(h, "no such temporary map on this cpu", st);
		return;
	}
	vaddr = l ? l->vaddr : kind == HM_LIVE_TYPED && !(raw & 0x80) ?
		typed_vaddr(h, type) : bogus_vaddr(h, raw);

	why = kind == HM_LIVE_ATOMIC ? model_check_kunmap_atomic(h->m, vaddr) :
	      kind == HM_LIVE_LOCAL ? model_check_kunmap_local(h->m, vaddr) :
	      model_check_kunmap_atomic_type(h->m, vaddr, type);
	if (skip(h, why, st))
		return;
	if (!why) {
		bool warns = false;
		const char *q = model_quirk_kunmap(h->m, vaddr,
			kind == HM_LIVE_LOCAL ? SLOT_LOCAL :
			kind == HM_LIVE_TYPED ? SLOT_TYPED : SLOT_ATOMIC,
			&warns);

		if (quirk(h, q, warns, st))
			return;
		if (q && model_in_window(h->m, vaddr & ~0xFFFu)) {
			ooo = true;
			old_top = (unsigned)h->m->c[h->m->cpu].depth - 1;
		}
	}
	st->value = vaddr;
	hm_op_call(h->ctx, h->seq->op[h->cur].code, NULL, vaddr, type);
	if (judged(h, why, before)) {
		if (kind == HM_LIVE_ATOMIC)
			model_kunmap_atomic(h->m, vaddr);
		else if (kind == HM_LIVE_LOCAL)
			model_kunmap_local(h->m, vaddr);
		else
			model_kunmap_atomic_type(h->m, vaddr, type);
		/* a made-up address may still be the right one */
		if (!l)
			l = temp_at(h, vaddr);
		if (l)
			hm_live_del(&h->lives, l);
		expect_unmapped(h, vaddr);
		if (ooo) {	/* the slot the kernel cleared instead */
			h->ooo_seen = true;
			h->ooo_op = h->cur;
			check_slot(h, old_top);
		}
	}
	after_temp_op(h, vaddr);
}

/* write and read with nothing mapped: nothing to do, in every target */
static void no_mapping(struct hm_harness *h, struct hm_step *st)
{
	st->executed = false;
	h->why[h->cur] = "nothing mapped to go through";
}

static void op_write(struct hm_harness *h, uint32_t idx, uint32_t val,
		     struct hm_step *st)
{
	struct hm_live *l = hm_live_pick(&h->lives, this_cpu(h), idx);
	uint32_t off = hm_op_write_offset(val, this_cpu(h)), got;
	struct word *w;

	if (!l) {
		no_mapping(h, st);
		return;
	}
	st->value = l->vaddr;
	/* kernel mode: where the write goes is known before it is made (a
	 * value a fuzzer repeats could land unseen in another frame) */
	if (h->m->cfg.report == HM_REPORT_KERNEL) {
		hm_paddr_t pa = 0;
		bool hit;
		uint32_t reached = hm_sim_translate(h->ctx, l->vaddr, &pa,
						    &hit) == HM_OK ?
				   (uint32_t)(pa >> 12) : NO_FRAME;

		if (reached != l->pfn) {
			if (!consequence(h, "a write", l->vaddr, l->pfn,
					 reached))
				oracle(h, "writing through %#x (%s of pfn %#x) "
				       "reaches %#x", l->vaddr,
				       live_name[l->kind], l->pfn, reached);
			if (reached != NO_FRAME &&
			    hm_sim_write(h->ctx, l->vaddr + off, &val, 4) ==
			    HM_OK && (w = word_of(h, reached, true))) {
				w->off = off;
				w->val = val;
			}
			return;
		}
	}
	if (hm_sim_write(h->ctx, l->vaddr + off, &val, 4) != HM_OK) {
		if (consequence(h, "a write", l->vaddr, l->pfn, NO_FRAME))
			return;
		oracle(h, "writing through %#x (%s of pfn %#x) faulted",
		       l->vaddr, live_name[l->kind], l->pfn);
	}
	/* it landed in the page's frame ... */
	if (hm_sim_phys_read(h->ctx, ((hm_paddr_t)l->pfn << 12) + off, &got,
			     4) != HM_OK || got != val) {
		hm_paddr_t pa = 0;
		bool hit;

		/* kernel mode: in some other frame, which now holds it */
		if (hm_sim_translate(h->ctx, l->vaddr, &pa, &hit) == HM_OK &&
		    consequence(h, "a write", l->vaddr, l->pfn,
				(uint32_t)(pa >> 12))) {
			if ((w = word_of(h, (uint32_t)(pa >> 12), true))) {
				w->off = off;
				w->val = val;
			}
			return;
		}
		oracle(h, "wrote %#x through %#x but frame %#x holds %#x", val,
		       l->vaddr, l->pfn, got);
	}
	w = word_of(h, l->pfn, true);
	if (!w)
		return;		/* table full: the word is not remembered */
	w->off = off;
	w->val = val;
	/* ... and every other mapping of the page sees it */
	for (uint32_t i = 0; i < h->lives.n; i++)
		if (h->live[i].pfn == l->pfn &&
		    hm_live_usable(&h->live[i], this_cpu(h)))
			check_mapping(h, h->live[i].vaddr, l->pfn);
	if (!model_highmem(h->m, l->pfn))
		check_mapping(h, model_direct(l->pfn), l->pfn);
}

static void op_read(struct hm_harness *h, uint32_t idx, struct hm_step *st)
{
	struct hm_live *l = hm_live_pick(&h->lives, this_cpu(h), idx);

	if (!l) {
		no_mapping(h, st);
		return;
	}
	if (check_mapping(h, l->vaddr, l->pfn))
		st->value = read_word(h, l->vaddr + HM_OP_READ_OFFSET);
}

static void op_cpu(struct hm_harness *h, uint32_t raw, struct hm_step *st)
{
	unsigned cpu = h->mode == HM_HARNESS_MISUSE ? raw % 8 :
		       raw % h->m->cfg.nr_cpus;
	const char *why = model_check_cpu(h->m, cpu);
	int before = h->bugs;

	if (skip(h, why, st))
		return;
	hm_set_cpu(h->ctx, cpu);
	st->value = cpu;
	if (judged(h, why, before))
		model_cpu(h->m, cpu);
	check_cpu_id(h);
}

/*
 * switch_task: the task's temporary maps go with it.  The harness parks
 * this CPU's temporary maps (the outgoing task's) and brings the incoming
 * task's back, then holds the slots, both tasks' counts and every map the
 * switch touched to the model: the outgoing task's PTEs cleared and their
 * reads faulting, the incoming task's back and reaching their frames.
 */
static void op_switch_task(struct hm_harness *h, uint32_t raw,
			   struct hm_step *st)
{
	unsigned next = h->mode == HM_HARNESS_MISUSE ? raw % 20 :
			raw % MODEL_MAX_TASKS;
	const char *why = model_check_switch_task(h->m, next);
	unsigned cpu = this_cpu(h), prev = h->m->current_task[cpu];
	int before = h->bugs, out_depth = h->m->c[cpu].depth;
	uint32_t i;

	if (skip(h, why, st))
		return;
	hm_op_call(h->ctx, HM_OP_SWITCH_TASK, NULL, 0, next);
	st->value = next;
	if (!judged(h, why, before) || next == prev) {
		check_cpu(h);
		return;
	}
	model_switch_task(h->m, next);
	hm_live_switch_task(&h->lives, &h->parked, cpu, prev, next);
	if (hm_current_task(h->ctx, cpu) != next)
		oracle(h, "cpu %u runs task %u, the model says %u", cpu,
		       hm_current_task(h->ctx, cpu), next);
	check_cpu(h);
	for (int n = 0; n < out_depth || n < h->m->c[cpu].depth; n++) {
		check_slot(h, (unsigned)n);
		expect_unmapped(h, model_slot_addr(h->m, cpu, (unsigned)n));
	}
	/* the incoming maps the model says are whole (kernel mode: a map an
	 * out-of-order unmap cleared comes back cleared) */
	for (i = 0; i < h->lives.n; i++) {
		const struct hm_live *l = &h->live[i];
		unsigned c, n;

		if (l->kind == HM_LIVE_KMAP || l->cpu != cpu)
			continue;
		if (l->global || (model_slot_of(h->m, l->vaddr, &c, &n) &&
				  c == cpu && h->m->c[cpu].slot_pte_pfn[n] ==
				  l->pfn && !h->m->c[cpu].stale_pfn[n]))
			check_mapping(h, l->vaddr, l->pfn);
	}
}

static void op_reset(struct hm_harness *h)
{
	hm_reset(h->ctx);
	model_reset(h->m);
	h->m->flushes = 0;	/* hm_reset clears the statistics too */
	h->m->range_flushes = 0;
	h->lives.n = 0;
	h->parked.n = 0;
	check_cpu_id(h);
}

/* The page_address target's extra check, where a broken hash list would
 * show: the page the op touched, the pages the op's flush freed (each
 * unlinked from its bucket), and every page the model has mapped in the
 * touched page's bucket (the ones a broken unlink or insert would lose
 * or shadow).  A pool page the model has not mapped is absent from every
 * list, so its lookup proves nothing the touched page's does not. */
static void check_pool(struct hm_harness *h, uint32_t pfn)
{
	const struct model *m = h->m;
	unsigned bucket = pa_bucket(pfn);

	check_page(h, pfn);
	for (unsigned i = 0; i < m->nr_freed; i++)
		check_page(h, m->pfn[m->freed[i]]);
	for (unsigned nr = 0; nr < m->used; nr++)
		if (m->count[nr] && m->pfn[nr] != pfn &&
		    pa_bucket(m->pfn[nr]) == bucket)
			check_page(h, m->pfn[nr]);
}

static bool op_allowed(const struct hm_harness *h, unsigned code)
{
	if (h->mode != HM_HARNESS_PAGE_ADDRESS)
		return true;
	return code == HM_OP_KMAP || code == HM_OP_KUNMAP ||
	       code == HM_OP_PAGE_ADDRESS || code == HM_OP_FLUSH_UNUSED ||
	       code == HM_OP_KMAP_HIGH_GET || code == HM_OP_RESET;
}

/* The op's own checks: each op_* makes the core call and holds its
 * result to the model. */
static void dispatch(struct hm_harness *h, const struct hm_op *op,
		     uint32_t pfn, struct hm_step *st)
{
	switch (op->code) {
	case HM_OP_KMAP:
		op_kmap(h, pfn, st);
		break;
	case HM_OP_KUNMAP:
		op_kunmap(h, op->a, st);
		break;
	case HM_OP_KMAP_ATOMIC:
		op_kmap_temp(h, HM_LIVE_ATOMIC, pfn, 0, st);
		break;
	case HM_OP_KUNMAP_ATOMIC:
		op_kunmap_temp(h, HM_LIVE_ATOMIC, op->a, st);
		break;
	case HM_OP_KMAP_ATOMIC_TYPE:
		op_kmap_temp(h, HM_LIVE_TYPED, pfn,
			     h->mode == HM_HARNESS_MISUSE ? op->b :
			     op->b % MODEL_TYPES, st);
		break;
	case HM_OP_KUNMAP_ATOMIC_TYPE:
		op_kunmap_temp(h, HM_LIVE_TYPED, h->mode == HM_HARNESS_MISUSE ?
			       op->a : op->a % MODEL_TYPES, st);
		break;
	case HM_OP_KMAP_LOCAL:
		op_kmap_temp(h, HM_LIVE_LOCAL, pfn, 0, st);
		break;
	case HM_OP_KUNMAP_LOCAL:
		op_kunmap_temp(h, HM_LIVE_LOCAL, op->a, st);
		break;
	case HM_OP_PAGE_ADDRESS:
		op_page_address(h, pfn, st);
		break;
	case HM_OP_WRITE:
		op_write(h, op->a, op->b, st);
		break;
	case HM_OP_READ:
		op_read(h, op->a, st);
		break;
	case HM_OP_CPU:
		op_cpu(h, op->a, st);
		break;
	case HM_OP_FLUSH_UNUSED:
		op_flush_unused(h, st);
		break;
	case HM_OP_KMAP_HIGH_GET:
		op_kmap_high_get(h, pfn, st);
		break;
	case HM_OP_RESET:
		op_reset(h);
		break;
	case HM_OP_SWITCH_TASK:
		op_switch_task(h, op->a, st);
		break;
	}
}

/* A WARN exactly where the model expects one, as for BUGs. */
static void check_warn(struct hm_harness *h)
{
	if (h->warns != (h->want_warn != NULL)) {
		if (h->want_warn)
			oracle(h, "%d WARN(s) where the model expects one (%s)",
			       h->warns, h->want_warn);
		oracle(h, "unexpected WARN: %s", h->warn_msg);
	}
}

static void step(struct hm_harness *h, const struct hm_op *op,
		 struct hm_step *st)
{
	uint32_t pfn = norm_pfn(h, op->a);

	st->executed = true;
	st->bug = false;
	st->value = 0;
	h->why[h->cur] = NULL;
	if (!op_allowed(h, op->code)) {
		st->executed = false;
		h->why[h->cur] = "not an op of this target";
		return;
	}
	h->bugs = 0;
	h->warns = 0;
	h->want_warn = NULL;
	h->warned[h->cur] = NULL;
	dispatch(h, op, pfn, st);
	check_warn(h);
	h->warned[h->cur] = h->want_warn;
	if (st->executed && h->bugs)
		st->bug = true;
	if (h->mode == HM_HARNESS_PAGE_ADDRESS)
		check_pool(h, pfn);
}

void hm_harness_run(struct hm_harness *h, const struct hm_seq *seq,
		    struct hm_step *steps)
{
	h->seq = seq;
	h->cur = 0;
	h->ctx = machine(h, &seq->config);
	h->first_free = (uint32_t)hm_first_free_pfn(h->ctx);
	h->max_low = (uint32_t)hm_max_low_pfn(h->ctx);
	h->max_pfn = (uint32_t)hm_max_pfn(h->ctx);
	/* The machine is as hm_reset() left it, on cpu 0: see the end. */
	model_restart(h->m, &seq->config);
	if (hm_config(h->ctx)->nr_cpus != h->m->cfg.nr_cpus ||
	    hm_layout(h->ctx)->last_pkmap != h->m->last_pkmap ||
	    hm_layout(h->ctx)->pkmap_base != h->m->pkmap_base)
		oracle(h, "the machine has %u cpus and %u PKMAP entries at "
		       "%#x; the model says %u at %#x", hm_config(h->ctx)->nr_cpus,
		       hm_layout(h->ctx)->last_pkmap, hm_layout(h->ctx)->pkmap_base,
		       h->m->last_pkmap, h->m->pkmap_base);
	h->lives.n = 0;
	h->parked.n = 0;
	h->corruptions = 0;
	h->ooo_seen = false;
	forget_words(h);

	for (h->cur = 0; h->cur < seq->n; h->cur++) {
		struct hm_step *st = &h->hist[h->cur];

		step(h, &seq->op[h->cur], st);
		if (st->executed)
			h->executed++;
		else
			h->skipped++;
		if (steps)
			steps[h->cur] = *st;
	}
	/* Reset here, not at the start of the next input: the reset's work
	 * (which PTEs it clears, which TLBs it flushes) then depends on this
	 * input alone, and AFL++ sees the same edges each time it runs it. */
	hm_reset(h->ctx);
	hm_set_cpu(h->ctx, 0);	/* every CPU is idle after the reset */
}
