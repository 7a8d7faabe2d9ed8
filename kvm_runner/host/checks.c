/* SPDX-License-Identifier: MIT */
/*
 * checks.c - a guest run that ended as the simulator predicted, compared
 * with it: every op's result and BUG count, the first BUG message, the
 * core's counters, last_pkmap_nr and the current CPU; every PKMAP and
 * temporary-map PTE, read from the guest's tables; memory, in our own
 * view of guest physical memory (every tagged write is in the frame the
 * op meant, and no other word of any data frame the guest touched is
 * non-zero); and what the guest's stale-read check caught.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/compiler.h"
#include "kvm_runner/host/verify_parts.h"

static void check_ops(struct hm_machine *m, const struct job *job,
		      const struct sim_run *s, struct checker *c)
{
	const struct hm_mailbox *mb = machine__mailbox(m);
	char t[96];

	for (uint32_t i = 0; i < job->n; i++) {
		const struct hm_kop_result *g = &mb->results[i], *r = &s->res[i];
		/* after a stale access, a read may return what a word may
		 * hold in either frame (s_read32) */
		bool alt = s->read_ok[i].n && may_hold__has(&s->read_ok[i],
							    g->value);

		if ((g->value != r->value && !alt) || g->bugs != r->bugs ||
		    g->warns != r->warns) {
			checker__fail(c, "op #%u %s: guest returned %#x with %u "
				      "BUG reports and %u WARNs, simulator %#x "
				      "with %u and %u", i,
				      kop__text(&job->ops[i], t, sizeof(t)),
				      g->value, g->bugs, g->warns, r->value,
				      r->bugs, r->warns);
			break;	/* later ops follow from this one */
		}
	}
	if (mb->bug_count != s->bug_count || !bug__same(mb->bug_msg, s->bug_msg))
		checker__fail(c, "BUG and WARN reports: guest %u, first \"%.*s\"; "
			      "simulator %u, first \"%s\"", mb->bug_count,
			      HM_MB_MSG_LEN, mb->bug_msg, s->bug_count,
			      s->bug_msg);
}

static void check_state(struct hm_machine *m, const struct sim_run *s,
			struct checker *c)
{
	const struct hm_mailbox *mb = machine__mailbox(m);

	/* Every counter, a new one too, but the two only the simulator
	 * keeps: its TLB model's entries and its lock contention. */
	for (unsigned i = 0; i < HM_STATS_NR; i++) {
		if (i == HM_STAT_tlb_entries_flushed ||
		    i == HM_STAT_lock_contended)
			continue;
		if (mb->stats[i] != hm_stat(&s->stats, i))
			checker__fail(c, "counter %s: guest %llu, simulator %llu",
				      hm_stat_name(i),
				      (unsigned long long)mb->stats[i],
				      (unsigned long long)hm_stat(&s->stats, i));
	}
	if (mb->last_pkmap_nr != s->last_pkmap_nr)
		checker__fail(c, "last_pkmap_nr: guest %u, simulator %u",
			      mb->last_pkmap_nr, s->last_pkmap_nr);
	if (mb->cpu != s->cpu)
		checker__fail(c, "current cpu: guest %u, simulator %u", mb->cpu,
			      s->cpu);
}

static void check_tables(struct hm_machine *m, const struct job *job,
			 const struct sim_run *s, struct checker *c)
{
	for (unsigned nr = 0; nr < LAST_PKMAP_PAE; nr++) {
		uint64_t g = guest__pkmap_pte(m, nr);

		if (g != s->pkmap_pte[nr]) {
			checker__fail(c, "PTE of pkmap entry %u: guest table "
				      "%#llx, simulator %#llx", nr,
				      (unsigned long long)g,
				      (unsigned long long)s->pkmap_pte[nr]);
			break;
		}
	}
	for (unsigned i = 0; i < job->nr_cpus * s->layout.km_max_nest; i++) {
		unsigned cpu = i / s->layout.km_max_nest;
		unsigned t = i % s->layout.km_max_nest;
		uint64_t g = guest__fixmap_pte(m, &s->layout,
					       kmap_fix_idx(&s->layout, cpu, t));

		if (g != s->fix_pte[cpu][t]) {
			checker__fail(c, "PTE of cpu %u temporary slot %u: guest "
				      "table %#llx, simulator %#llx", cpu, t,
				      (unsigned long long)g,
				      (unsigned long long)s->fix_pte[cpu][t]);
			break;
		}
	}
}

