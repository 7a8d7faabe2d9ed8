/* SPDX-License-Identifier: MIT */
/*
 * bench_api.c - the benchmark mode: one machine (machine.h: KVM or QEMU's
 * TCG), one HM_MB_CMD_BENCH command per hm_bench_run().  See bench_api.h;
 * the guest's side is guest/bench.c.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvm_runner/host/bench_api.h"
#include "kvm_runner/host/bench_backend.h"
#include "kvm_runner/host/kvm.h"
#include "kvm_runner/host/tcg.h"

struct hm_bench_vm {
	struct hm_machine *m;
	bool kvm;			/* KVM (else QEMU's TCG) */
	enum hm_paging_mode mode;	/* the mode that booted */
	struct hm_bench_info info;
	unsigned nr_cpus;
};

static const struct {
	const char *name;
	uint32_t pages;
} ops[HM_BENCH__NR] = {
	[HM_BENCH_FLOOR] = { "floor", 1 },
	[HM_BENCH_KMAP_ATOMIC] = { "kmap_atomic", 1 },
	[HM_BENCH_KMAP_ATOMIC_DEBUG] = { "kmap_atomic_debug", 1 },
	[HM_BENCH_KMAP_LOCAL] = { "kmap_local", 1 },
	[HM_BENCH_KMAP_HIT] = { "kmap_hit", 1 },
	[HM_BENCH_KMAP_STREAM] = { "kmap_stream", 4096 },
	[HM_BENCH_PAGE_ADDRESS_LOW] = { "page_address_lowmem", 64 },
	[HM_BENCH_PAGE_ADDRESS_HIGH] = { "page_address_high", 512 },
};

const char *hm_bench_op_name(enum hm_bench_op op)
{
	return (unsigned)op < HM_BENCH__NR ? ops[op].name : "?";
}

