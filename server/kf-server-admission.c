/* kf-server-admission.c: who may come in: greeting limits, passphrase
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * KfServerAdmission holds the limits on connections in their greeting
 * (in total and per source address), on clients in all and greeted
 * clients per address, and the optional admission passphrase.  A reload
 * makes a new one (the passphrase is hashed in a worker) that takes over
 * the connections the old one counted (kf_server_admission_take_over()).
 *
 * Greeting limits.  A connection counts as pending from its accept()
 * until its `hello` is welcomed or it closes.  When all max_pending slots
 * are taken (but not all of its address's), the oldest connection that
 * has not even sent its ClientHello gives its slot up, or else a TLS
 * handshake that waits for its peer, or else the oldest waiting to start
 * one: a real client sends its ClientHello at once and finishes the
 * handshake one round trip after it starts, so silent, trickling or
 * stalled connections from many addresses can only keep one out by
 * replacing each other faster than that.  Only when every slot holds a
 * connection past its handshake is the new one refused.  Once greeted, a
 * client counts against max_clients_per_address until it closes.
 *
 * The passphrase.  KfServerSecret (kf-server-secret.c) holds what a
 * client's passphrase is compared with; a check runs in a worker thread.
 *
 * Argon2id costs a quarter of a second and 64 MiB by design, so at most
 * kdf_max_concurrent checks run at once and at most kdf_max_queued wait;
 * beyond that a check fails at once as "busy".  Each failure from a source
 * address doubles the delay before that address's next check is even
 * started (auth_penalty_ms, 2×, 4×… up to auth_penalty_max_ms), forgotten
 * 15 minutes after the last failure.
 *
 * Per address alone, the guess rate grows with the number of addresses an
 * attacker has, so there is a global budget too: every check counts as a
 * failure from when it is asked for until it succeeds, and one failure is
 * forgotten per auth_global_forget_ms.  While more than auth_global_burst
 * are counted, checks start one at a time, auth_global_penalty_ms apart,
 * the spacing doubling for every further auth_global_burst failures up to
 * auth_global_penalty_max_ms.  With the defaults (10, 1 s up to 8 s, one
 * forgotten per 5 s) a sustained attack from any number of addresses gets
 * about 12 guesses a minute, and everyone's check waits behind it.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "kf-protocol.h"
#include "kf-secure.h"
#include "kf-server-admission.h"
#include "kf-server-log.h"
#include "kf-server-secret.h"

#define PENALTY_FORGET_US (15 * G_TIME_SPAN_MINUTE)
#define PENALTY_MAX_HOSTS 10000

typedef struct
{
  guint  failures;
  gint64 last_failure;
} Penalty;

struct _KfServerAdmission
{
  GObject           parent_instance;

  KfServerSecret   *secret;         /* NULL: no passphrase required */
  guint             max_concurrent;
  guint             max_queued;
  guint             penalty_ms;
  guint             penalty_max_ms;
  guint             running;
  GQueue            queued;         /* GTask, waiting for a free slot */
  GHashTable       *penalties;      /* address → Penalty */
  guint             global_burst;
  guint             global_penalty_ms;
  guint             global_penalty_max_ms;
  guint             global_forget_ms;
  double            global_level;   /* checks asked for and failures, decaying */
  gint64            global_updated; /* when global_level was last decayed */
  gint64            global_next;    /* the earliest start of the next gated check */

  guint             max_clients;
  guint             max_clients_per_address;
  guint             max_pending;
  guint             max_pending_per_address;
  GHashTable       *pending;        /* set: not greeted yet (borrowed) */
  GHashTable       *pending_by_address;  /* address → count */
  GHashTable       *greeted_by_address;  /* address → count */
};

typedef struct
{
  char   *passphrase;         /* secure memory */
  char   *address;
} Check;

G_DEFINE_FINAL_TYPE (KfServerAdmission, kf_server_admission, G_TYPE_OBJECT)

static void
check_free (Check *check)
{
  kf_secure_strfree (check->passphrase);
  g_free (check->address);
  g_free (check);
}

static void
kf_server_admission_finalize (GObject *object)
{
  KfServerAdmission *self = KF_SERVER_ADMISSION (object);

  g_assert (g_queue_is_empty (&self->queued));
  g_clear_pointer (&self->secret, kf_server_secret_free);
  g_hash_table_unref (self->penalties);
  g_hash_table_unref (self->pending);
  g_hash_table_unref (self->pending_by_address);
  g_hash_table_unref (self->greeted_by_address);

  G_OBJECT_CLASS (kf_server_admission_parent_class)->finalize (object);
}

