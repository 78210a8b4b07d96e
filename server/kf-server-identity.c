/* kf-server-identity.c: who a `hello` says it is, and may it be
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The steps 4 to 6 of docs/PROTOCOL.md part 1 §4.3, in order: the
 * signature proves the identity (over the greeting's challenge and the
 * connection's exporter), the identity is admitted (known, or enrolled
 * while enrolment is open), and the name is its own (nobody else's in
 * folded form).  The lasting part lives in KfServerState; this file only
 * turns its answers into the protocol's error codes.
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-hex.h"
#include "kf-identity.h"
#include "kf-server-identity.h"

/* The protocol error for a refused admission or name. */
static void
refuse (GError     **error,
        GError      *cause,
        const char  *code)
{
  if (g_error_matches (cause, KF_SERVER_STATE_ERROR, KF_SERVER_STATE_ERROR_NOT_ENROLLED))
    g_set_error (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_NOT_ENROLLED,
                 _("This key manager admits only the identities its administrator knows; "
                   "yours is %s: ask them to add it"), code);
  else if (g_error_matches (cause, KF_SERVER_STATE_ERROR, KF_SERVER_STATE_ERROR_NAME_OWNED))
    g_set_error_literal (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_NAME_OWNED,
                         _("Another person already uses this name (or one that looks the "
                           "same) on this key manager: choose another name"));
  else if (g_error_matches (cause, KF_SERVER_STATE_ERROR, KF_SERVER_STATE_ERROR_NOT_FOUND))
    g_set_error_literal (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_BAD_NAME,
                         _("This name is empty once spaces and invisible characters are "
                           "removed: choose another name"));
  else
    {
      g_warning ("The key manager's database failed: %s", cause->message);
      g_set_error_literal (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_INTERNAL,
                           _("The key manager cannot read or write its database; try again "
                             "later"));
    }
  g_error_free (cause);
}

/*
 * kf_server_identity_check_hello:
 * @state: the key manager's lasting state
 * @challenge: the one this connection's greeting sent
 * @exporter: this connection's tls-exporter value
 * @hello: a parsed `hello` of the current version, with a clean name
 *
 * Returns: %TRUE when @hello's signature proves its public key, the
 * identity is admitted and the name is its own (registered now if it was
 * nobody's).  Otherwise %FALSE with a %KF_PROTOCOL_ERROR to send:
 * %KF_PROTOCOL_ERROR_BAD_IDENTITY, %KF_PROTOCOL_ERROR_NOT_ENROLLED,
 * %KF_PROTOCOL_ERROR_NAME_OWNED, %KF_PROTOCOL_ERROR_BAD_NAME (a name that
 * folds to nothing) or %KF_PROTOCOL_ERROR_INTERNAL.
 */
gboolean
kf_server_identity_check_hello (KfServerState           *state,
                                const guint8             challenge[KF_PROTOCOL_CHALLENGE_SIZE],
                                const guint8             exporter[KF_KM_HELLO_EXPORTER_SIZE],
                                const KfProtocolMessage *hello,
                                GError                 **error)
{
  g_autofree char *key = NULL;
  g_autofree char *code = NULL;
  GError *cause = NULL;

  g_return_val_if_fail (KF_IS_SERVER_STATE (state), FALSE);
  g_return_val_if_fail (hello != NULL && hello->name != NULL, FALSE);

  if (!kf_km_hello_verify (hello->public_key, challenge, exporter, hello->name,
                           hello->signature))
    {
      g_set_error_literal (error, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_BAD_IDENTITY,
                           _("The signature does not prove this identity for this connection"));
      return FALSE;
    }
  key = kf_hex_encode (hello->public_key, KF_PROTOCOL_PUBLIC_KEY_SIZE);
  code = kf_identity_code_for_key (hello->public_key);
  if (!kf_server_state_admit (state, key, code, &cause)
      || !kf_server_state_claim_name (state, key, hello->name, &cause))
    {
      refuse (error, cause, code);
      return FALSE;
    }
  return TRUE;
}
