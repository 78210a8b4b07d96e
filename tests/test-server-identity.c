/* test-server-identity.c: what the key manager makes of a hello, version 2
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * kf_server_identity_check_hello() on a real database: the signature must
 * cover this connection's challenge and exporter and the name; the first
 * identity owns a name under every look-alike spelling; enrolment closed
 * admits only known identities.
 */

#include "config.h"

#include <string.h>

#include "kf-gcrypt.h"
#include "kf-hex.h"
#include "kf-server-identity.h"
#include "kf-test-util.h"

typedef struct
{
  char          *dir;
  KfServerState *state;
  KfIdentity    *bob;
  KfIdentity    *mallory;
  guint8         challenge[KF_PROTOCOL_CHALLENGE_SIZE];
  guint8         exporter[KF_KM_HELLO_EXPORTER_SIZE];
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("kf-test-identity-XXXXXX", &error);
  g_assert_no_error (error);
  f->state = kf_server_state_open (f->dir, &error);
  g_assert_no_error (error);
  f->bob = kf_identity_new_from_seed ((const guint8[KF_IDENTITY_SEED_SIZE]) { 0xb0, 0xb });
  f->mallory = kf_identity_new_from_seed ((const guint8[KF_IDENTITY_SEED_SIZE]) { 0x3a, 0x11 });
  memset (f->challenge, 0xc4, sizeof f->challenge);
  memset (f->exporter, 0xe7, sizeof f->exporter);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->bob);
  g_clear_object (&f->mallory);
  g_clear_object (&f->state);
  kf_test_remove_tree (f->dir);
  g_free (f->dir);
}

/* A hello from @who as @name, signed over the fixture's challenge and
 * exporter; answered by the key manager's check: 0 for welcome, else
 * the protocol error code + 1. */
static int
hello (Fixture    *f,
       KfIdentity *who,
       const char *name)
{
  g_autoptr(KfProtocolMessage) msg = kf_protocol_message_new (KF_MSG_HELLO);
  g_autoptr(GError) error = NULL;

  msg->version = KF_PROTOCOL_VERSION;
  kf_protocol_message_set_name (msg, name);
  memcpy (msg->public_key, kf_identity_get_public_key (who), KF_PROTOCOL_PUBLIC_KEY_SIZE);
  kf_km_hello_sign (who, f->challenge, f->exporter, name, msg->signature);
  if (kf_server_identity_check_hello (f->state, f->challenge, f->exporter, msg, &error))
    return 0;
  g_assert_true (error->domain == KF_PROTOCOL_ERROR);
  g_test_message ("%s: %s", name, error->message);
  return error->code + 1;
}

#define WELCOME    0
#define REFUSED(e) ((e) + 1)

/* The impersonation of issue 14: bob's name, under every spelling. */
static void
test_identity_names (Fixture       *f,
                     gconstpointer  data)
{
  const char *bobs[] = { "bob", "BOB", "\xd0\x92\xd0\xbe" "b", "B0b",
                         "\xef\xbc\xa2\xef\xbd\x8f\xef\xbd\x82" };

  g_assert_cmpint (hello (f, f->bob, "bob"), ==, WELCOME);
  for (gsize i = 0; i < G_N_ELEMENTS (bobs); i++)
    g_assert_cmpint (hello (f, f->mallory, bobs[i]), ==,
                     REFUSED (KF_PROTOCOL_ERROR_NAME_OWNED));
  g_assert_cmpint (hello (f, f->mallory, "mallory"), ==, WELCOME);
  /* Bob may spell it as he likes; so may his other connections. */
  g_assert_cmpint (hello (f, f->bob, "Bob"), ==, WELCOME);
  g_assert_cmpint (hello (f, f->bob, "bob"), ==, WELCOME);
  /* A name of nothing but invisible characters is no name. */
  g_assert_cmpint (hello (f, f->mallory, "\xe2\x80\x8b"), ==,
                   REFUSED (KF_PROTOCOL_ERROR_BAD_NAME));
}

/* A signature over another challenge, exporter (another TLS connection:
 * a relay) or name, or by another key, proves nothing. */
static void
test_identity_signature (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(KfProtocolMessage) msg = kf_protocol_message_new (KF_MSG_HELLO);
  g_autoptr(GError) error = NULL;
  guint8 relayed[KF_KM_HELLO_EXPORTER_SIZE];

  msg->version = KF_PROTOCOL_VERSION;
  kf_protocol_message_set_name (msg, "bob");
  memcpy (msg->public_key, kf_identity_get_public_key (f->bob), KF_PROTOCOL_PUBLIC_KEY_SIZE);
  memset (relayed, 0x99, sizeof relayed);
  kf_km_hello_sign (f->bob, f->challenge, relayed, "bob", msg->signature);
  g_assert_false (kf_server_identity_check_hello (f->state, f->challenge, f->exporter, msg,
                                                  &error));
  g_assert_error (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_BAD_IDENTITY);
  g_clear_error (&error);

  kf_km_hello_sign (f->mallory, f->challenge, f->exporter, "bob", msg->signature);
  g_assert_false (kf_server_identity_check_hello (f->state, f->challenge, f->exporter, msg,
                                                  &error));
  g_assert_error (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_BAD_IDENTITY);
  g_clear_error (&error);

  kf_km_hello_sign (f->bob, f->challenge, f->exporter, "rob", msg->signature);
  g_assert_false (kf_server_identity_check_hello (f->state, f->challenge, f->exporter, msg,
                                                  &error));
  g_assert_error (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_BAD_IDENTITY);
  g_clear_error (&error);

  /* Nothing was registered by the refused hellos. */
  g_assert_cmpint (hello (f, f->mallory, "bob"), ==, WELCOME);
}

/* Enrolment closed: bob (known) gets in, mallory (new) does not, until
 * the administrator adds her code. */
static void
test_identity_enrolment (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *code = kf_identity_code_for_key (kf_identity_get_public_key (f->mallory));

  g_assert_cmpint (hello (f, f->bob, "bob"), ==, WELCOME);
  g_assert_true (kf_server_state_set_enrolment_open (f->state, FALSE, NULL));
  g_assert_cmpint (hello (f, f->bob, "bob"), ==, WELCOME);
  g_assert_cmpint (hello (f, f->mallory, "mallory"), ==,
                   REFUSED (KF_PROTOCOL_ERROR_NOT_ENROLLED));
  g_assert_true (kf_server_state_add_identity (f->state, NULL, code, NULL));
  g_assert_cmpint (hello (f, f->mallory, "mallory"), ==, WELCOME);
}

int
main (int   argc,
      char *argv[])
{
  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) \
  g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/server-identity/names", test_identity_names);
  ADD ("/server-identity/signature", test_identity_signature);
  ADD ("/server-identity/enrolment", test_identity_enrolment);
#undef ADD

  return g_test_run ();
}