static void
kf_server_admission_class_init (KfServerAdmissionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kf_server_admission_finalize;
}

static void
kf_server_admission_init (KfServerAdmission *self)
{
  g_queue_init (&self->queued);
  self->penalties = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->pending = g_hash_table_new (NULL, NULL);
  self->pending_by_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->greeted_by_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/*
 * kf_server_admission_new:
 * @passphrase: (nullable): the admission passphrase, or %NULL for none;
 *   when @config->passphrase_is_hash, a stored Argon2id PHC string instead
 *
 * Returns: (transfer full): the admission check, or %NULL with @error when
 * the stored hash is malformed (or unusable in FIPS mode), secure memory
 * is exhausted or hashing fails.  @passphrase is not kept.
 */
KfServerAdmission *
kf_server_admission_new (const char            *passphrase,
                         const KfServerConfig  *config,
                         GError               **error)
{
  g_autoptr(KfServerAdmission) self = g_object_new (KF_TYPE_SERVER_ADMISSION, NULL);

  self->max_concurrent = MAX (config->kdf_max_concurrent, 1);
  self->max_queued = config->kdf_max_queued;
  self->penalty_ms = config->auth_penalty_ms;
  self->penalty_max_ms = config->auth_penalty_max_ms;
  self->global_burst = MAX (config->auth_global_burst, 1);
  self->global_penalty_ms = config->auth_global_penalty_ms;
  self->global_penalty_max_ms = config->auth_global_penalty_max_ms;
  self->global_forget_ms = MAX (config->auth_global_forget_ms, 1);
  self->global_updated = g_get_monotonic_time ();
  self->max_clients = config->max_clients;
  self->max_clients_per_address = config->max_clients_per_address;
  self->max_pending = config->max_pending;
  self->max_pending_per_address = config->max_pending_per_address;
  if (passphrase == NULL)
    return g_steal_pointer (&self);

  self->secret = kf_server_secret_new (passphrase, config, error);
  if (self->secret == NULL)
    return NULL;

  return g_steal_pointer (&self);
}

/*
 * kf_server_admission_take_over:
 * @old: the admission @self replaces
 *
 * @self counts, from now on, the connections @old counted (pending, and
 * greeted per address), under its own limits.  @old counts none after.
 */
void
kf_server_admission_take_over (KfServerAdmission *self,
                               KfServerAdmission *old)
{
  g_return_if_fail (KF_IS_SERVER_ADMISSION (self) && KF_IS_SERVER_ADMISSION (old));
  g_return_if_fail (g_hash_table_size (self->pending) == 0);

  g_hash_table_unref (self->pending);
  g_hash_table_unref (self->pending_by_address);
  g_hash_table_unref (self->greeted_by_address);
  self->pending = g_steal_pointer (&old->pending);
  self->pending_by_address = g_steal_pointer (&old->pending_by_address);
  self->greeted_by_address = g_steal_pointer (&old->greeted_by_address);
  old->pending = g_hash_table_new (NULL, NULL);
  old->pending_by_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  old->greeted_by_address = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/* Adds @delta to @address's count in @table, forgetting it at zero. */
static void
count_address (GHashTable *table,
               const char *address,
               int         delta)
{
  guint count = GPOINTER_TO_UINT (g_hash_table_lookup (table, address)) + (guint) delta;

  if (count == 0)
    g_hash_table_remove (table, address);
  else
    g_hash_table_insert (table, g_strdup (address), GUINT_TO_POINTER (count));
}

/* Whether @a should give its slot up before @b: one without a ClientHello
 * before one in its handshake, then the older. */
static gboolean
evict_first (KfServerClient *a,
             KfServerClient *b)
{
  if (kf_server_client_is_before_hello (a) != kf_server_client_is_before_hello (b))
    return kf_server_client_is_before_hello (a);
  return kf_server_client_get_accepted_at (a) < kf_server_client_get_accepted_at (b);
}

/* The pending connection to close for a new one: the oldest that has not
 * sent its TLS ClientHello, else the oldest whose handshake has not
 * finished; %NULL if none. */
static KfServerClient *
oldest_in_handshake (KfServerAdmission *self)
{
  KfServerClient *oldest = NULL;
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->pending);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      KfServerClient *client = key;

      if (kf_server_client_get_phase (client) == KF_CLIENT_HANDSHAKE
          && (oldest == NULL || evict_first (client, oldest)))
        oldest = client;
    }
  return oldest;
}

