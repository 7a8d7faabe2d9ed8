/* SPDX-License-Identifier: MIT */
#include "kvm_runner/host/tcg.h"

int tcg_machine__open(struct hm_machine **m, const char *qemu, char *why,
		      size_t whysz)
{
	*m = NULL;
	snprintf(why, whysz, "%s: not yet", qemu);
	return HM_EXIT_SKIP;
}
