/* SPDX-License-Identifier: MIT */
/*
 * tcg.c - the QEMU TCG backend behind machine.h.
 *
 * qemu-system-i386 runs the same guest image in genuine legacy PAE paging
 * with a software TLB that keeps stale translations, as silicon does.  We
 * start it with everything handed over as file descriptors, so nothing is
 * left in the file system whatever happens to us:
 *
 *   guest RAM   a memfd (shared memory), mapped here too: the host reads
 *               PTEs and frames directly, as with KVM
 *               (-object memory-backend-file,mem-path=/proc/self/fd/N,
 *               share=on)
 *   the image   another memfd, booted by QEMU's multiboot loader (-kernel)
 *   doorbell    COM1 on one end of a socket pair, guest to host; the host
 *               answers in the mailbox (guest/report.c)
 *   QMP         the other socket pair: a triple fault (guest reset, the
 *               VM paused), and registers when the guest dies or hangs
 *   console     port 0xE9 (isa-debugcon) to our stderr
 *
 * QEMU dies with us (PR_SET_PDEATHSIG), and leaves through isa-debug-exit
 * when we are done with it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "kvm_runner/host/bench_backend.h"
#include "kvm_runner/host/guest_image.h"
#include "kvm_runner/host/qmp.h"
#include "kvm_runner/host/tcg.h"

/* The descriptors QEMU gets, at these numbers in its process. */
enum { FD_RAM = 3, FD_KERNEL, FD_SERIAL, FD_QMP };

struct tcg {
	struct hm_machine m;		/* first: the backend-neutral part */
	const char *qemu;
	pid_t pid;
	int kernel_fd, ser_fd, qmp_fd;
	struct qmp qmp;
	bool one_thread;		/* vCPUs round-robin on one thread */
	bool frozen;			/* SIGSTOPped while we verify */
	bool regs_valid;		/* regs: read since the guest stopped */
	struct qmp_regs regs;
};

