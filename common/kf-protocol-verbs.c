/* kf-protocol-verbs.c: one row per protocol line
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every line of docs/PROTOCOL.md part 1 is one row of verbs[]: its message
 * type, its first word(s), and the kind of each argument after them.  The
 * formatter (kf-protocol-format.c) and the parser (kf-protocol-parse.c)
 * both walk the same row, so a verb is added in one place, and
 * tests/test-protocol.c round-trips every row.
 */

#include "config.h"

#include <string.h>

#include "kf-protocol.h"
#include "kf-protocol-private.h"

#define FIELD(f)      .offset = G_STRUCT_OFFSET (KfProtocolMessage, f), \
                      .size = sizeof (((KfProtocolMessage *) NULL)->f)
#define UINT(f, lo, hi, w) { .kind = KF_ARG_UINT, FIELD (f), .min = (lo), .max = (hi), .what = (w) }
#define ID            UINT (id, 0, G_MAXUINT64, "id: expected a decimal number")
#define VERSION       UINT (version, 0, G_MAXUINT, "protocol version")
#define PORT          UINT (port, 1, G_MAXUINT16, "port: expected 1 to 65535")
#define BLOCKS(f)     UINT (f, 0, G_MAXUINT64, "block count")
#define WORD(f, l, w) { .kind = KF_ARG_WORD, FIELD (f), .words = (l), .what = (w) }
#define HEX(f, w)     { .kind = KF_ARG_HEX, FIELD (f), .what = (w) }
#define ARG(k)        { .kind = (k) }
#define OPTIONAL(k)   { .kind = (k), .optional = TRUE }

static const char * const admissions[] = { "none", "passphrase", NULL };
static const char * const modes[] = { "cbc", "cfb", NULL };
static const char * const roles[] = { "sender", "receiver", NULL };
static const char * const verdicts[] = { "ok", "mismatch", "digest-mismatch", NULL };
static const char * const cancel_reasons[] = {
  "peer", "timeout", "bad-confirm", "peer-left", NULL
};

#define MODE WORD (mode, modes, "mode: expected cbc or cfb")
#define PUBLIC_KEY HEX (public_key, "identity public key")

/* `send` and `watch`: the optional id to list the peers after, and their
 * reply `ok <verb> <count> [more]`. */
#define AFTER_ID { .kind = KF_ARG_UINT, .optional = TRUE, FIELD (id), .max = G_MAXUINT64, \
                   .what = "id: expected a decimal number" }
#define PEER_PAGE { UINT (count, 0, KF_PROTOCOL_MAX_PEERS, "reply: expected a peer count"), \
                    { .kind = KF_ARG_MORE, .optional = TRUE, \
                      .what = "reply: expected “more” or nothing after the peer count" } }, \
                  "reply: expected a peer count"

