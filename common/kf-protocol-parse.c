/* kf-protocol-parse.c: turning protocol lines into KfProtocolMessage
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A line is validated (length, UTF-8, no NUL/CR), copied into secure
 * memory, split in place into words, and its first word (or `ev` and the
 * second) looked up in a grammar table that gives the message type, how
 * many arguments it takes and the function that reads them.  Client and
 * server lines have separate tables, so a server never accepts a server
 * line from a client and the other way round.
 */

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <gcrypt.h>

#include "kf-hex.h"
#include "kf-protocol.h"
#include "kf-protocol-private.h"

typedef gboolean (*ArgsFunc) (KfProtocolMessage  *msg,
                              char              **args,
                              guint               n_args,
                              GError            **error);

typedef struct
{
  const char *verb;
  KfMsgType   type;
  guint       min_args;
  guint       max_args;
  ArgsFunc    parse;
} Grammar;

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
  ok = kf_protocol_unescape_into (word, text, error)
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
take_id (const char  *word,
         guint64     *out,
         GError     **error)
{
  if (!kf_protocol_parse_uint (word, G_MAXUINT64, out))
    return bad_args (error, "id: expected a decimal number");
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
take_mode (KfProtocolMessage  *msg,
           const char         *word,
           GError            **error)
{
  if (g_str_equal (word, "cbc"))
    msg->mode = KF_CIPHER_MODE_CBC;
  else if (g_str_equal (word, "cfb"))
    msg->mode = KF_CIPHER_MODE_CFB;
  else
    return bad_args (error, "mode: expected cbc or cfb");
  return TRUE;
}

static gboolean
take_port (KfProtocolMessage  *msg,
           const char         *word,
           GError            **error)
{
  guint64 port;

  if (!kf_protocol_parse_uint (word, G_MAXUINT16, &port) || port == 0)
    return bad_args (error, "port: expected 1 to 65535");
  msg->port = (guint16) port;
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
parse_auth (KfProtocolMessage *msg, char **args, guint n, GError **error)
{
  if (!take_text (msg, args[0], KF_PROTOCOL_MAX_PASSPHRASE, error))
    return FALSE;
  if (msg->text[0] == '\0')
    return bad_args (error, "passphrase: empty");
  return TRUE;
}

static gboolean
parse_version (KfProtocolMessage *msg, const char *word, GError **error)
{
  guint64 version;

  if (!kf_protocol_parse_uint (word, G_MAXUINT, &version))
    return bad_args (error, "protocol version");
  msg->version = (guint) version;
  return TRUE;
}

static gboolean
parse_hello (KfProtocolMessage *msg, char **args, guint n, GError **error)
{
  return parse_version (msg, args[0], error) && take_name (msg, args[1], error);
}

/* `cancel`'s reason: any length a line can carry, cut to
 * KF_PROTOCOL_MAX_TEXT bytes at a character boundary (Part 1 §3), so that
 * a peer passing on a long transfer CANCEL reason is not refused. */
static gboolean
parse_cancel_reason (KfProtocolMessage *msg, char **args, guint n, GError **error)
{
  gsize len;
  char *end;

  if (n == 0)
    return TRUE;
  if (!take_text (msg, args[0], KF_PROTOCOL_MAX_LINE, error))
    return FALSE;
  len = strlen (msg->text);
  if (len <= KF_PROTOCOL_MAX_TEXT)
    return TRUE;
  end = g_utf8_find_prev_char (msg->text, msg->text + KF_PROTOCOL_MAX_TEXT + 1);
  explicit_bzero (end, len - (gsize) (end - msg->text));
  return TRUE;
}

/* `send` and `watch`: the optional id to list the peers after. */
static gboolean
parse_after (KfProtocolMessage *msg, char **args, guint n, GError **error)
{
  return n == 0 || take_id (args[0], &msg->id, error);
}

static gboolean
parse_conn (KfProtocolMessage *msg, char **args, guint n, GError **error)
{
  return take_id (args[0], &msg->id, error) && take_mode (msg, args[1], error);
}

static gboolean
parse_confirm (KfProtocolMessage *msg, char **args, guint n, GError **error)
{
  gsize len = strlen (args[0]);

  if (len == 0 || len % 2 != 0)
    return bad_args (error, "confirmation: expected whole bytes of hex");
  msg->confirm_len = len / 2;
  if (msg->confirm_len <= KF_PROTOCOL_CONFIRM_MAX)
    return take_hex (args[0], msg->confirm, msg->confirm_len, "confirmation", error);
  /* Too long to be right, yet well-formed: a wrong confirmation (Part 1
   * §5), which the server answers with bad-confirm; no byte is kept. */
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isxdigit (args[0][i]))
      return bad_args (error, "confirmation");
  return TRUE;
}

static gboolean
parse_port (KfProtocolMessage *msg, char **args, guint n, GError **error)
{
  return take_port (msg, args[0], error);
}

static gboolean
parse_report (KfProtocolMessage *msg, char **args, guint n, GError **error)
{
  guint8 digest[KF_PROTOCOL_DIGEST_HEX_LEN / 2];

  if (!kf_protocol_parse_uint (args[0], G_MAXUINT64, &msg->blocks))
    return bad_args (error, "block count");
  if (g_str_equal (args[1], "-"))
    return TRUE;
  if (!take_hex (args[1], digest, sizeof digest, "digest: expected 64 hex digits or -", error))
    return FALSE;
  for (gsize i = 0; i < KF_PROTOCOL_DIGEST_HEX_LEN; i++)
    msg->digest[i] = g_ascii_tolower (args[1][i]);
  msg->digest[KF_PROTOCOL_DIGEST_HEX_LEN] = '\0';
  return TRUE;
}

static const Grammar client_grammar[] = {
  { "auth", KF_MSG_AUTH, 1, 1, parse_auth },
  { "hello", KF_MSG_HELLO, 2, 2, parse_hello },
  { "wait", KF_MSG_WAIT, 0, 0, NULL },
  { "cancel", KF_MSG_CANCEL, 0, 1, parse_cancel_reason },
  { "send", KF_MSG_SEND, 0, 1, parse_after },
  { "conn", KF_MSG_CONN, 2, 2, parse_conn },
  { "ping", KF_MSG_PING, 0, 0, NULL },
  { "end", KF_MSG_END, 0, 0, NULL },
  { "confirm", KF_MSG_CONFIRM, 1, 1, parse_confirm },
  { "port", KF_MSG_PORT, 1, 1, parse_port },
  { "report", KF_MSG_REPORT, 2, 2, parse_report },
  { "watch", KF_MSG_WATCH, 0, 1, parse_after },
  { "unwatch", KF_MSG_UNWATCH, 0, 0, NULL },
};

static gboolean
parse_greeting (KfProtocolMessage *msg, char **args, guint n, GError **error)
{
  if (!parse_version (msg, args[0], error))
    return FALSE;
  if (g_str_equal (args[1], "passphrase"))
    msg->auth_required = TRUE;
  else if (!g_str_equal (args[1], "none"))
    return bad_args (error, "admission method: expected none or passphrase");
  return TRUE;
}

static gboolean
parse_id_name (KfProtocolMessage *msg, char **args, guint n, GError **error)
{
  return take_id (args[0], &msg->id, error) && take_name (msg, args[1], error);
}

static const Grammar *find_verb (const Grammar *table,
                                 gsize          n_table,
                                 const char    *verb);

static gboolean
parse_ok (KfProtocolMessage *msg, char **args, guint n, GError **error)
{
  const Grammar *g = find_verb (client_grammar, G_N_ELEMENTS (client_grammar), args[0]);
  guint64 count;

  if (g == NULL)
    return bad_args (error, "reply: unknown verb");
  msg->reply_to = g->type;
  if (g->type == KF_MSG_CONN)
    {
      if (n != 2)
        return bad_args (error, "reply: expected a session id");
      return take_session_id (msg, args[1], error);
    }
  if (g->type == KF_MSG_SEND || g->type == KF_MSG_WATCH)
    {
      if (n < 2 || n > 3 || !kf_protocol_parse_uint (args[1], KF_PROTOCOL_MAX_PEERS, &count))
        return bad_args (error, "reply: expected a peer count");
      if (n == 3 && !g_str_equal (args[2], "more"))
        return bad_args (error, "reply: expected “more” or nothing after the peer count");
      msg->count = (guint) count;
      msg->more = n == 3;
      return TRUE;
    }
  return n == 1 || bad_args (error, "reply: unexpected argument");
}

static gboolean
parse_err (KfProtocolMessage *msg, char **args, guint n, GError **error)
{
  msg->error_code = kf_protocol_error_from_code (args[0]);
  return n == 1 || take_text (msg, args[1], KF_PROTOCOL_MAX_LINE, error);
}

static const Grammar server_grammar[] = {
  { "keyferry", KF_MSG_GREETING, 2, 2, parse_greeting },
  { "welcome", KF_MSG_WELCOME, 2, 2, parse_id_name },
  { "ok", KF_MSG_OK, 1, 3, parse_ok },
  { "err", KF_MSG_ERR, 1, 2, parse_err },
  { "peer", KF_MSG_PEER, 2, 2, parse_id_name },
};

static gboolean
parse_ev_key (KfProtocolMessage *msg, char **args, guint n, GError **error)
{
  if (!take_session_id (msg, args[0], error))
    return FALSE;
  if (g_str_equal (args[1], "sender"))
    msg->role = KF_ROLE_SENDER;
  else if (g_str_equal (args[1], "receiver"))
    msg->role = KF_ROLE_RECEIVER;
  else
    return bad_args (error, "role: expected sender or receiver");

  return take_id (args[2], &msg->id, error)
         && take_name (msg, args[3], error)
         && take_mode (msg, args[4], error)
         && take_hex (args[5], msg->key, sizeof msg->key, "key", error)
         && take_hex (args[6], msg->iv, sizeof msg->iv, "IV", error)
         && take_hex (args[7], msg->auth_key, sizeof msg->auth_key, "authentication key", error)
         && take_hex (args[8], msg->challenge, sizeof msg->challenge, "challenge", error)
         && take_hex (args[9], msg->confirm_iv, sizeof msg->confirm_iv, "confirmation IV", error);
}

static gboolean
parse_session_only (KfProtocolMessage *msg, char **args, guint n, GError **error)
{
  return take_session_id (msg, args[0], error);
}

static gboolean
parse_ev_connect (KfProtocolMessage *msg, char **args, guint n, GError **error)
{
  if (!take_session_id (msg, args[0], error))
    return FALSE;
  if (!g_hostname_is_ip_address (args[1]))
    return bad_args (error, "address: expected an IP address");
  msg->address = g_strdup (args[1]);
  return take_port (msg, args[2], error);
}

static gboolean
parse_ev_result (KfProtocolMessage *msg, char **args, guint n, GError **error)
{
  if (!take_session_id (msg, args[0], error))
    return FALSE;
  if (g_str_equal (args[1], "ok"))
    msg->verdict = KF_VERDICT_OK;
  else if (g_str_equal (args[1], "mismatch"))
    msg->verdict = KF_VERDICT_MISMATCH;
  else if (g_str_equal (args[1], "digest-mismatch"))
    msg->verdict = KF_VERDICT_DIGEST_MISMATCH;
  else
    return bad_args (error, "verdict");
  if (!kf_protocol_parse_uint (args[2], G_MAXUINT64, &msg->sender_blocks)
      || !kf_protocol_parse_uint (args[3], G_MAXUINT64, &msg->receiver_blocks))
    return bad_args (error, "block count");
  return TRUE;
}

static gboolean
parse_ev_cancelled (KfProtocolMessage *msg, char **args, guint n, GError **error)
{
  static const KfCancelReason reasons[] = {
    KF_CANCEL_PEER, KF_CANCEL_TIMEOUT, KF_CANCEL_BAD_CONFIRM, KF_CANCEL_PEER_LEFT,
  };
  gboolean known = FALSE;

  if (!take_session_id (msg, args[0], error))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (reasons) && !known; i++)
    if (g_str_equal (args[1], kf_protocol_cancel_reason_to_string (reasons[i])))
      {
        msg->cancel_reason = reasons[i];
        known = TRUE;
      }
  if (!known)
    return bad_args (error, "cancel reason");
  return n == 2 || take_text (msg, args[2], KF_PROTOCOL_MAX_LINE, error);
}

