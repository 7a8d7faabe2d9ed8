/* SPDX-License-Identifier: MIT */
/* triage_run.c - one replay in a child process; see triage_run.h. */
#include "fuzz/triage_run.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* What a child may print that we keep: a report's first lines come early,
 * the whole-input dump after them can be long. */
#define OUT_MAX	(64 * 1024)

static const char *const report_marks[] = {
	"ORACLE:", "BUG", "CORRUPTION", "ERROR: AddressSanitizer",
	"runtime error:", "WARNING: ThreadSanitizer",
};

/* The oracle's word first: a misuse target's expected BUGs or a kernel-mode
 * CORRUPTION line may come before it. */
static bool has_mark(const char *line, size_t len, const char *mark)
{
	size_t m = strlen(mark);

	for (size_t j = 0; j + m <= len; j++)
		if (!memcmp(line + j, mark, m))
			return true;
	return false;
}

static bool is_report(const char *line, size_t len, bool oracle_only)
{
	if (oracle_only)
		return has_mark(line, len, report_marks[0]);
	for (size_t i = 0; i < sizeof(report_marks) / sizeof(report_marks[0]); i++)
		if (has_mark(line, len, report_marks[i]))
			return true;
	return false;
}

/* Numbers say where and which, not what: "0x38005", "op 55", a pid in
 * "==1234==" or a line in "highmem.c:170" become "N".  A digit inside a
 * name ("kmap_smp", "linux-4.7" stays apart: '-' is not a name) is kept
 * only when a letter or '_' precedes it. */
static void normalise(const char *s, size_t len, char *out, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < len && o + 2 < size;) {
		bool in_name = i && (isalpha((unsigned char)s[i - 1]) || s[i - 1] == '_');

		if (isdigit((unsigned char)s[i]) && !in_name) {
			if (s[i] == '0' && i + 1 < len && (s[i + 1] == 'x' || s[i + 1] == 'X'))
				i += 2;
			while (i < len && isxdigit((unsigned char)s[i]))
				i++;
			out[o++] = 'N';
		} else {
			out[o++] = s[i++];
		}
	}
	while (o && isspace((unsigned char)out[o - 1]))
		o--;
	out[o] = '\0';
}

bool triage_signature(const char *out, char *sig, size_t size)
{
	for (int pass = 0; pass < 2; pass++) {
		for (const char *line = out; *line;) {
			const char *end = strchr(line, '\n');
			size_t len = end ? (size_t)(end - line) : strlen(line);

			if (is_report(line, len, pass == 0)) {
				normalise(line, len, sig, size);
				return true;
			}
			if (!end)
				break;
			line = end + 1;
		}
	}
	return false;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void child(const char *bin, const char *input, const char *workdir,
		  int fd)
{
	dup2(fd, 1);
	dup2(fd, 2);
	close(fd);
	if (chdir(workdir))
		_exit(126);
	/* A report, not a symbolised stack, is what we read; and never an
	 * interactive fuzzer's leftovers. */
	setenv("ASAN_OPTIONS", "symbolize=0:detect_leaks=0", 1);
	unsetenv("BUILD_WORKING_DIRECTORY");
	execl(bin, bin, input, (char *)NULL);
	fprintf(stderr, "triage: cannot run %s: %s\n", bin, strerror(errno));
	_exit(127);
}

/* Read the child's output from @fd into @out until it closes its end or
 * the time is up (then it is killed: res->timed_out).  Returns the length. */
static size_t collect_output(int fd, pid_t pid, double deadline,
			     struct triage_result *res, char *out)
{
	size_t len = 0;

	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		double left = deadline - now();
		char buf[4096];
		ssize_t n;

		if (left <= 0) {
			res->timed_out = true;
			kill(pid, SIGKILL);
			break;
		}
		if (poll(&p, 1, (int)(left * 1000) + 1) < 0 && errno != EINTR)
			break;
		if (!p.revents)
			continue;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len < OUT_MAX) {
			size_t keep = (size_t)n < OUT_MAX - len ? (size_t)n : OUT_MAX - len;

			memcpy(out + len, buf, keep);
			len += keep;
		}
	}
	out[len] = '\0';
	return len;
}

/* Wait for the child: one that closed its output but lives on is killed
 * all the same once the time is up. */
static void reap_child(pid_t pid, double deadline, struct triage_result *res)
{
	while (waitpid(pid, &res->status, WNOHANG) == 0) {
		if (now() > deadline) {
			res->timed_out = true;
			kill(pid, SIGKILL);
			waitpid(pid, &res->status, 0);
			break;
		}
		usleep(1000);
	}
}

bool triage_run(const char *bin, const char *input, const char *workdir,
		unsigned timeout_s, struct triage_result *res)
{
	static char out[OUT_MAX + 1];
	double deadline = now() + timeout_s;
	int pfd[2];
	pid_t pid;

	memset(res, 0, sizeof(*res));
	if (pipe(pfd)) {
		snprintf(res->sig, sizeof(res->sig), "pipe: %s", strerror(errno));
		return false;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(res->sig, sizeof(res->sig), "fork: %s", strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		return false;
	}
	if (!pid) {
		close(pfd[0]);
		child(bin, input, workdir, pfd[1]);
	}
	close(pfd[1]);
	collect_output(pfd[0], pid, deadline, res, out);
	close(pfd[0]);
	reap_child(pid, deadline, res);

	if (res->timed_out) {
		res->failed = true;
		snprintf(res->sig, sizeof(res->sig), "timeout after %u s", timeout_s);
		return true;
	}
	if (WIFEXITED(res->status) && WEXITSTATUS(res->status) >= 126) {
		snprintf(res->sig, sizeof(res->sig), "cannot run %s", bin);
		return false;
	}
	res->failed = !WIFEXITED(res->status) || WEXITSTATUS(res->status) != 0;
	if (!triage_signature(out, res->sig, sizeof(res->sig)) && res->failed) {
		if (WIFSIGNALED(res->status))
			snprintf(res->sig, sizeof(res->sig), "killed by signal %d",
				 WTERMSIG(res->status));
		else
			snprintf(res->sig, sizeof(res->sig), "exit status %d",
				 WEXITSTATUS(res->status));
	}
	/* As the fuzzers see it: a finding ends the run (a kernel-mode
	 * CORRUPTION reported and gone on from is one only under
	 * HM_FUZZ_CORRUPTION=abort, which the child inherits). */
	if (!res->failed)
		res->sig[0] = '\0';
	return true;
}
