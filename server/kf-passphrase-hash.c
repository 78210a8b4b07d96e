/* kf-passphrase-hash.c: the stored admission passphrase hash
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * An Argon2id hash in the PHC string format, the one the reference
 * `argon2` tool, libsodium and passlib write:
 *
 *   $argon2id$v=19$m=65536,t=3,p=4$<salt>$<hash>
 *
 * The parser is strict, so that what it accepts the formatter writes back
 * byte for byte: the exact prefix and version, the three parameters in that
 * order as decimal numbers without sign or leading zeros and within the
 * bounds of kf-passphrase-hash.h, standard base64 without padding and with
 * no stray bits in its last character, nothing after the hash.  Every field
 * is checked against its bound before anything is decoded or allocated, so
 * memory use does not depend on the input.  The hash (the tag) is a secret
 * to keep from offline guessing: it lives in libgcrypt secure memory, and
 * so does every string holding it.  Error messages name the field at
 * fault and never quote the input.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <gcrypt.h>

#include "kf-passphrase-hash.h"

#define PREFIX       "$argon2id$v=19$"
#define B64_MAX_CHARS(bytes) (((bytes) * 4 + 2) / 3)

struct _KfPassphraseHash
{
  guint   passes;
  guint   memory_kib;
  guint   lanes;
  gsize   salt_len;
  gsize   tag_len;
  guint8  salt[KF_PASSPHRASE_HASH_MAX_SALT];
  guint8 *tag;                 /* tag_len bytes of secure memory */
};

/* The input still to parse. */
typedef struct
{
  const char *pos;
  const char *end;
} Cursor;

G_DEFINE_QUARK (kf-passphrase-hash-error-quark, kf_passphrase_hash_error)

static const char b64_alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Returns the 6-bit value of base64 character @c, or -1. */
static int
b64_value (char c)
{
  if (c >= 'A' && c <= 'Z')
    return c - 'A';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 26;
  if (c >= '0' && c <= '9')
    return c - '0' + 52;
  if (c == '+')
    return 62;
  if (c == '/')
    return 63;
  return -1;
}

/* Writes @len bytes of @data as base64 without padding to @out, which
 * has room for B64_MAX_CHARS (@len) characters; returns how many. */
static gsize
b64_encode (const guint8 *data,
            gsize         len,
            char         *out)
{
  gsize n = 0;

  for (gsize i = 0; i < len; i += 3)
    {
      guint32 group = (guint32) data[i] << 16;
      gsize have = MIN (len - i, 3);

      if (have > 1)
        group |= (guint32) data[i + 1] << 8;
      if (have > 2)
        group |= data[i + 2];
      for (gsize k = 0; k <= have; k++)
        out[n++] = b64_alphabet[(group >> (18 - 6 * k)) & 0x3f];
    }
  return n;
}

/* Decodes @chars characters of base64 without padding at @text into @out
 * (room for @chars * 3 / 4 bytes).  Returns %FALSE when a character is not
 * base64, the length cannot end a base64 text (one character left over),
 * or the last character has bits set that no byte uses (then the text is
 * not the one the encoder would write). */
static gboolean
b64_decode (const char *text,
            gsize       chars,
            guint8     *out)
{
  guint32 bits = 0;
  guint nbits = 0;
  gsize n = 0;

  if (chars % 4 == 1)
    return FALSE;
  for (gsize i = 0; i < chars; i++)
    {
      int v = b64_value (text[i]);

      if (v < 0)
        return FALSE;
      bits = (bits << 6) | (guint32) v;
      nbits += 6;
      if (nbits >= 8)
        {
          nbits -= 8;
          out[n++] = (guint8) (bits >> nbits);
          bits &= (1u << nbits) - 1;
        }
    }
  return bits == 0;
}

static gboolean
invalid (GError     **error,
         const char  *message)
{
  g_set_error_literal (error, KF_PASSPHRASE_HASH_ERROR, KF_PASSPHRASE_HASH_ERROR_INVALID, message);
  return FALSE;
}

