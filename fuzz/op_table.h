/* SPDX-License-Identifier: MIT */
/*
 * op_table.h - the one list of ops.  Every op code, its name (the text
 * form's word) and the kinds of its arguments (which fix the binary form's
 * sizes and how the text form reads and prints them) come from here: the
 * fuzz format (ops.h, ops.c), the kvm_runner mailbox (mailbox.h), the guest
 * and the host's verifier share this one code space.
 *
 * Freestanding (the i386 guest includes it): enums, macros and inline
 * functions only.  What an op does, and what its arguments mean at run
 * time, is in op_meaning.h.
 */
#ifndef HM_FUZZ_OP_TABLE_H
#define HM_FUZZ_OP_TABLE_H

#include <stdint.h>

/* What an argument is; its size in the binary form is hm_op_arg_size(). */
enum hm_op_arg {
	HM_ARG_NONE,
	HM_ARG_PFN,	/* 4 bytes: a frame (op_meaning.h: the pool) */
	HM_ARG_SLOT,	/* 1 byte: this CPU's temporary map, 0 the newest;
			 * may be left out in the text form */
	HM_ARG_MAP,	/* 1 byte: a live mapping (op_meaning.h) */
	HM_ARG_CPU,	/* 1 byte: a CPU */
	HM_ARG_TYPE,	/* 1 byte: a km_type; KM_* names in the text form */
	HM_ARG_VALUE,	/* 4 bytes: data */
	HM_ARG_VADDR,	/* 4 bytes: a virtual address (guest-only ops) */
	HM_ARG_TASK,	/* 1 byte: a task (core/highmem.h: HM_MAX_TASKS) */
};

/*
 * X(CODE, name, first argument, second argument), in code order: the
 * binary form's code is the position in this list, so append only.
 */
#define HM_OP_TABLE(X)							\
	X(KMAP,			"kmap",			PFN,	NONE)	\
	X(KUNMAP,		"kunmap",		PFN,	NONE)	\
	X(KMAP_ATOMIC,		"kmap_atomic",		PFN,	NONE)	\
	X(KUNMAP_ATOMIC,	"kunmap_atomic",	SLOT,	NONE)	\
	X(KMAP_ATOMIC_TYPE,	"kmap_atomic_type",	PFN,	TYPE)	\
	X(KUNMAP_ATOMIC_TYPE,	"kunmap_atomic_type",	TYPE,	NONE)	\
	X(KMAP_LOCAL,		"kmap_local_page",	PFN,	NONE)	\
	X(KUNMAP_LOCAL,		"kunmap_local",		SLOT,	NONE)	\
	X(PAGE_ADDRESS,		"page_address",		PFN,	NONE)	\
	X(WRITE,		"write",		MAP,	VALUE)	\
	X(READ,			"read",			MAP,	NONE)	\
	X(CPU,			"cpu",			CPU,	NONE)	\
	X(FLUSH_UNUSED,		"kmap_flush_unused",	NONE,	NONE)	\
	X(KMAP_HIGH_GET,	"kmap_high_get",	PFN,	NONE)	\
	X(RESET,		"reset",		NONE,	NONE)	\
	X(SWITCH_TASK,		"switch_task",		TASK,	NONE)

/*
 * The guest-only ops, right after the table: they exist to make the
 * kvm_runner guest misbehave (its fault paths), are not in the fuzz format
 * (the fuzzers' codes stop at HM_OP__COUNT) and run only in the guest.
 */
#define HM_OP_GUEST_TABLE(X)						\
	X(TOUCH,		"touch",		VADDR,	NONE)	\
	X(HANG,			"hang",			NONE,	NONE)	\
	X(TRIPLE,		"triple_fault",		NONE,	NONE)

enum hm_op_code {
#define HM_OP_ENUM(code, name, a0, a1) HM_OP_##code,
	HM_OP_TABLE(HM_OP_ENUM)
	HM_OP__COUNT,			/* the fuzz format's codes end here */
	HM_OP__GUEST = HM_OP__COUNT - 1,
	HM_OP_GUEST_TABLE(HM_OP_ENUM)
	HM_OP__END			/* every code, guest-only ones too */
#undef HM_OP_ENUM
};

struct hm_op_info {
	const char *name;
	enum hm_op_arg arg[2];
};

/* The row of @code (any code below HM_OP__END), or NULL. */
static inline const struct hm_op_info *hm_op_info_of(uint32_t code)
{
	static const struct hm_op_info info[HM_OP__END] = {
#define HM_OP_INFO(code, name, a0, a1) \
	[HM_OP_##code] = { name, { HM_ARG_##a0, HM_ARG_##a1 } },
		HM_OP_TABLE(HM_OP_INFO)
		HM_OP_GUEST_TABLE(HM_OP_INFO)
#undef HM_OP_INFO
	};

	return code < HM_OP__END ? &info[code] : (const struct hm_op_info *)0;
}

/* The op's name, "?" for a code that is none. */
static inline const char *hm_op_name(uint32_t code)
{
	const struct hm_op_info *i = hm_op_info_of(code);

	return i ? i->name : "?";
}

/* Bytes an argument takes in the binary form. */
static inline unsigned hm_op_arg_size(enum hm_op_arg a)
{
	switch (a) {
	case HM_ARG_PFN:
	case HM_ARG_VALUE:
	case HM_ARG_VADDR:
		return 4;
	case HM_ARG_SLOT:
	case HM_ARG_MAP:
	case HM_ARG_CPU:
	case HM_ARG_TYPE:
	case HM_ARG_TASK:
		return 1;
	default:
		return 0;
	}
}

#endif /* HM_FUZZ_OP_TABLE_H */
