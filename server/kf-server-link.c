/* kf-server-link.c: the key manager's join link and its QR code
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * `keyferry-server --print-link` and the start-up lines give the join link
 * (common/kf-join-link.c) for the address people should use: the --listen
 * address when there is one, else this host's first IPv4 address that is
 * up and not loopback (else a global IPv6 one, else the host name).  On a
 * terminal the link is also drawn as a QR code (libqrencode), two modules
 * per character cell, light modules as full blocks, with the four-module
 * quiet zone the standard asks for.
 */

#include "config.h"

#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gi18n.h>
#include <qrencode.h>

#include "kf-join-link.h"
#include "kf-server-link.h"

#define QUIET_ZONE 4

/* The first usable address of @family on an interface that is up. */
static char *
first_address (int family)
{
  struct ifaddrs *list = NULL;
  char *found = NULL;

  if (getifaddrs (&list) != 0)
    return NULL;
  for (struct ifaddrs *i = list; i != NULL && found == NULL; i = i->ifa_next)
    {
      g_autoptr(GSocketAddress) address = NULL;
      GInetAddress *inet;

      if (i->ifa_addr == NULL || i->ifa_addr->sa_family != family
          || !(i->ifa_flags & IFF_UP) || (i->ifa_flags & IFF_LOOPBACK))
        continue;
      address = g_socket_address_new_from_native (i->ifa_addr, family == AF_INET
                                                  ? sizeof (struct sockaddr_in)
                                                  : sizeof (struct sockaddr_in6));
      inet = G_IS_INET_SOCKET_ADDRESS (address)
             ? g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)) : NULL;
      if (inet != NULL && !g_inet_address_get_is_link_local (inet)
          && !g_inet_address_get_is_loopback (inet))
        found = g_inet_address_to_string (inet);
    }
  freeifaddrs (list);
  return found;
}

/*
 * kf_server_link_host:
 * @listen: (nullable): the --listen address
 *
 * Returns: (transfer full): the host to put in the join link.
 */
char *
kf_server_link_host (const char *listen)
{
  g_autoptr(GInetAddress) address = listen != NULL ? g_inet_address_new_from_string (listen)
                                                   : NULL;
  char *host;

  if (address != NULL && !g_inet_address_get_is_any (address))
    return g_strdup (listen);
  if ((host = first_address (AF_INET)) != NULL || (host = first_address (AF_INET6)) != NULL)
    return host;
  return g_strdup (g_get_host_name ());
}

/* Whether module (@x, @y) of @qr is light; the quiet zone is light. */
static gboolean
is_light (const QRcode *qr,
          int           x,
          int           y)
{
  if (x < 0 || y < 0 || x >= qr->width || y >= qr->width)
    return TRUE;
  return (qr->data[y * qr->width + x] & 1) == 0;
}

/*
 * kf_server_link_qr:
 *
 * Returns: (transfer full) (nullable): @text as a QR code drawn with
 * Unicode half blocks, lines ending in "\n"; %NULL when it does not fit.
 */
char *
kf_server_link_qr (const char *text)
{
  QRcode *qr = QRcode_encodeString8bit (text, 0, QR_ECLEVEL_M);
  GString *out;

  if (qr == NULL)
    return NULL;
  out = g_string_new (NULL);
  for (int y = -QUIET_ZONE; y < qr->width + QUIET_ZONE; y += 2)
    {
      for (int x = -QUIET_ZONE; x < qr->width + QUIET_ZONE; x++)
        {
          gboolean top = is_light (qr, x, y), bottom = is_light (qr, x, y + 1);

          g_string_append (out, top && bottom ? "█" : top ? "▀" : bottom ? "▄" : " ");
        }
      g_string_append_c (out, '\n');
    }
  QRcode_free (qr);
  return g_string_free (out, FALSE);
}

/*
 * kf_server_link_print:
 * @out: stdout (for --print-link: the link alone on its line) or stderr
 *   (the start-up lines: "keyferry-server: link …")
 *
 * Prints the join link and, when @out is a terminal, its QR code.
 */
void
kf_server_link_print (const char *listen,
                      guint16     port,
                      const char *fingerprint,
                      FILE       *out)
{
  g_autofree char *host = kf_server_link_host (listen);
  g_autofree char *link = kf_join_link_format (host, port, fingerprint);
  g_autofree char *qr = NULL;

  if (out == stdout)
    fprintf (out, "%s\n", link);
  else
    fprintf (out, "keyferry-server: link %s\n", link);
  if (isatty (fileno (out)) && (qr = kf_server_link_qr (link)) != NULL)
    fprintf (out, "%s%s\n", qr, _("Scan or open this link to connect and trust this key manager in one step."));
  fflush (out);
}
