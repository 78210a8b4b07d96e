/* test-server.c: the key manager in process, over real TLS on loopback:
 * pairing, key confirmation, verdicts, vanishing peers, bad lines
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Every test drives a fresh in-process server with protocol-level clients
 * and, after whatever it tried, checks that a normal pairing with a
 * verdict still works.
 */

#include "config.h"

#include <string.h>

#include "kf-cipher.h"
#include "kf-gcrypt.h"
#include "kf-hex.h"
#include "kf-test-pair.h"

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

/* Many senders race for one receiver, round after round (issue 7): all
 * the conn requests are on the wire before any reply is read, exactly one
 * wins each round, the others get no-such-peer, and the winner's cancel
 * frees the receiver to wait again. */
static void
test_racing_senders_many (Fixture       *f,
                          gconstpointer  data)
{
  guint n_senders = GPOINTER_TO_UINT (data);
  guint rounds = 300;
  g_autoptr(KfTestKmClient) receiver = join (f, "bob");
  g_autoptr(GPtrArray) senders = g_ptr_array_new_with_free_func ((GDestroyNotify) kf_test_km_client_free);
  guint64 id = kf_test_km_client_get_id (receiver);

  for (guint i = 0; i < n_senders; i++)
    {
      g_autofree char *name = g_strdup_printf ("sender-%u", i);

      g_ptr_array_add (senders, join (f, name));
    }

  for (guint round = 0; round < rounds; round++)
    {
      KfTestKmClient *winner = NULL;
      guint wins = 0;

      kf_test_km_client_command (receiver, "wait", KF_MSG_WAIT);
      for (guint i = 0; i < n_senders; i++)
        kf_test_km_client_sendf (g_ptr_array_index (senders, (i + round) % n_senders),
                                 "conn %" G_GUINT64_FORMAT " %s", id, round % 2 ? "cbc" : "cfb");
      for (guint i = 0; i < n_senders; i++)
        {
          KfTestKmClient *sender = g_ptr_array_index (senders, (i + round) % n_senders);
          g_autoptr(KfProtocolMessage) reply = kf_test_km_client_read_message (sender);

          if (reply->type == KF_MSG_OK)
            {
              g_autoptr(KfProtocolMessage) key = kf_test_km_client_expect (sender, KF_MSG_EV_KEY);

              g_assert_cmpuint (key->id, ==, id);
              winner = sender;
              wins++;
            }
          else
            g_assert_cmpint (reply->error_code, ==, KF_PROTOCOL_ERROR_NO_SUCH_PEER);
        }
      g_assert_cmpuint (wins, ==, 1);

      {
        g_autoptr(KfProtocolMessage) rkey = kf_test_km_client_expect (receiver, KF_MSG_EV_KEY);
        g_autoptr(KfProtocolMessage) cancelled = NULL;

        g_assert_cmpuint (rkey->id, ==, kf_test_km_client_get_id (winner));
        kf_test_km_client_command (winner, "cancel", KF_MSG_CANCEL);
        cancelled = kf_test_km_client_expect (receiver, KF_MSG_EV_CANCELLED);
        g_assert_cmpint (cancelled->cancel_reason, ==, KF_CANCEL_PEER);
      }
    }

  normal_pairing (f);
}

/* Brings a pair to @stage: 0 keys sent, 1 the sender confirmed, 2 both
 * confirmed (ev listen), 3 port given (ev connect), 4 one report in. */
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
  /* The later of two cancels finds the session over (PROTOCOL.md §5). */
  kf_test_km_client_sendf (p.sender, "cancel declined");
  kf_test_km_client_expect_err (p.sender, KF_PROTOCOL_ERROR_BAD_STATE);
  kf_test_km_client_sendf (p.sender, "report 3 -");
  kf_test_km_client_expect_err (p.sender, KF_PROTOCOL_ERROR_BAD_STATE);
  kf_test_km_client_command (p.sender, "wait", KF_MSG_WAIT);
  pair_clear (&p);

  /* A reason longer than 256 bytes (a transfer CANCEL may carry 512) is
   * cut at a character boundary, not refused (Part 1 §3 and §10). */
  pair_to_stage (f, &p, 3, FALSE);
  {
    g_autoptr(GString) reason = g_string_new ("x");
    g_autoptr(KfProtocolMessage) cut = NULL;

    for (guint i = 0; i < 255; i++)
      g_string_append (reason, "%C3%A9");
    g_string_prepend (reason, "cancel ");
    kf_test_km_client_command (p.receiver, reason->str, KF_MSG_CANCEL);
    cut = kf_test_km_client_expect (p.sender, KF_MSG_EV_CANCELLED);
    g_assert_cmpint (cut->cancel_reason, ==, KF_CANCEL_PEER);
    g_assert_cmpuint (strlen (cut->text), ==, 255);
    g_assert_true (g_utf8_validate (cut->text, -1, NULL));
    g_assert_true (g_str_has_prefix (cut->text, "x\xc3\xa9\xc3\xa9"));
  }
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

  /* 49 bytes or more is a wrong length like any other (Part 1 §5). */
  for (guint len = 49; len <= 1000; len += 951)
    {
      g_autofree char *long_hex = g_strnfill (len * 2, 'a');

      pair_start (f, &p, "cbc");
      kf_test_km_client_confirm (p.receiver, p.rkey);
      kf_test_km_client_sendf (p.sender, "confirm %s", long_hex);
      kf_test_km_client_expect_err (p.sender, KF_PROTOCOL_ERROR_BAD_CONFIRM);
      expect_cancelled (p.sender, p.sid, KF_CANCEL_BAD_CONFIRM);
      expect_cancelled (p.receiver, p.sid, KF_CANCEL_BAD_CONFIRM);
      pair_clear (&p);
    }

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

