/* SPDX-License-Identifier: MIT */
/*
 * sim_ipi.c - TLB shootdowns between simulated CPUs that are threads.
 *
 * The kernel's flush_tlb_kernel_range() has every other CPU flush by IPI
 * and waits until each has done so (on_each_cpu(.., wait = 1)).  Here a
 * CPU is run by the thread that last chose it (hm_set_cpu), and the IPI is
 * a real-time signal to that thread: its handler flushes the CPU's TLB and
 * acknowledges, wherever the thread is - spinning on kmap_lock, asleep on
 * the wait queue, or outside the simulator altogether - and the initiator
 * waits for the acknowledgement.  A CPU no thread runs is idle: the
 * initiator does its flush itself, as the idle CPU would on waking.  A
 * single thread playing every CPU in turn therefore never signals anyone.
 * Either way the IPI is counted (hm_x86_flush_ipis): the kernel's idle
 * CPUs are online and get theirs.
 *
 * Interrupts off: a thread holds a TLB lock only with the signal
 * soft-masked (sim_irq_disable, a per-thread count, much as powerpc
 * soft-masks interrupts).  A handler that finds its thread masked notes
 * the request, and sim_irq_enable serves it on the way out, so a handler
 * never spins on a lock its own thread holds.
 *
 * Lifetime: a signal may arrive after its context is gone (sent, then
 * served by the initiator because the thread left the CPU, then the
 * context destroyed).  So it carries no pointer but a slot of a
 * process-wide table and the slot's generation; hm_destroy retires its
 * slots, waiting out a handler that is using one.
 *
 * Lost signals: none should be lost, but an initiator that sees no
 * acknowledgement within a millisecond looks again - serves the request
 * itself if the CPU went idle meanwhile, else signals again - and after
 * cfg.wait_timeout_ms reports a BUG (a CPU that never takes interrupts:
 * its thread blocks the signal) and does the flush itself.
 *
 * Every function is __no_sanitize_coverage: like the MMU (sim_mmu.c), this
 * is the machine, not the code under test; its paths (who was signalled,
 * whether an acknowledgement came at once) follow the host's scheduling,
 * which the fuzzers would take for new behaviour of the core.
 */
#define _GNU_SOURCE		/* pthread_sigqueue */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "core/sim/sim.h"
#include "core/x86_flush.h"

/* The signal: glibc keeps the first real-time signals for itself and
 * moves SIGRTMIN past them; +4 stays clear of libraries that take the
 * next few.  Real-time, so signals queue instead of merging. */
#define IPI_SIGNAL	(SIGRTMIN + 4)

#define BOX_BITS	12
#define NR_BOXES	(1u << BOX_BITS)
#define GEN_MASK	0xFFFFFu	/* the rest of the signal's 32-bit value */

/* state: gen << 2 | BOX_LIVE | BOX_BUSY.  A signal for (slot, gen) is
 * served only while the state is exactly gen << 2 | BOX_LIVE. */
enum { BOX_LIVE = 1, BOX_BUSY = 2 };

struct ipi_box {
	uint32_t state;
	struct sim_tlb *t;
};

static struct ipi_box boxes[NR_BOXES];
static unsigned box_hint;
static pthread_once_t handler_once = PTHREAD_ONCE_INIT;
static bool handler_ok;

/* How long sim_spin_wait() spins on a held lock before reporting it. */
#define SIM_SPIN_BOUND_MS	20000u

/* Requests that came while this thread had the signal masked. */
#define DEFER_MAX	16
struct irq_state {
	unsigned off;
	unsigned nr_deferred;
	uint32_t deferred[DEFER_MAX];
};
static __thread struct irq_state irq __attribute__((tls_model("initial-exec")));

__no_sanitize_coverage
static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- Serving requests ---------------------------------------------------- */

/* Do every request in @t's inbox; @t's lock held.  @own: by the CPU's own
 * thread (its handler, or on leaving the CPU), else by an initiator for
 * an idle CPU. */
__no_sanitize_coverage
static void serve_locked(struct sim_tlb *t, bool own)
{
	struct hm_ctx *ctx = t->ctx;

	for (unsigned i = 0; i < ctx->cfg.nr_cpus; i++) {
		struct sim_ipi_req *r = &t->inbox[i];
		uint32_t req = __atomic_load_n(&r->req, __ATOMIC_RELAXED);

		if (req == __atomic_load_n(&r->ack, __ATOMIC_RELAXED))
			continue;
		sim_tlb_flush_range_locked(ctx, t, r->start, r->end);
		if (own)
			t->stats.ipis_handled++;
		else
			t->stats.ipis_idle++;
		__atomic_store_n(&r->ack, req, __ATOMIC_RELEASE);
	}
}

