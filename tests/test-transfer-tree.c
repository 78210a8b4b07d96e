/* test-transfer-tree.c: several files and folders over a real peer link
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <gcrypt.h>
#include <glib/gstdio.h>

#include "kf-gcrypt.h"
#include "kf-peer-listener.h"
#include "kf-transfer.h"
#include "kf-transfer-private.h"
#include "kf-test-link-pair.h"
#include "kf-test-util.h"

typedef struct
{
  KfSessionKeys    *keys;
  KfPeerLink       *sender;
  KfPeerLink       *receiver;
  char             *dir;
  char             *src;
  char             *out;
  KfTransferOffer  *offer;
  KfTransferResult *sent;
  KfTransferResult *received;
  GError           *offer_error;
  GError           *send_error;
  GError           *receive_error;
  gboolean          offer_done;
  gboolean          send_done;
  gboolean          receive_done;
  GCancellable     *receive_cancel;
  GCancellable     *send_cancel;
  GPtrArray        *landed;       /* relative paths, as reported */
  guint             cancel_after; /* files landed before the receiver cancels; 0: never */
  gboolean          cancel_sender;
  GHashTable       *landed_sources; /* ids of the main-context sources that reported files */
  KfTransferOffer  *sender_offer;   /* what the sender's progress said it offers */
  guint             sender_reports; /* the sender's progress reports */
  GPtrArray        *sent_files;     /* relative paths the sender reported sent whole */
} Fixture;

static void
set_up (Fixture       *f,
        gconstpointer  data)
{
  KfCipherMode mode = GPOINTER_TO_INT (data);

  f->keys = kf_test_session_keys_new ("t1", mode);
  kf_test_link_pair_open (f->keys, NULL, NULL, &f->sender, &f->receiver);

  f->dir = g_dir_make_tmp ("kf-tree-XXXXXX", NULL);
  f->src = g_build_filename (f->dir, "src", NULL);
  f->out = g_build_filename (f->dir, "out", NULL);
  g_assert_cmpint (g_mkdir (f->src, 0700), ==, 0);
  g_assert_cmpint (g_mkdir (f->out, 0700), ==, 0);
  f->receive_cancel = g_cancellable_new ();
  f->send_cancel = g_cancellable_new ();
  f->landed = g_ptr_array_new_with_free_func (g_free);
  f->sent_files = g_ptr_array_new_with_free_func (g_free);
}

static void
tear_down (Fixture       *f,
           gconstpointer  data)
{
  kf_test_drain_and_finalize (f->sender);
  kf_test_drain_and_finalize (f->receiver);
  g_clear_pointer (&f->offer, kf_transfer_offer_free);
  g_clear_pointer (&f->sent, kf_transfer_result_free);
  g_clear_pointer (&f->received, kf_transfer_result_free);
  g_clear_error (&f->offer_error);
  g_clear_error (&f->send_error);
  g_clear_error (&f->receive_error);
  g_clear_object (&f->receive_cancel);
  g_clear_object (&f->send_cancel);
  g_ptr_array_unref (f->landed);
  g_ptr_array_unref (f->sent_files);
  g_clear_pointer (&f->sender_offer, kf_transfer_offer_free);
  kf_test_remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->src);
  g_free (f->out);
  kf_session_keys_free (f->keys);
}

/* Writes @size bytes, seeded by @size and @name, to SRC/@rel. */
static void
put_file (Fixture    *f,
          const char *rel,
          gsize       size)
{
  g_autofree char *path = g_build_filename (f->src, rel, NULL);
  g_autofree char *folder = g_path_get_dirname (path);
  g_autofree guint8 *data = g_malloc (size + 1);
  g_autoptr(GRand) rand = g_rand_new_with_seed ((guint32) (size + g_str_hash (rel)));

  for (gsize i = 0; i < size; i++)
    data[i] = (guint8) g_rand_int (rand);
  g_assert_cmpint (g_mkdir_with_parents (folder, 0700), ==, 0);
  g_assert_true (g_file_set_contents (path, (const char *) data, (gssize) size, NULL));
}

