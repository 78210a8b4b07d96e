/* test-protocol.c: every key-manager line parsed, formatted and refused
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kf-gcrypt.h"
#include "kf-protocol.h"
#include "kf-protocol-private.h"

/* Formats @msg, checks the line is @expected, parses it back with the
 * parser of its direction and checks the line formats the same again. */
static KfProtocolMessage *
round_trip (const KfProtocolMessage *msg,
            const char              *expected,
            gboolean                 from_client)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  g_autofree char *again = NULL;
  g_autoptr(GBytes) bytes = NULL;
  KfProtocolMessage *parsed;
  gsize len;

  line = kf_protocol_message_format (msg, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, expected);

  bytes = kf_protocol_message_to_bytes (msg, &error);
  g_assert_no_error (error);
  len = g_bytes_get_size (bytes);
  g_assert_cmpuint (len, ==, strlen (expected) + 1);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), len - 1, expected, len - 1);
  g_assert_cmpint (((const char *) g_bytes_get_data (bytes, NULL))[len - 1], ==, '\n');

  parsed = from_client ? kf_protocol_parse_client_line (line, &error)
                       : kf_protocol_parse_server_line (line, &error);
  g_assert_no_error (error);
  g_assert_nonnull (parsed);
  g_assert_cmpint (parsed->type, ==, msg->type);
  again = kf_protocol_message_format (parsed, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, expected);

  return parsed;
}

#define KEY_AA "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SIG_5B "5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b" \
               "5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b"
#define CHALLENGE_07 "0707070707070707070707070707070707070707070707070707070707070707"

static void
test_client_lines (void)
{
  g_autoptr(KfProtocolMessage) msg = NULL;
  g_autoptr(KfProtocolMessage) p = NULL;
  const KfMsgType simple[] = {
    KF_MSG_WAIT, KF_MSG_SEND, KF_MSG_PING, KF_MSG_END, KF_MSG_WATCH, KF_MSG_UNWATCH,
  };
  const char *words[] = { "wait", "send", "ping", "end", "watch", "unwatch" };

  for (guint i = 0; i < G_N_ELEMENTS (simple); i++)
    {
      g_autoptr(KfProtocolMessage) m = kf_protocol_message_new (simple[i]);
      g_autoptr(KfProtocolMessage) back = round_trip (m, words[i], TRUE);
    }

  msg = kf_protocol_message_new (KF_MSG_HELLO);
  msg->version = 2;
  kf_protocol_message_set_name (msg, "Ana María");
  memset (msg->public_key, 0xaa, sizeof msg->public_key);
  memset (msg->signature, 0x5b, sizeof msg->signature);
  p = round_trip (msg, "hello 2 Ana%20Mar%C3%ADa " KEY_AA " " SIG_5B, TRUE);
  g_assert_cmpuint (p->version, ==, 2);
  g_assert_cmpstr (p->name, ==, "Ana María");
  g_assert_cmpmem (p->public_key, 32, msg->public_key, 32);
  g_assert_cmpmem (p->signature, 64, msg->signature, 64);
  g_clear_pointer (&msg, kf_protocol_message_free);
  g_clear_pointer (&p, kf_protocol_message_free);

  msg = kf_protocol_message_new (KF_MSG_BLOCK);
  memset (msg->public_key, 0xaa, sizeof msg->public_key);
  p = round_trip (msg, "block " KEY_AA, TRUE);
  g_assert_cmpmem (p->public_key, 32, msg->public_key, 32);
  g_clear_pointer (&msg, kf_protocol_message_free);
  g_clear_pointer (&p, kf_protocol_message_free);

  msg = kf_protocol_message_new (KF_MSG_AUTH);
  kf_protocol_message_set_text (msg, "correct horse 100%");
  p = round_trip (msg, "auth correct%20horse%20100%25", TRUE);
  g_assert_cmpstr (p->text, ==, "correct horse 100%");
  g_clear_pointer (&msg, kf_protocol_message_free);
  g_clear_pointer (&p, kf_protocol_message_free);

  msg = kf_protocol_message_new (KF_MSG_CONN);
  msg->id = 42;
  msg->mode = KF_CIPHER_MODE_CFB;
  p = round_trip (msg, "conn 42 cfb", TRUE);
  g_assert_cmpuint (p->id, ==, 42);
  g_assert_cmpint (p->mode, ==, KF_CIPHER_MODE_CFB);
  g_clear_pointer (&msg, kf_protocol_message_free);
  g_clear_pointer (&p, kf_protocol_message_free);

  msg = kf_protocol_message_new (KF_MSG_CONFIRM);
  msg->confirm_len = 48;
  memset (msg->confirm, 0xab, 48);
  {
    g_autofree char *hex = g_strnfill (96, 'a');
    g_autofree char *expected = NULL;

    for (int i = 1; i < 96; i += 2)
      hex[i] = 'b';
    expected = g_strconcat ("confirm ", hex, NULL);
    p = round_trip (msg, expected, TRUE);
  }
  g_assert_cmpuint (p->confirm_len, ==, 48);
  g_assert_cmpmem (p->confirm, 48, msg->confirm, 48);
  g_clear_pointer (&msg, kf_protocol_message_free);
  g_clear_pointer (&p, kf_protocol_message_free);

  msg = kf_protocol_message_new (KF_MSG_PORT);
  msg->port = 65535;
  p = round_trip (msg, "port 65535", TRUE);
  g_assert_cmpuint (p->port, ==, 65535);
  g_clear_pointer (&msg, kf_protocol_message_free);
  g_clear_pointer (&p, kf_protocol_message_free);

  msg = kf_protocol_message_new (KF_MSG_REPORT);
  msg->blocks = 18446744073709551615u;
  p = round_trip (msg, "report 18446744073709551615 -", TRUE);
  g_assert_cmpuint (p->blocks, ==, G_MAXUINT64);
  g_assert_cmpstr (p->digest, ==, "");
  g_strlcpy (msg->digest, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
             sizeof msg->digest);
  msg->blocks = 0;
  g_clear_pointer (&p, kf_protocol_message_free);
  p = round_trip (msg, "report 0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", TRUE);
  g_assert_cmpstr (p->digest, ==, msg->digest);
  g_clear_pointer (&msg, kf_protocol_message_free);
  g_clear_pointer (&p, kf_protocol_message_free);

  msg = kf_protocol_message_new (KF_MSG_SEND);
  p = round_trip (msg, "send", TRUE);
  g_assert_cmpuint (p->id, ==, 0);
  g_clear_pointer (&p, kf_protocol_message_free);
  msg->id = 4711;
  p = round_trip (msg, "send 4711", TRUE);
  g_assert_cmpuint (p->id, ==, 4711);
  g_clear_pointer (&p, kf_protocol_message_free);
  msg->type = KF_MSG_WATCH;
  p = round_trip (msg, "watch 4711", TRUE);
  g_assert_cmpuint (p->id, ==, 4711);
  g_clear_pointer (&msg, kf_protocol_message_free);
  g_clear_pointer (&p, kf_protocol_message_free);

  msg = kf_protocol_message_new (KF_MSG_CANCEL);
  p = round_trip (msg, "cancel", TRUE);
  g_assert_null (p->text);
  kf_protocol_message_set_text (msg, "declined by user");
  g_clear_pointer (&p, kf_protocol_message_free);
  p = round_trip (msg, "cancel declined%20by%20user", TRUE);
  g_assert_cmpstr (p->text, ==, "declined by user");
}

