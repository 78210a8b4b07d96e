/* kf-transfer-progress.c: posting transfer progress to the caller
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The transfer threads report how far they are; a KfProgress relays that,
 * at most ten times a second, to the main context that was the caller's
 * thread default when the transfer started, as idle sources, and runs the
 * caller's notify there once the last report is delivered.  Files that
 * landed travel in the same reports, several at a time: one wake-up of
 * the caller's thread per file cost a receiver of 10,000 small files as
 * much as writing them.
 */

#include "config.h"

#include "kf-transfer-private.h"

struct _KfProgress
{
  gatomicrefcount         ref;
  GMainContext           *context;
  KfTransferProgressFunc  func;
  gpointer                data;
  GDestroyNotify          notify;
  guint64                 total;
  gint64                  started;
  gint64                  last;
  /* Owned by the one thread that reports. */
  guint                   files_done;
  guint                   files_total;
  char                   *current;
  GPtrArray              *landed;       /* KfTransferFileResult not yet posted */
  guint64                 landed_bytes;
};

/* Files that landed wait at most this long, this many or this many bytes
 * before they are posted (a large file is posted as it lands). */
#define LANDED_MAX_DELAY_US 100000
#define LANDED_MAX_FILES    256
#define LANDED_MAX_BYTES    (1024 * 1024)

typedef struct
{
  KfProgress           *progress;
  KfTransferProgress    report;
  char                 *current;
  GPtrArray            *landed;     /* KfTransferFileResult, or NULL */
  KfTransferOffer      *offer;      /* a report of the offer alone, or NULL */
} ProgressItem;

/*
 * _kf_progress_new:
 *
 * Returns: (transfer full): a relay that calls @func on the thread-default
 * main context of the caller, whatever thread reports progress.
 */
KfProgress *
_kf_progress_new (KfTransferProgressFunc func,
                  gpointer               data,
                  GDestroyNotify         notify,
                  guint64                total)
{
  KfProgress *self = g_new0 (KfProgress, 1);

  g_atomic_ref_count_init (&self->ref);
  self->context = g_main_context_ref_thread_default ();
  self->func = func;
  self->data = data;
  self->notify = notify;
  self->total = total;
  self->started = g_get_monotonic_time ();
  return self;
}

/*
 * _kf_progress_set_total:
 *
 * Sets the total that reports carry, once the worker knows it.
 */
void
_kf_progress_set_total (KfProgress *self,
                        guint64     total)
{
  self->total = total;
}

/*
 * _kf_progress_set_files:
 *
 * Sets the file counts reports carry.
 */
void
_kf_progress_set_files (KfProgress *self,
                        guint       files_done,
                        guint       files_total)
{
  if (self == NULL)
    return;
  self->files_done = files_done;
  self->files_total = files_total;
}

/*
 * _kf_progress_set_current:
 * @path: (nullable): the relative path of the file in progress
 *
 * Sets the file that the next reports name.
 */
void
_kf_progress_set_current (KfProgress *self,
                          const char *path)
{
  if (self == NULL)
    return;
  g_free (self->current);
  self->current = g_strdup (path);
}

/* Queues @func on @context.  Never g_main_context_invoke(): when no thread
 * is iterating the context, it runs the callback at once on the calling
 * worker thread, where the caller's data may already be gone. */
static void
post_to_context (GMainContext   *context,
                 GSourceFunc     func,
                 gpointer        data,
                 GDestroyNotify  destroy)
{
  GSource *source = g_idle_source_new ();

  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, func, data, destroy);
  g_source_set_static_name (source, "[keyferry] transfer progress");
  g_source_attach (source, context);
  g_source_unref (source);
}

static gboolean
notify_cb (gpointer user_data)
{
  KfProgress *self = user_data;

  self->notify (self->data);
  g_main_context_unref (self->context);
  g_free (self->current);
  g_clear_pointer (&self->landed, g_ptr_array_unref);
  g_free (self);
  return G_SOURCE_REMOVE;
}

static void
progress_unref (KfProgress *self)
{
  if (!g_atomic_ref_count_dec (&self->ref))
    return;

  if (self->notify != NULL)
    {
      post_to_context (self->context, notify_cb, self, NULL);
      return;
    }
  g_main_context_unref (self->context);
  g_free (self->current);
  g_clear_pointer (&self->landed, g_ptr_array_unref);
  g_free (self);
}

