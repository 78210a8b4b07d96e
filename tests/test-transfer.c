/* test-transfer.c: files travel over a loopback peer link
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <glib/gstdio.h>

#include "kf-file-name.h"
#include "kf-gcrypt.h"
#include "kf-peer-listener.h"
#include "kf-transfer.h"
#include "kf-transfer-private.h"
#include "kf-test-link-pair.h"
#include "kf-test-proxy.h"
#include "kf-test-util.h"

typedef struct
{
  char             *dir;
  char             *out_dir;
  KfSessionKeys    *keys;
  KfPeerLink       *sender;
  KfPeerLink       *receiver;
  KfTestProxy      *proxy;

  KfTransferOffer  *offer;
  KfTransferResult *sent;
  KfTransferResult *received;
  GError           *offer_error;
  GError           *send_error;
  GError           *receive_error;
  gboolean          offer_done;
  gboolean          send_done;
  gboolean          receive_done;

  GCancellable     *send_cancel;
  GCancellable     *receive_cancel;
  guint64           last_done;
  guint64           last_total;
  guint64           sent_done;
  gboolean          sent_progress_freed;
  gboolean          send_started;
  guint64           cancel_after;   /* receiver's progress: act after this many bytes */
  enum { ACT_NONE, ACT_CANCEL_SENDER, ACT_CANCEL_RECEIVER, ACT_KM_GONE_RECEIVER, ACT_KILL_SENDER } act;
} Fixture;

typedef struct
{
  KfCipherMode mode;
  gsize        size;
} Case;

typedef struct
{
  KfTestProxyDamage damage;
  gint              expected;  /* the receiver's KF_TRANSFER_ERROR code */
  gint              told;      /* the sender's: CANCELLED when the receiver said why */
} Tamper;

typedef struct
{
  Fixture      *f;
  const Tamper *tamper;
} Route;

/* Puts a tampering proxy between the two ends. */
static guint16
through_proxy (guint16  port,
               gpointer user_data)
{
  Route *route = user_data;

  /* Record 3 is the third data record: well inside the file. */
  route->f->proxy = kf_test_proxy_new (port, route->tamper->damage, 3);
  return kf_test_proxy_get_port (route->f->proxy);
}

/* Pairs two links on loopback for a fresh session in @mode, through a
 * tampering proxy when @tamper is given. */
static void
make_links (Fixture      *f,
            KfCipherMode  mode,
            const Tamper *tamper)
{
  Route route = { f, tamper };

  f->keys = kf_test_session_keys_new ("t1", mode);
  kf_test_link_pair_open (f->keys, tamper != NULL ? through_proxy : NULL, &route,
                          &f->sender, &f->receiver);
}

static void
fixture_set_up_mode (Fixture      *f,
                     KfCipherMode  mode,
                     const Tamper *tamper)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("kf-transfer-XXXXXX", &error);
  g_assert_no_error (error);
  f->out_dir = g_build_filename (f->dir, "out", NULL);
  g_assert_cmpint (g_mkdir (f->out_dir, 0700), ==, 0);
  f->send_cancel = g_cancellable_new ();
  f->receive_cancel = g_cancellable_new ();
  make_links (f, mode, tamper);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  fixture_set_up_mode (f, KF_CIPHER_MODE_CBC, NULL);
}

static void
fixture_set_up_tamper (Fixture       *f,
                       gconstpointer  data)
{
  fixture_set_up_mode (f, KF_CIPHER_MODE_CBC, data);
}

static void
fixture_set_up_case (Fixture       *f,
                     gconstpointer  data)
{
  const Case *c = data;

  fixture_set_up_mode (f, c->mode, NULL);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  kf_test_drain_and_finalize (f->sender);
  kf_test_drain_and_finalize (f->receiver);
  /* The send job lets its progress data go on this thread, after the
   * link: wait for it, or it would outlive the fixture. */
  if (f->send_started)
    kf_test_iterate_until (&f->sent_progress_freed);
  g_clear_pointer (&f->proxy, kf_test_proxy_free);
  g_clear_pointer (&f->offer, kf_transfer_offer_free);
  g_clear_pointer (&f->sent, kf_transfer_result_free);
  g_clear_pointer (&f->received, kf_transfer_result_free);
  g_clear_error (&f->offer_error);
  g_clear_error (&f->send_error);
  g_clear_error (&f->receive_error);
  g_clear_object (&f->send_cancel);
  g_clear_object (&f->receive_cancel);
  kf_session_keys_free (f->keys);
  kf_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->out_dir);
}