/* Consumes @literal at the cursor; %FALSE (cursor unchanged) when absent. */
static gboolean
accept_literal (Cursor     *c,
                const char *literal)
{
  gsize len = strlen (literal);

  if ((gsize) (c->end - c->pos) < len || memcmp (c->pos, literal, len) != 0)
    return FALSE;
  c->pos += len;
  return TRUE;
}

/* Reads the decimal value of parameter @name ("m", "t" or "p") into @out:
 * digits only, no leading zero, within [@min, @max]. */
static gboolean
read_number (Cursor      *c,
             const char  *name,
             guint        min,
             guint        max,
             guint       *out,
             GError     **error)
{
  guint64 value = 0;
  const char *start = c->pos;

  while (c->pos < c->end && g_ascii_isdigit (*c->pos))
    {
      value = MIN (value * 10 + (guint64) (*c->pos - '0'), (guint64) G_MAXUINT32 + 1);
      c->pos++;
    }
  if (c->pos == start || (*start == '0' && c->pos - start > 1))
    {
      g_set_error (error, KF_PASSPHRASE_HASH_ERROR, KF_PASSPHRASE_HASH_ERROR_INVALID,
                   _("%s is not a decimal number without sign or leading zeros"), name);
      return FALSE;
    }
  if (value < min || value > max)
    {
      g_set_error (error, KF_PASSPHRASE_HASH_ERROR, KF_PASSPHRASE_HASH_ERROR_INVALID,
                   _("%s is out of range: it must be from %u to %u"), name, min, max);
      return FALSE;
    }
  *out = (guint) value;
  return TRUE;
}

/* Reads “$argon2id$v=19$”. */
static gboolean
read_header (Cursor  *c,
             GError **error)
{
  if (c->pos == c->end)
    return invalid (error, _("it is empty"));
  if (!accept_literal (c, "$argon2id$"))
    return invalid (error, _("it does not start with “$argon2id$”: only Argon2id hashes in "
                             "the PHC string format are accepted"));
  if (!accept_literal (c, "v=19$"))
    return invalid (error, _("the version is not “v=19” (Argon2 1.3)"));
  return TRUE;
}

/* Reads “m=…,t=…,p=…$” into @self. */
static gboolean
read_parameters (Cursor            *c,
                 KfPassphraseHash  *self,
                 GError           **error)
{
  const char *layout = _("the parameters are not “m=<KiB>,t=<passes>,p=<lanes>” in that order, "
                         "followed by “$”");

  if (!accept_literal (c, "m="))
    return invalid (error, layout);
  if (!read_number (c, "m", KF_PASSPHRASE_HASH_MIN_MEMORY_KIB, KF_PASSPHRASE_HASH_MAX_MEMORY_KIB,
                    &self->memory_kib, error))
    return FALSE;
  if (!accept_literal (c, ",t="))
    return invalid (error, layout);
  if (!read_number (c, "t", KF_PASSPHRASE_HASH_MIN_PASSES, KF_PASSPHRASE_HASH_MAX_PASSES,
                    &self->passes, error))
    return FALSE;
  if (!accept_literal (c, ",p="))
    return invalid (error, layout);
  if (!read_number (c, "p", KF_PASSPHRASE_HASH_MIN_LANES, KF_PASSPHRASE_HASH_MAX_LANES,
                    &self->lanes, error))
    return FALSE;
  if (!accept_literal (c, "$"))
    return invalid (error, layout);
  if (self->memory_kib < 8 * self->lanes)
    {
      g_set_error (error, KF_PASSPHRASE_HASH_ERROR, KF_PASSPHRASE_HASH_ERROR_INVALID,
                   _("m is too small: Argon2 needs at least 8 KiB per lane, %u KiB for p=%u"),
                   8 * self->lanes, self->lanes);
      return FALSE;
    }
  return TRUE;
}

/* Reads the base64 field @what ("the salt", "the hash") up to @stop (a
 * '$', or '\0' for the end of the input) into @out, checking its decoded
 * size against [@min, @max] before decoding.  Sets *@out_len. */
