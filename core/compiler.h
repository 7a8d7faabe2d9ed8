/* SPDX-License-Identifier: MIT */
/*
 * compiler.h - the kernel's name (compiler_types.h) for code left out of
 * coverage instrumentation, for every C file of the project that has such
 * code (the core's bookkeeping, fuzz/'s decoder, kvm_runner's memory scan).
 * clang >= 13 and gcc >= 12 know the attribute; elsewhere it is nothing.
 */
#ifndef HM_COMPILER_H
#define HM_COMPILER_H

#if defined(__clang__) && __clang_major__ >= 13
#define __no_sanitize_coverage	__attribute__((no_sanitize("coverage")))
#elif !defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 12
#define __no_sanitize_coverage	__attribute__((no_sanitize_coverage))
#else
#define __no_sanitize_coverage
#endif

#endif /* HM_COMPILER_H */
