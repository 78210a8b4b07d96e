/* fuzz-manifest.c: a tree's manifest, through the receiver's checks
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Input: a manifest's plaintext, as the receiver has it once the MANIFEST
 * records verified and decrypted (docs/PROTOCOL.md, part 2, §6).  It goes
 * through kf_manifest_parse() and kf_transfer_offer_new_for_manifest().
 * What survives must be a tree that can only land inside the chosen
 * folder: every kept name one safe component, unique among its siblings,
 * each entry inside a folder one level up, the sizes adding up, within
 * the limits; and kept names are kept as they are when offered again.
 */

#include "config.h"

#include <string.h>

#include "kf-file-name.h"
#include "kf-fuzz.h"
#include "kf-manifest.h"
#include "kf-transfer.h"
#include "kf-untrusted.h"

static void
check_name (const char *name)
{
  kf_fuzz_check (name[0] != '\0' && strcmp (name, ".") != 0 && strcmp (name, "..") != 0,
                 "a kept name names something");
  kf_fuzz_check (strchr (name, '/') == NULL && strchr (name, '\\') == NULL,
                 "a kept name is one component");
  kf_fuzz_check (g_utf8_validate (name, -1, NULL), "a kept name is UTF-8");
  kf_fuzz_check (strlen (name) <= KF_FILE_NAME_MAX, "a kept name fits a file system");
  kf_fuzz_check (name[0] != '.', "a kept name is never hidden");
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    kf_fuzz_check (!kf_untrusted_is_unwanted (g_utf8_get_char (p)),
                   "a kept name has no control, bidi, zero-width or separator character");
}

/* Every entry sits one level below a folder listed before it, and no two
 * entries have one path. */
static void
check_tree (KfManifest *manifest)
{
  guint n = kf_manifest_get_n_entries (manifest);
  g_autoptr(GHashTable) paths = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint64 total = 0;
  guint files = 0;

  kf_fuzz_check (n > 0 && n <= KF_TRANSFER_MAX_ENTRIES, "the entry count is within the limit");
  for (guint i = 0; i < n; i++)
    {
      const KfManifestEntry *e = kf_manifest_get_entry (manifest, i);
      char *path = kf_manifest_path (manifest, i, FALSE);

      check_name (e->name);
      kf_fuzz_check (e->depth < KF_TRANSFER_MAX_DEPTH, "the tree is within the depth limit");
      if (e->depth == 0)
        kf_fuzz_check (e->parent == G_MAXUINT, "a top-level entry has no folder");
      else
        kf_fuzz_check (e->parent < i
                       && kf_manifest_get_entry (manifest, e->parent)->kind == KF_MANIFEST_FOLDER
                       && kf_manifest_get_entry (manifest, e->parent)->depth + 1 == e->depth,
                       "an entry goes into a folder listed before it, one level up");
      kf_fuzz_check (!g_hash_table_contains (paths, path), "no two entries share a path");
      g_hash_table_add (paths, path);
      if (e->kind == KF_MANIFEST_FILE)
        {
          total += e->size;
          files++;
        }
    }
  kf_fuzz_check (total == kf_manifest_get_total (manifest) && total <= KF_TRANSFER_MAX_SIZE,
                 "the sizes add up to the total, within the limit");
  kf_fuzz_check (files == kf_manifest_get_n_files (manifest), "the files are counted");
}

/* A manifest of the kept names parses to the same names, none renamed. */
static void
check_kept (KfManifest *manifest)
{
  gsize len = 0;
  g_autofree guint8 *again = kf_manifest_encode (manifest, &len);
  g_autoptr(KfManifest) back = kf_manifest_parse (again, len, NULL);

  kf_fuzz_check (back != NULL, "the kept names pass the checks again");
  for (guint i = 0; i < kf_manifest_get_n_entries (back); i++)
    kf_fuzz_check (kf_manifest_get_offered (back, i) == NULL
                   && strcmp (kf_manifest_get_entry (back, i)->name,
                              kf_manifest_get_entry (manifest, i)->name) == 0,
                   "a kept name is kept as it is");
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(KfManifest) manifest = NULL;
  g_autoptr(KfTransferOffer) offer = NULL;
  g_autoptr(GError) error = NULL;

  if (size > 256 * 1024)
    return 0;

  manifest = kf_manifest_parse (data, size, &error);
  kf_fuzz_check ((manifest == NULL) == (error != NULL), "a parse fails with an error and only then");
  if (manifest == NULL)
    {
      kf_fuzz_check (g_error_matches (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_NAME)
                     || g_error_matches (error, KF_TRANSFER_ERROR, KF_TRANSFER_ERROR_PROTOCOL),
                     "a manifest is refused (name) or malformed (protocol)");
      return 0;
    }
  check_tree (manifest);
  check_kept (manifest);
  offer = kf_transfer_offer_new_for_manifest (manifest, KF_CIPHER_MODE_CBC);
  kf_fuzz_check (offer->is_tree && offer->n_files == kf_manifest_get_n_files (manifest)
                 && offer->encrypted_size >= offer->plain_size + offer->n_files
                 && offer->encrypted_size <= offer->plain_size + 16 * (guint64) offer->n_files
                 && offer->n_top_level >= 1 && offer->top_level[0] != NULL,
                 "the offer of a manifest says what it holds");
  return 0;
}
