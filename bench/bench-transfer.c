/* bench-transfer.c: a whole transfer over loopback, against raw AES
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Two processes, as in real use: the parent sends, a forked child
 * receives, over a KfPeerLink on 127.0.0.1.  Prints the end-to-end rate
 * (plaintext bytes over the sender's wall time, offer to the receiver's
 * DONE), the rate of raw single-core AES-256 encryption in the same mode
 * measured in the same run (the limit: the chain is serial), their ratio,
 * and each side's peak resident memory.  MB = 10^6 bytes.
 *
 * Usage: bench-transfer [MIB [cbc|cfb]]   (default: 1024 MiB, cbc)
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <gcrypt.h>
#include <glib/gstdio.h>

#include "kf-gcrypt.h"
#include "kf-peer-listener.h"
#include "kf-transfer.h"

#define PATTERN_SIZE (1024 * 1024)

typedef struct
{
  GMainLoop        *loop;
  KfPeerLink       *link;
  KfTransferOffer  *offer;
  KfTransferResult *result;
  GError           *error;
} Run;

static void
quit_with (Run    *run,
           GError *error)
{
  if (error != NULL)
    g_error ("%s", error->message);
  g_main_loop_quit (run->loop);
}

static void
link_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Run *run = user_data;

  if (KF_IS_PEER_LISTENER (source))
    run->link = kf_peer_listener_accept_finish (KF_PEER_LISTENER (source), result, &run->error);
  else
    run->link = kf_peer_link_connect_finish (result, &run->error);
  quit_with (run, run->error);
}

static void
offer_cb (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  Run *run = user_data;

  run->offer = kf_transfer_receive_offer_finish (result, &run->error);
  quit_with (run, run->error);
}

static void
done_cb (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Run *run = user_data;

  if (g_task_get_source_tag (G_TASK (result)) == kf_transfer_send_async)
    run->result = kf_transfer_send_finish (result, &run->error);
  else
    run->result = kf_transfer_receive_finish (result, &run->error);
  quit_with (run, run->error);
}

static long
peak_rss_kib (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

/* The child: listens, tells the parent its port, receives into @dir. */
static int
receiver_main (const KfSessionKeys *keys,
               const char          *dir,
               int                  port_fd)
{
  Run run = { g_main_loop_new (NULL, FALSE) };
  g_autoptr(KfIdentity) identity = kf_identity_new_ephemeral ();
  g_autoptr(KfPeerListener) listener = kf_peer_listener_new (keys, identity, NULL);
  g_autofree char *path = NULL;
  g_autoptr(GFile) destination = NULL;
  guint16 port = kf_peer_listener_get_port (listener);

  if (write (port_fd, &port, sizeof port) != sizeof port)
    return 1;
  kf_peer_listener_accept_async (listener, 30000, NULL, link_cb, &run);
  g_main_loop_run (run.loop);
  kf_transfer_receive_offer_async (run.link, NULL, offer_cb, &run);
  g_main_loop_run (run.loop);

  path = g_build_filename (dir, run.offer->name, NULL);
  destination = g_file_new_for_path (path);
  kf_transfer_receive_async (run.link, run.offer, destination, FALSE, NULL, NULL, NULL,
                             NULL, done_cb, &run);
  g_main_loop_run (run.loop);

  printf ("receiver: %" G_GUINT64_FORMAT " blocks, sha256 %s, peak RSS %ld MiB\n",
          run.result->blocks, run.result->digest, peak_rss_kib () / 1024);
  fflush (stdout);
  g_unlink (path);
  return 0;
}