/* Writes @size pseudo-random bytes (seeded by @size) to DIR/@name. */
static GFile *
make_source (Fixture    *f,
             const char *name,
             gsize       size)
{
  g_autofree char *path = g_build_filename (f->dir, name, NULL);
  g_autofree guint32 *data = g_new (guint32, size / 4 + 1);
  g_autoptr(GRand) rand = g_rand_new_with_seed ((guint32) size);
  g_autoptr(GError) error = NULL;

  for (gsize i = 0; i < size / 4 + 1; i++)
    data[i] = g_rand_int (rand);
  g_file_set_contents (path, (const char *) data, (gssize) size, &error);
  g_assert_no_error (error);
  return g_file_new_for_path (path);
}

static void
sent_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Fixture *f = user_data;

  f->sent = kf_transfer_send_finish (result, &f->send_error);
  f->send_done = TRUE;
}

static void
offer_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Fixture *f = user_data;

  f->offer = kf_transfer_receive_offer_finish (result, &f->offer_error);
  f->offer_done = TRUE;
}

static void
received_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  Fixture *f = user_data;

  f->received = kf_transfer_receive_finish (result, &f->receive_error);
  f->receive_done = TRUE;
}

static void
receive_progress_cb (const KfTransferProgress *progress,
                     gpointer                  user_data)
{
  Fixture *f = user_data;
  guint64 done = progress->done;
  guint64 total = progress->total;

  g_assert_cmpuint (done, >=, f->last_done);
  g_assert_cmpuint (done, <=, total);
  f->last_done = done;
  f->last_total = total;
  if (f->act == ACT_NONE || done < f->cancel_after)
    return;

  if (f->act == ACT_CANCEL_SENDER)
    g_cancellable_cancel (f->send_cancel);
  else if (f->act == ACT_CANCEL_RECEIVER)
    g_cancellable_cancel (f->receive_cancel);
  else if (f->act == ACT_KM_GONE_RECEIVER)
    {
      kf_peer_link_set_cancel_reason (f->receiver, "the key manager went away");
      g_cancellable_cancel (f->receive_cancel);
    }
  else
    kf_peer_link_abort (f->sender);
  f->act = ACT_NONE;
}

/* Starts sending @file and waits for the receiver to see the offer. */
static void
send_progress_cb (const KfTransferProgress *progress,
                  gpointer                  user_data)
{
  Fixture *f = user_data;
  guint64 done = progress->done;
  guint64 total = progress->total;
  double rate = progress->bytes_per_second;

  g_assert_false (f->sent_progress_freed);
  g_assert_cmpuint (done, >=, f->sent_done);
  g_assert_cmpuint (done, <=, total);
  g_assert_cmpfloat (rate, >=, 0);
  f->sent_done = done;
}

static void
send_progress_free (gpointer user_data)
{
  Fixture *f = user_data;

  f->sent_progress_freed = TRUE;
}

static void
start_send (Fixture *f,
            GFile   *file)
{
  f->send_started = TRUE;
  kf_transfer_send_async (f->sender, &file, 1, send_progress_cb, f, send_progress_free,
                          f->send_cancel, sent_cb, f);
  kf_transfer_receive_offer_async (f->receiver, NULL, offer_cb, f);
  kf_test_iterate_until (&f->offer_done);
}

static GFile *
out_file (Fixture    *f,
          const char *name)
{
  g_autofree char *path = g_build_filename (f->out_dir, name, NULL);

  return g_file_new_for_path (path);
}

static void
receive_into (Fixture  *f,
              GFile    *destination,
              gboolean  overwrite)
{
  f->receive_done = FALSE;
  kf_transfer_receive_async (f->receiver, f->offer, destination, overwrite,
                             receive_progress_cb, f, NULL, f->receive_cancel, received_cb, f);
  kf_test_iterate_until (&f->receive_done);
}