static struct tcg *to_tcg(struct hm_machine *m)
{
	return (struct tcg *)m;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Guest RAM and the image, as memfds; RAM mapped here. */
static int make_memory(struct tcg *t, char *why, size_t whysz)
{
	struct hm_machine *m = &t->m;

	m->mem_size = HM_GUEST_RAM_BYTES;
	m->mem_fd = memfd_create("hm-guest-ram", MFD_CLOEXEC);
	t->kernel_fd = memfd_create("hm-guest-image", MFD_CLOEXEC);
	if (m->mem_fd < 0 || t->kernel_fd < 0 ||
	    ftruncate(m->mem_fd, (off_t)m->mem_size) < 0 ||
	    write(t->kernel_fd, hm_guest_image, hm_guest_image_size) !=
		    (ssize_t)hm_guest_image_size) {
		snprintf(why, whysz, "memfd for guest memory: %s",
			 strerror(errno));
		return HM_EXIT_INTERNAL;
	}
	m->mem = mmap(NULL, m->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      m->mem_fd, 0);
	if (m->mem == MAP_FAILED) {
		m->mem = NULL;
		snprintf(why, whysz, "mmap of guest memory: %s",
			 strerror(errno));
		return HM_EXIT_INTERNAL;
	}
	return 0;
}

/* In the child: the descriptors at their numbers, then QEMU. */
static void exec_qemu(struct tcg *t, int ser, int qmp, unsigned nr_vcpus)
{
	char mem[160], smp[32], name[48], accel[48];
	int null = open("/dev/null", O_RDWR);
	char *argv[64];
	int n = 0;

	int from[4] = { t->m.mem_fd, t->kernel_fd, ser, qmp };

	prctl(PR_SET_PDEATHSIG, SIGKILL);	/* never outlive the runner */
	/* Out of the way first: a source may sit on a target's number. */
	for (int i = 0; i < 4; i++)
		from[i] = fcntl(from[i], F_DUPFD, 64);
	for (int i = 0; i < 4; i++)
		if (from[i] < 0 || dup2(from[i], FD_RAM + i) < 0)
			_exit(127);
	if (null < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0)
		_exit(127);
	snprintf(mem, sizeof(mem), "memory-backend-file,id=ram,size=%llu,"
		 "mem-path=/proc/self/fd/%d,share=on",
		 (unsigned long long)HM_GUEST_RAM_BYTES, FD_RAM);
	snprintf(smp, sizeof(smp), "%u", nr_vcpus);
	snprintf(name, sizeof(name), "hm-kvm-runner-%d", (int)getppid());
	snprintf(accel, sizeof(accel), "tcg,thread=%s",
		 nr_vcpus > 1 && !t->one_thread ? "multi" : "single");
#define ARG(s) (argv[n++] = (char *)(s))
	ARG(t->qemu); ARG("-name"); ARG(name);
	/* microvm: no PCI, no ACPI, a small firmware: boots in half the
	 * time of pc.  Its option ROMs carry the multiboot loader. */
	ARG("-machine"); ARG("microvm,memory-backend=ram,x-option-roms=on,"
			     "pit=off,pic=off,rtc=off,acpi=off,ioapic2=off");
	ARG("-object"); ARG(mem);
	ARG("-m"); ARG("1026M");
	ARG("-accel"); ARG(accel);
	ARG("-cpu"); ARG("max");	/* NX, for the core's PTEs */
	ARG("-smp"); ARG(smp);
	ARG("-nodefaults"); ARG("-no-user-config"); ARG("-display"); ARG("none");
	ARG("-action"); ARG("reboot=shutdown,shutdown=pause");
	ARG("-chardev"); ARG("socket,id=ser,fd=5");
	ARG("-serial"); ARG("chardev:ser");
	ARG("-chardev"); ARG("socket,id=qmp,fd=6");
	ARG("-mon"); ARG("chardev=qmp,mode=control");
	/* Appending: a file chardev would truncate our stderr. */
	ARG("-chardev"); ARG(t->m.verbose ?
			     "file,id=con,path=/proc/self/fd/2,append=on" :
			     "null,id=con");
	ARG("-device"); ARG("isa-debugcon,iobase=0xe9,chardev=con");
	ARG("-device"); ARG("isa-debug-exit,iobase=0x501,iosize=2");
	ARG("-kernel"); ARG("/proc/self/fd/4");
	argv[n] = NULL;
#undef ARG
	execv(t->qemu, argv);
	_exit(127);
}

static int start_qemu(struct tcg *t, unsigned nr_vcpus, char *why,
		      size_t whysz)
{
	int ser[2], qmp[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ser) < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, qmp) < 0) {
		snprintf(why, whysz, "socketpair: %s", strerror(errno));
		return HM_EXIT_INTERNAL;
	}
	t->pid = fork();
	if (t->pid < 0) {
		snprintf(why, whysz, "fork: %s", strerror(errno));
		return HM_EXIT_INTERNAL;
	}
	if (t->pid == 0)
		exec_qemu(t, ser[1], qmp[1], nr_vcpus);
	close(ser[1]);
	close(qmp[1]);
	t->ser_fd = ser[0];
	t->qmp_fd = qmp[0];
	return 0;
}

/*
 * A guest that reported polls the mailbox for the host's answer, and its vCPU
 * thread spins meanwhile: while we verify, and for as long as a machine
 * of another vCPU count runs the sequences (several QEMUs on two cores).
 * So QEMU is stopped between its report and our answer.
 */
static void freeze(struct tcg *t)
{
	if (t->pid > 0 && !t->frozen && kill(t->pid, SIGSTOP) == 0)
		t->frozen = true;
}

static void thaw(struct tcg *t)
{
	if (t->frozen && t->pid > 0)
		kill(t->pid, SIGCONT);
	t->frozen = false;
}

/* The guest goes on: resume_count moved on in the mailbox (mailbox.h),
 * QEMU running again.  False if we have no QEMU; one that died under us
 * shows as the doorbell's end closed (wait_byte). */
static bool resume(struct tcg *t)
{
	struct hm_mailbox *mb = machine__mailbox(&t->m);

	if (t->pid <= 0)
		return false;
	__atomic_store_n(&mb->resume_count, mb->resume_count + 1,
			 __ATOMIC_RELEASE);
	thaw(t);
	return true;
}

/* QEMU's exit, as text, once it has gone (or is killed now). */
static void reap(struct tcg *t, bool kill_it, char *what, size_t n)
{
	int status = 0;

	if (t->pid <= 0)
		return;
	if (kill_it)
		kill(t->pid, SIGKILL);
	if (waitpid(t->pid, &status, 0) < 0)
		snprintf(what, n, "QEMU: waitpid: %s", strerror(errno));
	else if (WIFEXITED(status))
		snprintf(what, n, "QEMU exited with status %d%s",
			 WEXITSTATUS(status), WEXITSTATUS(status) == 127 ?
			 " (could not run it)" : "");
	else
		snprintf(what, n, "QEMU was killed by signal %d",
			 WTERMSIG(status));
	t->pid = 0;
}

