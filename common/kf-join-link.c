/* kf-join-link.c: the join link, keyferry://HOST:PORT/?fp=…
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A join link carries a key manager's address and the fingerprint its
 * administrator vouches for, so that opening it connects and trusts in
 * one step (the fingerprint becomes the expected pin: a different
 * certificate is a hard failure naming both).  The grammar is in
 * docs/PROTOCOL.md, "Discovery and join links"; both functions are pure.
 */

#include "config.h"

#include <string.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "kf-fingerprint.h"
#include "kf-join-link.h"
#include "kf-protocol.h"

/*
 * kf_join_link_is_link:
 *
 * Returns: whether @text starts with "keyferry:" (any case): what a
 * `--server` or an opened URI must then parse as a join link.
 */
gboolean
kf_join_link_is_link (const char *text)
{
  return text != NULL && g_ascii_strncasecmp (text, KF_JOIN_LINK_SCHEME ":",
                                              strlen (KF_JOIN_LINK_SCHEME ":")) == 0;
}

/*
 * kf_join_link_format:
 * @host: an IP address (IPv6 without brackets, a zone as "%eth0") or a
 *   host name
 * @fingerprint: a canonical fingerprint (64 lower-case hex digits)
 *
 * Returns: (transfer full): "keyferry://HOST:PORT/?fp=HEX".
 */
char *
kf_join_link_format (const char *host,
                     guint16     port,
                     const char *fingerprint)
{
  g_autofree char *escaped = NULL;
  const char *zone;

  g_return_val_if_fail (host != NULL && fingerprint != NULL, NULL);

  if (strchr (host, ':') == NULL)
    return g_strdup_printf (KF_JOIN_LINK_SCHEME "://%s:%u/?fp=%s", host, port, fingerprint);
  /* RFC 6874: an IPv6 zone is written "%25zone" inside the brackets. */
  zone = strchr (host, '%');
  escaped = zone != NULL ? g_strdup_printf ("%.*s%%25%s", (int) (zone - host), host, zone + 1)
                         : g_strdup (host);
  return g_strdup_printf (KF_JOIN_LINK_SCHEME "://[%s]:%u/?fp=%s", escaped, port, fingerprint);
}

static gboolean
bad_link (GError     **error,
          const char  *why)
{
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               _("This is not a Keyferry join link (%s). A join link looks like "
                 "keyferry://HOST:PORT/?fp=FINGERPRINT; ask the key manager’s administrator "
                 "for it again."), why);
  return FALSE;
}

/* An IP address, or a host name of letters, digits, '-', '_' and '.'. */
static gboolean
is_host (const char *host)
{
  gsize len = strlen (host);

  if (g_hostname_is_ip_address (host))
    return TRUE;
  if (len == 0 || len > 253)
    return FALSE;
  for (const char *p = host; *p != '\0'; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

/* The fp parameter of @query, normalised; %NULL with @error. */
static char *
query_fingerprint (const char  *query,
                   GError     **error)
{
  g_autoptr(GHashTable) params = NULL;
  const char *fp;

  if (query == NULL)
    return bad_link (error, _("it has no fingerprint")), NULL;
  params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_NONE, NULL);
  fp = params != NULL ? g_hash_table_lookup (params, "fp") : NULL;
  if (fp == NULL)
    return bad_link (error, _("it has no fingerprint")), NULL;
  return kf_fingerprint_normalize (fp, error);
}

/*
 * kf_join_link_parse:
 * @link: the link as given
 * @host: (out): the host: an IP address (IPv6 without brackets) or a name
 * @port: (out): the port, %KF_PROTOCOL_DEFAULT_PORT when the link has none
 * @fingerprint: (out): the canonical fingerprint
 *
 * Returns: %FALSE with %G_IO_ERROR_INVALID_ARGUMENT (or the fingerprint's
 * %G_IO_ERROR_INVALID_DATA) when @link is not "keyferry://HOST[:PORT]"
 * (HOST an IP address, IPv6 in brackets, or a host name of letters,
 * digits, '-', '_' and '.') with an empty path or "/", no user part, and a query whose "fp" holds a
 * fingerprint in a form `--fingerprint` accepts; other query parameters
 * and a fragment are ignored.
 */
gboolean
kf_join_link_parse (const char  *link,
                    char       **host,
                    guint16     *port,
                    char       **fingerprint,
                    GError     **error)
{
  g_autoptr(GUri) uri = NULL;
  g_autofree char *fp = NULL;
  const char *path;
  int uri_port;

  g_return_val_if_fail (link != NULL && host != NULL && port != NULL && fingerprint != NULL,
                        FALSE);

  uri = g_uri_parse (link, G_URI_FLAGS_ENCODED_QUERY | G_URI_FLAGS_NON_DNS, NULL);
  if (uri == NULL || g_ascii_strcasecmp (g_uri_get_scheme (uri), KF_JOIN_LINK_SCHEME) != 0)
    return bad_link (error, _("it does not start with keyferry://"));
  if (g_uri_get_host (uri) == NULL || g_uri_get_host (uri)[0] == '\0')
    return bad_link (error, _("it names no host"));
  if (!is_host (g_uri_get_host (uri)))
    return bad_link (error, _("its host is neither an IP address nor a host name"));
  if (g_uri_get_userinfo (uri) != NULL)
    return bad_link (error, _("it has a user name"));
  path = g_uri_get_path (uri);
  if (path[0] != '\0' && strcmp (path, "/") != 0)
    return bad_link (error, _("it has a path"));
  uri_port = g_uri_get_port (uri);
  if (uri_port == 0)
    return bad_link (error, _("its port is 0"));
  fp = query_fingerprint (g_uri_get_query (uri), error);
  if (fp == NULL)
    return FALSE;

  *host = g_strdup (g_uri_get_host (uri));
  *port = uri_port > 0 ? (guint16) uri_port : KF_PROTOCOL_DEFAULT_PORT;
  *fingerprint = g_steal_pointer (&fp);
  return TRUE;
}