static void
put_folder (Fixture    *f,
            const char *rel)
{
  g_autofree char *path = g_build_filename (f->src, rel, NULL);

  g_assert_cmpint (g_mkdir_with_parents (path, 0700), ==, 0);
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
progress_cb (const KfTransferProgress *progress,
             gpointer                  user_data)
{
  Fixture *f = user_data;

  g_assert_cmpuint (progress->done, <=, progress->total);
  g_assert_cmpuint (progress->files_done, <=, progress->files_total);
  if (progress->landed == NULL)
    return;
  g_ptr_array_add (f->landed, g_strdup (progress->landed->path));
  if (f->landed_sources != NULL && g_main_current_source () != NULL)
    g_hash_table_add (f->landed_sources,
                      GUINT_TO_POINTER (g_source_get_id (g_main_current_source ())));
  if (f->cancel_after != 0 && f->landed->len == f->cancel_after)
    g_cancellable_cancel (f->cancel_sender ? f->send_cancel : f->receive_cancel);
}

/* The sender's progress: what it offers (first, once), then each file
 * sent whole. */
static void
sender_progress_cb (const KfTransferProgress *progress,
                    gpointer                  user_data)
{
  Fixture *f = user_data;

  if (progress->offer != NULL)
    {
      g_assert_cmpuint (f->sender_reports, ==, 0);
      g_assert_null (f->sender_offer);
      f->sender_offer = kf_transfer_offer_copy (progress->offer);
    }
  f->sender_reports++;
  if (progress->landed != NULL && progress->landed->status == KF_TRANSFER_FILE_SENT)
    g_ptr_array_add (f->sent_files, g_strdup (progress->landed->path));
}

/* Offers SRC/@names (NULL-terminated) and waits for the offer. */
static void
offer (Fixture           *f,
       const char * const *names)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; names[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (f->src, names[i], NULL);

      g_ptr_array_add (files, g_file_new_for_path (path));
    }
  kf_transfer_send_async (f->sender, (GFile **) files->pdata, files->len,
                          sender_progress_cb, f, NULL, f->send_cancel, sent_cb, f);
  kf_transfer_receive_offer_async (f->receiver, NULL, offer_cb, f);
  kf_test_iterate_until (&f->offer_done);
}

static void
receive (Fixture *f)
{
  g_autoptr(GFile) out = g_file_new_for_path (f->out);

  kf_transfer_receive_async (f->receiver, f->offer, out, FALSE, progress_cb, f, NULL,
                             f->receive_cancel, received_cb, f);
  kf_test_iterate_until (&f->receive_done);
  kf_test_iterate_until (&f->send_done);
}

/* Whether @a and @b hold the same bytes. */
static void
assert_same_file (const char *a,
                  const char *b)
{
  g_autofree char *x = NULL;
  g_autofree char *y = NULL;
  gsize xl = 0;
  gsize yl = 0;

  g_assert_true (g_file_get_contents (a, &x, &xl, NULL));
  g_assert_true (g_file_get_contents (b, &y, &yl, NULL));
  g_assert_cmpmem (x, xl, y, yl);
}

static const char *tree_files[] = {
  "album/été 2026/DSC 0001.jpg", "album/été 2026/DSC 0002.jpg", "album/notes.txt",
  "album/zero", "album/deep/a/b/c/d.bin", "loose.pdf", NULL,
};
static const gsize tree_sizes[] = { 300000, 4096, 15, 0, 262144 * 2 + 7, 1 };

