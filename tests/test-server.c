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

int
main (int   argc,
      char *argv[])
{
  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/server/pairing/match", Fixture, NULL, setup, test_pairing_match, teardown);
  g_test_add ("/server/pairing/mismatch", Fixture, NULL, setup, test_pairing_mismatch, teardown);
  g_test_add ("/server/pairing/racing-senders", Fixture, NULL, setup, test_racing_senders, teardown);

  return g_test_run ();
}
