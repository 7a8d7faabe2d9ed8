/* SPDX-License-Identifier: MIT */
/*
 * tasks.c - 6.x's per-task kmap_local: the switch of the task a CPU runs,
 * saving the outgoing task's temporary-map PTEs and restoring the incoming
 * one's (mm/highmem.c: __kmap_local_sched_out, __kmap_local_sched_in).
 *
 * The slots stay the CPU's stack (struct hm_percpu.slots): a task's maps
 * are its CPU's slots 0..depth-1 while it runs, and saved in struct
 * hm_task while it does not.  A task that holds maps has migration
 * disabled, so it comes back on the same CPU, to the same slots.
 */
#include "core/internal.h"

__no_sanitize_coverage
void hm_tasks_init(struct hm_ctx *ctx)
{
	for (unsigned t = 0; t < HM_MAX_TASKS; t++) {
		ctx->tasks[t].depth = 0;
		ctx->tasks[t].migrate_disabled = 0;
		ctx->tasks[t].cpu = -1;
		ctx->tasks[t].running = t < ctx->cfg.nr_cpus;
	}
	for (unsigned cpu = 0; cpu < HM_MAX_CPUS; cpu++)
		ctx->current_task[cpu] = cpu;
}

/* The typed kmap_atomic(page, type)s @c holds.  With preemption off
 * while they are held there are none at a switch, but for kernel mode's
 * stray kunmap_atomic, which drops the counts and nothing else. */
static int typed_held(const struct hm_ctx *ctx, const struct hm_percpu *c)
{
	int n = 0;

	for (unsigned i = 0; i < ctx->layout.km_max_nest; i++)
		n += slot_kind(&c->slots[i + 1]) == KMAP_SLOT_TYPED;
	return n;
}

/* May @next replace @prev on @cpu?  Reports the BUG if not. */
static bool switch_ok(struct hm_ctx *ctx, const struct hm_percpu *c,
		      unsigned cpu, unsigned next)
{
	const struct hm_task *n = &ctx->tasks[next < HM_MAX_TASKS ? next : 0];
	int depth = kmap_atomic_idx(c);
	bool switching = next != ctx->current_task[cpu];

	return !(BUG_ON_MSG(ctx, next >= HM_MAX_TASKS,
			    "no task %u: there are %u", next, HM_MAX_TASKS) ||
		 BUG_ON_MSG(ctx, c->preempt_count > 0,
			    "scheduling while atomic on cpu %u: preempt_count "
			    "%d", cpu, c->preempt_count) ||
		 BUG_ON_MSG(ctx, n->running && ctx->current_task[cpu] != next,
			    "task %u already runs on another cpu", next) ||
		 BUG_ON_MSG(ctx, n->depth && n->cpu != (int)cpu,
			    "task %u holds %d temporary maps of cpu %d: "
			    "migration is disabled", next, n->depth, n->cpu) ||
		 /* schedule() picking the running task switches nothing */
		 BUG_ON_MSG(ctx, depth && switching &&
			    ctx->profile->kmap_scheme != HM_KMAP_LOCAL,
			    "task %u switched out holding %d temporary maps: "
			    "%s does not save them (6.x's per-task kmap_local "
			    "does)", ctx->current_task[cpu], depth,
			    ctx->profile->name) ||
		 /* no kernel saves a typed slot (6.x has none to save) */
		 BUG_ON_MSG(ctx, switching && typed_held(ctx, c),
			    "task %u switched out holding %d typed "
			    "kmap_atomic(page, type)s, which no kernel saves",
			    ctx->current_task[cpu], typed_held(ctx, c)));
}

/* __kmap_local_sched_out(): save and clear each map's PTE, flush it. */
static void sched_out(struct hm_ctx *ctx, struct hm_percpu *c,
		      struct hm_task *t, unsigned cpu)
{
	int depth = kmap_atomic_idx(c);

	for (int i = 0; i < depth; i++) {
		struct kmap_slot *s = kmap_slot(c, i);

		t->pteval[i] = pte_read(s->ptep, ctx->pae);
		t->kind[i] = (uint8_t)slot_kind(s);
		pte_clear(ctx, s->vaddr, s->ptep);
		flush_tlb_one_kernel(ctx, s->vaddr);
		slot_set_kind(s, KMAP_SLOT_FREE);
	}
	t->depth = depth;
	t->cpu = depth ? (int)cpu : -1;
	t->migrate_disabled = c->migrate_disabled;
	t->running = false;
	c->kmap_top = &c->slots[0];
	c->migrate_disabled = 0;
}

/* __kmap_local_sched_in(): the saved PTEs back in their slots (x86 needs
 * no flush: they were cleared and flushed at the sched_out). */
static void sched_in(struct hm_ctx *ctx, struct hm_percpu *c,
		     struct hm_task *t)
{
	for (int i = 0; i < t->depth; i++) {
		struct kmap_slot *s = kmap_slot(c, i);

		set_pte_at(ctx, s->vaddr, s->ptep, t->pteval[i]);
		slot_set_kind(s, (enum kmap_slot_kind)t->kind[i]);
	}
	c->kmap_top = &c->slots[t->depth];
	c->migrate_disabled = HM_INJECT_BUG == 12 ? 0 : t->migrate_disabled;
	t->depth = 0;
	t->cpu = -1;
	t->running = true;
}

void hm_switch_task(struct hm_ctx *ctx, unsigned next)
{
	unsigned cpu = hm_arch_smp_processor_id(ctx);
	struct hm_percpu *c = &ctx->cpu[cpu];
	unsigned prev = ctx->current_task[cpu];

	if (!switch_ok(ctx, c, cpu, next) || next == prev)
		return;
	sched_out(ctx, c, &ctx->tasks[prev], cpu);
	sched_in(ctx, c, &ctx->tasks[next]);
	ctx->current_task[cpu] = next;
}

__no_sanitize_coverage
unsigned hm_current_task(const struct hm_ctx *ctx, unsigned cpu)
{
	return ctx->current_task[cpu < HM_MAX_CPUS ? cpu : 0];
}