/* A display name that could drive a terminal or read differently from
 * what it is (bidi, zero-width, separators) is refused with bad-name, and
 * the client may greet again with another name. */
static void
test_bad_names (Fixture       *f,
                gconstpointer  data)
{
  static const char * const names[] = {
    "ana%E2%80%AEtxt.exe", "ana%E2%81%A6", "a%E2%80%8Bna", "ana%E2%80%A8", "ana%EF%BB%BF",
    "ana%F3%A0%80%81",
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(KfTestKmClient) c = kf_test_km_client_connect (f->port, f->fp, &error);
  g_autoptr(KfProtocolMessage) greeting = NULL;
  g_autoptr(KfProtocolMessage) welcome = NULL;

  g_assert_no_error (error);
  greeting = kf_test_km_client_expect (c, KF_MSG_GREETING);
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autofree char *hello = kf_test_km_client_hello_line (c, "x");
      g_auto(GStrv) words = g_strsplit (hello, " ", -1);

      kf_test_km_client_sendf (c, "hello 2 %s %s %s", names[i], words[3], words[4]);
      kf_test_km_client_expect_err (c, KF_PROTOCOL_ERROR_BAD_NAME);
    }
  {
    g_autofree char *hello = kf_test_km_client_hello_line (c, "ana’s 🙂");

    kf_test_km_client_send (c, hello, NULL);
  }
  welcome = kf_test_km_client_expect (c, KF_MSG_WELCOME);
  g_assert_cmpstr (welcome->name, ==, "ana’s 🙂");

  normal_pairing (f);
}

/* Lines sent back to back in one write, more than the server's line
 * buffer holds (the rest waits in the TLS layer, where polling the socket
 * does not see it), are all answered in order; other clients are served
 * meanwhile. */
static void
test_pipelined_lines (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(KfTestKmClient) other = join (f, "other");
  g_autoptr(KfTestKmClient) eager = NULL;
  g_autoptr(KfProtocolMessage) greeting = NULL;
  g_autoptr(KfProtocolMessage) welcome = NULL;
  g_autoptr(GString) burst = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 500; i++)
    g_string_append (burst, "ping\nwait\ncancel\n");
  g_assert_cmpuint (burst->len, >, 2 * KF_PROTOCOL_MAX_LINE);

  eager = kf_test_km_client_connect (f->port, f->fp, &error);
  g_assert_no_error (error);
  greeting = kf_test_km_client_expect (eager, KF_MSG_GREETING);
  {
    g_autofree char *hello = kf_test_km_client_hello_line (eager, "eager");

    g_string_prepend_c (burst, '\n');
    g_string_prepend (burst, hello);
  }
  kf_test_km_client_send_raw (eager, burst->str, burst->len, &error);
  g_assert_no_error (error);
  kf_test_km_client_command (other, "ping", KF_MSG_PING);
  welcome = kf_test_km_client_expect (eager, KF_MSG_WELCOME);
  g_assert_cmpstr (welcome->name, ==, "eager");
  for (guint i = 0; i < 500; i++)
    {
      kf_test_km_client_expect_ok (eager, KF_MSG_PING);
      kf_test_km_client_expect_ok (eager, KF_MSG_WAIT);
      kf_test_km_client_expect_ok (eager, KF_MSG_CANCEL);
    }
  kf_test_km_client_expect_silence (eager, 100);
  kf_test_km_client_command (other, "ping", KF_MSG_PING);

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
  g_test_add ("/server/pairing/racing-senders/2-senders-300-rounds", Fixture, GUINT_TO_POINTER (2), setup,
              test_racing_senders_many, teardown);
  g_test_add ("/server/pairing/racing-senders/10-senders-300-rounds", Fixture, GUINT_TO_POINTER (10), setup,
              test_racing_senders_many, teardown);
  g_test_add ("/server/pairing/racing-senders/50-senders-300-rounds", Fixture, GUINT_TO_POINTER (50), setup,
              test_racing_senders_many, teardown);
  g_test_add ("/server/pairing/peer-vanishes-at-every-step", Fixture, NULL, setup,
              test_peer_vanishes, teardown);
  g_test_add ("/server/pairing/cancel-by-peer", Fixture, NULL, setup, test_cancel_by_peer,
              teardown);
  g_test_add ("/server/confirm/wrong-confirmation-cancels", Fixture, NULL, setup,
              test_wrong_confirmation, teardown);
  g_test_add ("/server/confirm/timeout-cancels", Fixture, NULL, NULL,
              test_confirmation_timeout, teardown);
  g_test_add ("/server/lines/bad-lines-refused", Fixture, NULL, setup, test_bad_lines, teardown);
  g_test_add ("/server/lines/bad-names-refused", Fixture, NULL, setup, test_bad_names, teardown);
  g_test_add ("/server/lines/pipelined-lines-answered-in-order", Fixture, NULL, setup,
              test_pipelined_lines, teardown);

  return g_test_run ();
}