static gboolean
read_base64 (Cursor      *c,
             const char  *what,
             char         stop,
             gsize        min,
             gsize        max,
             guint8      *out,
             gsize       *out_len,
             GError     **error)
{
  const char *start = c->pos;
  gsize chars, len;

  while (c->pos < c->end && b64_value (*c->pos) >= 0)
    c->pos++;
  chars = (gsize) (c->pos - start);
  if (c->pos < c->end && *c->pos == '=')
    {
      g_set_error (error, KF_PASSPHRASE_HASH_ERROR, KF_PASSPHRASE_HASH_ERROR_INVALID,
                   _("%s ends in base64 padding “=”, which the PHC format leaves out"), what);
      return FALSE;
    }
  if (stop != '\0' ? (c->pos == c->end || *c->pos != stop) : c->pos != c->end)
    {
      g_set_error (error, KF_PASSPHRASE_HASH_ERROR, KF_PASSPHRASE_HASH_ERROR_INVALID,
                   stop != '\0'
                   ? _("%s is not standard base64 (A–Z, a–z, 0–9, + and /) followed by “$”")
                   : _("%s is not standard base64 (A–Z, a–z, 0–9, + and /) up to the end: "
                       "something follows it"), what);
      return FALSE;
    }
  len = chars * 3 / 4;
  if (chars % 4 == 1)
    {
      g_set_error (error, KF_PASSPHRASE_HASH_ERROR, KF_PASSPHRASE_HASH_ERROR_INVALID,
                   _("%s is cut short: no base64 text is 4n+1 characters long"), what);
      return FALSE;
    }
  if (len < min || len > max)
    {
      g_set_error (error, KF_PASSPHRASE_HASH_ERROR, KF_PASSPHRASE_HASH_ERROR_INVALID,
                   _("%s must be %zu to %zu bytes (%zu to %zu base64 characters)"),
                   what, min, max, B64_MAX_CHARS (min), B64_MAX_CHARS (max));
      return FALSE;
    }
  if (!b64_decode (start, chars, out))
    {
      g_set_error (error, KF_PASSPHRASE_HASH_ERROR, KF_PASSPHRASE_HASH_ERROR_INVALID,
                   _("%s is not canonical base64: its last character has unused bits set"),
                   what);
      return FALSE;
    }
  if (stop != '\0')
    c->pos++;
  *out_len = len;
  return TRUE;
}

static KfPassphraseHash *
hash_alloc (GError **error)
{
  g_autoptr(KfPassphraseHash) self = g_new0 (KfPassphraseHash, 1);

  self->tag = gcry_calloc_secure (1, KF_PASSPHRASE_HASH_MAX_TAG);
  if (self->tag == NULL)
    {
      g_set_error_literal (error, KF_PASSPHRASE_HASH_ERROR, KF_PASSPHRASE_HASH_ERROR_FAILED,
                           _("Out of secure memory for the passphrase hash"));
      return NULL;
    }
  return g_steal_pointer (&self);
}

/*
 * kf_passphrase_hash_parse:
 * @text: a PHC string, not necessarily NUL-terminated
 * @len: its length in bytes; a NUL inside is simply invalid
 *
 * Parses a stored Argon2id hash.  No line break or space is allowed
 * anywhere, not even at the end (kf_passphrase_hash_load() strips a file's
 * final line break).
 *
 * Returns: (transfer full): the hash, or %NULL with @error
 * (%KF_PASSPHRASE_HASH_ERROR_INVALID, saying which part is wrong) when
 * @text is not a PHC string within the bounds of kf-passphrase-hash.h.
 */