static guint
count_entries (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

static void
test_round_trip (Fixture       *f,
                 gconstpointer  data)
{
  const Case *c = data;
  g_autoptr(GFile) source = make_source (f, "data.bin", c->size);
  g_autoptr(GFile) destination = out_file (f, "data.bin");
  g_autofree char *sent_bytes = NULL;
  g_autofree char *got_bytes = NULL;
  g_autofree char *digest = NULL;
  gsize sent_len;
  gsize got_len;
  guint64 blocks;

  start_send (f, source);
  g_assert_no_error (f->offer_error);
  g_assert_cmpstr (f->offer->name, ==, "data.bin");
  g_assert_cmpuint (f->offer->plain_size, ==, c->size);
  g_assert_cmpuint (f->offer->encrypted_size, ==, kf_cipher_encrypted_size (c->mode, c->size));
  receive_into (f, destination, FALSE);
  kf_test_iterate_until (&f->send_done);
  g_assert_no_error (f->send_error);
  g_assert_no_error (f->receive_error);

  g_file_get_contents (g_file_peek_path (source), &sent_bytes, &sent_len, NULL);
  g_file_get_contents (g_file_peek_path (destination), &got_bytes, &got_len, NULL);
  g_assert_cmpmem (got_bytes, got_len, sent_bytes, sent_len);

  blocks = c->mode == KF_CIPHER_MODE_CBC ? c->size / 16 + 1 : (c->size + 15) / 16;
  g_assert_cmpuint (f->sent->blocks, ==, blocks);
  g_assert_cmpuint (f->received->blocks, ==, blocks);
  /* Both sides digest the same authenticated records; the digest is of
   * the record tags, so the key manager never learns a hash of the file. */
  g_assert_cmpuint (strlen (f->sent->digest), ==, 64);
  g_assert_cmpuint (strspn (f->sent->digest, "0123456789abcdef"), ==, 64);
  g_assert_cmpstr (f->received->digest, ==, f->sent->digest);
  digest = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) sent_bytes, sent_len);
  g_assert_cmpstr (f->sent->digest, !=, digest);
  g_assert_cmpuint (f->received->plain_bytes, ==, c->size);
  g_assert_cmpstr (f->received->path, ==, g_file_peek_path (destination));
  g_assert_cmpuint (f->last_done, ==, c->size);
  g_assert_cmpuint (f->last_total, ==, c->size);
  /* The sender's last report says all, then its progress data is let go,
   * on this thread. */
  kf_test_iterate_until (&f->sent_progress_freed);
  g_assert_cmpuint (f->sent_done, ==, c->size);
  g_assert_cmpuint (count_entries (f->out_dir), ==, 1);
}

/* A large received file does not sit in the page cache as it arrives:
 * the receiver has it written back and dropped a few windows behind, so a
 * transfer reuses the same pages instead of taking fresh ones for every
 * byte and leaving them dirty for the next transfer. */
static void
test_page_cache_bounded (Fixture       *f,
                         gconstpointer  data)
{
  const gsize size = 64 * 1024 * 1024;
  g_autoptr(GFile) source = make_source (f, "big.bin", size);
  g_autoptr(GFile) destination = out_file (f, "big.bin");
  guint64 resident;

  if (kf_test_on_tmpfs (f->out_dir))
    {
      g_test_skip ("the temporary folder is on tmpfs, which has no writeback");
      return;
    }
  start_send (f, source);
  g_assert_no_error (f->offer_error);
  receive_into (f, destination, FALSE);
  kf_test_iterate_until (&f->send_done);
  g_assert_no_error (f->send_error);
  g_assert_no_error (f->receive_error);
  g_assert_cmpuint (f->received->plain_bytes, ==, size);

  resident = kf_test_resident_bytes (g_file_peek_path (destination));
  g_test_message ("%" G_GUINT64_FORMAT " of %" G_GSIZE_FORMAT " bytes in the page cache",
                  resident, size);
  g_assert_cmpuint (resident, <=, 3 * KF_WRITEBACK_WINDOW);
}

