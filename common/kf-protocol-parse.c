/* kf-protocol-parse.c: turning protocol lines into KfProtocolMessage
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A line is validated (length, UTF-8, no NUL/CR), copied into secure
 * memory, split in place into words, and its first word (or `ev` and the
 * second) looked up in the verb table of kf-protocol-verbs.c, whose row
 * gives the message type and the kind of each argument.  Client and server
 * lines are looked up among their own rows, so a server never accepts a
 * server line from a client and the other way round.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <gcrypt.h>

#include "kf-hex.h"
#include "kf-protocol.h"
#include "kf-protocol-private.h"

static gboolean
bad_args (GError     **error,
          const char  *what)
{
  g_set_error (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_BAD_ARGS,
               _("Invalid %s"), what);
  return FALSE;
}

/* Reads an escaped free-text word into the message's secure text field. */
static gboolean
take_text (KfProtocolMessage  *msg,
           const char         *word,
           gsize               max_len,
           GError            **error)
{
  gsize size = strlen (word) + 1;
  char *text = gcry_malloc_secure (size);
  gboolean ok;

  if (text == NULL)
    return bad_args (error, "text (out of secure memory)");
  ok = _kf_protocol_unescape_into (word, text, error)
       && kf_protocol_message_set_text (msg, text);
  explicit_bzero (text, size);
  gcry_free (text);
  if (ok && strlen (msg->text) > max_len)
    return bad_args (error, "text: too long");

  return ok;
}

static gboolean
take_name (KfProtocolMessage  *msg,
           const char         *word,
           GError            **error)
{
  g_autofree char *name = kf_protocol_unescape (word, error);

  if (name == NULL || !kf_protocol_validate_name (name, error))
    return FALSE;
  msg->name = g_steal_pointer (&name);

  return TRUE;
}

static gboolean
take_session_id (KfProtocolMessage  *msg,
                 const char         *word,
                 GError            **error)
{
  if (!kf_protocol_is_session_id (word))
    return bad_args (error, "session id");
  g_strlcpy (msg->session_id, word, sizeof msg->session_id);
  return TRUE;
}

static gboolean
take_hex (const char  *word,
          guint8      *out,
          gsize        len,
          const char  *what,
          GError     **error)
{
  if (!kf_hex_decode (word, out, len, NULL))
    return bad_args (error, what);
  return TRUE;
}

static gboolean
parse_uint (KfProtocolMessage  *msg,
            const KfArgSpec    *arg,
            const char         *word,
            GError            **error)
{
  guint64 value;

  if (!kf_protocol_parse_uint (word, arg->max, &value) || value < arg->min)
    return bad_args (error, arg->what);
  _kf_protocol_arg_set_uint (msg, arg, value);
  return TRUE;
}

static gboolean
parse_word (KfProtocolMessage  *msg,
            const KfArgSpec    *arg,
            const char         *word,
            GError            **error)
{
  for (guint i = 0; arg->words[i] != NULL; i++)
    if (g_str_equal (word, arg->words[i]))
      {
        _kf_protocol_arg_set_uint (msg, arg, i);
        return TRUE;
      }
  return bad_args (error, arg->what);
}

static gboolean
parse_passphrase (KfProtocolMessage  *msg,
                  const char         *word,
                  GError            **error)
{
  if (!take_text (msg, word, KF_PROTOCOL_MAX_PASSPHRASE, error))
    return FALSE;
  if (msg->text[0] == '\0')
    return bad_args (error, "passphrase: empty");
  return TRUE;
}

/* `cancel`'s reason: any length a line can carry, cut to
 * KF_PROTOCOL_MAX_TEXT bytes at a character boundary (Part 1 §3), so that
 * a peer passing on a long transfer CANCEL reason is not refused. */
static gboolean
parse_reason (KfProtocolMessage  *msg,
              const char         *word,
              GError            **error)
{
  gsize len;
  char *end;

  if (!take_text (msg, word, KF_PROTOCOL_MAX_LINE, error))
    return FALSE;
  len = strlen (msg->text);
  if (len <= KF_PROTOCOL_MAX_TEXT)
    return TRUE;
  end = g_utf8_find_prev_char (msg->text, msg->text + KF_PROTOCOL_MAX_TEXT + 1);
  explicit_bzero (end, len - (gsize) (end - msg->text));
  return TRUE;
}

