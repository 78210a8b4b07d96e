/* kf-server-detached-transport.c: a client without a connection
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A detached transport has no socket at all: it is handed its lines one
 * by one (kf_server_client_receive_line(), which checks them as a
 * connection's line reader would) and gives what it is sent to a
 * callback at once, so that tests and the server-sm fuzz target can run
 * the key manager's state machine with no I/O.  It is ready as soon as it
 * starts, it has no cap on what it sends, and closing it only says so.
 * Lines that come while reading is off wait in order, in secure memory.
 */

#include "config.h"

#include "kf-secure.h"
#include "kf-server-detached-transport.h"

struct _KfServerDetachedTransport
{
  GObject                        parent_instance;

  const KfServerTransportEvents *events;
  gpointer                       owner;
  char                          *address;
  KfServerDetachedSink           sink;
  gpointer                       sink_data;
  GDestroyNotify                 sink_data_free;
  GQueue                         unread;    /* lines taken while not reading (secure) */
  gboolean                       reading;
  gboolean                       closing;
};

static void kf_server_detached_transport_iface_init (KfServerTransportInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (KfServerDetachedTransport, kf_server_detached_transport,
                               G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (KF_TYPE_SERVER_TRANSPORT,
                                                      kf_server_detached_transport_iface_init))

static void
kf_server_detached_transport_finalize (GObject *object)
{
  KfServerDetachedTransport *self = KF_SERVER_DETACHED_TRANSPORT (object);

  g_queue_clear_full (&self->unread, (GDestroyNotify) kf_secure_strfree);
  if (self->sink_data_free != NULL)
    self->sink_data_free (self->sink_data);
  g_free (self->address);

  G_OBJECT_CLASS (kf_server_detached_transport_parent_class)->finalize (object);
}

static void
kf_server_detached_transport_class_init (KfServerDetachedTransportClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = kf_server_detached_transport_finalize;
}

static void
kf_server_detached_transport_init (KfServerDetachedTransport *self)
{
  g_queue_init (&self->unread);
}

/*
 * kf_server_detached_transport_new:
 * @address: stands for the peer's address (admission limits, logs)
 * @sink: gets every line sent, LF included
 * @destroy: (nullable): frees @user_data with the transport
 *
 * Returns: (transfer full): the transport.
 */
KfServerDetachedTransport *
kf_server_detached_transport_new (const char           *address,
                                  KfServerDetachedSink  sink,
                                  gpointer              user_data,
                                  GDestroyNotify        destroy)
{
  KfServerDetachedTransport *self;

  g_return_val_if_fail (address != NULL && sink != NULL, NULL);

  self = g_object_new (KF_TYPE_SERVER_DETACHED_TRANSPORT, NULL);
  self->address = g_strdup (address);
  self->sink = sink;
  self->sink_data = user_data;
  self->sink_data_free = destroy;
  return self;
}

/* Hands the owner the lines that came while reading was off. */
static void
take_unread (KfServerDetachedTransport *self)
{
  g_autoptr(KfServerDetachedTransport) hold = g_object_ref (self);

  while (self->reading && !self->closing && !g_queue_is_empty (&self->unread))
    {
      char *line = g_queue_pop_head (&self->unread);

      self->events->line (self->owner, line);
      kf_secure_strfree (line);
    }
}

/*
 * kf_server_detached_transport_receive:
 * @line: (transfer full): a checked line, in secure memory
 *
 * @line arrives as if read: handed on now while reading, else kept for
 * when reading is on again.  Dropped once closing.
 */
void
kf_server_detached_transport_receive (KfServerDetachedTransport *self,
                                      char                      *line)
{
  g_autoptr(KfServerDetachedTransport) hold = NULL;

  g_return_if_fail (KF_IS_SERVER_DETACHED_TRANSPORT (self));

  if (self->closing)
    {
      kf_secure_strfree (line);
      return;
    }
  if (!self->reading)
    {
      g_queue_push_tail (&self->unread, line);
      return;
    }
  hold = g_object_ref (self);
  self->events->line (self->owner, line);
  kf_secure_strfree (line);
}

static void
detached_attach (KfServerTransport             *transport,
                 const KfServerTransportEvents *events,
                 gpointer                       owner)
{
  KfServerDetachedTransport *self = KF_SERVER_DETACHED_TRANSPORT (transport);

  self->events = events;
  self->owner = owner;
}

static const char *
detached_get_address (KfServerTransport *transport)
{
  return KF_SERVER_DETACHED_TRANSPORT (transport)->address;
}

static gboolean
detached_is_before_hello (KfServerTransport *transport)
{
  return FALSE;
}

static void
detached_start (KfServerTransport *transport)
{
  KfServerDetachedTransport *self = KF_SERVER_DETACHED_TRANSPORT (transport);

  self->events->ready (self->owner);
}

static void
detached_set_reading (KfServerTransport *transport,
                      gboolean           reading)
{
  KfServerDetachedTransport *self = KF_SERVER_DETACHED_TRANSPORT (transport);

  self->reading = reading;
  take_unread (self);
}

static gboolean
detached_send (KfServerTransport *transport,
               GBytes            *line)
{
  KfServerDetachedTransport *self = KF_SERVER_DETACHED_TRANSPORT (transport);

  self->sink (self->owner, g_bytes_get_data (line, NULL), g_bytes_get_size (line),
              self->sink_data);
  return TRUE;
}

static void
detached_close (KfServerTransport *transport,
                gboolean           flush)
{
  KfServerDetachedTransport *self = KF_SERVER_DETACHED_TRANSPORT (transport);

  self->closing = TRUE;
  g_queue_clear_full (&self->unread, (GDestroyNotify) kf_secure_strfree);
}

static void
kf_server_detached_transport_iface_init (KfServerTransportInterface *iface)
{
  iface->attach = detached_attach;
  iface->get_address = detached_get_address;
  iface->is_before_hello = detached_is_before_hello;
  iface->start = detached_start;
  iface->set_reading = detached_set_reading;
  iface->send = detached_send;
  iface->close = detached_close;
}
