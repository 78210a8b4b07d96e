/* test-server.c: the key manager in process, over real TLS on loopback
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every test drives a fresh in-process server with protocol-level clients
 * and, after whatever abuse it tried, checks that a normal pairing with a
 * verdict still works.
 */

#include "config.h"

#include <string.h>

#include "kf-gcrypt.h"
#include "kf-hex.h"
#include "kf-test-km-client.h"
#include "kf-test-server.h"

typedef struct
{
  KfTestServer *server;
  guint16       port;
  const char   *fp;
} Fixture;

typedef struct
{
  KfTestKmClient    *sender;
  KfTestKmClient    *receiver;
  KfProtocolMessage *skey;
  KfProtocolMessage *rkey;
  char               sid[KF_SESSION_ID_MAX + 1];
} Pair;

static void
fixture_start (Fixture              *f,
               const KfServerConfig *config,
               const char           *passphrase)
{
  f->server = kf_test_server_start (config, passphrase);
  f->port = kf_test_server_get_port (f->server);
  f->fp = kf_test_server_get_fingerprint (f->server);
}

static void
setup (Fixture       *f,
       gconstpointer  data)
{
  fixture_start (f, NULL, NULL);
}

static void
teardown (Fixture       *f,
          gconstpointer  data)
{
  g_clear_pointer (&f->server, kf_test_server_stop);
}

static KfTestKmClient *
join (Fixture    *f,
      const char *name)
{
  return kf_test_km_client_join (f->port, f->fp, name, NULL);
}

/* Pairs two new clients: the receiver waits, the sender connects in
 * @mode; both get their keys, which are checked against each other. */
static void
pair_start (Fixture    *f,
            Pair       *p,
            const char *mode)
{
  g_autoptr(KfProtocolMessage) ok = NULL;

  p->sender = join (f, "alice");
  p->receiver = join (f, "bob");
  kf_test_km_client_command (p->receiver, "wait", KF_MSG_WAIT);
  kf_test_km_client_sendf (p->sender, "conn %" G_GUINT64_FORMAT " %s",
                           kf_test_km_client_get_id (p->receiver), mode);
  ok = kf_test_km_client_expect (p->sender, KF_MSG_OK);
  g_assert_cmpint (ok->reply_to, ==, KF_MSG_CONN);
  g_strlcpy (p->sid, ok->session_id, sizeof p->sid);
  p->skey = kf_test_km_client_expect (p->sender, KF_MSG_EV_KEY);
  p->rkey = kf_test_km_client_expect (p->receiver, KF_MSG_EV_KEY);

  g_assert_cmpstr (p->skey->session_id, ==, p->sid);
  g_assert_cmpstr (p->rkey->session_id, ==, p->sid);
  g_assert_cmpint (p->skey->role, ==, KF_ROLE_SENDER);
  g_assert_cmpint (p->rkey->role, ==, KF_ROLE_RECEIVER);
  g_assert_cmpuint (p->skey->id, ==, kf_test_km_client_get_id (p->receiver));
  g_assert_cmpstr (p->skey->name, ==, "bob");
  g_assert_cmpstr (p->rkey->name, ==, "alice");
  g_assert_cmpstr (kf_cipher_mode_to_string (p->skey->mode), ==, mode);
  g_assert_cmpmem (p->skey->key, 32, p->rkey->key, 32);
  g_assert_cmpmem (p->skey->iv, 16, p->rkey->iv, 16);
  g_assert_cmpmem (p->skey->auth_key, 32, p->rkey->auth_key, 32);
  /* Never the same (key, IV) pair twice. */
  g_assert_true (memcmp (p->skey->confirm_iv, p->rkey->confirm_iv, 16) != 0);
  g_assert_true (memcmp (p->skey->confirm_iv, p->skey->iv, 16) != 0);
  g_assert_true (memcmp (p->rkey->confirm_iv, p->rkey->iv, 16) != 0);
}

static void
pair_confirm (Pair *p)
{
  g_autoptr(KfProtocolMessage) listen = NULL;

  kf_test_km_client_confirm (p->sender, p->skey);
  kf_test_km_client_expect_silence (p->receiver, 50);
  kf_test_km_client_confirm (p->receiver, p->rkey);
  listen = kf_test_km_client_expect (p->receiver, KF_MSG_EV_LISTEN);
  g_assert_cmpstr (listen->session_id, ==, p->sid);
}

static void
pair_port (Pair *p)
{
  g_autoptr(KfProtocolMessage) connect = NULL;

  kf_test_km_client_command (p->receiver, "port 40123", KF_MSG_PORT);
  connect = kf_test_km_client_expect (p->sender, KF_MSG_EV_CONNECT);
  g_assert_cmpstr (connect->session_id, ==, p->sid);
  g_assert_cmpstr (connect->address, ==, "127.0.0.1");
  g_assert_cmpuint (connect->port, ==, 40123);
}

static void
pair_clear (Pair *p)
{
  g_clear_pointer (&p->sender, kf_test_km_client_free);
  g_clear_pointer (&p->receiver, kf_test_km_client_free);
  g_clear_pointer (&p->skey, kf_protocol_message_free);
  g_clear_pointer (&p->rkey, kf_protocol_message_free);
}

