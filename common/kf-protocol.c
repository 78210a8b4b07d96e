/* kf-protocol.c: the key-manager protocol's vocabulary, text rules and lines
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything here is a pure function of its arguments: no sockets, no
 * state.  Parsing lives in kf-protocol-parse.c; this file holds the error
 * codes, escaping, word splitting, the message object and formatting.
 *
 * Formatting writes into one buffer of KF_PROTOCOL_MAX_LINE bytes in secure
 * memory, since `auth` and `ev key` lines carry secrets; a line that would
 * not fit is refused rather than cut.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <gcrypt.h>

#include "kf-hex.h"
#include "kf-protocol.h"
#include "kf-secure.h"
#include "kf-protocol-private.h"

G_DEFINE_QUARK (kf-protocol-error-quark, kf_protocol_error)

static const char * const error_codes[] = {
  [KF_PROTOCOL_ERROR_BAD_LINE] = "bad-line",
  [KF_PROTOCOL_ERROR_UNKNOWN_COMMAND] = "unknown-command",
  [KF_PROTOCOL_ERROR_BAD_ARGS] = "bad-args",
  [KF_PROTOCOL_ERROR_BAD_STATE] = "bad-state",
  [KF_PROTOCOL_ERROR_VERSION] = "version",
  [KF_PROTOCOL_ERROR_AUTH_REQUIRED] = "auth-required",
  [KF_PROTOCOL_ERROR_AUTH_FAILED] = "auth-failed",
  [KF_PROTOCOL_ERROR_NO_SUCH_PEER] = "no-such-peer",
  [KF_PROTOCOL_ERROR_SELF] = "self",
  [KF_PROTOCOL_ERROR_BAD_CONFIRM] = "bad-confirm",
  [KF_PROTOCOL_ERROR_FULL] = "full",
  [KF_PROTOCOL_ERROR_TIMEOUT] = "timeout",
  [KF_PROTOCOL_ERROR_INTERNAL] = "internal",
  [KF_PROTOCOL_ERROR_BAD_NAME] = "bad-name",
  [KF_PROTOCOL_ERROR_BAD_IDENTITY] = "bad-identity",
  [KF_PROTOCOL_ERROR_NOT_ENROLLED] = "not-enrolled",
  [KF_PROTOCOL_ERROR_NAME_OWNED] = "name-owned",
  [KF_PROTOCOL_ERROR_RATE_LIMITED] = "rate-limited",
};

/*
 * kf_protocol_error_to_code:
 *
 * Returns: the wire code of @error.  The reader's local reasons
 * (%KF_PROTOCOL_ERROR_LINE_TOO_LONG, %KF_PROTOCOL_ERROR_BAD_UTF8) are
 * "bad-line"; %KF_PROTOCOL_ERROR_UNKNOWN_CODE is "internal".
 */
const char *
kf_protocol_error_to_code (KfProtocolError error)
{
  switch (error)
    {
    case KF_PROTOCOL_ERROR_LINE_TOO_LONG:
    case KF_PROTOCOL_ERROR_BAD_UTF8:
      return error_codes[KF_PROTOCOL_ERROR_BAD_LINE];
    case KF_PROTOCOL_ERROR_UNKNOWN_CODE:
      return error_codes[KF_PROTOCOL_ERROR_INTERNAL];
    case KF_PROTOCOL_ERROR_BAD_LINE:
    case KF_PROTOCOL_ERROR_UNKNOWN_COMMAND:
    case KF_PROTOCOL_ERROR_BAD_ARGS:
    case KF_PROTOCOL_ERROR_BAD_STATE:
    case KF_PROTOCOL_ERROR_VERSION:
    case KF_PROTOCOL_ERROR_AUTH_REQUIRED:
    case KF_PROTOCOL_ERROR_AUTH_FAILED:
    case KF_PROTOCOL_ERROR_NO_SUCH_PEER:
    case KF_PROTOCOL_ERROR_SELF:
    case KF_PROTOCOL_ERROR_BAD_CONFIRM:
    case KF_PROTOCOL_ERROR_FULL:
    case KF_PROTOCOL_ERROR_TIMEOUT:
    case KF_PROTOCOL_ERROR_INTERNAL:
    case KF_PROTOCOL_ERROR_BAD_NAME:
    case KF_PROTOCOL_ERROR_BAD_IDENTITY:
    case KF_PROTOCOL_ERROR_NOT_ENROLLED:
    case KF_PROTOCOL_ERROR_NAME_OWNED:
    case KF_PROTOCOL_ERROR_RATE_LIMITED:
      return error_codes[error];
    default:
      g_return_val_if_reached ("internal");
    }
}

