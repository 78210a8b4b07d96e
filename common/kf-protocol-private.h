/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include "kf-protocol.h"

G_BEGIN_DECLS

/* The longest line has 13 words (`ev key ...`); one more is room to notice
 * a line with too many. */
#define KF_PROTOCOL_MAX_WORDS 14

/* The most arguments a line takes after its verb (`ev key` takes eleven),
 * and after `ok <verb>`. */
#define KF_VERB_MAX_ARGS  11
#define KF_VERB_MAX_REPLY 2

/* What one word of a line holds; kf-protocol-format.c writes it and
 * kf-protocol-parse.c reads it, both from the same KfArgSpec. */
typedef enum
{
  KF_ARG_NONE = 0,   /* the end of an argument list */
  KF_ARG_UINT,       /* decimal, min to max, into a 2-, 4- or 8-byte field */
  KF_ARG_WORD,       /* one of words[], into an enum (int) field by index */
  KF_ARG_HEX,        /* exactly size bytes as hex digits */
  KF_ARG_NAME,       /* name: escaped, kf_protocol_validate_name() */
  KF_ARG_SESSION,    /* session_id */
  KF_ARG_ADDRESS,    /* address: an IP address literal */
  KF_ARG_TEXT,       /* text: escaped; sent cut to KF_PROTOCOL_MAX_TEXT */
  KF_ARG_REASON,     /* `cancel`'s text: as KF_ARG_TEXT, and cut when read */
  KF_ARG_PASSPHRASE, /* text: escaped, 1 to KF_PROTOCOL_MAX_PASSPHRASE bytes */
  KF_ARG_CONFIRM,    /* confirm, confirm_len: whole bytes of hex */
  KF_ARG_DIGEST,     /* digest: 64 hex digits, or `-` for none */
  KF_ARG_ERROR_CODE, /* error_code: an `err` code word */
  KF_ARG_REPLY,      /* reply_to: a client verb, then that verb's reply */
  KF_ARG_MORE,       /* more: the word `more` */
} KfArgKind;

typedef struct
{
  KfArgKind           kind;
  gboolean            optional;  /* last only: absent when the field is zero */
  guint16             offset;    /* KF_ARG_UINT, _WORD, _HEX: the field */
  guint16             size;      /* its size in bytes */
  guint64             min;       /* KF_ARG_UINT */
  guint64             max;
  const char * const *words;     /* KF_ARG_WORD: NULL-terminated */
  const char         *what;      /* names the word in "Invalid %s" */
} KfArgSpec;

typedef enum
{
  KF_VERB_CLIENT,  /* a request: `<verb> ...` */
  KF_VERB_SERVER,  /* a reply or data line: `<verb> ...` */
  KF_VERB_EVENT,   /* an event: `ev <verb> ...` */
} KfVerbDirection;

/* One line of the protocol: what drives both its formatter and its parser.
 * A client verb also says what follows `ok <verb>` in its reply. */
typedef struct
{
  KfMsgType        type;
  KfVerbDirection  direction;
  const char      *verb;        /* the line's first words: "conn", "ev key" */
  gboolean         secret;      /* carries a passphrase or key material:
                                 * formatted into secure memory, whose
                                 * pools are small, so only these */
  KfArgSpec        args[KF_VERB_MAX_ARGS];
  KfArgSpec        reply[KF_VERB_MAX_REPLY];
  const char      *reply_what;  /* a reply with the wrong number of words */
} KfVerbSpec;

const KfVerbSpec *_kf_protocol_verbs          (gsize            *n_verbs);
const KfVerbSpec *_kf_protocol_verb_by_type   (KfMsgType         type);
const KfVerbSpec *_kf_protocol_verb_by_word   (KfVerbDirection   direction,
                                               const char       *word);
const char       *_kf_protocol_verb_word      (const KfVerbSpec *spec);
guint             _kf_protocol_args_count     (const KfArgSpec  *args,
                                               guint             max,
                                               guint            *n_required);
guint64           _kf_protocol_arg_get_uint   (const KfProtocolMessage *msg,
                                               const KfArgSpec         *arg);
void              _kf_protocol_arg_set_uint   (KfProtocolMessage       *msg,
                                               const KfArgSpec         *arg,
                                               guint64                  value);

gsize             _kf_protocol_escape_into    (const char  *text,
                                               gsize        len,
                                               char        *out);
gboolean          _kf_protocol_unescape_into  (const char  *word,
                                               char        *out,
                                               GError     **error);
gboolean          _kf_protocol_split_in_place (char        *buf,
                                               char       **words,
                                               guint        max_words,
                                               guint       *n_words,
                                               GError     **error);

G_END_DECLS
