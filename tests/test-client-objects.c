/* test-client-objects.c: KfPeer, KfOffer and KfOutcome as the GUI binds them,
 * and KfSession's account of its end
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kf-enums.h"
#include "kf-gcrypt.h"
#include "kf-offer.h"
#include "kf-outcome.h"
#include "kf-identity.h"
#include "kf-peer.h"
#include "kf-session-private.h"
#include "kf-transfer-error.h"

static void
test_peer (void)
{
  KfPeer *peer = kf_peer_new (42, "Ana Maria");
  g_autofree char *name = NULL;
  guint id = 0;

  g_assert_cmpuint (kf_peer_get_id (peer), ==, 42);
  g_assert_cmpstr (kf_peer_get_name (peer), ==, "Ana Maria");
  g_object_get (peer, "id", &id, "name", &name, NULL);
  g_assert_cmpuint (id, ==, 42);
  g_assert_cmpstr (name, ==, "Ana Maria");
  g_assert_null (kf_peer_get_public_key (peer));
  g_assert_null (kf_peer_get_code (peer));
  g_assert_finalize_object (peer);
}

/* A peer the key manager named with its identity carries the key and
 * its code. */
static void
test_peer_with_key (void)
{
  guint8 key[KF_IDENTITY_PUBLIC_KEY_SIZE];
  g_autofree char *code = NULL;
  KfPeer *peer;

  for (guint i = 0; i < sizeof key; i++)
    key[i] = (guint8) (i + 1);
  code = kf_identity_code_for_key (key);
  peer = kf_peer_new_with_key (7, "Bob", key);
  key[0] = 0xff;    /* the peer keeps its own copy */
  g_assert_nonnull (kf_peer_get_public_key (peer));
  g_assert_cmpuint (kf_peer_get_public_key (peer)[0], ==, 1);
  g_assert_cmpuint (kf_peer_get_public_key (peer)[31], ==, 32);
  g_assert_cmpstr (kf_peer_get_code (peer), ==, code);
  g_assert_cmpstr (kf_peer_get_code (peer), ==, "BM4N-GGGL-FVGW-EQBF");
  g_assert_finalize_object (peer);
}

/* An offer may name the identity its sender proved on the link. */
static void
test_offer_with_key (void)
{
  guint8 key[KF_IDENTITY_PUBLIC_KEY_SIZE];
  KfOffer *offer;

  for (guint i = 0; i < sizeof key; i++)
    key[i] = (guint8) (i + 1);
  offer = kf_offer_new_with_key (7, "Bob", key, "report.pdf", 17, 32, KF_CIPHER_MODE_CBC);
  key[0] = 0;
  g_assert_cmpuint (kf_offer_get_sender_key (offer)[0], ==, 1);
  g_assert_cmpstr (kf_offer_get_sender_code (offer), ==, "BM4N-GGGL-FVGW-EQBF");
  g_assert_cmpstr (kf_offer_get_sender_name (offer), ==, "Bob");
  g_assert_finalize_object (offer);

  offer = kf_offer_new (7, "Bob", "report.pdf", 17, 32, KF_CIPHER_MODE_CBC);
  g_assert_null (kf_offer_get_sender_key (offer));
  g_assert_null (kf_offer_get_sender_code (offer));
  g_assert_finalize_object (offer);
}

static void
test_offer (void)
{
  KfOffer *offer = kf_offer_new (7, "Bob", "report.pdf", 17, 32, KF_CIPHER_MODE_CBC);
  KfCipherMode mode = KF_CIPHER_MODE_CFB;
  guint64 encrypted = 0;

  g_assert_cmpuint (kf_offer_get_sender_id (offer), ==, 7);
  g_assert_cmpstr (kf_offer_get_sender_name (offer), ==, "Bob");
  g_assert_cmpstr (kf_offer_get_file_name (offer), ==, "report.pdf");
  g_assert_cmpuint (kf_offer_get_plain_size (offer), ==, 17);
  g_assert_cmpuint (kf_offer_get_encrypted_size (offer), ==, 32);
  g_assert_cmpint (kf_offer_get_mode (offer), ==, KF_CIPHER_MODE_CBC);
  g_object_get (offer, "mode", &mode, "encrypted-size", &encrypted, NULL);
  g_assert_cmpint (mode, ==, KF_CIPHER_MODE_CBC);
  g_assert_cmpuint (encrypted, ==, 32);
  g_assert_finalize_object (offer);
}