/* In KfMsgType order, which the lookup by type relies on. */
static const KfVerbSpec verbs[] = {
  { KF_MSG_AUTH, KF_VERB_CLIENT, "auth", TRUE, { ARG (KF_ARG_PASSPHRASE) } },
  { KF_MSG_HELLO, KF_VERB_CLIENT, "hello", FALSE,
    { VERSION, ARG (KF_ARG_NAME), PUBLIC_KEY, HEX (signature, "identity signature") } },
  { KF_MSG_WAIT, KF_VERB_CLIENT, "wait", FALSE, { ARG (KF_ARG_NONE) } },
  { KF_MSG_CANCEL, KF_VERB_CLIENT, "cancel", FALSE, { OPTIONAL (KF_ARG_REASON) } },
  { KF_MSG_SEND, KF_VERB_CLIENT, "send", FALSE, { AFTER_ID }, PEER_PAGE },
  { KF_MSG_CONN, KF_VERB_CLIENT, "conn", FALSE, { ID, MODE },
    { ARG (KF_ARG_SESSION) }, "reply: expected a session id" },
  { KF_MSG_PING, KF_VERB_CLIENT, "ping", FALSE, { ARG (KF_ARG_NONE) } },
  { KF_MSG_END, KF_VERB_CLIENT, "end", FALSE, { ARG (KF_ARG_NONE) } },
  { KF_MSG_CONFIRM, KF_VERB_CLIENT, "confirm", TRUE, { ARG (KF_ARG_CONFIRM) } },
  { KF_MSG_PORT, KF_VERB_CLIENT, "port", FALSE, { PORT } },
  { KF_MSG_REPORT, KF_VERB_CLIENT, "report", FALSE,
    { BLOCKS (blocks), ARG (KF_ARG_DIGEST) } },
  { KF_MSG_WATCH, KF_VERB_CLIENT, "watch", FALSE, { AFTER_ID }, PEER_PAGE },
  { KF_MSG_UNWATCH, KF_VERB_CLIENT, "unwatch", FALSE, { ARG (KF_ARG_NONE) } },
  { KF_MSG_BLOCK, KF_VERB_CLIENT, "block", FALSE, { PUBLIC_KEY } },

  { KF_MSG_GREETING, KF_VERB_SERVER, "keyferry", FALSE,
    { VERSION, WORD (auth_required, admissions,
                     "admission method: expected none or passphrase"),
      HEX (challenge, "greeting challenge") } },
  { KF_MSG_WELCOME, KF_VERB_SERVER, "welcome", FALSE, { ID, ARG (KF_ARG_NAME) } },
  { KF_MSG_OK, KF_VERB_SERVER, "ok", FALSE, { ARG (KF_ARG_REPLY) } },
  { KF_MSG_ERR, KF_VERB_SERVER, "err", FALSE,
    { ARG (KF_ARG_ERROR_CODE), OPTIONAL (KF_ARG_TEXT) } },
  { KF_MSG_PEER, KF_VERB_SERVER, "peer", FALSE, { ID, ARG (KF_ARG_NAME), PUBLIC_KEY } },

  { KF_MSG_EV_KEY, KF_VERB_EVENT, "ev key", TRUE,
    { ARG (KF_ARG_SESSION), WORD (role, roles, "role: expected sender or receiver"),
      ID, ARG (KF_ARG_NAME), PUBLIC_KEY, MODE,
      HEX (key, "key"), HEX (iv, "IV"), HEX (auth_key, "authentication key"),
      HEX (challenge, "challenge"), HEX (confirm_iv, "confirmation IV") } },
  { KF_MSG_EV_LISTEN, KF_VERB_EVENT, "ev listen", FALSE, { ARG (KF_ARG_SESSION) } },
  { KF_MSG_EV_CONNECT, KF_VERB_EVENT, "ev connect", FALSE,
    { ARG (KF_ARG_SESSION), ARG (KF_ARG_ADDRESS), PORT } },
  { KF_MSG_EV_RESULT, KF_VERB_EVENT, "ev result", FALSE,
    { ARG (KF_ARG_SESSION), WORD (verdict, verdicts, "verdict"),
      BLOCKS (sender_blocks), BLOCKS (receiver_blocks) } },
  { KF_MSG_EV_CANCELLED, KF_VERB_EVENT, "ev cancelled", FALSE,
    { ARG (KF_ARG_SESSION), WORD (cancel_reason, cancel_reasons, "cancel reason"),
      OPTIONAL (KF_ARG_TEXT) } },
  { KF_MSG_EV_SHUTDOWN, KF_VERB_EVENT, "ev shutdown", FALSE, { OPTIONAL (KF_ARG_TEXT) } },
  { KF_MSG_EV_WAITING, KF_VERB_EVENT, "ev waiting", FALSE,
    { ID, ARG (KF_ARG_NAME), PUBLIC_KEY } },
  { KF_MSG_EV_UNWAITING, KF_VERB_EVENT, "ev unwaiting", FALSE, { ID } },
};