/* Both report; both must get the same `ev result`. */
static void
pair_report (Pair       *p,
             const char *sender_report,
             const char *receiver_report,
             KfVerdict   verdict,
             guint64     sender_blocks,
             guint64     receiver_blocks)
{
  KfTestKmClient *peers[] = { p->sender, p->receiver };

  kf_test_km_client_command (p->sender, sender_report, KF_MSG_REPORT);
  kf_test_km_client_command (p->receiver, receiver_report, KF_MSG_REPORT);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(KfProtocolMessage) result = kf_test_km_client_expect (peers[i], KF_MSG_EV_RESULT);

      g_assert_cmpstr (result->session_id, ==, p->sid);
      g_assert_cmpint (result->verdict, ==, verdict);
      g_assert_cmpuint (result->sender_blocks, ==, sender_blocks);
      g_assert_cmpuint (result->receiver_blocks, ==, receiver_blocks);
    }
}

/* A whole transfer's worth of protocol, ending with a matching verdict. */
static void
normal_pairing (Fixture *f)
{
  Pair p = { 0 };

  pair_start (f, &p, "cbc");
  pair_confirm (&p);
  pair_port (&p);
  pair_report (&p, "report 7 -", "report 7 -", KF_VERDICT_OK, 7, 7);
  pair_clear (&p);
}

static void
test_pairing_match (Fixture       *f,
                    gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(KfProtocolMessage) peer = NULL;
  g_autoptr(KfProtocolMessage) ok = NULL;
  g_autofree char *audit = NULL;
  g_autofree char *key_hex = NULL;

  pair_start (f, &p, "cbc");
  pair_confirm (&p);
  pair_port (&p);
  pair_report (&p, "report 7 -", "report 7 -", KF_VERDICT_OK, 7, 7);

  /* Both are idle again and can go round once more (flow step 12). */
  kf_test_km_client_command (p.receiver, "wait", KF_MSG_WAIT);
  kf_test_km_client_sendf (p.sender, "send");
  peer = kf_test_km_client_expect (p.sender, KF_MSG_PEER);
  g_assert_cmpuint (peer->id, ==, kf_test_km_client_get_id (p.receiver));
  g_assert_cmpstr (peer->name, ==, "bob");
  ok = kf_test_km_client_expect (p.sender, KF_MSG_OK);
  g_assert_cmpuint (ok->count, ==, 1);

  /* One audit line with the counts and the verdict, and no key. */
  audit = kf_test_server_read_audit (f->server);
  key_hex = kf_hex_encode (p.skey->key, 32);
  g_assert_nonnull (strstr (audit, p.sid));
  g_assert_nonnull (strstr (audit, "mode=cbc sender_blocks=7 receiver_blocks=7 outcome=ok"));
  g_assert_nonnull (strstr (audit, "/alice"));
  g_assert_null (strstr (audit, key_hex));

  kf_test_km_client_command (p.sender, "end", KF_MSG_END);
  kf_test_km_client_expect_eof (p.sender);
  pair_clear (&p);
}

static void
test_pairing_mismatch (Fixture       *f,
                       gconstpointer  data)
{
  Pair p = { 0 };
  g_autofree char *audit = NULL;
  const char *d1 = "1111111111111111111111111111111111111111111111111111111111111111";
  const char *d2 = "2222222222222222222222222222222222222222222222222222222222222222";
  g_autofree char *r1 = g_strdup_printf ("report 3 %s", d1);
  g_autofree char *r2 = g_strdup_printf ("report 3 %s", d2);

  pair_start (f, &p, "cfb");
  pair_confirm (&p);
  pair_port (&p);
  pair_report (&p, "report 7 -", "report 6 -", KF_VERDICT_MISMATCH, 7, 6);
  audit = kf_test_server_read_audit (f->server);
  g_assert_nonnull (strstr (audit, "mode=cfb sender_blocks=7 receiver_blocks=6 outcome=mismatch"));
  pair_clear (&p);

  pair_start (f, &p, "cbc");
  pair_confirm (&p);
  pair_port (&p);
  pair_report (&p, r1, r2, KF_VERDICT_DIGEST_MISMATCH, 3, 3);
  pair_clear (&p);

  normal_pairing (f);
}

