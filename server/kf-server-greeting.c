/* kf-server-greeting.c: a connection's greeting, up to `welcome`
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The greeting is what happens between a client's TLS handshake and its
 * id (docs/PROTOCOL.md part 1 §4): a client that did not choose ALPN
 * keyferry/2 is told to update; the others hear `keyferry 2
 * <none|passphrase> <challenge>`; the client may owe `auth <passphrase>`,
 * checked off the main loop by KfServerAdmission while its reading is
 * held; then it sends `hello 2 <name> <public_key> <signature>`, proving
 * its identity over the challenge and the connection's exporter, and is
 * welcomed with its id once the identity is admitted and the name its own
 * (kf-server-identity.c), or refused.
 * Every step of it is here, and nowhere else; the admission object holds
 * the limits it applies (kf-server-admission.c).  The absolute deadline
 * for the handshake and the greeting is the client's own.
 */

#include "config.h"

#include <gcrypt.h>
#include <glib/gi18n.h>

#include "kf-server-identity.h"
#include "kf-server-log.h"
#include "kf-server-private.h"
#include "kf-untrusted.h"

/*
 * _kf_server_greeting_start:
 *
 * @client's TLS handshake is done: it is sent the greeting and starts
 * reading, or, when the server holds max_clients connections already,
 * `err full` (fatal).  Told it needs no passphrase, it needs none even if
 * a reload turns one on before its hello.
 */
void
_kf_server_greeting_start (KfServer       *self,
                           KfServerClient *client)
{
  g_autoptr(KfProtocolMessage) greeting = kf_protocol_message_new (KF_MSG_GREETING);
  KfServerAdmission *admission = _kf_server_get_admission (self);

  if (!kf_server_client_speaks_current (client))
    {
      kf_server_client_send_error (client, KF_PROTOCOL_ERROR_VERSION,
                                   _("This key manager speaks Keyferry protocol version 2, which "
                                     "this program does not: update Keyferry on this computer"));
      return;
    }
  gcry_create_nonce (greeting->challenge, sizeof greeting->challenge);
  kf_server_client_set_challenge (client, greeting->challenge);
  greeting->version = KF_PROTOCOL_VERSION;
  greeting->auth_required = kf_server_admission_is_required (admission);
  kf_server_client_set_admitted (client, !greeting->auth_required);
  kf_server_client_send (client, greeting);
  if (!kf_server_admission_has_room (admission, client, _kf_server_get_n_connections (self)))
    {
      _kf_server_get_totals (self)->connections_refused++;
      kf_server_client_send_error (client, KF_PROTOCOL_ERROR_FULL,
                                   _("The key manager has too many clients; try again later"));
      return;
    }
  kf_server_client_start_reading (client);
}

typedef struct
{
  KfServer       *server;
  KfServerClient *client;
} AuthCheck;

static void
auth_check_free (AuthCheck *check)
{
  g_object_unref (check->server);
  g_object_unref (check->client);
  g_free (check);
}

static void
auth_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  AuthCheck *check = user_data;
  g_autoptr(GError) error = NULL;
  KfServerClient *client = check->client;

  if (kf_server_admission_check_finish (KF_SERVER_ADMISSION (source), result, &error))
    {
      kf_server_client_set_admitted (client, TRUE);
      kf_server_client_send_ok (client, KF_MSG_AUTH);
      kf_server_client_resume_reading (client);
    }
  else if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      _kf_server_get_totals (check->server)->auth_failures++;
      kf_server_log (KF_LOG_AUTH_FAILED, client, NULL, "Admission refused to %s: %s",
                     kf_server_client_get_address (client), error->message);
      kf_server_client_send_error (client, KF_PROTOCOL_ERROR_AUTH_FAILED,
                                   g_error_matches (error, KF_PROTOCOL_ERROR,
                                                    KF_PROTOCOL_ERROR_FULL)
                                   ? error->message : _("Wrong passphrase"));
    }
  auth_check_free (check);
}

/* `auth <passphrase>`: only in the greeting, only when required; the
 * client's lines wait while the passphrase is checked. */