/* One row per message type but KF_MSG_INVALID; the test checks the order. */
G_STATIC_ASSERT (G_N_ELEMENTS (verbs) == KF_MSG_EV_UNWAITING);

const KfVerbSpec *
_kf_protocol_verbs (gsize *n_verbs)
{
  *n_verbs = G_N_ELEMENTS (verbs);
  return verbs;
}

/*
 * _kf_protocol_verb_by_type:
 *
 * Returns: the row of @type, or %NULL for %KF_MSG_INVALID or a value
 * outside the enumeration.
 */
const KfVerbSpec *
_kf_protocol_verb_by_type (KfMsgType type)
{
  if (type <= KF_MSG_INVALID || (gsize) type > G_N_ELEMENTS (verbs))
    return NULL;
  g_assert (verbs[type - 1].type == type);
  return &verbs[type - 1];
}

/*
 * _kf_protocol_verb_by_word:
 *
 * Returns: the row of @direction whose verb is @word (for events the word
 * after `ev`), or %NULL.
 */
const KfVerbSpec *
_kf_protocol_verb_by_word (KfVerbDirection  direction,
                           const char      *word)
{
  for (gsize i = 0; i < G_N_ELEMENTS (verbs); i++)
    if (verbs[i].direction == direction
        && g_str_equal (_kf_protocol_verb_word (&verbs[i]), word))
      return &verbs[i];
  return NULL;
}

/* The verb's own word: "key" for "ev key". */
const char *
_kf_protocol_verb_word (const KfVerbSpec *spec)
{
  const char *space = strchr (spec->verb, ' ');

  return space != NULL ? space + 1 : spec->verb;
}

/*
 * _kf_protocol_args_count:
 *
 * Returns: how many words @args (at most @max of them) may take, with how
 * many of them are required in @n_required.  `ok`'s reply takes its verb
 * and the longest reply after it.
 */
guint
_kf_protocol_args_count (const KfArgSpec *args,
                         guint            max,
                         guint           *n_required)
{
  guint n = 0;

  *n_required = 0;
  for (guint i = 0; i < max && args[i].kind != KF_ARG_NONE; i++)
    {
      n += args[i].kind == KF_ARG_REPLY ? 1 + KF_VERB_MAX_REPLY : 1;
      if (!args[i].optional)
        *n_required += 1;
    }
  return n;
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
  const KfVerbSpec *spec = _kf_protocol_verb_by_type (type);

  return spec != NULL ? spec->verb : NULL;
}

/*
 * _kf_protocol_arg_get_uint, _kf_protocol_arg_set_uint:
 *
 * Read and write the integer field of a KF_ARG_UINT or KF_ARG_WORD
 * argument (an enum is read as its unsigned value).
 */
guint64
_kf_protocol_arg_get_uint (const KfProtocolMessage *msg,
                           const KfArgSpec         *arg)
{
  const guint8 *field = (const guint8 *) msg + arg->offset;
  guint16 v16;
  guint32 v32;
  guint64 v64;

  switch (arg->size)
    {
    case 2:
      memcpy (&v16, field, 2);
      return v16;
    case 4:
      memcpy (&v32, field, 4);
      return v32;
    case 8:
      memcpy (&v64, field, 8);
      return v64;
    default:
      g_assert_not_reached ();
    }
}

void
_kf_protocol_arg_set_uint (KfProtocolMessage *msg,
                           const KfArgSpec   *arg,
                           guint64            value)
{
  guint8 *field = (guint8 *) msg + arg->offset;
  guint16 v16 = (guint16) value;
  guint32 v32 = (guint32) value;

  g_assert (value <= (arg->size == 8 ? G_MAXUINT64 : (G_GUINT64_CONSTANT (1) << (arg->size * 8)) - 1));
  if (arg->size == 2)
    memcpy (field, &v16, 2);
  else if (arg->size == 4)
    memcpy (field, &v32, 4);
  else
    memcpy (field, &value, 8);
}
