/* kf-identity.c: a person's long-term Ed25519 key pair and its identity code
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The app and keyferry-cli of one user share one identity, made on first
 * use and kept in $XDG_DATA_HOME/keyferry/identity (folder 0700, file
 * 0600).  The file holds the 32-byte Ed25519 seed of RFC 8032, from which
 * the public key is computed on every load:
 *
 *   keyferry identity v1
 *   ed25519-seed <64 lower-case hex digits>
 *
 * A file other users may read or change is refused, as the key manager's
 * --passphrase-file is.  The identity code is what a person reads aloud to
 * compare identities: SHA-256("keyferry identity v1" || public key), its
 * first 10 bytes in RFC 4648 base32, as four groups of four characters.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gcrypt.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "kf-gcrypt.h"
#include "kf-hex.h"
#include "kf-identity.h"

#define FILE_HEADER    "keyferry identity v1\n"
#define FILE_SEED_TAG  "ed25519-seed "
#define FILE_SIZE      (sizeof FILE_HEADER - 1 + sizeof FILE_SEED_TAG - 1 + 2 * KF_IDENTITY_SEED_SIZE + 1)
#define CODE_LABEL     "keyferry identity v1"
#define CODE_BYTES     10

struct _KfIdentity
{
  GObject      parent_instance;

  char        *path;          /* NULL for an identity made from a seed in memory */
  guint8      *seed;          /* secure memory */
  gcry_sexp_t  private_key;   /* built from secure memory, so kept there */
  guint8       public_key[KF_IDENTITY_PUBLIC_KEY_SIZE];
  char        *code;
};

G_DEFINE_FINAL_TYPE (KfIdentity, kf_identity, G_TYPE_OBJECT)
G_DEFINE_QUARK (kf-identity-error-quark, kf_identity_error)

static void
kf_identity_finalize (GObject *object)
{
  KfIdentity *self = KF_IDENTITY (object);

  if (self->seed != NULL)
    {
      explicit_bzero (self->seed, KF_IDENTITY_SEED_SIZE);
      gcry_free (self->seed);
    }
  gcry_sexp_release (self->private_key);
  g_free (self->path);
  g_free (self->code);

  G_OBJECT_CLASS (kf_identity_parent_class)->finalize (object);
}

static void
kf_identity_class_init (KfIdentityClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kf_identity_finalize;
}

static void
kf_identity_init (KfIdentity *self)
{
}

/* Computes the public key of @seed (RFC 8032 §5.1.5) into @pub. */
static gboolean
public_key_of_seed (const guint8 *seed,
                    guint8        pub[KF_IDENTITY_PUBLIC_KEY_SIZE])
{
  gcry_sexp_t params = NULL;
  gcry_ctx_t ctx = NULL;
  gcry_mpi_t q = NULL;
  const guint8 *q_bytes;
  unsigned int nbits = 0;
  gboolean ok = FALSE;

  if (gcry_sexp_build (&params, NULL, "(private-key (ecc (curve Ed25519) (flags eddsa) (d %b)))",
                       KF_IDENTITY_SEED_SIZE, seed) == 0
      && gcry_mpi_ec_new (&ctx, params, NULL) == 0
      && (q = gcry_mpi_ec_get_mpi ("q@eddsa", ctx, 1)) != NULL
      && (q_bytes = gcry_mpi_get_opaque (q, &nbits)) != NULL
      && nbits == 8 * KF_IDENTITY_PUBLIC_KEY_SIZE)
    {
      memcpy (pub, q_bytes, KF_IDENTITY_PUBLIC_KEY_SIZE);
      ok = TRUE;
    }
  gcry_mpi_release (q);
  gcry_ctx_release (ctx);
  gcry_sexp_release (params);

  return ok;
}

/*
 * kf_identity_new_from_seed:
 * @seed: an RFC 8032 Ed25519 private key (copied)
 *
 * For tests and test vectors: the identity of @seed, kept in memory only.
 *
 * Returns: (transfer full): the identity.  Aborts when libgcrypt cannot
 * compute a public key, which it always can for 32 bytes.
 */
