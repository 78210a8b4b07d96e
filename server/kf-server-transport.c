/* kf-server-transport.c: how a client's lines come and go
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * KfServerClient speaks the protocol; a KfServerTransport carries its
 * lines.  There are two: KfServerTlsTransport, a TLS connection read
 * through the server's epoll poller and written through a bounded queue
 * (kf-server-tls-transport.c), and KfServerDetachedTransport, with no
 * socket at all, whose lines are handed in one by one and go out to a
 * callback, for the tests and the server-sm fuzz target
 * (kf-server-detached-transport.c).  The client attaches itself as the
 * owner and hears back through KfServerTransportEvents.
 *
 * A transport starts (for TLS: waits for the ClientHello and runs the
 * handshake) and reports ready; reads while reading is on, one line per
 * event; queues what is sent, refusing a line that would pass its cap;
 * and closes, flushing first when asked, bounded in time.  Once closed it
 * calls its owner no more.
 */

#include "config.h"

#include "kf-server-transport.h"

G_DEFINE_INTERFACE (KfServerTransport, kf_server_transport, G_TYPE_OBJECT)

static void
kf_server_transport_default_init (KfServerTransportInterface *iface)
{
}

/* Sets who hears what the transport reports; once, before starting. */
void
kf_server_transport_attach (KfServerTransport             *self,
                            const KfServerTransportEvents *events,
                            gpointer                       owner)
{
  g_return_if_fail (KF_IS_SERVER_TRANSPORT (self));
  KF_SERVER_TRANSPORT_GET_IFACE (self)->attach (self, events, owner);
}

/* The peer's IP address as text (or what stands for it). */
const char *
kf_server_transport_get_address (KfServerTransport *self)
{
  g_return_val_if_fail (KF_IS_SERVER_TRANSPORT (self), NULL);
  return KF_SERVER_TRANSPORT_GET_IFACE (self)->get_address (self);
}

/* Whether the peer has not even begun (no TLS ClientHello yet). */
gboolean
kf_server_transport_is_before_hello (KfServerTransport *self)
{
  g_return_val_if_fail (KF_IS_SERVER_TRANSPORT (self), FALSE);
  return KF_SERVER_TRANSPORT_GET_IFACE (self)->is_before_hello (self);
}

/* Gets ready for lines; ::ready follows, or ::failed. */
void
kf_server_transport_start (KfServerTransport *self)
{
  g_return_if_fail (KF_IS_SERVER_TRANSPORT (self));
  KF_SERVER_TRANSPORT_GET_IFACE (self)->start (self);
}

/* Takes lines (and reports them) while @reading, and none otherwise:
 * lines that come meanwhile wait. */
void
kf_server_transport_set_reading (KfServerTransport *self,
                                 gboolean           reading)
{
  g_return_if_fail (KF_IS_SERVER_TRANSPORT (self));
  KF_SERVER_TRANSPORT_GET_IFACE (self)->set_reading (self, reading);
}

/* Queues @line (LF included).  Returns %FALSE, sending nothing, when it
 * would pass the transport's cap on what waits to be sent. */
gboolean
kf_server_transport_send (KfServerTransport *self,
                          GBytes            *line)
{
  g_return_val_if_fail (KF_IS_SERVER_TRANSPORT (self), FALSE);
  return KF_SERVER_TRANSPORT_GET_IFACE (self)->send (self, line);
}

/* Closes, after sending what is queued when @flush; safe to call twice. */
void
kf_server_transport_close (KfServerTransport *self,
                           gboolean           flush)
{
  g_return_if_fail (KF_IS_SERVER_TRANSPORT (self));
  KF_SERVER_TRANSPORT_GET_IFACE (self)->close (self, flush);
}

/* The TLS connection the transport runs on, or %NULL (a detached one). */
GTlsConnection *
kf_server_transport_get_tls (KfServerTransport *self)
{
  KfServerTransportInterface *iface;

  g_return_val_if_fail (KF_IS_SERVER_TRANSPORT (self), NULL);
  iface = KF_SERVER_TRANSPORT_GET_IFACE (self);
  return iface->get_tls != NULL ? iface->get_tls (self) : NULL;
}