static void
test_server_lines (void)
{
  g_autoptr(KfProtocolMessage) msg = NULL;
  g_autoptr(KfProtocolMessage) p = NULL;

  msg = kf_protocol_message_new (KF_MSG_GREETING);
  msg->version = 2;
  msg->auth_required = TRUE;
  memset (msg->challenge, 0x07, sizeof msg->challenge);
  p = round_trip (msg, "keyferry 2 passphrase " CHALLENGE_07, FALSE);
  g_assert_true (p->auth_required);
  g_assert_cmpmem (p->challenge, 32, msg->challenge, 32);
  g_clear_pointer (&msg, kf_protocol_message_free);
  g_clear_pointer (&p, kf_protocol_message_free);

  msg = kf_protocol_message_new (KF_MSG_WELCOME);
  msg->id = 7;
  kf_protocol_message_set_name (msg, "bob");
  p = round_trip (msg, "welcome 7 bob", FALSE);
  g_assert_cmpuint (p->id, ==, 7);
  msg->type = KF_MSG_PEER;
  memset (msg->public_key, 0xaa, sizeof msg->public_key);
  g_clear_pointer (&p, kf_protocol_message_free);
  p = round_trip (msg, "peer 7 bob " KEY_AA, FALSE);
  g_assert_cmpmem (p->public_key, 32, msg->public_key, 32);
  msg->type = KF_MSG_EV_WAITING;
  g_clear_pointer (&p, kf_protocol_message_free);
  p = round_trip (msg, "ev waiting 7 bob " KEY_AA, FALSE);
  g_assert_cmpstr (p->name, ==, "bob");
  g_assert_cmpmem (p->public_key, 32, msg->public_key, 32);
  msg->type = KF_MSG_EV_UNWAITING;
  g_clear_pointer (&p, kf_protocol_message_free);
  p = round_trip (msg, "ev unwaiting 7", FALSE);
  g_clear_pointer (&msg, kf_protocol_message_free);
  g_clear_pointer (&p, kf_protocol_message_free);

  msg = kf_protocol_message_new_ok (KF_MSG_CONN);
  g_strlcpy (msg->session_id, "0123456789abcdef", sizeof msg->session_id);
  p = round_trip (msg, "ok conn 0123456789abcdef", FALSE);
  g_assert_cmpint (p->reply_to, ==, KF_MSG_CONN);
  g_assert_cmpstr (p->session_id, ==, "0123456789abcdef");
  g_clear_pointer (&p, kf_protocol_message_free);
  msg->reply_to = KF_MSG_SEND;
  msg->count = 3;
  p = round_trip (msg, "ok send 3", FALSE);
  g_assert_cmpuint (p->count, ==, 3);
  g_clear_pointer (&p, kf_protocol_message_free);
  msg->reply_to = KF_MSG_WATCH;
  msg->count = 0;
  p = round_trip (msg, "ok watch 0", FALSE);
  g_assert_false (p->more);
  g_clear_pointer (&p, kf_protocol_message_free);
  msg->count = 100;
  msg->more = TRUE;
  p = round_trip (msg, "ok watch 100 more", FALSE);
  g_assert_true (p->more);
  g_clear_pointer (&p, kf_protocol_message_free);
  msg->more = FALSE;
  msg->reply_to = KF_MSG_REPORT;
  p = round_trip (msg, "ok report", FALSE);
  g_assert_cmpint (p->reply_to, ==, KF_MSG_REPORT);
  g_clear_pointer (&msg, kf_protocol_message_free);
  g_clear_pointer (&p, kf_protocol_message_free);

  msg = kf_protocol_message_new_err (KF_PROTOCOL_ERROR_NO_SUCH_PEER, "No client 9 is waiting");
  p = round_trip (msg, "err no-such-peer No%20client%209%20is%20waiting", FALSE);
  g_assert_cmpint (p->error_code, ==, KF_PROTOCOL_ERROR_NO_SUCH_PEER);
  {
    g_autoptr(GError) e = kf_protocol_message_to_error (p);

    g_assert_error (e, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_NO_SUCH_PEER);
    g_assert_cmpstr (e->message, ==, "No client 9 is waiting");
  }
}

