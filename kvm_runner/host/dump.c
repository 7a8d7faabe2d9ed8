/* SPDX-License-Identifier: MIT */
/*
 * dump.c - what the host prints about a guest from its memory alone,
 * whatever the backend: the paging mode's name, guest symbols, and a page
 * walk through the guest's own tables.
 */
#include <string.h>

#include "core/pgtable.h"
#include "kvm_runner/host/guest_image.h"
#include "kvm_runner/host/machine.h"

const char *x86__mode_name(enum hm_paging_mode mode)
{
	switch (mode) {
	case HM_PAGING_AUTO:
		return "auto (not probed yet)";
	case HM_PAGING_LEGACY_PAE:
		return "legacy PAE (CR4.PAE, CR3 = PDPT, no long mode)";
	case HM_PAGING_COMPAT:
		return "compat mode (EFER.LME, 32-bit code in IA-32e "
		       "compatibility mode, the PAE PDPT under a one-entry "
		       "PML4, CR0.WP=0)";
	}
	return "?";
}

const char *x86__guest_symbol(uint32_t addr, char *buf, size_t size)
{
	const struct hm_guest_sym *best = NULL;

	for (unsigned i = 0; i < hm_guest_nsyms; i++)
		if (hm_guest_syms[i].addr <= addr)
			best = &hm_guest_syms[i];
	if (!best || addr - best->addr > 0x10000)
		snprintf(buf, size, "?");
	else
		snprintf(buf, size, "%s+%#x", best->name, addr - best->addr);
	return buf;
}

static void entry_flags(uint64_t e, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s%s%s%s%s%s",
		 e & _PAGE_PRESENT ? "P" : "-", e & _PAGE_RW ? " RW" : "",
		 e & _PAGE_USER ? " US" : "", e & _PAGE_ACCESSED ? " A" : "",
		 e & _PAGE_DIRTY ? " D" : "", e & _PAGE_PSE ? " PS" : "",
		 e & _PAGE_GLOBAL ? " G" : "", e & _PAGE_NX ? " NX" : "");
}

/* Entry @idx of the table at @table, printed as "NAME[idx]"; false if the
 * walk ends here (outside memory, or not present). */
static bool walk_level(struct hm_machine *m, const char *name,
		       uint64_t *table, unsigned idx, FILE *f)
{
	uint64_t pa = (*table & PTE_PFN_MASK_PAE) + idx * 8ull, e;
	char fl[48], label[16];

	if (pa + 8 > m->mem_size) {
		fprintf(f, "    (a table outside guest memory)\n");
		return false;
	}
	memcpy(&e, m->mem + pa, 8);
	entry_flags(e, fl, sizeof(fl));
	snprintf(label, sizeof(label), "%s[%u]", name, idx);
	fprintf(f, "    %-9s 0x%016llx %s\n", label, (unsigned long long)e, fl);
	*table = e;
	return (e & _PAGE_PRESENT) != 0;
}

/* Walk @vaddr as the MMU would, in our own view of guest memory. */
void x86__dump_walk(struct hm_machine *m, uint64_t cr3, bool lma,
		    uint32_t vaddr, FILE *f)
{
	uint64_t e = cr3 & ~0x1full;

	fprintf(f, "  page walk of 0x%08x from CR3 %#llx:\n", vaddr,
		(unsigned long long)cr3);
	if (lma && !walk_level(m, "PML4", &e, 0, f))
		return;
	if (!walk_level(m, "PDPT", &e, vaddr >> 30, f) ||
	    !walk_level(m, "PD", &e, (vaddr >> 21) & 511, f))
		return;
	if (e & _PAGE_PSE) {
		fprintf(f, "    -> 2 MiB page, physical %#llx\n",
			(unsigned long long)((e & PTE_PFN_MASK_PAE &
					      ~0x1fffffull) +
					     (vaddr & 0x1fffff)));
		return;
	}
	if (walk_level(m, "PT", &e, (vaddr >> 12) & 511, f))
		fprintf(f, "    -> physical %#llx\n",
			(unsigned long long)((e & PTE_PFN_MASK_PAE) +
					     (vaddr & 0xfff)));
}