/*
 * kf_protocol_error_from_code:
 *
 * Returns: the error a wire code names, or %KF_PROTOCOL_ERROR_UNKNOWN_CODE
 * for a code this version does not know (a newer server may add some).
 */
KfProtocolError
kf_protocol_error_from_code (const char *code)
{
  g_return_val_if_fail (code != NULL, KF_PROTOCOL_ERROR_UNKNOWN_CODE);

  for (guint i = 0; i < G_N_ELEMENTS (error_codes); i++)
    if (g_str_equal (code, error_codes[i]))
      return (KfProtocolError) i;

  return KF_PROTOCOL_ERROR_UNKNOWN_CODE;
}

/*
 * kf_protocol_error_is_fatal:
 *
 * Returns: %TRUE when the server closes the connection after sending @error.
 */
gboolean
kf_protocol_error_is_fatal (KfProtocolError error)
{
  switch (error)
    {
    case KF_PROTOCOL_ERROR_BAD_LINE:
    case KF_PROTOCOL_ERROR_LINE_TOO_LONG:
    case KF_PROTOCOL_ERROR_BAD_UTF8:
    case KF_PROTOCOL_ERROR_VERSION:
    case KF_PROTOCOL_ERROR_AUTH_REQUIRED:
    case KF_PROTOCOL_ERROR_AUTH_FAILED:
    case KF_PROTOCOL_ERROR_FULL:
    case KF_PROTOCOL_ERROR_TIMEOUT:
    case KF_PROTOCOL_ERROR_BAD_IDENTITY:
    case KF_PROTOCOL_ERROR_NOT_ENROLLED:
      return TRUE;
    case KF_PROTOCOL_ERROR_UNKNOWN_COMMAND:
    case KF_PROTOCOL_ERROR_BAD_ARGS:
    case KF_PROTOCOL_ERROR_BAD_STATE:
    case KF_PROTOCOL_ERROR_NO_SUCH_PEER:
    case KF_PROTOCOL_ERROR_SELF:
    case KF_PROTOCOL_ERROR_BAD_CONFIRM:
    case KF_PROTOCOL_ERROR_INTERNAL:
    case KF_PROTOCOL_ERROR_BAD_NAME:
    case KF_PROTOCOL_ERROR_NAME_OWNED:
    case KF_PROTOCOL_ERROR_RATE_LIMITED:
    case KF_PROTOCOL_ERROR_UNKNOWN_CODE:
    default:
      return FALSE;
    }
}

/*
 * kf_protocol_role_to_string, kf_protocol_verdict_to_string,
 * kf_protocol_cancel_reason_to_string:
 *
 * Return the wire words for roles, verdicts and server cancel reasons.
 */
const char *
kf_protocol_role_to_string (KfRole role)
{
  return role == KF_ROLE_SENDER ? "sender" : "receiver";
}

const char *
kf_protocol_verdict_to_string (KfVerdict verdict)
{
  switch (verdict)
    {
    case KF_VERDICT_OK:
      return "ok";
    case KF_VERDICT_MISMATCH:
      return "mismatch";
    case KF_VERDICT_DIGEST_MISMATCH:
      return "digest-mismatch";
    default:
      g_return_val_if_reached (NULL);
    }
}

const char *
kf_protocol_cancel_reason_to_string (KfCancelReason reason)
{
  switch (reason)
    {
    case KF_CANCEL_PEER:
      return "peer";
    case KF_CANCEL_TIMEOUT:
      return "timeout";
    case KF_CANCEL_BAD_CONFIRM:
      return "bad-confirm";
    case KF_CANCEL_PEER_LEFT:
      return "peer-left";
    default:
      g_return_val_if_reached (NULL);
    }
}

static gboolean
is_unreserved (guchar c)
{
  return g_ascii_isalnum (c) || c == '-' || c == '.' || c == '_' || c == '~';
}

/* Writes the first @len bytes of @text escaped into @out, which must hold
 * 3 × @len + 1 bytes; returns the length written. */