KfPassphraseHash *
kf_passphrase_hash_parse (const char  *text,
                          gsize        len,
                          GError     **error)
{
  g_autoptr(KfPassphraseHash) self = NULL;
  Cursor c = { text, text + len };

  g_return_val_if_fail (text != NULL || len == 0, NULL);

  if ((self = hash_alloc (error)) == NULL
      || !read_header (&c, error)
      || !read_parameters (&c, self, error)
      || !read_base64 (&c, _("the salt"), '$', KF_PASSPHRASE_HASH_MIN_SALT,
                       KF_PASSPHRASE_HASH_MAX_SALT, self->salt, &self->salt_len, error)
      || !read_base64 (&c, _("the hash"), '\0', KF_PASSPHRASE_HASH_MIN_TAG,
                       KF_PASSPHRASE_HASH_MAX_TAG, self->tag, &self->tag_len, error))
    return NULL;

  return g_steal_pointer (&self);
}

/*
 * kf_passphrase_hash_to_string:
 *
 * Returns: (transfer full): the PHC string of @self, with no line break, in
 * secure memory: free it with kf_secure_strfree().  For a hash from
 * kf_passphrase_hash_parse() it is the parsed text byte for byte.
 */
char *
kf_passphrase_hash_to_string (const KfPassphraseHash *self)
{
  char head[64];
  gsize head_len, len;
  char *out;

  g_return_val_if_fail (self != NULL, NULL);

  head_len = (gsize) g_snprintf (head, sizeof head, PREFIX "m=%u,t=%u,p=%u$",
                                 self->memory_kib, self->passes, self->lanes);
  g_assert (head_len < sizeof head);
  len = head_len + B64_MAX_CHARS (self->salt_len) + 1 + B64_MAX_CHARS (self->tag_len);
  out = gcry_malloc_secure (len + 1);
  if (out == NULL)
    return NULL;
  memcpy (out, head, head_len);
  len = head_len + b64_encode (self->salt, self->salt_len, out + head_len);
  out[len++] = '$';
  len += b64_encode (self->tag, self->tag_len, out + len);
  out[len] = '\0';

  return out;
}

/* Computes Argon2id of @passphrase with @self's parameters and salt into
 * @out (@self->tag_len bytes).  Runs in any thread. */
static gboolean
derive (const KfPassphraseHash  *self,
        const char              *passphrase,
        guint8                  *out,
        GError                 **error)
{
  const unsigned long params[4] = { self->tag_len, self->passes, self->memory_kib, self->lanes };
  gcry_kdf_hd_t hd = NULL;
  gcry_error_t err;

  err = gcry_kdf_open (&hd, GCRY_KDF_ARGON2, GCRY_KDF_ARGON2ID, params, 4, passphrase,
                       strlen (passphrase), self->salt, self->salt_len, NULL, 0, NULL, 0);
  if (err == 0)
    err = gcry_kdf_compute (hd, NULL);
  if (err == 0)
    err = gcry_kdf_final (hd, self->tag_len, out);
  if (hd != NULL)
    gcry_kdf_close (hd);
  if (err != 0)
    {
      g_set_error (error, KF_PASSPHRASE_HASH_ERROR, KF_PASSPHRASE_HASH_ERROR_FAILED,
                   _("Could not compute Argon2id: %s"), gcry_strerror (err));
      return FALSE;
    }
  return TRUE;
}

/*
 * kf_passphrase_hash_new:
 * @passphrase: a non-empty passphrase
 * @passes, @memory_kib, @lanes: Argon2id's t, m (KiB) and p, within the
 *   bounds of kf-passphrase-hash.h
 *
 * Hashes @passphrase with a fresh random 16-byte salt into a 32-byte tag.
 * Takes as long and as much memory as the parameters say.
 *
 * Returns: (transfer full): the hash, or %NULL with @error when a
 * parameter is out of bounds, @passphrase is empty, or hashing fails.
 */
