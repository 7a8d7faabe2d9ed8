/* SPDX-License-Identifier: MIT */
/*
 * stability.c - does a fuzz target take the same edges every time it runs
 * an input?  AFL++'s "stability" is the share of edges that do; an edge
 * that depends on what an earlier input left behind (state carried across
 * inputs, a lazy set-up, a timer) makes the engine chase noise.
 *
 * Linked like the AFL++ build (the target and the core compiled with
 * -fsanitize-coverage=trace-pc-guard) but with its own trace-pc-guard
 * callbacks instead of AFL++'s runtime: they count hits per edge, bucketed
 * as AFL++ buckets them (1, 2, 3, 4-7, 8-15, 16-31, 32-127, 128+).  For
 * every input, in a fresh child process (as a fork-server child starts):
 * run it (1), run it again (2), run every other input, run it once more
 * (3).  Any edge whose bucket differs between 1, 2 and 3 is printed with
 * its code offset in the binary, for llvm-symbolizer:
 *
 *   NAME_stability FILE|DIR...      exit 0: every edge of every input stable
 *   NAME_stability -v FILE|DIR...   also print each input's edge count
 *
 * //fuzz:NAME_stability_test runs it over the target's seeds.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz/target.h"

#define MAX_EDGES	(1u << 18)
#define MAX_INPUTS	4096
#define MAX_INPUT_BYTES	(1u << 20)

static uint32_t n_edges;
static uint32_t hits[MAX_EDGES];
static uintptr_t edge_pc[MAX_EDGES];

extern char __executable_start;

void __sanitizer_cov_trace_pc_guard_init(uint32_t *start, uint32_t *stop);
void __sanitizer_cov_trace_pc_guard(uint32_t *guard);

void __sanitizer_cov_trace_pc_guard_init(uint32_t *start, uint32_t *stop)
{
	if (start == stop || *start)
		return;
	for (uint32_t *g = start; g < stop; g++)
		*g = n_edges + 1 < MAX_EDGES ? ++n_edges : 0;
}

void __sanitizer_cov_trace_pc_guard(uint32_t *guard)
{
	uint32_t i = *guard;

	if (!i)
		return;
	hits[i]++;
	if (!edge_pc[i])
		edge_pc[i] = (uintptr_t)__builtin_return_address(0);
}

static uint8_t bucket(uint32_t n)
{
	return n == 0 ? 0 : n <= 3 ? (uint8_t)n : n <= 7 ? 4 : n <= 15 ? 5 :
	       n <= 31 ? 6 : n <= 127 ? 7 : 8;
}

struct input {
	char *path;
	uint8_t *data;
	size_t size;
};

static struct input inputs[MAX_INPUTS];
static unsigned n_inputs;

static void add_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct input *in;

	if (!f) {
		perror(path);
		exit(2);
	}
	if (n_inputs == MAX_INPUTS) {
		fprintf(stderr, "stability: more than %u inputs\n", MAX_INPUTS);
		exit(2);
	}
	in = &inputs[n_inputs++];
	in->path = strdup(path);
	in->data = malloc(MAX_INPUT_BYTES);
	in->size = fread(in->data, 1, MAX_INPUT_BYTES, f);
	fclose(f);
}

static void add(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (stat(path, &st)) {
		perror(path);
		exit(2);
	}
	if (!S_ISDIR(st.st_mode)) {
		add_file(path);
		return;
	}
	if (!(d = opendir(path))) {
		perror(path);
		exit(2);
	}
	while ((e = readdir(d))) {
		char p[4096];

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
		add(p);
	}
	closedir(d);
}

static void run(const struct input *in, uint8_t *map)
{
	memset(hits, 0, sizeof(hits[0]) * (n_edges + 1));
	hm_fuzz_one(in->data, in->size);
	for (uint32_t i = 1; i <= n_edges; i++)
		map[i] = bucket(hits[i]);
}

/* In a fresh process: 0 if input @k is stable. */
static int check(unsigned k, int verbose)
{
	static uint8_t m1[MAX_EDGES], m2[MAX_EDGES], m3[MAX_EDGES];
	unsigned bad = 0, seen = 0;

	if (hm_fuzz_init()) {
		fprintf(stderr, "stability: hm_fuzz_init failed\n");
		return 2;
	}
	run(&inputs[k], m1);
	run(&inputs[k], m2);
	for (unsigned j = 0; j < n_inputs; j++)
		if (j != k)
			run(&inputs[j], m3);
	run(&inputs[k], m3);
	for (uint32_t i = 1; i <= n_edges; i++) {
		seen += m1[i] != 0;
		if (m1[i] == m2[i] && m2[i] == m3[i])
			continue;
		if (bad++ < 20)
			printf("%s: edge %u at 0x%lx: buckets %u, %u, %u "
			       "(first run, again, after the others)\n",
			       inputs[k].path, i,
			       (unsigned long)(edge_pc[i] -
					       (uintptr_t)&__executable_start),
			       m1[i], m2[i], m3[i]);
	}
	if (verbose || bad)
		printf("%s: %u edges, %u unstable\n", inputs[k].path, seen, bad);
	hm_fuzz_cleanup();
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	int verbose = 0, worst = 0;
	unsigned unstable = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			verbose = 1;
		else
			add(argv[i]);
	}
	if (!n_inputs) {
		fprintf(stderr, "usage: %s [-v] FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (unsigned k = 0; k < n_inputs; k++) {
		pid_t pid;
		int st;

		fflush(stdout);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return 2;
		}
		if (pid == 0) {
			st = check(k, verbose);
			fflush(stdout);
			_exit(st);
		}
		if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st) > 1) {
			printf("%s: the check did not finish (status %#x)\n",
			       inputs[k].path, st);
			return 2;
		}
		if (WEXITSTATUS(st) == 1)
			unstable++;
		if (WEXITSTATUS(st) > worst)
			worst = WEXITSTATUS(st);
	}
	printf("stability: %u of %u inputs take the same edges every run\n",
	       n_inputs - unstable, n_inputs);
	return worst;
}
