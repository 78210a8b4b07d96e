/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gtk/gtk.h>

#include "kf-contacts.h"
#include "kf-offer.h"

G_BEGIN_DECLS

void   kf_offer_flow_run_async  (KfOffer              *offer,
                                 GtkWindow            *parent,
                                 GFile                *folder,
                                 KfContacts           *contacts,
                                 GCancellable         *cancellable,
                                 GAsyncReadyCallback   callback,
                                 gpointer              user_data);
GFile *kf_offer_flow_run_finish (GAsyncResult         *result,
                                 GError              **error);
gboolean kf_offer_flow_was_blocked (GAsyncResult      *result);

G_END_DECLS