static gboolean
parse_confirm (KfProtocolMessage  *msg,
               const char         *word,
               GError            **error)
{
  gsize len = strlen (word);

  if (len == 0 || len % 2 != 0)
    return bad_args (error, "confirmation: expected whole bytes of hex");
  msg->confirm_len = len / 2;
  if (msg->confirm_len <= KF_PROTOCOL_CONFIRM_MAX)
    return take_hex (word, msg->confirm, msg->confirm_len, "confirmation", error);
  /* Too long to be right, yet well-formed: a wrong confirmation (Part 1
   * §5), which the server answers with bad-confirm; no byte is kept. */
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit (word[i]))
      return bad_args (error, "confirmation");
  return TRUE;
}

static gboolean
parse_digest (KfProtocolMessage  *msg,
              const char         *word,
              GError            **error)
{
  guint8 digest[KF_PROTOCOL_DIGEST_HEX_LEN / 2];

  if (g_str_equal (word, "-"))
    return TRUE;
  if (!take_hex (word, digest, sizeof digest, "digest: expected 64 hex digits or -", error))
    return FALSE;
  for (gsize i = 0; i < KF_PROTOCOL_DIGEST_HEX_LEN; i++)
    msg->digest[i] = g_ascii_tolower (word[i]);
  msg->digest[KF_PROTOCOL_DIGEST_HEX_LEN] = '\0';
  return TRUE;
}

static gboolean
parse_address (KfProtocolMessage  *msg,
               const char         *word,
               GError            **error)
{
  if (!g_hostname_is_ip_address (word))
    return bad_args (error, "address: expected an IP address");
  msg->address = g_strdup (word);
  return TRUE;
}

static gboolean
parse_more (KfProtocolMessage  *msg,
            const KfArgSpec    *arg,
            const char         *word,
            GError            **error)
{
  if (!g_str_equal (word, "more"))
    return bad_args (error, arg->what);
  msg->more = TRUE;
  return TRUE;
}

/* Whether @n words fit the argument list @args of at most @max entries. */
static gboolean
args_fit (const KfArgSpec *args,
          guint            max,
          guint            n)
{
  guint required;
  guint most = _kf_protocol_args_count (args, max, &required);

  return n >= required && n <= most;
}

static gboolean parse_reply (KfProtocolMessage  *msg,
                             char              **words,
                             guint               n,
                             GError            **error);

/* Reads one word as @arg says. */
static gboolean
parse_arg (KfProtocolMessage  *msg,
           const KfArgSpec    *arg,
           const char         *word,
           GError            **error)
{
  switch (arg->kind)
    {
    case KF_ARG_UINT:
      return parse_uint (msg, arg, word, error);
    case KF_ARG_WORD:
      return parse_word (msg, arg, word, error);
    case KF_ARG_HEX:
      return take_hex (word, (guint8 *) msg + arg->offset, arg->size, arg->what, error);
    case KF_ARG_NAME:
      return take_name (msg, word, error);
    case KF_ARG_SESSION:
      return take_session_id (msg, word, error);
    case KF_ARG_ADDRESS:
      return parse_address (msg, word, error);
    case KF_ARG_TEXT:
      return take_text (msg, word, KF_PROTOCOL_MAX_LINE, error);
    case KF_ARG_REASON:
      return parse_reason (msg, word, error);
    case KF_ARG_PASSPHRASE:
      return parse_passphrase (msg, word, error);
    case KF_ARG_CONFIRM:
      return parse_confirm (msg, word, error);
    case KF_ARG_DIGEST:
      return parse_digest (msg, word, error);
    case KF_ARG_ERROR_CODE:
      msg->error_code = kf_protocol_error_from_code (word);
      return TRUE;
    case KF_ARG_MORE:
      return parse_more (msg, arg, word, error);
    case KF_ARG_REPLY:
    case KF_ARG_NONE:
    default:
      g_assert_not_reached ();
    }
}

/* Reads @n words, already counted to fit, as the list @args says. */
static gboolean
parse_args (KfProtocolMessage  *msg,
            const KfArgSpec    *args,
            char              **words,
            guint               n,
            GError            **error)
{
  for (guint i = 0; i < n; i++)
    {
      if (args[i].kind == KF_ARG_REPLY)
        return parse_reply (msg, words + i, n - i, error);
      if (!parse_arg (msg, &args[i], words[i], error))
        return FALSE;
    }
  return TRUE;
}