void checks__results(struct hm_machine *m, const struct job *job,
		     struct sim_run *s, struct checker *c)
{
	check_ops(m, job, s, c);
	check_state(m, s, c);
	check_tables(m, job, s, c);
}

static uint64_t resident[HM_GUEST_MEM_BYTES >> 12];

/* The frame other than @not that holds @val at @off, or 0. */
static uint32_t frame_holding(struct hm_machine *m, uint32_t off, uint32_t val,
			      uint32_t not)
{
	size_t n = guest__resident(m, HM_GUEST_FIRST_FREE_PFN, resident,
				   sizeof(resident) / sizeof(resident[0]));

	for (size_t i = 0; n != (size_t)-1 && i < n; i++)
		if (resident[i] != not &&
		    machine__read32(m, (resident[i] << 12) + off) == val)
			return (uint32_t)resident[i];
	return 0;
}

/* "frame 0x38000 (mapped there by op #3 kmap 0x38000 0)": the frame the
 * guest found holding what was seen, among those mapped at that page
 * before, when it saw the stale access (guest/stale.c); else a frame that
 * holds it now, or "no frame holds it". */
static void frame_reached(struct hm_machine *m, const struct job *job,
			  char *buf, size_t n)
{
	const struct hm_mailbox *mb = machine__mailbox(m);
	uint32_t off = mb->stale_vaddr & 0xffc, by = mb->stale_reached_by, pfn;
	char t[96];

	if (mb->stale_reached && by < job->n) {
		snprintf(buf, n, "frame %#x (mapped there by op #%u %s)",
			 mb->stale_reached, by,
			 kop__text(&job->ops[by], t, sizeof(t)));
		return;
	}
	pfn = mb->stale_seen ? frame_holding(m, off, mb->stale_seen,
					     mb->stale_pfn) : 0;
	if (pfn)
		snprintf(buf, n, "frame %#x", pfn);
	else
		snprintf(buf, n, "no frame we can name");
}

/*
 * The guest checks each access of a sequence against a fresh mapping of
 * the frame the PTE names (guest/stale.c): a read that returned something
 * else, or a write that is not in that frame, went through a stale
 * translation.  Which frame it really reached: the guest says (the one
 * mapped at that address before that held what was read or written).  Where the
 * simulator went through a stale TLB entry too (kernel mode: the kernel's
 * own out-of-order unmap leaves one), that is the prediction, not a fault
 * of the guest: as long as the guest's first stale access is one of the
 * simulator's and it made no more of them.  Returns those accepted.
 */
uint32_t checks__stale(struct hm_machine *m, const struct job *job,
		       const struct sim_run *s, struct checker *c)
{
	const struct hm_mailbox *mb = machine__mailbox(m);
	char t[96] = "?", f[160];

	if (!mb->stale_count)
		return 0;
	if (mb->stale_count <= s->nstale &&
	    reference__stale_at(s, mb->stale_op, mb->stale_vaddr))
		return mb->stale_count;
	if (mb->stale_op < job->n)
		kop__text(&job->ops[mb->stale_op], t, sizeof(t));
	frame_reached(m, job, f, sizeof(f));
	checker__fail(c, "stale translation at op #%u %s: %s %#x %s %#x, "
		      "whose PTE maps frame %#x (which holds %#x there); the "
		      "%s reached %s: the TLB kept the old entry (%u stale "
		      "accesses in the sequence)", mb->stale_op, t,
		      mb->stale_write ? "wrote" : "read", mb->stale_seen,
		      mb->stale_write ? "through" : "from", mb->stale_vaddr,
		      mb->stale_pfn, mb->stale_truth,
		      mb->stale_write ? "write" : "read", f, mb->stale_count);
	return 0;
}