static void
test_racing_senders (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(KfTestKmClient) receiver = join (f, "bob");
  g_autoptr(KfTestKmClient) watcher = join (f, "carol");
  g_autoptr(KfTestKmClient) s1 = join (f, "alice");
  g_autoptr(KfTestKmClient) s2 = join (f, "dave");
  g_autoptr(KfProtocolMessage) waiting = NULL;
  g_autoptr(KfProtocolMessage) unwaiting = NULL;
  g_autoptr(KfProtocolMessage) rkey = NULL;
  KfTestKmClient *senders[] = { s1, s2 };
  guint64 id = kf_test_km_client_get_id (receiver);
  guint64 winner_id = 0;
  guint wins = 0;

  kf_test_km_client_command (watcher, "watch", KF_MSG_WATCH);
  kf_test_km_client_command (receiver, "wait", KF_MSG_WAIT);
  waiting = kf_test_km_client_expect (watcher, KF_MSG_EV_WAITING);
  g_assert_cmpuint (waiting->id, ==, id);
  g_assert_cmpstr (waiting->name, ==, "bob");

  /* Both requests are on the wire before either reply is read. */
  kf_test_km_client_sendf (s1, "conn %" G_GUINT64_FORMAT " cbc", id);
  kf_test_km_client_sendf (s2, "conn %" G_GUINT64_FORMAT " cfb", id);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(KfProtocolMessage) reply = kf_test_km_client_read_message (senders[i]);

      if (reply->type == KF_MSG_OK)
        {
          g_autoptr(KfProtocolMessage) key = kf_test_km_client_expect (senders[i], KF_MSG_EV_KEY);

          g_assert_cmpint (reply->reply_to, ==, KF_MSG_CONN);
          g_assert_cmpuint (key->id, ==, id);
          winner_id = kf_test_km_client_get_id (senders[i]);
          wins++;
        }
      else
        {
          g_assert_cmpint (reply->type, ==, KF_MSG_ERR);
          g_assert_cmpint (reply->error_code, ==, KF_PROTOCOL_ERROR_NO_SUCH_PEER);
        }
    }
  g_assert_cmpuint (wins, ==, 1);
  rkey = kf_test_km_client_expect (receiver, KF_MSG_EV_KEY);
  g_assert_cmpuint (rkey->id, ==, winner_id);
  /* The receiver is off the list the moment it is chosen. */
  unwaiting = kf_test_km_client_expect (watcher, KF_MSG_EV_UNWAITING);
  g_assert_cmpuint (unwaiting->id, ==, id);

  normal_pairing (f);
}

/* Brings a pair to @stage: 0 keys sent, 1 the sender confirmed, 2 both
 * confirmed (ev listen), 3 port given (ev connect), 4 one report in. */
static void
pair_to_stage (Fixture *f,
               Pair    *p,
               guint    stage,
               gboolean vanishing_is_sender)
{
  g_autoptr(KfProtocolMessage) listen = NULL;

  pair_start (f, p, "cbc");
  if (stage >= 1)
    kf_test_km_client_confirm (p->sender, p->skey);
  if (stage >= 2)
    {
      kf_test_km_client_confirm (p->receiver, p->rkey);
      listen = kf_test_km_client_expect (p->receiver, KF_MSG_EV_LISTEN);
    }
  if (stage >= 3)
    {
      g_autoptr(KfProtocolMessage) connect = NULL;

      kf_test_km_client_command (p->receiver, "port 40123", KF_MSG_PORT);
      connect = kf_test_km_client_expect (p->sender, KF_MSG_EV_CONNECT);
    }
  if (stage >= 4)
    kf_test_km_client_command (vanishing_is_sender ? p->receiver : p->sender, "report 1 -",
                               KF_MSG_REPORT);
}

/* Asserts @client got `ev cancelled <sid> <reason>`. */
static void
expect_cancelled (KfTestKmClient *client,
                  const char     *sid,
                  KfCancelReason  reason)
{
  g_autoptr(KfProtocolMessage) ev = kf_test_km_client_expect (client, KF_MSG_EV_CANCELLED);

  g_assert_cmpstr (ev->session_id, ==, sid);
  g_assert_cmpint (ev->cancel_reason, ==, reason);
}

static void
test_peer_vanishes (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(KfTestKmClient) sender = join (f, "alice");
  g_autoptr(KfTestKmClient) receiver = join (f, "bob");
  g_autofree char *audit = NULL;

  /* A waiting receiver leaves: it is no longer there to choose. */
  kf_test_km_client_command (receiver, "wait", KF_MSG_WAIT);
  g_clear_pointer (&receiver, kf_test_km_client_free);
  kf_test_km_client_expect_silence (sender, 100);
  kf_test_km_client_sendf (sender, "conn 2 cbc");
  kf_test_km_client_expect_err (sender, KF_PROTOCOL_ERROR_NO_SUCH_PEER);

  for (guint stage = 0; stage <= 4; stage++)
    for (guint who = 0; who < 2; who++)
      {
        Pair p = { 0 };
        KfTestKmClient *survivor;

        g_test_message ("stage %u, the %s leaves", stage, who == 0 ? "sender" : "receiver");
        pair_to_stage (f, &p, stage, who == 0);
        if (who == 0)
          g_clear_pointer (&p.sender, kf_test_km_client_free);
        else
          g_clear_pointer (&p.receiver, kf_test_km_client_free);
        survivor = who == 0 ? p.receiver : p.sender;
        expect_cancelled (survivor, p.sid, KF_CANCEL_PEER_LEFT);
        /* Idle again at once. */
        kf_test_km_client_command (survivor, "wait", KF_MSG_WAIT);
        kf_test_km_client_command (survivor, "cancel", KF_MSG_CANCEL);
        pair_clear (&p);
      }

  audit = kf_test_server_read_audit (f->server);
  g_assert_nonnull (strstr (audit, "outcome=cancelled reason=peer-left"));
  normal_pairing (f);
}

