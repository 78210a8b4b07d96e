/* kf-discovered-server.c: one key manager seen in a DNS-SD announcement
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything here came from the network, from anyone on the LAN: the
 * constructor cleans every string once (kf_discovery_clean_text()) and
 * reads the TXT record as docs/PROTOCOL.md, "Discovery and join links",
 * says: the first occurrence of a key wins, unknown keys are ignored, a
 * malformed value is as if absent.  The fingerprint is a hint for people
 * to compare, never a pin: nothing trusts a key manager because of it.
 */

#include "config.h"

#include <string.h>

#include "kf-discovered-server.h"
#include "kf-discovery.h"
#include "kf-fingerprint.h"

/* Bounds for what we keep of a host name and an address (text). */
#define MAX_HOST_BYTES 255
#define MAX_ADDRESS_BYTES 64

struct _KfDiscoveredServer
{
  GObject  parent_instance;

  char    *name;
  char    *site;
  char    *host;
  char    *address;
  char    *fingerprint;
  guint16  port;
  guint    version;
};

G_DEFINE_FINAL_TYPE (KfDiscoveredServer, kf_discovered_server, G_TYPE_OBJECT)

static void
kf_discovered_server_finalize (GObject *object)
{
  KfDiscoveredServer *self = KF_DISCOVERED_SERVER (object);

  g_free (self->name);
  g_free (self->site);
  g_free (self->host);
  g_free (self->address);
  g_free (self->fingerprint);

  G_OBJECT_CLASS (kf_discovered_server_parent_class)->finalize (object);
}

static void
kf_discovered_server_class_init (KfDiscoveredServerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kf_discovered_server_finalize;
}

static void
kf_discovered_server_init (KfDiscoveredServer *self)
{
}

/* The value of the first "@key=…" in @txt, or %NULL. */
static const char *
txt_value (const char * const *txt,
           const char         *key)
{
  gsize len = strlen (key);

  for (gsize i = 0; txt != NULL && txt[i] != NULL; i++)
    {
      const char *eq = strchr (txt[i], '=');
      gsize key_len = eq != NULL ? (gsize) (eq - txt[i]) : strlen (txt[i]);

      /* DNS-SD keys are case-insensitive. */
      if (key_len == len && g_ascii_strncasecmp (txt[i], key, len) == 0)
        return eq != NULL ? eq + 1 : "";
    }
  return NULL;
}

static void
read_txt (KfDiscoveredServer *self,
          const char * const *txt)
{
  const char *version = txt_value (txt, KF_DISCOVERY_TXT_VERSION);
  const char *fp = txt_value (txt, KF_DISCOVERY_TXT_FP);
  const char *site = txt_value (txt, KF_DISCOVERY_TXT_SITE);
  guint64 number = 0;

  if (version != NULL && g_ascii_string_to_unsigned (version, 10, 1, G_MAXUINT16, &number, NULL))
    self->version = (guint) number;
  if (fp != NULL)
    self->fingerprint = kf_fingerprint_normalize (fp, NULL);
  if (site != NULL)
    self->site = kf_discovery_clean_text (site, KF_DISCOVERY_MAX_NAME);
  if (self->site != NULL && self->site[0] == '\0')
    g_clear_pointer (&self->site, g_free);
}

/*
 * kf_discovered_server_new:
 * @name: the service instance name, as announced
 * @host: the announcing host's name (e.g. "box.local"), as announced
 * @address: its address as text (IPv6 possibly with "%scope")
 * @port: the announced port
 * @txt: (nullable): the TXT record's strings, "key=value", %NULL-terminated
 *
 * Returns: (transfer full): the server, every string cleaned.
 */
