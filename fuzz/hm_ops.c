/* SPDX-License-Identifier: MIT */
/*
 * hm_ops.c - convert op sequences between their text and binary forms.
 *
 *   hm_ops encode IN.txt OUT.bin   text to binary (what fuzzers read)
 *   hm_ops decode IN.bin           binary to text, on stdout, decoded as the
 *                                  fuzzers do (unknown codes taken modulo,
 *                                  a cut-off last op dropped)
 *   hm_ops check FILE...           parse each file (either form), say why not
 *   hm_ops triage --target NAME_replay --out DIR FINDING...
 *                                  dedupe findings by report, minimise
 *                                  each into DIR as text (triage.c)
 *
 * Files are told apart by content: a binary sequence holds op codes below
 * 0x10, never all printable; text is (seqfile.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz/ops.h"
#include "fuzz/seqfile.h"
#include "fuzz/triage.h"

static int usage(FILE *f, int rc)
{
	fprintf(f, "usage: hm_ops encode IN.txt OUT.bin\n"
		   "       hm_ops decode IN.bin\n"
		   "       hm_ops check FILE...\n"
		   "       hm_ops triage --target NAME_replay --out DIR "
		   "[--timeout SECONDS] [--max-runs N] FINDING...\n");
	return rc;
}

int main(int argc, char **argv)
{
	static struct hm_seq seq;
	const char *wd = getenv("BUILD_WORKING_DIRECTORY");
	char err[256];

	/* under bazel run, paths are relative to where it was started */
	if (wd && chdir(wd)) {
		fprintf(stderr, "hm_ops: cannot enter %s\n", wd);
		return 2;
	}
	if (argc < 2)
		return usage(stderr, 2);
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return usage(stdout, 0);

	if (!strcmp(argv[1], "triage"))
		return triage_main(argc - 1, argv + 1);
	if (!strcmp(argv[1], "encode") && argc == 4) {
		static uint8_t buf[1 + HM_SEQ_MAX_OPS * 9];
		size_t len;
		FILE *out;

		if (!hm_seq_load(argv[2], &seq, err, sizeof(err))) {
			fprintf(stderr, "hm_ops: %s\n", err);
			return 1;
		}
		len = hm_seq_encode(&seq, buf, sizeof(buf));
		out = fopen(argv[3], "wb");
		if (!out || fwrite(buf, 1, len, out) != len || fclose(out)) {
			fprintf(stderr, "hm_ops: cannot write %s\n", argv[3]);
			return 1;
		}
		return 0;
	}
	if (!strcmp(argv[1], "decode") && argc == 3) {
		/* as the fuzzers read it, so a crash file prints as the steps
		 * the target ran */
		if (!hm_seq_load_lenient(argv[2], &seq, err, sizeof(err))) {
			fprintf(stderr, "hm_ops: %s\n", err);
			return 1;
		}
		hm_seq_print(&seq, stdout);
		return 0;
	}
	if (!strcmp(argv[1], "check") && argc >= 3) {
		int bad = 0;

		for (int i = 2; i < argc; i++) {
			if (hm_seq_load(argv[i], &seq, err, sizeof(err))) {
				printf("%s: %zu ops\n", argv[i], seq.n);
			} else {
				fprintf(stderr, "hm_ops: %s\n", err);
				bad = 1;
			}
		}
		return bad;
	}
	return usage(stderr, 2);
}
