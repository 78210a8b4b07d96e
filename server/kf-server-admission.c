/* kf-server-admission.c: the optional admission passphrase
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The operator's passphrase is hashed once at start with Argon2id and a
 * random salt (PBKDF2-SHA256 when libgcrypt runs in FIPS mode); only the
 * 32-byte tag is kept, in secure memory.  A client's passphrase is hashed
 * the same way in a worker thread and the tags compared in constant time.
 *
 * Argon2id costs a quarter of a second and 64 MiB by design, so at most
 * kdf_max_concurrent checks run at once and at most kdf_max_queued wait;
 * beyond that a check fails at once as "busy".  Each failure from a source
 * address doubles the delay before that address's next check is even
 * started (auth_penalty_ms, 2×, 4×… up to auth_penalty_max_ms), forgotten
 * 15 minutes after the last failure.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <gcrypt.h>

#include "kf-protocol.h"
#include "kf-server-admission.h"

#define TAG_SIZE          32
#define SALT_SIZE         16
#define PBKDF2_ITERATIONS 600000
#define PENALTY_FORGET_US (15 * G_TIME_SPAN_MINUTE)
#define PENALTY_MAX_HOSTS 10000

typedef struct
{
  guint  failures;
  gint64 last_failure;
} Penalty;

struct _KfServerAdmission
{
  GObject     parent_instance;

  gboolean    required;
  guint8      salt[SALT_SIZE];
  guint8     *tag;            /* TAG_SIZE bytes of secure memory */
  guint       kdf_t;
  guint       kdf_m;
  guint       kdf_p;
  guint       max_concurrent;
  guint       max_queued;
  guint       penalty_ms;
  guint       penalty_max_ms;
  guint       running;
  GQueue      queued;         /* GTask, waiting for a free slot */
  GHashTable *penalties;      /* address → Penalty */
};

typedef struct
{
  char   *passphrase;         /* secure memory */
  char   *address;
  guint8 *tag;                /* TAG_SIZE bytes of secure memory */
} Check;

G_DEFINE_FINAL_TYPE (KfServerAdmission, kf_server_admission, G_TYPE_OBJECT)

static void
check_free (Check *check)
{
  if (check->passphrase != NULL)
    {
      explicit_bzero (check->passphrase, strlen (check->passphrase));
      gcry_free (check->passphrase);
    }
  if (check->tag != NULL)
    {
      explicit_bzero (check->tag, TAG_SIZE);
      gcry_free (check->tag);
    }
  g_free (check->address);
  g_free (check);
}

static void
kf_server_admission_finalize (GObject *object)
{
  KfServerAdmission *self = KF_SERVER_ADMISSION (object);

  g_assert (g_queue_is_empty (&self->queued));
  if (self->tag != NULL)
    {
      explicit_bzero (self->tag, TAG_SIZE);
      gcry_free (self->tag);
    }
  g_hash_table_unref (self->penalties);

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
}

/* Hashes @passphrase into @out (TAG_SIZE bytes).  Runs in any thread. */
static gboolean
derive (const KfServerAdmission  *self,
        const char               *passphrase,
        guint8                   *out,
        GError                  **error)
{
  const unsigned long params[4] = { TAG_SIZE, self->kdf_t, self->kdf_m, self->kdf_p };
  gsize len = strlen (passphrase);
  gcry_kdf_hd_t hd = NULL;
  gcry_error_t err;

  if (gcry_fips_mode_active ())
    err = gcry_kdf_derive (passphrase, len, GCRY_KDF_PBKDF2, GCRY_MD_SHA256, self->salt,
                           SALT_SIZE, PBKDF2_ITERATIONS, TAG_SIZE, out);
  else
    {
      err = gcry_kdf_open (&hd, GCRY_KDF_ARGON2, GCRY_KDF_ARGON2ID, params, 4, passphrase, len,
                           self->salt, SALT_SIZE, NULL, 0, NULL, 0);
      if (err == 0)
        err = gcry_kdf_compute (hd, NULL);
      if (err == 0)
        err = gcry_kdf_final (hd, TAG_SIZE, out);
      if (hd != NULL)
        gcry_kdf_close (hd);
    }
  if (err != 0)
    {
      g_set_error (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_INTERNAL,
                   _("Could not hash the passphrase: %s"), gcry_strerror (err));
      return FALSE;
    }
  return TRUE;
}

/*
 * kf_server_admission_new:
 * @passphrase: (nullable): the admission passphrase, or %NULL for none
 *
 * Returns: (transfer full): the admission check, or %NULL with @error when
 * secure memory is exhausted or hashing fails.  @passphrase is not kept.
 */
KfServerAdmission *
kf_server_admission_new (const char            *passphrase,
                         const KfServerConfig  *config,
                         GError               **error)
{
  g_autoptr(KfServerAdmission) self = g_object_new (KF_TYPE_SERVER_ADMISSION, NULL);

  self->kdf_t = config->kdf_iterations;
  self->kdf_m = config->kdf_memory_kib;
  self->kdf_p = config->kdf_parallelism;
  self->max_concurrent = MAX (config->kdf_max_concurrent, 1);
  self->max_queued = config->kdf_max_queued;
  self->penalty_ms = config->auth_penalty_ms;
  self->penalty_max_ms = config->auth_penalty_max_ms;
  if (passphrase == NULL)
    return g_steal_pointer (&self);

  self->required = TRUE;
  gcry_randomize (self->salt, SALT_SIZE, GCRY_STRONG_RANDOM);
  self->tag = gcry_calloc_secure (1, TAG_SIZE);
  if (self->tag == NULL)
    {
      g_set_error_literal (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_INTERNAL,
                           _("Out of secure memory for the passphrase hash"));
      return NULL;
    }
  if (!derive (self, passphrase, self->tag, error))
    return NULL;

  return g_steal_pointer (&self);
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

  return self->required;
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
  guint diff = 0;

  if (!derive (self, check->passphrase, check->tag, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  for (gsize i = 0; i < TAG_SIZE; i++)
    diff |= check->tag[i] ^ self->tag[i];
  g_task_return_boolean (task, diff == 0);
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
  if (!self->required)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  check = g_new0 (Check, 1);
  check->address = g_strdup (address);
  check->passphrase = gcry_malloc_secure (strlen (passphrase) + 1);
  check->tag = gcry_calloc_secure (1, TAG_SIZE);
  g_task_set_task_data (task, check, (GDestroyNotify) check_free);
  if (check->passphrase == NULL || check->tag == NULL)
    {
      g_task_return_new_error (task, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_INTERNAL,
                               _("Out of secure memory"));
      return;
    }
  strcpy (check->passphrase, passphrase);

  delay = penalty_delay (self, address);
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