KfDiscoveredServer *
kf_discovered_server_new (const char         *name,
                          const char         *host,
                          const char         *address,
                          guint16             port,
                          const char * const *txt)
{
  KfDiscoveredServer *self;

  g_return_val_if_fail (name != NULL && host != NULL && address != NULL, NULL);

  self = g_object_new (KF_TYPE_DISCOVERED_SERVER, NULL);
  self->name = kf_discovery_clean_text (name, KF_DISCOVERY_MAX_NAME);
  self->host = kf_discovery_clean_text (host, MAX_HOST_BYTES);
  self->address = kf_discovery_clean_text (address, MAX_ADDRESS_BYTES);
  self->port = port;
  read_txt (self, txt);
  return self;
}

/* Returns: the service name, cleaned. */
const char *
kf_discovered_server_get_name (KfDiscoveredServer *self)
{
  g_return_val_if_fail (KF_IS_DISCOVERED_SERVER (self), NULL);
  return self->name;
}

/* Returns: (nullable): the site name from the TXT record, cleaned. */
const char *
kf_discovered_server_get_site (KfDiscoveredServer *self)
{
  g_return_val_if_fail (KF_IS_DISCOVERED_SERVER (self), NULL);
  return self->site;
}

/* Returns: the announcing host's name, cleaned. */
const char *
kf_discovered_server_get_host (KfDiscoveredServer *self)
{
  g_return_val_if_fail (KF_IS_DISCOVERED_SERVER (self), NULL);
  return self->host;
}

/* Returns: the address the service resolved to, as text. */
const char *
kf_discovered_server_get_address (KfDiscoveredServer *self)
{
  g_return_val_if_fail (KF_IS_DISCOVERED_SERVER (self), NULL);
  return self->address;
}

guint16
kf_discovered_server_get_port (KfDiscoveredServer *self)
{
  g_return_val_if_fail (KF_IS_DISCOVERED_SERVER (self), 0);
  return self->port;
}

/* Returns: (nullable): the announced fingerprint (canonical), a hint only. */
const char *
kf_discovered_server_get_fingerprint (KfDiscoveredServer *self)
{
  g_return_val_if_fail (KF_IS_DISCOVERED_SERVER (self), NULL);
  return self->fingerprint;
}

/* Returns: the announced protocol version, 0 when absent or malformed. */
guint
kf_discovered_server_get_version (KfDiscoveredServer *self)
{
  g_return_val_if_fail (KF_IS_DISCOVERED_SERVER (self), 0);
  return self->version;
}

/*
 * kf_discovered_server_dup_target:
 *
 * Returns: (transfer full): "ADDRESS:PORT" ("[v6]:PORT" for IPv6), what
 * `--server` and kf_client_connect_async() take.
 */
char *
kf_discovered_server_dup_target (KfDiscoveredServer *self)
{
  g_return_val_if_fail (KF_IS_DISCOVERED_SERVER (self), NULL);

  if (strchr (self->address, ':') != NULL)
    return g_strdup_printf ("[%s]:%u", self->address, self->port);
  return g_strdup_printf ("%s:%u", self->address, self->port);
}

/*
 * kf_discovered_server_get_trust:
 * @known: the user's pinned key managers
 *
 * Returns: how the pin stored for this server's ADDRESS:PORT compares
 * with the fingerprint it announced: no pin is UNKNOWN, the same one
 * TRUSTED, another one (or a pin while nothing was announced) CHANGED.
 * Only a hint for the list people choose from: connecting checks the pin
 * against the certificate itself.
 */
KfDiscoveredTrust
kf_discovered_server_get_trust (KfDiscoveredServer *self,
                                KfKnownServers     *known)
{
  const char *pin;

  g_return_val_if_fail (KF_IS_DISCOVERED_SERVER (self), KF_DISCOVERED_TRUST_UNKNOWN);
  g_return_val_if_fail (KF_IS_KNOWN_SERVERS (known), KF_DISCOVERED_TRUST_UNKNOWN);

  pin = kf_known_servers_lookup (known, self->address, self->port);
  if (pin == NULL)
    return KF_DISCOVERED_TRUST_UNKNOWN;
  if (self->fingerprint != NULL && kf_fingerprint_equal (pin, self->fingerprint))
    return KF_DISCOVERED_TRUST_TRUSTED;
  return KF_DISCOVERED_TRUST_CHANGED;
}