/* `ok <verb> ...`: the words after the verb are what its row's reply
 * column says. */
static gboolean
parse_reply (KfProtocolMessage  *msg,
             char              **words,
             guint               n,
             GError            **error)
{
  const KfVerbSpec *spec = _kf_protocol_verb_by_word (KF_VERB_CLIENT, words[0]);

  if (spec == NULL)
    return bad_args (error, "reply: unknown verb");
  msg->reply_to = spec->type;
  if (!args_fit (spec->reply, KF_VERB_MAX_REPLY, n - 1))
    return bad_args (error, spec->reply_what != NULL ? spec->reply_what
                                                     : "reply: unexpected argument");
  return parse_args (msg, spec->reply, words + 1, n - 1, error);
}

/* Looks up the row of a split line and reads its arguments. */
static KfProtocolMessage *
parse_words (char            **words,
             guint             n,
             KfVerbDirection   direction,
             GError          **error)
{
  g_autoptr(KfProtocolMessage) msg = NULL;
  const KfVerbSpec *spec = NULL;
  guint skip = 1;

  if (direction == KF_VERB_SERVER && g_str_equal (words[0], "ev") && n >= 2)
    {
      spec = _kf_protocol_verb_by_word (KF_VERB_EVENT, words[1]);
      skip = 2;
    }
  else
    spec = _kf_protocol_verb_by_word (direction, words[0]);

  if (spec == NULL)
    {
      g_set_error_literal (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_UNKNOWN_COMMAND,
                           _("Unknown command"));
      return NULL;
    }
  if (!args_fit (spec->args, KF_VERB_MAX_ARGS, n - skip))
    {
      g_set_error (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_BAD_ARGS,
                   _("Wrong number of arguments for “%s”"), _kf_protocol_verb_word (spec));
      return NULL;
    }
  msg = kf_protocol_message_new (spec->type);
  if (msg == NULL)
    {
      g_set_error_literal (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_INTERNAL,
                           _("Out of secure memory"));
      return NULL;
    }
  if (!parse_args (msg, spec->args, words + skip, n - skip, error))
    return NULL;

  return g_steal_pointer (&msg);
}

/* Validates @line, splits a secure copy of it and parses the words. */
static KfProtocolMessage *
parse_line (const char       *line,
            KfVerbDirection   direction,
            GError          **error)
{
  char *words[KF_PROTOCOL_MAX_WORDS];
  KfProtocolMessage *msg = NULL;
  gsize len;
  guint n = 0;
  char *buf;

  g_return_val_if_fail (line != NULL, NULL);

  len = strlen (line);
  if (!kf_protocol_validate_line (line, len, error))
    return NULL;
  buf = gcry_malloc_secure (len + 1);
  if (buf == NULL)
    {
      g_set_error_literal (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_INTERNAL,
                           _("Out of secure memory"));
      return NULL;
    }
  memcpy (buf, line, len + 1);
  if (_kf_protocol_split_in_place (buf, words, G_N_ELEMENTS (words), &n, error))
    msg = parse_words (words, n, direction, error);
  explicit_bzero (buf, len);
  gcry_free (buf);

  return msg;
}

/*
 * kf_protocol_parse_client_line:
 * @line: one line a client sent, without its LF
 *
 * Returns: (transfer full): the parsed request, or %NULL with
 * %KF_PROTOCOL_ERROR_LINE_TOO_LONG, %KF_PROTOCOL_ERROR_BAD_LINE,
 * %KF_PROTOCOL_ERROR_BAD_UTF8, %KF_PROTOCOL_ERROR_UNKNOWN_COMMAND or
 * %KF_PROTOCOL_ERROR_BAD_ARGS; the code is what the server answers.
 */
KfProtocolMessage *
kf_protocol_parse_client_line (const char  *line,
                               GError     **error)
{
  return parse_line (line, KF_VERB_CLIENT, error);
}

/*
 * kf_protocol_parse_server_line:
 * @line: one line the key manager sent, without its LF
 *
 * Returns: (transfer full): the parsed reply, data line or event, or %NULL
 * with the same errors as kf_protocol_parse_client_line().
 */
KfProtocolMessage *
kf_protocol_parse_server_line (const char  *line,
                               GError     **error)
{
  return parse_line (line, KF_VERB_SERVER, error);
}