static gboolean
parse_ev_shutdown (KfProtocolMessage *msg, char **args, guint n, GError **error)
{
  return n == 0 || take_text (msg, args[0], KF_PROTOCOL_MAX_LINE, error);
}

static gboolean
parse_ev_unwaiting (KfProtocolMessage *msg, char **args, guint n, GError **error)
{
  return take_id (args[0], &msg->id, error);
}

static const Grammar event_grammar[] = {
  { "key", KF_MSG_EV_KEY, 10, 10, parse_ev_key },
  { "listen", KF_MSG_EV_LISTEN, 1, 1, parse_session_only },
  { "connect", KF_MSG_EV_CONNECT, 3, 3, parse_ev_connect },
  { "result", KF_MSG_EV_RESULT, 4, 4, parse_ev_result },
  { "cancelled", KF_MSG_EV_CANCELLED, 2, 3, parse_ev_cancelled },
  { "shutdown", KF_MSG_EV_SHUTDOWN, 0, 1, parse_ev_shutdown },
  { "waiting", KF_MSG_EV_WAITING, 2, 2, parse_id_name },
  { "unwaiting", KF_MSG_EV_UNWAITING, 1, 1, parse_ev_unwaiting },
};

static const Grammar *
find_verb (const Grammar *table,
           gsize          n_table,
           const char    *verb)
{
  for (gsize i = 0; i < n_table; i++)
    if (g_str_equal (table[i].verb, verb))
      return &table[i];
  return NULL;
}