/* Serve the CPU behind @token if its context still lives.  Busy: another
 * thread serves it now, and an initiator that still misses its
 * acknowledgement will signal again. */
__no_sanitize_coverage
static void serve_token(uint32_t token)
{
	struct ipi_box *b = &boxes[token & (NR_BOXES - 1)];
	uint32_t live = ((token >> BOX_BITS) << 2) | BOX_LIVE;
	uint32_t expect = live;

	if (!__atomic_compare_exchange_n(&b->state, &expect, live | BOX_BUSY,
					 false, __ATOMIC_ACQUIRE,
					 __ATOMIC_RELAXED))
		return;
	sim_tlb_lock(b->t);
	serve_locked(b->t, true);
	sim_tlb_unlock(b->t);
	__atomic_store_n(&b->state, live, __ATOMIC_RELEASE);
}

__no_sanitize_coverage
static void defer(uint32_t token)
{
	unsigned n = __atomic_load_n(&irq.nr_deferred, __ATOMIC_RELAXED);

	for (unsigned i = 0; i < n; i++)
		if (irq.deferred[i] == token)
			return;
	if (n == DEFER_MAX)
		return;		/* the initiator signals again */
	irq.deferred[n] = token;
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	__atomic_store_n(&irq.nr_deferred, n + 1, __ATOMIC_RELAXED);
}

__no_sanitize_coverage
static void ipi_handler(int sig, siginfo_t *si, void *uc)
{
	int saved_errno = errno;

	(void)sig;
	(void)uc;
	if (si->si_code != SI_QUEUE)	/* not ours: a stray kill(1) */
		return;
	if (__atomic_load_n(&irq.off, __ATOMIC_RELAXED))
		defer((uint32_t)si->si_value.sival_int);
	else
		serve_token((uint32_t)si->si_value.sival_int);
	errno = saved_errno;
}

__no_sanitize_coverage
void sim_irq_disable(void)
{
	__atomic_store_n(&irq.off, irq.off + 1, __ATOMIC_RELAXED);
	__atomic_signal_fence(__ATOMIC_SEQ_CST);
}

/* Unmask; at the outermost level, first serve what the handler deferred
 * (still masked, so the list only grows meanwhile). */
__no_sanitize_coverage
void sim_irq_enable(void)
{
	unsigned n;

	__atomic_signal_fence(__ATOMIC_SEQ_CST);
	if (irq.off > 1) {
		__atomic_store_n(&irq.off, irq.off - 1, __ATOMIC_RELAXED);
		return;
	}
	for (;;) {
		n = __atomic_load_n(&irq.nr_deferred, __ATOMIC_RELAXED);
		if (n) {
			uint32_t token = irq.deferred[n - 1];

			/* A handler may append meanwhile: then try again. */
			if (__atomic_compare_exchange_n(&irq.nr_deferred, &n,
							n - 1, false,
							__ATOMIC_RELAXED,
							__ATOMIC_RELAXED))
				serve_token(token);
			continue;
		}
		__atomic_store_n(&irq.off, 0, __ATOMIC_RELAXED);
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		if (!__atomic_load_n(&irq.nr_deferred, __ATOMIC_RELAXED))
			return;
		/* one came between the last look and the unmask */
		__atomic_store_n(&irq.off, 1, __ATOMIC_RELAXED);
	}
}

/* ---- Slots, threads, CPUs -------------------------------------------------- */

__no_sanitize_coverage
static void install_handler(void)
{
	struct sigaction sa = { 0 };

	sa.sa_sigaction = ipi_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	handler_ok = sigaction(IPI_SIGNAL, &sa, NULL) == 0;
}

/* Give @t a slot of the table; none left: -1, and initiators serve the
 * CPU themselves, as if it were idle. */
