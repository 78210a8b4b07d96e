/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

#include "kf-cipher.h"
#include "kf-session-keys.h"

G_BEGIN_DECLS

/* The key-manager protocol, version 2: docs/PROTOCOL.md part 1 is the
 * normative description of every line below. */

#define KF_PROTOCOL_VERSION          2
#define KF_PROTOCOL_ALPN             "keyferry/2"  /* offered in TLS (§4.1) */
#define KF_PROTOCOL_DEFAULT_PORT     7745
#define KF_PROTOCOL_MAX_LINE         4096  /* bytes, the LF included */
#define KF_PROTOCOL_MAX_NAME_CHARS   64    /* characters, unescaped */
#define KF_PROTOCOL_MAX_TEXT         256   /* bytes of a reason or error text, unescaped */
#define KF_PROTOCOL_MAX_PASSPHRASE   1024  /* bytes, unescaped */
#define KF_PROTOCOL_MAX_PEERS        100   /* peer lines in one list */
#define KF_PROTOCOL_CHALLENGE_SIZE   32
#define KF_PROTOCOL_CONFIRM_MAX      48    /* CBC: 32 bytes + a padding block */
#define KF_PROTOCOL_DIGEST_HEX_LEN   64
#define KF_PROTOCOL_PUBLIC_KEY_SIZE  32    /* an Ed25519 identity */
#define KF_PROTOCOL_SIGNATURE_SIZE   64

#define KF_PROTOCOL_ERROR (kf_protocol_error_quark ())

/* The first eighteen codes are the wire's `err` codes, in the order of
 * docs/PROTOCOL.md; the others only exist locally (the reader's finer
 * reasons for `bad-line`, and a code this version does not know). */
typedef enum
{
  KF_PROTOCOL_ERROR_BAD_LINE,
  KF_PROTOCOL_ERROR_UNKNOWN_COMMAND,
  KF_PROTOCOL_ERROR_BAD_ARGS,
  KF_PROTOCOL_ERROR_BAD_STATE,
  KF_PROTOCOL_ERROR_VERSION,
  KF_PROTOCOL_ERROR_AUTH_REQUIRED,
  KF_PROTOCOL_ERROR_AUTH_FAILED,
  KF_PROTOCOL_ERROR_NO_SUCH_PEER,
  KF_PROTOCOL_ERROR_SELF,
  KF_PROTOCOL_ERROR_BAD_CONFIRM,
  KF_PROTOCOL_ERROR_FULL,
  KF_PROTOCOL_ERROR_TIMEOUT,
  KF_PROTOCOL_ERROR_INTERNAL,
  KF_PROTOCOL_ERROR_BAD_NAME,
  KF_PROTOCOL_ERROR_BAD_IDENTITY,
  KF_PROTOCOL_ERROR_NOT_ENROLLED,
  KF_PROTOCOL_ERROR_NAME_OWNED,
  KF_PROTOCOL_ERROR_RATE_LIMITED,
  KF_PROTOCOL_ERROR_LINE_TOO_LONG,
  KF_PROTOCOL_ERROR_BAD_UTF8,
  KF_PROTOCOL_ERROR_UNKNOWN_CODE,
} KfProtocolError;

typedef enum
{
  KF_MSG_INVALID = 0,
  /* client → server */
  KF_MSG_AUTH,
  KF_MSG_HELLO,
  KF_MSG_WAIT,
  KF_MSG_CANCEL,
  KF_MSG_SEND,
  KF_MSG_CONN,
  KF_MSG_PING,
  KF_MSG_END,
  KF_MSG_CONFIRM,
  KF_MSG_PORT,
  KF_MSG_REPORT,
  KF_MSG_WATCH,
  KF_MSG_UNWATCH,
  KF_MSG_BLOCK,
  /* server → client */
  KF_MSG_GREETING,
  KF_MSG_WELCOME,
  KF_MSG_OK,
  KF_MSG_ERR,
  KF_MSG_PEER,
  KF_MSG_EV_KEY,
  KF_MSG_EV_LISTEN,
  KF_MSG_EV_CONNECT,
  KF_MSG_EV_RESULT,
  KF_MSG_EV_CANCELLED,
  KF_MSG_EV_SHUTDOWN,
  KF_MSG_EV_WAITING,
  KF_MSG_EV_UNWAITING,
} KfMsgType;

typedef enum
{
  KF_ROLE_SENDER,
  KF_ROLE_RECEIVER,
} KfRole;

typedef enum
{
  KF_VERDICT_OK,
  KF_VERDICT_MISMATCH,
  KF_VERDICT_DIGEST_MISMATCH,
} KfVerdict;

typedef enum
{
  KF_CANCEL_PEER,
  KF_CANCEL_TIMEOUT,
  KF_CANCEL_BAD_CONFIRM,
  KF_CANCEL_PEER_LEFT,
} KfCancelReason;

