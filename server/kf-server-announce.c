/* kf-server-announce.c: the key manager announces itself with DNS-SD
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Registers one `_keyferry._tcp` service with the system's Avahi daemon
 * (over D-Bus, through libavahi-client on the default main context), with
 * the TXT record of docs/PROTOCOL.md, "Discovery and join links": the
 * protocol version, the certificate's fingerprint and the site name.
 *
 * Avahi is a convenience, never a condition: when the daemon is not
 * there, one g_message says so and the key manager runs as before; when
 * it appears later (or restarts), the service is registered then.  A
 * name taken by another service on the network is replaced by Avahi's
 * alternative ("Lab 3 #2"), as DNS-SD asks.
 *
 * Why libavahi-client rather than our own GDBus calls: it is the API
 * Avahi documents and keeps stable, it follows the daemon's restarts and
 * it handles name collisions; avahi-glib runs it on GLib's main loop.
 */

#include "config.h"

#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/alternative.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-glib/glib-watch.h>
#include <gio/gio.h>
#include <glib/gi18n.h>

#include "kf-discovery.h"
#include "kf-protocol.h"
#include "kf-server-announce.h"

struct _KfServerAnnounce
{
  GObject          parent_instance;

  AvahiGLibPoll   *poll;
  AvahiClient     *client;
  AvahiEntryGroup *group;
  char            *name;
  char            *site;
  char            *fingerprint;
  guint16          port;
  gboolean         said_absent;
};

G_DEFINE_FINAL_TYPE (KfServerAnnounce, kf_server_announce, G_TYPE_OBJECT)

static void start_client     (KfServerAnnounce *self);
static void register_service (KfServerAnnounce *self,
                              AvahiClient      *client);

static void
kf_server_announce_dispose (GObject *object)
{
  KfServerAnnounce *self = KF_SERVER_ANNOUNCE (object);

  /* Freeing the client frees its entry group and withdraws the service. */
  g_clear_pointer (&self->client, avahi_client_free);
  self->group = NULL;
  g_clear_pointer (&self->poll, avahi_glib_poll_free);

  G_OBJECT_CLASS (kf_server_announce_parent_class)->dispose (object);
}

static void
kf_server_announce_finalize (GObject *object)
{
  KfServerAnnounce *self = KF_SERVER_ANNOUNCE (object);

  g_free (self->name);
  g_free (self->site);
  g_free (self->fingerprint);

  G_OBJECT_CLASS (kf_server_announce_parent_class)->finalize (object);
}

static void
kf_server_announce_class_init (KfServerAnnounceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kf_server_announce_dispose;
  object_class->finalize = kf_server_announce_finalize;
}

static void
kf_server_announce_init (KfServerAnnounce *self)
{
}

/* The service name: the site name, else "Keyferry on HOST", cut to a
 * DNS label's 63 bytes on a character boundary. */
static char *
default_service_name (const char *site)
{
  g_autofree char *name = NULL;

  if (site != NULL)
    return g_strdup (site);
  name = g_strdup_printf (_("Keyferry on %s"), g_get_host_name ());
  return kf_discovery_clean_text (name, KF_DISCOVERY_MAX_NAME);
}

/* Takes Avahi's next alternative for a name someone else holds. */
static void
pick_alternative_name (KfServerAnnounce *self)
{
  char *alternative = avahi_alternative_service_name (self->name);

  g_message ("The name “%s” is taken on the network; announcing as “%s”", self->name,
             alternative);
  g_free (self->name);
  self->name = g_strdup (alternative);
  avahi_free (alternative);
}

static void
group_cb (AvahiEntryGroup      *group,
          AvahiEntryGroupState  state,
          void                 *user_data)
{
  KfServerAnnounce *self = user_data;

  switch (state)
    {
    case AVAHI_ENTRY_GROUP_ESTABLISHED:
      g_message ("Announced on the network as “%s” (%s)", self->name,
                 KF_DISCOVERY_SERVICE_TYPE);
      break;
    case AVAHI_ENTRY_GROUP_COLLISION:
      pick_alternative_name (self);
      avahi_entry_group_reset (group);
      register_service (self, avahi_entry_group_get_client (group));
      break;
    case AVAHI_ENTRY_GROUP_FAILURE:
      g_message ("Could not announce the key manager on the network: %s",
                 avahi_strerror (avahi_client_errno (avahi_entry_group_get_client (group))));
      break;
    case AVAHI_ENTRY_GROUP_UNCOMMITED:
    case AVAHI_ENTRY_GROUP_REGISTERING:
    default:
      break;
    }
}

/* Adds the service to the (new or reset) entry group and commits it. */
static void
register_service (KfServerAnnounce *self,
                  AvahiClient      *client)
{
  g_autofree char *version = g_strdup_printf (KF_DISCOVERY_TXT_VERSION "=%d",
                                              KF_PROTOCOL_VERSION);
  g_autofree char *fp = g_strconcat (KF_DISCOVERY_TXT_FP "=", self->fingerprint, NULL);
  g_autofree char *site = self->site != NULL
                          ? g_strconcat (KF_DISCOVERY_TXT_SITE "=", self->site, NULL) : NULL;
  int ret;

  if (self->group == NULL)
    self->group = avahi_entry_group_new (client, group_cb, self);
  if (self->group == NULL)
    {
      g_message ("Could not announce the key manager on the network: %s",
                 avahi_strerror (avahi_client_errno (client)));
      return;
    }

  for (guint tries = 0; tries < 16; tries++)
    {
      ret = avahi_entry_group_add_service (self->group, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0,
                                           self->name, KF_DISCOVERY_SERVICE_TYPE, NULL, NULL,
                                           self->port, version, fp, site, NULL);
      if (ret != AVAHI_ERR_COLLISION)
        break;
      pick_alternative_name (self);
    }
  if (ret >= 0)
    ret = avahi_entry_group_commit (self->group);
  if (ret < 0)
    g_message ("Could not announce the key manager on the network: %s", avahi_strerror (ret));
}

