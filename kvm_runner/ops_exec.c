/* SPDX-License-Identifier: MIT */
/* ops_exec.c - the op interpreter shared by guest and host; see ops_exec.h. */
#include "kvm_runner/ops_exec.h"

static struct page *page_of(struct hm_exec *x, uint32_t pfn)
{
	return hm_pfn_to_page(x->ctx, pfn);
}

/* May we write into @pfn?  Not into the frames that hold the kernel's own
 * tables and image (the guest would corrupt itself), nor outside memory. */
static bool writable_pfn(struct hm_exec *x, uint32_t pfn)
{
	return pfn >= hm_first_free_pfn(x->ctx) && pfn < hm_max_pfn(x->ctx);
}

static void tagged_write(struct hm_exec *x, const struct hm_exec_map *m,
			 uint32_t off, uint32_t val)
{
	if (!writable_pfn(x, m->pfn))
		return;
	x->ops->write32(x, m->vaddr + off, val);
	if (x->ops->log_write)
		x->ops->log_write(x, m->pfn, off, val);
}

/* Remember a new mapping and write its tag through it. */
static void add_map(struct hm_exec *x, uint32_t op_idx, uint32_t pfn,
		    hm_vaddr_t vaddr, enum hm_map_kind kind, unsigned type)
{
	struct hm_exec_map *m;

	if (!vaddr || x->nr_maps >= HM_EXEC_MAX_MAPS)
		return;
	m = &x->maps[x->nr_maps++];
	m->pfn = pfn;
	m->vaddr = vaddr;
	m->tag_off = hm_exec_offset(op_idx);
	m->kind = (uint8_t)kind;
	m->type = (uint8_t)type;
	tagged_write(x, m, m->tag_off, hm_exec_tag(x->seq_no, op_idx, pfn));
}

static void drop_map(struct hm_exec *x, int i)
{
	if (i < 0)
		return;
	for (unsigned j = (unsigned)i; j + 1 < x->nr_maps; j++)
		x->maps[j] = x->maps[j + 1];
	x->nr_maps--;
}

/* The newest persistent map of @pfn. */
static int find_persistent(struct hm_exec *x, uint32_t pfn)
{
	for (int i = (int)x->nr_maps - 1; i >= 0; i--)
		if (x->maps[i].kind == HM_MAP_PERSISTENT &&
		    x->maps[i].pfn == pfn)
			return i;
	return -1;
}

/* Temporary map @slot, 0 the newest. */
static int find_temporary(struct hm_exec *x, uint32_t slot)
{
	for (int i = (int)x->nr_maps - 1; i >= 0; i--)
		if (x->maps[i].kind == HM_MAP_TEMPORARY && slot-- == 0)
			return i;
	return -1;
}

static int find_typed(struct hm_exec *x, uint32_t type)
{
	for (int i = (int)x->nr_maps - 1; i >= 0; i--)
		if (x->maps[i].kind == HM_MAP_TYPED && x->maps[i].type == type)
			return i;
	return -1;
}

static hm_vaddr_t vaddr_of(struct hm_exec *x, int i)
{
	return i < 0 ? 0 : x->maps[i].vaddr;
}

int hm_exec_step(struct hm_exec *x, const struct hm_kop *ops, uint32_t i,
		 struct hm_kop_result *res)
{
	struct hm_ctx *ctx = x->ctx;
	const struct hm_kop *op = &ops[i];
	uint32_t bugs = x->bugs, value = 0;
	int m;

