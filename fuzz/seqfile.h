/* SPDX-License-Identifier: MIT */
/* seqfile.h - read an op sequence from a file in either form. */
#ifndef HM_FUZZ_SEQFILE_H
#define HM_FUZZ_SEQFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "fuzz/ops.h"

/* True if @data is the text form: printable ASCII and white space only,
 * which a binary sequence never is. */
bool hm_seq_is_text(const unsigned char *data, size_t size);

/* Load @path, text or binary (strict), into @seq; false with the file name
 * and the reason in @err. */
bool hm_seq_load(const char *path, struct hm_seq *seq, char *err,
		 size_t errsz);
/* The same, but binary is decoded leniently, as the fuzzers read their
 * inputs: what a crash file made the target do. */
bool hm_seq_load_lenient(const char *path, struct hm_seq *seq, char *err,
			 size_t errsz);

#endif