static void
test_event_lines (void)
{
  g_autoptr(KfProtocolMessage) msg = kf_protocol_message_new (KF_MSG_EV_KEY);
  g_autoptr(KfProtocolMessage) p = NULL;
  g_autofree char *expected = NULL;

  g_strlcpy (msg->session_id, "5e55", sizeof msg->session_id);
  msg->role = KF_ROLE_RECEIVER;
  msg->id = 3;
  kf_protocol_message_set_name (msg, "alice");
  memset (msg->public_key, 0xaa, sizeof msg->public_key);
  msg->mode = KF_CIPHER_MODE_CBC;
  memset (msg->key, 0x11, sizeof msg->key);
  memset (msg->iv, 0x22, sizeof msg->iv);
  memset (msg->auth_key, 0x33, sizeof msg->auth_key);
  memset (msg->challenge, 0x44, sizeof msg->challenge);
  memset (msg->confirm_iv, 0x55, sizeof msg->confirm_iv);
  expected = g_strdup_printf ("ev key 5e55 receiver 3 alice " KEY_AA " cbc %s %s %s %s %s",
                              "1111111111111111111111111111111111111111111111111111111111111111",
                              "22222222222222222222222222222222",
                              "3333333333333333333333333333333333333333333333333333333333333333",
                              "4444444444444444444444444444444444444444444444444444444444444444",
                              "55555555555555555555555555555555");
  p = round_trip (msg, expected, FALSE);
  g_assert_cmpint (p->role, ==, KF_ROLE_RECEIVER);
  g_assert_cmpmem (p->key, 32, msg->key, 32);
  g_assert_cmpmem (p->public_key, 32, msg->public_key, 32);
  g_assert_cmpmem (p->confirm_iv, 16, msg->confirm_iv, 16);
  g_clear_pointer (&p, kf_protocol_message_free);
  g_clear_pointer (&msg, kf_protocol_message_free);

  msg = kf_protocol_message_new (KF_MSG_EV_LISTEN);
  g_strlcpy (msg->session_id, "5e55", sizeof msg->session_id);
  p = round_trip (msg, "ev listen 5e55", FALSE);
  g_clear_pointer (&p, kf_protocol_message_free);

  msg->type = KF_MSG_EV_CONNECT;
  kf_protocol_message_set_address (msg, "fe80::1");
  msg->port = 40000;
  p = round_trip (msg, "ev connect 5e55 fe80::1 40000", FALSE);
  g_assert_cmpstr (p->address, ==, "fe80::1");
  g_clear_pointer (&p, kf_protocol_message_free);

  msg->type = KF_MSG_EV_RESULT;
  msg->verdict = KF_VERDICT_MISMATCH;
  msg->sender_blocks = 10;
  msg->receiver_blocks = 9;
  p = round_trip (msg, "ev result 5e55 mismatch 10 9", FALSE);
  g_assert_cmpint (p->verdict, ==, KF_VERDICT_MISMATCH);
  g_assert_cmpuint (p->receiver_blocks, ==, 9);
  g_clear_pointer (&p, kf_protocol_message_free);
  msg->verdict = KF_VERDICT_DIGEST_MISMATCH;
  p = round_trip (msg, "ev result 5e55 digest-mismatch 10 9", FALSE);
  g_clear_pointer (&p, kf_protocol_message_free);

  msg->type = KF_MSG_EV_CANCELLED;
  msg->cancel_reason = KF_CANCEL_PEER_LEFT;
  kf_protocol_message_set_text (msg, "bob disconnected");
  p = round_trip (msg, "ev cancelled 5e55 peer-left bob%20disconnected", FALSE);
  g_assert_cmpint (p->cancel_reason, ==, KF_CANCEL_PEER_LEFT);
  g_clear_pointer (&p, kf_protocol_message_free);

  msg->type = KF_MSG_EV_SHUTDOWN;
  p = round_trip (msg, "ev shutdown bob%20disconnected", FALSE);
}

