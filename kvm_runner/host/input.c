/* SPDX-License-Identifier: MIT */
/*
 * input.c - op-sequence files (fuzz/ops.h: text or binary, told apart by
 * content) and folders of them (only their sequences: see is_sequence()),
 * translated into mailbox ops.
 *
 * The ops and their arguments are carried as written: the interpreter
 * (ops_exec.c) gives PFN, MAP and SLOT the meaning fuzz/op_meaning.h
 * defines for every runner, so a corpus seed maps the same frames here as
 * in the fuzzers, the same on both sides of the comparison.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz/ops.h"
#include "fuzz/seqfile.h"
#include "kvm_runner/host/runner.h"

static void translate(const struct hm_seq *seq, struct job *job)
{
	job->nr_cpus = seq->config.nr_cpus;
	job->flags |= hm_mb_config_flags(&seq->config);
	if (!seq->config.pae) {
		job->skip = true;
		snprintf(job->error, sizeof(job->error),
			 "2-level (nopae) paging: the guest's hardware tables "
			 "are PAE");
		return;
	}
	for (size_t i = 0; i < seq->n; i++) {
		const struct hm_op *op = &seq->op[i];

		if (op->code >= HM_OP__COUNT) {	/* strict decoding: never */
			snprintf(job->error, sizeof(job->error),
				 "op %zu: unknown code %u", i, op->code);
			return;
		}
		job__add(job, op->code, op->a, op->b);
	}
}

static int add_job(struct job **jobs, size_t *njobs, struct job **out)
{
	struct job *j = realloc(*jobs, (*njobs + 1) * sizeof(**jobs));

	if (!j)
		return -1;
	*jobs = j;
	*out = &j[(*njobs)++];
	memset(*out, 0, sizeof(**out));
	(*out)->nr_cpus = 1;
	return 0;
}

/* The job of a sequence: its CPUs and configuration, its ops. */
void input__job(const struct hm_seq *seq, const char *name, struct job *job)
{
	memset(job, 0, sizeof(*job));
	job->nr_cpus = 1;
	snprintf(job->name, sizeof(job->name), "%s", name);
	translate(seq, job);
}

static int load_file(const char *path, struct job **jobs, size_t *njobs)
{
	static struct hm_seq seq;
	struct job *job;
	char err[256];

	if (add_job(jobs, njobs, &job))
		return -1;
	snprintf(job->name, sizeof(job->name), "%s", path);
	/* A bad file is a failed job with the decoder's reason, not a stop:
	 * the rest of a folder still runs. */
	if (!hm_seq_load(path, &seq, err, sizeof(err))) {
		snprintf(job->error, sizeof(job->error), "%s", err);
		return 0;
	}
	input__job(&seq, path, job);
	return 0;
}
static int filter(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

/* Which files of a folder are op sequences, by corpus/'s layout: NAME.txt
 * (text form) and NAME.bin (binary form) anywhere, and in a regressions/
 * folder every file, since a fuzzer's crash file keeps the name it was
 * given (crash-SHA1).  README.md, BUILD.bazel, the .dict files and whatever
 * else sits beside the seeds are not sequences and are not read. */
static bool is_sequence(const char *dir, const char *name)
{
	const char *base = strrchr(dir, '/');

	base = base ? base + 1 : dir;
	return ends_with(name, ".txt") || ends_with(name, ".bin") ||
	       (!strcmp(base, "regressions") && !ends_with(name, ".md"));
}

static int load_dir(const char *path, struct job **jobs, size_t *njobs)
{
	struct dirent **names;
	int n = scandir(path, &names, filter, alphasort), rc = 0;

	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++) {
		char sub[4096];
		struct stat st;

		/* corpus/ as typed keeps its slash: no corpus//seed. */
		snprintf(sub, sizeof(sub), "%s%s%s", path,
			 ends_with(path, "/") ? "" : "/", names[i]->d_name);
		if (!rc && stat(sub, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				rc = load_dir(sub, jobs, njobs);
			else if (S_ISREG(st.st_mode) &&
				 is_sequence(path, names[i]->d_name))
				rc = load_file(sub, jobs, njobs);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

/* A named job that failed before it ran, with @why. */
static int add_failed(const char *path, const char *why, struct job **jobs,
		      size_t *njobs)
{
	struct job *job;

	if (add_job(jobs, njobs, &job))
		return -1;
	snprintf(job->name, sizeof(job->name), "%.*s",
		 (int)sizeof(job->name) - 1, path);
	snprintf(job->error, sizeof(job->error), "%s", why);
	return 0;
}

int input__load(const char *path, struct job **jobs, size_t *njobs)
{
	char alt[4096];
	const char *wd = getenv("BUILD_WORKING_DIRECTORY");
	struct stat st;

	/* Under "bazel run" the working directory is the runfiles tree: a
	 * relative path means the caller's directory. */
	if (stat(path, &st) < 0 && path[0] != '/' && wd) {
		snprintf(alt, sizeof(alt), "%s/%s", wd, path);
		if (stat(alt, &st) == 0)
			path = alt;
	}
	if (stat(path, &st) < 0) {
		char why[200];

		snprintf(why, sizeof(why),
			 "not a scenario, and no such file or folder (%s); "
			 "--list shows the scenarios", strerror(errno));
		return add_failed(path, why, jobs, njobs);
	}
	if (S_ISDIR(st.st_mode)) {
		size_t before = *njobs;

		if (load_dir(path, jobs, njobs))
			return -1;
		if (*njobs == before)
			return add_failed(path,
					  "a folder with no op sequences in "
					  "it or under it (NAME.txt, NAME.bin, "
					  "regressions/*)", jobs, njobs);
		return 0;
	}
	return load_file(path, jobs, njobs);
}
