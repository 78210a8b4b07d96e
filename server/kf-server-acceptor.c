/* kf-server-acceptor.c: the key manager's accept loop
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Connections are accepted by this loop on the server's listener rather
 * than by GSocketService's, because GSocketService answers a failed
 * accept() by trying again at once: out of descriptors (EMFILE, ENFILE)
 * that spins and warns for as long as the condition lasts.  Here a failed
 * accept() backs off (50 ms, doubling to 1 s) and the loop resumes by
 * itself once descriptors are free again; the clients already connected
 * are served all along.  kf_server_config_fit_descriptors() keeps the
 * limits within the descriptors the process really has.
 */

#include "config.h"

#include "kf-server-acceptor.h"

#define ACCEPT_BACKOFF_MIN_MS 50
#define ACCEPT_BACKOFF_MAX_MS 1000

struct _KfServerAcceptor
{
  GObject             parent_instance;

  GSocketListener    *listener;     /* borrowed: its owner stops the loop first */
  KfServerAcceptFunc  func;
  gpointer            user_data;
  GCancellable       *cancellable;  /* NULL once stopped */
  GSource            *retry;        /* waiting out a failed accept() */
  guint               backoff_ms;
};

G_DEFINE_FINAL_TYPE (KfServerAcceptor, kf_server_acceptor, G_TYPE_OBJECT)

static void
kf_server_acceptor_dispose (GObject *object)
{
  kf_server_acceptor_stop (KF_SERVER_ACCEPTOR (object));

  G_OBJECT_CLASS (kf_server_acceptor_parent_class)->dispose (object);
}

static void
kf_server_acceptor_class_init (KfServerAcceptorClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = kf_server_acceptor_dispose;
}

static void
kf_server_acceptor_init (KfServerAcceptor *self)
{
}

static void accept_next (KfServerAcceptor *self);

static gboolean
retry_cb (gpointer user_data)
{
  KfServerAcceptor *self = user_data;

  g_clear_pointer (&self->retry, g_source_unref);
  accept_next (self);
  return G_SOURCE_REMOVE;
}

/* accept() failed (out of descriptors, most likely): says so once, then
 * tries again after a pause that doubles while it keeps failing. */
static void
back_off (KfServerAcceptor *self,
          const GError     *error)
{
  if (self->backoff_ms == 0)
    g_message ("Cannot accept connections for now (%s); trying again shortly", error->message);
  self->backoff_ms = CLAMP (self->backoff_ms * 2, ACCEPT_BACKOFF_MIN_MS, ACCEPT_BACKOFF_MAX_MS);
  self->retry = g_timeout_source_new (self->backoff_ms);
  g_source_set_callback (self->retry, retry_cb, self, NULL);
  g_source_attach (self->retry, g_main_context_get_thread_default ());
}

static void
accept_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(KfServerAcceptor) self = user_data;
  g_autoptr(GSocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;

  connection = g_socket_listener_accept_finish (G_SOCKET_LISTENER (source), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || self->cancellable == NULL)
    return;
  if (connection == NULL)
    {
      back_off (self, error);
      return;
    }
  if (self->backoff_ms != 0)
    g_message ("Accepting connections again");
  self->backoff_ms = 0;
  self->func (connection, self->user_data);
  accept_next (self);
}

/* Waits for the next connection. */
static void
accept_next (KfServerAcceptor *self)
{
  if (self->cancellable != NULL)
    g_socket_listener_accept_async (self->listener, self->cancellable, accept_cb,
                                    g_object_ref (self));
}

/*
 * kf_server_acceptor_new:
 * @listener: listening already; must outlive the loop (stop it first)
 * @func: gets each connection accepted
 *
 * Starts accepting on the thread-default main context.
 * Returns: (transfer full): the loop.
 */
KfServerAcceptor *
kf_server_acceptor_new (GSocketListener    *listener,
                        KfServerAcceptFunc  func,
                        gpointer            user_data)
{
  KfServerAcceptor *self = g_object_new (KF_TYPE_SERVER_ACCEPTOR, NULL);

  self->listener = listener;
  self->func = func;
  self->user_data = user_data;
  self->cancellable = g_cancellable_new ();
  accept_next (self);
  return self;
}

/* Stops the loop (a pending accept completes as cancelled); @func is not
 * called again.  Safe to call twice. */
void
kf_server_acceptor_stop (KfServerAcceptor *self)
{
  g_return_if_fail (KF_IS_SERVER_ACCEPTOR (self));

  if (self->retry != NULL)
    g_source_destroy (self->retry);
  g_clear_pointer (&self->retry, g_source_unref);
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
}