gsize
_kf_protocol_escape_into (const char *text,
                          gsize       len,
                          char       *out)
{
  static const char digits[] = "0123456789ABCDEF";
  gsize n = 0;

  for (const guchar *p = (const guchar *) text; p < (const guchar *) text + len; p++)
    {
      if (is_unreserved (*p))
        {
          out[n++] = (char) *p;
          continue;
        }
      out[n++] = '%';
      out[n++] = digits[*p >> 4];
      out[n++] = digits[*p & 0xf];
    }
  out[n] = '\0';

  return n;
}

/*
 * kf_protocol_escape:
 *
 * Returns: @text with every byte outside A–Z a–z 0–9 - . _ ~ written as
 * %XX: the same as g_uri_escape_string (@text, NULL, FALSE).
 */
char *
kf_protocol_escape (const char *text)
{
  char *out;

  g_return_val_if_fail (text != NULL, NULL);

  out = g_malloc (strlen (text) * 3 + 1);
  _kf_protocol_escape_into (text, strlen (text), out);

  return out;
}

/* Decodes the escaped @word into @out (at least strlen (@word) + 1 bytes).
 * Fails with %KF_PROTOCOL_ERROR_BAD_ARGS on a broken %XX escape, an
 * escaped NUL or a result that is not UTF-8; @out is wiped then. */
gboolean
_kf_protocol_unescape_into (const char  *word,
                            char        *out,
                            GError     **error)
{
  gsize n = 0;

  for (const char *p = word; *p != '\0'; p++)
    {
      int hi, lo;

      if (*p != '%')
        {
          out[n++] = *p;
          continue;
        }
      hi = g_ascii_xdigit_value (p[1]);
      lo = hi < 0 ? -1 : g_ascii_xdigit_value (p[2]);
      if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
        goto bad;
      out[n++] = (char) (hi << 4 | lo);
      p += 2;
    }
  out[n] = '\0';
  if (g_utf8_validate (out, n, NULL))
    return TRUE;

bad:
  explicit_bzero (out, strlen (word) + 1);
  g_set_error_literal (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_BAD_ARGS,
                       _("Badly escaped text: expected URI escapes of UTF-8 text"));
  return FALSE;
}

/*
 * kf_protocol_unescape:
 *
 * Returns: the text @word stands for, or %NULL with
 * %KF_PROTOCOL_ERROR_BAD_ARGS when it has a broken %XX escape, an escaped
 * NUL, or is not UTF-8 once decoded.
 */
char *
kf_protocol_unescape (const char  *word,
                      GError     **error)
{
  g_autofree char *out = NULL;

  g_return_val_if_fail (word != NULL, NULL);

  out = g_malloc (strlen (word) + 1);
  if (!_kf_protocol_unescape_into (word, out, error))
    return NULL;

  return g_steal_pointer (&out);
}

/*
 * kf_protocol_check_line_bytes:
 * @line: a line's bytes without its LF (it may hold NULs)
 * @len: its length in bytes
 *
 * The rules of part 1 §3 for a line's bytes, whatever its length: the
 * line readers (kf-line-reader.c) apply them to every line they hand out,
 * kf_protocol_validate_line() to any line.  Returns %FALSE with
 * %KF_PROTOCOL_ERROR_BAD_LINE (a NUL or CR inside) or
 * %KF_PROTOCOL_ERROR_BAD_UTF8.
 */
gboolean
kf_protocol_check_line_bytes (const char  *line,
                              gsize        len,
                              GError     **error)
{
  g_return_val_if_fail (line != NULL || len == 0, FALSE);

  if (memchr (line, '\0', len) != NULL || memchr (line, '\r', len) != NULL)
    {
      g_set_error_literal (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_BAD_LINE,
                           _("Line holds a NUL or CR character"));
      return FALSE;
    }
  if (!g_utf8_validate_len (line, len, NULL))
    {
      g_set_error_literal (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_BAD_UTF8,
                           _("Line is not valid UTF-8"));
      return FALSE;
    }
  return TRUE;
}

/*
 * kf_protocol_validate_line:
 * @line: a line without its LF
 * @len: its length in bytes
 *
 * Checks what every line must be before anyone looks at its words.
 * Returns %FALSE with %KF_PROTOCOL_ERROR_LINE_TOO_LONG (more than
 * KF_PROTOCOL_MAX_LINE - 1 bytes), %KF_PROTOCOL_ERROR_BAD_LINE (an LF,
 * NUL or CR inside) or %KF_PROTOCOL_ERROR_BAD_UTF8.
 */