static void
test_round_trip (Fixture       *f,
                 gconstpointer  data)
{
  static const char *top[] = { "album", "loose.pdf", NULL };
  g_autoptr(GPtrArray) received = NULL;
  guint64 blocks = 0;

  for (guint i = 0; tree_files[i] != NULL; i++)
    put_file (f, tree_files[i], tree_sizes[i]);
  put_folder (f, "album/empty");
  offer (f, top);
  g_assert_no_error (f->offer_error);
  g_assert_true (f->offer->is_tree);
  g_assert_cmpuint (f->offer->n_files, ==, 6);
  g_assert_cmpuint (f->offer->n_folders, ==, 7);
  g_assert_cmpuint (f->offer->n_top_level, ==, 2);
  g_assert_cmpstr (f->offer->top_level[0], ==, "album");
  g_assert_cmpstr (f->offer->top_level[1], ==, "loose.pdf");
  receive (f);
  g_assert_no_error (f->receive_error);
  g_assert_no_error (f->send_error);

  for (guint i = 0; tree_files[i] != NULL; i++)
    {
      g_autofree char *a = g_build_filename (f->src, tree_files[i], NULL);
      g_autofree char *b = g_build_filename (f->out, tree_files[i], NULL);

      assert_same_file (a, b);
      blocks += kf_cipher_encrypted_size (f->keys->mode, tree_sizes[i]) / 16
                + (f->keys->mode == KF_CIPHER_MODE_CFB && tree_sizes[i] % 16 ? 1 : 0);
    }
  {
    g_autofree char *empty = g_build_filename (f->out, "album", "empty", NULL);

    g_assert_true (g_file_test (empty, G_FILE_TEST_IS_DIR));
  }
  g_assert_cmpuint (f->received->blocks, ==, blocks);
  g_assert_cmpuint (f->sent->blocks, ==, blocks);
  g_assert_cmpstr (f->sent->digest, ==, f->received->digest);
  received = kf_transfer_files_to_array (f->received->files);
  g_assert_cmpuint (received->len, ==, 13);
  g_assert_cmpuint (kf_transfer_files_get_length (f->received->files), ==, 13);
  g_assert_cmpuint (f->landed->len, ==, 6);
  /* The sender said what it offered, then each file as it went whole. */
  g_assert_nonnull (f->sender_offer);
  g_assert_true (f->sender_offer->is_tree);
  g_assert_cmpuint (f->sender_offer->n_files, ==, 6);
  g_assert_cmpuint (f->sender_offer->n_top_level, ==, 2);
  g_assert_true (f->sender_offer->top_entries[0].is_folder);
  g_assert_nonnull (f->sender_offer->manifest);
  g_assert_cmpuint (f->sent_files->len, ==, 6);
  for (guint i = 0; i < f->landed->len; i++)
    g_assert_cmpstr (f->sent_files->pdata[i], ==, f->landed->pdata[i]);
  for (guint i = 0; i < received->len; i++)
    {
      KfTransferFileResult *r = received->pdata[i];

      g_assert_cmpint (r->status, ==, KF_TRANSFER_FILE_ARRIVED);
      if (g_str_equal (r->path, "album/deep/a/b/c/d.bin"))
        g_assert_cmpuint (r->blocks, ==, kf_cipher_encrypted_size (f->keys->mode, r->size) / 16
                                         + (f->keys->mode == KF_CIPHER_MODE_CFB ? 1 : 0));
    }
}

/* Names on disk that are not UTF-8 are sent under their display form,
 * and each file is still read from its own name on disk, at any depth:
 * the manifest keeps the local name only where it differs. */
static void
test_local_names (Fixture       *f,
                  gconstpointer  data)
{
  static const char *top[] = { "top", NULL };
  /* The last two: a name that is not UTF-8 displays as its UTF-8
   * sibling's name, which keeps it; the other is numbered. */
  const char *raw[] = { "top/odd\xff/f\xfe", "top/odd\xff/plain", "top/plain/f\xfe",
                        "top/plain/g\xfe", "top/plain/g\xef\xbf\xbd" };
  const char *sent[] = { "top/odd\xef\xbf\xbd/f\xef\xbf\xbd", "top/odd\xef\xbf\xbd/plain",
                         "top/plain/f\xef\xbf\xbd", "top/plain/g\xef\xbf\xbd (2)",
                         "top/plain/g\xef\xbf\xbd" };

  for (guint i = 0; i < G_N_ELEMENTS (raw); i++)
    put_file (f, raw[i], 1000 + i);
  offer (f, top);
  g_assert_no_error (f->offer_error);
  receive (f);
  g_assert_no_error (f->receive_error);
  g_assert_no_error (f->send_error);
  for (guint i = 0; i < G_N_ELEMENTS (raw); i++)
    {
      g_autofree char *a = g_build_filename (f->src, raw[i], NULL);
      g_autofree char *b = g_build_filename (f->out, sent[i], NULL);

      assert_same_file (a, b);
    }
}

/* A large file of a tree does not sit in the page cache as it arrives:
 * each file is written back and dropped a few windows behind, as a
 * single file is. */
static void
test_page_cache_bounded (Fixture       *f,
                         gconstpointer  data)
{
  static const char *top[] = { "big", NULL };
  g_autofree char *a = g_build_filename (f->src, "big", "a.bin", NULL);
  g_autofree char *b = g_build_filename (f->out, "big", "a.bin", NULL);
  guint64 resident;

  if (kf_test_on_tmpfs (f->out))
    {
      g_test_skip ("the temporary folder is on tmpfs, which has no writeback");
      return;
    }
  put_file (f, "big/a.bin", 64 * 1024 * 1024);
  put_file (f, "big/small.txt", 100);
  offer (f, top);
  g_assert_no_error (f->offer_error);
  g_assert_true (f->offer->is_tree);
  receive (f);
  g_assert_no_error (f->receive_error);
  g_assert_no_error (f->send_error);
  /* Before anything reads the received file back. */
  resident = kf_test_resident_bytes (b);
  g_test_message ("%" G_GUINT64_FORMAT " bytes of 64 MiB in the page cache", resident);
  g_assert_cmpuint (resident, <=, 3 * KF_WRITEBACK_WINDOW);
  assert_same_file (a, b);
}

