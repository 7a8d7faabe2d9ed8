/* SPDX-License-Identifier: MIT */
/*
 * input.c - op-sequence files (fuzz/ops.h: text or binary, told apart by
 * content) and folders of them, translated into mailbox ops.
 *
 * The ops and their arguments are carried as written: the interpreter
 * (ops_exec.c) gives PFN, MAP and SLOT the meaning fuzz/op_meaning.h
 * defines for every runner, so a corpus seed maps the same frames here as
 * in the fuzzers, the same on both sides of the comparison.
 */
#include <dirent.h>
#include <errno.h>
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
	translate(&seq, job);
	return 0;
}

static int filter(const struct dirent *d)
{
	return d->d_name[0] != '.';
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
		size_t len = strlen(names[i]->d_name);

		snprintf(sub, sizeof(sub), "%s/%s", path, names[i]->d_name);
		if (!rc && stat(sub, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				rc = load_dir(sub, jobs, njobs);
			/* Dictionaries sit beside the seeds. */
			else if (S_ISREG(st.st_mode) &&
				 !(len > 5 && !strcmp(names[i]->d_name + len - 5,
						      ".dict")))
				rc = load_file(sub, jobs, njobs);
		}
		free(names[i]);
	}
	free(names);
	return rc;
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
		struct job *job;

		if (add_job(jobs, njobs, &job))
			return -1;
		snprintf(job->name, sizeof(job->name), "%.*s",
			 (int)sizeof(job->name) - 1, path);
		snprintf(job->error, sizeof(job->error),
			 "not a scenario, and no such file or folder (%s); "
			 "--list shows the scenarios", strerror(errno));
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		return load_dir(path, jobs, njobs);
	return load_file(path, jobs, njobs);
}