static void
declined_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (kf_transfer_decline_finish (result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

static void
test_decline (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GFile) source = make_source (f, "unwanted.txt", 1000);
  gboolean declined = FALSE;

  start_send (f, source);
  g_assert_no_error (f->offer_error);
  kf_transfer_decline_async (f->receiver, NULL, declined_cb, &declined);
  kf_test_iterate_until (&declined);
  kf_test_iterate_until (&f->send_done);
  g_assert_error (f->send_error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_DECLINED);
  g_assert_null (f->sent);
  g_assert_cmpuint (count_entries (f->out_dir), ==, 0);
}

/* A transfer stopped half way, by either side or by a vanished sender:
 * each side hears the right thing and nothing is left behind. */
static void
test_interrupted (Fixture       *f,
                  gconstpointer  data)
{
  const char *how = data;
  g_autoptr(GFile) source = make_source (f, "big.bin", 48 * 1024 * 1024);
  g_autoptr(GFile) destination = out_file (f, "big.bin");

  f->cancel_after = 1;
  f->act = g_str_equal (how, "sender") ? ACT_CANCEL_SENDER
           : g_str_equal (how, "receiver") ? ACT_CANCEL_RECEIVER
           : g_str_equal (how, "km-gone") ? ACT_KM_GONE_RECEIVER : ACT_KILL_SENDER;
  start_send (f, source);
  g_assert_no_error (f->offer_error);
  receive_into (f, destination, FALSE);
  kf_test_iterate_until (&f->send_done);

  if (g_str_equal (how, "sender"))
    {
      g_assert_error (f->send_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_assert_error (f->receive_error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_CANCELLED);
    }
  else if (g_str_equal (how, "receiver"))
    {
      g_assert_error (f->receive_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_assert_error (f->send_error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_CANCELLED);
      g_assert_nonnull (strstr (f->send_error->message, "cancelled by the user"));
    }
  else if (g_str_equal (how, "km-gone"))
    {
      /* The peer hears why the receiver stopped, not "cancelled by the user". */
      g_assert_error (f->receive_error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_assert_error (f->send_error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_CANCELLED);
      g_assert_nonnull (strstr (f->send_error->message, "the key manager went away"));
    }
  else
    {
      g_assert_nonnull (f->receive_error);
      g_assert_true (g_error_matches (f->receive_error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PEER_GONE)
                     || g_error_matches (f->receive_error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TRUNCATED));
    }
  g_assert_null (f->received);
  g_assert_cmpuint (count_entries (f->out_dir), ==, 0);
}

static void
test_existing_kept (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GFile) source = make_source (f, "report.txt", 5000);
  g_autoptr(GFile) destination = out_file (f, "report.txt");
  g_autofree char *kept = NULL;

  g_file_set_contents (g_file_peek_path (destination), "mine", -1, NULL);
  start_send (f, source);
  receive_into (f, destination, FALSE);
  g_assert_error (f->receive_error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_EXISTS);
  g_file_get_contents (g_file_peek_path (destination), &kept, NULL, NULL);
  g_assert_cmpstr (kept, ==, "mine");
  g_assert_cmpuint (count_entries (f->out_dir), ==, 1);
  g_assert_false (f->send_done);

  /* The sender still waits: the user allows replacing it. */
  g_clear_error (&f->receive_error);
  receive_into (f, destination, TRUE);
  kf_test_iterate_until (&f->send_done);
  g_assert_no_error (f->receive_error);
  g_assert_no_error (f->send_error);
  g_assert_cmpuint (count_entries (f->out_dir), ==, 1);
}

/* A sender that cannot read its file tells the receiver, without naming
 * its local path. */
static void
test_unreadable_source (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->dir, "missing.bin", NULL);
  g_autoptr(GFile) source = g_file_new_for_path (path);

  start_send (f, source);
  kf_test_iterate_until (&f->send_done);
  g_assert_error (f->send_error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_IO);
  g_assert_nonnull (strstr (f->send_error->message, "missing.bin"));
  g_assert_error (f->offer_error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_CANCELLED);
  g_assert_null (strstr (f->offer_error->message, f->dir));
  g_assert_nonnull (strstr (f->offer_error->message, "could not be read"));
}

/* Sends an offer by hand, as a hostile sender could. */
static void
send_raw_offer (KfPeerLink *link,
                const char *name,
                guint64     size)
{
  g_autoptr(KfCipher) cipher = NULL;
  g_autofree guint8 *plain = NULL;
  guint8 record[2048];
  gsize len;
  gsize n1;
  gsize n2;

  plain = kf_transfer_offer_encode (name, size, &len);
  cipher = kf_cipher_new (KF_CIPHER_MODE_CBC, KF_CIPHER_ENCRYPT,
                          kf_peer_link_get_offer_key (link), 32,
                          kf_peer_link_get_offer_iv (link), 16, NULL);
  g_assert_true (kf_cipher_update (cipher, plain, len, record + KF_RECORD_HEADER_SIZE,
                                   len + 16, &n1, NULL));
  g_assert_true (kf_cipher_finish (cipher, record + KF_RECORD_HEADER_SIZE + n1, 16, &n2, NULL));
  g_assert_true (kf_peer_link_send (link, KF_RECORD_OFFER, 0, record, n1 + n2, NULL, NULL));
}

static void
test_hostile_name (Fixture       *f,
                   gconstpointer  data)
{
  const char *const *pair = data;

  send_raw_offer (f->sender, pair[0], 10);
  kf_transfer_receive_offer_async (f->receiver, NULL, offer_cb, f);
  kf_test_iterate_until (&f->offer_done);
  if (pair[1] == NULL)
    {
      g_assert_error (f->offer_error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_NAME);
      return;
    }
  g_assert_no_error (f->offer_error);
  g_assert_cmpstr (f->offer->name, ==, pair[1]);
}

/* A real file whose name holds a newline arrives under a clean name. */
static void
test_newline_file (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GFile) source = make_source (f, "two\nlines.txt", 100);
  g_autoptr(GFile) destination = NULL;

  start_send (f, source);
  g_assert_no_error (f->offer_error);
  g_assert_cmpstr (f->offer->name, ==, "two_lines.txt");
  destination = out_file (f, f->offer->name);
  receive_into (f, destination, FALSE);
  kf_test_iterate_until (&f->send_done);
  g_assert_no_error (f->receive_error);
  g_assert_true (g_file_test (g_file_peek_path (destination), G_FILE_TEST_IS_REGULAR));
}

/* An offer larger than the disk is refused before accepting; the user
 * can then decline, which the sender hears. */
static void
test_no_space (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GFile) destination = out_file (f, "huge.bin");
  g_autoptr(GError) error = NULL;
  gboolean declined = FALSE;
  KfRecordHeader header;

  send_raw_offer (f->sender, "huge.bin", G_GUINT64_CONSTANT (1) << 59);
  kf_transfer_receive_offer_async (f->receiver, NULL, offer_cb, f);
  kf_test_iterate_until (&f->offer_done);
  g_assert_no_error (f->offer_error);
  receive_into (f, destination, FALSE);
  g_assert_error (f->receive_error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_NO_SPACE);
  g_assert_cmpuint (count_entries (f->out_dir), ==, 0);

  kf_transfer_decline_async (f->receiver, NULL, declined_cb, &declined);
  kf_test_iterate_until (&declined);
  g_assert_nonnull (kf_peer_link_receive (f->sender, &header, NULL, &error));
  g_assert_cmpuint (header.type, ==, KF_RECORD_DECLINE);
}