/* A top-level name that exists is not replaced: the tree arrives as
 * "name (2)"; links, FIFOs in the source are skipped and reported. */
static void
test_existing_and_skipped (Fixture       *f,
                           gconstpointer  data)
{
  static const char *top[] = { "album", NULL };
  g_autofree char *kept = g_build_filename (f->out, "album", NULL);
  g_autofree char *link = g_build_filename (f->src, "album", "link", NULL);
  g_autofree char *fifo = g_build_filename (f->src, "album", "fifo", NULL);
  g_autofree char *got = g_build_filename (f->out, "album (2)", "notes.txt", NULL);
  g_autofree char *no_link = g_build_filename (f->out, "album (2)", "link", NULL);
  g_autoptr(GPtrArray) sent = NULL;
  g_autoptr(GPtrArray) received = NULL;
  guint skipped = 0;

  put_file (f, "album/notes.txt", 10);
  g_assert_cmpint (symlink ("/etc/passwd", link), ==, 0);
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_true (g_file_set_contents (kept, "mine", -1, NULL));
  offer (f, top);
  g_assert_no_error (f->offer_error);
  g_assert_cmpuint (f->offer->n_files, ==, 1);
  receive (f);
  g_assert_no_error (f->receive_error);
  g_assert_true (g_file_test (got, G_FILE_TEST_IS_REGULAR));
  g_assert_false (g_file_test (no_link, G_FILE_TEST_EXISTS));
  assert_same_file (kept, kept);
  sent = kf_transfer_files_to_array (f->sent->files);
  received = kf_transfer_files_to_array (f->received->files);
  for (guint i = 0; i < sent->len; i++)
    {
      KfTransferFileResult *r = sent->pdata[i];

      skipped += r->status == KF_TRANSFER_FILE_SKIPPED;
    }
  g_assert_cmpuint (skipped, ==, 2);
  {
    KfTransferFileResult *r = received->pdata[0];

    g_assert_cmpint (r->status, ==, KF_TRANSFER_FILE_RENAMED);
    g_assert_cmpstr (r->path, ==, "album (2)");
    g_assert_cmpstr (r->offered_path, ==, "album");
  }
}

/* Counts the regular files under @path, and fails on a temporary one. */
static guint
count_files (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  guint n = 0;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      g_assert_false (g_str_has_suffix (name, ".part"));
      n += g_file_test (child, G_FILE_TEST_IS_DIR) ? count_files (child) : 1;
    }
  return n;
}

/* Cancelled after two files landed, by either side: those stay whole,
 * nothing else is there, not even a part of the third.  The sender
 * reported the files it sent whole, in order: those that landed among
 * them. */
static void
test_cancelled (Fixture       *f,
                gconstpointer  data)
{
  static const char *top[] = { "many", NULL };

  for (guint i = 0; i < 64; i++)
    {
      g_autofree char *rel = g_strdup_printf ("many/f%02u", i);

      put_file (f, rel, 1024 * 1024);
    }
  f->cancel_after = 2;
  f->cancel_sender = GPOINTER_TO_INT (data) == 1;
  offer (f, top);
  g_assert_no_error (f->offer_error);
  receive (f);
  g_assert_nonnull (f->receive_error);
  g_assert_nonnull (f->send_error);
  g_assert_cmpuint (count_files (f->out), >=, 2);
  g_assert_cmpuint (count_files (f->out), <, 64);
  g_assert_cmpuint (count_files (f->out), ==, f->landed->len);
  g_test_message ("%u files landed, %u sent whole", f->landed->len, f->sent_files->len);
  g_assert_cmpuint (f->sent_files->len, >=, f->landed->len);
  g_assert_cmpuint (f->sent_files->len, <, 64);
  for (guint i = 0; i < f->sent_files->len; i++)
    {
      g_autofree char *want = g_strdup_printf ("many/f%02u", i);

      g_assert_cmpstr (f->sent_files->pdata[i], ==, want);
    }
  for (guint i = 0; i < f->landed->len; i++)
    {
      g_autofree char *a = g_build_filename (f->src, f->landed->pdata[i], NULL);
      g_autofree char *b = g_build_filename (f->out, f->landed->pdata[i], NULL);

      assert_same_file (a, b);
    }
}