uint32_t hm_bench_default_pages(enum hm_bench_op op)
{
	return (unsigned)op < HM_BENCH__NR ? ops[op].pages : 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* As kvm_runner's own start: legacy PAE where the backend runs it (TCG
 * always; KVM with hardware virtualization), else compat mode.  Several
 * vCPUs idle until an IPI (the machine's boot sees to it). */
static int boot(struct hm_bench_vm *vm, enum hm_paging_mode want, char *why,
		size_t whysz)
{
	int rc = vm->m->ops->boot(vm->m, want, vm->nr_cpus, why, whysz);

	if (!rc)
		vm->mode = vm->m->mode;
	return rc;
}

/* What the guest's times mean on this machine, into @in->note. */
static void note(struct hm_bench_vm *vm)
{
	struct hm_bench_info *in = &vm->info;
	bool pvm = access("/sys/module/kvm_pvm", F_OK) == 0;

	if (!vm->kvm)
		snprintf(in->note, sizeof(in->note), "QEMU TCG: every guest "
			 "instruction translated by QEMU, each access through "
			 "its software TLB: times are QEMU's costs, not a "
			 "CPU's");
	else if (in->emulated)
		snprintf(in->note, sizeof(in->note), "emulated%s: absolute "
			 "guest times measure the emulator; ratios to the floor "
			 "count instructions", pvm ? " (PVM)" : "");
	else if (!in->stale_tlb)
		snprintf(in->note, sizeof(in->note), "no stale translations "
			 "observable (shadow paging or emulation): invlpg and "
			 "flushes cost what the hypervisor makes them cost");
	else
		snprintf(in->note, sizeof(in->note), "hardware-assisted: "
			 "the guest's own TLB (stale translations observable)");
}

static void probe(struct hm_bench_vm *vm)
{
	struct hm_bench_info *in = &vm->info;
	const struct hm_mailbox *mb = machine__mailbox(vm->m);

	snprintf(in->backend, sizeof(in->backend), "%s", vm->m->ops->name);
	snprintf(in->paging, sizeof(in->paging), "%s",
		 x86__mode_name(vm->m->mode));
	in->legacy_refused = vm->kvm && vm->m->fallback_why[0] != '\0';
	in->stale_tlb = mb->probe_second == HM_PROBE_A_MAGIC;
	in->tsc_khz = vm->kvm ? kvm_machine__tsc_khz(vm->m) :
				tcg_machine__tsc_khz(vm->m);
	in->counts_insns = vm->kvm;
	/* A TLB that never holds a stale translation, and a KVM that cannot
	 * run legacy paging: the guest's instructions are emulated one by one
	 * (this is what KVM's PVM backend does with 32-bit code). */
	in->emulated = !vm->kvm || (!in->stale_tlb && in->legacy_refused);
	note(vm);
}

int hm_bench_open(struct hm_bench_vm **out, const char *dev,
		  struct hm_bench_info *info, char *why, size_t whysz)
{
	return hm_bench_open_cpus(out, dev, 1, info, why, whysz);
}

int hm_bench_open_cpus(struct hm_bench_vm **out, const char *dev,
		       unsigned nr_cpus, struct hm_bench_info *info, char *why,
		       size_t whysz)
{
	return hm_bench_open_backend(out, "kvm", dev, nr_cpus,
				     HM_KERNEL_DEFAULT, info, why, whysz);
}

int hm_bench_open_backend(struct hm_bench_vm **out, const char *backend,
			  const char *path, unsigned nr_cpus,
			  enum hm_kernel kernel, struct hm_bench_info *info,
			  char *why, size_t whysz)
{
	struct hm_bench_vm *vm;
	const struct hm_mailbox *mb;
	bool kvm = !strcmp(backend, "kvm");
	int rc;

	*out = NULL;
	if (!kvm && strcmp(backend, "tcg")) {
		snprintf(why, whysz, "backend '%s': kvm or tcg", backend);
		return HM_EXIT_USAGE;
	}
	if (nr_cpus < 1 || nr_cpus > HM_SMP_MAX_CPUS) {
		snprintf(why, whysz, "%u vCPUs: 1 to %u", nr_cpus,
			 HM_SMP_MAX_CPUS);
		return HM_EXIT_USAGE;
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		snprintf(why, whysz, "out of memory");
		return HM_EXIT_INTERNAL;
	}
	vm->nr_cpus = nr_cpus;
	vm->kvm = kvm;
	rc = kvm ? kvm_machine__open(&vm->m, path ? path : "/dev/kvm", why,
				     whysz) :
		   tcg_machine__open(&vm->m, path ? path : HM_TCG_QEMU, why,
				     whysz);
	if (!rc) {
		vm->m->kernel = kernel;	/* the tables boot builds */
		rc = boot(vm, kvm ? HM_PAGING_AUTO : HM_PAGING_LEGACY_PAE, why,
			  whysz);
	}
	if (!rc) {
		mb = machine__mailbox(vm->m);
		if (mb->probe_first != HM_PROBE_A_MAGIC) {
			snprintf(why, whysz, "the guest's TLB probe read %#x "
				 "through a fresh mapping, expected %#x",
				 mb->probe_first, HM_PROBE_A_MAGIC);
			rc = HM_EXIT_FAIL;
		}
	}
	if (rc) {
		if (vm->m)
			vm->m->ops->close(vm->m);
		free(vm);
		return rc;
	}
	probe(vm);
	vm->info.nr_cpus = nr_cpus;
	if (info)
		*info = vm->info;
	*out = vm;
	return 0;
}

/* Why the guest stopped, when it did not say "done". */
static void stop_reason(const struct hm_stop *st, unsigned timeout_ms,
			const struct hm_mailbox *mb, char *why, size_t whysz)
{
	char sym[96] = "?";

	if (st->kind == HM_STOP_REPORT && st->port == HM_PORT_BUG)
		snprintf(why, whysz, "guest BUG: %.*s", HM_MB_MSG_LEN,
			 mb->bug_msg);
	else if (st->kind == HM_STOP_REPORT && st->port == HM_PORT_PANIC)
		snprintf(why, whysz, "guest panic: %.*s", HM_MB_MSG_LEN,
			 mb->panic_msg);
	else if (st->kind == HM_STOP_REPORT && st->port == HM_PORT_FAULT)
		snprintf(why, whysz, "guest exception %u, CR2 %#x, EIP %#x "
			 "<%s>", st->vec, st->cr2, st->eip,
			 x86__guest_symbol(st->eip, sym, sizeof(sym)));
	else if (st->kind == HM_STOP_REPORT)
		snprintf(why, whysz, "the guest reported on port %#x (%u)",
			 st->port, st->value);
	else if (st->kind == HM_STOP_TIMEOUT)
		snprintf(why, whysz, "the guest did not finish within %u ms",
			 timeout_ms);
	else if (st->kind == HM_STOP_SHUTDOWN)
		snprintf(why, whysz, "the guest stopped: %s (triple fault)",
			 st->what);
	else
		snprintf(why, whysz, "the machine died: %s", st->what);
}

/* Resume the guest until it says done (or stops).  With @count (KVM
 * only), the guest marks its timed loop and we single-step through it,
 * counting instructions.  0; 1 (with @why) done but KVM would not
 * single-step; -1 (with @why) the guest did not finish. */
static int resume(struct hm_bench_vm *vm, unsigned timeout_ms, uint64_t *count,
		  char *why, size_t whysz)
{
	struct hm_stop st;
	bool no_step = false;
	int rc = count ? kvm_machine__run_counting(vm->m, timeout_ms, count,
						   &no_step, &st) :
			 vm->m->ops->run(vm->m, timeout_ms, &st);

	if (rc) {
		snprintf(why, whysz, "running the guest failed (%s)",
			 vm->m->ops->name);
		return -1;
	}
	if (st.kind == HM_STOP_REPORT && st.port == HM_PORT_DONE &&
	    !machine__mailbox(vm->m)->outcome) {
		if (no_step)
			snprintf(why, whysz, "KVM would not single-step the "
				 "guest");
		return no_step ? 1 : 0;
	}
	stop_reason(&st, timeout_ms, machine__mailbox(vm->m), why, whysz);
	return -1;
}

/* One HM_MB_CMD_BENCH command. */
static int command(struct hm_bench_vm *vm, enum hm_bench_op op,
		   uint32_t iters, uint32_t pages, uint32_t warmup,
		   uint64_t *count, char *why, size_t whysz)
{
	struct hm_mailbox *mb;
	uint64_t budget;
	unsigned timeout_ms;
	int rc;

	if ((unsigned)op >= HM_BENCH__NR) {
		snprintf(why, whysz, "no benchmark op %d", (int)op);
		return -1;
	}
	if (count && !vm->kvm) {
		snprintf(why, whysz, "instruction counts need KVM's "
			 "single-step: QEMU's TCG counts none here");
		return -1;
	}
	if (!vm->m->alive && boot(vm, vm->mode, why, whysz))
		return -1;
	mb = machine__mailbox(vm->m);
	mb->command = HM_MB_CMD_BENCH;
	mb->bench_op = (uint32_t)op;
	mb->bench_iters = iters;
	mb->bench_pages = pages;
	mb->bench_warmup = warmup;
	mb->bench_count = count != NULL;
	/* Chunks of about a millisecond of guest time. */
	mb->bench_chunk_cycles = vm->info.tsc_khz ? vm->info.tsc_khz : 2000000;
	mb->bench_cycles = 0;
	mb->bench_best_cycles = 0;
	mb->outcome = ~0u;
	/* ~0.5 ms a kmap pair where every instruction is emulated: allow
	 * twenty times that per iteration and per page of setup. */
	budget = 20000 + 10ull * ((uint64_t)iters + warmup + pages);
	timeout_ms = budget > 3600000 ? 3600000 : (unsigned)budget;
	rc = resume(vm, timeout_ms, count, why, whysz);
	if (rc < 0) {
		vm->m->ops->teardown(vm->m);	/* the next run boots anew */
		return -1;
	}
	mb->command = HM_MB_CMD_SEQUENCE;
	return rc ? -1 : 0;
}

int hm_bench_run(struct hm_bench_vm *vm, enum hm_bench_op op, uint32_t iters,
		 uint32_t pages, struct hm_bench_result *r, char *why,
		 size_t whysz)
{
	const struct hm_mailbox *mb;
	double t0, t1;

	memset(r, 0, sizeof(*r));
	if (op == HM_BENCH_KMAP_ATOMIC_DEBUG &&
	    guest__debug_tables(vm->m->kernel)) {
		snprintf(why, whysz, "%s's debug variant needs page tables of "
			 "its own (its fixmap moves PKMAP_BASE): not in "
			 "benchmark mode", hm_kernel_name(vm->m->kernel));
		return HM_EXIT_SKIP;
	}
	if (!pages)
		pages = hm_bench_default_pages(op);
	t0 = now_s();
	if (command(vm, op, iters, pages, iters < 16 ? iters : 16, NULL, why,
		    whysz))
		return -1;
	t1 = now_s();
	mb = machine__mailbox(vm->m);
	r->iters = iters;
	r->pages = pages;
	r->cycles = mb->bench_cycles;
	r->chunk = mb->bench_chunk;
	r->best_cycles = mb->bench_chunk ?
				 (double)mb->bench_best_cycles / mb->bench_chunk :
				 0;
	r->host_seconds = t1 - t0;
	r->seconds = vm->info.tsc_khz ?
			     (double)r->cycles / (vm->info.tsc_khz * 1e3) :
			     r->host_seconds;
	hm_mb_get_stats(&r->stats, mb->stats);
	/* The other vCPUs' acks of the shootdowns: IPIs handled. */
	r->stats.tlb_ipis = vm->nr_cpus > 1 ? mb->smp_bench_acks : 0;
	return 0;
}

int hm_bench_count_insns(struct hm_bench_vm *vm, enum hm_bench_op op,
			 uint32_t iters, uint32_t pages, double *per_op,
			 char *why, size_t whysz)
{
	uint64_t n[2] = { 0, 0 };

	*per_op = 0;
	if (!iters) {
		snprintf(why, whysz, "no iterations to count");
		return -1;
	}
	if (!pages)
		pages = hm_bench_default_pages(op);
	/* @iters, then twice as many, from the same page (the same warm-up):
	 * the difference is @iters iterations without the brackets' own
	 * instructions (the marks, the rdtsc, the call into the loop). */
	if (command(vm, op, iters, pages, 16, &n[0], why, whysz) ||
	    command(vm, op, 2 * iters, pages, 16, &n[1], why, whysz))
		return -1;
	*per_op = (double)(n[1] - n[0]) / iters;
	return 0;
}

void hm_bench_close(struct hm_bench_vm *vm)
{
	if (!vm)
		return;
	vm->m->ops->close(vm->m);
	free(vm);
}
