/* SPDX-License-Identifier: MIT */
/*
 * triage.c - hm_ops triage --target REPLAY_BIN --out DIR [--timeout S]
 *            [--max-runs N] FINDING...
 *
 * Each FINDING (a file, or a folder walked one level, text or binary,
 * binary decoded as the fuzzers read it) is replayed by REPLAY_BIN in a
 * child process (triage_run.c).  Findings with the same signature (the
 * first report line, numbers normalised) are one bug: the one with the
 * fewest ops is kept and minimised greedily (chunks of ops dropped, then
 * the extra CPUs), a change kept while the replay still fails with the
 * same signature, at most --max-runs replays per bug.  The result is
 * written as text to DIR/<signature words>.txt with the signature and the
 * original file in a header comment: a regression for corpus/NAME/.
 */
#include "fuzz/triage.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz/ops.h"
#include "fuzz/seqfile.h"
#include "fuzz/triage_run.h"

#define MAX_FINDINGS	4096

struct finding {
	char *path;
	size_t nr_ops;
	bool unreadable;
	struct triage_result res;
	int dup_of;		/* index of the kept one, or -1 */
};

struct triage {
	const char *bin;
	const char *out_dir;
	char workdir[64];
	char cand[128];		/* the candidate file, in workdir */
	unsigned timeout_s;
	unsigned max_runs;
	unsigned runs;
	struct finding f[MAX_FINDINGS];
	int n;
};

static struct hm_seq seq, trial;
static uint8_t buf[1 + HM_SEQ_MAX_OPS * 9];

static int usage(void)
{
	fprintf(stderr, "usage: hm_ops triage --target NAME_replay --out DIR "
			"[--timeout SECONDS] [--max-runs N] FINDING...\n");
	return 2;
}

static int add_path(struct triage *t, const char *path, bool top)
{
	struct stat st;

	if (stat(path, &st)) {
		fprintf(stderr, "hm_ops triage: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (S_ISDIR(st.st_mode) && top) {
		struct dirent **names;
		int n = scandir(path, &names, NULL, alphasort), rc = 0;

		if (n < 0) {
			fprintf(stderr, "hm_ops triage: %s: %s\n", path, strerror(errno));
			return 1;
		}
		for (int i = 0; i < n; i++) {
			char child[4096];

			if (names[i]->d_name[0] != '.') {
				snprintf(child, sizeof(child), "%s/%s", path, names[i]->d_name);
				rc |= add_path(t, child, false);
			}
			free(names[i]);
		}
		free(names);
		return rc;
	}
	if (!S_ISREG(st.st_mode))
		return 0;	/* a sub-folder: AFL++'s out/ has its README */
	if (t->n == MAX_FINDINGS) {
		fprintf(stderr, "hm_ops triage: more than %d findings\n", MAX_FINDINGS);
		return 1;
	}
	t->f[t->n].path = strdup(path);
	t->f[t->n++].dup_of = -1;
	return 0;
}

/* Write @s as the binary form (what every runner takes byte for byte) and
 * replay it. */
static bool run_seq(struct triage *t, const struct hm_seq *s,
		    struct triage_result *res)
{
	size_t len = hm_seq_encode(s, buf, sizeof(buf));
	FILE *f = fopen(t->cand, "wb");

	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		fprintf(stderr, "hm_ops triage: cannot write %s\n", t->cand);
		exit(1);
	}
	t->runs++;
	if (!triage_run(t->bin, t->cand, t->workdir, t->timeout_s, res)) {
		fprintf(stderr, "hm_ops triage: %s\n", res->sig);
		exit(1);
	}
	return res->failed;
}

static bool same_bug(struct triage *t, const struct hm_seq *s, const char *sig)
{
	struct triage_result res;

	return run_seq(t, s, &res) && !strcmp(res.sig, sig);
}

/* Greedy: drop chunks of ops, halving the chunk down to one op, while the
 * bug stays; then the CPUs beyond the first that no `cpu` op needs. */
static void minimise(struct triage *t, const char *sig)
{
	unsigned budget = t->runs + t->max_runs;

	for (size_t chunk = seq.n / 2 ? seq.n / 2 : 1; chunk; chunk /= 2) {
		for (size_t at = seq.n; at > 0 && t->runs < budget;) {
			size_t from = at >= chunk ? at - chunk : 0;

			trial = seq;
			memmove(&trial.op[from], &trial.op[at],
				(seq.n - at) * sizeof(trial.op[0]));
			trial.n = seq.n - (at - from);
			if (same_bug(t, &trial, sig))
				seq = trial;
			at = from;
		}
	}
	while (seq.config.nr_cpus > 1 && t->runs < budget) {
		trial = seq;
		trial.config.nr_cpus--;
		if (!same_bug(t, &trial, sig))
			break;
		seq = trial;
	}
}

/* DIR/<the signature's words>.txt, not one already written. */
static void out_name(struct triage *t, const char *sig, char *path, size_t size)
{
	char slug[64];
	size_t o = 0;

	for (const char *s = sig; *s && o + 1 < sizeof(slug) - 8; s++) {
		/* a lone N is a number normalise() replaced */
		bool number = *s == 'N' && (s == sig || !isalnum((unsigned char)s[-1])) &&
			      !isalnum((unsigned char)s[1]);

		if (isalnum((unsigned char)*s) && !number)
			slug[o++] = (char)tolower((unsigned char)*s);
		else if (o && slug[o - 1] != '_')
			slug[o++] = '_';
	}
	while (o && slug[o - 1] == '_')
		o--;
	slug[o] = '\0';
	if (!o)
		strcpy(slug, "finding");
	snprintf(path, size, "%s/%s.txt", t->out_dir, slug);
	for (int k = 2; !access(path, F_OK); k++)
		snprintf(path, size, "%s/%s_%d.txt", t->out_dir, slug, k);
}

