/* SPDX-License-Identifier: MIT */
/*
 * page_address.c - page_address() and the hash table behind it.
 *
 * A lowmem page's address is arithmetic.  A highmem page has one only while
 * it holds a PKMAP entry; that address is found by hashing the page into
 * page_address_htable and walking the bucket's chain of page_address_maps
 * (struct page_address_map in mm/highmem.c).
 */
#include "core/internal.h"

static struct page_address_slot *page_slot(struct hm_ctx *ctx,
					   const struct page *page)
{
	uint32_t kaddr = HM_MEM_MAP_VADDR +
			 (uint32_t)page_to_pfn(ctx, page) * HM_SIZEOF_KERNEL_PAGE;

	return &ctx->page_address_htable[hash_32(kaddr, PA_HASH_ORDER)];
}

void page_address_init(struct hm_ctx *ctx)
{
	unsigned i;

	for (i = 0; i < (1u << PA_HASH_ORDER); i++) {
		INIT_LIST_HEAD(&ctx->page_address_htable[i].lh);
		ctx->page_address_htable[i].lock.locked = 0;
	}
	for (i = 0; i < LAST_PKMAP_MAX; i++)
		INIT_LIST_HEAD(&ctx->page_address_maps[i].list);
}

/*
 * page_address_high - page_address() of a highmem page: its bucket's
 * chain walked under the bucket's lock.  0 when it has no persistent map.
 * For callers that know @page is highmem (kmap_high and friends).
 */
hm_vaddr_t page_address_high(struct hm_ctx *ctx, const struct page *page)
{
	struct page_address_slot *pas = page_slot(ctx, page);
	struct list_head *pos;
	hm_vaddr_t ret = 0;
	uint64_t steps = 0;

	hm_arch_spin_lock(ctx, &pas->lock);
	for (pos = pas->lh.next; pos != &pas->lh; pos = pos->next) {
		struct page_address_map *pam =
			list_entry(pos, struct page_address_map, list);

		steps++;
		if (pam->page == page) {
			ret = pam->virtual;
			break;
		}
	}
	hm_arch_spin_unlock(ctx, &pas->lock);
	this_cpu(ctx)->stats.hash_steps += steps;
	return ret;
}

/**
 * page_address - get the mapped virtual address of a page
 * @page: the page
 *
 * Return: the page's virtual address, or 0 for a highmem page with no
 * persistent map.  Takes the bucket's lock; never sleeps.
 */
hm_vaddr_t page_address(struct hm_ctx *ctx, const struct page *page)
{
	if (!PageHighMem(ctx, page))
		return lowmem_page_address(ctx, page);
	return page_address_high(ctx, page);
}

/**
 * set_page_address - set a page's virtual address
 * @page: a highmem page
 * @virtual: its PKMAP address, or 0 to forget the association
 *
 * Called with kmap_lock held, which is what keeps two adds of one page apart.
 */
void set_page_address(struct hm_ctx *ctx, struct page *page,
		      hm_vaddr_t virtual)
{
	struct page_address_slot *pas;
	struct page_address_map *pam;
	struct list_head *pos;

	if (BUG_ON_MSG(ctx, !PageHighMem(ctx, page),
		       "set_page_address of lowmem pfn %#llx",
		       (unsigned long long)page_to_pfn(ctx, page)))
		return;

	pas = page_slot(ctx, page);
	if (virtual) {		/* Add */
		pam = &ctx->page_address_maps[PKMAP_NR(&ctx->layout, virtual)];
		pam->page = page;
		pam->virtual = virtual;

		hm_arch_spin_lock(ctx, &pas->lock);
		list_add_tail(&pam->list, &pas->lh);
		hm_arch_spin_unlock(ctx, &pas->lock);
		return;
	}

	/* Remove (bug 3 on its test's line: no line a normal build never runs) */
	if (HM_INJECT_BUG == 3) return;
	hm_arch_spin_lock(ctx, &pas->lock);
	for (pos = pas->lh.next; pos != &pas->lh; pos = pos->next) {
		pam = list_entry(pos, struct page_address_map, list);
		if (pam->page == page) {
			list_del(&pam->list);
			break;
		}
	}
	hm_arch_spin_unlock(ctx, &pas->lock);
}

hm_vaddr_t hm_page_address(struct hm_ctx *ctx, const struct page *page)
{
	if (BUG_ON_MSG(ctx, !page_valid(ctx, page),
		       "page_address of a page outside mem_map"))
		return 0;
	return page_address(ctx, page);
}