static void
test_cancel_by_peer (Fixture       *f,
                     gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(KfProtocolMessage) ev = NULL;

  pair_to_stage (f, &p, 3, FALSE);
  kf_test_km_client_command (p.receiver, "cancel declined%20by%20user", KF_MSG_CANCEL);
  ev = kf_test_km_client_expect (p.sender, KF_MSG_EV_CANCELLED);
  g_assert_cmpint (ev->cancel_reason, ==, KF_CANCEL_PEER);
  g_assert_cmpstr (ev->text, ==, "declined by user");
  kf_test_km_client_sendf (p.sender, "report 3 -");
  kf_test_km_client_expect_err (p.sender, KF_PROTOCOL_ERROR_BAD_STATE);
  kf_test_km_client_command (p.sender, "wait", KF_MSG_WAIT);
  pair_clear (&p);
}

static void
test_wrong_confirmation (Fixture       *f,
                         gconstpointer  data)
{
  Pair p = { 0 };
  g_autofree char *zeros = g_strnfill (96, '0');
  g_autofree char *audit = NULL;

  pair_start (f, &p, "cbc");
  kf_test_km_client_confirm (p.receiver, p.rkey);
  kf_test_km_client_sendf (p.sender, "confirm %s", zeros);
  kf_test_km_client_expect_err (p.sender, KF_PROTOCOL_ERROR_BAD_CONFIRM);
  expect_cancelled (p.sender, p.sid, KF_CANCEL_BAD_CONFIRM);
  expect_cancelled (p.receiver, p.sid, KF_CANCEL_BAD_CONFIRM);
  /* The connection stays usable, the session is gone. */
  kf_test_km_client_command (p.sender, "ping", KF_MSG_PING);
  kf_test_km_client_sendf (p.receiver, "port 1000");
  kf_test_km_client_expect_err (p.receiver, KF_PROTOCOL_ERROR_BAD_STATE);
  audit = kf_test_server_read_audit (f->server);
  g_assert_nonnull (strstr (audit, "outcome=cancelled reason=bad-confirm"));
  pair_clear (&p);

  /* Right bytes with the file IV instead of the confirmation IV: wrong. */
  pair_start (f, &p, "cfb");
  kf_test_km_client_confirm (p.receiver, p.rkey);
  {
    g_autoptr(KfCipher) c = kf_cipher_new (KF_CIPHER_MODE_CFB, KF_CIPHER_ENCRYPT, p.skey->key, 32,
                                           p.skey->iv, 16, NULL);
    guint8 out[32];
    gsize n = 0;
    g_autofree char *hex = NULL;

    g_assert_true (kf_cipher_update (c, p.skey->challenge, 32, out, sizeof out, &n, NULL));
    hex = kf_hex_encode (out, n);
    kf_test_km_client_sendf (p.sender, "confirm %s", hex);
  }
  kf_test_km_client_expect_err (p.sender, KF_PROTOCOL_ERROR_BAD_CONFIRM);
  expect_cancelled (p.receiver, p.sid, KF_CANCEL_BAD_CONFIRM);
  pair_clear (&p);

  normal_pairing (f);
}

static void
test_confirmation_timeout (Fixture       *f,
                           gconstpointer  data)
{
  KfServerConfig config;
  Pair p = { 0 };

  kf_test_server_config_init (&config);
  g_free (config.state_dir);
  config.confirm_timeout_ms = 300;
  fixture_start (f, &config, NULL);

  pair_start (f, &p, "cbc");
  kf_test_km_client_confirm (p.sender, p.skey);
  expect_cancelled (p.sender, p.sid, KF_CANCEL_TIMEOUT);
  expect_cancelled (p.receiver, p.sid, KF_CANCEL_TIMEOUT);
  kf_test_km_client_sendf (p.receiver, "confirm 00");
  kf_test_km_client_expect_err (p.receiver, KF_PROTOCOL_ERROR_BAD_STATE);
  pair_clear (&p);

  /* Confirmed but the receiver never gives its port: also a timeout. */
  pair_to_stage (f, &p, 2, FALSE);
  expect_cancelled (p.sender, p.sid, KF_CANCEL_TIMEOUT);
  expect_cancelled (p.receiver, p.sid, KF_CANCEL_TIMEOUT);
  pair_clear (&p);

  /* Once the sender knows where to connect, the transfer may take long. */
  pair_to_stage (f, &p, 3, FALSE);
  kf_test_km_client_expect_silence (p.sender, 500);
  pair_report (&p, "report 2 -", "report 2 -", KF_VERDICT_OK, 2, 2);
  pair_clear (&p);
}

/* Sends @data raw and expects `err bad-line`, then the connection closes. */
static void
expect_bad_line (Fixture    *f,
                 const char *data,
                 gsize       len)
{
  g_autoptr(KfTestKmClient) c = join (f, "mallory");
  g_autoptr(GError) error = NULL;

  kf_test_km_client_send_raw (c, data, len, &error);
  g_assert_no_error (error);
  kf_test_km_client_expect_err (c, KF_PROTOCOL_ERROR_BAD_LINE);
  kf_test_km_client_expect_eof (c);
}