/* Makes room for a connection from @for_address: closes the oldest
 * connection that has sent no ClientHello yet, or else the running TLS
 * handshake that has waited longest for its peer (its thread goes to a
 * handshake that waits), or else the oldest connection still waiting to
 * start its handshake; %FALSE if there is none. */
static gboolean
evict_silent (KfServerAdmission  *self,
              KfServerHandshakes *handshakes,
              const char         *for_address)
{
  KfServerClient *oldest = oldest_in_handshake (self);

  if (oldest == NULL)
    return FALSE;
  if (!kf_server_client_is_before_hello (oldest)
      && kf_server_handshakes_evict_stalled (handshakes))
    return TRUE;
  g_debug ("Closing a connection from %s still in its handshake after %" G_GINT64_FORMAT
           " ms, to make room for one from %s", kf_server_client_get_address (oldest),
           (g_get_monotonic_time () - kf_server_client_get_accepted_at (oldest)) / 1000,
           for_address);
  kf_server_client_close (oldest, FALSE);
  return TRUE;
}

/*
 * kf_server_admission_admit_connection:
 * @client: a new connection (or detached client), not started yet
 * @handshakes: where a stalled handshake may be evicted for it
 *
 * Applies the limits on connections in their greeting (see above),
 * making room when it can.  Returns %TRUE with @client counted as
 * pending, or %FALSE (logged) when it must be dropped.
 */
gboolean
kf_server_admission_admit_connection (KfServerAdmission  *self,
                                      KfServerClient     *client,
                                      KfServerHandshakes *handshakes)
{
  const char *address = kf_server_client_get_address (client);
  guint per_address = GPOINTER_TO_UINT (g_hash_table_lookup (self->pending_by_address, address));

  g_return_val_if_fail (KF_IS_SERVER_ADMISSION (self), FALSE);

  if (g_hash_table_size (self->pending) >= self->max_pending
      && per_address < self->max_pending_per_address)
    evict_silent (self, handshakes, address);
  if (g_hash_table_size (self->pending) >= self->max_pending)
    {
      kf_server_log_event (&(KfServerLogEvent) { .message_id = KF_LOG_ADMISSION_REFUSED,
                                                  .address = address },
                           "Dropping a connection from %s: %u connections are already in their greeting",
                           address, self->max_pending);
      return FALSE;
    }
  if (per_address >= self->max_pending_per_address)
    {
      kf_server_log_event (&(KfServerLogEvent) { .message_id = KF_LOG_ADMISSION_REFUSED,
                                                  .address = address },
                           "Dropping a connection from %s: it already has %u connections in their greeting",
                           address, per_address);
      return FALSE;
    }
  count_address (self->pending_by_address, address, 1);
  g_hash_table_add (self->pending, client);
  return TRUE;
}

/*
 * kf_server_admission_has_room:
 * @n_connections: the connections the server holds, @client's included
 *
 * Whether @client, just through its TLS handshake, fits within
 * max_clients.  %FALSE is logged.
 */
gboolean
kf_server_admission_has_room (KfServerAdmission *self,
                              KfServerClient    *client,
                              guint              n_connections)
{
  g_return_val_if_fail (KF_IS_SERVER_ADMISSION (self), FALSE);

  if (n_connections <= self->max_clients)
    return TRUE;
  kf_server_log (KF_LOG_ADMISSION_REFUSED, client, NULL,
                 "Refusing %s: the server is at its limit of %u clients",
                 kf_server_client_get_address (client), self->max_clients);
  return FALSE;
}

/* @client no longer counts as pending. */
static void
pending_remove (KfServerAdmission *self,
                KfServerClient    *client)
{
  if (g_hash_table_remove (self->pending, client))
    count_address (self->pending_by_address, kf_server_client_get_address (client), -1);
}

/*
 * kf_server_admission_admit_greeted:
 *
 * @client sent a good `hello`: it stops counting as pending and counts
 * against its address's max_clients_per_address.  Returns %FALSE
 * (logged, nothing changed) when its address already has that many.
 */