KfIdentity *
kf_identity_new_from_seed (const guint8 seed[KF_IDENTITY_SEED_SIZE])
{
  g_autoptr(KfIdentity) self = g_object_new (KF_TYPE_IDENTITY, NULL);

  g_return_val_if_fail (kf_gcrypt_is_ready (), NULL);
  g_return_val_if_fail (seed != NULL, NULL);

  self->seed = gcry_xmalloc_secure (KF_IDENTITY_SEED_SIZE);
  memcpy (self->seed, seed, KF_IDENTITY_SEED_SIZE);
  if (!public_key_of_seed (self->seed, self->public_key)
      || gcry_sexp_build (&self->private_key, NULL,
                          "(private-key (ecc (curve Ed25519) (flags eddsa) (q %b) (d %b)))",
                          KF_IDENTITY_PUBLIC_KEY_SIZE, self->public_key,
                          KF_IDENTITY_SEED_SIZE, self->seed) != 0)
    g_error ("libgcrypt cannot compute an Ed25519 public key");
  self->code = kf_identity_code_for_key (self->public_key);

  return g_steal_pointer (&self);
}

/*
 * kf_identity_new_ephemeral:
 *
 * Returns: (transfer full): a new random identity kept in memory only, for
 * a program or test that keeps none.
 */
KfIdentity *
kf_identity_new_ephemeral (void)
{
  guint8 *seed = gcry_xmalloc_secure (KF_IDENTITY_SEED_SIZE);
  KfIdentity *self;

  gcry_randomize (seed, KF_IDENTITY_SEED_SIZE, GCRY_STRONG_RANDOM);
  self = kf_identity_new_from_seed (seed);
  explicit_bzero (seed, KF_IDENTITY_SEED_SIZE);
  gcry_free (seed);

  return self;
}

/*
 * kf_identity_default_path:
 *
 * Returns: (transfer full): $XDG_DATA_HOME/keyferry/identity.
 */
char *
kf_identity_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "keyferry", "identity", NULL);
}

/* Opens @path for reading and checks it is a regular file of this user
 * that nobody else may read or change.  Returns the descriptor, or -1 with
 * errno ENOENT and no @error when it does not exist, or -1 with @error. */
static int
open_private_file (const char  *path,
                   GError     **error)
{
  struct stat st;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);
  int saved = errno;

  if (fd < 0 && saved == ENOENT)
    {
      errno = ENOENT;
      return -1;
    }
  if (fd < 0)
    g_set_error (error, KF_IDENTITY_ERROR, KF_IDENTITY_ERROR_IO,
                 _("Cannot open the identity file %s: %s"), path, g_strerror (saved));
  else if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    g_set_error (error, KF_IDENTITY_ERROR, KF_IDENTITY_ERROR_PERMISSIONS,
                 _("The identity file %s is not a regular file"), path);
  else if (st.st_uid != geteuid ())
    g_set_error (error, KF_IDENTITY_ERROR, KF_IDENTITY_ERROR_PERMISSIONS,
                 _("The identity file %s belongs to another user; use your own "
                   "(or give another with --identity FILE)"), path);
  else if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
    g_set_error (error, KF_IDENTITY_ERROR, KF_IDENTITY_ERROR_PERMISSIONS,
                 _("The identity file %s may be read or changed by other users (mode %04o): "
                   "its private key may be known to them. If nobody else used this computer, "
                   "chmod go= it; otherwise delete it to make a new identity"),
                 path, (guint) (st.st_mode & 07777));
  else
    return fd;
  if (fd >= 0)
    close (fd);
  errno = 0;
  return -1;
}