/* A message of @type with every field set to a value its kind accepts and
 * numbers that are not zero, so that optional words are present; @last
 * picks the last word of every enumeration rather than the first. */
static KfProtocolMessage *
representative_message (KfMsgType type,
                        KfMsgType reply_to,
                        gboolean  last)
{
  KfProtocolMessage *msg = kf_protocol_message_new (type);

  msg->version = 3;
  msg->auth_required = last;
  msg->id = G_MAXUINT64;
  kf_protocol_message_set_name (msg, "Zoë’s laptop");
  kf_protocol_message_set_text (msg, "a reason: 100% sure");
  g_strlcpy (msg->session_id, "0123456789abcdef", sizeof msg->session_id);
  msg->reply_to = reply_to;
  msg->error_code = KF_PROTOCOL_ERROR_FULL;
  msg->count = KF_PROTOCOL_MAX_PEERS;
  msg->more = TRUE;
  msg->mode = last ? KF_CIPHER_MODE_CFB : KF_CIPHER_MODE_CBC;
  msg->role = last ? KF_ROLE_RECEIVER : KF_ROLE_SENDER;
  memset (msg->key, 0x11, sizeof msg->key);
  memset (msg->iv, 0x22, sizeof msg->iv);
  memset (msg->auth_key, 0x33, sizeof msg->auth_key);
  memset (msg->challenge, 0x44, sizeof msg->challenge);
  memset (msg->confirm_iv, 0x55, sizeof msg->confirm_iv);
  memset (msg->confirm, 0x66, KF_PROTOCOL_CONFIRM_MAX);
  msg->confirm_len = KF_PROTOCOL_CONFIRM_MAX;
  msg->port = 65535;
  kf_protocol_message_set_address (msg, "fe80::1");
  msg->blocks = 12;
  g_strlcpy (msg->digest, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
             sizeof msg->digest);
  msg->verdict = last ? KF_VERDICT_DIGEST_MISMATCH : KF_VERDICT_OK;
  msg->sender_blocks = 10;
  msg->receiver_blocks = 9;
  msg->cancel_reason = last ? KF_CANCEL_PEER_LEFT : KF_CANCEL_PEER;
  return msg;
}

/* Checks that @parsed holds what @arg read, the same as @sent. */
static void
assert_arg_equal (const KfProtocolMessage *sent,
                  const KfProtocolMessage *parsed,
                  const KfArgSpec         *arg)
{
  switch (arg->kind)
    {
    case KF_ARG_UINT:
    case KF_ARG_WORD:
    case KF_ARG_HEX:
      g_assert_cmpmem ((const guint8 *) parsed + arg->offset, arg->size,
                       (const guint8 *) sent + arg->offset, arg->size);
      break;
    case KF_ARG_NAME:
      g_assert_cmpstr (parsed->name, ==, sent->name);
      break;
    case KF_ARG_SESSION:
      g_assert_cmpstr (parsed->session_id, ==, sent->session_id);
      break;
    case KF_ARG_ADDRESS:
      g_assert_cmpstr (parsed->address, ==, sent->address);
      break;
    case KF_ARG_TEXT:
    case KF_ARG_REASON:
    case KF_ARG_PASSPHRASE:
      g_assert_cmpstr (parsed->text, ==, sent->text);
      break;
    case KF_ARG_CONFIRM:
      g_assert_cmpmem (parsed->confirm, parsed->confirm_len, sent->confirm, sent->confirm_len);
      break;
    case KF_ARG_DIGEST:
      g_assert_cmpstr (parsed->digest, ==, sent->digest);
      break;
    case KF_ARG_ERROR_CODE:
      g_assert_cmpint (parsed->error_code, ==, sent->error_code);
      break;
    case KF_ARG_REPLY:
      g_assert_cmpint (parsed->reply_to, ==, sent->reply_to);
      break;
    case KF_ARG_MORE:
      g_assert_cmpint (parsed->more, ==, sent->more);
      break;
    case KF_ARG_NONE:
    default:
      g_assert_not_reached ();
    }
}