/* A watchdog for the idle tests: on code without an idle limit, the stall
 * would last forever; after 30 s the test cancels, and the check that
 * follows (a timeout, not a cancellation) fails. */
static gboolean
watchdog_cb (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_CONTINUE;   /* removed by the test */
}

/* A sender that stops sending after the receiver accepted: the receiver
 * gives up after its idle limit and keeps nothing. */
static void
test_idle_stalled_sender (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GFile) destination = out_file (f, "stalled.bin");
  guint watchdog;

  send_raw_offer (f->sender, "stalled.bin", 1024 * 1024);
  kf_transfer_receive_offer_async (f->receiver, NULL, offer_cb, f);
  kf_test_iterate_until (&f->offer_done);
  g_assert_no_error (f->offer_error);

  kf_peer_link_set_idle_timeout (f->receiver, 1);
  watchdog = g_timeout_add_seconds (30, watchdog_cb, f->receive_cancel);
  receive_into (f, destination, FALSE);
  g_source_remove (watchdog);
  g_assert_error (f->receive_error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (f->receive_error->message, "1 seconds"));
  g_assert_cmpuint (count_entries (f->out_dir), ==, 0);
}

/* A receiver that accepts and then reads nothing: the sender's writes
 * stall once the socket buffers are full, and it gives up after its idle
 * limit. */
static void
test_idle_stalled_receiver (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GFile) source = make_source (f, "big.bin", 32 * 1024 * 1024);
  g_autoptr(GError) error = NULL;
  guint watchdog;

  kf_peer_link_set_idle_timeout (f->sender, 1);
  start_send (f, source);
  g_assert_no_error (f->offer_error);
  g_assert_true (kf_peer_link_send_copy (f->receiver, KF_RECORD_ACCEPT, 0, NULL, 0, NULL, &error));
  g_assert_no_error (error);

  watchdog = g_timeout_add_seconds (30, watchdog_cb, f->send_cancel);
  kf_test_iterate_until (&f->send_done);
  g_source_remove (watchdog);
  g_assert_error (f->send_error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TIMEOUT);
  g_assert_null (f->sent);
}

/* A receiver that reads steadily but slowly, so that the transfer
 * takes several times the sender's idle limit; it says DONE after the
 * final record (test_idle_slow_but_moving()). */
static gpointer
slow_reader_main (gpointer data)
{
  KfPeerLink *receiver = data;
  g_autoptr(GError) error = NULL;
  KfRecordHeader header = { 0 };
  guint records = 0;

  while ((header.flags & KF_RECORD_FLAG_FINAL) == 0 && records < 100000)
    {
      if (kf_peer_link_receive (receiver, &header, NULL, &error) == NULL)
        return g_steal_pointer (&error);
      records++;
      g_usleep (20 * G_TIME_SPAN_MILLISECOND);
    }
  if (!kf_peer_link_send_copy (receiver, KF_RECORD_DONE, 0, NULL, 0, NULL, &error))
    return g_steal_pointer (&error);
  return NULL;
}

/* The idle limit bounds waiting for a peer that does nothing, not the
 * length of a transfer: a sender whose receiver takes a record every
 * 20 ms, for about 2.6 s in all, finishes although the receiver says
 * nothing until DONE, far beyond the sender's 1 s limit.  (Before, the
 * sender's wait for DONE timed out one idle limit after the first
 * record, and every transfer longer than the limit failed.) */
static void
test_idle_slow_but_moving (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GFile) source = make_source (f, "long.bin", 32 * 1024 * 1024);
  g_autoptr(GError) error = NULL;
  GThread *reader;
  GError *reader_error;
  guint watchdog;

  kf_peer_link_set_idle_timeout (f->sender, 1);
  start_send (f, source);
  g_assert_no_error (f->offer_error);
  g_assert_true (kf_peer_link_send_copy (f->receiver, KF_RECORD_ACCEPT, 0, NULL, 0, NULL, &error));
  g_assert_no_error (error);

  reader = g_thread_new ("slow-reader", slow_reader_main, f->receiver);
  watchdog = g_timeout_add_seconds (60, watchdog_cb, f->send_cancel);
  kf_test_iterate_until (&f->send_done);
  g_source_remove (watchdog);
  reader_error = g_thread_join (reader);
  g_assert_no_error (reader_error);
  g_assert_no_error (f->send_error);
  g_assert_nonnull (f->sent);
}