static void
test_outcome (void)
{
  g_autoptr(GFile) file = g_file_new_for_path ("/tmp/received.bin");
  KfOutcome *outcome = g_object_new (KF_TYPE_OUTCOME,
                                     "status", KF_OUTCOME_CONFIRMED,
                                     "is-sender", FALSE,
                                     "is-local", TRUE,
                                     "sender-blocks", (guint64) 2,
                                     "receiver-blocks", (guint64) 2,
                                     "local-blocks", (guint64) 2,
                                     "bytes", (guint64) 17,
                                     "message", "Confirmed",
                                     "file", file,
                                     "mode", KF_CIPHER_MODE_CFB,
                                     NULL);

  g_assert_cmpint (kf_outcome_get_status (outcome), ==, KF_OUTCOME_CONFIRMED);
  g_assert_false (kf_outcome_get_is_sender (outcome));
  g_assert_true (kf_outcome_get_is_local (outcome));
  g_assert_cmpuint (kf_outcome_get_sender_blocks (outcome), ==, 2);
  g_assert_cmpuint (kf_outcome_get_receiver_blocks (outcome), ==, 2);
  g_assert_cmpuint (kf_outcome_get_local_blocks (outcome), ==, 2);
  g_assert_cmpuint (kf_outcome_get_bytes (outcome), ==, 17);
  g_assert_cmpstr (kf_outcome_get_message (outcome), ==, "Confirmed");
  g_assert_true (kf_outcome_get_file (outcome) == file);
  g_assert_cmpint (kf_outcome_get_mode (outcome), ==, KF_CIPHER_MODE_CFB);
  g_assert_finalize_object (outcome);
}

static void
test_outcome_defaults_to_failed (void)
{
  KfOutcome *outcome = g_object_new (KF_TYPE_OUTCOME, NULL);
  g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "Cancelled");
  KfOutcome *cancelled = g_object_new (KF_TYPE_OUTCOME,
                                       "status", KF_OUTCOME_CANCELLED,
                                       "error", error,
                                       NULL);

  g_assert_cmpint (kf_outcome_get_status (outcome), ==, KF_OUTCOME_FAILED);
  g_assert_null (kf_outcome_get_file (outcome));
  g_assert_null (kf_outcome_get_error (outcome));
  g_assert_error ((GError *) kf_outcome_get_error (cancelled), G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_finalize_object (cancelled);
  g_assert_finalize_object (outcome);
}

static void
test_status_words (void)
{
  g_assert_cmpstr (kf_outcome_status_to_string (KF_OUTCOME_CONFIRMED), ==, "confirmed");
  g_assert_cmpstr (kf_outcome_status_to_string (KF_OUTCOME_MISMATCH), ==, "mismatch");
  g_assert_cmpstr (kf_outcome_status_to_string (KF_OUTCOME_DIGEST_MISMATCH), ==,
                   "digest-mismatch");
  g_assert_cmpstr (kf_outcome_status_to_string (KF_OUTCOME_DECLINED), ==, "declined");
  g_assert_cmpstr (kf_outcome_status_to_string (KF_OUTCOME_CANCELLED), ==, "cancelled");
  g_assert_cmpstr (kf_outcome_status_to_string (KF_OUTCOME_FAILED), ==, "failed");
  g_assert_true (G_TYPE_IS_ENUM (KF_TYPE_CIPHER_MODE));
}

/* A sender's session with Bob, as `ev key` starts it; no client. */
static KfSession *
new_session (void)
{
  g_autoptr(KfProtocolMessage) key = kf_protocol_message_new (KF_MSG_EV_KEY);

  g_strlcpy (key->session_id, "s1", sizeof key->session_id);
  key->role = KF_ROLE_SENDER;
  key->id = 7;
  key->name = g_strdup ("Bob");
  key->mode = KF_CIPHER_MODE_CFB;

  return _kf_session_new (NULL, key);
}

/* Offers the key manager's `ev cancelled` with @reason as an account. */
static gboolean
explain_cancelled (KfSession      *session,
                   KfCancelReason  reason,
                   const char     *text)
{
  g_autoptr(KfProtocolMessage) msg = kf_protocol_message_new (KF_MSG_EV_CANCELLED);
  KfOutcomeStatus status;
  KfSessionWitness witness;
  GError *error;

  msg->cancel_reason = reason;
  msg->text = g_strdup (text);
  error = _kf_session_explain_cancelled (session, msg, &status, &witness);

  return _kf_session_explain_end (session, witness, status, error);
}

static void
assert_account (KfSession       *session,
                KfOutcomeStatus  status,
                gboolean         is_local,
                const char      *message)
{
  g_autoptr(KfOutcome) outcome = _kf_session_recorded_outcome (session);

  g_assert_cmpint (kf_outcome_get_status (outcome), ==, status);
  g_assert_cmpint (kf_outcome_get_is_local (outcome), ==, is_local);
  g_assert_cmpstr (kf_outcome_get_message (outcome), ==, message);
}

static void
on_ended (KfSession  *session,
          KfOutcome  *outcome,
          KfOutcome **slot)
{
  g_assert_null (*slot);
  *slot = g_object_ref (outcome);
}