/*
 * Wait for the guest's next doorbell byte: 0 with *@b, 1 on timeout, 2
 * when the VM stopped for a guest reset (QMP), -1 when QEMU went.
 */
static int wait_byte(struct tcg *t, unsigned timeout_ms, uint8_t *b)
{
	double end = now_ms() + timeout_ms;

	for (;;) {
		struct pollfd p[2] = { { .fd = t->ser_fd, .events = POLLIN },
				       { .fd = t->qmp_fd, .events = POLLIN } };
		double left = end - now_ms();
		int n;

		if (t->qmp.shutdown)
			return 2;
		if (left <= 0)
			return 1;
		n = poll(p, 2, (int)left + 1);
		if (n < 0 && errno != EINTR)
			return -1;
		if (n > 0 && (p[1].revents & POLLIN) && qmp__pump(&t->qmp) < 0)
			return -1;
		if (n > 0 && (p[0].revents & (POLLIN | POLLHUP))) {
			ssize_t r = read(t->ser_fd, b, 1);

			if (r == 1)
				return 0;
			if (r == 0 || errno != EINTR)
				return -1;
		}
	}
}

/* The guest booted to its hello (paging off): lay it out, let it go on,
 * and wait for READY. */
static int first_contact(struct tcg *t, char *why, size_t whysz)
{
	struct hm_machine *m = &t->m;
	uint8_t b = 0;
	int rc;

	rc = wait_byte(t, 10000, &b);
	if (rc || b != HM_SERIAL_HELLO) {
		char what[128] = "";

		if (rc == -1)
			reap(t, false, what, sizeof(what));
		snprintf(why, whysz, "the guest did not say hello on COM1 "
			 "within 10 s%s%s%s", what[0] ? " (" : "", what,
			 what[0] ? ")" : "");
		return HM_EXIT_FAIL;
	}
	/* The firmware is done with memory, and left data in what will be
	 * the core's frames (SeaBIOS keeps tables near the top of RAM): the
	 * memory check must find only what ops wrote. */
	if (fallocate(m->mem_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)HM_GUEST_FIRST_FREE_PFN << 12,
		      (off_t)(HM_GUEST_MEM_BYTES -
			      ((uint64_t)HM_GUEST_FIRST_FREE_PFN << 12))) < 0) {
		snprintf(why, whysz, "punching guest memory: %s",
			 strerror(errno));
		return HM_EXIT_INTERNAL;
	}
	m->boot_flags = HM_MB_BOOT_SERIAL;
	if (guest__layout(m, HM_PAGING_LEGACY_PAE, false, why, whysz))
		return HM_EXIT_INTERNAL;
	/* Idle application processors halt until an IPI (guest/smp.c); the
	 * boot CPU starts them itself, by INIT and startup IPIs. */
	machine__mailbox(m)->smp_idle_halt = m->nr_vcpus > 1;
	/* The hello is answered on the line (entry.S, paging off); every
	 * later report through the mailbox.  send(), so that a QEMU that
	 * died gives an error, not SIGPIPE. */
	if (send(t->ser_fd, "G", 1, MSG_NOSIGNAL) != 1)
		return HM_EXIT_INTERNAL;
	rc = wait_byte(t, 10000, &b);
	if (rc || b != HM_PORT_READY) {
		snprintf(why, whysz, "the guest did not come up: %s%s",
			 rc ? "no report" : b == HM_PORT_PANIC ? "panic: " :
			 b == HM_PORT_FAULT ? "an exception" : "report",
			 !rc && b == HM_PORT_PANIC ?
			 machine__mailbox(m)->panic_msg : "");
		return HM_EXIT_FAIL;
	}
	freeze(t);
	return 0;
}

