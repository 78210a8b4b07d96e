/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Gets each accepted connection. */
typedef void (*KfServerAcceptFunc) (GSocketConnection *connection,
                                    gpointer           user_data);

#define KF_TYPE_SERVER_ACCEPTOR (kf_server_acceptor_get_type ())

G_DECLARE_FINAL_TYPE (KfServerAcceptor, kf_server_acceptor, KF, SERVER_ACCEPTOR, GObject)

KfServerAcceptor *kf_server_acceptor_new  (GSocketListener    *listener,
                                           KfServerAcceptFunc  func,
                                           gpointer            user_data);
void              kf_server_acceptor_stop (KfServerAcceptor   *self);

G_END_DECLS
