/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include "kf-server.h"

G_BEGIN_DECLS

gboolean kf_test_server_check (KfServer  *server,
                               GError   **error);

G_END_DECLS
