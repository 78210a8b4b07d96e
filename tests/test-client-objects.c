/* test-client-objects.c: KfPeer, KfOffer and KfOutcome as the GUI binds them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include "kf-enums.h"
#include "kf-gcrypt.h"
#include "kf-offer.h"
#include "kf-outcome.h"
#include "kf-peer.h"

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
  g_assert_finalize_object (peer);
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

int
main (int    argc,
      char **argv)
{
  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/client-objects/peer", test_peer);
  g_test_add_func ("/client-objects/offer", test_offer);
  g_test_add_func ("/client-objects/outcome", test_outcome);
  g_test_add_func ("/client-objects/outcome-defaults-to-failed", test_outcome_defaults_to_failed);
  g_test_add_func ("/client-objects/status-words", test_status_words);

  return g_test_run ();
}