static const Grammar *
find_type (KfMsgType    type,
           const char **prefix)
{
  const struct { const Grammar *table; gsize n; const char *prefix; } tables[] = {
    { client_grammar, G_N_ELEMENTS (client_grammar), NULL },
    { server_grammar, G_N_ELEMENTS (server_grammar), NULL },
    { event_grammar, G_N_ELEMENTS (event_grammar), "ev" },
  };

  for (gsize t = 0; t < G_N_ELEMENTS (tables); t++)
    for (gsize i = 0; i < tables[t].n; i++)
      if (tables[t].table[i].type == type)
        {
          *prefix = tables[t].prefix;
          return &tables[t].table[i];
        }
  return NULL;
}

/*
 * kf_protocol_msg_type_to_verb:
 *
 * Returns: the word(s) a line of @type starts with ("conn", "ev key"…), or
 * %NULL for %KF_MSG_INVALID.
 */
const char *
kf_protocol_msg_type_to_verb (KfMsgType type)
{
  static const char * const events[] = {
    "ev key", "ev listen", "ev connect", "ev result", "ev cancelled",
    "ev shutdown", "ev waiting", "ev unwaiting",
  };
  const char *prefix = NULL;
  const Grammar *g = find_type (type, &prefix);

  if (g == NULL)
    return NULL;
  if (prefix != NULL)
    return events[g - event_grammar];
  return g->verb;
}