gboolean
kf_protocol_validate_line (const char  *line,
                           gsize        len,
                           GError     **error)
{
  g_return_val_if_fail (line != NULL || len == 0, FALSE);

  if (len > KF_PROTOCOL_MAX_LINE - 1)
    {
      g_set_error (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_LINE_TOO_LONG,
                   _("Line longer than %d bytes"), KF_PROTOCOL_MAX_LINE);
      return FALSE;
    }
  /* A line from a reader never holds one: it ends there. */
  if (memchr (line, '\n', len) != NULL)
    {
      g_set_error_literal (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_BAD_LINE,
                           _("Line holds an LF character"));
      return FALSE;
    }
  return kf_protocol_check_line_bytes (line, len, error);
}

/* Splits @buf in place at single spaces into at most @max_words words.
 * Fails with %KF_PROTOCOL_ERROR_UNKNOWN_COMMAND for an empty line and
 * %KF_PROTOCOL_ERROR_BAD_ARGS for empty words (leading, trailing or double
 * spaces), control characters or too many words. */
gboolean
_kf_protocol_split_in_place (char     *buf,
                             char    **words,
                             guint     max_words,
                             guint    *n_words,
                             GError  **error)
{
  guint n = 0;
  char *start = buf;

  if (*buf == '\0')
    {
      g_set_error_literal (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_UNKNOWN_COMMAND,
                           _("Empty line"));
      return FALSE;
    }

  for (char *p = buf;; p++)
    {
      if (*p != ' ' && *p != '\0')
        {
          if ((guchar) *p < 0x20 || *p == 0x7f)
            goto bad;
          continue;
        }
      if (p == start || n == max_words)
        goto bad;
      words[n++] = start;
      if (*p == '\0')
        break;
      *p = '\0';
      start = p + 1;
    }
  *n_words = n;
  return TRUE;

bad:
  g_set_error_literal (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_BAD_ARGS,
                       _("Words must be separated by single spaces, without control characters"));
  return FALSE;
}

/*
 * kf_protocol_split_words:
 *
 * Returns: (transfer full): the words of @line (no LF), or %NULL with the
 * error kf_protocol_validate_line() or the word rules give.
 */
char **
kf_protocol_split_words (const char  *line,
                         GError     **error)
{
  g_autofree char *buf = NULL;
  char *words[KF_PROTOCOL_MAX_WORDS];
  guint n = 0;
  GPtrArray *out;

  g_return_val_if_fail (line != NULL, NULL);

  if (!kf_protocol_validate_line (line, strlen (line), error))
    return NULL;
  buf = g_strdup (line);
  if (!_kf_protocol_split_in_place (buf, words, G_N_ELEMENTS (words), &n, error))
    return NULL;

  out = g_ptr_array_new ();
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (out, g_strdup (words[i]));
  g_ptr_array_add (out, NULL);

  return (char **) g_ptr_array_free (out, FALSE);
}

/*
 * kf_protocol_parse_uint:
 *
 * Parses a decimal number without sign or leading zeros (0 itself is
 * allowed) that is at most @max.  Returns %FALSE for anything else.
 */
gboolean
kf_protocol_parse_uint (const char *word,
                        guint64     max,
                        guint64    *out)
{
  guint64 value = 0;

  if (word == NULL || word[0] == '\0' || (word[0] == '0' && word[1] != '\0'))
    return FALSE;

  for (const char *p = word; *p != '\0'; p++)
    {
      guint digit;

      if (!g_ascii_isdigit (*p))
        return FALSE;
      digit = (guint) (*p - '0');
      if (value > (max - digit) / 10)
        return FALSE;
      value = value * 10 + digit;
    }
  *out = value;

  return TRUE;
}

/*
 * kf_protocol_validate_name:
 *
 * Checks a display name: UTF-8, 1 to KF_PROTOCOL_MAX_NAME_CHARS characters,
 * no control characters.  Returns %FALSE with %KF_PROTOCOL_ERROR_BAD_ARGS
 * otherwise.
 */
