/* kf-protocol-format.c: turning KfProtocolMessage into protocol lines
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The words after the verb come from the message's row in the verb table
 * (kf-protocol-verbs.c), the same row the parser reads.  Every argument is
 * checked as the parser will check it, so that what we send is always
 * something we would accept: a round trip through
 * kf_protocol_message_to_bytes() and the parser gives the same message.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <gcrypt.h>

#include "kf-protocol.h"
#include "kf-protocol-private.h"

#define BUF_SIZE (KF_PROTOCOL_MAX_LINE + 1)

typedef struct
{
  char     *buf;       /* BUF_SIZE bytes of secure memory */
  gsize     len;
  gboolean  overflow;
  gboolean  invalid;
} Line;

static void
line_raw (Line       *line,
          const char *data,
          gsize       len)
{
  /* Room must remain for the LF and a NUL. */
  if (line->overflow || line->len + len + 2 > BUF_SIZE)
    {
      line->overflow = TRUE;
      return;
    }
  memcpy (line->buf + line->len, data, len);
  line->len += len;
}

static void
line_word (Line       *line,
           const char *word)
{
  if (line->len > 0)
    line_raw (line, " ", 1);
  line_raw (line, word, strlen (word));
}

static void
line_uint (Line    *line,
           guint64  value)
{
  char word[24];

  g_snprintf (word, sizeof word, "%" G_GUINT64_FORMAT, value);
  line_word (line, word);
}

static void
line_hex (Line         *line,
          const guint8 *data,
          gsize         len)
{
  static const char digits[] = "0123456789abcdef";

  if (line->len > 0)
    line_raw (line, " ", 1);
  for (gsize i = 0; i < len; i++)
    {
      char pair[2] = { digits[data[i] >> 4], digits[data[i] & 0xf] };

      line_raw (line, pair, 2);
    }
}

/* Appends @text escaped, cut to at most @max_len bytes at a character
 * boundary; an empty or %NULL text appends nothing (the word is optional).
 * Text that is not UTF-8 makes the line invalid. */
static void
line_text (Line       *line,
           const char *text,
           gsize       max_len)
{
  gsize len, size;
  char *escaped;

  if (text == NULL || text[0] == '\0')
    return;
  len = strlen (text);
  if (!g_utf8_validate_len (text, len, NULL))
    {
      line->invalid = TRUE;
      return;
    }
  if (len > max_len)
    len = (gsize) (g_utf8_find_prev_char (text, text + max_len + 1) - text);
  size = len * 3 + 1;
  escaped = gcry_malloc_secure (size);
  if (escaped == NULL)
    {
      line->invalid = TRUE;
      return;
    }
  _kf_protocol_escape_into (text, len, escaped);
  line_word (line, escaped);
  explicit_bzero (escaped, size);
  gcry_free (escaped);
}

static void
line_check (Line     *line,
            gboolean  valid)
{
  if (!valid)
    line->invalid = TRUE;
}

static void
line_name (Line       *line,
           const char *name)
{
  g_autofree char *escaped = NULL;

  if (!kf_protocol_validate_name (name, NULL))
    {
      line->invalid = TRUE;
      return;
    }
  escaped = kf_protocol_escape (name);
  line_word (line, escaped);
}

static void
line_session (Line       *line,
              const char *session_id)
{
  line_check (line, kf_protocol_is_session_id (session_id));
  line_word (line, session_id);
}

static gboolean
is_digest (const char *digest)
{
  if (digest[0] == '\0')
    return TRUE;
  if (strlen (digest) != KF_PROTOCOL_DIGEST_HEX_LEN)
    return FALSE;
  for (const char *p = digest; *p != '\0'; p++)
    if (!g_ascii_isdigit (*p) && !(*p >= 'a' && *p <= 'f'))
      return FALSE;
  return TRUE;
}

static void
format_uint (const KfProtocolMessage *msg,
             const KfArgSpec         *arg,
             Line                    *line)
{
  guint64 value = _kf_protocol_arg_get_uint (msg, arg);

  if (arg->optional && value == 0)
    return;
  line_check (line, value >= arg->min && value <= arg->max);
  line_uint (line, value);
}