static int cmp_write(const void *pa, const void *pb)
{
	const struct logged_write *a = pa, *b = pb;

	if (a->pfn != b->pfn)
		return a->pfn < b->pfn ? -1 : 1;
	if (a->off != b->off)
		return a->off < b->off ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static const struct logged_write *find_write(const struct sim_run *s,
					     size_t n, uint32_t pfn,
					     uint32_t off)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct logged_write *w = &s->log[mid];

		if (w->pfn == pfn && w->off == off)
			return w;
		if (w->pfn < pfn || (w->pfn == pfn && w->off < off))
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Every word the simulator's writes reached holds what they leave there,
 * in both runs; the log sorted by word, in order within each. */
static void check_writes(struct hm_machine *m, struct sim_run *s,
			 struct checker *c)
{
	if (!s->nlog)
		return;	/* and no log to sort: qsort wants one */
	qsort(s->log, s->nlog, sizeof(*s->log), cmp_write);
	for (size_t i = 0, j; i < s->nlog; i = j) {
		const struct logged_write *w = &s->log[i];
		uint64_t pa = ((uint64_t)w->pfn << 12) + w->off;
		uint32_t got = machine__read32(m, pa), simv = 0;
		struct may_hold ok;

		for (j = i + 1; j < s->nlog && s->log[j].pfn == w->pfn &&
				s->log[j].off == w->off; j++)
			;
		logged__may_hold(w, j - i, w->pfn, w->off, &ok);
		if (!may_hold__has(&ok, got))
			checker__fail(c, "frame %#x offset %#x should hold %#x%s "
				      "(a write through a mapping of that "
				      "frame), guest memory holds %#x", w->pfn,
				      w->off, ok.v[ok.n - 1], ok.n > 1 ?
				      " or what a stale access may leave" : "",
				      got);
		hm_sim_phys_read(s->ctx, pa, &simv, 4);
		if (!may_hold__has(&ok, simv))
			checker__fail(c, "simulator: frame %#x offset %#x holds "
				      "%#x, expected %#x", w->pfn, w->off, simv,
				      ok.v[ok.n - 1]);
	}
}

/* The host's own scan, not the code under test: left out of a fuzz
 * build's coverage (its compare of each word was half of the scan's
 * cost), as fuzz/ops.c leaves its decoder out; not inlined, where the
 * caller's coverage would come back. */
#define checks_no_coverage	__no_sanitize_coverage __attribute__((noinline))

/* The first non-zero word of @words[@from ..], or 1024. */
static checks_no_coverage uint32_t next_nonzero(const uint32_t *words,
						uint32_t from)
{
	while (from < 1024 && !words[from])
		from++;
	return from;
}

/*
 * Resident frames close together are given back in one call, holes
 * between them included (a hole is zeros already): each call costs a TLB
 * shootdown in QEMU and here (~10 µs), each page of the range a look at
 * its PTE (a 2 MiB gap costs about as much as a call).
 */
#define DISCARD_GAP	512

static void discard_all(struct hm_machine *m, const uint64_t *pfns, size_t n)
{
	size_t first = 0;

	for (size_t i = 0; i < n; i++)
		if (i + 1 == n || pfns[i + 1] - pfns[i] > DISCARD_GAP) {
			guest__discard(m, pfns[first], pfns[i] + 1 - pfns[first]);
			first = i + 1;
		}
}

/*
 * Every frame the guest touched from the first free one up (resident: the
 * guest wrote it, or read it and QEMU or KVM gave it a page) holds only
 * what the simulator's writes left; then all of them back to zeros.
 */
int checks__memory(struct hm_machine *m, struct sim_run *s, struct checker *c)
{
	size_t n = s->nlog, nres;
	unsigned stray = 0;

	check_writes(m, s, c);
	nres = guest__resident(m, HM_GUEST_FIRST_FREE_PFN, resident,
			       sizeof(resident) / sizeof(resident[0]));
	if (nres == (size_t)-1) {
		fprintf(stderr, "kvm_runner: mincore: %s\n", strerror(errno));
		return HM_EXIT_INTERNAL;
	}
	for (size_t i = 0; i < nres; i++) {
		const uint32_t *words = (const uint32_t *)(m->mem +
							   (resident[i] << 12));

		for (uint32_t w = next_nonzero(words, 0); w < 1024;
		     w = next_nonzero(words, w + 1))
			if (!find_write(s, n, (uint32_t)resident[i], w * 4) &&
			    stray++ < 4)
				checker__fail(c, "stray data in frame %#llx "
					      "offset %#x: %#x, which no op "
					      "wrote there",
					      (unsigned long long)resident[i],
					      w * 4, words[w]);
	}
	discard_all(m, resident, nres);
	return 0;
}