/* The peer's word and the key manager's replace what this side only saw. */
static void
test_session_better_account (void)
{
  KfSession *session = new_session ();

  g_assert_cmpint (kf_session_get_phase (session), ==, KF_SESSION_PHASE_ACTIVE);
  g_assert_cmpstr (kf_session_get_peer_name (session), ==, "Bob");
  g_assert_true (_kf_session_explain_end (session, KF_SESSION_WITNESS_OBSERVED, KF_OUTCOME_FAILED,
                                          g_error_new_literal (KF_TRANSFER_ERROR,
                                                               KF_TRANSFER_ERROR_PEER_GONE,
                                                               "The link ended")));
  g_assert_cmpint (kf_session_get_phase (session), ==, KF_SESSION_PHASE_ENDING);
  g_assert_false (explain_cancelled (session, KF_CANCEL_TIMEOUT, NULL));
  assert_account (session, KF_OUTCOME_FAILED, FALSE, "The link ended");
  g_assert_false (explain_cancelled (session, KF_CANCEL_PEER_LEFT, NULL));
  assert_account (session, KF_OUTCOME_FAILED, FALSE, "Bob left the key manager");
  g_assert_false (explain_cancelled (session, KF_CANCEL_PEER, "declined"));
  assert_account (session, KF_OUTCOME_DECLINED, FALSE, "Bob declined the file");
  /* This side's full disk explains it better still, and then stays. */
  g_assert_false (_kf_session_explain_end (session, KF_SESSION_WITNESS_OWN_FILES,
                                           KF_OUTCOME_FAILED,
                                           g_error_new_literal (KF_TRANSFER_ERROR,
                                                                KF_TRANSFER_ERROR_NO_SPACE,
                                                                "The disk is full")));
  assert_account (session, KF_OUTCOME_FAILED, TRUE, "The disk is full");
  g_assert_false (explain_cancelled (session, KF_CANCEL_PEER, "cancelled"));
  assert_account (session, KF_OUTCOME_FAILED, TRUE, "The disk is full");
  _kf_session_close (session);
  g_assert_finalize_object (session);
}

/* This side's own choice is never replaced; a tampered link is not the
 * peer leaving; ::ended comes once and nothing changes after it. */
static void
test_session_own_account_stays (void)
{
  KfSession *session = new_session ();
  KfSession *tampered = new_session ();
  g_autoptr(KfOutcome) ended = NULL;
  g_autoptr(KfOutcome) outcome = NULL;

  g_assert_true (_kf_session_explain_end (session, KF_SESSION_WITNESS_SELF, KF_OUTCOME_CANCELLED,
                                          g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                               "You cancelled")));
  g_assert_false (explain_cancelled (session, KF_CANCEL_PEER, "cancelled"));
  g_assert_false (explain_cancelled (session, KF_CANCEL_PEER_LEFT, NULL));
  assert_account (session, KF_OUTCOME_CANCELLED, TRUE, "You cancelled");

  g_assert_true (_kf_session_explain_end (tampered, KF_SESSION_WITNESS_OBSERVED,
                                          KF_OUTCOME_FAILED,
                                          g_error_new_literal (KF_TRANSFER_ERROR,
                                                               KF_TRANSFER_ERROR_BAD_MAC,
                                                               "A record was forged")));
  g_assert_false (explain_cancelled (tampered, KF_CANCEL_PEER_LEFT, NULL));
  assert_account (tampered, KF_OUTCOME_FAILED, FALSE, "A record was forged");

  g_signal_connect (session, "ended", G_CALLBACK (on_ended), &ended);
  outcome = _kf_session_recorded_outcome (session);
  _kf_session_end (session, outcome);
  g_assert_true (ended == outcome);
  g_assert_cmpint (kf_session_get_phase (session), ==, KF_SESSION_PHASE_ENDED);
  g_assert_null (_kf_session_ref_client (session, KF_SESSION_PHASE_ENDING, NULL));
  g_assert_false (explain_cancelled (session, KF_CANCEL_PEER, "declined"));
  _kf_session_close (session);
  _kf_session_close (tampered);
  g_assert_finalize_object (session);
  g_assert_finalize_object (tampered);
}

int
main (int    argc,
      char **argv)
{
  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/client-objects/peer", test_peer);
  g_test_add_func ("/client-objects/peer-with-key", test_peer_with_key);
  g_test_add_func ("/client-objects/offer-with-key", test_offer_with_key);
  g_test_add_func ("/client-objects/offer", test_offer);
  g_test_add_func ("/client-objects/outcome", test_outcome);
  g_test_add_func ("/client-objects/outcome-defaults-to-failed", test_outcome_defaults_to_failed);
  g_test_add_func ("/client-objects/status-words", test_status_words);
  g_test_add_func ("/client-objects/session-better-account", test_session_better_account);
  g_test_add_func ("/client-objects/session-own-account-stays", test_session_own_account_stays);

  return g_test_run ();
}