gboolean
kf_server_admission_admit_greeted (KfServerAdmission *self,
                                   KfServerClient    *client)
{
  const char *address = kf_server_client_get_address (client);

  g_return_val_if_fail (KF_IS_SERVER_ADMISSION (self), FALSE);

  if (GPOINTER_TO_UINT (g_hash_table_lookup (self->greeted_by_address, address))
      >= self->max_clients_per_address)
    {
      kf_server_log (KF_LOG_ADMISSION_REFUSED, client, NULL,
                     "Refusing %s: it already has %u clients", address,
                     self->max_clients_per_address);
      return FALSE;
    }
  count_address (self->greeted_by_address, address, 1);
  pending_remove (self, client);
  return TRUE;
}

/*
 * kf_server_admission_forget:
 *
 * @client is closing: it no longer counts, pending or greeted.
 */
void
kf_server_admission_forget (KfServerAdmission *self,
                            KfServerClient    *client)
{
  g_return_if_fail (KF_IS_SERVER_ADMISSION (self));

  pending_remove (self, client);
  if (kf_server_client_get_id (client) != 0)
    count_address (self->greeted_by_address, kf_server_client_get_address (client), -1);
}

/* Whether @client counts as a connection in its greeting. */
gboolean
kf_server_admission_is_pending (KfServerAdmission *self,
                                KfServerClient    *client)
{
  g_return_val_if_fail (KF_IS_SERVER_ADMISSION (self), FALSE);
  return g_hash_table_contains (self->pending, client);
}

/*
 * kf_server_admission_is_required:
 *
 * Returns: %TRUE when clients must send `auth` before `hello`.
 */
gboolean
kf_server_admission_is_required (KfServerAdmission *self)
{
  g_return_val_if_fail (KF_IS_SERVER_ADMISSION (self), FALSE);

  return self->secret != NULL;
}

static void
hash_in_thread (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  KfServerAdmission *self = source;
  Check *check = task_data;
  GError *error = NULL;
  gboolean matches = FALSE;
  gboolean ok;

  ok = kf_server_secret_verify (self->secret, check->passphrase, &matches, &error);
  if (!ok)
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, matches);
}

static void start_next (KfServerAdmission *self);

/* Remembers a failure (or forgives on success) for the check's address. */
static void
record_outcome (KfServerAdmission *self,
                const char        *address,
                gboolean           accepted)
{
  Penalty *penalty;

  if (accepted)
    {
      /* Counted as a failure when asked for: not one after all. */
      self->global_level = MAX (self->global_level - 1.0, 0.0);
      g_hash_table_remove (self->penalties, address);
      return;
    }
  if (g_hash_table_size (self->penalties) >= PENALTY_MAX_HOSTS)
    g_hash_table_remove_all (self->penalties);
  penalty = g_hash_table_lookup (self->penalties, address);
  if (penalty == NULL)
    {
      penalty = g_new0 (Penalty, 1);
      g_hash_table_insert (self->penalties, g_strdup (address), penalty);
    }
  penalty->failures++;
  penalty->last_failure = g_get_monotonic_time ();
}

static void
hash_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(GTask) outer = user_data;
  KfServerAdmission *self = KF_SERVER_ADMISSION (source);
  Check *check = g_task_get_task_data (outer);
  GError *error = NULL;
  gboolean accepted;

  self->running--;
  accepted = g_task_propagate_boolean (G_TASK (result), &error);
  if (error != NULL)
    g_task_return_error (outer, error);
  else
    {
      record_outcome (self, check->address, accepted);
      if (accepted)
        g_task_return_boolean (outer, TRUE);
      else
        g_task_return_new_error (outer, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_AUTH_FAILED,
                                 _("Wrong passphrase"));
    }
  start_next (self);
}

/* Hands @outer's check to a worker thread. */
static void
run_check (KfServerAdmission *self,
           GTask             *outer)
{
  g_autoptr(GTask) inner = g_task_new (self, NULL, hash_done, g_object_ref (outer));

  self->running++;
  g_task_set_source_tag (inner, run_check);
  g_task_set_task_data (inner, g_task_get_task_data (outer), NULL);
  g_task_run_in_thread (inner, hash_in_thread);
}

static void
start_next (KfServerAdmission *self)
{
  while (self->running < self->max_concurrent && !g_queue_is_empty (&self->queued))
    {
      g_autoptr(GTask) task = g_queue_pop_head (&self->queued);

      if (!g_task_return_error_if_cancelled (task))
        run_check (self, task);
    }
}

