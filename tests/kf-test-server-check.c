/* kf-test-server-check.c: the key manager's consistency, checked
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * For tests and the fuzzer (the server does not carry it): looks at a
 * KfServer from outside, through what it shows its own files
 * (kf-server-private.h), and says whether its connections, registry,
 * admission and sessions agree.
 */

#include "config.h"

#include "kf-server-private.h"
#include "kf-test-server-check.h"

typedef struct
{
  KfServerRegistry  *registry;
  KfServerAdmission *admission;
  GHashTable        *connections;   /* set */
} Check;

/* Whether @client's session holds it and one other connection that
 * points back to it; %NULL when so, else what is wrong. */
static const char *
check_session (Check           *check,
               KfServerClient  *client,
               KfServerSession *session)
{
  KfServerClient *sender = kf_server_session_get_peer (session, KF_ROLE_SENDER);
  KfServerClient *receiver = kf_server_session_get_peer (session, KF_ROLE_RECEIVER);
  KfServerClient *other = sender == client ? receiver : sender;

  if (sender == NULL || receiver == NULL || sender == receiver
      || (sender != client && receiver != client))
    return "a session does not hold its client as exactly one of two peers";
  if (kf_server_client_get_session (other) != session
      || !g_hash_table_contains (check->connections, other))
    return "a session's other peer is elsewhere";
  return NULL;
}

/* Checks one client's own state against the registry; see below. */
static gboolean
check_client (Check           *check,
              KfServerClient  *client,
              GError         **error)
{
  guint64 id = kf_server_client_get_id (client);
  KfClientPhase phase = kf_server_client_get_phase (client);
  KfServerSession *session = kf_server_client_get_session (client);
  gboolean waiting = kf_server_registry_is_waiting (check->registry, client);
  const char *why = NULL;

  if (phase == KF_CLIENT_CLOSED)
    why = "a closed client is still a connection";
  else if ((id != 0) != (phase >= KF_CLIENT_IDLE))
    why = "only greeted clients have an id";
  else if (id != 0 && kf_server_registry_lookup (check->registry, id) != client)
    why = "a greeted client is not registered under its id";
  else if (id == 0 && !kf_server_admission_is_pending (check->admission, client))
    why = "a client in its greeting is not counted as pending";
  else if (waiting != (phase == KF_CLIENT_WAITING))
    why = "the waiting list and the waiting clients differ";
  else if ((session != NULL) != (phase == KF_CLIENT_SESSION))
    why = "only clients in a session have one";
  else if (kf_server_client_get_watching (client) && phase != KF_CLIENT_IDLE)
    why = "a watcher is not idle";
  else if (session != NULL)
    why = check_session (check, client, session);
  if (why == NULL)
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "client %" G_GUINT64_FORMAT " (%s): %s",
               id, kf_server_client_get_address (client), why);
  return FALSE;
}

/* The waiting list holds each client at most once, and only connections. */
static gboolean
check_waiting (Check   *check,
               GError **error)
{
  g_autoptr(GPtrArray) waiting = kf_server_registry_list_waiting (check->registry, NULL,
                                                                  G_MAXUINT);
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);

  for (guint i = 0; i < waiting->len; i++)
    {
      gpointer client = g_ptr_array_index (waiting, i);

      if (!g_hash_table_add (seen, client) || !g_hash_table_contains (check->connections, client))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                               "the waiting list holds a client twice, or a gone one");
          return FALSE;
        }
    }
  return TRUE;
}

/*
 * kf_test_server_check:
 *
 * Checks that every connection, the registry, the admission and the
 * sessions agree.  A greeted client is registered under its id and the
 * others are pending; a client is waiting exactly when it is on the
 * waiting list, which holds each at most once and only connections; a
 * client has a session exactly when it is in one, and that session holds
 * it and one other connection that points back to it, so no client is in
 * two sessions; watchers are idle; and the registry holds no one else.
 *
 * Returns: %FALSE with @error naming the first broken rule.
 */
gboolean
kf_test_server_check (KfServer  *server,
                      GError   **error)
{
  g_autoptr(GPtrArray) clients = _kf_server_list_connections (server);
  g_autoptr(GHashTable) connections = g_hash_table_new (NULL, NULL);
  Check check = { _kf_server_get_registry (server), _kf_server_get_admission (server),
                  connections };
  guint greeted = 0;

  for (guint i = 0; i < clients->len; i++)
    g_hash_table_add (connections, g_ptr_array_index (clients, i));
  for (guint i = 0; i < clients->len; i++)
    {
      KfServerClient *client = g_ptr_array_index (clients, i);

      if (!check_client (&check, client, error))
        return FALSE;
      greeted += kf_server_client_get_id (client) != 0;
    }
  if (!check_waiting (&check, error))
    return FALSE;
  if (kf_server_registry_get_size (check.registry) != greeted)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "the registry holds %u clients, the connections %u greeted ones",
                   kf_server_registry_get_size (check.registry), greeted);
      return FALSE;
    }
  return TRUE;
}