KfPassphraseHash *
kf_passphrase_hash_new (const char  *passphrase,
                        guint        passes,
                        guint        memory_kib,
                        guint        lanes,
                        GError     **error)
{
  g_autoptr(KfPassphraseHash) self = NULL;

  g_return_val_if_fail (passphrase != NULL, NULL);

  if (passphrase[0] == '\0'
      || passes < KF_PASSPHRASE_HASH_MIN_PASSES || passes > KF_PASSPHRASE_HASH_MAX_PASSES
      || lanes < KF_PASSPHRASE_HASH_MIN_LANES || lanes > KF_PASSPHRASE_HASH_MAX_LANES
      || memory_kib < 8 * lanes || memory_kib > KF_PASSPHRASE_HASH_MAX_MEMORY_KIB)
    {
      g_set_error_literal (error, KF_PASSPHRASE_HASH_ERROR, KF_PASSPHRASE_HASH_ERROR_INVALID,
                           _("Cannot hash an empty passphrase or with Argon2id parameters "
                             "out of bounds"));
      return NULL;
    }
  if ((self = hash_alloc (error)) == NULL)
    return NULL;
  self->passes = passes;
  self->memory_kib = memory_kib;
  self->lanes = lanes;
  self->salt_len = KF_PASSPHRASE_HASH_NEW_SALT;
  self->tag_len = KF_PASSPHRASE_HASH_NEW_TAG;
  gcry_randomize (self->salt, self->salt_len, GCRY_STRONG_RANDOM);
  if (!derive (self, passphrase, self->tag, error))
    return NULL;

  return g_steal_pointer (&self);
}

/*
 * kf_passphrase_hash_verify:
 * @matches: (out): whether @passphrase is the one hashed
 *
 * Hashes @passphrase with @self's parameters and salt and compares the
 * result with the stored hash in constant time, over the stored length.
 * Blocking and costly: call it from a worker thread.  Thread-safe: @self
 * is only read.
 *
 * Returns: %TRUE when the check ran (*@matches says how it went), %FALSE
 * with @error when hashing failed.
 */
gboolean
kf_passphrase_hash_verify (const KfPassphraseHash  *self,
                           const char              *passphrase,
                           gboolean                *matches,
                           GError                 **error)
{
  guint8 *tag;
  guint diff = 0;
  gboolean ok;

  g_return_val_if_fail (self != NULL && passphrase != NULL && matches != NULL, FALSE);

  *matches = FALSE;
  tag = gcry_calloc_secure (1, self->tag_len);
  if (tag == NULL)
    {
      g_set_error_literal (error, KF_PASSPHRASE_HASH_ERROR, KF_PASSPHRASE_HASH_ERROR_FAILED,
                           _("Out of secure memory for the passphrase hash"));
      return FALSE;
    }
  ok = derive (self, passphrase, tag, error);
  if (ok)
    {
      for (gsize i = 0; i < self->tag_len; i++)
        diff |= tag[i] ^ self->tag[i];
      *matches = diff == 0;
    }
  explicit_bzero (tag, self->tag_len);
  gcry_free (tag);

  return ok;
}

/* Opens @path and checks it is a regular file no one else may change;
 * returns the descriptor and its status, or -1 with @error. */
static int
open_private (const char   *path,
              struct stat  *st,
              GError      **error)
{
  int fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NOCTTY, 0);
  int saved;

  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                   _("Cannot open the passphrase hash file %s: %s"), path, g_strerror (saved));
      return -1;
    }
  if (fstat (fd, st) != 0 || !S_ISREG (st->st_mode))
    {
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                   _("The passphrase hash file %s is not a regular file"), path);
      close (fd);
      return -1;
    }
  if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0)
    {
      g_set_error (error, KF_PASSPHRASE_HASH_ERROR, KF_PASSPHRASE_HASH_ERROR_PERMISSIONS,
                   _("The passphrase hash file %s is writable by other users (mode %04o): "
                     "they could put their own passphrase's hash in it; chmod go-w it"),
                   path, (guint) (st->st_mode & 07777));
      close (fd);
      return -1;
    }
  return fd;
}

/* Reads the whole of @fd, at most KF_PASSPHRASE_HASH_MAX_FILE bytes, into
 * @buf (room for one byte more); returns the length or -1 with @error. */