gboolean
kf_protocol_validate_name (const char  *name,
                           GError     **error)
{
  glong chars;

  if (name == NULL || !g_utf8_validate (name, -1, NULL))
    goto bad;
  chars = g_utf8_strlen (name, -1);
  if (chars < 1 || chars > KF_PROTOCOL_MAX_NAME_CHARS)
    goto bad;
  for (const char *p = name; *p != '\0'; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      goto bad;

  return TRUE;

bad:
  g_set_error (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_BAD_ARGS,
               _("A name must be 1 to %d characters of text without control characters"),
               KF_PROTOCOL_MAX_NAME_CHARS);
  return FALSE;
}

/*
 * kf_protocol_is_session_id:
 *
 * Returns: %TRUE when @word is 1 to KF_SESSION_ID_MAX characters of
 * a–z, 0–9 and '-', the session id alphabet.
 */
gboolean
kf_protocol_is_session_id (const char *word)
{
  gsize len = 0;

  if (word == NULL)
    return FALSE;
  for (const char *p = word; *p != '\0'; p++, len++)
    if (!(g_ascii_isdigit (*p) || (*p >= 'a' && *p <= 'z') || *p == '-'))
      return FALSE;

  return len >= 1 && len <= KF_SESSION_ID_MAX;
}

/*
 * kf_protocol_message_new:
 *
 * Returns: (transfer full): a zeroed message of @type in secure memory, or
 * %NULL when secure memory is exhausted.
 */
KfProtocolMessage *
kf_protocol_message_new (KfMsgType type)
{
  KfProtocolMessage *msg = gcry_calloc_secure (1, sizeof *msg);

  if (msg != NULL)
    msg->type = type;

  return msg;
}

/*
 * kf_protocol_message_free:
 *
 * Wipes and frees @msg and its strings.  %NULL is allowed.
 */
void
kf_protocol_message_free (KfProtocolMessage *msg)
{
  if (msg == NULL)
    return;

  g_free (msg->name);
  g_free (msg->address);
  kf_secure_strfree (msg->text);
  explicit_bzero (msg, sizeof *msg);
  gcry_free (msg);
}

/*
 * kf_protocol_message_set_name, kf_protocol_message_set_text,
 * kf_protocol_message_set_address:
 *
 * Replace a string field with a copy of the argument (%NULL clears it).
 * The text is kept in secure memory since `auth` carries a passphrase.
 * Return %FALSE when secure memory is exhausted.
 */
gboolean
kf_protocol_message_set_name (KfProtocolMessage *msg,
                              const char        *name)
{
  g_return_val_if_fail (msg != NULL, FALSE);

  g_free (msg->name);
  msg->name = g_strdup (name);
  return TRUE;
}

gboolean
kf_protocol_message_set_text (KfProtocolMessage *msg,
                              const char        *text)
{
  g_return_val_if_fail (msg != NULL, FALSE);

  kf_secure_strfree (msg->text);
  msg->text = kf_secure_strdup (text);
  return text == NULL || msg->text != NULL;
}

gboolean
kf_protocol_message_set_address (KfProtocolMessage *msg,
                                 const char        *address)
{
  g_return_val_if_fail (msg != NULL, FALSE);

  g_free (msg->address);
  msg->address = g_strdup (address);
  return TRUE;
}

/*
 * kf_protocol_message_new_ok:
 *
 * Returns: (transfer full): an `ok` reply to @reply_to; the caller fills in
 * the session id (conn) or count (send, watch).
 */
KfProtocolMessage *
kf_protocol_message_new_ok (KfMsgType reply_to)
{
  KfProtocolMessage *msg = kf_protocol_message_new (KF_MSG_OK);

  if (msg != NULL)
    msg->reply_to = reply_to;

  return msg;
}

/*
 * kf_protocol_message_new_err:
 *
 * Returns: (transfer full): an `err` reply with @code and the optional
 * human-readable @text.
 */
KfProtocolMessage *
kf_protocol_message_new_err (KfProtocolError  code,
                             const char      *text)
{
  KfProtocolMessage *msg = kf_protocol_message_new (KF_MSG_ERR);

  if (msg != NULL)
    {
      msg->error_code = code;
      kf_protocol_message_set_text (msg, text);
    }

  return msg;
}

/*
 * kf_protocol_message_to_error:
 *
 * Returns: (transfer full): a #GError in %KF_PROTOCOL_ERROR for an `err`
 * line, its text as the message (or the code when there is no text).
 */
GError *
kf_protocol_message_to_error (const KfProtocolMessage *msg)
{
  g_return_val_if_fail (msg != NULL && msg->type == KF_MSG_ERR, NULL);

  if (msg->text != NULL)
    return g_error_new_literal (KF_PROTOCOL_ERROR, msg->error_code, msg->text);

  return g_error_new (KF_PROTOCOL_ERROR, msg->error_code, _("The key manager answered “%s”"),
                      kf_protocol_error_to_code (msg->error_code));
}