/* Formats a representative message of @spec's row, checks the line has
 * one word per argument, parses it back and compares every argument. */
static void
assert_row_round_trips (const KfVerbSpec *spec,
                        const KfVerbSpec *reply,
                        gboolean          last)
{
  g_autoptr(KfProtocolMessage) msg = representative_message (spec->type,
                                                             reply ? reply->type : KF_MSG_INVALID,
                                                             last);
  g_autoptr(KfProtocolMessage) parsed = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = kf_protocol_message_format (msg, &error);
  g_auto(GStrv) words = NULL;
  guint n_args, n_reply = 0, required;

  g_assert_no_error (error);
  g_test_message ("%s", line);
  n_args = _kf_protocol_args_count (spec->args, KF_VERB_MAX_ARGS, &required);
  if (reply != NULL)
    n_reply = _kf_protocol_args_count (reply->reply, KF_VERB_MAX_REPLY, &required);
  words = g_strsplit (line, " ", -1);
  g_assert_true (g_str_has_prefix (line, spec->verb));
  g_assert_cmpuint (g_strv_length (words), ==,
                    (spec->direction == KF_VERB_EVENT ? 2 : 1)
                    + (reply != NULL ? 1 + n_reply : n_args));

  parsed = spec->direction == KF_VERB_CLIENT ? kf_protocol_parse_client_line (line, &error)
                                             : kf_protocol_parse_server_line (line, &error);
  g_assert_no_error (error);
  g_assert_cmpint (parsed->type, ==, spec->type);
  for (guint i = 0; i < KF_VERB_MAX_ARGS && spec->args[i].kind != KF_ARG_NONE; i++)
    assert_arg_equal (msg, parsed, &spec->args[i]);
  for (guint i = 0; reply != NULL && i < KF_VERB_MAX_REPLY && reply->reply[i].kind != KF_ARG_NONE; i++)
    assert_arg_equal (msg, parsed, &reply->reply[i]);
}

/* Every row of the verb table round-trips, `ok` with every client verb;
 * every message type has exactly one row, found by its type and its word. */
static void
test_every_verb_round_trips (void)
{
  gsize n_verbs;
  const KfVerbSpec *verbs = _kf_protocol_verbs (&n_verbs);

  for (KfMsgType type = KF_MSG_INVALID + 1; type <= KF_MSG_EV_UNWAITING; type++)
    {
      const KfVerbSpec *spec = _kf_protocol_verb_by_type (type);
      guint rows = 0;

      for (gsize i = 0; i < n_verbs; i++)
        rows += verbs[i].type == type;
      g_assert_cmpuint (rows, ==, 1);
      g_assert_nonnull (spec);
      g_assert_cmpint (spec->type, ==, type);
      g_assert_true (_kf_protocol_verb_by_word (spec->direction,
                                                _kf_protocol_verb_word (spec)) == spec);
      g_assert_cmpstr (kf_protocol_msg_type_to_verb (type), ==, spec->verb);
    }
  g_assert_null (_kf_protocol_verb_by_type (KF_MSG_INVALID));
  g_assert_null (_kf_protocol_verb_by_type (KF_MSG_EV_UNWAITING + 1));

  for (gsize i = 0; i < n_verbs * 2; i++)
    {
      const KfVerbSpec *spec = &verbs[i / 2];

      if (spec->type != KF_MSG_OK)
        {
          assert_row_round_trips (spec, NULL, i % 2);
          continue;
        }
      for (gsize r = 0; r < n_verbs; r++)
        if (verbs[r].direction == KF_VERB_CLIENT)
          assert_row_round_trips (spec, &verbs[r], i % 2);
    }
}

/* Lines that carry a passphrase or key material are handed out in secure
 * memory; the rows say which, and these three are the ones. */
static void
test_secret_verbs (void)
{
  gsize n_verbs;
  const KfVerbSpec *verbs = _kf_protocol_verbs (&n_verbs);

  for (gsize i = 0; i < n_verbs; i++)
    g_assert_cmpint (verbs[i].secret, ==,
                     verbs[i].type == KF_MSG_AUTH || verbs[i].type == KF_MSG_CONFIRM
                     || verbs[i].type == KF_MSG_EV_KEY);
}

