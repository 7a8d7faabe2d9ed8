/* SPDX-License-Identifier: MIT */
/*
 * bench_api.c - the benchmark mode: one VM, one HM_MB_CMD_BENCH command per
 * hm_bench_run().  See bench_api.h; the guest's side is guest/bench.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "kvm_runner/host/bench_api.h"
#include "kvm_runner/host/kvm.h"

struct hm_bench_vm {
	struct kvm kvm;
	enum hm_paging_mode mode;	/* the mode that booted */
	struct hm_bench_info info;
	unsigned nr_cpus;
	struct smp_aps *aps;		/* cpus 1.. (host/smp.c), if any */
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

/* As kvm_runner's own start: legacy PAE if KVM runs it, else compat. */
static int boot(struct hm_bench_vm *vm, enum hm_paging_mode want, char *why,
		size_t whysz)
{
	int rc;

	smp__stop_aps(vm->aps, why, whysz);
	vm->aps = NULL;
	vm->kvm.m.nr_vcpus = vm->nr_cpus;
	if (vm->nr_cpus > 1) {
		/* Several vCPUs: compat mode (the IPI gate is a 64-bit one),
		 * then the application processors, idling until an IPI. */
		rc = kvm__boot(&vm->kvm, HM_PAGING_COMPAT, why, whysz);
		if (!rc)
			machine__mailbox(&vm->kvm.m)->smp_idle_halt = 1;
		if (!rc)
			rc = smp__start_aps(&vm->kvm, vm->nr_cpus, 5000,
					    &vm->aps, why, whysz);
		if (!rc)
			vm->mode = vm->kvm.m.mode;
		return rc;
	}
	rc = kvm__boot(&vm->kvm, want, why, whysz);

	if (rc == HM_EXIT_FAIL && want == HM_PAGING_AUTO &&
	    vm->kvm.m.mode == HM_PAGING_LEGACY_PAE)
		rc = kvm__boot(&vm->kvm, HM_PAGING_COMPAT, why, whysz);
	if (!rc)
		vm->mode = vm->kvm.m.mode;
	return rc;
}

