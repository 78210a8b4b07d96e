#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

void     kf_gcrypt_init       (void);
gboolean kf_gcrypt_is_ready   (void);
gboolean kf_process_harden    (GError **error);

G_END_DECLS
