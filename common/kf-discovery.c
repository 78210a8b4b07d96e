/* kf-discovery.c: finding key managers on the LAN with DNS-SD
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A KfDiscovery browses `_keyferry._tcp` through the system's Avahi
 * daemon (libavahi-client on the thread-default main context), resolves
 * each service and keeps a live GListModel of KfDiscoveredServer, one per
 * service name and domain, however many interfaces and address families
 * it is seen on: the app's connect page binds a list to it, and
 * `keyferry-cli servers` prints it once it is settled (Avahi said "all
 * for now" and every resolution in flight has ended).
 *
 * What it finds is a list of places to try, never trust: the announced
 * fingerprint is shown to people, and a first connection still asks (or
 * takes a pin the administrator handed out), as docs/SECURITY.md says.
 */

#include "config.h"

#include <net/if.h>
#include <string.h>
#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-glib/glib-watch.h>
#include <glib/gi18n-lib.h>

#include "kf-discovery.h"
#include "kf-untrusted.h"

/* Most services kept at once: a hostile LAN cannot make us grow for ever. */
#define MAX_SERVICES 256

/* One service name seen on one or more (interface, protocol) pairs. */
typedef struct
{
  KfDiscoveredServer *server;    /* NULL until resolved once */
  guint               instances;
} Entry;

struct _KfDiscovery
{
  GObject              parent_instance;

  AvahiGLibPoll       *poll;
  AvahiClient         *client;
  AvahiServiceBrowser *browser;
  GListStore          *servers;
  GHashTable          *entries;   /* "name\ndomain" → Entry */
  GError              *error;
  guint                resolving;
  gboolean             all_for_now;
};