static void
test_bad_lines (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *huge = g_strnfill (KF_PROTOCOL_MAX_LINE + 100, 'a');
  g_autofree char *longest = NULL;
  g_autoptr(KfTestKmClient) c = join (f, "trent");

  huge[KF_PROTOCOL_MAX_LINE + 99] = '\n';
  expect_bad_line (f, huge, KF_PROTOCOL_MAX_LINE + 100);
  expect_bad_line (f, "ping \xff\xfe\n", 8);
  expect_bad_line (f, "ping\r\n", 6);
  expect_bad_line (f, "pi\0ng\n", 6);

  /* The longest allowed line is read and refused only for its content. */
  longest = g_strnfill (KF_PROTOCOL_MAX_LINE - 1, 'b');
  kf_test_km_client_send (c, longest, NULL);
  kf_test_km_client_expect_err (c, KF_PROTOCOL_ERROR_UNKNOWN_COMMAND);
  kf_test_km_client_send (c, "conn 1 ecb", NULL);
  kf_test_km_client_expect_err (c, KF_PROTOCOL_ERROR_BAD_ARGS);
  kf_test_km_client_send (c, "conn 1", NULL);
  kf_test_km_client_expect_err (c, KF_PROTOCOL_ERROR_BAD_ARGS);
  kf_test_km_client_send (c, "welcome 1 me", NULL);
  kf_test_km_client_expect_err (c, KF_PROTOCOL_ERROR_UNKNOWN_COMMAND);
  kf_test_km_client_command (c, "ping", KF_MSG_PING);

  normal_pairing (f);
}

typedef enum
{
  STATE_GREETING,
  STATE_IDLE,
  STATE_WAITING,
  STATE_CONFIRMING,   /* the sender, after ev key */
  STATE_CONFIRMED,    /* the sender, confirmed, the receiver not yet */
  STATE_LISTENING,    /* the receiver, after ev listen */
  STATE_TRANSFERRING, /* the sender, after ev connect */
  N_STATES
} TableState;

static const char * const state_names[] = {
  "greeting", "idle", "waiting", "confirming", "confirmed", "listening", "transferring",
};

/* The state × command table of docs/PROTOCOL.md: "ok" or the err code. */
static const struct
{
  const char *line;
  const char *expect[N_STATES];
} table[] = {
  /*                          greeting         idle             waiting          confirming       confirmed        listening        transferring */
  { "wait",               { "bad-state",     "ok",            "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state" } },
  { "send",               { "bad-state",     "ok",            "ok",            "bad-state",     "bad-state",     "bad-state",     "bad-state" } },
  { "conn 999999 cbc",    { "bad-state",     "no-such-peer",  "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state" } },
  { "cancel",             { "bad-state",     "bad-state",     "ok",            "ok",            "ok",            "ok",            "ok" } },
  { "watch",              { "bad-state",     "ok",            "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state" } },
  { "unwatch",            { "bad-state",     "ok",            "ok",            "bad-state",     "bad-state",     "bad-state",     "bad-state" } },
  { "confirm 00",         { "bad-state",     "bad-state",     "bad-state",     "bad-confirm",   "bad-state",     "bad-state",     "bad-state" } },
  { "port 4000",          { "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state",     "ok",            "bad-state" } },
  { "report 1 -",         { "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state",     "ok" } },
  { "auth secret",        { "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state" } },
  { "hello 1 again",      { "ok",            "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state" } },
  { "ping",               { "ok",            "ok",            "ok",            "ok",            "ok",            "ok",            "ok" } },
  { "hello 2 future",     { "version",       "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state",     "bad-state" } },
  { "fly",                { "unknown-command", "unknown-command", "unknown-command", "unknown-command", "unknown-command", "unknown-command", "unknown-command" } },
};

/* Puts a client into @state; *@other is its partner when there is one. */
static KfTestKmClient *
client_in_state (Fixture         *f,
                 TableState       state,
                 Pair            *p)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfProtocolMessage) greeting = NULL;
  KfTestKmClient *c;

  switch (state)
    {
    case STATE_GREETING:
      c = kf_test_km_client_connect (f->port, f->fp, &error);
      g_assert_no_error (error);
      greeting = kf_test_km_client_expect (c, KF_MSG_GREETING);
      return c;
    case STATE_IDLE:
      return join (f, "idle");
    case STATE_WAITING:
      c = join (f, "waiting");
      kf_test_km_client_command (c, "wait", KF_MSG_WAIT);
      return c;
    case STATE_CONFIRMING:
      pair_to_stage (f, p, 0, FALSE);
      return p->sender;
    case STATE_CONFIRMED:
      pair_to_stage (f, p, 1, FALSE);
      return p->sender;
    case STATE_LISTENING:
      pair_to_stage (f, p, 2, FALSE);
      return p->receiver;
    case STATE_TRANSFERRING:
      pair_to_stage (f, p, 3, FALSE);
      return p->sender;
    case N_STATES:
    default:
      g_assert_not_reached ();
    }
}

/* Reads the reply to one command, skipping `peer` data lines. */
static KfProtocolMessage *
read_reply (KfTestKmClient *c)
{
  while (TRUE)
    {
      KfProtocolMessage *msg = kf_test_km_client_read_message (c);

      if (msg->type == KF_MSG_OK || msg->type == KF_MSG_ERR || msg->type == KF_MSG_WELCOME)
        return msg;
      g_assert_cmpint (msg->type, ==, KF_MSG_PEER);
      kf_protocol_message_free (msg);
    }
}