/* An offer that would fit but leave less than the safety margin free is
 * refused like one that does not fit. */
static void
test_space_margin (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GFile) folder = g_file_new_for_path (f->out_dir);
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) error = NULL;
  guint64 free_bytes;
  guint64 margin;

  info = g_file_query_filesystem_info (folder, G_FILE_ATTRIBUTE_FILESYSTEM_FREE ","
                                       G_FILE_ATTRIBUTE_FILESYSTEM_SIZE, NULL, &error);
  g_assert_no_error (error);
  free_bytes = g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE);
  margin = kf_transfer_space_margin (g_file_info_get_attribute_uint64 (info,
                                                                      G_FILE_ATTRIBUTE_FILESYSTEM_SIZE));
  g_assert_cmpuint (margin, >, 0);
  g_assert_cmpuint (margin, <=, KF_TRANSFER_SPACE_MARGIN);
  if (free_bytes < 2 * margin)
    {
      g_test_skip ("too little free space to tell the margin apart");
      return;
    }

  /* Other processes write meanwhile: stay a quarter margin away from
   * both edges. */
  g_assert_true (kf_transfer_check_space (folder, free_bytes - 2 * margin, NULL));
  g_assert_false (kf_transfer_check_space (folder, free_bytes - margin / 4, &error));
  g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_NO_SPACE);
  g_assert_cmpuint (kf_transfer_space_margin (G_GUINT64_CONSTANT (1) << 40), ==,
                    KF_TRANSFER_SPACE_MARGIN);
  g_assert_cmpuint (kf_transfer_space_margin (100 * 1024 * 1024), ==, 5 * 1024 * 1024);
}

/* A man in the middle flips a bit, reorders, duplicates or cuts the
 * records: the receiver names what happened, saves nothing, and the
 * sender fails too. */
static void
test_tampered (Fixture       *f,
               gconstpointer  data)
{
  const Tamper *tamper = data;
  g_autoptr(GFile) source = make_source (f, "target.bin", 2 * 1024 * 1024);
  g_autoptr(GFile) destination = out_file (f, "target.bin");

  start_send (f, source);
  g_assert_no_error (f->offer_error);
  receive_into (f, destination, FALSE);
  kf_test_iterate_until (&f->send_done);

  g_assert_error (f->receive_error, KF_TRANSFER_ERROR, tamper->expected);
  g_assert_null (f->received);
  g_assert_error (f->send_error, KF_TRANSFER_ERROR, tamper->told);
  g_assert_null (f->sent);
  g_assert_cmpuint (count_entries (f->out_dir), ==, 0);
}

static void
test_sanitize (void)
{
  const char *cases[][2] = {
    { "report.pdf", "report.pdf" },
    { "../x", "x" },
    { "/etc/passwd", "passwd" },
    { "..\\..\\boot.ini", "boot.ini" },
    { "a\nb", "a_b" },
    { "tab\there\x7f", "tab_here_" },
    { "invoice\xe2\x80\xaetxt.exe", "invoice_txt.exe" },
    { "naïve café.txt", "naïve café.txt" },
    { ".bash_profile", "_.bash_profile" },
    { "home/.ssh/.authorized_keys", "_.authorized_keys" },
    { "...", "_..." },
    { "a\xe2\x80\x8b\xe2\x80\xa8" "b", "a__b" },
    { "..", NULL },
    { ".", NULL },
    { "dir/", NULL },
    { "", NULL },
    { "bad\xff", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *name = kf_file_name_sanitize (cases[i][0], strlen (cases[i][0]), &error);

      g_assert_cmpstr (name, ==, cases[i][1]);
      if (cases[i][1] == NULL)
        g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_NAME);
    }
  g_assert_null (kf_file_name_sanitize ("a\0b", 3, NULL));
}

static void
test_offer_parse (void)
{
  g_autofree guint8 *good = NULL;
  g_autoptr(KfTransferOffer) offer = NULL;
  gsize len;

  good = kf_transfer_offer_encode ("file.txt", 17, &len);
  offer = kf_transfer_offer_parse (good, len, KF_CIPHER_MODE_CBC, NULL);
  g_assert_nonnull (offer);
  g_assert_cmpuint (offer->encrypted_size, ==, 32);

  for (gsize cut = 0; cut < len; cut++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (kf_transfer_offer_parse (good, cut, KF_CIPHER_MODE_CBC, &error));
      g_assert_nonnull (error);
    }
  good[0] = 0xff;
  g_assert_null (kf_transfer_offer_parse (good, len, KF_CIPHER_MODE_CFB, NULL));
}

