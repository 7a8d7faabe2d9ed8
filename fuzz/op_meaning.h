/* SPDX-License-Identifier: MIT */
/*
 * op_meaning.h - what a sequence means at run time: the machine its
 * configuration makes (hm_seq_config_apply), what an op's arguments name,
 * where a write lands, and the core call each op makes (hm_op_call).
 * Written once, here, for every runner of op sequences (the fuzz harness,
 * kmap_smp, and kvm_runner's interpreter ops_exec.c, which runs in the
 * guest and on the host over the simulator).  fuzz/model.c is the
 * deliberate exception: it is the oracle, written apart on purpose (it
 * judges core calls; it does not resolve arguments).
 *
 *  - PFN: a frame of the machine; a value outside [first free frame, end of
 *    memory) picks from a pool of HM_OP_POOL_LOW lowmem frames from the
 *    first free one and HM_OP_POOL_HIGH highmem frames from the first
 *    highmem one (hm_op_pfn), so a corpus seed names the same frames in
 *    every runner.
 *  - The live mappings: every successful kmap and kmap_high_get (a "user",
 *    undone by kunmap), and every temporary map (kmap_atomic,
 *    kmap_atomic_type, kmap_local_page), in the order they were made.
 *    A CPU may use the kmap users, the temporary maps of lowmem (the direct
 *    map) and its own temporary maps of highmem (hm_live_usable).
 *  - MAP (write, read): the MAP-th of the mappings this CPU may use, oldest
 *    first, modulo their number (hm_live_pick); none: nothing happens.
 *  - A write stores VALUE at byte hm_op_write_offset(VALUE, cpu) of the
 *    page: word ((VALUE & 0xff) * 4 + cpu % 4), so two CPUs never share
 *    a word (kmap_smp checks each CPU's words while the others write).
 *  - A read loads the word at HM_OP_READ_OFFSET of the page.
 *  - SLOT (kunmap_atomic, kunmap_local): this CPU's SLOT-th newest
 *    temporary map of the kinds the runner asks for (hm_live_temp; the
 *    legal runners take the newest of the op's own kind, the misuse target
 *    any, kvm_runner kmap_atomic's and kmap_local_page's).
 *  - TYPE (kunmap_atomic_type): this CPU's newest kmap_atomic_type map of
 *    that km_type (hm_live_typed).
 *  - kunmap PFN: the newest user of that frame (hm_live_user); the legal
 *    targets may stand another page in for one that has none (harness.h).
 *  - TASK (switch_task): the task to schedule in on this CPU
 *    (hm_switch_task; task t starts as cpu t's current task).  A switch
 *    the core made parks this CPU's temporary maps with the outgoing task
 *    and brings the incoming task's back (hm_live_switch_task), so MAP and
 *    SLOT name the running task's maps.
 *
 * Freestanding (the i386 guest includes it): inline functions only.
 */
#ifndef HM_FUZZ_OP_MEANING_H
#define HM_FUZZ_OP_MEANING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/highmem.h"
#include "fuzz/op_table.h"

/* ---- The machine ---------------------------------------------------------- */

/* The PKMAP window of a "small window" configuration, instead of
 * LAST_PKMAP: the wrap, its flush and a full window within a few ops, which
 * keeps fuzz inputs short and fast. */
#define HM_SEQ_SMALL_WINDOW	16u

/* A sequence's machine (ops.h: the config byte and the config line). */
struct hm_seq_config {
	unsigned nr_cpus;	/* 1..4 */
	bool pae;
	bool debug_highmem;
	bool small_window;	/* HM_SEQ_SMALL_WINDOW PKMAP entries */
	/* The kernel profile; linux-4.7 is HM_KERNEL_DEFAULT, so each
	 * kernel has one value. */
	enum hm_kernel kernel;
	/* What a misuse does (struct hm_config's report): strict, the
	 * default, or what the kernel does. */
	enum hm_report report;
};

/* The core's configuration for @c, over what @cfg already holds (from
 * hm_config_default(), or a backend's own): the one place a sequence's
 * configuration becomes the core's. */
static inline void hm_seq_config_apply(const struct hm_seq_config *c,
				       struct hm_config *cfg)
{
	cfg->nr_cpus = c->nr_cpus;
	cfg->pae = c->pae;
	cfg->debug_highmem = c->debug_highmem;
	cfg->last_pkmap = c->small_window ? HM_SEQ_SMALL_WINDOW : 0;
	cfg->kernel = c->kernel;
	cfg->report = c->report;
}

/* ---- PFN ------------------------------------------------------------------ */

#define HM_OP_POOL_LOW		256u
#define HM_OP_POOL_HIGH		3840u
#define HM_OP_POOL_SIZE		(HM_OP_POOL_LOW + HM_OP_POOL_HIGH)

