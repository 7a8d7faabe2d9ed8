/* SPDX-License-Identifier: MIT */
/* bystanders.c - simulated CPUs run by parked threads; see bystanders.h. */
#include "bench/bystanders.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bystander {
	struct bystanders *all;
	unsigned cpu;
	pthread_t tid;
};

struct bystanders {
	struct hm_ctx *ctx;
	uint64_t first_pfn;
	unsigned pages_each;
	unsigned nr;		/* threads started */
	pthread_mutex_t lock;
	pthread_cond_t parked_cond;	/* parked changed: for the starter */
	pthread_cond_t stop_cond;	/* stop set: for the bystanders */
	unsigned parked;	/* under lock */
	bool stop;		/* under lock */
	struct bystander t[];
};

static void *bystander_run(void *arg)
{
	struct bystander *me = arg;
	struct bystanders *b = me->all;
	uint64_t pfn = b->first_pfn + (uint64_t)(me->cpu - 1) * b->pages_each;

	hm_set_cpu(b->ctx, me->cpu);
	for (unsigned i = 0; i < b->pages_each; i++) {
		struct page *page = hm_pfn_to_page(b->ctx, pfn + i);
		uint64_t v;

		if (hm_sim_read(b->ctx, hm_kmap(b->ctx, page), &v,
				sizeof(v)) != HM_OK)
			abort();
		hm_kunmap(b->ctx, page);
	}
	pthread_mutex_lock(&b->lock);
	b->parked++;
	pthread_cond_signal(&b->parked_cond);
	/* Woken by IPIs too (the wait restarts after the handler). */
	while (!b->stop)
		pthread_cond_wait(&b->stop_cond, &b->lock);
	pthread_mutex_unlock(&b->lock);
	/* Exiting unbinds the CPU (the simulator's thread-exit hook). */
	return NULL;
}

struct bystanders *bystanders_start(struct hm_ctx *ctx, uint64_t first_pfn,
				    unsigned pages_each, char *err,
				    size_t errsz)
{
	unsigned n = hm_config(ctx)->nr_cpus - 1;
	struct bystanders *b;
	int rc;

	if (first_pfn + (uint64_t)n * pages_each > hm_max_pfn(ctx)) {
		snprintf(err, errsz, "bystanders: %u x %u pages do not fit "
			 "in memory", n, pages_each);
		return NULL;
	}
	b = calloc(1, sizeof(*b) + n * sizeof(b->t[0]));
	if (!b) {
		snprintf(err, errsz, "bystanders: out of memory");
		return NULL;
	}
	b->ctx = ctx;
	b->first_pfn = first_pfn;
	b->pages_each = pages_each;
	pthread_mutex_init(&b->lock, NULL);
	pthread_cond_init(&b->parked_cond, NULL);
	pthread_cond_init(&b->stop_cond, NULL);
	for (unsigned i = 0; i < n; i++) {
		b->t[i] = (struct bystander){ .all = b, .cpu = i + 1 };
		rc = pthread_create(&b->t[i].tid, NULL, bystander_run, &b->t[i]);
		if (rc) {
			snprintf(err, errsz, "bystanders: pthread_create for "
				 "cpu %u: %s", i + 1, strerror(rc));
			bystanders_stop(b);
			return NULL;
		}
		b->nr++;
	}
	pthread_mutex_lock(&b->lock);
	while (b->parked < b->nr)
		pthread_cond_wait(&b->parked_cond, &b->lock);
	pthread_mutex_unlock(&b->lock);
	return b;
}

void bystanders_stop(struct bystanders *b)
{
	if (!b)
		return;
	pthread_mutex_lock(&b->lock);
	b->stop = true;
	pthread_cond_broadcast(&b->stop_cond);
	pthread_mutex_unlock(&b->lock);
	for (unsigned i = 0; i < b->nr; i++)
		pthread_join(b->t[i].tid, NULL);
	pthread_cond_destroy(&b->stop_cond);
	pthread_cond_destroy(&b->parked_cond);
	pthread_mutex_destroy(&b->lock);
	free(b);
}