static int write_regression(struct triage *t, const struct finding *f,
			    size_t from_ops, char *path, size_t size)
{
	FILE *out;

	out_name(t, f->res.sig, path, size);
	out = fopen(path, "w");
	if (!out) {
		fprintf(stderr, "hm_ops triage: %s: %s\n", path, strerror(errno));
		return 1;
	}
	fprintf(out, "# %s\n# minimised by hm_ops triage from %s (%zu ops)\n",
		f->res.sig, f->path, from_ops);
	hm_seq_print(&seq, out);
	if (fclose(out)) {
		fprintf(stderr, "hm_ops triage: cannot write %s\n", path);
		return 1;
	}
	return 0;
}

/* The candidate, and the crash-* files a libFuzzer build writes. */
static void clean_workdir(struct triage *t)
{
	DIR *d = opendir(t->workdir);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	rmdir(t->workdir);
}

static int parse_args(struct triage *t, int argc, char **argv)
{
	int rc = 0, i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (i + 1 >= argc)
			return usage();
		if (!strcmp(argv[i], "--target"))
			t->bin = argv[++i];
		else if (!strcmp(argv[i], "--out"))
			t->out_dir = argv[++i];
		else if (!strcmp(argv[i], "--timeout"))
			t->timeout_s = (unsigned)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--max-runs"))
			t->max_runs = (unsigned)strtoul(argv[++i], NULL, 0);
		else
			return usage();
	}
	if (!t->bin || !t->out_dir || i == argc || !t->timeout_s || !t->max_runs)
		return usage();
	if (access(t->bin, X_OK)) {
		fprintf(stderr, "hm_ops triage: --target %s: not an executable\n", t->bin);
		return 1;
	}
	if (mkdir(t->out_dir, 0777) && errno != EEXIST) {
		fprintf(stderr, "hm_ops triage: --out %s: %s\n", t->out_dir, strerror(errno));
		return 1;
	}
	for (; i < argc; i++)
		rc |= add_path(t, argv[i], true);
	if (!rc && !t->n) {
		fprintf(stderr, "hm_ops triage: no finding in the paths given\n");
		return 1;
	}
	return rc;
}

/* Every finding's signature, replayed as the fuzzer read it.  Returns 1
 * if one could not be read. */
static int replay_findings(struct triage *t)
{
	char err[256];
	int rc = 0;

	for (int i = 0; i < t->n; i++) {
		if (!hm_seq_load_lenient(t->f[i].path, &seq, err, sizeof(err))) {
			fprintf(stderr, "hm_ops triage: %s\n", err);
			t->f[i].unreadable = true;
			rc = 1;
			continue;
		}
		t->f[i].nr_ops = seq.n;
		run_seq(t, &seq, &t->f[i].res);
	}
	return rc;
}

/* One finding per signature, the shortest: the others are its dup_of. */
static void mark_duplicates(struct triage *t)
{
	for (int i = 0; i < t->n; i++)
		for (int j = 0; j < i && t->f[i].res.failed; j++)
			if (t->f[j].res.failed && t->f[j].dup_of < 0 &&
			    !strcmp(t->f[i].res.sig, t->f[j].res.sig)) {
				if (t->f[i].nr_ops < t->f[j].nr_ops) {
					for (int k = 0; k < i; k++)
						if (t->f[k].dup_of == j)
							t->f[k].dup_of = i;
					t->f[j].dup_of = i;
				} else {
					t->f[i].dup_of = j;
				}
				break;
			}
}

int triage_main(int argc, char **argv)
{
	static struct triage t = { .timeout_s = 30, .max_runs = 400 };
	char err[256], bin[4096], path[4096];
	int rc, kept = 0, dups = 0, clean = 0, bad = 0;

	rc = parse_args(&t, argc, argv);
	if (rc)
		return rc;
	/* The child runs in a folder of its own: make the target absolute. */
	if (!realpath(t.bin, bin)) {
		fprintf(stderr, "hm_ops triage: %s: %s\n", t.bin, strerror(errno));
		return 1;
	}
	t.bin = bin;
	strcpy(t.workdir, "/tmp/hm_triage.XXXXXX");
	if (!mkdtemp(t.workdir)) {
		fprintf(stderr, "hm_ops triage: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(t.cand, sizeof(t.cand), "%s/candidate", t.workdir);

	rc = replay_findings(&t);
	mark_duplicates(&t);

	for (int i = 0; i < t.n; i++) {
		struct finding *f = &t.f[i];

		if (f->unreadable) {
			bad++;
		} else if (!f->res.failed) {
			printf("not reproducible: %s\n", f->path);
			clean++;
		} else if (f->dup_of >= 0) {
			printf("duplicate: %s of %s\n", f->path, t.f[f->dup_of].path);
			dups++;
		} else {
			unsigned before = t.runs;

			hm_seq_load_lenient(f->path, &seq, err, sizeof(err));
			/* each step of a hang costs the whole timeout */
			if (!f->res.timed_out)
				minimise(&t, f->res.sig);
			if (write_regression(&t, f, f->nr_ops, path, sizeof(path))) {
				rc = 1;
				continue;
			}
			printf("kept: %s: %s\n  -> %s (%zu ops from %zu, %u runs)\n",
			       f->path, f->res.sig, path, seq.n, f->nr_ops,
			       t.runs - before);
			kept++;
		}
	}
	clean_workdir(&t);
	printf("triage: %d finding(s): %d bug(s) kept, %d duplicate(s), "
	       "%d not reproducible, %d unreadable; %u replays\n", t.n, kept,
	       dups, clean, bad, t.runs);
	return rc;
}