/* One line of the protocol, parsed.  Which fields mean something depends on
 * @type (see its row in kf-protocol-verbs.c and docs/PROTOCOL.md); the others
 * are zero.  Always allocated in libgcrypt secure memory because `auth` and
 * `ev key` carry secrets; kf_protocol_message_free() wipes it.
 *
 * - version: GREETING, HELLO.  auth_required: GREETING.
 * - public_key: HELLO (the client's identity), PEER, EV_WAITING, EV_KEY
 *   (the peer's), BLOCK.  signature: HELLO.  challenge: GREETING too.
 * - id: WELCOME (your client id), PEER, EV_WAITING, EV_UNWAITING, CONN and
 *   EV_KEY (the peer's id); SEND and WATCH: list the peers after this id
 *   (0: from the first).
 * - name: HELLO, WELCOME, PEER, EV_WAITING, EV_KEY (the peer's name).
 * - text: AUTH (the passphrase), ERR, CANCEL, EV_CANCELLED, EV_SHUTDOWN;
 *   %NULL when the optional text is absent.
 * - session_id: OK after CONN, EV_KEY, EV_LISTEN, EV_CONNECT, EV_RESULT,
 *   EV_CANCELLED.
 * - reply_to: OK (the verb it answers).  error_code: ERR.
 * - count, more: OK after SEND and WATCH (more: further peers wait after
 *   the last one listed; ask again from its id).
 * - mode: CONN, EV_KEY.  role: EV_KEY.
 * - keys (key, iv, auth_key): EV_KEY; challenge, confirm_iv: EV_KEY.
 * - confirm, confirm_len: CONFIRM.  A parsed confirmation longer than
 *   KF_PROTOCOL_CONFIRM_MAX keeps its length in confirm_len and no bytes
 *   (confirm is zero): it can only be wrong.
 * - port: PORT, EV_CONNECT.  address: EV_CONNECT.
 * - blocks, digest ("" when not known): REPORT.
 * - verdict, sender_blocks, receiver_blocks: EV_RESULT.
 * - cancel_reason: EV_CANCELLED. */
typedef struct
{
  KfMsgType        type;
  guint            version;
  gboolean         auth_required;
  guint64          id;
  char            *name;
  char            *text;
  char             session_id[KF_SESSION_ID_MAX + 1];
  KfMsgType        reply_to;
  KfProtocolError  error_code;
  guint            count;
  gboolean         more;
  KfCipherMode     mode;
  KfRole           role;
  guint8           key[KF_CIPHER_KEY_SIZE];
  guint8           iv[KF_CIPHER_IV_SIZE];
  guint8           auth_key[KF_SESSION_AUTH_KEY_SIZE];
  guint8           challenge[KF_PROTOCOL_CHALLENGE_SIZE];
  guint8           public_key[KF_PROTOCOL_PUBLIC_KEY_SIZE];
  guint8           signature[KF_PROTOCOL_SIGNATURE_SIZE];
  guint8           confirm_iv[KF_CIPHER_IV_SIZE];
  guint8           confirm[KF_PROTOCOL_CONFIRM_MAX];
  gsize            confirm_len;
  guint16          port;
  char            *address;
  guint64          blocks;
  char             digest[KF_PROTOCOL_DIGEST_HEX_LEN + 1];
  KfVerdict        verdict;
  guint64          sender_blocks;
  guint64          receiver_blocks;
  KfCancelReason   cancel_reason;
} KfProtocolMessage;

GQuark             kf_protocol_error_quark          (void);

const char        *kf_protocol_error_to_code        (KfProtocolError     error);
KfProtocolError    kf_protocol_error_from_code      (const char         *code);
gboolean           kf_protocol_error_is_fatal       (KfProtocolError     error);

const char        *kf_protocol_msg_type_to_verb     (KfMsgType           type);
const char        *kf_protocol_role_to_string       (KfRole              role);
const char        *kf_protocol_verdict_to_string    (KfVerdict           verdict);
const char        *kf_protocol_cancel_reason_to_string (KfCancelReason   reason);

char              *kf_protocol_escape               (const char         *text);
char              *kf_protocol_unescape             (const char         *word,
                                                     GError            **error);
gboolean           kf_protocol_check_line_bytes     (const char         *line,
                                                     gsize               len,
                                                     GError            **error);
gboolean           kf_protocol_validate_line        (const char         *line,
                                                     gsize               len,
                                                     GError            **error);
char             **kf_protocol_split_words          (const char         *line,
                                                     GError            **error);
gboolean           kf_protocol_parse_uint           (const char         *word,
                                                     guint64             max,
                                                     guint64            *out);
gboolean           kf_protocol_validate_name        (const char         *name,
                                                     GError            **error);
gboolean           kf_protocol_is_session_id        (const char         *word);

KfProtocolMessage *kf_protocol_message_new          (KfMsgType           type);
void               kf_protocol_message_free         (KfProtocolMessage  *msg);
gboolean           kf_protocol_message_set_name     (KfProtocolMessage  *msg,
                                                     const char         *name);
gboolean           kf_protocol_message_set_text     (KfProtocolMessage  *msg,
                                                     const char         *text);
gboolean           kf_protocol_message_set_address  (KfProtocolMessage  *msg,
                                                     const char         *address);
KfProtocolMessage *kf_protocol_message_new_ok       (KfMsgType           reply_to);
KfProtocolMessage *kf_protocol_message_new_err      (KfProtocolError     code,
                                                     const char         *text);

KfProtocolMessage *kf_protocol_parse_client_line    (const char         *line,
                                                     GError            **error);
KfProtocolMessage *kf_protocol_parse_server_line    (const char         *line,
                                                     GError            **error);
GBytes            *kf_protocol_message_to_bytes     (const KfProtocolMessage *msg,
                                                     GError            **error);
char              *kf_protocol_message_format       (const KfProtocolMessage *msg,
                                                     GError            **error);
GError            *kf_protocol_message_to_error     (const KfProtocolMessage *msg);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfProtocolMessage, kf_protocol_message_free)

G_END_DECLS