static void
test_state_table (Fixture       *f,
                  gconstpointer  data)
{
  for (guint state = 0; state < N_STATES; state++)
    for (guint i = 0; i < G_N_ELEMENTS (table); i++)
      {
        Pair p = { 0 };
        KfTestKmClient *c = client_in_state (f, state, &p);
        g_autoptr(KfProtocolMessage) reply = NULL;
        const char *expect = table[i].expect[state];
        const char *got;

        kf_test_km_client_send (c, table[i].line, NULL);
        reply = read_reply (c);
        got = reply->type == KF_MSG_ERR ? kf_protocol_error_to_code (reply->error_code) : "ok";
        if (!g_str_equal (got, expect))
          g_error ("in state %s, “%s” gave %s instead of %s", state_names[state],
                   table[i].line, got, expect);
        if (p.sender == NULL)
          kf_test_km_client_free (c);
        pair_clear (&p);
      }

  normal_pairing (f);
}

static void
test_passphrase (Fixture       *f,
                 gconstpointer  data)
{
  const struct { const char *before_hello; KfProtocolError code; } wrong[] = {
    { "auth wrong", KF_PROTOCOL_ERROR_AUTH_FAILED },
    { "auth sesame%20", KF_PROTOCOL_ERROR_AUTH_FAILED },
    { "hello 1 eve", KF_PROTOCOL_ERROR_AUTH_REQUIRED },
    { "wait", KF_PROTOCOL_ERROR_AUTH_REQUIRED },
  };
  g_autoptr(KfTestKmClient) ok = NULL;

  fixture_start (f, NULL, "sesame");
  for (guint i = 0; i < G_N_ELEMENTS (wrong); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(KfTestKmClient) c = kf_test_km_client_connect (f->port, f->fp, &error);
      g_autoptr(KfProtocolMessage) greeting = NULL;

      g_assert_no_error (error);
      greeting = kf_test_km_client_expect (c, KF_MSG_GREETING);
      g_assert_true (greeting->auth_required);
      kf_test_km_client_send (c, wrong[i].before_hello, NULL);
      kf_test_km_client_expect_err (c, wrong[i].code);
      kf_test_km_client_expect_eof (c);
    }

  /* After the failures (and their penalty) the right passphrase works. */
  ok = kf_test_km_client_join (f->port, f->fp, "alice", "sesame");
  kf_test_km_client_command (ok, "ping", KF_MSG_PING);
  {
    Pair p = { 0 };

    p.sender = g_steal_pointer (&ok);
    p.receiver = kf_test_km_client_join (f->port, f->fp, "bob", "sesame");
    kf_test_km_client_command (p.receiver, "wait", KF_MSG_WAIT);
    kf_test_km_client_sendf (p.sender, "conn %" G_GUINT64_FORMAT " cbc",
                             kf_test_km_client_get_id (p.receiver));
    kf_test_km_client_expect_ok (p.sender, KF_MSG_CONN);
    pair_clear (&p);
  }
}