__no_sanitize_coverage
static void claim_box(struct sim_tlb *t)
{
	unsigned start = __atomic_fetch_add(&box_hint, 1, __ATOMIC_RELAXED);

	t->box = -1;
	for (unsigned k = 0; k < NR_BOXES; k++) {
		unsigned i = (start + k) & (NR_BOXES - 1);
		struct ipi_box *b = &boxes[i];
		uint32_t s = __atomic_load_n(&b->state, __ATOMIC_RELAXED);

		if ((s & (BOX_LIVE | BOX_BUSY)) ||
		    !__atomic_compare_exchange_n(&b->state, &s, s | BOX_BUSY,
						 false, __ATOMIC_ACQUIRE,
						 __ATOMIC_RELAXED))
			continue;
		b->t = t;
		t->box = (int)i;
		t->box_gen = s >> 2;
		__atomic_store_n(&b->state, s | BOX_LIVE, __ATOMIC_RELEASE);
		return;
	}
}

__no_sanitize_coverage
static void retire_box(struct sim_tlb *t)
{
	struct ipi_box *b;
	uint32_t s;

	if (t->box < 0)
		return;
	b = &boxes[t->box];
	for (;;) {
		s = __atomic_load_n(&b->state, __ATOMIC_ACQUIRE);
		if (s & BOX_BUSY) {		/* a handler is serving it */
			sched_yield();
			continue;
		}
		if (__atomic_compare_exchange_n(&b->state, &s,
						(((s >> 2) + 1) & GEN_MASK) << 2,
						false, __ATOMIC_ACQ_REL,
						__ATOMIC_RELAXED))
			break;
	}
	t->box = -1;
}

__no_sanitize_coverage
void sim_ipi_init(struct hm_ctx *ctx)
{
	struct hm_sim *sim = sim_of(ctx);

	pthread_once(&handler_once, install_handler);
	for (unsigned cpu = 0; cpu < HM_MAX_CPUS; cpu++) {
		struct sim_tlb *t = &sim->tlb[cpu];

		t->ctx = ctx;
		t->cpu = cpu;
		t->box = -1;
		if (cpu < ctx->cfg.nr_cpus && ctx->cfg.nr_cpus > 1)
			claim_box(t);
	}
}

__no_sanitize_coverage
void sim_ipi_exit(struct hm_ctx *ctx)
{
	for (unsigned cpu = 0; cpu < HM_MAX_CPUS; cpu++)
		retire_box(&sim_of(ctx)->tlb[cpu]);
}

__no_sanitize_coverage
void sim_cpu_bind(struct sim_tlb *t)
{
	sim_tlb_lock(t);
	t->runner = pthread_self();
	t->bound = true;
	sim_tlb_unlock(t);
}

/* The thread leaves the CPU (or exits): what was sent to it, it serves
 * now; from now on initiators serve the CPU themselves. */
__no_sanitize_coverage
void sim_cpu_unbind(struct sim_tlb *t)
{
	sim_tlb_lock(t);
	if (t->bound && pthread_equal(t->runner, pthread_self())) {
		serve_locked(t, true);
		t->bound = false;
	}
	sim_tlb_unlock(t);
}

/* ---- The shootdown --------------------------------------------------------- */

/* Signal @t's thread; false if no thread runs it (or cannot be
 * signalled): then the caller serves it.  @t's lock held. */
__no_sanitize_coverage
static bool send_ipi(struct sim_tlb *t)
{
	union sigval v;

	if (!t->bound || t->box < 0 || !handler_ok ||
	    pthread_equal(t->runner, pthread_self()))
		return false;
	v.sival_int = (int)((uint32_t)t->box | (t->box_gen << BOX_BITS));
	return pthread_sigqueue(t->runner, IPI_SIGNAL, v) == 0;
}

__no_sanitize_coverage
static __attribute__((noinline, cold)) void
ipi_timeout_bug(struct hm_ctx *ctx, unsigned cpu, unsigned from,
		unsigned ms)
{
	BUG_MSG(ctx, "cpu %u did not acknowledge the TLB shootdown IPI from "
		"cpu %u within %u ms: does its thread block signal %d?", cpu,
		from, ms, IPI_SIGNAL);
}

/* Wait until @t has done request @want from CPU @me: look again each
 * millisecond, give up with a BUG after the context's wait timeout. */
