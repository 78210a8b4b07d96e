/* bench-mac.c: which MAC libgcrypt 1.10 computes fastest over records
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The peer link authenticates every record encrypt-then-MAC, so the MAC
 * runs over every ciphertext byte, next to AES-256-CBC/CFB encryption (the
 * serial bottleneck).  This times each candidate MAC over records of the
 * size the transfer engine uses, the way the engine calls it (open once,
 * reset + set nonce + write + read per record), and the AES-256 encryption
 * it sits beside, in alternating rounds so all see the same machine load.
 * Prints the median rate of each in MB/s (10^6 bytes per second).
 *
 * Usage: bench-mac [ROUNDS [MIB_PER_ROUND]]
 */

#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gcrypt.h>

#include "kf-gcrypt.h"

#define RECORD (256 * 1024)

typedef struct
{
  const char *name;
  int         algo;       /* a GCRY_MAC_*, or -1 for a cipher row */
  int         cipher_mode;
  gsize       nonce_len;  /* 0: the MAC takes no nonce */
} Candidate;

static const Candidate candidates[] = {
  { "HMAC-SHA256",       GCRY_MAC_HMAC_SHA256,       0, 0 },
  { "HMAC-SHA512/256",   GCRY_MAC_HMAC_SHA512_256,   0, 0 },
  { "HMAC-SHA512",       GCRY_MAC_HMAC_SHA512,       0, 0 },
  { "HMAC-BLAKE2b-512",  GCRY_MAC_HMAC_BLAKE2B_512,  0, 0 },
  { "HMAC-BLAKE2s-256",  GCRY_MAC_HMAC_BLAKE2S_256,  0, 0 },
  { "CMAC-AES",          GCRY_MAC_CMAC_AES,          0, 0 },
  { "GMAC-AES",          GCRY_MAC_GMAC_AES,          0, 12 },
  { "Poly1305-AES",      GCRY_MAC_POLY1305_AES,      0, 16 },
  { "AES-256-CBC enc",   -1, GCRY_CIPHER_MODE_CBC, 0 },
  { "AES-256-CFB enc",   -1, GCRY_CIPHER_MODE_CFB, 0 },
  { "AES-256-CBC dec",   -2, GCRY_CIPHER_MODE_CBC, 0 },
};

#define N_CANDIDATES G_N_ELEMENTS (candidates)

static guint8 key[32];

/* Times one MAC over @records records of RECORD bytes each, a fresh nonce
 * per record as the engine would.  Returns the seconds it took. */
static double
time_mac (const Candidate *c,
          const guint8    *data,
          gsize            records)
{
  gcry_mac_hd_t hd;
  guint8 tag[64];
  guint8 nonce[16] = { 0 };
  gsize tag_len;
  gint64 start;

  if (gcry_mac_open (&hd, c->algo, 0, NULL) != 0
      || gcry_mac_setkey (hd, key, sizeof key) != 0)
    g_error ("cannot set up %s", c->name);

  start = g_get_monotonic_time ();
  for (gsize i = 0; i < records; i++)
    {
      if (c->nonce_len > 0)
        {
          memcpy (nonce, &i, sizeof i);
          if (gcry_mac_setiv (hd, nonce, c->nonce_len) != 0)
            g_error ("cannot set the nonce of %s", c->name);
        }
      else if (gcry_mac_reset (hd) != 0)
        g_error ("cannot reset %s", c->name);
      gcry_mac_write (hd, data, RECORD);
      tag_len = sizeof tag;
      gcry_mac_read (hd, tag, &tag_len);
    }
  gcry_mac_close (hd);

  return (double) (g_get_monotonic_time () - start) / G_USEC_PER_SEC;
}

/* Times AES-256 encryption or decryption of the same bytes, for scale. */
static double
time_cipher (const Candidate *c,
             guint8          *data,
             guint8          *out,
             gsize            records)
{
  gcry_cipher_hd_t hd;
  guint8 iv[16] = { 0 };
  gint64 start;

  if (gcry_cipher_open (&hd, GCRY_CIPHER_AES256, c->cipher_mode, 0) != 0
      || gcry_cipher_setkey (hd, key, sizeof key) != 0
      || gcry_cipher_setiv (hd, iv, sizeof iv) != 0)
    g_error ("cannot set up %s", c->name);

  start = g_get_monotonic_time ();
  for (gsize i = 0; i < records; i++)
    {
      if (c->algo == -1)
        gcry_cipher_encrypt (hd, out, RECORD, data, RECORD);
      else
        gcry_cipher_decrypt (hd, out, RECORD, data, RECORD);
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

int
main (int    argc,
      char **argv)
{
  guint rounds = argc > 1 ? (guint) atoi (argv[1]) : 5;
  guint mib = argc > 2 ? (guint) atoi (argv[2]) : 256;
  gsize records = (gsize) mib * 4;
  g_autofree guint8 *data = NULL;
  g_autofree guint8 *out = NULL;
  g_autofree double *times = NULL;

  kf_gcrypt_init ();
  if (rounds == 0 || mib == 0)
    {
      fprintf (stderr, "usage: bench-mac [ROUNDS [MIB_PER_ROUND]]\n");
      return 2;
    }

  gcry_randomize (key, sizeof key, GCRY_WEAK_RANDOM);
  data = g_malloc (RECORD);
  out = g_malloc (RECORD);
  gcry_randomize (data, RECORD, GCRY_WEAK_RANDOM);
  times = g_new0 (double, N_CANDIDATES * rounds);

  for (guint r = 0; r < rounds; r++)
    for (gsize c = 0; c < N_CANDIDATES; c++)
      times[c * rounds + r] = candidates[c].algo >= 0
                              ? time_mac (&candidates[c], data, records)
                              : time_cipher (&candidates[c], data, out, records);

  printf ("# %u rounds of %u MiB in %d KiB records, median rates\n",
          rounds, mib, RECORD / 1024);
  for (gsize c = 0; c < N_CANDIDATES; c++)
    {
      double *t = times + c * rounds;

      qsort (t, rounds, sizeof *t, compare_doubles);
      printf ("%-18s %8.0f MB/s\n", candidates[c].name,
              (double) records * RECORD / t[rounds / 2] / 1e6);
    }

  return 0;
}