/* Each line must be refused with the given code by the given parser. */
static void
test_refused (void)
{
  const struct { const char *line; gboolean client; KfProtocolError code; } cases[] = {
    { "", TRUE, KF_PROTOCOL_ERROR_UNKNOWN_COMMAND },
    { "fly", TRUE, KF_PROTOCOL_ERROR_UNKNOWN_COMMAND },
    { "WAIT", TRUE, KF_PROTOCOL_ERROR_UNKNOWN_COMMAND },
    { "welcome 1 bob", TRUE, KF_PROTOCOL_ERROR_UNKNOWN_COMMAND },
    { "wait now", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "wait ", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { " wait", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "conn  1 cbc", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "conn 1\tcbc", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "conn 1 ecb", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "conn 1 CBC", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "conn -1 cbc", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "conn 01 cbc", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "conn 18446744073709551616 cbc", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "conn bob cbc", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "conn 1", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "hello 2", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "hello 1 bob", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "hello 2 bob " KEY_AA, TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "hello 2 bob " SIG_5B " " KEY_AA, TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "hello 2 bob " KEY_AA " " SIG_5B " x", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "hello 2 bob " KEY_AA "a " SIG_5B, TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "hello x bob " KEY_AA " " SIG_5B, TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "hello 2 %0Abob " KEY_AA " " SIG_5B, TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "hello 2 bob%00 " KEY_AA " " SIG_5B, TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "hello 2 bob%zz " KEY_AA " " SIG_5B, TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "hello 2 bob%C3 " KEY_AA " " SIG_5B, TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "hello 2 12345678901234567890123456789012345678901234567890123456789012345 " KEY_AA " " SIG_5B, TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "block", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "block 7", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "block " KEY_AA " x", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "auth", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "port 0", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "port 65536", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "confirm abc", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "confirm zz", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "report 5", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "report 5 abc", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "report x -", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "bad\rline", TRUE, KF_PROTOCOL_ERROR_BAD_LINE },
    { "bad\nline", TRUE, KF_PROTOCOL_ERROR_BAD_LINE },
    { "bad \xc3\x28", TRUE, KF_PROTOCOL_ERROR_BAD_UTF8 },
    { "wait", FALSE, KF_PROTOCOL_ERROR_UNKNOWN_COMMAND },
    { "ev", FALSE, KF_PROTOCOL_ERROR_UNKNOWN_COMMAND },
    { "ev fly", FALSE, KF_PROTOCOL_ERROR_UNKNOWN_COMMAND },
    { "keyferry 1 magic", FALSE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "keyferry 2 none", FALSE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "keyferry 2 none 07", FALSE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "peer 7 bob", FALSE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "ev waiting 7 bob", FALSE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "ok fly", FALSE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "ok send", FALSE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "ok send 101", FALSE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "ok send 100 less", FALSE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "ok send 100 more more", FALSE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "send x", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "watch 1 2", TRUE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "ok wait 1", FALSE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "ok conn Bad_Id", FALSE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "ok conn", FALSE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "ok conn 012345678901234567890123456789012", FALSE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "ev key 5e55 sender 3 alice cbc 11 22 33 44 55", FALSE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "ev connect 5e55 example.org 1", FALSE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "ev result 5e55 maybe 1 1", FALSE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "ev cancelled 5e55 bored", FALSE, KF_PROTOCOL_ERROR_BAD_ARGS },
    { "ev unwaiting", FALSE, KF_PROTOCOL_ERROR_BAD_ARGS },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KfProtocolMessage) msg = NULL;
      g_autofree char *shown = g_strescape (cases[i].line, NULL);

      msg = cases[i].client ? kf_protocol_parse_client_line (cases[i].line, &error)
                            : kf_protocol_parse_server_line (cases[i].line, &error);
      g_test_message ("%s", shown);
      g_assert_null (msg);
      g_assert_error (error, KF_PROTOCOL_ERROR, (gint) cases[i].code);
    }
}