/* The receivers' one check of a data record's place in a file's chain:
 * the words a user reads, for a file offered alone and for one file of a
 * tree, exactly as each receiver said them before they shared it. */
static void
test_record_checks (void)
{
  static const struct
  {
    KfRecordScope  scope;
    const char    *too_long;
    const char    *ended;
  } scopes[] = {
    { KF_RECORD_SCOPE_FILE,
      "The sender sent more data than it announced. Nothing was saved.",
      "The sender ended the file after 16 of 48 bytes. Nothing was saved." },
    { KF_RECORD_SCOPE_TREE,
      "The sender sent more data for a file than it announced. That file was not saved.",
      "The sender ended a file after 16 of 48 bytes. That file was not saved." },
  };

  for (guint i = 0; i < G_N_ELEMENTS (scopes); i++)
    {
      KfRecordHeader data = { KF_RECORD_DATA, 0, 32, 0 };
      KfRecordHeader final = { KF_RECORD_DATA, KF_RECORD_FLAG_FINAL, 16, 0 };
      KfRecordHeader accept = { KF_RECORD_ACCEPT, 0, 0, 0 };
      g_autoptr(GError) too_long = NULL;
      g_autoptr(GError) ended = NULL;
      g_autoptr(GError) other = NULL;
      guint64 bytes = 0;

      g_assert_true (_kf_transfer_check_data_record (&data, NULL, 48, &bytes, scopes[i].scope, NULL));
      g_assert_cmpuint (bytes, ==, 32);
      g_assert_false (_kf_transfer_check_data_record (&data, NULL, 48, &bytes, scopes[i].scope,
                                                      &too_long));
      g_assert_error (too_long, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL);
      g_assert_cmpstr (too_long->message, ==, scopes[i].too_long);
      bytes = 0;
      g_assert_false (_kf_transfer_check_data_record (&final, NULL, 48, &bytes, scopes[i].scope,
                                                      &ended));
      g_assert_error (ended, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_TRUNCATED);
      g_assert_cmpstr (ended->message, ==, scopes[i].ended);
      g_assert_false (_kf_transfer_check_data_record (&accept, NULL, 48, &bytes, scopes[i].scope,
                                                      &other));
      g_assert_error (other, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL);
    }
}

/* The receivers' one decryption of a record: the plaintext as a piece
 * after what the buffer holds, and a bad padding worded for each scope. */
static void
test_record_decrypt (void)
{
  static const guint8 key[KF_CIPHER_KEY_SIZE] = { 1, 2, 3 };
  static const guint8 iv[KF_CIPHER_IV_SIZE] = { 4, 5, 6 };
  static const char *failed[] = {
    "The file could not be decrypted (", ". Nothing was saved.",
    "A file could not be decrypted (", ". It was not saved.",
  };
  g_autoptr(KfCipher) encrypt = kf_cipher_new (KF_CIPHER_MODE_CBC, KF_CIPHER_ENCRYPT, key,
                                               sizeof key, iv, sizeof iv, NULL);
  guint8 sealed[2 * KF_CIPHER_BLOCK_SIZE];
  guint8 garbage[KF_CIPHER_BLOCK_SIZE] = { 0 };
  gsize n = 0;
  gsize tail = 0;

  g_assert_true (kf_cipher_update (encrypt, (const guint8 *) "hello", 5, sealed, sizeof sealed,
                                   &n, NULL));
  g_assert_true (kf_cipher_finish (encrypt, sealed + n, sizeof sealed - n, &tail, NULL));
  for (guint i = 0; i < 2; i++)
    {
      KfRecordScope scope = i == 0 ? KF_RECORD_SCOPE_FILE : KF_RECORD_SCOPE_TREE;
      g_autoptr(KfCipher) decrypt = kf_cipher_new (KF_CIPHER_MODE_CBC, KF_CIPHER_DECRYPT, key,
                                                   sizeof key, iv, sizeof iv, NULL);
      g_autoptr(GError) error = NULL;
      KfChunk *buf = _kf_chunk_new (64);
      KfPiece *piece;

      _kf_chunk_add (buf, 3);
      piece = _kf_transfer_decrypt_record (decrypt, sealed, n + tail, TRUE, buf, scope, NULL);
      g_assert_nonnull (piece);
      g_assert_cmpuint (piece->offset, ==, 3);
      g_assert_cmpmem (buf->data + piece->offset, piece->len, "hello", 5);
      g_assert_true (kf_cipher_restart (decrypt, iv, sizeof iv, NULL));
      g_assert_null (_kf_transfer_decrypt_record (decrypt, garbage, sizeof garbage, TRUE, buf,
                                                  scope, &error));
      g_assert_error (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL);
      g_assert_true (g_str_has_prefix (error->message, failed[2 * i]));
      g_assert_true (g_str_has_suffix (error->message, failed[2 * i + 1]));
      g_assert_cmpuint (buf->n_pieces, ==, 2);
      _kf_chunk_free (buf);
    }
}