static void
format_word (const KfProtocolMessage *msg,
             const KfArgSpec         *arg,
             Line                    *line)
{
  guint64 value = _kf_protocol_arg_get_uint (msg, arg);

  for (guint64 i = 0; arg->words[i] != NULL; i++)
    if (i == value)
      {
        line_word (line, arg->words[i]);
        return;
      }
  line->invalid = TRUE;
}

static void
format_passphrase (const KfProtocolMessage *msg,
                   Line                    *line)
{
  line_check (line, msg->text != NULL && msg->text[0] != '\0'
                    && strlen (msg->text) <= KF_PROTOCOL_MAX_PASSPHRASE);
  line_text (line, msg->text, KF_PROTOCOL_MAX_PASSPHRASE);
}

static void
format_confirm (const KfProtocolMessage *msg,
                Line                    *line)
{
  line_check (line, msg->confirm_len > 0 && msg->confirm_len <= KF_PROTOCOL_CONFIRM_MAX);
  line_hex (line, msg->confirm, MIN (msg->confirm_len, KF_PROTOCOL_CONFIRM_MAX));
}

static void
format_address (const KfProtocolMessage *msg,
                Line                    *line)
{
  line_check (line, msg->address != NULL && g_hostname_is_ip_address (msg->address));
  line_word (line, msg->address != NULL ? msg->address : "");
}

static void
format_digest (const KfProtocolMessage *msg,
               Line                    *line)
{
  line_check (line, is_digest (msg->digest));
  line_word (line, msg->digest[0] != '\0' ? msg->digest : "-");
}

static void format_reply (const KfProtocolMessage *msg,
                          Line                    *line);

/* Appends the word(s) @arg says from @msg, checked as the parser would. */
static void
format_arg (const KfProtocolMessage *msg,
            const KfArgSpec         *arg,
            Line                    *line)
{
  switch (arg->kind)
    {
    case KF_ARG_UINT:
      format_uint (msg, arg, line);
      break;
    case KF_ARG_WORD:
      format_word (msg, arg, line);
      break;
    case KF_ARG_HEX:
      line_hex (line, (const guint8 *) msg + arg->offset, arg->size);
      break;
    case KF_ARG_NAME:
      line_name (line, msg->name);
      break;
    case KF_ARG_SESSION:
      line_session (line, msg->session_id);
      break;
    case KF_ARG_ADDRESS:
      format_address (msg, line);
      break;
    case KF_ARG_TEXT:
    case KF_ARG_REASON:
      line_text (line, msg->text, KF_PROTOCOL_MAX_TEXT);
      break;
    case KF_ARG_PASSPHRASE:
      format_passphrase (msg, line);
      break;
    case KF_ARG_CONFIRM:
      format_confirm (msg, line);
      break;
    case KF_ARG_DIGEST:
      format_digest (msg, line);
      break;
    case KF_ARG_ERROR_CODE:
      line_word (line, kf_protocol_error_to_code (msg->error_code));
      break;
    case KF_ARG_REPLY:
      format_reply (msg, line);
      break;
    case KF_ARG_MORE:
      if (msg->more)
        line_word (line, "more");
      break;
    case KF_ARG_NONE:
    default:
      g_assert_not_reached ();
    }
}

/* The words of the argument list @args (at most @max entries). */
static void
format_args (const KfProtocolMessage *msg,
             const KfArgSpec         *args,
             guint                    max,
             Line                    *line)
{
  for (guint i = 0; i < max && args[i].kind != KF_ARG_NONE; i++)
    format_arg (msg, &args[i], line);
}

/* `ok <verb> ...`: the words the verb's row gives its reply. */
static void
format_reply (const KfProtocolMessage *msg,
              Line                    *line)
{
  const KfVerbSpec *spec = _kf_protocol_verb_by_type (msg->reply_to);

  if (spec == NULL || spec->direction != KF_VERB_CLIENT)
    {
      line->invalid = TRUE;
      return;
    }
  line_word (line, spec->verb);
  format_args (msg, spec->reply, KF_VERB_MAX_REPLY, line);
}