static gssize
read_bounded (int          fd,
              const char  *path,
              char        *buf,
              GError     **error)
{
  gsize len = 0;

  while (len <= KF_PASSPHRASE_HASH_MAX_FILE)
    {
      gssize n = read (fd, buf + len, KF_PASSPHRASE_HASH_MAX_FILE + 1 - len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;

          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved),
                       _("Cannot read the passphrase hash file %s: %s"), path, g_strerror (saved));
          return -1;
        }
      if (n == 0)
        return (gssize) len;
      len += (gsize) n;
    }
  g_set_error (error, KF_PASSPHRASE_HASH_ERROR, KF_PASSPHRASE_HASH_ERROR_INVALID,
               _("The passphrase hash file %s is longer than %u bytes: it must hold one "
                 "line made by keyferry-server --hash-passphrase"),
               path, KF_PASSPHRASE_HASH_MAX_FILE);
  return -1;
}

/*
 * kf_passphrase_hash_load:
 * @path: a file holding one PHC string, with or without a final line break
 * @warning: (out) (optional) (nullable): set to a message for the operator
 *   when the file may be read by other users, else to %NULL
 *
 * Reads a stored hash.  A file that other users may write is refused
 * (%KF_PASSPHRASE_HASH_ERROR_PERMISSIONS): whoever can change it can let
 * themselves in.  One they may only read is accepted with a @warning: a
 * copy lets them guess passphrases offline, at Argon2id's cost.
 *
 * Returns: (transfer full): the hash, or %NULL with @error naming @path and
 * what is wrong.
 */
KfPassphraseHash *
kf_passphrase_hash_load (const char  *path,
                         char       **warning,
                         GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  KfPassphraseHash *self;
  struct stat st;
  char *buf;
  gssize len;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);

  if (warning != NULL)
    *warning = NULL;
  if ((fd = open_private (path, &st, error)) < 0)
    return NULL;
  buf = gcry_malloc_secure (KF_PASSPHRASE_HASH_MAX_FILE + 1);
  if (buf == NULL)
    {
      close (fd);
      g_set_error_literal (error, KF_PASSPHRASE_HASH_ERROR, KF_PASSPHRASE_HASH_ERROR_FAILED,
                           _("Out of secure memory for the passphrase hash"));
      return NULL;
    }
  len = read_bounded (fd, path, buf, error);
  close (fd);
  if (len > 0 && buf[len - 1] == '\n')
    len--;
  self = len < 0 ? NULL : kf_passphrase_hash_parse (buf, (gsize) len, &local_error);
  explicit_bzero (buf, KF_PASSPHRASE_HASH_MAX_FILE + 1);
  gcry_free (buf);
  if (local_error != NULL)
    {
      g_set_error (error, local_error->domain, local_error->code,
                   _("The passphrase hash in %s is malformed: %s; make one with "
                     "keyferry-server --hash-passphrase"), path, local_error->message);
      return NULL;
    }
  if (self == NULL)
    return NULL;
  if (warning != NULL && (st.st_mode & (S_IRGRP | S_IROTH)) != 0)
    *warning = g_strdup_printf (_("the passphrase hash file %s is readable by other users "
                                  "(mode %04o), who could guess passphrases offline with it; "
                                  "chmod go-r it"), path, (guint) (st.st_mode & 07777));
  return self;
}

guint
kf_passphrase_hash_get_passes (const KfPassphraseHash *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->passes;
}

guint
kf_passphrase_hash_get_memory_kib (const KfPassphraseHash *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->memory_kib;
}

guint
kf_passphrase_hash_get_lanes (const KfPassphraseHash *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->lanes;
}

/*
 * kf_passphrase_hash_free:
 *
 * Wipes the stored hash and frees @self.  %NULL is allowed.
 */
void
kf_passphrase_hash_free (KfPassphraseHash *self)
{
  if (self == NULL)
    return;
  if (self->tag != NULL)
    {
      explicit_bzero (self->tag, KF_PASSPHRASE_HASH_MAX_TAG);
      gcry_free (self->tag);
    }
  g_free (self);
}