static void tcg_teardown(struct hm_machine *m)
{
	struct tcg *t = to_tcg(m);
	char what[128];

	if (t->pid > 0 && m->alive) {
		/* Leave through isa-debug-exit; killed if it does not. */
		uint8_t b;

		machine__mailbox(m)->command = HM_MB_CMD_EXIT;
		if (resume(t))
			wait_byte(t, 200, &b);
	}
	reap(t, true, what, sizeof(what));
	t->frozen = false;
	if (t->ser_fd >= 0)
		close(t->ser_fd);
	if (t->qmp_fd >= 0)
		close(t->qmp_fd);
	if (t->kernel_fd >= 0)
		close(t->kernel_fd);
	if (m->mem)
		munmap(m->mem, m->mem_size);
	if (m->mem_fd >= 0)
		close(m->mem_fd);
	t->ser_fd = t->qmp_fd = t->kernel_fd = m->mem_fd = -1;
	m->mem = NULL;
	m->alive = false;
	t->regs_valid = false;
}

static int boot(struct tcg *t, unsigned nr_vcpus, char *why, size_t whysz)
{
	int rc;

	rc = make_memory(t, why, whysz);
	if (!rc)
		rc = start_qemu(t, nr_vcpus, why, whysz);
	if (!rc && qmp__open(&t->qmp, t->qmp_fd, 10000, why, whysz)) {
		char what[128] = "";

		reap(t, true, what, sizeof(what));
		snprintf(why + strlen(why), whysz - strlen(why), " (%s)", what);
		rc = HM_EXIT_SKIP;	/* this QEMU does not run */
	}
	if (!rc)
		rc = first_contact(t, why, whysz);
	return rc;
}

static int tcg_boot(struct hm_machine *m, enum hm_paging_mode mode,
		    unsigned nr_vcpus, char *why, size_t whysz)
{
	struct tcg *t = to_tcg(m);
	double t0 = now_ms();
	int rc;

	tcg_teardown(m);
	(void)mode;	/* always legacy PAE: qemu-system-i386 has no long
			 * mode (main.c refuses --paging compat) */
	m->fallback_why[0] = '\0';
	m->mode = HM_PAGING_LEGACY_PAE;
	m->nr_vcpus = nr_vcpus;
	rc = boot(t, nr_vcpus, why, whysz);
	if (rc) {
		tcg_teardown(m);
		return rc;
	}
	m->alive = true;
	m->boot_ms = now_ms() - t0;
	return 0;
}

/* A doorbell byte: what the guest reported, from the mailbox. */
static void doorbell(struct hm_machine *m, uint8_t b, struct hm_stop *st)
{
	const struct hm_mailbox *mb = machine__mailbox(m);

	st->kind = HM_STOP_REPORT;
	st->port = b;
	st->value = mb->report_value;
	st->cpu = mb->report_cpu;
	if (b == HM_PORT_FAULT) {
		st->vec = mb->report_regs[0] & 0xff;
		st->err = mb->report_regs[1];
		st->cr2 = mb->report_regs[2];
		st->eip = mb->report_regs[3];
	}
}

static int tcg_run(struct hm_machine *m, unsigned timeout_ms,
		   struct hm_stop *st)
{
	struct tcg *t = to_tcg(m);
	uint8_t b = 0;
	int rc;

	memset(st, 0, sizeof(*st));
	t->regs_valid = false;
	if (!resume(t)) {
		rc = -1;
	} else {
		rc = wait_byte(t, timeout_ms ? timeout_ms : 1, &b);
	}
	if (rc == 0) {
		doorbell(m, b, st);
		freeze(t);
	} else if (rc == 1) {
		st->kind = HM_STOP_TIMEOUT;
	} else if (rc == 2) {
		st->kind = HM_STOP_SHUTDOWN;
		snprintf(st->what, sizeof(st->what), "QEMU: guest reset, VM "
			 "paused");
		if (qmp__regs(&t->qmp, 0, &t->regs)) {
			t->regs_valid = true;
			st->eip = t->regs.eip;
		}
	} else {
		st->kind = HM_STOP_DIED;
		reap(t, false, st->what, sizeof(st->what));
	}
	return 0;
}

static bool regs(struct tcg *t, unsigned cpu)
{
	thaw(t);	/* QMP answers from a running QEMU (the VM is stopped) */
	if (!t->regs_valid && t->pid > 0)
		t->regs_valid = qmp__regs(&t->qmp, cpu, &t->regs);
	return t->regs_valid;
}