static void
secure_buf_free (gpointer data)
{
  explicit_bzero (data, BUF_SIZE);
  gcry_free (data);
}

/* Frees a line of kf_protocol_message_to_bytes(): NUL-terminated, and
 * never holding a NUL itself. */
static void
secure_line_free (gpointer data)
{
  explicit_bzero (data, strlen (data));
  gcry_free (data);
}

/* Formats @msg into a fresh secure buffer; returns it with its length, or
 * %NULL with %KF_PROTOCOL_ERROR_BAD_ARGS or _LINE_TOO_LONG. */
static char *
format_line (const KfProtocolMessage  *msg,
             gsize                    *len,
             GError                  **error)
{
  const KfVerbSpec *spec;
  Line line = { 0 };

  g_return_val_if_fail (msg != NULL, NULL);

  spec = _kf_protocol_verb_by_type (msg->type);
  line.buf = gcry_malloc_secure (BUF_SIZE);
  if (spec == NULL || line.buf == NULL)
    {
      g_set_error_literal (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_INTERNAL,
                           _("Cannot format this message"));
      g_clear_pointer (&line.buf, gcry_free);
      return NULL;
    }
  line_word (&line, spec->verb);
  format_args (msg, spec->args, KF_VERB_MAX_ARGS, &line);
  if (line.invalid || line.overflow)
    {
      g_set_error (error, KF_PROTOCOL_ERROR,
                   line.overflow ? KF_PROTOCOL_ERROR_LINE_TOO_LONG : KF_PROTOCOL_ERROR_BAD_ARGS,
                   _("Cannot format a “%s” line: %s"), spec->verb,
                   line.overflow ? _("it would be too long") : _("a field is invalid"));
      secure_buf_free (line.buf);
      return NULL;
    }
  line.buf[line.len] = '\0';
  *len = line.len;

  return line.buf;
}

/*
 * kf_protocol_message_to_bytes:
 *
 * Returns: (transfer full): the line for @msg with its LF, ready to write;
 * for `auth`, `confirm` and `ev key` in secure memory of the line's own
 * size that is wiped when the bytes are freed; or %NULL with
 * %KF_PROTOCOL_ERROR_BAD_ARGS (a field the parser would refuse),
 * %KF_PROTOCOL_ERROR_LINE_TOO_LONG or, when secure memory is exhausted,
 * %KF_PROTOCOL_ERROR_INTERNAL.  Free texts are cut to KF_PROTOCOL_MAX_TEXT
 * bytes rather than refused.
 *
 * The line is formatted in a secure scratch buffer of the longest line's
 * size and copied out: a key manager may queue thousands of short lines
 * for a client that reads slowly, and none may keep 4 KiB of secure memory.
 */
GBytes *
kf_protocol_message_to_bytes (const KfProtocolMessage  *msg,
                              GError                  **error)
{
  gsize len = 0;
  char *scratch = format_line (msg, &len, error);
  GBytes *bytes = NULL;
  char *buf;

  if (scratch == NULL)
    return NULL;
  scratch[len++] = '\n';
  if (!_kf_protocol_verb_by_type (msg->type)->secret)
    bytes = g_bytes_new (scratch, len);
  else if ((buf = gcry_malloc_secure (len + 1)) != NULL)
    {
      memcpy (buf, scratch, len);
      buf[len] = '\0';
      bytes = g_bytes_new_with_free_func (buf, len, secure_line_free, buf);
    }
  else
    g_set_error_literal (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_INTERNAL,
                         _("Cannot format this message"));
  secure_buf_free (scratch);

  return bytes;
}

/*
 * kf_protocol_message_format:
 *
 * Returns: (transfer full): the line for @msg without its LF in ordinary
 * memory, for tests and logs of lines without secrets; %NULL with the same
 * errors as kf_protocol_message_to_bytes().
 */
char *
kf_protocol_message_format (const KfProtocolMessage  *msg,
                            GError                  **error)
{
  gsize len = 0;
  char *buf = format_line (msg, &len, error);
  char *copy;

  if (buf == NULL)
    return NULL;
  copy = g_strndup (buf, len);
  secure_buf_free (buf);

  return copy;
}