__no_sanitize_coverage
static void wait_ack(struct hm_ctx *ctx, struct sim_tlb *t, unsigned me,
		     uint32_t want)
{
	struct sim_ipi_req *r = &t->inbox[me];
	unsigned ms = ctx->cfg.wait_timeout_ms ? ctx->cfg.wait_timeout_ms
					       : 10000;
	uint64_t now = now_ns(), next = now + 1000000u;
	uint64_t deadline = now + (uint64_t)ms * 1000000u;

	while ((int32_t)(__atomic_load_n(&r->ack, __ATOMIC_ACQUIRE) - want) < 0) {
		sched_yield();
		now = now_ns();
		if (now < next)
			continue;
		next = now + 1000000u;
		if (now >= deadline) {
			ipi_timeout_bug(ctx, t->cpu, me, ms);
			deadline = UINT64_MAX;
			sim_tlb_lock(t);
			serve_locked(t, false);
			sim_tlb_unlock(t);
			continue;
		}
		sim_tlb_lock(t);
		if ((int32_t)(__atomic_load_n(&r->ack, __ATOMIC_RELAXED) -
			      want) < 0 && !send_ipi(t))
			serve_locked(t, false);
		sim_tlb_unlock(t);
	}
}

/*
 * flush_tlb_kernel_range(): post the range to every other CPU and signal
 * its thread (an idle CPU's flush is done here), flush our own TLB, then
 * wait for every signalled CPU to acknowledge: the caller is about to
 * reuse the entries.
 */
__no_sanitize_coverage
void sim_ipi_flush_tlb_kernel_range(struct hm_ctx *ctx, hm_vaddr_t start,
				    hm_vaddr_t end)
{
	struct hm_sim *sim = sim_of(ctx);
	unsigned me = hm_arch_smp_processor_id(ctx), n = ctx->cfg.nr_cpus;
	uint32_t want[HM_MAX_CPUS];
	bool sent[HM_MAX_CPUS];

	ctx->cpu[me].stats.tlb_ipis += hm_x86_flush_ipis(ctx);
	for (unsigned cpu = 0; cpu < n; cpu++) {
		struct sim_tlb *t = &sim->tlb[cpu];
		struct sim_ipi_req *r = &t->inbox[me];

		sent[cpu] = false;
		if (cpu == me)
			continue;
		sim_tlb_lock(t);
		/* Two threads acting as one CPU (a misuse, or a thread that
		 * never chose a CPU and so is cpu 0 too) may both post: the
		 * later request then covers the earlier one's range. */
		if (r->req == __atomic_load_n(&r->ack, __ATOMIC_RELAXED)) {
			r->start = start;
			r->end = end;
		} else {
			if (start < r->start)
				r->start = start;
			if (end > r->end)
				r->end = end;
		}
		want[cpu] = r->req + 1;
		__atomic_store_n(&r->req, want[cpu], __ATOMIC_RELEASE);
		sent[cpu] = send_ipi(t);
		if (!sent[cpu])
			serve_locked(t, false);
		sim_tlb_unlock(t);
	}
	sim_tlb_lock(&sim->tlb[me]);
	sim_tlb_flush_range_locked(ctx, &sim->tlb[me], start, end);
	sim_tlb_unlock(&sim->tlb[me]);
	for (unsigned cpu = 0; cpu < n; cpu++)
		if (sent[cpu])
			wait_ack(ctx, &sim->tlb[cpu], me, want[cpu]);
}

/*
 * The spin of sim_spin_lock() (sim.h): yield until the lock looks free.
 * A lock still held after SIM_SPIN_BOUND_MS was never released (an unlock
 * missing on some path, or a holder that died): report it as the kernel's
 * lockup detector would, naming the lock, and abort, rather than spin
 * until a test's timeout kills us without a word.  No context to report
 * through here (the MMU's TLB locks have none), hence the BUG format
 * written out.
 */
__no_sanitize_coverage
void sim_spin_wait(const hm_spinlock_t *lock)
{
	uint64_t deadline = 0;

	for (unsigned n = 1; __atomic_load_n(&lock->locked, __ATOMIC_RELAXED);
	     n++) {
		sched_yield();
		if (n % 1024)
			continue;
		if (!deadline) {
			deadline = now_ns() + SIM_SPIN_BOUND_MS * 1000000ull;
		} else if (now_ns() >= deadline) {
			fprintf(stderr, "kernel BUG at %s:%d in sim_spin_lock(): "
				"lock %p still held after %u ms of spinning "
				"(never released?)\n", __FILE__, __LINE__,
				(const void *)lock, SIM_SPIN_BOUND_MS);
			abort();
		}
	}
}
