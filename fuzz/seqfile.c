/* SPDX-License-Identifier: MIT */
#include "fuzz/seqfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Larger than any sequence can be in either form. */
#define SEQ_FILE_MAX	(1u << 20)

bool hm_seq_is_text(const unsigned char *data, size_t size)
{
	/* A binary sequence starts with a config byte and holds op codes
	 * below 0x10 and raw argument bytes: it is never all printable.  (Its first byte alone would not do: 0x09, 0x0a and 0x0d
	 * are config bytes as well as white space.) */
	if (!size)
		return false;
	for (size_t i = 0; i < size; i++)
		if ((data[i] < 0x20 || data[i] > 0x7e) && data[i] != '\t' &&
		    data[i] != '\n' && data[i] != '\r')
			return false;
	return true;
}

static bool load(const char *path, struct hm_seq *seq, bool strict,
		 char *err, size_t errsz)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf;
	size_t len;
	bool ok;
	char why[200];

	if (!f) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return false;
	}
	buf = malloc(SEQ_FILE_MAX + 1);
	if (!buf) {
		fclose(f);
		snprintf(err, errsz, "%s: out of memory", path);
		return false;
	}
	len = fread(buf, 1, SEQ_FILE_MAX + 1, f);
	fclose(f);
	if (len > SEQ_FILE_MAX) {
		free(buf);
		snprintf(err, errsz, "%s: larger than %u bytes", path,
			 SEQ_FILE_MAX);
		return false;
	}
	if (hm_seq_is_text(buf, len)) {
		buf[len] = '\0';
		if (strlen((char *)buf) != len) {
			ok = false;
			snprintf(why, sizeof(why), "a NUL byte in text");
		} else {
			ok = hm_seq_parse((char *)buf, seq, why, sizeof(why));
		}
	} else {
		ok = hm_seq_decode(buf, len, strict, seq, why, sizeof(why));
	}
	free(buf);
	if (!ok)
		snprintf(err, errsz, "%s: %s", path, why);
	return ok;
}

bool hm_seq_load(const char *path, struct hm_seq *seq, char *err,
		 size_t errsz)
{
	return load(path, seq, true, err, errsz);
}

bool hm_seq_load_lenient(const char *path, struct hm_seq *seq, char *err,
			 size_t errsz)
{
	return load(path, seq, false, err, errsz);
}
