/* fuzz-passphrase-hash.c: a stored passphrase hash, however it was written
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Input: the bytes of a passphrase hash file's line (NULs included), as an
 * operator, a tool or an attacker with write access to the file may have
 * left it.  kf_passphrase_hash_parse() either refuses it, with an
 * invalid-hash error and a message, or accepts it; then every field must
 * lie within the bounds of kf-passphrase-hash.h, and the formatter must
 * write the input back byte for byte (the parser accepts only the one
 * canonical spelling), which a second parse must accept again.
 *
 * Argon2id itself is never computed here: a check costs at least
 * milliseconds, and the parser is what sees untrusted bytes.
 */

#include "config.h"

#include <string.h>

#include "kf-fuzz.h"
#include "kf-passphrase-hash.h"
#include "kf-secure.h"

static void
check_bounds (const KfPassphraseHash *hash)
{
  guint m = kf_passphrase_hash_get_memory_kib (hash);
  guint t = kf_passphrase_hash_get_passes (hash);
  guint p = kf_passphrase_hash_get_lanes (hash);

  kf_fuzz_check (t >= KF_PASSPHRASE_HASH_MIN_PASSES && t <= KF_PASSPHRASE_HASH_MAX_PASSES,
                 "an accepted t is within bounds");
  kf_fuzz_check (p >= KF_PASSPHRASE_HASH_MIN_LANES && p <= KF_PASSPHRASE_HASH_MAX_LANES,
                 "an accepted p is within bounds");
  kf_fuzz_check (m >= 8 * p && m <= KF_PASSPHRASE_HASH_MAX_MEMORY_KIB,
                 "an accepted m is within bounds");
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfPassphraseHash) hash = NULL;
  g_autoptr(KfPassphraseHash) again = NULL;
  char *text;

  hash = kf_passphrase_hash_parse ((const char *) data, size, &error);
  if (hash == NULL)
    {
      kf_fuzz_check (g_error_matches (error, KF_PASSPHRASE_HASH_ERROR,
                                      KF_PASSPHRASE_HASH_ERROR_INVALID),
                     "a refused hash is an invalid-hash error");
      kf_fuzz_check (error->message[0] != '\0' && g_utf8_validate (error->message, -1, NULL),
                     "a refusal has a readable message");
      return 0;
    }
  kf_fuzz_check (error == NULL, "an accepted hash sets no error");
  check_bounds (hash);

  text = kf_passphrase_hash_to_string (hash);
  kf_fuzz_check (text != NULL, "an accepted hash formats");
  kf_fuzz_check (strlen (text) == size && memcmp (text, data, size) == 0,
                 "an accepted hash is written back byte for byte");
  again = kf_passphrase_hash_parse (text, strlen (text), &error);
  kf_fuzz_check (again != NULL, "what the formatter writes parses");
  kf_secure_strfree (text);

  return 0;
}