	if (x->ops_done)
		*x->ops_done = i;
	switch (op->code) {
	case HM_KOP_KMAP:
		value = hm_kmap(ctx, page_of(x, op->a));
		add_map(x, i, op->a, value, HM_MAP_PERSISTENT, 0);
		break;
	case HM_KOP_KMAP_HIGH_GET:
		/* kmap_high_get() takes only highmem pages; a lowmem
		 * one is the core's to report. */
		value = hm_kmap_high_get(ctx, page_of(x, op->a));
		add_map(x, i, op->a, value, HM_MAP_PERSISTENT, 0);
		break;
	case HM_KOP_KUNMAP:
		m = find_persistent(x, op->a);
		hm_kunmap(ctx, page_of(x, op->a));
		if (x->bugs == bugs)
			drop_map(x, m);
		break;
	case HM_KOP_KMAP_ATOMIC:
		value = hm_kmap_atomic(ctx, page_of(x, op->a));
		add_map(x, i, op->a, value, HM_MAP_TEMPORARY, 0);
		break;
	case HM_KOP_KMAP_LOCAL:
		value = hm_kmap_local_page(ctx, page_of(x, op->a));
		add_map(x, i, op->a, value, HM_MAP_TEMPORARY, 0);
		break;
	case HM_KOP_KUNMAP_ATOMIC:
	case HM_KOP_KUNMAP_LOCAL:
		/* No such map: 0, which the core reports. */
		m = find_temporary(x, op->a);
		if (op->code == HM_KOP_KUNMAP_ATOMIC)
			hm_kunmap_atomic(ctx, vaddr_of(x, m));
		else
			hm_kunmap_local(ctx, vaddr_of(x, m));
		if (x->bugs == bugs)
			drop_map(x, m);
		break;
	case HM_KOP_KMAP_ATOMIC_TYPE:
		value = hm_kmap_atomic_type(ctx, page_of(x, op->a),
					    (enum km_type)op->b);
		add_map(x, i, op->a, value, HM_MAP_TYPED, op->b);
		break;
	case HM_KOP_KUNMAP_ATOMIC_TYPE:
		m = find_typed(x, op->a);
		hm_kunmap_atomic_type(ctx, vaddr_of(x, m),
				      (enum km_type)op->a);
		if (x->bugs == bugs)
			drop_map(x, m);
		break;
	case HM_KOP_PAGE_ADDRESS:
		value = hm_page_address(ctx, page_of(x, op->a));
		break;
	case HM_KOP_WRITE:
		/* MAP is taken modulo the live maps, as the fuzz
		 * harness does; with none, nothing is written. */
		if (x->nr_maps)
			tagged_write(x, &x->maps[op->a % x->nr_maps],
				     hm_exec_offset(i), op->b);
		break;
	case HM_KOP_READ:
		if (x->nr_maps) {
			const struct hm_exec_map *mp =
				&x->maps[op->a % x->nr_maps];

			if (writable_pfn(x, mp->pfn))
				value = x->ops->read32(
					x, mp->vaddr + mp->tag_off);
		}
		break;
	case HM_KOP_CPU:
		x->ops->set_cpu(x, op->a);
		break;
	case HM_KOP_FLUSH_UNUSED:
		hm_kmap_flush_unused(ctx);
		break;
	case HM_KOP_RESET:
		x->ops->reset(x);
		x->nr_maps = 0;
		break;
	case HM_KOP_TOUCH:
		if (!x->ops->touch(x, op->a, &value)) {
			x->fault_vaddr = op->a;
			return HM_EXEC_FAULT;
		}
		break;
	case HM_KOP_HANG:
		x->ops->hang(x);
		return HM_EXEC_HANG;
	case HM_KOP_TRIPLE:
		x->ops->triple(x);
		return HM_EXEC_TRIPLE;
	default:	/* the host validates codes; be safe anyway */
		break;
	}
	res[i].value = value;
	res[i].bugs = x->bugs - bugs;
	if (res[i].bugs && (x->flags & HM_MB_BUG_FATAL))
		return HM_EXEC_BUG;
	return HM_EXEC_NEXT;
}

int hm_exec_run(struct hm_exec *x, const struct hm_kop *ops, uint32_t n,
		struct hm_kop_result *res, uint32_t *stopped_at)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		int rc = hm_exec_step(x, ops, i, res);

		if (rc != HM_EXEC_NEXT) {
			*stopped_at = i;
			return rc;
		}
	}
	*stopped_at = n;
	return HM_EXEC_DONE;
}