void
_kf_server_greeting_auth (KfServer          *self,
                          KfServerClient    *client,
                          KfProtocolMessage *msg)
{
  KfServerAdmission *admission = _kf_server_get_admission (self);
  AuthCheck *check;

  if (kf_server_client_get_phase (client) != KF_CLIENT_GREETING)
    {
      kf_server_client_send_error (client, KF_PROTOCOL_ERROR_BAD_STATE, _("Already admitted"));
      return;
    }
  if (!kf_server_admission_is_required (admission))
    {
      kf_server_client_send_error (client, KF_PROTOCOL_ERROR_BAD_STATE,
                                   _("This key manager needs no passphrase"));
      return;
    }
  if (kf_server_client_get_admitted (client))
    {
      kf_server_client_send_error (client, KF_PROTOCOL_ERROR_BAD_STATE, _("Already admitted"));
      return;
    }

  check = g_new0 (AuthCheck, 1);
  check->server = g_object_ref (self);
  check->client = g_object_ref (client);
  kf_server_client_hold_reading (client);
  kf_server_admission_check_async (admission, kf_server_client_get_address (client), msg->text,
                                   kf_server_client_get_cancellable (client), auth_done, check);
}

/* The greeting is complete: @client gets its id, is registered, and is
 * told `welcome <id> <name>`; or, when its address already has
 * max_clients_per_address greeted clients, `err full` (fatal), so that
 * one host cannot take every client slot. */
static void
welcome (KfServer       *self,
         KfServerClient *client,
         const char     *name)
{
  g_autoptr(KfProtocolMessage) msg = kf_protocol_message_new (KF_MSG_WELCOME);

  if (!kf_server_admission_admit_greeted (_kf_server_get_admission (self), client))
    {
      _kf_server_get_totals (self)->connections_refused++;
      kf_server_client_send_error (client, KF_PROTOCOL_ERROR_FULL,
                                   _("Too many clients are connected from your address; "
                                     "close one and try again"));
      return;
    }
  _kf_server_register (self, client, name);

  msg->id = kf_server_client_get_id (client);
  kf_protocol_message_set_name (msg, name);
  kf_server_client_send (client, msg);
  kf_server_log (KF_LOG_CLIENT_JOINED, client, NULL,
                 "Client %" G_GUINT64_FORMAT " (%s) joined from %s", msg->id, name,
                 kf_server_client_get_address (client));
}

/* `hello 2 <name> <public_key> <signature>`: completes the greeting, once
 * the version matches, the passphrase (when one is required) was
 * accepted, the name is clean, the signature proves the identity, the
 * identity is admitted and the name is its own. */
void
_kf_server_greeting_hello (KfServer          *self,
                           KfServerClient    *client,
                           KfProtocolMessage *msg)
{
  g_autoptr(GError) error = NULL;
  guint8 exporter[KF_KM_HELLO_EXPORTER_SIZE];

  if (kf_server_client_get_phase (client) != KF_CLIENT_GREETING)
    {
      kf_server_client_send_error (client, KF_PROTOCOL_ERROR_BAD_STATE, _("Already greeted"));
      return;
    }
  if (msg->version != KF_PROTOCOL_VERSION)
    {
      g_autofree char *text = g_strdup_printf (_("This key manager speaks protocol version %d only"),
                                               KF_PROTOCOL_VERSION);

      kf_server_client_send_error (client, KF_PROTOCOL_ERROR_VERSION, text);
      return;
    }
  if (kf_server_admission_is_required (_kf_server_get_admission (self))
      && !kf_server_client_get_admitted (client))
    {
      kf_server_client_send_error (client, KF_PROTOCOL_ERROR_AUTH_REQUIRED,
                                   _("This key manager needs a passphrase: send auth first"));
      return;
    }
  if (!kf_untrusted_is_clean (msg->name))
    {
      kf_server_client_send_error (client, KF_PROTOCOL_ERROR_BAD_NAME,
                                   _("A display name must not contain control, bidirectional, "
                                     "zero-width or line separator characters"));
      return;
    }
  if (!kf_server_client_get_exporter (client, exporter, &error)
      || !kf_server_identity_check_hello (_kf_server_get_state (self),
                                          kf_server_client_get_challenge (client), exporter, msg,
                                          &error))
    {
      kf_server_log (KF_LOG_ADMISSION_REFUSED, client, NULL, "Hello refused to %s: %s",
                     kf_server_client_get_address (client), error->message);
      kf_server_client_send_error (client, error->domain == KF_PROTOCOL_ERROR
                                           ? (KfProtocolError) error->code
                                           : KF_PROTOCOL_ERROR_VERSION, error->message);
      return;
    }
  kf_server_client_set_public_key (client, msg->public_key);

  welcome (self, client, msg->name);
}