static gboolean
restart_client_cb (gpointer user_data)
{
  KfServerAnnounce *self = user_data;

  start_client (self);
  return G_SOURCE_REMOVE;
}

static void
client_cb (AvahiClient      *client,
           AvahiClientState  state,
           void             *user_data)
{
  KfServerAnnounce *self = user_data;

  switch (state)
    {
    case AVAHI_CLIENT_S_RUNNING:
      self->said_absent = FALSE;
      register_service (self, client);
      break;
    case AVAHI_CLIENT_S_COLLISION:
    case AVAHI_CLIENT_S_REGISTERING:
      /* The host name changes: register again once running. */
      if (self->group != NULL)
        avahi_entry_group_reset (self->group);
      break;
    case AVAHI_CLIENT_CONNECTING:
      if (!self->said_absent)
        g_message ("Avahi is not running: the key manager is not announced on the network "
                   "(clients need its address) until avahi-daemon starts");
      self->said_absent = TRUE;
      break;
    case AVAHI_CLIENT_FAILURE:
      /* The daemon went away: start over, waiting for it to come back.
       * Not from inside the client's own callback. */
      g_message ("Lost Avahi (%s); waiting for it to come back",
                 avahi_strerror (avahi_client_errno (client)));
      self->said_absent = TRUE;
      g_idle_add_full (G_PRIORITY_DEFAULT, restart_client_cb, g_object_ref (self),
                       g_object_unref);
      break;
    default:
      break;
    }
}

static void
start_client (KfServerAnnounce *self)
{
  int error = 0;

  if (self->poll == NULL)
    return;
  g_clear_pointer (&self->client, avahi_client_free);
  self->group = NULL;
  self->client = avahi_client_new (avahi_glib_poll_get (self->poll), AVAHI_CLIENT_NO_FAIL,
                                   client_cb, self, &error);
  if (self->client == NULL)
    g_message ("The key manager is not announced on the network: %s (no D-Bus system bus?)",
               avahi_strerror (error));
}

/*
 * kf_server_announce_new:
 * @site_name: (nullable): the name people see, already checked with
 *   kf_discovery_site_name_is_valid(); %NULL for "Keyferry on HOST"
 * @port: the port the key manager listens on
 * @fingerprint: its certificate's canonical fingerprint
 *
 * Returns: (transfer full): an announcer; nothing happens before
 * kf_server_announce_start().
 */
KfServerAnnounce *
kf_server_announce_new (const char *site_name,
                        guint16     port,
                        const char *fingerprint)
{
  KfServerAnnounce *self;

  g_return_val_if_fail (fingerprint != NULL && port != 0, NULL);
  g_return_val_if_fail (site_name == NULL || kf_discovery_site_name_is_valid (site_name), NULL);

  self = g_object_new (KF_TYPE_SERVER_ANNOUNCE, NULL);
  self->site = g_strdup (site_name);
  self->name = default_service_name (site_name);
  self->port = port;
  self->fingerprint = g_strdup (fingerprint);
  return self;
}

/*
 * kf_server_announce_start:
 *
 * Connects to Avahi on the default main context and registers the
 * service; never fails: what goes wrong is logged with g_message, and the
 * service is registered whenever Avahi (re)appears.  Dropping the last
 * reference withdraws it.
 */
void
kf_server_announce_start (KfServerAnnounce *self)
{
  g_return_if_fail (KF_IS_SERVER_ANNOUNCE (self));
  g_return_if_fail (self->poll == NULL);

  self->poll = avahi_glib_poll_new (NULL, G_PRIORITY_DEFAULT);
  start_client (self);
}

/*
 * kf_server_announce_get_service_name:
 *
 * Returns: the service instance name in use (it changes on a collision).
 */
const char *
kf_server_announce_get_service_name (KfServerAnnounce *self)
{
  g_return_val_if_fail (KF_IS_SERVER_ANNOUNCE (self), NULL);

  return self->name;
}

/*
 * kf_server_announce_new_for:
 * @listen: (nullable): the address the key manager listens on (%NULL: all)
 *
 * The announcer keyferry-server runs: created and started, unless the key
 * manager listens on a loopback address only, which no other host could
 * reach (then one g_message and %NULL).
 *
 * Returns: (transfer full) (nullable): the started announcer.
 */
KfServerAnnounce *
kf_server_announce_new_for (const char *listen,
                            const char *site_name,
                            guint16     port,
                            const char *fingerprint)
{
  g_autoptr(GInetAddress) address = listen != NULL ? g_inet_address_new_from_string (listen) : NULL;
  KfServerAnnounce *self;

  if (address != NULL && g_inet_address_get_is_loopback (address))
    {
      g_message ("Not announced on the network: the key manager listens on %s only", listen);
      return NULL;
    }
  self = kf_server_announce_new (site_name, port, fingerprint);
  kf_server_announce_start (self);
  return self;
}
