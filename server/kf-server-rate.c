/* kf-server-rate.c: so many actions per identity, refilled over time
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A token bucket per key (an identity's public key): @burst actions at
 * once, then one more each @refill_ms.  The key manager takes one for
 * every `conn`, so that one identity cannot pair with, and cancel, every
 * receiver that starts waiting (issue 14, item 6): whatever number of
 * connections it opens, they share its bucket.
 *
 * Memory stays bounded by the identities that acted recently: a bucket
 * that has filled up again is the same as no bucket, and is dropped the
 * next time the table is swept (when it has doubled since the last
 * sweep).
 */

#include "config.h"

#include "kf-server-rate.h"

typedef struct
{
  gint64 level_at;  /* when the bucket was last filled up to "now" */
  double tokens;
} Bucket;

struct _KfServerRate
{
  GHashTable *buckets;      /* key → Bucket */
  guint       burst;
  guint       refill_ms;
  guint       sweep_at;     /* sweep when the table reaches this size */
};

KfServerRate *
kf_server_rate_new (guint burst,
                    guint refill_ms)
{
  KfServerRate *self = g_new0 (KfServerRate, 1);

  self->buckets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->sweep_at = 64;
  kf_server_rate_set (self, burst, refill_ms);
  return self;
}

void
kf_server_rate_free (KfServerRate *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->buckets);
  g_free (self);
}

/*
 * kf_server_rate_set:
 * @burst: actions allowed at once, ≥ 1
 * @refill_ms: one action more per this many milliseconds, ≥ 1
 *
 * Changes the limits (on SIGHUP); buckets keep their tokens, capped.
 */
void
kf_server_rate_set (KfServerRate *self,
                    guint         burst,
                    guint         refill_ms)
{
  g_return_if_fail (burst >= 1 && refill_ms >= 1);

  self->burst = burst;
  self->refill_ms = refill_ms;
}

/* Brings @bucket's tokens up to @now_us. */
static void
refill (KfServerRate *self,
        Bucket       *bucket,
        gint64        now_us)
{
  if (now_us > bucket->level_at)
    {
      bucket->tokens += (double) (now_us - bucket->level_at) / (self->refill_ms * 1000.0);
      bucket->tokens = MIN (bucket->tokens, (double) self->burst);
    }
  bucket->level_at = MAX (bucket->level_at, now_us);
}

static void
sweep (KfServerRate *self,
       gint64        now_us)
{
  GHashTableIter iter;
  Bucket *bucket;

  g_hash_table_iter_init (&iter, self->buckets);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &bucket))
    {
      refill (self, bucket, now_us);
      if (bucket->tokens >= self->burst)
        g_hash_table_iter_remove (&iter);
    }
  self->sweep_at = MAX (64, 2 * g_hash_table_size (self->buckets));
}

/*
 * kf_server_rate_take:
 * @key: whose bucket
 * @now_us: the monotonic time
 * @retry_after_s: (out) (optional): when refused, whole seconds until
 *   one action is allowed again (at least 1)
 *
 * Returns: %TRUE and takes a token when @key has one; %FALSE otherwise.
 */
gboolean
kf_server_rate_take (KfServerRate *self,
                     const char   *key,
                     gint64        now_us,
                     guint        *retry_after_s)
{
  Bucket *bucket;

  g_return_val_if_fail (self != NULL && key != NULL, FALSE);

  bucket = g_hash_table_lookup (self->buckets, key);
  if (bucket == NULL)
    {
      if (g_hash_table_size (self->buckets) >= self->sweep_at)
        sweep (self, now_us);
      bucket = g_new0 (Bucket, 1);
      bucket->tokens = self->burst;
      bucket->level_at = now_us;
      g_hash_table_insert (self->buckets, g_strdup (key), bucket);
    }
  refill (self, bucket, now_us);
  if (bucket->tokens >= 1.0)
    {
      bucket->tokens -= 1.0;
      return TRUE;
    }
  if (retry_after_s != NULL)
    {
      double wait_ms = (1.0 - bucket->tokens) * self->refill_ms;

      *retry_after_s = MAX (1, (guint) ((wait_ms + 999.0) / 1000.0));
    }
  return FALSE;
}

/* How many buckets are kept: for the tests. */
guint
kf_server_rate_size (KfServerRate *self)
{
  return g_hash_table_size (self->buckets);
}
