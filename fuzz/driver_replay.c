/* SPDX-License-Identifier: MIT */
/*
 * driver_replay.c - runs a fuzz target (fuzz/target.h) over files, without
 * a fuzzing engine: the corpus replay of `bazel test`, and a way to rerun
 * one input under a debugger.
 *
 *   bazel run //fuzz:kmap_ops_replay -- corpus/kmap_ops crash-1234
 *   bazel-bin/fuzz/kmap_ops_replay [--binary] FILE|DIR...
 *
 * Each argument is a file or a folder (walked recursively, in name order).
 * A file in the text form (fuzz/ops.h, told apart by hm_seq_is_text()) is
 * parsed and encoded first, so checked-in seeds replay as they are
 * written; any other file is passed as it is, byte for byte, as a fuzzer
 * found it.  --binary passes every file as it is (the compiled seeds of
 * NAME_replay_test).  Relative paths are taken from where `bazel run` was
 * started.
 *
 * Exit status: 0 when every input ran (a finding aborts the process with
 * the target's report), 1 when a file cannot be read or parsed, 2 on
 * usage errors.
 */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz/ops.h"
#include "fuzz/seqfile.h"
#include "fuzz/target.h"

static struct hm_seq seq;
static uint8_t encoded[1 + HM_SEQ_MAX_OPS * 9];
static unsigned long nr_inputs;
static bool all_binary;

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t size = 0, cap = 0;
	char err[256];

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (;;) {
		if (size == cap) {
			uint8_t *p;

			cap = cap ? 2 * cap : 4096;
			p = realloc(data, cap + 1);
			if (!p) {
				fprintf(stderr, "replay: %s: out of memory\n",
					path);
				free(data);
				fclose(f);
				return 1;
			}
			data = p;
		}
		size_t n = fread(data + size, 1, cap - size, f);

		if (!n)
			break;
		size += n;
	}
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		free(data);
		fclose(f);
		return 1;
	}
	fclose(f);

	fprintf(stderr, "Running: %s\n", path);
	if (!all_binary && size && hm_seq_is_text(data, size)) {
		size_t len;

		data[size] = '\0';
		if (!hm_seq_parse((const char *)data, &seq, err, sizeof(err))) {
			fprintf(stderr, "replay: %s: %s\n", path, err);
			free(data);
			return 1;
		}
		len = hm_seq_encode(&seq, encoded, sizeof(encoded));
		hm_fuzz_one(encoded, len);
	} else {
		hm_fuzz_one(data, size);
	}
	nr_inputs++;
	free(data);
	return 0;
}

static int replay_path(const char *path)
{
	struct dirent **names;
	struct stat st;
	int n, rc = 0;

	if (stat(path, &st)) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);

	n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		if (name[0] != '.') {
			size_t len = strlen(path) + strlen(name) + 2;
			char *child = malloc(len);

			if (!child) {
				rc = 1;
			} else {
				snprintf(child, len, "%s/%s", path, name);
				rc |= replay_path(child);
				free(child);
			}
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	const char *wd = getenv("BUILD_WORKING_DIRECTORY");
	int rc = 0, nr_args = 0, first = 1;

	if (argc > 1 && !strcmp(argv[1], "--binary")) {
		all_binary = true;
		first = 2;
	}
	if (argc <= first || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fprintf(argc <= first ? stderr : stdout,
			"usage: %s [--binary] FILE|DIR...\n", argv[0]);
		return argc <= first ? 2 : 0;
	}
	/* Under `bazel run` the current directory is the runfiles tree. */
	if (wd && chdir(wd)) {
		fprintf(stderr, "replay: cannot cd to %s: %s\n", wd,
			strerror(errno));
		return 2;
	}
	if (hm_fuzz_init()) {
		fprintf(stderr, "replay: hm_fuzz_init failed\n");
		return 1;
	}
	for (int i = first; i < argc; i++) {
		/* An empty list from the BUILD file's $(rootpaths) */
		if (!argv[i][0])
			continue;
		nr_args++;
		rc |= replay_path(argv[i]);
	}
	hm_fuzz_cleanup();
	if (!nr_args) {
		fprintf(stderr, "replay: nothing to replay\n");
		return 2;
	}
	fprintf(stderr, "replay: %lu input(s) ran%s\n", nr_inputs,
		rc ? ", some files could not be read" : "");
	return rc;
}