static void probe(struct hm_bench_vm *vm)
{
	struct hm_bench_info *in = &vm->info;
	const struct hm_mailbox *mb = machine__mailbox(&vm->kvm.m);
	bool pvm = access("/sys/module/kvm_pvm", F_OK) == 0;
	int khz = -1;

	snprintf(in->paging, sizeof(in->paging), "%s",
		 x86__mode_name(vm->kvm.m.mode));
	in->legacy_refused = vm->kvm.m.fallback_why[0] != '\0';
	in->stale_tlb = mb->probe_second == HM_PROBE_A_MAGIC;
	if (ioctl(vm->kvm.sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_GET_TSC_KHZ) > 0)
		khz = ioctl(vm->kvm.vcpu_fd, KVM_GET_TSC_KHZ, 0);
	in->tsc_khz = khz > 0 ? (uint32_t)khz : 0;
	/* A TLB that never holds a stale translation, and a KVM that cannot
	 * run legacy paging: the guest's instructions are emulated one by one
	 * (this is what KVM's PVM backend does with 32-bit code). */
	in->emulated = !in->stale_tlb && in->legacy_refused;
	if (in->emulated)
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

int hm_bench_open(struct hm_bench_vm **out, const char *dev,
		  struct hm_bench_info *info, char *why, size_t whysz)
{
	return hm_bench_open_cpus(out, dev, 1, info, why, whysz);
}

int hm_bench_open_cpus(struct hm_bench_vm **out, const char *dev,
		       unsigned nr_cpus, struct hm_bench_info *info, char *why,
		       size_t whysz)
{
	struct hm_bench_vm *vm;
	const struct hm_mailbox *mb;
	int rc;

	*out = NULL;
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
	rc = kvm__open(&vm->kvm, dev ? dev : "/dev/kvm", why, whysz);
	if (!rc)
		rc = boot(vm, HM_PAGING_AUTO, why, whysz);
	if (!rc) {
		mb = machine__mailbox(&vm->kvm.m);
		if (mb->probe_first != HM_PROBE_A_MAGIC) {
			snprintf(why, whysz, "the guest's TLB probe read %#x "
				 "through a fresh mapping, expected %#x",
				 mb->probe_first, HM_PROBE_A_MAGIC);
			rc = HM_EXIT_FAIL;
		}
	}
	if (rc) {
		smp__stop_aps(vm->aps, NULL, 0);
		kvm__close(&vm->kvm);
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
static void stop_reason(struct hm_bench_vm *vm, const struct vcpu_event *ev,
			unsigned timeout_ms, char *why, size_t whysz)
{
	const struct hm_mailbox *mb = machine__mailbox(&vm->kvm.m);

	if (ev->kind == EV_PORT && ev->port == HM_PORT_BUG)
		snprintf(why, whysz, "guest BUG: %.*s", HM_MB_MSG_LEN,
			 mb->bug_msg);
	else if (ev->kind == EV_PORT && ev->port == HM_PORT_PANIC)
		snprintf(why, whysz, "guest panic: %.*s", HM_MB_MSG_LEN,
			 mb->panic_msg);
	else if (ev->kind == EV_PORT && ev->port == HM_PORT_FAULT) {
		uint32_t r[5];
		char sym[96] = "?";

		if (x86__get_regs(vm->kvm.vcpu_fd, r))
			snprintf(why, whysz, "guest exception %u, CR2 %#x, "
				 "EIP %#x <%s>", ev->value, r[2], r[3],
				 x86__guest_symbol(r[3], sym, sizeof(sym)));
		else
			snprintf(why, whysz, "guest exception %u", ev->value);
	} else if (ev->kind == EV_TIMEOUT)
		snprintf(why, whysz, "the guest did not finish within %u ms",
			 timeout_ms);
	else
		snprintf(why, whysz, "the guest stopped: %s",
			 kvm__exit_name(ev->exit_reason));
}

/* Resume the guest until it says done (or stops).  With @count, the
 * guest marks its timed loop and we single-step through it, counting
 * instructions.  0; 1 (with @why) done but KVM would not single-step; -1
 * (with @why) the guest did not finish. */
static int resume(struct hm_bench_vm *vm, unsigned timeout_ms, uint64_t *count,
		  char *why, size_t whysz)
{
	struct kvm_guest_debug dbg = { .control = 0 };
	struct vcpu_event ev;
	bool stepping = false, no_step = false;
	int rc = -1;

	for (;;) {
		if (vcpu__run(&vm->kvm, timeout_ms, &ev)) {
			snprintf(why, whysz, "KVM_RUN failed");
			break;
		}
		if (stepping && ev.kind == EV_OTHER &&
		    ev.exit_reason == KVM_EXIT_DEBUG) {
			(*count)++;
			continue;
		}
		if (count && ev.kind == EV_PORT && ev.port == HM_PORT_MARK) {
			stepping = ev.value == 0 && !no_step;
			dbg.control = stepping ? KVM_GUESTDBG_ENABLE |
						 KVM_GUESTDBG_SINGLESTEP : 0;
			if (KVM_IOCTL(vm->kvm.vcpu_fd, KVM_SET_GUEST_DEBUG,
				      &dbg, why, whysz) < 0) {
				/* Let the guest finish, uncounted. */
				no_step = true;
				stepping = false;
			}
			continue;
		}
		if (ev.kind == EV_PORT && ev.port == HM_PORT_DONE &&
		    !machine__mailbox(&vm->kvm.m)->outcome)
			rc = no_step ? 1 : 0;
		else
			stop_reason(vm, &ev, timeout_ms, why, whysz);
		break;
	}
	if (stepping) {
		dbg.control = 0;
		ioctl(vm->kvm.vcpu_fd, KVM_SET_GUEST_DEBUG, &dbg);
	}
	return rc;
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
	if (!vm->kvm.m.alive && boot(vm, vm->mode, why, whysz))
		return -1;
	mb = machine__mailbox(&vm->kvm.m);
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
		smp__stop_aps(vm->aps, NULL, 0);
		vm->aps = NULL;
		kvm__teardown(&vm->kvm);	/* the next run boots anew */
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
	if (!pages)
		pages = hm_bench_default_pages(op);
	t0 = now_s();
	if (command(vm, op, iters, pages, iters < 16 ? iters : 16, NULL, why,
		    whysz))
		return -1;
	t1 = now_s();
	mb = machine__mailbox(&vm->kvm.m);
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
	smp__stop_aps(vm->aps, NULL, 0);
	kvm__close(&vm->kvm);
	free(vm);
}
