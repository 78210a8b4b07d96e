/* kf-test-pair.c: a fixture and a pair of clients for key-manager tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>

#include "kf-test-pair.h"

void
fixture_start (Fixture              *f,
               const KfServerConfig *config,
               const char           *passphrase)
{
  f->server = kf_test_server_start (config, passphrase);
  f->port = kf_test_server_get_port (f->server);
  f->fp = kf_test_server_get_fingerprint (f->server);
}

void
setup (Fixture       *f,
       gconstpointer  data)
{
  fixture_start (f, NULL, NULL);
}

void
teardown (Fixture       *f,
          gconstpointer  data)
{
  g_clear_pointer (&f->server, kf_test_server_stop);
}

KfTestKmClient *
join (Fixture    *f,
      const char *name)
{
  return kf_test_km_client_join (f->port, f->fp, name, NULL);
}

/* Pairs two new clients: the receiver waits, the sender connects in
 * @mode; both get their keys, which are checked against each other. */
void
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

void
pair_confirm (Pair *p)
{
  g_autoptr(KfProtocolMessage) listen = NULL;

  kf_test_km_client_confirm (p->sender, p->skey);
  kf_test_km_client_expect_silence (p->receiver, 50);
  kf_test_km_client_confirm (p->receiver, p->rkey);
  listen = kf_test_km_client_expect (p->receiver, KF_MSG_EV_LISTEN);
  g_assert_cmpstr (listen->session_id, ==, p->sid);
}

void
pair_port (Pair *p)
{
  g_autoptr(KfProtocolMessage) connect = NULL;

  kf_test_km_client_command (p->receiver, "port 40123", KF_MSG_PORT);
  connect = kf_test_km_client_expect (p->sender, KF_MSG_EV_CONNECT);
  g_assert_cmpstr (connect->session_id, ==, p->sid);
  g_assert_cmpstr (connect->address, ==, "127.0.0.1");
  g_assert_cmpuint (connect->port, ==, 40123);
}

void
pair_clear (Pair *p)
{
  g_clear_pointer (&p->sender, kf_test_km_client_free);
  g_clear_pointer (&p->receiver, kf_test_km_client_free);
  g_clear_pointer (&p->skey, kf_protocol_message_free);
  g_clear_pointer (&p->rkey, kf_protocol_message_free);
}

/* Both report; both must get the same `ev result`. */
void
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
void
normal_pairing (Fixture *f)
{
  Pair p = { 0 };

  pair_start (f, &p, "cbc");
  pair_confirm (&p);
  pair_port (&p);
  pair_report (&p, "report 7 -", "report 7 -", KF_VERDICT_OK, 7, 7);
  pair_clear (&p);
}


void
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
void
expect_cancelled (KfTestKmClient *client,
                  const char     *sid,
                  KfCancelReason  reason)
{
  g_autoptr(KfProtocolMessage) ev = kf_test_km_client_expect (client, KF_MSG_EV_CANCELLED);

  g_assert_cmpstr (ev->session_id, ==, sid);
  g_assert_cmpint (ev->cancel_reason, ==, reason);
}

