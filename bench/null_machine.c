/* SPDX-License-Identifier: MIT */
/*
 * null_machine.c - core/machine.c (hm_create, hm_destroy, hm_set_cpu over
 * the machine hooks) for the minimal backend, under the nullcore_ names of
 * its copy of the core.  The same source as the simulator's, not a copy.
 */
#include "bench/nullcore_names.h"

#include "core/machine.c"
