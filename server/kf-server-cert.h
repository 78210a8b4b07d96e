/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

GTlsCertificate *kf_server_cert_load_or_create (const char  *state_dir,
                                                GError     **error);

G_END_DECLS