/* Reads the seed out of an open identity file into secure memory. */
static guint8 *
read_seed (int           fd,
           const char   *path,
           GError      **error)
{
  char *text = gcry_xcalloc_secure (1, FILE_SIZE + 2);
  guint8 *seed = gcry_xcalloc_secure (1, KF_IDENTITY_SEED_SIZE);
  gsize len = 0;
  gboolean ok;

  while (len < FILE_SIZE + 1)
    {
      gssize n = read (fd, text + len, FILE_SIZE + 1 - len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      len += (gsize) n;
    }
  ok = len == FILE_SIZE
       && g_str_has_prefix (text, FILE_HEADER FILE_SEED_TAG)
       && text[FILE_SIZE - 1] == '\n';
  if (ok)
    {
      text[FILE_SIZE - 1] = '\0';
      ok = kf_hex_decode (text + sizeof FILE_HEADER - 1 + sizeof FILE_SEED_TAG - 1,
                          seed, KF_IDENTITY_SEED_SIZE, NULL);
    }
  explicit_bzero (text, FILE_SIZE + 2);
  gcry_free (text);
  if (!ok)
    {
      gcry_free (seed);
      g_set_error (error, KF_IDENTITY_ERROR, KF_IDENTITY_ERROR_INVALID,
                   _("The identity file %s is damaged or not a Keyferry identity; restore it "
                     "from a backup, or move it away to make a new identity"), path);
      return NULL;
    }

  return seed;
}

/* Gives the complete file @tmp the name @path, unless @path exists (errno
 * EEXIST): link(), or where the file system has no hard links, rename
 * without replacing. */
static gboolean
publish (const char *tmp,
         const char *path)
{
  if (link (tmp, path) == 0)
    return TRUE;
  if (errno != EPERM && errno != ENOTSUP && errno != EOPNOTSUPP)
    return FALSE;
  return renameat2 (AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0;
}

/* Writes a new identity file at @path without ever replacing one: the
 * contents go to a temporary file created with O_EXCL and mode 0600, which
 * is then linked to @path (link() fails on an existing name).  Returns
 * %FALSE with errno EEXIST and no @error when another process won. */
static gboolean
create_file (const char    *path,
             const guint8  *seed,
             GError       **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *tmp = g_strconcat (path, ".XXXXXX", NULL);
  static const char digits[] = "0123456789abcdef";
  char *contents;
  char *p;
  gboolean written;
  int saved;
  int fd;

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      saved = errno;
      g_set_error (error, KF_IDENTITY_ERROR, KF_IDENTITY_ERROR_IO,
                   _("Cannot create the folder %s for your identity: %s"), dir, g_strerror (saved));
      return FALSE;
    }
  fd = g_mkstemp_full (tmp, O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, KF_IDENTITY_ERROR, KF_IDENTITY_ERROR_IO,
                   _("Cannot create your identity file in %s: %s"), dir, g_strerror (saved));
      return FALSE;
    }

  /* The seed in hex, in secure memory only. */
  contents = gcry_xmalloc_secure (FILE_SIZE);
  p = g_stpcpy (contents, FILE_HEADER FILE_SEED_TAG);
  for (guint i = 0; i < KF_IDENTITY_SEED_SIZE; i++)
    {
      *p++ = digits[seed[i] >> 4];
      *p++ = digits[seed[i] & 0xf];
    }
  *p = '\n';
  written = write (fd, contents, FILE_SIZE) == (gssize) FILE_SIZE && fsync (fd) == 0;
  saved = errno;
  explicit_bzero (contents, FILE_SIZE);
  gcry_free (contents);
  close (fd);
  if (written && publish (tmp, path))
    {
      g_unlink (tmp);
      return TRUE;
    }
  if (written)
    saved = errno;
  g_unlink (tmp);
  if (saved == EEXIST)
    {
      errno = EEXIST;
      return FALSE;
    }
  g_set_error (error, KF_IDENTITY_ERROR, KF_IDENTITY_ERROR_IO,
               _("Cannot write your identity file %s: %s"), path, g_strerror (saved));
  errno = 0;
  return FALSE;
}

static KfIdentity *
identity_from_file (const char  *path,
                    int          fd,
                    GError     **error)
{
  guint8 *seed = read_seed (fd, path, error);
  KfIdentity *self;

  close (fd);
  if (seed == NULL)
    return NULL;
  self = kf_identity_new_from_seed (seed);
  explicit_bzero (seed, KF_IDENTITY_SEED_SIZE);
  gcry_free (seed);
  self->path = g_strdup (path);

  return self;
}

/*
 * kf_identity_load_or_create:
 * @path: the identity file, usually kf_identity_default_path()
 *
 * Loads the identity kept in @path, or makes a new one there when the file
 * does not exist (its folders are created with mode 0700, the file with
 * 0600).  Two programs starting at once end up with the same identity.
 *
 * Returns: (transfer full): the identity, or %NULL with
 * %KF_IDENTITY_ERROR_PERMISSIONS (other users may read or change the file,
 * it is not a regular file, or it belongs to another user),
 * %KF_IDENTITY_ERROR_INVALID (not an identity file) or
 * %KF_IDENTITY_ERROR_IO; every message names the file and what to do.
 */