static void
test_error_codes (void)
{
  for (int e = KF_PROTOCOL_ERROR_BAD_LINE; e <= KF_PROTOCOL_ERROR_RATE_LIMITED; e++)
    {
      const char *code = kf_protocol_error_to_code (e);
      g_autofree char *line = g_strdup_printf ("err %s", code);
      g_autoptr(KfProtocolMessage) msg = kf_protocol_parse_server_line (line, NULL);

      g_assert_cmpint (kf_protocol_error_from_code (code), ==, e);
      g_assert_nonnull (msg);
      g_assert_cmpint (msg->error_code, ==, e);
      g_assert_null (msg->text);
    }
  g_assert_cmpstr (kf_protocol_error_to_code (KF_PROTOCOL_ERROR_LINE_TOO_LONG), ==, "bad-line");
  g_assert_cmpstr (kf_protocol_error_to_code (KF_PROTOCOL_ERROR_BAD_UTF8), ==, "bad-line");
  g_assert_cmpint (kf_protocol_error_from_code ("from-the-future"), ==,
                   KF_PROTOCOL_ERROR_UNKNOWN_CODE);
  g_assert_true (kf_protocol_error_is_fatal (KF_PROTOCOL_ERROR_AUTH_FAILED));
  g_assert_true (kf_protocol_error_is_fatal (KF_PROTOCOL_ERROR_FULL));
  g_assert_false (kf_protocol_error_is_fatal (KF_PROTOCOL_ERROR_NO_SUCH_PEER));
  g_assert_false (kf_protocol_error_is_fatal (KF_PROTOCOL_ERROR_BAD_STATE));
  g_assert_cmpstr (kf_protocol_error_to_code (KF_PROTOCOL_ERROR_NAME_OWNED), ==, "name-owned");
  g_assert_true (kf_protocol_error_is_fatal (KF_PROTOCOL_ERROR_BAD_IDENTITY));
  g_assert_true (kf_protocol_error_is_fatal (KF_PROTOCOL_ERROR_NOT_ENROLLED));
  g_assert_false (kf_protocol_error_is_fatal (KF_PROTOCOL_ERROR_NAME_OWNED));
  g_assert_false (kf_protocol_error_is_fatal (KF_PROTOCOL_ERROR_RATE_LIMITED));
}

