/* SPDX-License-Identifier: MIT */
/*
 * ops.h - the op-sequence format shared by the fuzzers, the corpus, the
 * replay tests and kvm_runner.
 *
 * A sequence is a machine configuration followed by operations on the
 * highmem API.  It has two forms:
 *
 * Binary, what the fuzzers mutate: one configuration byte, then ops, each
 * an opcode byte followed by its arguments, little-endian:
 *
 *   config byte: bits 0-1 nr_cpus - 1, bit 2 no PAE, bit 3 debug_highmem,
 *                bit 4 the small PKMAP window (HM_SEQ_SMALL_WINDOW
 *                entries, else LAST_PKMAP), bits 5-6 the kernel: 0
 *                linux-4.7 (the default), 1 linux-2.6.24, 2 linux-6.1
 *                (3: strict decoding refuses it, lenient reads 0),
 *                bit 7 the reporting mode: 0 strict (the default), 1
 *                kernel (struct hm_config's report)
 *   op:          code (1 byte), then its arguments (op_table.h: the
 *                codes and argument kinds; hm_op_arg_size())
 *
 * Text, what people read and write: one op per line, '#' comments, blank
 * lines ignored, numbers in decimal or 0x hex:
 *
 *   config cpus 2 nopae debug     # optional, first; default: cpus 1, PAE
 *                                 # (and "pkmap 16": a 16-entry window,
 *                                 # "kernel linux-6.1": another profile,
 *                                 # "report kernel": do what the kernel
 *                                 # does, a WARN where it warns)
 *   kmap 0x38005                  # pfn
 *   write 0 0xdeadbeef            # through live mapping 0 (oldest first)
 *   kmap_atomic_type 0x38006 KM_USER0
 *   kunmap_atomic 0               # the most recent temporary map (+N: older)
 *   cpu 1
 *   switch_task 5                 # schedule task 5 in on this cpu
 *
 * Decoding binary is lenient by default (an unknown code is taken modulo
 * the number of codes, a truncated last op dropped) so every byte string is
 * a sequence; the strict mode used for files rejects both.  Values are
 * carried as written: what a PFN, MAP or SLOT means at run time, and where
 * a write lands, is op_meaning.h's.
 */
#ifndef HM_FUZZ_OPS_H
#define HM_FUZZ_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fuzz/op_meaning.h"
#include "fuzz/op_table.h"

struct hm_op {
	uint8_t code;	/* enum hm_op_code, below HM_OP__COUNT */
	uint32_t a, b;
};

/* The most ops one sequence holds; longer inputs are cut here, which also
 * bounds the work a fuzzer spends on one input. */
#define HM_SEQ_MAX_OPS	4096

struct hm_seq {
	struct hm_seq_config config;
	size_t n;
	struct hm_op op[HM_SEQ_MAX_OPS];
};

/* Decode @size bytes.  Strict: false on an unknown code, a truncated op or
 * more than HM_SEQ_MAX_OPS ops, with @err saying where.  Lenient: always
 * true.  An empty input is the default configuration and no op. */
bool hm_seq_decode(const uint8_t *data, size_t size, bool strict,
		   struct hm_seq *seq, char *err, size_t errsz);
/* Encode into @buf; returns the length needed (write nothing if larger
 * than @size). */
size_t hm_seq_encode(const struct hm_seq *seq, uint8_t *buf, size_t size);

/* Parse the text form; false with "line N: ..." in @err. */
bool hm_seq_parse(const char *text, struct hm_seq *seq, char *err,
		  size_t errsz);
/* Print one op as a text line, without newline, into @buf. */
void hm_op_format(const struct hm_op *op, char *buf, size_t size);
/* Print the whole sequence as text, config line first. */
void hm_seq_print(const struct hm_seq *seq, void *file /* FILE * */);

/* The config byte: every byte below HM_SEQ_CONFIGS whose kernel bits are
 * not 3 is one configuration (hm_seq_config_valid); strict mode first,
 * then, from 0x80, kernel mode. */
#define HM_SEQ_CONFIGS	224
static inline bool hm_seq_config_valid(unsigned b)
{
	return b < HM_SEQ_CONFIGS && (b & 0x60u) != 0x60u;
}
uint8_t hm_seq_config_byte(const struct hm_seq_config *c);
void hm_seq_config_from_byte(uint8_t b, struct hm_seq_config *c);
/* The config line, without newline, into @buf. */
void hm_seq_config_format(const struct hm_seq_config *c, char *buf,
			  size_t size);

#endif /* HM_FUZZ_OPS_H */