KfIdentity *
kf_identity_load_or_create (const char  *path,
                            GError     **error)
{
  g_return_val_if_fail (kf_gcrypt_is_ready (), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  for (guint attempt = 0; attempt < 2; attempt++)
    {
      guint8 *seed;
      gboolean created;
      int fd = open_private_file (path, error);

      if (fd >= 0)
        return identity_from_file (path, fd, error);
      if (errno != ENOENT)
        return NULL;

      seed = gcry_xmalloc_secure (KF_IDENTITY_SEED_SIZE);
      gcry_randomize (seed, KF_IDENTITY_SEED_SIZE, GCRY_VERY_STRONG_RANDOM);
      created = create_file (path, seed, error);
      explicit_bzero (seed, KF_IDENTITY_SEED_SIZE);
      gcry_free (seed);
      if (created)
        {
          g_message ("made a new identity in %s", path);
          continue;
        }
      if (errno != EEXIST)
        return NULL;
    }

  g_set_error (error, KF_IDENTITY_ERROR, KF_IDENTITY_ERROR_IO,
               _("The identity file %s keeps appearing and disappearing; check what else "
                 "writes to it"), path);
  return NULL;
}

/*
 * kf_identity_get_path:
 *
 * Returns: (nullable): the file the identity was loaded from.
 */
const char *
kf_identity_get_path (KfIdentity *self)
{
  g_return_val_if_fail (KF_IS_IDENTITY (self), NULL);

  return self->path;
}

/*
 * kf_identity_get_public_key:
 *
 * Returns: (array fixed-size=32): the Ed25519 public key.
 */
const guint8 *
kf_identity_get_public_key (KfIdentity *self)
{
  g_return_val_if_fail (KF_IS_IDENTITY (self), NULL);

  return self->public_key;
}

/*
 * kf_identity_get_code:
 *
 * Returns: the identity code, "ABCD-EFGH-IJKL-MNOP".
 */
const char *
kf_identity_get_code (KfIdentity *self)
{
  g_return_val_if_fail (KF_IS_IDENTITY (self), NULL);

  return self->code;
}

/*
 * kf_identity_sign:
 *
 * Writes the Ed25519 signature (RFC 8032, R || S) of @msg into @sig.
 * Deterministic: the same message always has the same signature.  Aborts
 * only when libgcrypt cannot sign with a key it accepted at load.
 */
void
kf_identity_sign (KfIdentity   *self,
                  const guint8 *msg,
                  gsize         len,
                  guint8        sig[KF_IDENTITY_SIGNATURE_SIZE])
{
  gcry_sexp_t data = NULL;
  gcry_sexp_t result = NULL;
  gcry_mpi_t r = NULL;
  gcry_mpi_t s = NULL;
  const guint8 *r_bytes = NULL;
  const guint8 *s_bytes = NULL;
  unsigned int r_bits = 0;
  unsigned int s_bits = 0;

  g_return_if_fail (KF_IS_IDENTITY (self));
  g_return_if_fail (msg != NULL || len == 0);

  if (gcry_sexp_build (&data, NULL, "(data (flags eddsa) (hash-algo sha512) (value %b))",
                       (int) len, msg != NULL ? (const void *) msg : "") != 0
      || gcry_pk_sign (&result, data, self->private_key) != 0
      || gcry_sexp_extract_param (result, "sig-val!eddsa", "/r/s", &r, &s, NULL) != 0
      || (r_bytes = gcry_mpi_get_opaque (r, &r_bits)) == NULL
      || (s_bytes = gcry_mpi_get_opaque (s, &s_bits)) == NULL
      || r_bits != 256 || s_bits != 256)
    g_error ("libgcrypt cannot make an Ed25519 signature");
  memcpy (sig, r_bytes, 32);
  memcpy (sig + 32, s_bytes, 32);

  gcry_mpi_release (r);
  gcry_mpi_release (s);
  gcry_sexp_release (result);
  gcry_sexp_release (data);
}

/*
 * kf_identity_verify:
 * @pub: the signer's Ed25519 public key
 *
 * Returns: %TRUE when @sig is a valid Ed25519 signature of @msg by @pub;
 * %FALSE for a wrong signature, a key that is not a curve point, or any
 * other failure.
 */
gboolean
kf_identity_verify (const guint8  pub[KF_IDENTITY_PUBLIC_KEY_SIZE],
                    const guint8 *msg,
                    gsize         len,
                    const guint8  sig[KF_IDENTITY_SIGNATURE_SIZE])
{
  gcry_sexp_t key = NULL;
  gcry_sexp_t data = NULL;
  gcry_sexp_t sig_sexp = NULL;
  gboolean ok;

  g_return_val_if_fail (kf_gcrypt_is_ready (), FALSE);
  g_return_val_if_fail (pub != NULL && sig != NULL && (msg != NULL || len == 0), FALSE);

  ok = gcry_sexp_build (&key, NULL, "(public-key (ecc (curve Ed25519) (flags eddsa) (q %b)))",
                        KF_IDENTITY_PUBLIC_KEY_SIZE, pub) == 0
       && gcry_sexp_build (&data, NULL, "(data (flags eddsa) (hash-algo sha512) (value %b))",
                           (int) len, msg != NULL ? (const void *) msg : "") == 0
       && gcry_sexp_build (&sig_sexp, NULL, "(sig-val (eddsa (r %b) (s %b)))",
                           32, sig, 32, sig + 32) == 0
       && gcry_pk_verify (sig_sexp, data, key) == 0;

  gcry_sexp_release (sig_sexp);
  gcry_sexp_release (data);
  gcry_sexp_release (key);

  return ok;
}

static const char base32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/*
 * kf_identity_code_for_key:
 *
 * Returns: (transfer full): the identity code of @pub: the first 10 bytes
 * of SHA-256("keyferry identity v1" || @pub) in RFC 4648 base32 (16
 * characters, no padding), as "ABCD-EFGH-IJKL-MNOP".
 */
char *
kf_identity_code_for_key (const guint8 pub[KF_IDENTITY_PUBLIC_KEY_SIZE])
{
  guint8 digest[32];
  GString *code;
  gcry_md_hd_t md;
  guint64 bits = 0;
  guint nbits = 0;

  g_return_val_if_fail (pub != NULL, NULL);

  code = g_string_sized_new (KF_IDENTITY_CODE_LEN + 1);
  if (gcry_md_open (&md, GCRY_MD_SHA256, 0) != 0)
    g_error ("libgcrypt cannot open SHA-256");
  gcry_md_write (md, CODE_LABEL, strlen (CODE_LABEL));
  gcry_md_write (md, pub, KF_IDENTITY_PUBLIC_KEY_SIZE);
  memcpy (digest, gcry_md_read (md, GCRY_MD_SHA256), sizeof digest);
  gcry_md_close (md);

  for (guint i = 0; i < CODE_BYTES; i++)
    {
      bits = bits << 8 | digest[i];
      nbits += 8;
      while (nbits >= 5)
        {
          if (code->len == 4 || code->len == 9 || code->len == 14)
            g_string_append_c (code, '-');
          nbits -= 5;
          g_string_append_c (code, base32_alphabet[(bits >> nbits) & 0x1f]);
        }
    }

  return g_string_free (code, FALSE);
}

/*
 * kf_identity_code_normalize:
 * @text: an identity code as a person may type it
 *
 * Accepts lower case, and spaces or dashes anywhere (or none).
 *
 * Returns: (transfer full): the code as "ABCD-EFGH-IJKL-MNOP", or %NULL
 * with %KF_IDENTITY_ERROR_CODE when @text is not 16 base32 characters.
 */
char *
kf_identity_code_normalize (const char  *text,
                            GError     **error)
{
  GString *code;
  guint n = 0;

  g_return_val_if_fail (text != NULL, NULL);

  code = g_string_sized_new (KF_IDENTITY_CODE_LEN + 1);
  for (const char *p = text; *p != '\0'; p++)
    {
      char c = g_ascii_toupper (*p);

      if (c == ' ' || c == '-')
        continue;
      if (strchr (base32_alphabet, c) == NULL || ++n > 16)
        {
          n = 0;
          break;
        }
      if (n == 5 || n == 9 || n == 13)
        g_string_append_c (code, '-');
      g_string_append_c (code, c);
    }
  if (code->len != KF_IDENTITY_CODE_LEN || n != 16)
    {
      g_string_free (code, TRUE);
      g_set_error_literal (error, KF_IDENTITY_ERROR, KF_IDENTITY_ERROR_CODE,
                           _("An identity code is 16 letters and digits 2 to 7, like "
                             "ABCD-EFGH-IJKL-MNOP"));
      return NULL;
    }

  return g_string_free (code, FALSE);
}