int
main (int    argc,
      char **argv)
{
  static const gsize sizes[] = { 0, 1, 15, 16, 17, 4096, 1024 * 1024 + 1, 3 * 1024 * 1024 + 5 };
  static Case cases[2 * G_N_ELEMENTS (sizes)];
#define A16 "aaaaaaaaaaaaaaaa"
#define A256 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16
#define DOT_A254 "." A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 A16 "aaaaaaaaaaaaaa"
  static const char *names[][2] = {
    { "../x", "x" }, { "/etc/passwd", "passwd" }, { "line\nbreak", "line_break" }, { "..", NULL },
    { "/", NULL }, { A256, NULL }, { DOT_A254, NULL },
  };

  static const Tamper tampers[] = {
    { KF_TEST_PROXY_FLIP, KF_TRANSFER_ERROR_BAD_MAC, KF_TRANSFER_ERROR_CANCELLED },
    { KF_TEST_PROXY_SWAP, KF_TRANSFER_ERROR_ORDER, KF_TRANSFER_ERROR_CANCELLED },
    { KF_TEST_PROXY_DUPLICATE, KF_TRANSFER_ERROR_ORDER, KF_TRANSFER_ERROR_CANCELLED },
    { KF_TEST_PROXY_CUT_BOUNDARY, KF_TRANSFER_ERROR_PEER_GONE, KF_TRANSFER_ERROR_PEER_GONE },
    { KF_TEST_PROXY_CUT_MIDDLE, KF_TRANSFER_ERROR_TRUNCATED, KF_TRANSFER_ERROR_CANCELLED },
  };
  static const char *tamper_names[] = {
    "bit-flip", "reordered", "duplicated", "cut-at-boundary", "cut-mid-record",
  };

  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (tampers); i++)
    {
      g_autofree char *path = g_strdup_printf ("/transfer/tampered/%s", tamper_names[i]);

      g_test_add (path, Fixture, &tampers[i], fixture_set_up_tamper, test_tampered,
                  fixture_tear_down);
    }

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = NULL;

      cases[i].mode = i % 2 ? KF_CIPHER_MODE_CFB : KF_CIPHER_MODE_CBC;
      cases[i].size = sizes[i / 2];
      path = g_strdup_printf ("/transfer/%s/%" G_GSIZE_FORMAT,
                              kf_cipher_mode_to_string (cases[i].mode), cases[i].size);
      g_test_add (path, Fixture, &cases[i], fixture_set_up_case, test_round_trip, fixture_tear_down);
    }
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *path = g_strdup_printf ("/transfer/hostile-name/%u", i);

      g_test_add (path, Fixture, names[i], fixture_set_up, test_hostile_name, fixture_tear_down);
    }
#define ADD(path, func, data) \
  g_test_add (path, Fixture, data, fixture_set_up, func, fixture_tear_down)
  ADD ("/transfer/decline", test_decline, NULL);
  ADD ("/transfer/cancel-by-sender", test_interrupted, "sender");
  ADD ("/transfer/cancel-by-receiver", test_interrupted, "receiver");
  ADD ("/transfer/cancel-when-km-gone", test_interrupted, "km-gone");
  ADD ("/transfer/sender-vanishes", test_interrupted, "vanish");
  ADD ("/transfer/existing-file-kept", test_existing_kept, NULL);
  ADD ("/transfer/newline-in-name", test_newline_file, NULL);
  ADD ("/transfer/no-space", test_no_space, NULL);
  ADD ("/transfer/space-margin", test_space_margin, NULL);
  ADD ("/transfer/idle/stalled-sender", test_idle_stalled_sender, NULL);
  ADD ("/transfer/idle/stalled-receiver", test_idle_stalled_receiver, NULL);
  ADD ("/transfer/idle/slow-but-moving", test_idle_slow_but_moving, NULL);
  ADD ("/transfer/unreadable-file-named-without-path", test_unreadable_source, NULL);
  ADD ("/transfer/receiver-page-cache-bounded", test_page_cache_bounded, NULL);
#undef ADD
  g_test_add_func ("/transfer/sanitize-names", test_sanitize);
  g_test_add_func ("/transfer/offer-parser", test_offer_parse);
  g_test_add_func ("/transfer/record-checks", test_record_checks);
  g_test_add_func ("/transfer/record-decrypt", test_record_decrypt);

  return g_test_run ();
}