G_DEFINE_FINAL_TYPE (KfDiscovery, kf_discovery, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_SETTLED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/*
 * kf_discovery_clean_text:
 * @text: a string from the network, any bytes
 * @max_bytes: the most bytes to keep (cut on a character boundary)
 *
 * Returns: (transfer full): @text cleaned by kf_untrusted_clean() (safe
 * to show and to log) and cut to @max_bytes.  A pure function.
 */
char *
kf_discovery_clean_text (const char *text,
                         gsize       max_bytes)
{
  g_autofree char *clean = kf_untrusted_clean (text, -1);
  const char *end = clean;

  while (*end != '\0' && (gsize) (g_utf8_next_char (end) - clean) <= max_bytes)
    end = g_utf8_next_char (end);
  return g_strndup (clean, (gsize) (end - clean));
}

/*
 * kf_discovery_site_name_is_valid:
 *
 * Returns: whether @site_name can be announced: 1 to 63 bytes of UTF-8
 * (a DNS label) that kf_untrusted_is_clean() accepts.
 */
gboolean
kf_discovery_site_name_is_valid (const char *site_name)
{
  gsize len;

  if (site_name == NULL || !kf_untrusted_is_clean (site_name))
    return FALSE;
  len = strlen (site_name);
  return len > 0 && len <= KF_DISCOVERY_MAX_NAME;
}

static void
entry_free (Entry *entry)
{
  g_clear_object (&entry->server);
  g_free (entry);
}

static void
kf_discovery_dispose (GObject *object)
{
  KfDiscovery *self = KF_DISCOVERY (object);

  /* Freeing the client frees its browser and resolvers. */
  g_clear_pointer (&self->client, avahi_client_free);
  self->browser = NULL;
  g_clear_pointer (&self->poll, avahi_glib_poll_free);
  g_clear_pointer (&self->entries, g_hash_table_unref);
  g_clear_object (&self->servers);

  G_OBJECT_CLASS (kf_discovery_parent_class)->dispose (object);
}

static void
kf_discovery_finalize (GObject *object)
{
  KfDiscovery *self = KF_DISCOVERY (object);

  g_clear_error (&self->error);

  G_OBJECT_CLASS (kf_discovery_parent_class)->finalize (object);
}

static void
kf_discovery_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  KfDiscovery *self = KF_DISCOVERY (object);

  switch (prop_id)
    {
    case PROP_SETTLED:
      g_value_set_boolean (value, kf_discovery_is_settled (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kf_discovery_class_init (KfDiscoveryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = kf_discovery_dispose;
  object_class->finalize = kf_discovery_finalize;
  object_class->get_property = kf_discovery_get_property;

  /* Avahi said "all for now" and no resolution is in flight, or
   * browsing failed (kf_discovery_get_error()). */
  properties[PROP_SETTLED] =
    g_param_spec_boolean ("settled", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
kf_discovery_init (KfDiscovery *self)
{
  self->servers = g_list_store_new (KF_TYPE_DISCOVERED_SERVER);
  self->entries = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) entry_free);
}

/* Notifies "settled" when it is no longer @was. */
static void
update_settled (KfDiscovery *self,
                gboolean     was)
{
  if (kf_discovery_is_settled (self) != was)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SETTLED]);
}

static void
fail (KfDiscovery *self,
      int          avahi_error)
{
  gboolean was = kf_discovery_is_settled (self);

  if (self->error == NULL)
    self->error = g_error_new (G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                               _("Cannot look for key managers on the network: %s. "
                                 "Is avahi-daemon running? Give the key manager’s address "
                                 "instead."),
                               avahi_strerror (avahi_error));
  update_settled (self, was);
}

static char *
entry_key (const char *name,
           const char *domain)
{
  return g_strconcat (name, "\n", domain, NULL);
}

/* Where @server sits in the store, or G_MAXUINT. */
static guint
store_position (KfDiscovery        *self,
                KfDiscoveredServer *server)
{
  guint position;

  if (server != NULL && g_list_store_find (self->servers, server, &position))
    return position;
  return G_MAXUINT;
}

/* The address as text; a link-local IPv6 address gets its "%interface". */
static char *
address_text (const AvahiAddress *address,
              AvahiIfIndex        interface)
{
  char text[AVAHI_ADDRESS_STR_MAX];
  char name[IF_NAMESIZE];

  avahi_address_snprint (text, sizeof text, address);
  if (address->proto == AVAHI_PROTO_INET6 && g_str_has_prefix (text, "fe80:")
      && interface >= 0 && if_indextoname ((unsigned) interface, name) != NULL)
    return g_strdup_printf ("%s%%%s", text, name);
  return g_strdup (text);
}

static char **
txt_strings (AvahiStringList *txt)
{
  GPtrArray *strings = g_ptr_array_new ();

  for (AvahiStringList *l = txt; l != NULL; l = avahi_string_list_get_next (l))
    g_ptr_array_add (strings, g_strndup ((const char *) avahi_string_list_get_text (l),
                                         avahi_string_list_get_size (l)));
  g_ptr_array_add (strings, NULL);
  return (char **) g_ptr_array_free (strings, FALSE);
}

static void
resolve_cb (AvahiServiceResolver   *resolver,
            AvahiIfIndex            interface,
            AvahiProtocol           protocol,
            AvahiResolverEvent      event,
            const char             *name,
            const char             *type,
            const char             *domain,
            const char             *host,
            const AvahiAddress     *address,
            uint16_t                port,
            AvahiStringList        *txt,
            AvahiLookupResultFlags  flags,
            void                   *user_data)
{
  KfDiscovery *self = user_data;
  gboolean was = kf_discovery_is_settled (self);
  g_autofree char *key = entry_key (name, domain);
  Entry *entry = g_hash_table_lookup (self->entries, key);

  if (event == AVAHI_RESOLVER_FOUND && entry != NULL && entry->server == NULL && port != 0)
    {
      g_autofree char *text = address_text (address, interface);
      g_auto(GStrv) strings = txt_strings (txt);

      entry->server = kf_discovered_server_new (name, host, text, port,
                                                (const char * const *) strings);
      g_list_store_append (self->servers, entry->server);
    }
  else if (event != AVAHI_RESOLVER_FOUND)
    g_debug ("Could not resolve a key manager's announcement: %s",
             avahi_strerror (avahi_client_errno (avahi_service_resolver_get_client (resolver))));

  avahi_service_resolver_free (resolver);
  self->resolving--;
  update_settled (self, was);
}

static void
service_new (KfDiscovery  *self,
             AvahiIfIndex  interface,
             AvahiProtocol protocol,
             const char   *name,
             const char   *type,
             const char   *domain)
{
  g_autofree char *key = entry_key (name, domain);
  Entry *entry = g_hash_table_lookup (self->entries, key);

  if (entry == NULL)
    {
      if (g_hash_table_size (self->entries) >= MAX_SERVICES)
        return;
      entry = g_new0 (Entry, 1);
      g_hash_table_insert (self->entries, g_steal_pointer (&key), entry);
    }
  entry->instances++;
  if (entry->server != NULL)
    return;
  if (avahi_service_resolver_new (self->client, interface, protocol, name, type, domain,
                                  AVAHI_PROTO_UNSPEC, 0, resolve_cb, self) != NULL)
    self->resolving++;
}

static void
service_removed (KfDiscovery *self,
                 const char  *name,
                 const char  *domain)
{
  g_autofree char *key = entry_key (name, domain);
  Entry *entry = g_hash_table_lookup (self->entries, key);
  guint position;

  if (entry == NULL || --entry->instances > 0)
    return;
  position = store_position (self, entry->server);
  if (position != G_MAXUINT)
    g_list_store_remove (self->servers, position);
  g_hash_table_remove (self->entries, key);
}

static void
browse_cb (AvahiServiceBrowser    *browser,
           AvahiIfIndex            interface,
           AvahiProtocol           protocol,
           AvahiBrowserEvent       event,
           const char             *name,
           const char             *type,
           const char             *domain,
           AvahiLookupResultFlags  flags,
           void                   *user_data)
{
  KfDiscovery *self = user_data;
  gboolean was = kf_discovery_is_settled (self);

  switch (event)
    {
    case AVAHI_BROWSER_NEW:
      service_new (self, interface, protocol, name, type, domain);
      break;
    case AVAHI_BROWSER_REMOVE:
      service_removed (self, name, domain);
      break;
    case AVAHI_BROWSER_ALL_FOR_NOW:
      self->all_for_now = TRUE;
      break;
    case AVAHI_BROWSER_FAILURE:
      fail (self, avahi_client_errno (avahi_service_browser_get_client (browser)));
      break;
    case AVAHI_BROWSER_CACHE_EXHAUSTED:
    default:
      break;
    }
  update_settled (self, was);
}

static void
client_cb (AvahiClient      *client,
           AvahiClientState  state,
           void             *user_data)
{
  KfDiscovery *self = user_data;

  if (state == AVAHI_CLIENT_FAILURE)
    fail (self, avahi_client_errno (client));
}

/*
 * kf_discovery_new:
 *
 * Returns: (transfer full): a discovery that finds nothing until
 * kf_discovery_start().
 */
KfDiscovery *
kf_discovery_new (void)
{
  return g_object_new (KF_TYPE_DISCOVERY, NULL);
}

/*
 * kf_discovery_start:
 *
 * Connects to Avahi and starts browsing, on the thread-default main
 * context.  Returns %FALSE with %G_IO_ERROR_NOT_CONNECTED (a message
 * people can read) when Avahi is not there; the same error, from
 * kf_discovery_get_error(), when browsing fails later.
 */
gboolean
kf_discovery_start (KfDiscovery  *self,
                    GError      **error)
{
  int avahi_error = 0;

  g_return_val_if_fail (KF_IS_DISCOVERY (self), FALSE);
  g_return_val_if_fail (self->poll == NULL, FALSE);

  self->poll = avahi_glib_poll_new (g_main_context_get_thread_default (), G_PRIORITY_DEFAULT);
  self->client = avahi_client_new (avahi_glib_poll_get (self->poll), 0, client_cb, self,
                                   &avahi_error);
  if (self->client != NULL)
    self->browser = avahi_service_browser_new (self->client, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC,
                                               KF_DISCOVERY_SERVICE_TYPE, NULL, 0, browse_cb,
                                               self);
  if (self->browser == NULL)
    {
      fail (self, self->client != NULL ? avahi_client_errno (self->client) : avahi_error);
      g_propagate_error (error, g_error_copy (self->error));
      return FALSE;
    }
  return TRUE;
}

/*
 * kf_discovery_get_servers:
 *
 * Returns: (transfer none): the live list of KfDiscoveredServer, in the
 * order they were found.
 */
GListModel *
kf_discovery_get_servers (KfDiscovery *self)
{
  g_return_val_if_fail (KF_IS_DISCOVERY (self), NULL);

  return G_LIST_MODEL (self->servers);
}

/*
 * kf_discovery_is_settled:
 *
 * Returns: whether what is on the network now has been seen and resolved
 * (the list may still change later), or browsing failed.
 */
gboolean
kf_discovery_is_settled (KfDiscovery *self)
{
  g_return_val_if_fail (KF_IS_DISCOVERY (self), FALSE);

  return self->error != NULL || (self->all_for_now && self->resolving == 0);
}

/*
 * kf_discovery_get_error:
 *
 * Returns: (nullable) (transfer none): why browsing failed, or %NULL.
 */
const GError *
kf_discovery_get_error (KfDiscovery *self)
{
  g_return_val_if_fail (KF_IS_DISCOVERY (self), NULL);

  return self->error;
}
