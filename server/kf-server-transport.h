/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* What a transport tells the client it carries (the owner).  None is
 * called once kf_server_transport_close() has been. */
typedef struct
{
  /* The transport is ready for lines (its TLS handshake is done). */
  void (*ready)  (gpointer      owner);
  /* One line, without its LF, while reading is on.  Secret lines (auth,
   * confirm) are in memory that is wiped after the call. */
  void (*line)   (gpointer      owner,
                  const char   *line);
  /* The transport cannot go on: @error (in KF_PROTOCOL_ERROR) is a line
   * the reader refused, to be answered; any other error, or %NULL, is a
   * transport that broke or ended, to be closed at once. */
  void (*failed) (gpointer      owner,
                  const GError *error);
} KfServerTransportEvents;

#define KF_TYPE_SERVER_TRANSPORT (kf_server_transport_get_type ())

G_DECLARE_INTERFACE (KfServerTransport, kf_server_transport, KF, SERVER_TRANSPORT, GObject)

struct _KfServerTransportInterface
{
  GTypeInterface parent_iface;

  void        (*attach)          (KfServerTransport             *self,
                                  const KfServerTransportEvents *events,
                                  gpointer                       owner);
  const char *(*get_address)     (KfServerTransport             *self);
  gboolean    (*is_before_hello) (KfServerTransport             *self);
  void        (*start)           (KfServerTransport             *self);
  void        (*set_reading)     (KfServerTransport             *self,
                                  gboolean                       reading);
  gboolean    (*send)            (KfServerTransport             *self,
                                  GBytes                        *line);
  void        (*close)           (KfServerTransport             *self,
                                  gboolean                       flush);
  /* Optional: the TLS connection, for ALPN and the exporter (hello). */
  GTlsConnection *(*get_tls)     (KfServerTransport             *self);
};

void        kf_server_transport_attach          (KfServerTransport             *self,
                                                 const KfServerTransportEvents *events,
                                                 gpointer                       owner);
const char *kf_server_transport_get_address     (KfServerTransport             *self);
gboolean    kf_server_transport_is_before_hello (KfServerTransport             *self);
void        kf_server_transport_start           (KfServerTransport             *self);
void        kf_server_transport_set_reading     (KfServerTransport             *self,
                                                 gboolean                       reading);
gboolean    kf_server_transport_send            (KfServerTransport             *self,
                                                 GBytes                        *line);
void        kf_server_transport_close           (KfServerTransport             *self,
                                                 gboolean                       flush);
GTlsConnection *kf_server_transport_get_tls     (KfServerTransport             *self);

G_END_DECLS