static gboolean
progress_item_cb (gpointer user_data)
{
  ProgressItem *item = user_data;
  KfProgress *self = item->progress;

  if (item->offer != NULL)
    {
      item->report.offer = item->offer;
      self->func (&item->report, self->data);
      return G_SOURCE_REMOVE;
    }
  item->report.current_file = item->current;
  for (guint i = 0; item->landed != NULL && i < item->landed->len; i++)
    {
      item->report.landed = item->landed->pdata[i];
      self->func (&item->report, self->data);
    }
  item->report.landed = NULL;
  self->func (&item->report, self->data);
  return G_SOURCE_REMOVE;
}

static void
progress_item_free (gpointer user_data)
{
  ProgressItem *item = user_data;

  progress_unref (item->progress);
  g_free (item->current);
  g_clear_pointer (&item->landed, g_ptr_array_unref);
  g_clear_pointer (&item->offer, kf_transfer_offer_free);
  g_free (item);
}

/*
 * _kf_progress_update:
 * @force: report even when the last report is under 100 ms old
 *
 * Posts @done to the caller's main context, at most ten times a second
 * unless @force.  Called from one worker thread at a time.
 */
void
_kf_progress_update (KfProgress *self,
                     guint64     done,
                     gboolean    force)
{
  _kf_progress_post (self, done, force, NULL);
}

/*
 * _kf_progress_post:
 * @landed: (nullable): a file that was just saved or delivered
 *
 * As _kf_progress_update(), and queues @landed for the next report, which
 * goes out within 100 ms, or at once when enough files or bytes wait.
 * The caller's function is called once per landed file (@landed set),
 * then once for the report itself (@landed %NULL).
 */
void
_kf_progress_post (KfProgress                 *self,
                   guint64                     done,
                   gboolean                    force,
                   const KfTransferFileResult *landed)
{
  gint64 now = g_get_monotonic_time ();
  ProgressItem *item;
  double seconds;

  if (self == NULL || self->func == NULL)
    return;
  if (landed != NULL)
    {
      if (self->landed == NULL)
        self->landed = g_ptr_array_new_with_free_func ((GDestroyNotify) kf_transfer_file_result_free);
      g_ptr_array_add (self->landed, kf_transfer_file_result_copy (landed));
      self->landed_bytes += landed->size;
      force = force || self->landed->len >= LANDED_MAX_FILES
              || self->landed_bytes >= LANDED_MAX_BYTES;
    }
  if (!force && now - self->last < LANDED_MAX_DELAY_US)
    return;

  self->last = now;
  seconds = (double) (now - self->started) / G_USEC_PER_SEC;
  item = g_new0 (ProgressItem, 1);
  g_atomic_ref_count_inc (&self->ref);
  item->progress = self;
  item->report.done = done;
  item->report.total = self->total;
  item->report.bytes_per_second = seconds > 0 ? (double) done / seconds : 0;
  item->report.files_done = self->files_done;
  item->report.files_total = self->files_total;
  item->current = g_strdup (self->current);
  item->landed = g_steal_pointer (&self->landed);
  self->landed_bytes = 0;
  post_to_context (self->context, progress_item_cb, item, progress_item_free);
}

/*
 * _kf_progress_post_offer:
 *
 * Posts a report of its own carrying a copy of @offer (the manifest
 * shared, not copied), before any report posted later.
 */
void
_kf_progress_post_offer (KfProgress            *self,
                         const KfTransferOffer *offer)
{
  ProgressItem *item;

  if (self == NULL || self->func == NULL)
    return;

  item = g_new0 (ProgressItem, 1);
  g_atomic_ref_count_inc (&self->ref);
  item->progress = self;
  item->report.total = self->total;
  item->report.files_total = self->files_total;
  item->offer = kf_transfer_offer_copy (offer);
  post_to_context (self->context, progress_item_cb, item, progress_item_free);
}

/*
 * _kf_progress_free:
 *
 * Drops the worker's hold on the relay; the caller's notify runs on its
 * main context once every posted report has been delivered.  %NULL is
 * allowed.
 */
void
_kf_progress_free (KfProgress *self)
{
  if (self != NULL)
    progress_unref (self);
}