/* The size of the @i-th file of test_packed(): runs of sizes around the
 * cipher's block, a 4 KiB page and the 256 KiB cut, between runs of
 * tiny files longer than a pipeline buffer's pieces. */
static gsize
packed_size (guint i)
{
  static const gsize sizes[] = { 0, 1, 15, 16, 17, 4096, 262143, 262144, 262145, 4095, 33 };

  return i % 400 < G_N_ELEMENTS (sizes) ? sizes[i % 400] : i % 7;
}

/* Many small files share the pipeline's buffers (and the records of
 * several go out in one write): every file of any size arrives whole,
 * with its own chain's block count, and both sides saw the same records. */
static void
test_packed (Fixture       *f,
             gconstpointer  data)
{
  static const char *top[] = { "packed", NULL };
  const guint n = 600;
  g_autoptr(GPtrArray) received = NULL;
  guint64 blocks = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *rel = g_strdup_printf ("packed/d%u/f%04u", i / 300, i);

      put_file (f, rel, packed_size (i));
    }
  offer (f, top);
  g_assert_no_error (f->offer_error);
  receive (f);
  g_assert_no_error (f->receive_error);
  g_assert_no_error (f->send_error);
  g_assert_cmpuint (f->landed->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *rel = g_strdup_printf ("packed/d%u/f%04u", i / 300, i);
      g_autofree char *a = g_build_filename (f->src, rel, NULL);
      g_autofree char *b = g_build_filename (f->out, rel, NULL);
      gsize size = packed_size (i);

      assert_same_file (a, b);
      blocks += f->keys->mode == KF_CIPHER_MODE_CBC ? size / 16 + 1 : (size + 15) / 16;
    }
  received = kf_transfer_files_to_array (f->received->files);
  for (guint i = 0; i < received->len; i++)
    {
      KfTransferFileResult *r = received->pdata[i];

      if (!r->is_folder)
        g_assert_cmpuint (r->blocks, ==, f->keys->mode == KF_CIPHER_MODE_CBC
                                         ? r->size / 16 + 1 : (r->size + 15) / 16);
    }
  g_assert_cmpuint (f->received->blocks, ==, blocks);
  g_assert_cmpuint (f->sent->blocks, ==, blocks);
  g_assert_cmpstr (f->sent->digest, ==, f->received->digest);
}

/* Cancelled, by either side, among thousands of tiny files that travel
 * many to a buffer: the files that landed are whole, nothing else is
 * there, not even a part of one. */
static void
test_cancelled_tiny (Fixture       *f,
                     gconstpointer  data)
{
  static const char *top[] = { "tiny", NULL };
  const guint n_tiny = 1500;

  for (guint i = 0; i < n_tiny; i++)
    {
      g_autofree char *rel = g_strdup_printf ("tiny/a/f%04u", i);

      put_file (f, rel, i % 100);
    }
  for (guint i = 0; i < 64; i++)
    {
      g_autofree char *rel = g_strdup_printf ("tiny/b/f%02u", i);

      put_file (f, rel, 1024 * 1024);
    }
  f->cancel_after = 600;
  f->cancel_sender = GPOINTER_TO_INT (data) == 1;
  offer (f, top);
  g_assert_no_error (f->offer_error);
  receive (f);
  g_assert_nonnull (f->receive_error);
  g_assert_nonnull (f->send_error);
  g_assert_cmpuint (count_files (f->out), >=, 600);
  g_assert_cmpuint (count_files (f->out), <, n_tiny + 64);
  g_assert_cmpuint (count_files (f->out), ==, f->landed->len);
  for (guint i = 0; i < f->landed->len; i++)
    {
      g_autofree char *a = g_build_filename (f->src, f->landed->pdata[i], NULL);
      g_autofree char *b = g_build_filename (f->out, f->landed->pdata[i], NULL);

      assert_same_file (a, b);
    }
}

/* A manifest of more than 1 MiB goes in several MANIFEST records; 4,100
 * empty files with names of 245 bytes arrive, each reported. */