static void tcg_dump_regs(struct hm_machine *m, unsigned cpu, FILE *f)
{
	struct tcg *t = to_tcg(m);
	const struct qmp_regs *r = &t->regs;
	char sym[96];

	if (!regs(t, cpu)) {
		fprintf(f, "  (registers unavailable: QEMU %s)\n",
			t->pid > 0 ? "did not answer over QMP" : "has gone");
		return;
	}
	fprintf(f, "  EIP 0x%08x <%s>  EFLAGS 0x%08x\n", r->eip,
		x86__guest_symbol(r->eip, sym, sizeof(sym)), r->eflags);
	fprintf(f, "  EAX 0x%08x EBX 0x%08x ECX 0x%08x EDX 0x%08x\n", r->eax,
		r->ebx, r->ecx, r->edx);
	fprintf(f, "  ESI 0x%08x EDI 0x%08x EBP 0x%08x ESP 0x%08x\n", r->esi,
		r->edi, r->ebp, r->esp);
	fprintf(f, "  CR0 0x%08x CR2 0x%08x CR3 0x%08x CR4 0x%08x EFER %#llx\n",
		r->cr0, r->cr2, r->cr3, r->cr4, (unsigned long long)r->efer);
	fprintf(f, "  GDT 0x%08x/%#x  IDT 0x%08x/%#x\n", r->gdt_base,
		r->gdt_limit, r->idt_base, r->idt_limit);
}

static bool tcg_cr3(struct hm_machine *m, unsigned cpu, uint64_t *cr3,
		    bool *lma)
{
	struct tcg *t = to_tcg(m);

	*lma = false;
	*cr3 = regs(t, cpu) ? t->regs.cr3 : m->tables.cr3;
	return true;
}

static void tcg_close(struct hm_machine *m)
{
	tcg_teardown(m);
	free(m);
}

static const struct hm_machine_ops tcg_machine_ops = {
	.name = "tcg",
	.boot = tcg_boot,
	.run = tcg_run,
	.dump_regs = tcg_dump_regs,
	.cr3 = tcg_cr3,
	.teardown = tcg_teardown,
	.close = tcg_close,
};

/* The benchmark mode's part (bench_backend.h).  QEMU's TCG answers the
 * guest's rdtsc from the host's TSC (cpu_get_host_ticks()), so the guest's
 * cycles are the host's: measure its rate against CLOCK_MONOTONIC over
 * 20 ms, once. */
uint32_t tcg_machine__tsc_khz(struct hm_machine *m)
{
	static uint32_t khz;
	struct timespec t0, t1, nap = { 0, 20 * 1000 * 1000 };
	uint64_t c0, c1;
	double ns;

	(void)m;
	if (khz)
		return khz;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	c0 = __rdtsc();
	nanosleep(&nap, NULL);
	c1 = __rdtsc();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ns = (t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec);
	khz = ns > 0 ? (uint32_t)((c1 - c0) / ns * 1e6 + 0.5) : 0;
	return khz;
}

/*
 * Several vCPUs run on one host thread, in turn, rather than a thread
 * each (-accel tcg,thread=single).  Each still has its own TLB, and an
 * IPI is still delivered by the emulated APICs: a missing shootdown still
 * leaves the other vCPU reading through its stale entry.  A sequence's
 * ops run one at a time anyway (guest/smp_ops.c), so what parallel
 * threads add is a host thread wake-up at every hand-over between vCPUs
 * and every IPI, each a wait for a core on a shared two-core host.  The
 * guest fuzz target, which lives on those round trips, takes this; the
 * runner and the benchmarks keep a thread per vCPU.
 */
void tcg_machine__one_thread(struct hm_machine *m)
{
	to_tcg(m)->one_thread = true;
}

int tcg_machine__open(struct hm_machine **out, const char *qemu, char *why,
		      size_t whysz)
{
	struct tcg *t;

	*out = NULL;
	if (access(qemu, X_OK) < 0) {
		snprintf(why, whysz, "%s: %s (install qemu-system-x86: "
			 "tools/bootstrap)", qemu, strerror(errno));
		return HM_EXIT_SKIP;
	}
	t = calloc(1, sizeof(*t));
	if (!t) {
		snprintf(why, whysz, "out of memory");
		return HM_EXIT_INTERNAL;
	}
	t->qemu = qemu;
	t->m.mem_fd = t->kernel_fd = t->ser_fd = t->qmp_fd = -1;
	t->m.ops = &tcg_machine_ops;
	*out = &t->m;
	return 0;
}