/* Runs @task's check now, queues it, or refuses it when the queue is full. */
static void
enqueue (KfServerAdmission *self,
         GTask             *task)
{
  if (g_task_return_error_if_cancelled (task))
    return;
  if (self->running < self->max_concurrent)
    run_check (self, task);
  else if (g_queue_get_length (&self->queued) < self->max_queued)
    g_queue_push_tail (&self->queued, g_object_ref (task));
  else
    g_task_return_new_error (task, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_FULL,
                             _("Too many passphrase checks at once; try again shortly"));
}

static gboolean
penalty_over (gpointer user_data)
{
  GTask *task = user_data;

  enqueue (g_task_get_source_object (task), task);
  return G_SOURCE_REMOVE;
}

/* Returns how long @address must wait before its check starts, in ms. */
static guint
penalty_delay (KfServerAdmission *self,
               const char        *address)
{
  Penalty *penalty = g_hash_table_lookup (self->penalties, address);
  guint64 delay;

  if (penalty == NULL)
    return 0;
  if (g_get_monotonic_time () - penalty->last_failure > PENALTY_FORGET_US)
    {
      g_hash_table_remove (self->penalties, address);
      return 0;
    }
  delay = (guint64) self->penalty_ms << MIN (penalty->failures - 1, 16u);

  return (guint) MIN (delay, (guint64) self->penalty_max_ms);
}

/* Counts one more check against the global budget and returns how long
 * it must wait for its turn, in ms: 0 while the budget lasts, then one
 * slot per spacing, whatever the address. */
static guint
global_delay (KfServerAdmission *self)
{
  gint64 now = g_get_monotonic_time ();
  gint64 start;
  guint64 spacing;
  guint doublings;

  self->global_level -= (double) (now - self->global_updated) / (self->global_forget_ms * 1000.0);
  self->global_level = MAX (self->global_level, 0.0);
  self->global_updated = now;
  self->global_level += 1.0;
  if (self->global_level <= self->global_burst || self->global_penalty_ms == 0)
    return 0;
  doublings = (guint) ((self->global_level - 1.0 - self->global_burst) / self->global_burst);
  spacing = (guint64) self->global_penalty_ms << MIN (doublings, 16u);
  spacing = MIN (spacing, (guint64) MAX (self->global_penalty_max_ms, self->global_penalty_ms));
  start = MAX (now, self->global_next);
  self->global_next = start + (gint64) spacing * 1000;
  return (guint) ((start - now) / 1000);
}

/*
 * kf_server_admission_check_async:
 * @address: the client's source address, for the per-address penalty
 * @passphrase: what the client sent
 *
 * Checks @passphrase off the main loop.  Completes with %TRUE when it is
 * right (or no passphrase is required), otherwise with
 * %KF_PROTOCOL_ERROR_AUTH_FAILED, or %KF_PROTOCOL_ERROR_FULL when too many
 * checks are already waiting.
 */
void
kf_server_admission_check_async (KfServerAdmission   *self,
                                 const char          *address,
                                 const char          *passphrase,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Check *check;
  guint delay;

  g_return_if_fail (KF_IS_SERVER_ADMISSION (self));
  g_return_if_fail (address != NULL && passphrase != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, kf_server_admission_check_async);
  if (self->secret == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  check = g_new0 (Check, 1);
  check->address = g_strdup (address);
  check->passphrase = kf_secure_strdup (passphrase);
  g_task_set_task_data (task, check, (GDestroyNotify) check_free);
  if (check->passphrase == NULL)
    {
      g_task_return_new_error (task, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_INTERNAL,
                               _("Out of secure memory"));
      return;
    }

  delay = global_delay (self);
  delay = MAX (delay, penalty_delay (self, address));
  if (delay == 0)
    {
      enqueue (self, task);
      return;
    }
  g_debug ("Delaying a passphrase check from %s by %u ms", address, delay);
  {
    g_autoptr(GSource) source = g_timeout_source_new (delay);

    g_source_set_callback (source, penalty_over, g_object_ref (task), g_object_unref);
    g_source_attach (source, g_task_get_context (task));
  }
}

/*
 * kf_server_admission_check_finish:
 *
 * Returns: %TRUE when admitted, otherwise %FALSE with @error set.
 */
gboolean
kf_server_admission_check_finish (KfServerAdmission  *self,
                                  GAsyncResult       *result,
                                  GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