static void
test_escape_round_trip (void)
{
  const char *texts[] = {
    "plain", "two words", "100% sure", "ñ ü 日本 🚀", "a+b=c&d?e#f/g", "tab\there",
    "new\nline", "~-._", "%%%", " ",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autofree char *escaped = kf_protocol_escape (texts[i]);
      g_autofree char *glib = g_uri_escape_string (texts[i], NULL, FALSE);
      g_autofree char *back = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_cmpstr (escaped, ==, glib);
      g_assert_null (strchr (escaped, ' '));
      back = kf_protocol_unescape (escaped, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (back, ==, texts[i]);
    }
}

static void
test_limits (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfProtocolMessage) msg = NULL;
  g_autoptr(KfProtocolMessage) p = NULL;
  g_autofree char *longest = g_strnfill (KF_PROTOCOL_MAX_LINE - 1, 'a');
  g_autofree char *too_long = g_strnfill (KF_PROTOCOL_MAX_LINE, 'a');
  g_autofree char *name64 = NULL;
  g_autofree char *name65 = NULL;
  g_autofree char *reason = g_strnfill (5000, 'x');
  g_autofree char *line = NULL;
  g_autofree char *emoji = NULL;
  g_autofree char *with_accent = NULL;
  GString *s = g_string_new (NULL);

  g_assert_true (kf_protocol_validate_line (longest, strlen (longest), NULL));
  g_assert_false (kf_protocol_validate_line (too_long, strlen (too_long), &error));
  g_assert_error (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_LINE_TOO_LONG);
  g_clear_error (&error);
  g_assert_null (kf_protocol_parse_client_line (too_long, &error));
  g_assert_error (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_LINE_TOO_LONG);
  g_clear_error (&error);

  /* 64 four-byte characters are a valid name; 65 are not. */
  for (int i = 0; i < 64; i++)
    g_string_append (s, "🚀");
  name64 = g_strdup (s->str);
  g_string_append (s, "🚀");
  name65 = g_string_free (s, FALSE);
  msg = kf_protocol_message_new (KF_MSG_HELLO);
  msg->version = 1;
  kf_protocol_message_set_name (msg, name64);
  line = kf_protocol_message_format (msg, &error);
  g_assert_no_error (error);
  p = kf_protocol_parse_client_line (line, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (p->name, ==, name64);
  kf_protocol_message_set_name (msg, name65);
  g_assert_null (kf_protocol_message_format (msg, &error));
  g_assert_error (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_BAD_ARGS);
  g_clear_error (&error);
  kf_protocol_message_set_name (msg, "");
  g_assert_null (kf_protocol_message_to_bytes (msg, &error));
  g_assert_error (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_BAD_ARGS);
  g_clear_error (&error);
  g_clear_pointer (&msg, kf_protocol_message_free);
  g_clear_pointer (&line, g_free);

  /* Long reasons are cut, at a character boundary, never refused. */
  msg = kf_protocol_message_new_err (KF_PROTOCOL_ERROR_INTERNAL, reason);
  line = kf_protocol_message_format (msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (line), ==, strlen ("err internal ") + KF_PROTOCOL_MAX_TEXT);
  g_clear_pointer (&line, g_free);
  emoji = g_strnfill (KF_PROTOCOL_MAX_TEXT - 1, 'y');
  with_accent = g_strconcat (emoji, "é", NULL);
  kf_protocol_message_set_text (msg, with_accent);
  line = kf_protocol_message_format (msg, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (strlen (line), ==, strlen ("err internal ") + KF_PROTOCOL_MAX_TEXT - 1);
  g_assert_true (g_str_has_suffix (line, "yyy"));
  g_clear_pointer (&msg, kf_protocol_message_free);
  g_clear_pointer (&line, g_free);

  /* A passphrase is never cut: too long is refused. */
  msg = kf_protocol_message_new (KF_MSG_AUTH);
  kf_protocol_message_set_text (msg, reason);
  g_assert_null (kf_protocol_message_format (msg, &error));
  g_assert_error (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_BAD_ARGS);
}

static void
test_split_words (void)
{
  g_auto(GStrv) words = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *many = NULL;

  words = kf_protocol_split_words ("conn 3 cbc", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (words), ==, 3);
  g_assert_cmpstr (words[2], ==, "cbc");

  many = g_strjoinv (" ", (char *[]) { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j",
                                        "k", "l", "m", "n", "o", NULL });
  g_assert_null (kf_protocol_split_words (many, &error));
  g_assert_error (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_BAD_ARGS);
}

/* Lines built from the vocabulary and random bytes: every parse either
 * fails with an error or gives a message that formats to a line which
 * parses back to the very same line. */
static void
test_random_lines (void)
{
  static const char * const words[] = {
    "auth", "hello", "wait", "cancel", "send", "conn", "ping", "end", "confirm", "port",
    "report", "watch", "unwatch", "block", "keyferry", "welcome", "ok", "err", "peer", "ev", "key",
    "listen", "connect", "result", "cancelled", "shutdown", "waiting", "unwaiting", "1", "0",
    "01", "65535", "cbc", "cfb", "-", "sender", "receiver", "none", "passphrase", "peer-left",
    "timeout", "mismatch", "127.0.0.1", "::1", "%41", "%zz", "é", "5e55",
    "00112233445566778899aabbccddeeff", KEY_AA, SIG_5B, "",
  };
  GRand *rand = g_rand_new_with_seed (0x6b66);

  for (guint i = 0; i < 20000; i++)
    {
      g_autoptr(GString) line = g_string_new (NULL);
      guint n = (guint) g_rand_int_range (rand, 1, 14);

      for (guint w = 0; w < n; w++)
        {
          if (w > 0)
            g_string_append_c (line, ' ');
          if (g_rand_int_range (rand, 0, 10) == 0)
            g_string_append_c (line, (char) g_rand_int_range (rand, 1, 256));
          else
            g_string_append (line, words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))]);
        }
      for (guint dir = 0; dir < 2; dir++)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(KfProtocolMessage) msg = dir ? kf_protocol_parse_server_line (line->str, &error)
                                                 : kf_protocol_parse_client_line (line->str, &error);
          g_autofree char *formatted = NULL;
          g_autofree char *again = NULL;
          g_autoptr(KfProtocolMessage) back = NULL;

          if (msg == NULL)
            {
              g_assert_nonnull (error);
              continue;
            }
          formatted = kf_protocol_message_format (msg, &error);
          g_assert_no_error (error);
          back = dir ? kf_protocol_parse_server_line (formatted, &error)
                     : kf_protocol_parse_client_line (formatted, &error);
          g_assert_no_error (error);
          again = kf_protocol_message_format (back, &error);
          g_assert_no_error (error);
          g_assert_cmpstr (again, ==, formatted);
        }
    }
  g_rand_free (rand);
}

int
main (int   argc,
      char *argv[])
{
  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/protocol/client-lines-round-trip", test_client_lines);
  g_test_add_func ("/protocol/server-lines-round-trip", test_server_lines);
  g_test_add_func ("/protocol/event-lines-round-trip", test_event_lines);
  g_test_add_func ("/protocol/every-verb-round-trips", test_every_verb_round_trips);
  g_test_add_func ("/protocol/secret-verbs", test_secret_verbs);
  g_test_add_func ("/protocol/refused-lines-get-their-code", test_refused);
  g_test_add_func ("/protocol/error-codes", test_error_codes);
  g_test_add_func ("/protocol/escaping-round-trips", test_escape_round_trip);
  g_test_add_func ("/protocol/limits", test_limits);
  g_test_add_func ("/protocol/split-words", test_split_words);
  g_test_add_func ("/protocol/random-lines-parse-or-fail", test_random_lines);

  return g_test_run ();
}