static void
test_wrong_pin (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *wrong = g_strnfill (64, 'a');
  KfTestKmClient *c = kf_test_km_client_connect (f->port, wrong, &error);

  g_assert_null (c);
  g_assert_error (error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_clear_error (&error);

  /* Without a pin the certificate seen is the one the server announced. */
  c = kf_test_km_client_connect (f->port, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (kf_test_km_client_get_fingerprint (c), ==, f->fp);
  kf_test_km_client_free (c);

  normal_pairing (f);
}

static void
test_plaintext_client (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfTestKmClient) c = kf_test_km_client_connect_plain (f->port, &error);
  g_autofree char *line = NULL;

  g_assert_no_error (error);
  kf_test_km_client_send (c, "hello 1 plain", &error);
  g_assert_no_error (error);
  /* No greeting, no welcome: at most TLS alert bytes, then the end. */
  line = kf_test_km_client_read_line (c, KF_TEST_TIMEOUT_MS, &error);
  g_assert_false (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  g_assert_true (line == NULL || strstr (line, "keyferry") == NULL);

  normal_pairing (f);
}

static void
test_greeting_deadline (Fixture       *f,
                        gconstpointer  data)
{
  KfServerConfig config;
  g_autoptr(GError) error = NULL;
  g_autoptr(KfTestKmClient) tls = NULL;
  g_autoptr(KfTestKmClient) silent = NULL;
  g_autoptr(KfTestKmClient) trickle = NULL;
  g_autoptr(KfProtocolMessage) greeting = NULL;

  kf_test_server_config_init (&config);
  g_free (config.state_dir);
  config.handshake_timeout_ms = 400;
  fixture_start (f, &config, NULL);

  /* Greeted by TLS but never says hello. */
  tls = kf_test_km_client_connect (f->port, f->fp, &error);
  g_assert_no_error (error);
  greeting = kf_test_km_client_expect (tls, KF_MSG_GREETING);
  kf_test_km_client_expect_err (tls, KF_PROTOCOL_ERROR_TIMEOUT);
  kf_test_km_client_expect_eof (tls);

  /* Never even starts TLS. */
  silent = kf_test_km_client_connect_plain (f->port, &error);
  g_assert_no_error (error);
  kf_test_km_client_expect_eof (silent);

  /* Trickling bytes does not extend an absolute deadline. */
  trickle = kf_test_km_client_connect (f->port, f->fp, &error);
  g_assert_no_error (error);
  g_clear_pointer (&greeting, kf_protocol_message_free);
  greeting = kf_test_km_client_expect (trickle, KF_MSG_GREETING);
  for (guint i = 0; i < 3; i++)
    {
      kf_test_km_client_send_raw (trickle, "h", 1, &error);
      g_assert_no_error (error);
      g_usleep (150 * 1000);
    }
  kf_test_km_client_expect_err (trickle, KF_PROTOCOL_ERROR_TIMEOUT);

  normal_pairing (f);
}

static void
test_watch (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(KfTestKmClient) watcher = join (f, "carol");
  g_autoptr(KfTestKmClient) early = join (f, "early bird");
  g_autoptr(KfTestKmClient) late = join (f, "late");
  g_autoptr(KfProtocolMessage) peer = NULL;
  g_autoptr(KfProtocolMessage) ok = NULL;
  g_autoptr(KfProtocolMessage) waiting = NULL;
  g_autoptr(KfProtocolMessage) gone = NULL;

  kf_test_km_client_command (early, "wait", KF_MSG_WAIT);
  kf_test_km_client_sendf (watcher, "watch");
  peer = kf_test_km_client_expect (watcher, KF_MSG_PEER);
  g_assert_cmpstr (peer->name, ==, "early bird");
  ok = kf_test_km_client_expect (watcher, KF_MSG_OK);
  g_assert_cmpint (ok->reply_to, ==, KF_MSG_WATCH);
  g_assert_cmpuint (ok->count, ==, 1);

  kf_test_km_client_command (late, "wait", KF_MSG_WAIT);
  waiting = kf_test_km_client_expect (watcher, KF_MSG_EV_WAITING);
  g_assert_cmpuint (waiting->id, ==, kf_test_km_client_get_id (late));
  kf_test_km_client_command (early, "cancel", KF_MSG_CANCEL);
  gone = kf_test_km_client_expect (watcher, KF_MSG_EV_UNWAITING);
  g_assert_cmpuint (gone->id, ==, kf_test_km_client_get_id (early));
  kf_test_km_client_command (watcher, "unwatch", KF_MSG_UNWATCH);
  kf_test_km_client_command (early, "wait", KF_MSG_WAIT);
  kf_test_km_client_expect_silence (watcher, 100);

  normal_pairing (f);
}

static void
test_shutdown_tells_clients (Fixture       *f,
                             gconstpointer  data)
{
  Pair p = { 0 };
  g_autoptr(KfTestKmClient) idle = join (f, "idle");
  g_autoptr(KfProtocolMessage) down = NULL;

  pair_to_stage (f, &p, 3, FALSE);
  g_clear_pointer (&f->server, kf_test_server_stop);
  down = kf_test_km_client_expect (idle, KF_MSG_EV_SHUTDOWN);
  g_assert_cmpstr (down->text, ==, "test over");
  kf_test_km_client_expect_eof (idle);
  for (KfTestKmClient **c = (KfTestKmClient *[]) { p.sender, p.receiver, NULL }; *c; c++)
    {
      g_autoptr(KfProtocolMessage) ev = kf_test_km_client_expect (*c, KF_MSG_EV_SHUTDOWN);

      kf_test_km_client_expect_eof (*c);
    }
  pair_clear (&p);
}

static void
test_connection_limits (Fixture       *f,
                        gconstpointer  data)
{
  KfServerConfig config;
  g_autoptr(GError) error = NULL;
  KfTestKmClient *pending[2];
  g_autoptr(KfTestKmClient) refused = NULL;
  g_autoptr(KfTestKmClient) a = NULL;
  g_autoptr(KfTestKmClient) b = NULL;
  g_autoptr(KfTestKmClient) c = NULL;
  g_autoptr(KfProtocolMessage) greeting = NULL;

  kf_test_server_config_init (&config);
  g_free (config.state_dir);
  config.max_pending_per_address = 2;
  config.max_clients = 2;
  fixture_start (f, &config, NULL);

  /* Two silent connections fill this address's greeting slots. */
  for (guint i = 0; i < 2; i++)
    {
      pending[i] = kf_test_km_client_connect_plain (f->port, &error);
      g_assert_no_error (error);
    }
  g_usleep (100 * 1000);
  refused = kf_test_km_client_connect_plain (f->port, &error);
  g_assert_no_error (error);
  kf_test_km_client_expect_eof (refused);
  for (guint i = 0; i < 2; i++)
    kf_test_km_client_free (pending[i]);
  g_usleep (100 * 1000);

  /* Two clients fill the server; a third is told it is full. */
  a = join (f, "a");
  b = join (f, "b");
  c = kf_test_km_client_connect (f->port, f->fp, &error);
  g_assert_no_error (error);
  greeting = kf_test_km_client_expect (c, KF_MSG_GREETING);
  kf_test_km_client_expect_err (c, KF_PROTOCOL_ERROR_FULL);
  kf_test_km_client_expect_eof (c);
  kf_test_km_client_command (a, "ping", KF_MSG_PING);
}

static void
test_idle_timeout (Fixture       *f,
                   gconstpointer  data)
{
  KfServerConfig config;
  Pair p = { 0 };
  g_autoptr(KfTestKmClient) silent = NULL;
  g_autoptr(KfTestKmClient) pinger = NULL;

  kf_test_server_config_init (&config);
  g_free (config.state_dir);
  config.idle_timeout_ms = 400;
  fixture_start (f, &config, NULL);

  silent = join (f, "silent");
  pinger = join (f, "pinger");
  kf_test_km_client_command (pinger, "wait", KF_MSG_WAIT);
  for (guint i = 0; i < 5; i++)
    {
      g_usleep (150 * 1000);
      kf_test_km_client_command (pinger, "ping", KF_MSG_PING);
    }
  kf_test_km_client_expect_err (silent, KF_PROTOCOL_ERROR_TIMEOUT);
  kf_test_km_client_expect_eof (silent);

  /* Nobody times out in the middle of a transfer. */
  pair_to_stage (f, &p, 3, FALSE);
  kf_test_km_client_expect_silence (p.sender, 700);
  pair_report (&p, "report 4 -", "report 4 -", KF_VERDICT_OK, 4, 4);
  pair_clear (&p);
}

/* A client that sends requests but never reads the replies must not make
 * the server queue without bound: it is dropped, others carry on. */
static void
test_slow_reader_dropped (Fixture       *f,
                          gconstpointer  data)
{
  KfServerConfig config;
  g_autoptr(KfTestKmClient) greedy = NULL;
  g_autoptr(GPtrArray) waiting = g_ptr_array_new_with_free_func ((GDestroyNotify) kf_test_km_client_free);
  g_autoptr(GString) requests = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  GString *long_name = g_string_new (NULL);
  guint replies = 0;
  char *line;

  kf_test_server_config_init (&config);
  g_free (config.state_dir);
  config.write_queue_max = 64 * 1024;
  fixture_start (f, &config, NULL);

  /* 20 waiting clients with long names make every `send` reply ~15 KB. */
  for (guint i = 0; i < 64; i++)
    g_string_append (long_name, "ж");
  name = g_string_free (long_name, FALSE);
  for (guint i = 0; i < 20; i++)
    {
      KfTestKmClient *w = join (f, name);

      kf_test_km_client_command (w, "wait", KF_MSG_WAIT);
      g_ptr_array_add (waiting, w);
    }

  greedy = join (f, "greedy");
  for (guint i = 0; i < 2000; i++)
    g_string_append (requests, "send\n");
  kf_test_km_client_send_raw (greedy, requests->str, requests->len, &error);
  g_assert_no_error (error);
  g_usleep (500 * 1000);

  while ((line = kf_test_km_client_read_line (greedy, KF_TEST_TIMEOUT_MS, &error)) != NULL)
    {
      replies += g_str_has_prefix (line, "ok send ");
      g_free (line);
    }
  g_assert_false (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT));
  g_test_message ("the greedy client got %u of 2000 replies before it was dropped", replies);
  g_assert_cmpuint (replies, <, 2000);

  normal_pairing (f);
}

int
main (int   argc,
      char *argv[])
{
  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/server/pairing/match", Fixture, NULL, setup, test_pairing_match, teardown);
  g_test_add ("/server/pairing/mismatch", Fixture, NULL, setup, test_pairing_mismatch, teardown);
  g_test_add ("/server/pairing/racing-senders", Fixture, NULL, setup, test_racing_senders, teardown);

  g_test_add ("/server/pairing/peer-vanishes-at-every-step", Fixture, NULL, setup,
              test_peer_vanishes, teardown);
  g_test_add ("/server/pairing/cancel-by-peer", Fixture, NULL, setup, test_cancel_by_peer,
              teardown);
  g_test_add ("/server/confirm/wrong-confirmation-cancels", Fixture, NULL, setup,
              test_wrong_confirmation, teardown);
  g_test_add ("/server/confirm/timeout-cancels", Fixture, NULL, NULL,
              test_confirmation_timeout, teardown);
  g_test_add ("/server/lines/bad-lines-refused", Fixture, NULL, setup, test_bad_lines, teardown);
  g_test_add ("/server/lines/state-command-table", Fixture, NULL, setup, test_state_table,
              teardown);
  g_test_add ("/server/admission/passphrase", Fixture, NULL, NULL, test_passphrase, teardown);
  g_test_add ("/server/tls/wrong-pin-fails", Fixture, NULL, setup, test_wrong_pin, teardown);
  g_test_add ("/server/tls/plaintext-client-gets-nothing", Fixture, NULL, setup,
              test_plaintext_client, teardown);
  g_test_add ("/server/limits/greeting-deadline", Fixture, NULL, NULL, test_greeting_deadline,
              teardown);
  g_test_add ("/server/limits/connections", Fixture, NULL, NULL, test_connection_limits,
              teardown);
  g_test_add ("/server/watch/live-waiting-list", Fixture, NULL, setup, test_watch, teardown);
  g_test_add ("/server/shutdown/tells-clients", Fixture, NULL, setup,
              test_shutdown_tells_clients, teardown);
  g_test_add ("/server/limits/idle-timeout", Fixture, NULL, NULL, test_idle_timeout, teardown);
  g_test_add ("/server/limits/slow-reader-dropped", Fixture, NULL, NULL,
              test_slow_reader_dropped, teardown);

  return g_test_run ();
}