/* The frame a PFN argument @raw names, on a machine whose free frames
 * start at @first_free, whose highmem starts at @max_low and ends at
 * @max_pfn. */
static inline uint32_t hm_op_pfn(uint32_t raw, uint32_t first_free,
				 uint32_t max_low, uint32_t max_pfn)
{
	uint32_t i;

	if (raw >= first_free && raw < max_pfn)
		return raw;
	i = raw % HM_OP_POOL_SIZE;
	return i < HM_OP_POOL_LOW ? first_free + i
				  : max_low + (i - HM_OP_POOL_LOW);
}

/* ---- Where data goes ---------------------------------------------------- */

static inline uint32_t hm_op_write_offset(uint32_t value, unsigned cpu)
{
	return (((value & 0xffu) << 2) | (cpu & 3u)) << 2;
}

#define HM_OP_READ_OFFSET	0u

/* ---- The live mappings -------------------------------------------------- */

enum hm_live_kind {
	HM_LIVE_KMAP,		/* kmap, kmap_high_get: a user of the page */
	HM_LIVE_ATOMIC,		/* kmap_atomic */
	HM_LIVE_TYPED,		/* kmap_atomic_type */
	HM_LIVE_LOCAL,		/* kmap_local_page */
};

/* hm_live_temp()'s @kinds */
#define HM_LIVE_KIND(k)		(1u << (k))
#define HM_LIVE_TEMPORARY	(HM_LIVE_KIND(HM_LIVE_ATOMIC) |		\
				 HM_LIVE_KIND(HM_LIVE_TYPED) |		\
				 HM_LIVE_KIND(HM_LIVE_LOCAL))

struct hm_live {
	uint32_t pfn;
	hm_vaddr_t vaddr;
	uint8_t kind;		/* enum hm_live_kind */
	uint8_t cpu;		/* that made it */
	uint8_t type;		/* km_type, HM_LIVE_TYPED */
	uint8_t global;		/* every CPU may use it */
};

struct hm_lives {
	struct hm_live *v;	/* oldest first */
	uint32_t n, max;
};

static inline bool hm_live_usable(const struct hm_live *l, unsigned cpu)
{
	return l->global || l->cpu == cpu;
}

/* Remember a new mapping; NULL when @ls is full (it is then not used). */
static inline struct hm_live *hm_live_add(struct hm_lives *ls, uint32_t pfn,
					  hm_vaddr_t vaddr,
					  enum hm_live_kind kind, unsigned cpu,
					  unsigned type, bool highmem)
{
	struct hm_live *l;

	if (ls->n == ls->max)
		return (struct hm_live *)0;
	l = &ls->v[ls->n++];
	l->pfn = pfn;
	l->vaddr = vaddr;
	l->kind = (uint8_t)kind;
	l->cpu = (uint8_t)cpu;
	l->type = (uint8_t)type;
	l->global = kind == HM_LIVE_KMAP || !highmem;
	return l;
}

static inline void hm_live_del(struct hm_lives *ls, struct hm_live *l)
{
	/* (the guest has its own memmove) */
	__builtin_memmove(l, l + 1, (size_t)(ls->v + --ls->n - l) * sizeof(*l));
}

/* MAP */
static inline struct hm_live *hm_live_pick(struct hm_lives *ls, unsigned cpu,
					   uint32_t idx)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < ls->n; i++)
		n += hm_live_usable(&ls->v[i], cpu);
	if (!n)
		return (struct hm_live *)0;
	idx %= n;
	for (uint32_t i = 0; i < ls->n; i++)
		if (hm_live_usable(&ls->v[i], cpu) && idx-- == 0)
			return &ls->v[i];
	return (struct hm_live *)0;
}

/* SLOT: this CPU's temporary map @back from the newest, of @kinds. */
static inline struct hm_live *hm_live_temp(struct hm_lives *ls, unsigned cpu,
					   uint32_t back, unsigned kinds)
{
	for (uint32_t i = ls->n; i-- > 0;) {
		struct hm_live *l = &ls->v[i];

		if (l->kind == HM_LIVE_KMAP || l->cpu != cpu ||
		    !(kinds & HM_LIVE_KIND(l->kind)))
			continue;
		if (back-- == 0)
			return l;
	}
	return (struct hm_live *)0;
}

/* TYPE: this CPU's newest kmap_atomic_type map of @type. */
static inline struct hm_live *hm_live_typed(struct hm_lives *ls, unsigned cpu,
					    unsigned type)
{
	for (uint32_t i = ls->n; i-- > 0;)
		if (ls->v[i].kind == HM_LIVE_TYPED && ls->v[i].cpu == cpu &&
		    ls->v[i].type == type)
			return &ls->v[i];
	return (struct hm_live *)0;
}