/* Looks up the grammar of a split line and runs its argument parser. */
static KfProtocolMessage *
parse_words (char          **words,
             guint           n,
             const Grammar  *table,
             gsize           n_table,
             gboolean        events,
             GError        **error)
{
  g_autoptr(KfProtocolMessage) msg = NULL;
  const Grammar *g = NULL;
  guint skip = 1;

  if (events && g_str_equal (words[0], "ev") && n >= 2)
    {
      g = find_verb (event_grammar, G_N_ELEMENTS (event_grammar), words[1]);
      skip = 2;
    }
  else
    g = find_verb (table, n_table, words[0]);

  if (g == NULL)
    {
      g_set_error_literal (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_UNKNOWN_COMMAND,
                           _("Unknown command"));
      return NULL;
    }
  if (n - skip < g->min_args || n - skip > g->max_args)
    {
      g_set_error (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_BAD_ARGS,
                   _("Wrong number of arguments for “%s”"), g->verb);
      return NULL;
    }
  msg = kf_protocol_message_new (g->type);
  if (msg == NULL)
    {
      g_set_error_literal (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_INTERNAL,
                           _("Out of secure memory"));
      return NULL;
    }
  if (g->parse != NULL && !g->parse (msg, words + skip, n - skip, error))
    return NULL;

  return g_steal_pointer (&msg);
}

/* Validates @line, splits a secure copy of it and parses the words. */
static KfProtocolMessage *
parse_line (const char     *line,
            const Grammar  *table,
            gsize           n_table,
            gboolean        events,
            GError        **error)
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
  if (kf_protocol_split_in_place (buf, words, G_N_ELEMENTS (words), &n, error))
    msg = parse_words (words, n, table, n_table, events, error);
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
  return parse_line (line, client_grammar, G_N_ELEMENTS (client_grammar), FALSE, error);
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
  return parse_line (line, server_grammar, G_N_ELEMENTS (server_grammar), TRUE, error);
}
