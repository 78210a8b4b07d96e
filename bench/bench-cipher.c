/* bench-cipher.c: the cipher core's throughput against raw libgcrypt
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * For each mode and direction, times KfCipher over 1 MiB chunks and
 * gcry_cipher_encrypt/decrypt called directly on the same buffers, in
 * alternating rounds so that both see the same machine load, and prints
 * both rates and their ratio (target: >= 0.97).  Medians of the rounds.
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <gcrypt.h>

#include "kf-cipher.h"
#include "kf-gcrypt.h"

#define CHUNK (1024 * 1024)

typedef struct
{
  KfCipherMode      mode;
  KfCipherDirection direction;
  guint8           *in;
  guint8           *out;
  gsize             chunks;
} Bench;

static const guint8 key[KF_CIPHER_KEY_SIZE] = { 0x60, 0x3d, 0xeb, 0x10 };
static const guint8 iv[KF_CIPHER_IV_SIZE] = { 0x00, 0x01, 0x02, 0x03 };

static double
run_wrapper (Bench *b)
{
  g_autoptr(KfCipher) cipher = NULL;
  gint64 start;
  gsize out_len;

  cipher = kf_cipher_new (b->mode, b->direction, key, sizeof key, iv, sizeof iv, NULL);
  start = g_get_monotonic_time ();
  for (gsize i = 0; i < b->chunks; i++)
    if (!kf_cipher_update (cipher, b->in, CHUNK, b->out, CHUNK + KF_CIPHER_BLOCK_SIZE,
                           &out_len, NULL))
      g_error ("cipher update failed");

  return (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
}

static double
run_raw (Bench *b)
{
  gcry_cipher_hd_t hd;
  gint64 start;
  int mode = b->mode == KF_CIPHER_MODE_CBC ? GCRY_CIPHER_MODE_CBC : GCRY_CIPHER_MODE_CFB;

  gcry_cipher_open (&hd, GCRY_CIPHER_AES256, mode, GCRY_CIPHER_SECURE);
  gcry_cipher_setkey (hd, key, sizeof key);
  gcry_cipher_setiv (hd, iv, sizeof iv);
  start = g_get_monotonic_time ();
  for (gsize i = 0; i < b->chunks; i++)
    {
      if (b->direction == KF_CIPHER_ENCRYPT)
        gcry_cipher_encrypt (hd, b->out, CHUNK, b->in, CHUNK);
      else
        gcry_cipher_decrypt (hd, b->out, CHUNK, b->in, CHUNK);
    }
  gcry_cipher_close (hd);

  return (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
}

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (double *values,
        guint   n)
{
  qsort (values, n, sizeof *values, compare_doubles);
  return values[n / 2];
}

int
main (int    argc,
      char **argv)
{
  guint rounds = argc > 1 ? (guint) atoi (argv[1]) : 7;
  gsize mib = argc > 2 ? (gsize) atoi (argv[2]) : 256;
  const struct { KfCipherMode mode; KfCipherDirection dir; const char *name; } cases[] = {
    { KF_CIPHER_MODE_CBC, KF_CIPHER_ENCRYPT, "cbc encrypt" },
    { KF_CIPHER_MODE_CBC, KF_CIPHER_DECRYPT, "cbc decrypt" },
    { KF_CIPHER_MODE_CFB, KF_CIPHER_ENCRYPT, "cfb encrypt" },
    { KF_CIPHER_MODE_CFB, KF_CIPHER_DECRYPT, "cfb decrypt" },
  };
  gboolean all_ok = TRUE;

  kf_gcrypt_init ();
  rounds = MAX (rounds, 3);

  printf ("# cipher core vs raw libgcrypt, %" G_GSIZE_FORMAT " MiB per run in 1 MiB chunks, "
          "median of %u runs (min-max)\n", mib, rounds);
  printf ("%-12s %24s %24s %7s\n", "case", "KfCipher MB/s", "raw gcry MB/s", "ratio");
  for (gsize c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      Bench b = { cases[c].mode, cases[c].dir, NULL, NULL, mib };
      g_autofree double *wrap = g_new (double, rounds);
      g_autofree double *raw = g_new (double, rounds);
      double bytes = (double) mib * CHUNK / 1e6;
      double wrap_median, raw_median, ratio;

      b.in = g_malloc (CHUNK);
      b.out = g_malloc (CHUNK + KF_CIPHER_BLOCK_SIZE);
      for (gsize i = 0; i < CHUNK; i++)
        b.in[i] = (guint8) (i * 131);
      run_raw (&b);
      for (guint r = 0; r < rounds; r++)
        {
          raw[r] = bytes / run_raw (&b);
          wrap[r] = bytes / run_wrapper (&b);
        }
      /* median() sorts, so [0] and [rounds - 1] are then min and max. */
      wrap_median = median (wrap, rounds);
      raw_median = median (raw, rounds);
      ratio = wrap_median / raw_median;
      printf ("%-12s %8.0f (%6.0f-%6.0f) %8.0f (%6.0f-%6.0f) %7.3f%s\n", cases[c].name,
              wrap_median, wrap[0], wrap[rounds - 1],
              raw_median, raw[0], raw[rounds - 1],
              ratio, ratio >= 0.97 ? "" : "  below 0.97");
      all_ok &= ratio >= 0.97;
      g_free (b.in);
      g_free (b.out);
    }

  return all_ok ? 0 : 1;
}