/* kunmap PFN: the newest user of @pfn. */
static inline struct hm_live *hm_live_user(struct hm_lives *ls, uint32_t pfn)
{
	for (uint32_t i = ls->n; i-- > 0;)
		if (ls->v[i].kind == HM_LIVE_KMAP && ls->v[i].pfn == pfn)
			return &ls->v[i];
	return (struct hm_live *)0;
}

/* ---- switch_task: a task's temporary maps go with it --------------------- */

/* The temporary maps of the tasks switched out, each with its task. */
struct hm_parked {
	struct hm_live *v;
	uint8_t *task;
	uint32_t n, max;
};

/*
 * After the core switched @cpu from task @prev to task @next (no BUG,
 * @next != @prev): this CPU's temporary maps were the outgoing task's and
 * are parked with it (their PTEs saved and cleared), and the incoming
 * task's come back (their PTEs set again).  A lowmem one holds no slot and
 * is @cpu's now, wherever the task ran before.  A map that finds no room
 * (either set full) is forgotten, the same way in every runner.
 */
static inline void hm_live_switch_task(struct hm_lives *ls, struct hm_parked *p,
				       unsigned cpu, unsigned prev,
				       unsigned next)
{
	uint32_t i, k;

	for (i = k = 0; i < ls->n; i++) {
		struct hm_live *l = &ls->v[i];

		if (l->kind != HM_LIVE_KMAP && l->cpu == cpu) {
			if (p->n < p->max) {
				p->task[p->n] = (uint8_t)prev;
				p->v[p->n++] = *l;
			}
		} else {
			ls->v[k++] = *l;
		}
	}
	ls->n = k;
	for (i = k = 0; i < p->n; i++) {
		if (p->task[i] == next) {
			if (ls->n < ls->max) {
				struct hm_live *l = &ls->v[ls->n++];

				*l = p->v[i];
				if (l->global)
					l->cpu = (uint8_t)cpu;
			}
		} else {
			p->task[k] = p->task[i];
			p->v[k++] = p->v[i];
		}
	}
	p->n = k;
}

/* ---- What an op does to the core --------------------------------------- */

/* The mapping a map op makes (kmap, kmap_high_get, the temporary maps),
 * or -1 for the others. */
static inline int hm_op_live_kind(uint32_t code)
{
	switch (code) {
	case HM_OP_KMAP:
	case HM_OP_KMAP_HIGH_GET:
		return HM_LIVE_KMAP;
	case HM_OP_KMAP_ATOMIC:
		return HM_LIVE_ATOMIC;
	case HM_OP_KMAP_ATOMIC_TYPE:
		return HM_LIVE_TYPED;
	case HM_OP_KMAP_LOCAL:
		return HM_LIVE_LOCAL;
	}
	return -1;
}

/*
 * The core call of op @code, its arguments resolved as above: @page for
 * the ops that take a PFN; @vaddr for the temporary unmaps (the mapping
 * SLOT or TYPE names; 0 when there is none, which the core reports); @type
 * for the typed ones, and the TASK of switch_task.  Returns what the call returns, 0 for the calls that
 * return nothing.  The ops that are not core calls (write, read, cpu,
 * reset, the guest-only ones) are the runner's: they touch memory and CPUs
 * the runner's own way, at the places this header gives.
 */
static inline hm_vaddr_t hm_op_call(struct hm_ctx *ctx, uint32_t code,
				    struct page *page, hm_vaddr_t vaddr,
				    unsigned type)
{
	switch (code) {
	case HM_OP_KMAP:
		return hm_kmap(ctx, page);
	case HM_OP_KUNMAP:
		hm_kunmap(ctx, page);
		break;
	case HM_OP_KMAP_ATOMIC:
		return hm_kmap_atomic(ctx, page);
	case HM_OP_KUNMAP_ATOMIC:
		hm_kunmap_atomic(ctx, vaddr);
		break;
	case HM_OP_KMAP_ATOMIC_TYPE:
		return hm_kmap_atomic_type(ctx, page, (enum km_type)type);
	case HM_OP_KUNMAP_ATOMIC_TYPE:
		hm_kunmap_atomic_type(ctx, vaddr, (enum km_type)type);
		break;
	case HM_OP_KMAP_LOCAL:
		return hm_kmap_local_page(ctx, page);
	case HM_OP_KUNMAP_LOCAL:
		hm_kunmap_local(ctx, vaddr);
		break;
	case HM_OP_PAGE_ADDRESS:
		return hm_page_address(ctx, page);
	case HM_OP_FLUSH_UNUSED:
		hm_kmap_flush_unused(ctx);
		break;
	case HM_OP_KMAP_HIGH_GET:
		return hm_kmap_high_get(ctx, page);
	case HM_OP_SWITCH_TASK:
		hm_switch_task(ctx, type);
		break;
	}
	return 0;
}

#endif /* HM_FUZZ_OP_MEANING_H */