/* Single-core AES-256 encryption of @mib MiB in @mode, in MB/s. */
static double
raw_aes_rate (KfCipherMode mode,
              guint        mib)
{
  const KfSessionKeys zero = { 0 };
  g_autoptr(KfCipher) cipher = kf_cipher_new (mode, KF_CIPHER_ENCRYPT, zero.key, 32,
                                              zero.iv, 16, NULL);
  g_autofree guint8 *in = g_malloc0 (PATTERN_SIZE);
  g_autofree guint8 *out = g_malloc (PATTERN_SIZE + 16);
  gint64 start = g_get_monotonic_time ();
  gsize n;

  for (guint i = 0; i < mib; i++)
    kf_cipher_update (cipher, in, PATTERN_SIZE, out, PATTERN_SIZE + 16, &n, NULL);
  return (double) mib * PATTERN_SIZE / ((double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC) / 1e6;
}

static char *
make_file (const char *dir,
           guint       mib)
{
  char *path = g_build_filename (dir, "bench.bin", NULL);
  g_autofree guint8 *pattern = g_malloc (PATTERN_SIZE);
  FILE *file = fopen (path, "wb");

  gcry_randomize (pattern, PATTERN_SIZE, GCRY_WEAK_RANDOM);
  for (guint i = 0; i < mib; i++)
    {
      pattern[i % PATTERN_SIZE] ^= (guint8) i;
      if (fwrite (pattern, PATTERN_SIZE, 1, file) != 1)
        g_error ("cannot write the test file");
    }
  fclose (file);
  return path;
}

static int
sender_main (const KfSessionKeys *keys,
             const char          *path,
             guint16              port,
             guint                mib)
{
  Run run = { g_main_loop_new (NULL, FALSE) };
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(KfIdentity) identity = kf_identity_new_ephemeral ();
  double seconds;
  double rate;
  double aes;
  gint64 start;

  kf_peer_link_connect_async (keys, identity, "127.0.0.1", port, 30000, NULL, link_cb, &run);
  g_main_loop_run (run.loop);

  start = g_get_monotonic_time ();
  kf_transfer_send_async (run.link, &file, 1, NULL, NULL, NULL, NULL, done_cb, &run);
  g_main_loop_run (run.loop);
  seconds = (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
  rate = (double) mib * PATTERN_SIZE / seconds / 1e6;

  printf ("sender:   %" G_GUINT64_FORMAT " blocks, sha256 %s, peak RSS %ld MiB\n",
          run.result->blocks, run.result->digest, peak_rss_kib () / 1024);
  fflush (stdout);
  aes = raw_aes_rate (keys->mode, MIN (mib, 1024));
  printf ("transfer: %u MiB %s in %.2f s = %.0f MB/s; raw AES-256-%s encrypt %.0f MB/s; ratio %.2f\n",
          mib, kf_cipher_mode_to_string (keys->mode), seconds, rate,
          kf_cipher_mode_to_string (keys->mode), aes, rate / aes);
  return 0;
}

int
main (int    argc,
      char **argv)
{
  guint mib = argc > 1 ? (guint) atoi (argv[1]) : 1024;
  KfCipherMode mode = KF_CIPHER_MODE_CBC;
  g_autoptr(KfSessionKeys) keys = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *path = NULL;
  int fds[2];
  guint16 port = 0;
  pid_t child;
  int status = 1;

  kf_gcrypt_init ();
  if (mib == 0 || (argc > 2 && !kf_cipher_mode_from_string (argv[2], &mode)))
    {
      fprintf (stderr, "usage: bench-transfer [MIB [cbc|cfb]]\n");
      return 2;
    }

  keys = kf_session_keys_new ("bench", mode);
  gcry_randomize (keys->key, sizeof keys->key, GCRY_STRONG_RANDOM);
  gcry_randomize (keys->iv, sizeof keys->iv, GCRY_STRONG_RANDOM);
  gcry_randomize (keys->auth_key, sizeof keys->auth_key, GCRY_STRONG_RANDOM);
  dir = g_dir_make_tmp ("kf-bench-XXXXXX", NULL);
  path = make_file (dir, mib);

  if (pipe (fds) != 0)
    return 1;
  fflush (stdout);
  child = fork ();
  if (child == 0)
    {
      g_autofree char *out = g_build_filename (dir, "out", NULL);

      g_mkdir (out, 0700);
      _exit (receiver_main (keys, out, fds[1]));
    }
  if (read (fds[0], &port, sizeof port) == sizeof port)
    sender_main (keys, path, port, mib);
  waitpid (child, &status, 0);

  g_unlink (path);
  {
    g_autofree char *out = g_build_filename (dir, "out", NULL);

    g_rmdir (out);
  }
  g_rmdir (dir);
  return WIFEXITED (status) ? WEXITSTATUS (status) : 1;
}