static void
test_large_manifest (Fixture       *f,
                     gconstpointer  data)
{
  static const char *top[] = { "many", NULL };
  g_autofree char *pad = g_strnfill (240, 'n');
  g_autofree char *last = NULL;

  put_folder (f, "many");
  for (guint i = 0; i < 4100; i++)
    {
      g_autofree char *rel = g_strdup_printf ("many/%s%05u", pad, i);

      put_file (f, rel, 0);
    }
  offer (f, top);
  g_assert_no_error (f->offer_error);
  g_assert_cmpuint (f->offer->n_files, ==, 4100);
  receive (f);
  g_assert_no_error (f->receive_error);
  g_assert_no_error (f->send_error);
  g_assert_cmpuint (f->landed->len, ==, 4100);
  last = g_strdup_printf ("%s/many/%s%05u", f->out, pad, 4099);
  g_assert_true (g_file_test (last, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (f->received->blocks, ==, f->keys->mode == KF_CIPHER_MODE_CBC ? 4100 : 0);
  g_assert_cmpuint (f->sent->blocks, ==, f->received->blocks);
}

/* 2,000 small files land in batches: every one reported, in order, with
 * one wake-up of the caller's thread per batch, not one per file. */
static void
test_landed_batched (Fixture       *f,
                     gconstpointer  data)
{
  static const char *top[] = { "small", NULL };
  const guint n = 2000;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *rel = g_strdup_printf ("small/d%02u/f%04u", i / 100, i);

      put_file (f, rel, 4096);
    }
  f->landed_sources = g_hash_table_new (NULL, NULL);
  offer (f, top);
  g_assert_no_error (f->offer_error);
  receive (f);
  g_assert_no_error (f->receive_error);
  g_assert_no_error (f->send_error);
  g_assert_cmpuint (f->landed->len, ==, n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *want = g_strdup_printf ("small/d%02u/f%04u", i / 100, i);

      g_assert_cmpstr (f->landed->pdata[i], ==, want);
    }
  g_test_message ("%u files reported in %u wake-ups", n,
                  g_hash_table_size (f->landed_sources));
  g_assert_cmpuint (g_hash_table_size (f->landed_sources), <=, n / 4);
  g_hash_table_unref (f->landed_sources);
  f->landed_sources = NULL;
}

int
main (int    argc,
      char **argv)
{
  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func, data) \
  g_test_add (path, Fixture, data, set_up, func, tear_down)
  ADD ("/transfer-tree/round-trip/cbc", test_round_trip, GINT_TO_POINTER (KF_CIPHER_MODE_CBC));
  ADD ("/transfer-tree/round-trip/cfb", test_round_trip, GINT_TO_POINTER (KF_CIPHER_MODE_CFB));
  ADD ("/transfer-tree/page-cache-bounded", test_page_cache_bounded,
       GINT_TO_POINTER (KF_CIPHER_MODE_CBC));
  ADD ("/transfer-tree/large-manifest/cfb", test_large_manifest,
       GINT_TO_POINTER (KF_CIPHER_MODE_CFB));
  ADD ("/transfer-tree/large-manifest/cbc", test_large_manifest,
       GINT_TO_POINTER (KF_CIPHER_MODE_CBC));
  ADD ("/transfer-tree/local-names", test_local_names, GINT_TO_POINTER (KF_CIPHER_MODE_CBC));
  ADD ("/transfer-tree/landed-batched", test_landed_batched, GINT_TO_POINTER (KF_CIPHER_MODE_CBC));
  ADD ("/transfer-tree/packed/cbc", test_packed, GINT_TO_POINTER (KF_CIPHER_MODE_CBC));
  ADD ("/transfer-tree/packed/cfb", test_packed, GINT_TO_POINTER (KF_CIPHER_MODE_CFB));
  ADD ("/transfer-tree/existing-and-skipped", test_existing_and_skipped,
       GINT_TO_POINTER (KF_CIPHER_MODE_CBC));
#undef ADD
  g_test_add ("/transfer-tree/cancel-by-receiver", Fixture, GINT_TO_POINTER (0),
              set_up, test_cancelled, tear_down);
  g_test_add ("/transfer-tree/cancel-by-sender", Fixture, GINT_TO_POINTER (1),
              set_up, test_cancelled, tear_down);
  g_test_add ("/transfer-tree/cancel-tiny-by-receiver", Fixture, GINT_TO_POINTER (0),
              set_up, test_cancelled_tiny, tear_down);
  g_test_add ("/transfer-tree/cancel-tiny-by-sender", Fixture, GINT_TO_POINTER (1),
              set_up, test_cancelled_tiny, tear_down);

  return g_test_run ();
}
